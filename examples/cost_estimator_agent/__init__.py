"""Offline AWS cost estimator agent used as an agentprep example and test fixture.

The package mirrors the layout of the AgentCore tutorial's cost estimator
agent, but it answers from a bundled price table instead of calling AWS, so
results are deterministic and need no network or credentials.
"""

from .cost_estimator_agent import AWSCostEstimatorAgent

__all__ = ["AWSCostEstimatorAgent"]
