"""`ftaudit hook`: the pre-commit hook of a training-data repository.

pre-commit passes the staged files that match the hook's `files:` pattern (see
.pre-commit-hooks.yaml); `run_hook` turns them into datasets, audits each and prints a
compact report per dataset. Which files make a dataset:

- a training file is audited as its own dataset, with the eval splits beside it
  (auditor.splits), so the leakage checks run;
- a file that is itself an eval split (`valid.jsonl` beside `train.jsonl`) brings the audit
  of its training file instead; one with no training file beside it is audited alone;
- a `.json` file is audited only when it holds records (`holds_records`): other JSON in the
  repository (package.json, editor settings) never blocks a commit.

Exit code: 1 when a dataset is NO-GO (or REVIEW under `strict`), 2 when a file cannot be
audited at all, else 0. A configuration error raises ConfigError (the CLI exits 2).

The hook's environment is the light core: without the `embed` extra the embedding checks
are skipped, and the hook says in one line how to add it to the hook's environment.

Cache: the per-row artifact cache (auditor.artifact_cache) comes from the config like
every other setting (`cache-dir`, default the user cache folder); `ftaudit hook --cache-dir
.git/ftaudit-cache` keeps it inside the repository's .git, which is never committed. A
baseline (`baseline = ".ftaudit-baseline.json"`) and per-file ignores apply through the
config the same way.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rich.console import Console

from auditor.check import Status
from auditor.config import AuditConfig
from auditor.inputs import holds_records
from auditor.io import InputError
from auditor.report import Report

#: What a data repository adds to its .pre-commit-config.yaml to run the embedding checks.
EMBED_HINT = 'additional_dependencies: ["ftaudit[embed]"]'


@dataclass
class AuditPlan:
    """The datasets the hook audits, by training file, and the files it passes over."""

    training_files: list[Path] = field(default_factory=list)
    #: `.json` files that hold no records.
    passed_over: list[Path] = field(default_factory=list)


def plan_audits(files: Sequence[Path], *, discover_eval: bool = True) -> AuditPlan:
    """Group the files pre-commit passes into datasets, in the order given: an eval split
    stands for its training file(s); a training file given twice, or through its eval
    split, is audited once."""
    from auditor.splits import train_files_beside

    plan = AuditPlan()
    seen: set[Path] = set()
    for path in files:
        if path.name.lower().endswith(".json") and path.is_file() and not holds_records(path):
            plan.passed_over.append(path)
            continue
        # With discovery off a file named valid.jsonl is just a file, audited as given.
        trains = train_files_beside(path) if discover_eval and path.is_file() else []
        for train in trains or [path]:
            key = train.resolve()
            if key not in seen:
                seen.add(key)
                plan.training_files.append(train)
    return plan


class CompactRenderer(Protocol):
    """Prints one dataset's compact report (reports.terminal.render_compact; the core
    imports no renderer, the CLI passes it in)."""

    def __call__(self, report: Report, console: Console, *, seconds: float, full: str) -> None: ...


def run_hook(
    files: Sequence[Path],
    config: AuditConfig,
    *,
    render: CompactRenderer,
    console: Console | None = None,
    config_path: Path | None = None,
) -> int:
    """Audit the datasets `files` make, print one compact report per dataset with
    `render`, and return the exit code. `config_path`, when the user named one, is repeated
    in the command that shows the full report."""
    from auditor.api import audit
    from auditor.suppress import suppression_notes
    from auditor.verdict import VerdictStatus

    console = console or Console(highlight=False)
    plan = plan_audits(files, discover_eval=config.discover_eval)
    code = 0
    reports = []
    for train in plan.training_files:
        started = time.perf_counter()
        try:
            report = audit([train], [], config)
        except InputError as exc:  # this dataset cannot be audited; the others still are
            console.print(f"ftaudit: error: {exc}", markup=False, soft_wrap=True)
            code = 2
            continue
        seconds = time.perf_counter() - started
        reports.append(report)
        render(report, console, seconds=seconds, full=full_command(train, config_path))
        for line in suppression_notes(report.suppression):
            console.print(line, markup=False, style="dim", soft_wrap=True)
        status = report.verdict.status
        if status is VerdictStatus.NO_GO or (status is VerdictStatus.REVIEW and config.strict):
            code = max(code, 1)
    if plan.passed_over:
        names = ", ".join(str(p) for p in plan.passed_over)
        console.print(
            f"passed over {len(plan.passed_over)} .json file(s) holding no records: {names}",
            markup=False,
            style="dim",
            soft_wrap=True,
        )
    note = embedding_note(reports)
    if note is not None:
        console.print(note, markup=False, style="dim", soft_wrap=True)
    return code


def full_command(train: Path, config_path: Path | None) -> str:
    """The command that shows a dataset's whole report (and the HTML one)."""
    args = ["ftaudit", str(train)]
    if config_path is not None:
        args += ["--config", str(config_path)]
    return f"{shlex.join(args)}  (add --html report.html for the shareable report)"


def embedding_note(reports: Sequence[Report]) -> str | None:
    """One line, when the embedding checks were skipped because the hook's environment
    lacks the `embed` extra, on how to add it there; None otherwise (they ran, or the user
    turned them off)."""
    from auditor.embeddings import embed_extra_missing

    missing = embed_extra_missing()
    if missing is None:
        return None
    # A check skipped for this reason carries the reason as its summary (checks/embedded.py).
    codes = sorted(
        {
            check.code
            for report in reports
            for check in report.checks
            if check.status is Status.SKIPPED and check.summary == missing
        }
    )
    if not codes:
        return None
    return (
        f"embedding checks {', '.join(codes)} skipped: the hook's environment has no `embed` "
        f"extra; to run them add {EMBED_HINT} to the ftaudit hook in .pre-commit-config.yaml"
    )
