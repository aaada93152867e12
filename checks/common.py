"""Shared helpers for the FT105–FT117 checks: share thresholds, findings, message tables.

Most of these checks judge the share of applicable rows they flag; `RowShareCheck` turns
that share into a status, a score and the standard metrics, so every check reads alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import ClassVar

import polars as pl
from pydantic import Field

from auditor.check import (
    Check,
    CheckResult,
    Finding,
    Metric,
    RateOptions,
    Severity,
    Status,
    status_from_rate,
)

#: What trainers strip as whitespace, plus the invisible characters that survive a
#: naive `.strip()` (zero-width space, BOM) and make a message look non-empty.
INVISIBLE = "".join(chr(c) for c in range(0x3000 + 1) if chr(c).isspace()) + (
    "\u200b\u200c\u200d\u2060\ufeff"
)


class ShareOptions(RateOptions):
    """Thresholds on the share of applicable rows a check flags; 0.0 means any row."""


class QualityOptions(ShareOptions):
    """Quality signals: warn on any row, fail once one row in twenty is affected.

    At 5% a defect is a pipeline bug that hit a whole slice (a template that was never
    rendered, an export that dropped a field), not a stray row to fix by hand.
    """

    fail_above: float = Field(0.05, ge=0.0, le=1.0, description="fail above this row share")


class RowShareCheck(Check):
    """Base for checks judged by the share of applicable rows they flag."""

    family: ClassVar[str] = "format"
    #: Severity of each finding: ERROR where a trainer rejects or mis-trains the row.
    severity: ClassVar[Severity] = Severity.ERROR

    class Options(ShareOptions):
        pass

    @property
    def thresholds(self) -> ShareOptions:
        assert isinstance(self.options, ShareOptions)
        return self.options

    def finding(
        self,
        file: str | None,
        line: int | None,
        message: str,
        *,
        path: str | None = None,
        excerpt: str | None = None,
        hint: str | None = None,
        category: str | None = None,
        related_lines: list[int] | None = None,
    ) -> Finding:
        return Finding(
            code=self.code,
            severity=self.severity,
            message=message,
            file=file,
            line=line,
            path=path,
            excerpt=excerpt,
            hint=hint,
            category=category,
            related_lines=related_lines or [],
        )

    def judge(
        self,
        findings: list[Finding],
        affected: int,
        applicable: int,
        *,
        rows: str,
        problem: str,
        clean: str,
        metrics: Iterable[Metric] = (),
    ) -> CheckResult:
        """Status, score and metrics from `affected` of `applicable` rows.

        `rows` names the applicable rows ("chat rows"), `problem` completes
        "N of M rows …", `clean` is the summary when nothing was flagged.
        """
        options = self.thresholds
        share = affected / applicable if applicable else 0.0
        status = status_from_rate(share, options.warn_above, options.fail_above)
        if affected:
            summary = f"{affected:,} of {applicable:,} {rows} ({share:.1%}) {problem}"
        else:
            summary = f"{clean} ({applicable:,} {rows})"
        standard = [
            Metric(name="affected_rows", value=affected),
            Metric(
                name="affected_share",
                value=round(share, 6),
                warn_at=options.warn_above,
                fail_at=options.fail_above,
            ),
            Metric(name="applicable_rows", value=applicable),
        ]
        return self.result(status, 1.0 - share, summary, [*standard, *metrics], findings)

    def not_applicable(self, reason: str) -> CheckResult:
        """A pass that says plainly the check had nothing to look at."""
        metrics = [
            Metric(name="affected_rows", value=0),
            Metric(name="applicable_rows", value=0),
        ]
        return self.result(Status.PASS, 1.0, f"not applicable: {reason}", metrics)


def clip(text: str | None, limit: int = 80) -> str | None:
    """A one-line excerpt: whitespace runs collapsed, cut at `limit` characters."""
    if text is None:
        return None
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def counted(counts: Mapping[str, int], top: int = 5) -> str:
    """`a×3, b×1` for the most common values (ties by name), for a metric."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{value}×{n}" for value, n in ranked[:top])
    return shown + (f", +{len(ranked) - top} more" if len(ranked) > top else "")


#: A text of nothing but INVISIBLE characters (or nothing at all).
_BLANK = "^[" + "".join(f"\\x{{{ord(c):X}}}" for c in INVISIBLE) + "]*$"


def is_blank(column: str | pl.Expr) -> pl.Expr:
    """Null, empty, or only whitespace and invisible characters.

    A match, not a strip: stripping copied every text first (1M chat rows: ~0.5 GB more
    at the audit's peak, for a yes or no).
    """
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.fill_null("").str.contains(_BLANK)


