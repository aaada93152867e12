"""What the embedding checks (FT401–FT404, FT505) share: reaching the embeddings, naming
the sample they were measured on, and pointing at the lines behind a sampled row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.check import Check, CheckResult, Metric
from auditor.config import Task
from auditor.context import AuditContext
from auditor.diversity import Interval
from auditor.embeddings import EmbeddingsUnavailable
from auditor.semantic import Embeddings, SideVectors

#: Tasks whose data is narrow by design: one kind of input, one shape of output.
NARROW_TASKS = frozenset(
    {Task.CLASSIFICATION, Task.EXTRACTION, Task.FORMATTING, Task.STYLE, Task.TOOL_USE}
)
#: Fewer sampled texts than this on a side, and a dataset-level metric says little.
MIN_TEXTS = 20


class EmbeddingCheck(Check):
    """A check that reads the audit's embeddings; `skipped` (with the reason and, when the
    extra is missing, the install command) when there are none."""

    def run(self, ctx: AuditContext) -> CheckResult:
        try:
            embedded = ctx.embeddings()
        except EmbeddingsUnavailable as exc:
            return self.skipped(str(exc))
        return self.measure(ctx, embedded)

    def measure(self, ctx: AuditContext, embedded: Embeddings) -> CheckResult:  # pragma: no cover
        raise NotImplementedError


def judged_sides(ctx: AuditContext, embedded: Embeddings) -> list[str]:
    """The train sides a dataset-level metric is judged on: prompts always; responses too
    unless the task is narrow by design (a classifier's answers are meant to be alike)."""
    train = embedded.train
    sides = [s for s in ("prompt", "response") if train.side(s).n >= MIN_TEXTS]
    if ctx.task.task in NARROW_TASKS and "prompt" in sides:
        sides = ["prompt"]
    return sides


def sample_metric(side: str, vectors: SideVectors) -> Metric:
    """How many texts of the side were embedded, of how many."""
    note = "a seeded random sample" if vectors.sampled else "every row"
    return Metric(
        name=f"embedded[{side}]", value=vectors.n, note=f"{note} of {vectors.population:,}"
    )


def interval_metric(
    name: str,
    interval: Interval,
    *,
    warn_at: float | None = None,
    fail_at: float | None = None,
    note: str = "",
) -> Metric:
    """A measured value with its 95% interval and sample size (judged by the interval)."""
    return Metric(
        name=name,
        value=round(interval.value, 4),
        low=round(interval.low, 4),
        high=round(interval.high, 4),
        sample=interval.n,
        warn_at=warn_at,
        fail_at=fail_at,
        note=note or None,
    )


def row_location(ctx: AuditContext, split: str, row: int) -> tuple[str, int]:
    """(file, line) of a split's row."""
    table = ctx.comparison if split == "train" else ctx.eval_comparison
    return str(table["file"][row]), int(table["line"][row])


@dataclass(frozen=True)
class Place:
    """Where a group of rows is: the first row's file and line, the others' lines in that
    file, and `elsewhere` ("b.jsonl:4, c.jsonl:9") for the rest."""

    file: str
    line: int
    related_lines: list[int]
    related_file: str | None
    elsewhere: list[str]

    def where(self) -> dict[str, Any]:
        """The Finding fields that say where the rows are."""
        return {
            "file": self.file,
            "line": self.line,
            "related_lines": self.related_lines,
            "related_file": self.related_file,
        }

    def mention(self) -> str:
        return f" (and {', '.join(self.elsewhere)})" if self.elsewhere else ""


def place_of(ctx: AuditContext, split: str, rows: list[int]) -> Place:
    """The Place of a split's rows, first row first; when every other row is in one other
    file, that file is the related file."""
    spots = [row_location(ctx, split, row) for row in rows]
    (file, line), others = spots[0], spots[1:]
    files = {f for f, _ in others}
    if others and files == {next(iter(files))} and file not in files:
        return Place(file, line, [n for _, n in others], others[0][0], [])
    same = [n for f, n in others if f == file]
    return Place(file, line, same, None, [f"{f}:{n}" for f, n in others if f != file])


def side_name(side: str) -> str:
    return "prompt" if side == "prompt" else "answer"
