"""The Report: everything an audit found, in a stable, versioned shape for every renderer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from auditor.artifact_cache import CacheInfo
from auditor.check import CheckResult, Finding
from auditor.decision import Decision
from auditor.profile import Profile
from auditor.semantic import EmbeddingInfo
from auditor.suppress import SuppressionInfo
from auditor.verdict import Verdict

#: Bump the minor version for added fields, the major one for renamed or removed fields.
SCHEMA_VERSION = "1.3"


class DatasetInfo(BaseModel):
    path: str
    split: str
    sha256: str
    format: str
    rows: int
    lines: int
    #: An eval file found beside a training file rather than given with --eval.
    discovered: bool = False


class TaskInfo(BaseModel):
    name: str
    inferred: bool
    reason: str


class Report(BaseModel):
    schema_version: str = SCHEMA_VERSION
    tool: str = "ftaudit"
    version: str
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    verdict: Verdict
    datasets: list[DatasetInfo]
    checks: list[CheckResult]
    task: TaskInfo | None = None
    tokenizer: str | None = None
    selected: list[str] = Field(default_factory=list)
    embeddings: EmbeddingInfo | None = None
    #: The settings the audit ran with (AuditConfig, by its config-file keys).
    config: dict[str, Any] = Field(default_factory=dict)
    #: The command line that produced the report, when the CLI did.
    command: str | None = None
    #: The dataset's shape, for the HTML report's charts (auditor.profile).
    profile: Profile | None = None
    #: What per-file-ignores and the baseline removed, and stale baseline entries (1.3).
    suppression: SuppressionInfo | None = None
    #: The artifact cache this run used, and what it reused (1.3); None: no cache.
    cache: CacheInfo | None = None
    #: Should the team fine-tune at all: the decision rules on this data (1.3; auditor.decision).
    decision: Decision | None = None

    def result(self, code: str) -> CheckResult | None:
        return next((c for c in self.checks if c.code == code), None)

    def findings(self) -> list[Finding]:
        return [f for check in self.checks for f in check.findings]
