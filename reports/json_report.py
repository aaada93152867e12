"""JSON renderer: the Report as its stable, versioned schema (see auditor.report)."""

from __future__ import annotations

from auditor.report import Report


def render_json(report: Report) -> str:
    return report.model_dump_json(indent=2, exclude_none=False) + "\n"
