"""CSV renderer: one row per finding, with empty review columns a reviewer fills in."""

from __future__ import annotations

import csv
import io

from auditor.check import Finding
from auditor.report import Report

HEADER = [
    "file",
    "line",
    "code",
    "severity",
    "check",
    "path",
    "message",
    "excerpt",
    "related",
    "hint",
    "review_status",
    "review_note",
]
#: A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_START) else text


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    for check in report.checks:
        for finding in check.findings:
            writer.writerow(_row(finding, check.name))
    return out.getvalue()


def _row(finding: Finding, check: str) -> list[str]:
    cells = [
        finding.file or "",
        str(finding.line) if finding.line is not None else "",
        finding.code,
        finding.severity.value,
        check,
        finding.path or "",
        finding.message,
        finding.excerpt or "",
        _related(finding),
        finding.hint or "",
        "",
        "",
    ]
    return [safe_cell(cell) for cell in cells]


def _related(finding: Finding) -> str:
    """`eval.jsonl:3,7` — the related file (or the finding's own) and the related lines."""
    if not finding.related_lines:
        return finding.related_file or ""
    lines = ",".join(str(line) for line in finding.related_lines)
    where = finding.related_file or finding.file
    return f"{where}:{lines}" if where else lines
