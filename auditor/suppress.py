"""Findings an audit does not judge: `per-file-ignores` and the baseline.

Both act on each check's findings before the report keeps its first `max-findings` and
before the verdict, in one place (`api.audit`), so the CLI, the Python API and the
pre-commit hook agree:
- a finding whose file matches a `per-file-ignores` glob listing a prefix of its code is
  removed; a code ignored for every training file of the audit is ignored outright (its
  check does not run, FT0xx excepted: bad input is always read, then removed);
- then a finding the baseline accepted (auditor.baseline; same code, file and key, while
  its count lasts) is removed;
- a check all of whose findings were removed passes (score 1.0) and says so in its
  summary; a check with findings left keeps its status; the verdict is decided after.
Baseline entries that no longer occur, for checks that ran on files that were audited,
are reported as stale.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from auditor.baseline import Baseline, BaselineEntry, entry_path, finding_keys, read_baseline
from auditor.check import Check, CheckResult, Finding, Status
from auditor.config import AuditConfig, ConfigError
from auditor.dataset import Dataset
from auditor.globs import glob_matches
from auditor.registry import discover

Identity = tuple[str, str, str | None]


class SuppressionInfo(BaseModel):
    """What an audit left unjudged, for the report: honest about what it did not check."""

    #: Selected codes per-file-ignores cover for every training file: their checks did not
    #: run (FT0xx input checks always run; their findings were removed).
    ignored_checks: list[str] = Field(default_factory=list)
    #: Findings per-file-ignores removed, by code.
    per_file_ignores: dict[str, int] = Field(default_factory=dict)
    #: The baseline file the audit was judged against, if any.
    baseline: str | None = None
    #: Findings the baseline accepted, by code.
    baselined: dict[str, int] = Field(default_factory=dict)
    #: Baseline entries that no longer occur, each with the count that did not.
    stale: list[BaselineEntry] = Field(default_factory=list)


class Suppression:
    """per-file-ignores and a baseline for one audit; `apply` each check's result."""

    def __init__(
        self, config: AuditConfig, train_paths: Sequence[Path], *, record: bool = False
    ) -> None:
        """`record`: keep every finding left after per-file-ignores, with its baseline key,
        for `ftaudit baseline` (a configured baseline is then not applied)."""
        self.ignores = validated_ignores(config.per_file_ignores)
        self.folder = config.folder if config.folder is not None else Path.cwd()
        self.train_files = [str(p) for p in train_paths]
        self._prefixes: dict[str, tuple[str, ...]] = {}
        self.ignored_checks = sorted(
            code for code in discover() if self.train_files and self._everywhere(code)
        )
        self.baseline_path = Path(config.baseline) if config.baseline and not record else None
        baseline = read_baseline(self.baseline_path) if self.baseline_path else Baseline()
        self.entries = {entry.identity: entry for entry in baseline.entries}
        self.remaining: Counter[Identity] = Counter()
        for entry in baseline.entries:
            self.remaining[entry.identity] += entry.count
        self.recorded: list[tuple[Finding, str | None]] | None = [] if record else None
        self.removed_by_ignores: Counter[str] = Counter()
        self.removed_by_baseline: Counter[str] = Counter()
        self.judged_codes: set[str] = set()
        self.considered: set[str] = set()

    @property
    def configured(self) -> bool:
        return bool(self.ignores) or self.baseline_path is not None

    def selected(self, checks: list[Check]) -> list[Check]:
        """The checks left once codes ignored for every training file are taken out."""
        self.considered = {c.code for c in checks}
        return [c for c in checks if c.always_on or c.code not in self.ignored_checks]

    def applier(self, dataset: Dataset) -> Callable[[CheckResult], CheckResult]:
        return lambda result: self.apply(dataset, result)

    def apply(self, dataset: Dataset, result: CheckResult) -> CheckResult:
        """The result without its ignored and baselined findings, status recomputed."""
        if result.status in (Status.SKIPPED, Status.ERROR):
            return result
        self.judged_codes.add(result.code)
        kept: list[Finding] = []
        for finding in result.findings:
            self.judged_codes.add(finding.code)
            if self._ignored(finding):
                self.removed_by_ignores[finding.code] += 1
            else:
                kept.append(finding)
        ignored = len(result.findings) - len(kept)
        accepted = 0
        if kept and (self.remaining or self.recorded is not None):
            keys = finding_keys(kept, dataset)
            if self.recorded is not None:
                self.recorded.extend(zip(kept, keys, strict=True))
            elif self.remaining:
                kept, accepted = self._unaccepted(kept, keys)
        return judged_again(result, kept, ignored, accepted)

    def info(self, datasets: Sequence[str]) -> SuppressionInfo | None:
        """The report's record (None when neither is configured); `datasets`: the audited
        files, whose stale entries are reported."""
        if not self.configured:
            return None
        folder = self.baseline_path.parent if self.baseline_path is not None else Path()
        audited = {entry_path(path, folder) for path in datasets}
        stale = [
            self.entries[identity].model_copy(update={"count": count})
            for identity, count in self.remaining.items()
            if count > 0 and identity[0] in self.judged_codes and identity[1] in audited
        ]
        return SuppressionInfo(
            ignored_checks=[c for c in self.ignored_checks if c in self.considered],
            per_file_ignores=dict(sorted(self.removed_by_ignores.items())),
            baseline=str(self.baseline_path) if self.baseline_path is not None else None,
            baselined=dict(sorted(self.removed_by_baseline.items())),
            stale=sorted(stale, key=lambda e: (e.file, e.code, e.key or "")),
        )

    def _unaccepted(
        self, findings: list[Finding], keys: list[str | None]
    ) -> tuple[list[Finding], int]:
        assert self.baseline_path is not None
        folder = self.baseline_path.parent
        paths: dict[str, str] = {}
        kept: list[Finding] = []
        for finding, key in zip(findings, keys, strict=True):
            if finding.file is not None and finding.file not in paths:
                paths[finding.file] = entry_path(finding.file, folder)
            identity = (finding.code, paths.get(finding.file or "", ""), key)
            if self.remaining[identity] > 0:
                self.remaining[identity] -= 1
                self.removed_by_baseline[finding.code] += 1
            else:
                kept.append(finding)
        return kept, len(findings) - len(kept)

    def _ignored(self, finding: Finding) -> bool:
        if not self.ignores:
            return False
        if finding.file is None:
            return finding.code in self.ignored_checks
        return finding.code.startswith(self.prefixes(finding.file))

    def prefixes(self, file: str) -> tuple[str, ...]:
        """The code prefixes per-file-ignores list for `file`."""
        if file not in self._prefixes:
            names = [file]
            relative = os.path.relpath(os.path.abspath(file), os.path.abspath(self.folder))
            if not relative.startswith(".."):
                names.append(relative)
            self._prefixes[file] = tuple(
                prefix
                for glob, codes in self.ignores.items()
                if glob_matches(glob, names)
                for prefix in codes
            )
        return self._prefixes[file]

    def _everywhere(self, code: str) -> bool:
        return all(code.startswith(self.prefixes(file)) for file in self.train_files)


