"""AWS cost estimator agent that works offline.

It keeps the public shape of the AgentCore tutorial's agent (a class with
``estimate_costs`` and a streaming ``estimate_costs_stream``) so it can stand
in for it in tests, but it reads a bundled price table instead of calling
the AWS Pricing API, which makes every answer reproducible.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import AsyncIterator, Dict, List

from .config import (
    CURRENCY,
    DEFAULT_REGION,
    DEFAULT_STORAGE_GB,
    HOURS_PER_MONTH,
)
from .pricing.parser import EstimateRequest, parse_request
from .pricing.table import PriceTable, RegionPrices, load_price_table

_CENT = Decimal("0.01")
_HOURS = Decimal(HOURS_PER_MONTH)


def _money(amount: Decimal) -> str:
    # Explicit half-up rounding: Decimal's default (half-even) would surprise
    # people checking the arithmetic by hand.
    return f"${amount.quantize(_CENT, rounding=ROUND_HALF_UP)}"


def _qty(value: Decimal) -> str:
    # "20" rather than "20.0" or "2E+1" for sizes given by the user.
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class _LineItem:
    text: str
    amount: Decimal  # already rounded to cents, so the lines add up exactly


# All user-facing wording in one place, so both languages stay in step.
_MESSAGES: Dict[str, Dict[str, str]] = {
    "en": {
        "header": (
            "Estimated AWS monthly cost (region: {region}, {region_name}; "
            "on-demand Linux list prices, {hours} hours/month)"
        ),
        "items": "Line items:",
        "notes": "Notes:",
        "ec2": "EC2 {itype} x {count}: {price}/hour x {hours} hours x {count} = {amount}",
        "ec2_unknown": "EC2 {itype} x {count}: price not in the bundled table, not included",
        "ebs": (
            "EBS gp3 storage {gb} GB x {count}: "
            "{price}/GB-month x {gb} GB x {count} = {amount}"
        ),
        "ipv4": (
            "Public IPv4 address x {count}: {price}/hour x {hours} hours x {count} = {amount}"
        ),
        "transfer": (
            "Data transfer out {gb} GB (first {free} GB/month free): "
            "{billable} GB x {price}/GB = {amount}"
        ),
        "total": "Estimated monthly total: {amount} {currency}",
        "note_keyword": 'No instance type was named, so "{keyword}" was read as {itype}.',
        "note_default": "No instance type or size was named, so {itype} is assumed.",
        "note_unknown": (
            "{itype} is not in the bundled price table, so its compute cost is not "
            "included in the total (the other line items still are)."
        ),
        "note_storage": (
            "No storage size was given, so an {gb} GB gp3 root volume per instance is assumed."
        ),
        "note_storage_given": "The {gb} GB of storage is counted once per instance (gp3).",
        "note_ssh": (
            "SSH from the internet needs a public IPv4 address, which AWS bills per hour "
            "(about {monthly}/month each). With EC2 Instance Connect Endpoint or "
            "Session Manager you can connect without one."
        ),
        "note_public_ip": "Public IPv4 addresses are billed per hour (about {monthly}/month each).",
        "note_no_ssh": (
            "No public IPv4 address is included; add {monthly}/month per instance if "
            "it must be reachable from the internet."
        ),
        "note_transfer": (
            "Data transfer out was not specified; the first {free} GB/month to the "
            "internet are free, then {price}/GB."
        ),
        "note_region_fallback": (
            "Region {requested} is not in the bundled price table; {used} prices are "
            "used instead, so the real cost may differ."
        ),
        "note_region_text": "Region {region} was taken from the request.",
        "note_prices": (
            "Prices are AWS public on-demand list prices as of {as_of}, for illustration "
            "only. Taxes, the Free Tier and Savings Plans are not applied; check the AWS "
            "Pricing Calculator for current prices."
        ),
    },
    "ja": {
        "header": (
            "AWS 月額費用の概算 (リージョン: {region} / {region_name}、"
            "オンデマンド Linux の公開価格、1か月{hours}時間で計算)"
        ),
        "items": "内訳:",
        "notes": "補足:",
        "ec2": "EC2 {itype} × {count}台: {price}/時間 × {hours}時間 × {count}台 = {amount}",
        "ec2_unknown": "EC2 {itype} × {count}台: 同梱の価格表にないため合計に含めていません",
        "ebs": (
            "EBS gp3 ストレージ {gb} GB × {count}台: "
            "{price}/GB月 × {gb} GB × {count}台 = {amount}"
        ),
        "ipv4": "パブリック IPv4 アドレス × {count}個: {price}/時間 × {hours}時間 × {count}個 = {amount}",
        "transfer": (
            "データ転送(アウト) {gb} GB (毎月 {free} GB まで無料): "
            "課金対象 {billable} GB × {price}/GB = {amount}"
        ),
        "total": "月額合計(概算): {amount} {currency}",
        "note_keyword": "インスタンスタイプの指定がないため、「{keyword}」を {itype} と解釈しました。",
        "note_default": "インスタンスタイプや規模の指定がないため、{itype} を想定しました。",
        "note_unknown": (
            "{itype} は同梱の価格表にないため、インスタンス料金は合計に含めていません"
            "(他の項目は含めています)。"
        ),
        "note_storage": (
            "ストレージ容量の指定がないため、インスタンスごとに {gb} GB の gp3 "
            "ルートボリュームを想定しました。"
        ),
        "note_storage_given": "ストレージ {gb} GB はインスタンスごとに計上しています (gp3)。",
        "note_ssh": (
            "インターネットから SSH 接続するにはパブリック IPv4 アドレスが必要で、"
            "1個あたり時間課金されます (月額約 {monthly})。EC2 Instance Connect Endpoint "
            "や Session Manager を使えばパブリック IP なしで接続できます。"
        ),
        "note_public_ip": "パブリック IPv4 アドレスは1個あたり時間課金されます (月額約 {monthly})。",
        "note_no_ssh": (
            "パブリック IPv4 アドレスは含めていません。インターネットから接続する場合は"
            "インスタンスごとに月額 {monthly} を加えてください。"
        ),
        "note_transfer": (
            "データ転送量(アウト)の指定がありません。インターネットへの転送は毎月 "
            "{free} GB まで無料、それ以降は {price}/GB です。"
        ),
        "note_region_fallback": (
            "リージョン {requested} は同梱の価格表にないため {used} の価格で計算しました。"
            "実際の費用とは異なる場合があります。"
        ),
        "note_region_text": "リージョン {region} はリクエストの記述から判断しました。",
        "note_prices": (
            "価格は {as_of} 時点の AWS 公開オンデマンド料金 (説明用) です。税金・無料利用枠・"
            "Savings Plans は反映していません。最新の料金は AWS Pricing Calculator で確認してください。"
        ),
    },
}


class AWSCostEstimatorAgent:
    """Estimates the monthly AWS cost of a small architecture described in
    English or Japanese, using bundled list prices (no network access)."""

    def __init__(self, region: str = DEFAULT_REGION):
        # An empty region would only produce a confusing fallback note, so it
        # is treated as "use the default".
        self.region = (region or DEFAULT_REGION).strip().lower() or DEFAULT_REGION
        self._table: PriceTable = load_price_table()

    def estimate_costs(self, architecture_description: str) -> str:
        """Return a readable monthly estimate for ``architecture_description``.

        Raises ValueError for empty input: there is nothing to estimate, and
        silently answering with defaults would hide a caller bug.
        """
        if architecture_description is not None and not isinstance(
            architecture_description, str
        ):
            raise TypeError(
                "architecture_description must be a str, got "
                f"{type(architecture_description).__name__}"
            )
        if architecture_description is None or not architecture_description.strip():
            raise ValueError(
                "architecture_description is empty: describe what you want to run, e.g. "
                "'2 x t3.small with 20 GB storage and SSH access' or "
                "'SSH用に小規模なEC2を用意したい'."
            )
        request = parse_request(architecture_description)
        return self._render(request)

    async def estimate_costs_stream(self, architecture_description: str) -> AsyncIterator[str]:
        """Yield the same answer as ``estimate_costs`` in line-sized chunks.

        The whole answer is computed first (it is cheap), so invalid input
        raises before any chunk is sent rather than halfway through a stream.
        """
        answer = self.estimate_costs(architecture_description)
        for chunk in answer.splitlines(keepends=True):
            yield chunk
            # Hand control back to the event loop between chunks, as a real
            # streaming model would, so consumers can interleave other work.
            await asyncio.sleep(0)

    # -- internals -----------------------------------------------------------

    def _render(self, request: EstimateRequest) -> str:
        msg = _MESSAGES["ja" if request.japanese else "en"]
        requested_region = request.region or self.region
        prices, fell_back = self._table.for_region(requested_region)

        items: List[_LineItem] = []
        notes: List[str] = []

        # A region named in the text wins over the constructor's, since the
        # user stated it for this particular question.
        if request.region and request.region != self.region:
            notes.append(msg["note_region_text"].format(region=request.region))
        if fell_back:
            notes.append(
                msg["note_region_fallback"].format(requested=requested_region, used=prices.region)
            )

        self._add_instances(request, prices, msg, items, notes)
        count = request.instance_count
        self._add_storage(request, prices, count, msg, items, notes)
        self._add_ipv4(request, prices, count, msg, items, notes)
        self._add_transfer(request, prices, msg, items, notes)
        notes.append(msg["note_prices"].format(as_of=self._table.as_of))

        total = sum((item.amount for item in items), Decimal("0"))
        lines = [
            msg["header"].format(
                region=prices.region, region_name=prices.name, hours=HOURS_PER_MONTH
            ),
            "",
            msg["items"],
            *(f"- {item.text}" for item in items),
            "",
            msg["notes"],
            *(f"- {note}" for note in notes),
            "",
            msg["total"].format(amount=_money(total), currency=CURRENCY),
        ]
        return "\n".join(lines)

    @staticmethod
    def _add_instances(request, prices: RegionPrices, msg, items, notes) -> None:
        if request.instance_source == "keyword":
            notes.append(
                msg["note_keyword"].format(
                    keyword=request.size_keyword, itype=request.instances[0][0]
                )
            )
        elif request.instance_source == "default":
            notes.append(msg["note_default"].format(itype=request.instances[0][0]))

        for itype, count in request.instances:
            hourly = prices.ec2_hourly.get(itype)
            if hourly is None:
                items.append(_LineItem(msg["ec2_unknown"].format(itype=itype, count=count), Decimal("0")))
                notes.append(msg["note_unknown"].format(itype=itype))
                continue
            amount = (hourly * _HOURS * count).quantize(_CENT, rounding=ROUND_HALF_UP)
            items.append(
                _LineItem(
                    msg["ec2"].format(
                        itype=itype,
                        count=count,
                        price=f"${hourly}",
                        hours=HOURS_PER_MONTH,
                        amount=_money(amount),
                    ),
                    amount,
                )
            )

    @staticmethod
    def _add_storage(request, prices: RegionPrices, count: int, msg, items, notes) -> None:
        gb = request.storage_gb
        if gb is None:
            gb = Decimal(DEFAULT_STORAGE_GB)
            notes.append(msg["note_storage"].format(gb=DEFAULT_STORAGE_GB))
        elif count > 1:
            # Only worth saying when it changes the maths.
            notes.append(msg["note_storage_given"].format(gb=_qty(gb)))
        amount = (prices.ebs_gp3_gb_month * gb * count).quantize(_CENT, rounding=ROUND_HALF_UP)
        items.append(
            _LineItem(
                msg["ebs"].format(
                    gb=_qty(gb),
                    count=count,
                    price=f"${prices.ebs_gp3_gb_month}",
                    amount=_money(amount),
                ),
                amount,
            )
        )

    @staticmethod
    def _add_ipv4(request, prices: RegionPrices, count: int, msg, items, notes) -> None:
        monthly_each = _money(prices.public_ipv4_hourly * _HOURS)
        if not request.needs_public_ipv4:
            notes.append(msg["note_no_ssh"].format(monthly=monthly_each))
            return
        # One address per instance: each server needs its own to be reached.
        amount = (prices.public_ipv4_hourly * _HOURS * count).quantize(
            _CENT, rounding=ROUND_HALF_UP
        )
        items.append(
            _LineItem(
                msg["ipv4"].format(
                    count=count,
                    price=f"${prices.public_ipv4_hourly}",
                    hours=HOURS_PER_MONTH,
                    amount=_money(amount),
                ),
                amount,
            )
        )
        key = "note_ssh" if request.ssh else "note_public_ip"
        notes.append(msg[key].format(monthly=monthly_each))

    @staticmethod
    def _add_transfer(request, prices: RegionPrices, msg, items, notes) -> None:
        if request.transfer_gb is None:
            notes.append(
                msg["note_transfer"].format(
                    free=_qty(prices.transfer_free_gb), price=f"${prices.transfer_per_gb}"
                )
            )
            return
        billable = max(Decimal("0"), request.transfer_gb - prices.transfer_free_gb)
        amount = (billable * prices.transfer_per_gb).quantize(_CENT, rounding=ROUND_HALF_UP)
        items.append(
            _LineItem(
                msg["transfer"].format(
                    gb=_qty(request.transfer_gb),
                    free=_qty(prices.transfer_free_gb),
                    billable=_qty(billable),
                    price=f"${prices.transfer_per_gb}",
                    amount=_money(amount),
                ),
                amount,
            )
        )