def has_messages() -> pl.Expr:
    return pl.col("messages").list.len() > 0


def role_codes() -> pl.Expr:
    """Each row's roles as one character per message, for sequence rules as regexes.

    s system, u user, a assistant, c assistant with tool calls, t tool, ? anything else.
    """
    message = pl.element().struct
    role = message.field("role")
    calls = message.field("tool_calls").list.len().fill_null(0)
    code = (
        pl.when(role == "system")
        .then(pl.lit("s"))
        .when(role == "user")
        .then(pl.lit("u"))
        .when((role == "assistant") & (calls > 0))
        .then(pl.lit("c"))
        .when(role == "assistant")
        .then(pl.lit("a"))
        .when(role == "tool")
        .then(pl.lit("t"))
        .otherwise(pl.lit("?"))
    )
    return pl.col("messages").list.eval(code).list.join("").alias("codes")


#: A per-message condition, written once against a field getter so it can run both
#: inside `list.eval` (a cheap per-row prefilter) and on the exploded message table.
MessagePredicate = Callable[[Callable[[str], pl.Expr]], pl.Expr]


def message_table(
    frame: pl.DataFrame,
    *fields: str,
    where: MessagePredicate | None = None,
    **row_columns: pl.Expr,
) -> pl.DataFrame:
    """One row per message: row (index into frame), file, line, pos, then `fields`.

    `where` keeps only the messages it holds for; rows without such a message are
    dropped before exploding, which is ~10x faster than exploding every message.
    `row_columns` are per-row expressions repeated on each of the row's messages.
    """
    rows = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
        "file",
        "line",
        "messages",
        **row_columns,
    )
    if where is not None:
        element = pl.element().struct.field
        rows = rows.filter(pl.col("messages").list.eval(where(element)).list.any())
    table = (
        rows.explode("messages")
        # Older polars explodes an empty list into a null; newer drops the row.
        .filter(pl.col("messages").is_not_null())
        .with_columns(pos=pl.int_range(pl.len()).over("row"))
    )
    if where is not None:
        table = table.filter(where(pl.col("messages").struct.field))
    message = pl.col("messages").struct
    return table.select(
        "row",
        "file",
        "line",
        "pos",
        *(message.field(name) for name in fields),
        *row_columns,
    )


def tool_call_table(
    frame: pl.DataFrame, where: MessagePredicate | None = None, **row_columns: pl.Expr
) -> pl.DataFrame:
    """One row per tool call: row, file, line, pos (message), call (index), id, name, arguments.

    `where` narrows the messages further (it must hold only for messages with calls)."""
    call = pl.col("call_struct").struct
    return (
        message_table(
            frame,
            "tool_calls",
            where=where or (lambda m: m("tool_calls").list.len().fill_null(0) > 0),
            **row_columns,
        )
        .explode("tool_calls")
        .rename({"tool_calls": "call_struct"})
        .with_columns(call=pl.int_range(pl.len()).over("row", "pos"))
        .select(
            "row",
            "file",
            "line",
            "pos",
            "call",
            call.field("id"),
            call.field("name"),
            call.field("arguments"),
            *row_columns,
        )
    )


def content_texts(frame: pl.DataFrame, pattern: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The content fields `pattern` matches, as (row, file, line, path, role, text): the
    messages (by role), then the other fields (a plain row's `text`, a preference pair's
    answers). Filtered in polars before any row is exploded."""
    messages = message_table(
        frame, "role", "content", where=lambda m: m("content").str.contains(pattern)
    ).select(
        "row",
        "file",
        "line",
        pl.format("messages[{}].content", "pos").alias("path"),
        pl.col("role").fill_null("unknown"),
        pl.col("content").alias("text"),
    )
    indexed = frame.with_row_index("row")
    bare = indexed.filter(~has_messages())
    # A chat-shaped pair's chosen answer is its last assistant message, among the messages.
    answer = {"role": pl.lit("assistant")}
    fields = [
        bare.select("row", "file", "line", path=pl.lit("text"), role=pl.lit("text"), text="text"),
        bare.filter(pl.col("chosen").is_not_null()).select(
            "row", "file", "line", path=pl.lit("chosen"), **answer, text="chosen"
        ),
        indexed.filter(pl.col("rejected").is_not_null()).select(
            "row", "file", "line", path=pl.lit("rejected"), **answer, text="rejected"
        ),
    ]
    others = pl.concat(fields).filter(pl.col("text").str.contains(pattern))
    return messages, others


def call_path(pos: int, call: int, field: str) -> str:
    return f"messages[{pos}].tool_calls[{call}].{field}"
