"""The detector contract, and one vectorized pass from a text column to a frame of spans.

Each detector has a cheap prefilter in polars' (Rust) regex dialect and a Python finder.
The prefilters run over the whole column in Rust; the finders (exact patterns with
look-around, then Luhn, mod-97, range and parser checks) run only on the texts a
prefilter selected. A finder's matches must lie inside its prefilter's matches, so the
prefilter never hides a finding.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import polars as pl

#: One match of a finder: character start and end in the text.
Hit = tuple[int, int]


@dataclass(frozen=True)
class DetectOptions:
    """What to detect and how strictly; the checks' Options map onto this."""

    kinds: frozenset[str]
    #: Also flag private, loopback, link-local, documentation and reserved IP addresses.
    include_private_ips: bool = False
    #: Also flag addresses at RFC 2606 / RFC 6761 documentation domains (example.com).
    include_example_domains: bool = False
    #: Region for phone numbers written without a country code; None: only `+…` numbers.
    phone_region: str | None = "US"
    #: Shannon entropy (bits per character) a key/value token must exceed, per charset.
    entropy_base64: float = 4.5
    entropy_hex: float = 3.0
    entropy_min_length: int = 20


@dataclass(frozen=True)
class Detector:
    kind: str
    #: Rust-regex superset of what `find` returns (polars `str.contains`).
    prefilter: str
    find: Callable[[str, DetectOptions], Iterable[Hit]]
    #: Lower wins when two detections overlap (a provider key beats high entropy).
    priority: int = 50


@dataclass(frozen=True)
class RegexDetector:
    """A finder from one Python pattern (group `value`, else the whole match) + a validator."""

    pattern: re.Pattern[str]
    valid: Callable[[str, re.Match[str], DetectOptions], bool] = field(
        default=lambda text, match, options: True
    )

    def __call__(self, text: str, options: DetectOptions) -> Iterator[Hit]:
        for match in self.pattern.finditer(text):
            if self.valid(text, match, options):
                group = "value" if "value" in self.pattern.groupindex else 0
                yield match.span(group)


SPAN_SCHEMA = {
    "index": pl.UInt32,
    "kind": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
    "value": pl.String,
}


def combined_prefilter(detectors: Sequence[Detector]) -> str:
    """One Rust regex that every text holding a span of `detectors` matches."""
    return "|".join(f"(?:{d.prefilter})" for d in detectors)


def find_spans(
    texts: pl.Series | Sequence[str | None],
    options: DetectOptions,
    detectors: Sequence[Detector],
) -> pl.DataFrame:
    """Spans of sensitive values: index (into `texts`), kind, start, end (characters), value.

    Overlapping detections are resolved by detector priority, then by position, so every
    character belongs to at most one span. Values stay in memory: never print them
    (`mask`).
    """
    chosen = [d for d in detectors if d.kind in options.kinds]
    series = texts if isinstance(texts, pl.Series) else pl.Series("text", texts, pl.String)
    frame = pl.DataFrame({"text": series.cast(pl.String).fill_null("")}).with_row_index("index")
    if not chosen or frame.is_empty():
        return pl.DataFrame(schema=SPAN_SCHEMA)
    # One combined pass shortlists the texts; each detector's own prefilter then runs on
    # the shortlist only (most texts hold nothing and are read once, in Rust).
    shortlist = frame.filter(pl.col("text").str.contains(combined_prefilter(chosen)))
    if shortlist.is_empty():
        return pl.DataFrame(schema=SPAN_SCHEMA)
    flags = shortlist.select(
        "index", "text", *(pl.col("text").str.contains(d.prefilter).alias(d.kind) for d in chosen)
    )
    found: dict[int, list[tuple[int, int, int, str]]] = {}
    for detector in chosen:
        candidates = flags.filter(pl.col(detector.kind)).select("index", "text")
        for index, text in candidates.iter_rows():
            for start, end in detector.find(text, options):
                found.setdefault(index, []).append((detector.priority, start, end, detector.kind))
    rows: list[tuple[int, str, int, int, str]] = []
    texts_by_index = dict(flags.select("index", "text").iter_rows())
    for index, hits in sorted(found.items()):
        text = texts_by_index[index]
        for start, end, kind in resolve(hits):
            rows.append((index, kind, start, end, text[start:end]))
    return pl.DataFrame(rows, schema=SPAN_SCHEMA, orient="row")


def resolve(hits: Iterable[tuple[int, int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind), by priority then position, in text order."""
    kept: list[tuple[int, int, str]] = []
    for _, start, end, kind in sorted(hits, key=lambda h: (h[0], h[1], -h[2])):
        if end > start and all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, kind))
    return sorted(kept)


# --- shared validators ----------------------------------------------------------------------

#: Values that are documentation or templates, not data: `sk-xxxx`, `<your-key>`, `${TOKEN}`.
PLACEHOLDER_WORDS = re.compile(
    r"x{4}|\*{3}|\.{3}|example|sample|placeholder|redacted|dummy|your[-_ ]?(?:api[-_ ]?)?"
    r"(?:key|token|secret|password)|changeme|insert|replace[-_ ]?me|0{8}|12345678|abcdefgh",
    re.I,
)
TEMPLATE_START = tuple("[<{$%")
REPEATED = re.compile(r"(.)\1{5}")


def is_placeholder(value: str) -> bool:
    """A documentation value: an obvious filler word, a template, or a run of one character."""
    return (
        value.startswith(TEMPLATE_START)
        or PLACEHOLDER_WORDS.search(value) is not None
        or REPEATED.search(value) is not None
    )


def entropy(value: str) -> float:
    """Shannon entropy of `value`'s characters, in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def preceded_by(text: str, start: int, pattern: re.Pattern[str], window: int = 24) -> bool:
    """Whether the `window` characters before `start` end with `pattern` (anchored with `$`)."""
    return pattern.search(text[max(0, start - window) : start]) is not None


# --- showing a value without revealing it ------------------------------------------------------


def mask(value: str) -> str:
    """A short prefix and the length, e.g. `sk-p…(51 chars)`: never more than four
    characters, and never more than a quarter of the value."""
    shown = value[: min(4, len(value) // 4)]
    return f"{shown}…({len(value)} chars)"


def placeholder(kind: str) -> str:
    """What `ftaudit redact` writes instead of a value: `[EMAIL]`, `[AWS_KEY]` …"""
    return f"[{PLACEHOLDER_NAMES.get(kind, kind)}]"


#: Placeholders that read better than the kind's code.
PLACEHOLDER_NAMES = {"HIGH_ENTROPY": "SECRET"}


def masked_excerpt(text: str, spans: Sequence[tuple[int, int]], focus: int, width: int = 30) -> str:
    """`text` around span `focus`, every span in view replaced by its mask, on one line.

    The window widens to take in any span it would cut, so no part of a value shows.
    """
    start, end = spans[focus]
    lo, hi = max(0, start - width), min(len(text), end + width)
    for s, e in spans:
        if s < lo < e:
            lo = s
        if s < hi < e:
            hi = e
    parts: list[str] = []
    pos = lo
    for s, e in sorted(spans):
        if e <= lo or s >= hi:
            continue
        parts.append(text[pos:s])
        parts.append(mask(text[s:e]))
        pos = e
    parts.append(text[pos:hi])
    flat = re.sub(r"\s+", " ", "".join(parts)).strip()
    return ("…" if lo else "") + flat + ("…" if hi < len(text) else "")
