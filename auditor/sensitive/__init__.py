"""Personal data and secrets in texts: vectorized candidates, validated spans, masks.

`find_spans(texts, options)` returns a polars frame of spans (index into `texts`, kind,
character start/end, value); `mask(value)` is how a value may be shown, `placeholder(kind)`
what `ftaudit redact` writes instead. Values live in memory only: never print one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import polars as pl

from auditor.batch_engine import BatchEngine, joined_frames
from auditor.sensitive import credentials, pii
from auditor.sensitive.credentials import SECRET_KINDS
from auditor.sensitive.pii import PII_KINDS, check_region
from auditor.sensitive.spans import (
    SPAN_SCHEMA,
    DetectOptions,
    Detector,
    combined_prefilter,
    mask,
    masked_excerpt,
    placeholder,
)
from auditor.sensitive.spans import find_spans as _find_spans

__all__ = [
    "ALL_KINDS",
    "KIND_LABELS",
    "PII_KINDS",
    "SECRET_KINDS",
    "SPAN_SCHEMA",
    "DetectOptions",
    "all_detectors",
    "check_region",
    "find_spans",
    "mask",
    "mask_texts",
    "masked_excerpt",
    "placeholder",
    "prefilter",
]

ALL_KINDS = (*PII_KINDS, *SECRET_KINDS)

#: How findings name each kind.
KIND_LABELS = {
    "EMAIL": "email address",
    "PHONE": "phone number",
    "CARD": "payment card number",
    "IBAN": "IBAN",
    "SSN": "US social security number",
    "IP": "public IP address",
    "AWS_KEY": "AWS access key id",
    "AWS_SECRET": "AWS secret access key",
    "GITHUB_TOKEN": "GitHub token",
    "OPENAI_KEY": "OpenAI API key",
    "ANTHROPIC_KEY": "Anthropic API key",
    "SLACK_TOKEN": "Slack token",
    "STRIPE_KEY": "Stripe live key",
    "GOOGLE_API_KEY": "Google API key",
    "PRIVATE_KEY": "private key block",
    "JWT": "JSON Web Token",
    "PASSWORD": "password assignment",
    "HIGH_ENTROPY": "high-entropy token in a key/value pair",
}


def all_detectors() -> list[Detector]:
    return [*pii.detectors(), *credentials.detectors()]


def find_spans(
    texts: pl.Series | Sequence[str | None], options: DetectOptions | None = None
) -> pl.DataFrame:
    """Spans of every kind in `options.kinds` (all kinds by default); see spans.find_spans."""
    options = options or DetectOptions(kinds=frozenset(ALL_KINDS))
    return _find_spans(texts, options, all_detectors())


def find_spans_on(
    engine: BatchEngine, texts: pl.Series, options: DetectOptions, batch: int = 1 << 15
) -> pl.DataFrame:
    """find_spans over batches of `texts` on `engine`; a text's spans depend on it alone,
    so each batch's result only needs its index offset back."""
    if engine.in_process:  # its validators hold the GIL: threads would not help
        return find_spans(texts, options)
    parts = engine.map_texts(partial(find_spans, options=options), texts, batch=batch)
    return joined_frames(parts, "index", SPAN_SCHEMA)


def prefilter(options: DetectOptions) -> str | None:
    """One Rust regex every text holding a span of `options.kinds` matches; None: no kinds."""
    return combined_prefilter([d for d in all_detectors() if d.kind in options.kinds]) or None


def mask_texts(texts: list[str], options: DetectOptions | None = None) -> list[str]:
    """`texts` with every detected value replaced by its mask (same length and order).

    For whatever shows training text (a report's excerpts): one batch pass over them.
    """
    options = options or DetectOptions(kinds=frozenset(SECRET_KINDS))
    spans = find_spans(pl.Series("text", texts, pl.String), options)
    out = list(texts)
    for (index,), group in spans.group_by("index"):
        text = out[int(index)]
        for start, end in sorted(zip(group["start"], group["end"], strict=True), reverse=True):
            text = text[:start] + mask(text[start:end]) + text[end:]
        out[int(index)] = text
    return out
