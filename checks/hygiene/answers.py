"""The trained answers FT603–FT605 read: one table per audit, shared by the three."""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from auditor.context import AuditContext
from auditor.formats import PREFERENCE_FORMATS
from checks.common import (
    has_messages,
    is_blank,
    message_table,
)


def is_trained_answer(field: Callable[[str], pl.Expr]) -> pl.Expr:
    """An assistant message with content that the loss sees (OpenAI's `weight: 0` is not)."""
    return (
        (field("role") == "assistant")
        & ~is_blank(field("content"))
        & (field("weight").is_null() | (field("weight") > 0))
    )


def last_assistant_pos() -> pl.Expr:
    """The index of each row's last assistant message (null without one)."""
    roles = pl.col("messages").list.eval(pl.element().struct.field("role") == "assistant")
    return roles.list.eval(pl.int_range(pl.len()).filter(pl.element())).list.last()


def answer_table(frame: pl.DataFrame) -> pl.DataFrame:
    """The trained answers of chat-shaped rows: row, file, line, pos, path, text, tool_calls.

    Every trained assistant turn of a chat row (SFT trains them all unless `weight: 0`);
    of a preference row only the chosen answer (its last assistant turn: earlier ones
    are prompt, and `rejected` is dispreferred by design); a KTO row labelled
    undesirable has no trained answer.
    """
    chosen_only = pl.col("format").is_in(sorted(PREFERENCE_FORMATS))
    rows = frame.filter(has_messages() & pl.col("label").fill_null(True))
    table = message_table(
        rows,
        "content",
        "tool_calls",
        where=is_trained_answer,
        preference=chosen_only,
        last=pl.when(chosen_only).then(last_assistant_pos()),
    )
    # `row` indexes `rows`; callers count rows, so the original row numbers are not needed.
    return table.filter(~pl.col("preference") | (pl.col("pos") == pl.col("last"))).select(
        "row",
        "file",
        "line",
        "pos",
        pl.format("messages[{}].content", "pos").alias("path"),
        pl.col("content").alias("text"),
        "tool_calls",
    )


def trained_answers(ctx: AuditContext, *, final_only: bool = False) -> pl.DataFrame:
    """`answer_table` of the train rows, built once per audit for every check that reads
    it; `final_only` keeps each row's last trained answer."""
    key = ("hygiene", "trained-answers")
    if key not in ctx.artifacts:
        ctx.artifacts[key] = answer_table(ctx.train)
    table: pl.DataFrame = ctx.artifacts[key]
    if final_only:
        return table.filter(pl.col("pos") == pl.col("pos").max().over("row"))
    return table


def apostrophes(pattern: str) -> str:
    """A phrase pattern with straight/curly apostrophes and any whitespace run matched."""
    return pattern.replace("'", "['’‘ʼ]").replace(" ", r"\s+")


def tail_excerpt(text: str, limit: int = 60) -> str:
    """The last `limit` characters of a text, flattened to one line."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else "…" + flat[-limit:].lstrip()
