"""Loading of the bundled price table (data/prices.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

from ..config import DEFAULT_REGION, PRICE_TABLE_PATH


@dataclass(frozen=True)
class RegionPrices:
    """Unit prices for one region.

    Prices are Decimals because binary floats would make cent rounding depend
    on representation error, and the answers must be exactly reproducible.
    """

    region: str
    name: str
    ec2_hourly: Dict[str, Decimal]
    ebs_gp3_gb_month: Decimal
    public_ipv4_hourly: Decimal
    transfer_free_gb: Decimal
    transfer_per_gb: Decimal


@dataclass(frozen=True)
class PriceTable:
    """All regions from the JSON file plus its provenance note."""

    source: str
    as_of: str
    currency: str
    regions: Dict[str, RegionPrices]

    def for_region(self, region: str) -> Tuple[RegionPrices, bool]:
        """Return the prices for ``region`` and whether we had to fall back.

        Unknown regions use the default region's prices instead of failing,
        because a rough answer with a clear warning is more useful to the
        user than an error; the caller is expected to mention the fallback.
        """
        key = (region or "").strip().lower()
        if key in self.regions:
            return self.regions[key], False
        return self.regions[DEFAULT_REGION], True


def _dec(value: object, what: str) -> Decimal:
    # Prices are stored as strings in the JSON so they convert to Decimal
    # exactly; numbers are accepted too, via str(), to tolerate hand edits.
    try:
        return Decimal(str(value))
    except Exception as exc:  # decimal.InvalidOperation and friends
        raise ValueError(f"price table: {what} is not a number: {value!r}") from exc


def _parse_region(region: str, raw: dict) -> RegionPrices:
    transfer = raw.get("data_transfer_out", {})
    return RegionPrices(
        region=region,
        name=str(raw.get("name", region)),
        ec2_hourly={
            itype.lower(): _dec(price, f"{region} ec2 {itype}")
            for itype, price in raw["ec2_hourly"].items()
        },
        ebs_gp3_gb_month=_dec(raw["ebs_gp3_gb_month"], f"{region} ebs_gp3_gb_month"),
        public_ipv4_hourly=_dec(raw["public_ipv4_hourly"], f"{region} public_ipv4_hourly"),
        transfer_free_gb=_dec(transfer.get("free_gb_per_month", "0"), f"{region} free transfer"),
        transfer_per_gb=_dec(transfer["per_gb"], f"{region} transfer per_gb"),
    )


@lru_cache(maxsize=None)
def _load_cached(path: str) -> PriceTable:
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    regions = {
        name.lower(): _parse_region(name.lower(), data)
        for name, data in raw["regions"].items()
    }
    # The fallback logic relies on the default region being present, so a
    # broken table should fail loudly at load time, not on some later request.
    if DEFAULT_REGION not in regions:
        raise ValueError(f"price table {path} has no prices for {DEFAULT_REGION}")
    return PriceTable(
        source=str(raw.get("source", "")),
        as_of=str(raw.get("as_of", "")),
        currency=str(raw.get("currency", "USD")),
        regions=regions,
    )


def load_price_table(path: Optional[Union[str, Path]] = None) -> PriceTable:
    """Load (and cache) the price table; defaults to the bundled file.

    Caching avoids re-reading the file for every agent instance or request,
    which matters when the runtime creates an agent per invocation.
    """
    resolved = Path(path) if path is not None else PRICE_TABLE_PATH
    return _load_cached(str(resolved.resolve()))
