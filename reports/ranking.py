"""Which findings a short report shows first: shared by the terminal and Markdown."""

from __future__ import annotations

from auditor.check import Finding, Severity, Status
from auditor.report import Report

SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def ranked_findings(report: Report) -> tuple[list[Finding], int]:
    """(findings of the failing and warning checks, their exact total), most severe
    first; within a severity each check's first finding before any check's second, so one
    check with thousands of findings cannot hide the others (a check lists its own most
    important first: largest clusters, say)."""
    flagged = [c for c in report.checks if c.status in (Status.FAIL, Status.WARN)]
    ordered = sorted(
        (SEVERITY_RANK[f.severity], position, order, f)
        for order, check in enumerate(flagged)
        for position, f in enumerate(check.findings)
    )
    return [f for *_, f in ordered], sum(c.findings_total for c in flagged)
