"""Rule-based reading of a free-text request (English or Japanese).

The tutorial agent lets an LLM interpret the request; this offline version
uses a few regular expressions instead so the example stays deterministic
and dependency-free. The rules favour common phrasings over completeness.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import List, Optional, Tuple

from ..config import DEFAULT_INSTANCE_TYPE

# Hiragana, katakana, CJK ideographs and half-width katakana: enough to tell
# that the user wrote Japanese and expects a Japanese answer.
_JAPANESE_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")

# "t3.micro", "m5.large", "c7gn.2xlarge"... The look-behind rejects prefixes
# such as "db." so that RDS classes are not mistaken for EC2 instances.
_INSTANCE_RE = re.compile(
    r"(?<![a-z0-9.])([a-z][a-z0-9-]*\d[a-z0-9-]*\."
    r"(?:nano|micro|small|medium|large|metal|\d*xlarge))(?![a-z0-9])"
)

# A count written just before the type: "2 x t3.small", "2 t3.small",
# "3台のt3.micro", "3 instances of t3.micro". Digits glued to a letter, "-"
# or "." are rejected so "ec2", region names ("ap-northeast-3") and versions
# are not read as counts.
_COUNT_BEFORE_RE = re.compile(
    r"(?<![a-z0-9.\-])(\d{1,4})\s*"
    r"(?:[x×*]|台の?|(?:instances?|servers?|nodes?|units?)\s+of)?\s*$"
)
# A count written just after the type: "t3.small x 2".
_COUNT_AFTER_X_RE = re.compile(r"^\s*[x×*]\s*(\d{1,4})(?![\d.])")
# ... or "t3.microを3台", "t3.micro: 3 instances". A unit is required here so
# that "t3.micro 20 GB" is not read as twenty instances.
_COUNT_AFTER_UNIT_RE = re.compile(
    r"^\s*(?:を|が|は|:)?\s*(\d{1,4})\s*"
    r"(?:台|(?:instances?|units?|nodes?|servers?|machines?)(?![a-z]))"
)
# A count with no instance type at all: "EC2を3台", "2 servers".
_COUNT_GLOBAL_RE = re.compile(
    r"(?<![a-z0-9.\-])(\d{1,4})\s*"
    r"(?:台|(?:x\s*)?(?:ec2\s+)?(?:instances?|servers?|machines?|vms?|nodes?)(?![a-z]))"
)

# "20 GB", "1.5TB", "50GB". NFKC normalisation has already turned "㎇" and
# full-width digits into plain ASCII.
_SIZE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(tib|tb|gib|gb|ギガバイト|ギガ)(?![a-z])")

# Sentence and clause punctuation: a keyword on the other side of one of
# these is assumed to describe a different quantity.
_CLAUSE_BREAK_RE = re.compile(r"[,;、。，．!?！？\n]")

_TRANSFER_WORDS = (
    "transfer", "egress", "outbound", "data out", "traffic", "bandwidth",
    "download", "転送", "通信", "トラフィック", "アウトバウンド", "下り", "帯域",
)
_STORAGE_WORDS = (
    "storage", "disk", "volume", "ebs", "gp3", "ssd",
    "ストレージ", "ディスク", "ボリューム", "容量",
)
# Sizes next to these words describe RAM, which is part of the instance
# type's price, so they must not be billed as EBS storage.
_MEMORY_WORDS = ("ram", "memory", "メモリ")

# Size words used when no instance type is named. Order matters: the first
# match wins, and "small" is checked first because it is the most common ask.
# ASCII look-arounds stand in for \b, which would not fire between a Japanese
# character and a letter ("小規模なsmallサーバー").
_SIZE_KEYWORDS: Tuple[Tuple[str, str], ...] = (
    (
        r"(?<![a-z0-9])(?:small|tiny)(?![a-z0-9])|小規模|小さい|小さな|小さめ",
        DEFAULT_INSTANCE_TYPE,
    ),
    (r"(?<![a-z0-9])medium(?![a-z0-9])|中規模", "t3.medium"),
    (r"(?<![a-z0-9])large(?![a-z0-9])|大規模", "m5.large"),
)

_REGION_CODE_RE = re.compile(r"(?<![a-z])((?:us|eu|ap|ca|sa|me|af|il|mx)-[a-z]+-\d)(?![\d])")
_REGION_NAMES: Tuple[Tuple[str, str], ...] = (
    ("tokyo", "ap-northeast-1"),
    ("東京", "ap-northeast-1"),
    ("oregon", "us-west-2"),
    ("オレゴン", "us-west-2"),
    ("virginia", "us-east-1"),
    ("バージニア", "us-east-1"),
)

_PUBLIC_IP_RE = re.compile(
    r"public\s*ip|elastic\s*ip|(?<![a-z0-9])eip(?![a-z0-9])|パブリック\s*ip|グローバル\s*ip|固定\s*ip"
)


@dataclass
class EstimateRequest:
    """What the parser understood; the agent turns this into line items."""

    japanese: bool
    # (instance type, count) in the order the user mentioned them.
    instances: List[Tuple[str, int]] = field(default_factory=list)
    # "named": types were written out; "keyword": chosen from a size word
    # such as "small"; "default": nothing usable, DEFAULT_INSTANCE_TYPE used.
    instance_source: str = "default"
    # The size word that picked the type when instance_source == "keyword".
    size_keyword: Optional[str] = None
    # None means "not mentioned", which the agent reports as an assumption.
    storage_gb: Optional[Decimal] = None
    transfer_gb: Optional[Decimal] = None
    ssh: bool = False
    public_ip: bool = False
    # Region named in the text, if any; overrides the agent's own region.
    region: Optional[str] = None

    @property
    def needs_public_ipv4(self) -> bool:
        return self.ssh or self.public_ip

    @property
    def instance_count(self) -> int:
        return sum(count for _, count in self.instances)


def contains_japanese(text: str) -> bool:
    return bool(_JAPANESE_RE.search(text))


def _normalise(text: str) -> str:
    # NFKC folds full-width letters/digits (common in Japanese input) to
    # ASCII, and lower-casing lets every pattern below stay case-insensitive.
    return unicodedata.normalize("NFKC", text).lower()


def _parse_instances(text: str) -> List[Tuple[str, int]]:
    used_spans: List[Tuple[int, int]] = []

    def claim(start: int, end: int) -> bool:
        # One number may sit between two types ("t3.micro x 2 t3.small");
        # remembering claimed spans stops it being counted twice.
        for s, e in used_spans:
            if start < e and s < end:
                return False
        used_spans.append((start, end))
        return True

    counts: dict = {}
    for match in _INSTANCE_RE.finditer(text):
        itype = match.group(1)
        count = 1
        window_start = max(0, match.start() - 40)
        before = _COUNT_BEFORE_RE.search(text[window_start:match.start()])
        after_text = text[match.end():match.end() + 40]
        after = _COUNT_AFTER_X_RE.match(after_text) or _COUNT_AFTER_UNIT_RE.match(after_text)
        if before and claim(window_start + before.start(1), window_start + before.end(1)):
            count = int(before.group(1))
        elif after and claim(match.end() + after.start(1), match.end() + after.end(1)):
            count = int(after.group(1))
        # Repeated mentions of one type add up; dicts keep first-seen order.
        counts[itype] = counts.get(itype, 0) + count
    return [(itype, n) for itype, n in counts.items() if n > 0]


def _first_keyword(segment: str, last: bool) -> Optional[str]:
    """Return the kind ("transfer"/"storage"/"memory") of the keyword nearest
    to the number: the first one after it, or the last one before it."""
    best: Optional[Tuple[int, str]] = None
    for kind, words in (
        ("transfer", _TRANSFER_WORDS),
        ("storage", _STORAGE_WORDS),
        ("memory", _MEMORY_WORDS),
    ):
        for word in words:
            # Short ASCII words ("ram", "ebs") need boundaries so that e.g.
            # "program" does not look like memory. They are spelled as ASCII
            # look-arounds because \b treats Japanese characters as word
            # characters and would miss "20GBのebs".
            pattern = (
                rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])"
                if word.isascii()
                else re.escape(word)
            )
            for m in re.finditer(pattern, segment):
                pos = m.start()
                if best is None or (pos > best[0] if last else pos < best[0]):
                    best = (pos, kind)
    return best[1] if best else None


def _parse_sizes(text: str) -> Tuple[Optional[Decimal], Optional[Decimal]]:
    matches = list(_SIZE_RE.finditer(text))
    storage: Optional[Decimal] = None
    transfer: Optional[Decimal] = None
    for i, m in enumerate(matches):
        gb = Decimal(m.group(1))
        if m.group(2) in ("tb", "tib"):
            # AWS bills storage and transfer in binary units, 1 TB = 1024 GB.
            gb *= 1024
        # Look for a describing keyword between this size and its neighbours,
        # stopping at clause punctuation. The words right after a number
        # ("50GB transfer", "20GBのストレージ") are the strongest hint in both
        # languages, so they are checked before the words in front of it.
        prev_end = matches[i - 1].end() if i > 0 else 0
        next_start = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        following = _CLAUSE_BREAK_RE.split(text[m.end():next_start], maxsplit=1)[0]
        preceding = _CLAUSE_BREAK_RE.split(text[prev_end:m.start()])[-1]
        kind = _first_keyword(following, last=False) or _first_keyword(preceding, last=True)
        if kind == "memory":
            continue
        # The first mention of each kind wins; an unlabelled size is taken as
        # storage because that is what "20 GB" most often means for a server.
        if kind == "transfer":
            if transfer is None:
                transfer = gb
        elif storage is None:
            storage = gb
    return storage, transfer


def _parse_region(text: str) -> Optional[str]:
    code = _REGION_CODE_RE.search(text)
    if code:
        return code.group(1)
    for name, region in _REGION_NAMES:
        if name in text:
            return region
    return None


def parse_request(description: str) -> EstimateRequest:
    """Turn a free-text architecture description into an EstimateRequest."""
    text = _normalise(description)
    request = EstimateRequest(japanese=contains_japanese(description))

    request.instances = _parse_instances(text)
    if request.instances:
        request.instance_source = "named"
    else:
        # No explicit type: pick one from a size word, then look for a bare
        # count such as "3台" or "2 servers" to multiply it.
        itype = DEFAULT_INSTANCE_TYPE
        for pattern, candidate in _SIZE_KEYWORDS:
            found = re.search(pattern, text)
            if found:
                itype = candidate
                request.instance_source = "keyword"
                request.size_keyword = found.group(0)
                break
        count_match = _COUNT_GLOBAL_RE.search(text)
        count = int(count_match.group(1)) if count_match else 1
        request.instances = [(itype, max(count, 1))]

    request.storage_gb, request.transfer_gb = _parse_sizes(text)
    request.ssh = "ssh" in text
    request.public_ip = bool(_PUBLIC_IP_RE.search(text))
    request.region = _parse_region(text)
    return request
