"""Exact duplicate groups, and the remediation behind `ftaudit dedup data.jsonl -o clean.jsonl`.

The grouping helpers here serve both the FT3xx checks and `dedup_file`, so the rows a
report calls duplicates are exactly the rows dedup removes.

Texts are grouped by a stable 64-bit hash (polars `hash(seed=0)`, never Python's salted
`hash()`); equal hashes are only candidates, and the candidates are grouped again on the
text itself, so a hash collision can never merge two different rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from auditor.comparison import DUPLICATE_KEY, comparison_table
from auditor.config import ConfigError
from auditor.dataset import load_dataset
from auditor.formats import KeyMapping
from auditor.minhash import MinHashParams, near_duplicate_clusters
from auditor.remedy import (
    refuse_overwrite,
    require_one_record_per_line,
    unreadable_lines,
    write_lines,
)

#: How many removed lines `format_summary` lists.
SHOWN_REMOVALS = 20

Hasher = Callable[[pl.Expr], pl.Expr]


def stable_hash(expr: pl.Expr) -> pl.Expr:
    """A hash that is the same in every process (seed fixed), unlike Python's hash()."""
    return expr.hash(seed=0)


def exact_groups(
    table: pl.DataFrame,
    column: str | pl.Expr,
    *,
    within: Sequence[str] = ("template",),
    hasher: Hasher = stable_hash,
) -> pl.DataFrame:
    """Groups of rows of `table` whose `column` texts are identical (empty texts skipped).

    Rows are grouped only with rows that also agree on the `within` columns present in
    `table` (by default the system-prompt template: the same question under two system
    prompts is two examples). One row per group: `rows` (the `row` values, ascending),
    `size`, `first`; groups in order of their first row. `hasher` is a parameter so tests
    can force collisions.
    """
    text = pl.col(column) if isinstance(column, str) else column
    same = [name for name in within if name in table.columns]
    texts = table.select("row", *same, text.alias("text")).filter(pl.col("text") != "")
    candidates = texts.with_columns(hasher(pl.col("text")).alias("hash")).filter(
        pl.len().over("hash", *same) > 1
    )
    # Equal hashes are only candidates: grouping on the text itself rules out collisions.
    groups = candidates.group_by("hash", *same, "text").agg(pl.col("row").sort().alias("rows"))
    return (
        groups.filter(pl.col("rows").list.len() > 1)
        .select(
            "rows",
            pl.col("rows").list.len().alias("size"),
            pl.col("rows").list.first().alias("first"),
        )
        .sort("first")
    )


def duplicate_rows(groups: pl.DataFrame) -> int:
    """Rows beyond the first in each group: rows − distinct, among the grouped texts."""
    return int(groups["size"].sum() - groups.height) if groups.height else 0


# --- remediation ---------------------------------------------------------------------------


@dataclass
class DedupSummary:
    """What `dedup_file` read, kept and removed (line numbers are the input's)."""

    input: str
    output: str
    rows_read: int = 0
    rows_kept: int = 0
    #: (removed line, the line it duplicates and that was kept), in input order.
    removed: list[tuple[int, int]] = field(default_factory=list)
    groups: int = 0
    exact_groups: int = 0
    near_clusters: int = 0
    #: Lines left out because they could not be read (FT0xx errors, blank lines).
    unreadable: int = 0
    lines_written: int = 0
    notes: list[str] = field(default_factory=list)


