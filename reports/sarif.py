"""SARIF 2.1.0 renderer for code-scanning upload: one rule per check, one result per finding."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from auditor.check import CheckResult, Finding, Severity, Status
from auditor.registry import discover
from auditor.report import Report
from reports.paths import relative_path

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
#: Relative artifact URIs are resolved against the checkout root by code scanning.
SRCROOT = "%SRCROOT%"


def render_sarif(report: Report, base: Path | None = None) -> str:
    """The report as a SARIF 2.1.0 log with one run (`base`: where URIs are relative to)."""
    index = {check.code: position for position, check in enumerate(report.checks)}
    # Code scanning rejects a whole upload if one result has no location: a finding about
    # the dataset as a whole points at the first training file.
    default_file = next((d.path for d in report.datasets if d.split == "train"), None)
    results = [
        _result(
            finding if finding.file else finding.model_copy(update={"file": default_file}),
            index[check.code],
            base,
        )
        for check in report.checks
        for finding in check.findings
    ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": report.tool,
                        "version": report.version,
                        "rules": [_rule(check) for check in report.checks],
                    }
                },
                "results": results,
                "properties": {
                    "verdict": report.verdict.status.value,
                    "score": report.verdict.score,
                },
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(check: CheckResult) -> dict[str, Any]:
    known = discover().get(check.code)
    documentation = known.documentation() if known is not None else ""
    first_line = documentation.splitlines()[0].strip() if documentation else check.name
    rule: dict[str, Any] = {
        "id": check.code,
        "name": "".join(part.capitalize() for part in check.name.replace("_", "-").split("-")),
        "shortDescription": {"text": first_line or check.name},
        "defaultConfiguration": {"level": "error" if check.status is Status.FAIL else "warning"},
        "properties": {"tags": [check.family]},
    }
    if documentation:
        rule["fullDescription"] = {"text": documentation}
        rule["help"] = {"text": documentation}
    return rule


def _result(finding: Finding, rule_index: int, base: Path | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": finding.message},
    }
    uri = None
    if finding.file is not None:
        given = relative_path(finding.file, base)
        uri = quote(given, safe="/:")
        artifact: dict[str, Any] = {"uri": uri}
        if not Path(given).is_absolute():
            artifact["uriBaseId"] = SRCROOT
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if finding.line is not None and finding.line >= 1:
            physical["region"] = {"startLine": finding.line}
        result["locations"] = [{"physicalLocation": physical}]
    identity = "\x1f".join(
        [finding.code, uri or "", finding.path or "", finding.message, finding.excerpt or ""]
    )
    result["partialFingerprints"] = {
        "ftauditFinding/v1": hashlib.sha256(identity.encode("utf-8")).hexdigest()
    }
    extra = {
        key: value
        for key, value in (
            ("severity", finding.severity.value),
            ("path", finding.path),
            ("category", finding.category),
            ("excerpt", finding.excerpt),
            ("relatedFile", finding.related_file),
            ("relatedLines", finding.related_lines or None),
            ("relatedExcerpt", finding.related_excerpt),
            ("hint", finding.hint),
        )
        if value is not None
    }
    result["properties"] = extra
    return result
