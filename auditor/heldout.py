"""Remedies for held-out leakage: `ftaudit split` and `ftaudit decontaminate`.

Both reach the leakage checks through the registry (never by importing one), so a split
is verified, and a training file cleaned, by exactly the checks the audit runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from auditor.check import Check
from auditor.comparison import DUPLICATE_KEY, comparison_table
from auditor.config import AuditConfig, ConfigError
from auditor.context import AuditContext
from auditor.dataset import Dataset, DatasetFile, load_dataset
from auditor.dedup import exact_groups, merge_clusters
from auditor.engine import run_checks
from auditor.minhash import MinHashParams, near_duplicate_clusters
from auditor.registry import configured, select_checks
from auditor.remedy import (
    is_json_array,
    refuse_overwrite,
    require_one_record_per_line,
    unreadable_lines,
    write_lines,
)
from auditor.report import Report

#: The leakage checks a split must pass, and `decontaminate`'s methods.
METHODS = {"exact": "FT502", "near": "FT503", "ngram": "FT504"}
SHOWN = 20


@dataclass
class SplitSummary:
    input: str
    train_output: str
    eval_output: str
    rows: int = 0
    train_rows: int = 0
    eval_rows: int = 0
    groups: int = 0
    grouped_rows: int = 0
    moved_back: int = 0
    unreadable: int = 0
    unknown: int = 0


def leak_checks(config: AuditConfig, codes: Sequence[str]) -> list[Check]:
    """The configured leakage checks of `codes`, from the registry."""
    chosen = config.model_copy(update={"select": list(codes), "ignore": [], "extend_select": []})
    return [c for c in select_checks(chosen) if c.code in codes]


def near_params(config: AuditConfig) -> MinHashParams:
    """FT302's configured MinHash settings, so a split keeps FT302's clusters together."""
    check = configured("FT302", config)
    params = check.minhash_params() if check is not None else None
    return params or MinHashParams()


def split_file(
    path: Path,
    out_dir: Path,
    *,
    eval_fraction: float,
    seed: int,
    config: AuditConfig,
) -> SplitSummary:
    """Split `path` into `out_dir/train.jsonl` and `out_dir/eval.jsonl` with no leak.

    Rows are grouped first (exact duplicates and FT302's near-duplicate clusters of whole
    examples); whole groups are drawn for eval in a seeded order until the fraction is
    reached. The split is then checked with FT502–FT504; any eval row they still find
    leaked (a shared prompt, answer or long span) goes back to train with its group,
    until they find none. Every readable row lands in exactly one file, byte for byte;
    lines in no known format stay with train; unreadable lines are left out.
    """
    if not 0.0 < eval_fraction < 1.0:
        raise ConfigError(f"--eval-fraction must be between 0 and 1, not {eval_fraction}")
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = ".jsonl.gz" if path.name.endswith(".gz") else ".jsonl"
    train_out, eval_out = out_dir / f"train{suffix}", out_dir / f"eval{suffix}"
    for output in (train_out, eval_out):
        refuse_overwrite(path, output)
    from auditor.api import key_mapping

    dataset = load_dataset([path], keys=key_mapping(config), max_line_bytes=config.max_line_bytes)
    frame = dataset.train
    require_one_record_per_line(path, frame.get_column("line").to_list())
    if frame.height < 2:
        raise ConfigError(f"{path}: a split needs at least 2 readable rows, not {frame.height}")
    summary = SplitSummary(str(path), str(train_out), str(eval_out), rows=frame.height)
    groups = row_groups(frame, near_params(config))
    summary.groups = sum(1 for g in groups if len(g) > 1)
    summary.grouped_rows = sum(len(g) for g in groups if len(g) > 1)
    in_eval = draw_eval(groups, frame.height, eval_fraction, seed)
    if not in_eval.any():
        smallest = min(len(g) for g in groups)
        raise ConfigError(
            f"{path}: cannot draw {eval_fraction:.0%} of {frame.height:,} rows for eval: the "
            f"smallest group of duplicates holds {smallest:,} rows; raise --eval-fraction "
            "or run `ftaudit dedup` first"
        )
    checks = leak_checks(config, list(METHODS.values()))
    group_of = np.empty(frame.height, dtype=np.int64)
    for index, members in enumerate(groups):
        group_of[members] = index
    # Each round moves at least one group back, so this ends; usually after one round.
    while (
        leaked := leaked_eval_rows(frame, in_eval, checks, config, str(train_out), str(eval_out))
    ).size:
        back = np.isin(group_of, group_of[leaked])
        summary.moved_back += int((back & in_eval).sum())
        in_eval &= ~back
    if not in_eval.any():
        raise ConfigError(
            f"{path}: no leak-free eval split: every row drawn for eval shares a prompt, "
            f"answer or long span with the training rows ({summary.moved_back:,} moved "
            "back); the rows are near-copies of each other — run `ftaudit dedup` first"
        )
    lines = frame.get_column("line").to_numpy()
    bad = unreadable_lines(dataset.load_findings)
    summary.unreadable = len(bad)
    summary.unknown = sum(1 for f in dataset.load_findings if f.code == "FT101")
    eval_lines = {int(x) for x in lines[in_eval]}
    summary.eval_rows = int(in_eval.sum())
    summary.train_rows = frame.height - summary.eval_rows
    write_lines(path, train_out, bad | eval_lines)
    write_lines(path, eval_out, bad, keep=eval_lines)
    return summary


def row_groups(frame: pl.DataFrame, params: MinHashParams) -> list[list[int]]:
    """Rows that must stay on one side: exact and near-duplicate groups, then singletons."""
    table = comparison_table(frame)
    clusters = [list(rows) for rows in exact_groups(table, DUPLICATE_KEY)["rows"].to_list()]
    texts = table.filter(DUPLICATE_KEY != "").select("row", "example")
    index = texts["row"].to_list()
    clusters += [
        [index[i] for i in cluster.members]
        for cluster in near_duplicate_clusters(texts["example"], params).clusters
    ]
    merged = merge_clusters(clusters)
    grouped = {row for members in merged for row in members}
    return merged + [[row] for row in range(frame.height) if row not in grouped]


def draw_eval(groups: list[list[int]], rows: int, fraction: float, seed: int) -> np.ndarray:
    """Eval membership: whole groups in a seeded order, until `fraction` of rows is eval;
    at least one row stays in train."""
    target = min(max(1, round(fraction * rows)), rows - 1) if rows > 1 else 0
    in_eval = np.zeros(rows, dtype=bool)
    taken = 0
    for index in np.random.default_rng(seed).permutation(len(groups)):
        members = groups[int(index)]
        if taken + len(members) <= target:
            in_eval[members] = True
            taken += len(members)
        if taken >= target:
            break
    return in_eval


def leaked_eval_rows(
    frame: pl.DataFrame,
    in_eval: np.ndarray,
    checks: Sequence[Check],
    config: AuditConfig,
    train_name: str,
    eval_name: str,
) -> np.ndarray:
    """Rows (of `frame`) in eval that FT502–FT504 find leaked from the train side."""
    rows = np.arange(frame.height)
    train = frame.filter(pl.Series(~in_eval)).with_columns(file=pl.lit(train_name))
    evals = frame.filter(pl.Series(in_eval)).with_columns(file=pl.lit(eval_name))
    if train.is_empty() or evals.is_empty():
        return np.zeros(0, dtype=np.int64)
    files = [
        DatasetFile(train_name, "train", "", "", train.height, train.height),
        DatasetFile(eval_name, "eval", "", "", evals.height, evals.height),
    ]
    ctx = AuditContext(Dataset(train, evals, files), config.model_copy(update={"max_findings": 0}))
    results = run_checks(ctx, list(checks))
    lines = {
        f.line
        for result in results
        for f in result.findings
        if f.file == eval_name and f.line is not None and f.category != "template"
    }
    line_of = frame.get_column("line").to_numpy()
    return rows[in_eval & np.isin(line_of, list(lines))]


# --- decontaminate --------------------------------------------------------------------------


#: Why a train line was removed: (check code, eval file, eval line, side).
Reason = tuple[str, str, int, str]


@dataclass
class DecontaminationSummary:
    input: str
    output: str
    rows_read: int = 0
    lines_written: int = 0
    #: Removed train line → why: (code, eval file, eval line, side).
    removed: dict[int, list[Reason]] = field(default_factory=dict)
    unreadable: int = 0


def decontaminate_file(
    path: Path,
    eval_paths: Sequence[Path],
    output: Path,
    *,
    methods: Sequence[str],
    config: AuditConfig,
) -> DecontaminationSummary:
    """Write `path` without the train rows that the chosen leakage checks find leaked into
    any eval file; template overlaps are not leaks and stay."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ConfigError(
            f"unknown method(s) {', '.join(unknown) or '(none)'}; choose from " + ", ".join(METHODS)
        )
    if not eval_paths:
        raise ConfigError("decontaminate needs at least one --eval file")
    refuse_overwrite(path, output)
    for eval_path in eval_paths:
        refuse_overwrite(Path(eval_path), output)
    from auditor.api import audit, key_mapping

    codes = [METHODS[m] for m in methods]
    chosen = config.model_copy(
        update={"select": codes, "ignore": [], "extend_select": [], "max_findings": 0}
    )
    chosen = chosen.model_copy(update={"discover_eval": False})
    if is_json_array(path):
        # JSON Lines hold one record per line by construction; an array may not.
        frame = load_dataset([path], keys=key_mapping(config)).train
        require_one_record_per_line(path, frame.get_column("line").to_list())
    report = audit([path], list(eval_paths), chosen)
    summary = DecontaminationSummary(str(path), str(output))
    summary.rows_read = next((d.rows for d in report.datasets if d.split == "train"), 0)
    record_leaks(report, codes, str(path), summary.removed)
    # The always-on FT0xx checks report the lines that hold no record.
    bad = unreadable_lines(
        f
        for result in report.checks
        if result.code.startswith("FT0")
        for f in result.findings
        if f.file == str(path)
    )
    summary.unreadable = len(bad)
    summary.lines_written = write_lines(path, output, bad | set(summary.removed))
    return summary