def validated_ignores(table: dict[str, list[str]]) -> dict[str, list[str]]:
    """The table, each prefix checked against the registered checks (a typo is an error)."""
    codes = discover()
    for glob, prefixes in table.items():
        for prefix in prefixes:
            if not any(code.startswith(prefix) for code in codes):
                raise ConfigError(
                    f'per-file-ignores."{glob}": unknown check code prefix `{prefix}` '
                    "(see `ftaudit checks`)"
                )
    return table


def judged_again(
    result: CheckResult, kept: list[Finding], ignored: int, accepted: int
) -> CheckResult:
    """The result holding only `kept`; a check left with no finding passes."""
    removed = ignored + accepted
    if not removed:
        return result
    total = max(result.findings_total, len(result.findings)) - removed
    note = ", ".join(
        part
        for part in (
            f"{ignored} finding(s) removed by per-file-ignores" if ignored else "",
            f"{accepted} accepted by the baseline" if accepted else "",
        )
        if part
    )
    update: dict[str, object] = {"findings": kept, "findings_total": total, "suppressed": removed}
    if total > 0:
        update["summary"] = f"{result.summary}; {note}" if result.summary else note
    else:
        was = f"was {result.status.value}" + (f": {result.summary}" if result.summary else "")
        update |= {"status": Status.PASS, "score": 1.0, "summary": f"{note}; {was}"}
    return result.model_copy(update=update)


def suppression_notes(info: SuppressionInfo | None) -> list[str]:
    """Short lines for a terminal (the CLI and the hook print them on stderr)."""
    if info is None:
        return []
    parts = []
    if info.ignored_checks:
        parts.append(f"per-file-ignores turn off {', '.join(info.ignored_checks)} for every file")
    if ignored := sum(info.per_file_ignores.values()):
        parts.append(f"per-file-ignores removed {ignored} finding(s)")
    if info.baseline is not None:
        parts.append(f"{info.baseline} accepted {sum(info.baselined.values())} finding(s)")
    notes = ["; ".join(parts)] if parts else []
    if info.stale:
        count = sum(e.count for e in info.stale)
        shown = ", ".join(
            f"{e.code} {e.file}" + (f" {e.key[:13]}…" if e.key else "") for e in info.stale[:3]
        )
        more = f" and {len(info.stale) - 3} more" if len(info.stale) > 3 else ""
        entries = "entry no longer occurs" if count == 1 else "entries no longer occur"
        notes.append(
            f"{count} baseline {entries}: {shown}{more} — re-run `ftaudit baseline` to drop them"
        )
    return notes
