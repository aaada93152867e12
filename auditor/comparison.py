"""The texts duplicate and leakage checks compare: normalized, role-aware views of each row.

Three views per row, reported separately by the checks:
- `prompt`: what the model is asked — the conversation before the final answer, with the
  system prompt left out when most rows share it (templated data would otherwise look
  like one big cluster of near-copies);
- `response`: the final answer (for preference rows, the chosen one);
- `example`: the whole row as rendered (every turn, shared system prompt left out).

Normalization is what makes "the same" mean the same to a person: Unicode NFKC,
lower case, and runs of whitespace collapsed to one space.
"""

from __future__ import annotations

import polars as pl

#: A system prompt shared by at least this share of rows is template, not content.
SHARED_SYSTEM_SHARE = 0.5
VIEWS = ("prompt", "response", "example")


def normalized(expr: pl.Expr) -> pl.Expr:
    """NFKC, lower case, whitespace collapsed, trimmed; null becomes ""."""
    return (
        expr.fill_null("")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def shared_system_prompt(frame: pl.DataFrame) -> str | None:
    """The system prompt at least SHARED_SYSTEM_SHARE of rows carry, if there is one."""
    if frame.is_empty():
        return None
    top = frame.select(pl.col("system").drop_nulls().mode().first()).item()
    if top is None:
        return None
    share = frame.select((pl.col("system") == top).sum()).item() / frame.height
    return str(top) if share >= SHARED_SYSTEM_SHARE else None


def comparison_views(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per input row: `prompt`, `response`, `example`, all normalized."""
    shared = shared_system_prompt(frame)
    prompt = _without_shared_system(pl.col("prompt"), shared)
    # The whole rendered row, so turns after the final answer still count.
    whole = _without_shared_system(pl.coalesce(pl.col("text"), pl.col("prompt")), shared)
    response = pl.coalesce(pl.col("chosen"), pl.col("response"), pl.col("text"))
    return frame.select(
        normalized(prompt).alias("prompt"),
        normalized(response).alias("response"),
        normalized(whole).alias("example"),
    )


def _without_shared_system(rendered: pl.Expr, shared: str | None) -> pl.Expr:
    """Drop the leading "system: <shared prompt>" line that formats.render writes."""
    rendered = rendered.fill_null("")
    if shared is None:
        return rendered
    prefix = f"system: {shared}\n"
    return (
        pl.when(rendered.str.starts_with(prefix))
        .then(rendered.str.slice(len(prefix)))
        .otherwise(rendered)
    )
