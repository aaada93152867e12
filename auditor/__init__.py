"""ftaudit: is this JSONL file ready to fine-tune on — and should you fine-tune at all?

The public API is imported lazily so that `ftaudit --help` does not pay for polars.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.api import audit
    from auditor.check import Check, CheckOptions, CheckResult, Finding, Metric, Severity, Status
    from auditor.config import AuditConfig, ConfigError
    from auditor.io import InputError
    from auditor.report import Report

_EXPORTS = {
    "audit": "auditor.api",
    "AuditConfig": "auditor.config",
    "ConfigError": "auditor.config",
    "Check": "auditor.check",
    "CheckOptions": "auditor.check",
    "CheckResult": "auditor.check",
    "Finding": "auditor.findings",
    "Metric": "auditor.check",
    "Severity": "auditor.findings",
    "Status": "auditor.check",
    "InputError": "auditor.io",
    "Report": "auditor.report",
}

__all__ = [
    "AuditConfig",
    "Check",
    "CheckOptions",
    "CheckResult",
    "ConfigError",
    "Finding",
    "InputError",
    "Metric",
    "Report",
    "Severity",
    "Status",
    "audit",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'auditor' has no attribute {name!r}")
