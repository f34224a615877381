"""Constants shared by the cost estimator agent.

They live in one module so the price table location and billing assumptions
can be changed without touching the parsing or formatting code.
"""

from pathlib import Path

# Region used when the caller does not pass one, and the fallback for regions
# that the bundled table does not cover.
DEFAULT_REGION = "us-east-1"

# AWS bills on-demand resources per hour; 730 is the average number of hours
# in a month (24 * 365 / 12) and is what the AWS Pricing Calculator uses.
HOURS_PER_MONTH = 730

# Resolved from this file rather than the working directory, so the agent
# finds its data no matter where the runtime starts the process.
PRICE_TABLE_PATH = Path(__file__).resolve().parent / "data" / "prices.json"

CURRENCY = "USD"

# Size of the root volume assumed when the request does not mention storage
# (the default for most Amazon Linux AMIs).
DEFAULT_STORAGE_GB = 8

# Instance type assumed when the request names none.
DEFAULT_INSTANCE_TYPE = "t3.micro"
