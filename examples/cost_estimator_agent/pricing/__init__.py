"""Price table loading and request parsing for the cost estimator agent."""

from .parser import EstimateRequest, parse_request
from .table import PriceTable, RegionPrices, load_price_table

__all__ = [
    "EstimateRequest",
    "PriceTable",
    "RegionPrices",
    "load_price_table",
    "parse_request",
]
