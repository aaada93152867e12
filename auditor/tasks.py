"""Guess the fine-tuning task from the data when `--task` is not given.

The task only tunes thresholds (the size bands of FT201), so a cheap, explainable guess
beats a clever one: a few polars expressions over a seeded sample of rows, checked in a
fixed order, the first rule that fits wins, and the reason says what was measured.
"""

from __future__ import annotations

import polars as pl

from auditor.config import Task

#: Rows looked at; the shares and medians below are stable well before this.
SAMPLE_ROWS = 5_000
#: Share of rows that must be preference pairs / use tools for that task to win.
PREFERENCE_SHARE = 0.5
TOOL_SHARE = 0.25
#: Classification: nearly all final outputs this short, from a vocabulary this small.
LABEL_MAX_WORDS = 4
LABEL_SHORT_SHARE = 0.9
LABEL_MAX_DISTINCT = 50
#: Extraction: this share of final outputs is a JSON object or array.
JSON_SHARE = 0.5
#: General chat: this share of rows has two or more user turns.
MULTI_TURN_SHARE = 0.3
#: Generation: the median final output has at least this many words (~200 tokens).
LONG_OUTPUT_WORDS = 150


def infer_task(frame: pl.DataFrame) -> tuple[Task, str]:
    """The most likely task of a canonical frame, and the reason in words."""
    if frame.is_empty():
        return Task.GENERAL, "no rows to judge; fell back to general"
    if frame.height <= SAMPLE_ROWS:
        return _infer(frame)
    task, reason = _infer(frame.sample(SAMPLE_ROWS, seed=0))
    return task, f"{reason} (in a seeded {SAMPLE_ROWS:,}-row sample)"


def _infer(sample: pl.DataFrame) -> tuple[Task, str]:
    role = pl.element().struct.field("role")
    calls = pl.element().struct.field("tool_calls").list.len().fill_null(0)
    answer = pl.col("response").fill_null("").str.strip_chars()
    # JSON may come fenced as ```json … ```; strip the fence before looking at the braces.
    unfenced = answer.str.replace(r"^```(?:json)?\s*", "").str.replace(r"\s*```$", "")
    stats = sample.select(
        (pl.col("chosen").is_not_null() | pl.col("rejected").is_not_null()).mean().alias("pairs"),
        pl.col("label").is_not_null().mean().alias("labelled"),
        (
            (pl.col("tools").list.len().fill_null(0) > 0)
            | pl.col("messages")
            .list.eval((calls > 0) | role.is_in(["tool", "function"]))
            .list.any()
            .fill_null(False)
        )
        .mean()
        .alias("tools"),
        (pl.col("messages").list.eval(role == "user").list.sum().fill_null(0) >= 2)
        .mean()
        .alias("multi_turn"),
    ).row(0, named=True)

    pairs = max(stats["pairs"], stats["labelled"])
    if pairs >= PREFERENCE_SHARE:
        kind = "chosen/rejected pairs" if stats["pairs"] >= stats["labelled"] else "labelled"
        return Task.PREFERENCE, f"{_pct(pairs)} of rows are preference data ({kind})"
    if stats["tools"] >= TOOL_SHARE:
        return Task.TOOL_USE, f"{_pct(stats['tools'])} of rows declare tools or call them"

    answers = sample.select(answer.alias("answer"), unfenced.alias("unfenced")).filter(
        pl.col("answer") != ""
    )
    if answers.is_empty():
        return Task.GENERAL, "no final assistant outputs to judge; fell back to general"
    measured = answers.select(
        pl.col("answer").str.count_matches(r"\S+").median().alias("median_words"),
        (pl.col("answer").str.count_matches(r"\S+") <= LABEL_MAX_WORDS).mean().alias("short"),
        pl.col("answer").str.to_lowercase().n_unique().alias("distinct"),
        (
            (pl.col("unfenced").str.starts_with("{") & pl.col("unfenced").str.ends_with("}"))
            | (pl.col("unfenced").str.starts_with("[") & pl.col("unfenced").str.ends_with("]"))
        )
        .mean()
        .alias("json"),
    ).row(0, named=True)
    distinct = int(measured["distinct"])
    median_words = float(measured["median_words"])

    # A label vocabulary is small in absolute terms and repeats: each label seen twice+.
    if (
        measured["short"] >= LABEL_SHORT_SHARE
        and distinct <= LABEL_MAX_DISTINCT
        and distinct * 2 <= answers.height
    ):
        return Task.CLASSIFICATION, (
            f"{_pct(measured['short'])} of final outputs are ≤ {LABEL_MAX_WORDS} words, "
            f"from {distinct} distinct labels"
        )
    if measured["json"] >= JSON_SHARE:
        return Task.EXTRACTION, f"{_pct(measured['json'])} of final outputs are JSON"
    if stats["multi_turn"] >= MULTI_TURN_SHARE:
        return Task.GENERAL, f"{_pct(stats['multi_turn'])} of rows are multi-turn conversations"
    if median_words >= LONG_OUTPUT_WORDS:
        return Task.GENERATION, f"long outputs: the median final output is {median_words:.0f} words"
    return Task.GENERAL, (
        f"no task-specific signal (mostly single-turn, median output {median_words:.0f} "
        "words); fell back to general — pass --task to set it"
    )


def _pct(share: float) -> str:
    return f"{share:.0%}"