def record_leaks(
    report: Report, codes: Sequence[str], path: str, removed: dict[int, list[Reason]]
) -> None:
    """Add the train lines that `codes` found leaked (template overlaps are not leaks)."""
    for result in report.checks:
        if result.code not in codes:
            continue
        for finding in result.findings:
            if finding.category == "template" or finding.line is None:
                continue
            if finding.related_file not in (None, path):
                continue
            for line in finding.related_lines:
                removed.setdefault(line, []).append(
                    (result.code, finding.file or "", finding.line, finding.path or "")
                )


def format_decontamination(summary: DecontaminationSummary) -> str:
    lines = [
        f"read {summary.rows_read:,} rows from {summary.input}",
        f"removed {len(summary.removed):,} train row(s) found in the eval set(s)",
    ]
    if summary.unreadable:
        lines.append(f"left out {summary.unreadable:,} unreadable line(s)")
    lines.append(f"wrote {summary.lines_written:,} line(s) to {summary.output}")
    for line in sorted(summary.removed)[:SHOWN]:
        reasons = summary.removed[line]
        code, eval_file, eval_line, side = reasons[0]
        more = f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
        lines.append(f"  line {line}: {code} {side} leak into {eval_file}:{eval_line}{more}")
    if len(summary.removed) > SHOWN:
        lines.append(f"  … and {len(summary.removed) - SHOWN:,} more")
    return "\n".join(lines)


def format_split(summary: SplitSummary) -> str:
    lines = [
        f"read {summary.rows:,} rows from {summary.input}",
        f"kept {summary.grouped_rows:,} rows of {summary.groups:,} duplicate group(s) "
        "on one side each",
        f"wrote {summary.train_rows:,} rows to {summary.train_output} and "
        f"{summary.eval_rows:,} to {summary.eval_output}",
    ]
    if summary.moved_back:
        lines.append(
            f"moved {summary.moved_back:,} eval row(s) back to train: they shared a prompt, "
            "answer or long span with train rows"
        )
    if summary.unknown:
        lines.append(f"kept {summary.unknown:,} line(s) in no known format with train")
    if summary.unreadable:
        lines.append(f"left out {summary.unreadable:,} unreadable line(s)")
    return "\n".join(lines)