def dedup_file(
    path: Path,
    output: Path,
    *,
    keep: Literal["first", "longest"] = "first",
    near: bool = True,
    keys: KeyMapping | None = None,
    params: MinHashParams | None = None,
) -> DedupSummary:
    """Write `path` without its duplicate rows to `output`, atomically; `path` is untouched.

    Kept lines are copied byte for byte (a `.json` array becomes JSON Lines, one compact
    element per line). Unreadable lines are left out and counted; rows in no known format
    are not compared and are kept as they are. `params` are the near-duplicate settings
    (`ftaudit dedup` passes FT302's configured ones, so it removes what the audit reports).
    Raises ConfigError when `output` is `path`, auditor.io.InputError when `path` cannot be
    read at all.
    """
    path, output = Path(path), Path(output)
    if keep not in ("first", "longest"):
        raise ConfigError(f"keep must be 'first' or 'longest', not {keep!r}")
    refuse_overwrite(path, output)
    dataset = load_dataset([path], keys=keys)
    frame = dataset.train
    require_one_record_per_line(path, frame.get_column("line").to_list())
    summary = DedupSummary(input=str(path), output=str(output), rows_read=frame.height)
    table = comparison_table(frame)
    clusters = [list(rows) for rows in exact_groups(table, DUPLICATE_KEY)["rows"].to_list()]
    summary.exact_groups = len(clusters)
    if near and frame.height > 1:
        # Rows with nothing to compare never join a cluster (MinHash of "" matches "").
        texts = table.filter(DUPLICATE_KEY != "").select("row", "example")
        index = texts["row"].to_list()
        found = [
            [index[i] for i in cluster.members]
            for cluster in near_duplicate_clusters(texts["example"], params).clusters
        ]
        summary.near_clusters = len(found)
        clusters += found
    merged = merge_clusters(clusters)
    summary.groups = len(merged)
    lines = table["line"].to_list()
    lengths = table["response_chars"].to_list()
    removed_rows: dict[int, int] = {}
    for members in merged:
        kept = choose(members, lengths, keep)
        removed_rows.update({row: kept for row in members if row != kept})
    summary.removed = sorted((lines[row], lines[kept]) for row, kept in removed_rows.items())
    summary.rows_kept = frame.height - len(removed_rows)
    bad_lines = unreadable_lines(dataset.load_findings)
    summary.unreadable = len(bad_lines)
    drop = bad_lines | {line for line, _ in summary.removed}
    summary.lines_written = write_lines(path, output, drop)
    return summary


def merge_clusters(clusters: Iterable[Sequence[int]]) -> list[list[int]]:
    """Union overlapping clusters (exact groups and near clusters may share rows)."""
    parent: dict[int, int] = {}

    def root(row: int) -> int:
        parent.setdefault(row, row)
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = parent[row]
        return row

    for cluster in clusters:
        members = list(cluster)
        for row in members[1:]:
            a, b = root(members[0]), root(row)
            if a != b:
                parent[max(a, b)] = min(a, b)
    merged: dict[int, list[int]] = {}
    for row in parent:
        merged.setdefault(root(row), []).append(row)
    return sorted((sorted(m) for m in merged.values() if len(m) > 1), key=lambda m: m[0])


def choose(members: Sequence[int], lengths: Sequence[int], keep: str) -> int:
    """The row a group keeps: its first, or the one with the longest response (first on ties)."""
    if keep == "longest":
        return min(members, key=lambda row: (-lengths[row], row))
    return min(members)


def format_summary(summary: DedupSummary) -> str:
    """What dedup did, for the CLI: counts, then the first removed lines and their originals."""
    removed = len(summary.removed)
    detail = f"{summary.exact_groups:,} exact"
    if summary.near_clusters:
        detail += f", {summary.near_clusters:,} near-duplicate"
    lines = [
        f"read {summary.rows_read:,} rows from {summary.input}",
        f"removed {removed:,} duplicate row(s) in {summary.groups:,} group(s) ({detail})",
    ]
    if summary.unreadable:
        lines.append(f"left out {summary.unreadable:,} unreadable line(s)")
    lines.append(f"wrote {summary.lines_written:,} line(s) to {summary.output}")
    lines += [f"note: {note}" for note in summary.notes]
    for line, kept in summary.removed[:SHOWN_REMOVALS]:
        lines.append(f"  line {line}: duplicate of line {kept}")
    if removed > SHOWN_REMOVALS:
        lines.append(f"  … and {removed - SHOWN_REMOVALS:,} more")
    return "\n".join(lines)
