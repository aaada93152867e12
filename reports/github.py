"""GitHub Actions renderer: one workflow-command annotation per finding, then the verdict.

Annotated: every finding of a check that warns or fails, and error-severity findings of any
check. `::error file=PATH,line=N,title=FTnnn name::message` (warning/notice by severity).
"""

from __future__ import annotations

from pathlib import Path

from auditor.check import Finding, Severity
from auditor.report import Report
from reports.paths import relative_path

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """A command's message, escaped as the runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: the message escapes plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


#: Characters of an annotation's message at most.
MESSAGE_LIMIT = 1000


def render_github(report: Report, base: Path | None = None) -> str:
    lines = [
        annotation(finding, f"{check.code} {check.name}", base)
        for check in report.checks
        for finding in check.findings
    ]
    lines.append(f"::notice::{escape_data(_summary(report))}")
    return "\n".join(lines) + "\n"


def annotation(finding: Finding, title: str, base: Path | None = None) -> str:
    properties = []
    if finding.file is not None:
        properties.append(f"file={escape_property(relative_path(finding.file, base))}")
        if finding.line is not None and finding.line >= 1:
            properties.append(f"line={finding.line}")
    properties.append(f"title={escape_property(title)}")
    message = finding.message
    if finding.hint:
        message += f"\nfix: {finding.hint}"
    if len(message) > MESSAGE_LIMIT:  # a 100 KB field must not make a 100 KB annotation
        message = message[: MESSAGE_LIMIT - 1] + "…"
    return f"::{COMMAND[finding.severity]} {','.join(properties)}::{escape_data(message)}"


def _summary(report: Report) -> str:
    verdict = report.verdict
    parts = [f"ftaudit {verdict.status.value}: readiness {verdict.score}/100"]
    if verdict.failed:
        parts.append(f"failing {', '.join(verdict.failed)}")
    if verdict.warned:
        parts.append(f"to review {', '.join(verdict.warned)}")
    if verdict.errored:
        parts.append(f"check errors {', '.join(verdict.errored)}")
    return "; ".join(parts)
