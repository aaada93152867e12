"""Helpers shared by the per-check unit tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.check import CheckResult
from auditor.config import AuditConfig
from auditor.context import AuditContext
from auditor.dataset import load_dataset

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).parent.parent / "samples"

#: Every sample format, plus fixtures with bad lines, BOMs, unknown formats, leaks, PII:
#: the files on which two ways of computing a report must give the same one.
REPORT_FILES = [
    *sorted((SAMPLES / "formats").glob("*.jsonl")),
    SAMPLES / "chat_clean.jsonl",
    SAMPLES / "chat_broken.jsonl",
    *sorted(p for p in FIXTURES.glob("FT[0-36]*/bad.jsonl")),  # FT6: hygiene, cached spans
]


def comparable(report: Any) -> dict[str, Any]:
    """A report without what may differ between runs: when, how it was invoked, the
    cache, and the embedding wall time."""
    data: dict[str, Any] = json.loads(report.model_dump_json())
    for key in ("created", "command", "config", "cache"):
        data.pop(key, None)
    if data.get("embeddings"):
        data["embeddings"].pop("seconds")
    return data


def fixture(code: str, kind: str) -> AuditContext:
    """The context of tests/fixtures/<code>/<kind>.jsonl with default settings."""
    return AuditContext(load_dataset([FIXTURES / code / f"{kind}.jsonl"]), AuditConfig())


def context_of(tmp_path: Path, rows: list[dict[str, Any]]) -> AuditContext:
    """The context of `rows` written as a JSONL file."""
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return AuditContext(load_dataset([path]), AuditConfig())


def flagged(result: CheckResult) -> list[int]:
    return sorted({f.line for f in result.findings if f.line is not None})


def metric(result: CheckResult, name: str) -> Any:
    found = result.metric(name)
    assert found is not None, name
    return found.value
