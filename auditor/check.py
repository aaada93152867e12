"""The check contract: a Check reads an AuditContext and returns a CheckResult."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Re-exported: checks build their findings from `auditor.check`.
from auditor.findings import Finding as Finding
from auditor.findings import Severity as Severity

if TYPE_CHECKING:
    from auditor.context import AuditContext
    from auditor.minhash import MinHashParams


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIPPED = "skipped"
    ERROR = "error"


class Metric(BaseModel):
    """A named measurement and, where it judged the check, the thresholds it was held to."""

    name: str
    value: float | int | str | None
    warn_at: float | None = None
    fail_at: float | None = None
    unit: str | None = None
    note: str | None = None
    #: A 95% interval around `value`, where it was measured on a sample (judged by it).
    low: float | None = None
    high: float | None = None
    #: Rows the value was measured on, where that is not every row.
    sample: int | None = None


class CheckResult(BaseModel):
    code: str
    name: str
    family: str
    status: Status
    score: float = Field(ge=0.0, le=1.0)
    summary: str = ""
    metrics: list[Metric] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    findings_total: int = 0
    #: Findings per-file-ignores or the baseline removed (counted in neither field above).
    suppressed: int = 0

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)


class CheckOptions(BaseModel):
    """Base for a check's options; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class RateOptions(CheckOptions):
    """Thresholds on a rate a check judges (a share of rows); 0.0 means any row."""

    warn_above: float = Field(0.0, ge=0.0, le=1.0, description="warn above this share")
    fail_above: float = Field(0.0, ge=0.0, le=1.0, description="fail above this share")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.fail_above < self.warn_above:
            raise ValueError("fail_above must be at least warn_above")
        return self


class Check:
    """Base class. Subclasses set code/name/family, a docstring, Options, and run().

    The docstring is the check's documentation (`ftaudit explain CODE`); write it as
    sections: what it checks, why it matters, an example, and where thresholds come from.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    family: ClassVar[str]
    #: FT0xx checks cannot be deselected: bad input is always reported.
    always_on: ClassVar[bool] = False

    class Options(CheckOptions):
        pass

    def __init__(self, options: CheckOptions | None = None) -> None:
        self.options = options if options is not None else self.Options()

    def run(self, ctx: AuditContext) -> CheckResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def unique_examples(self, ctx: AuditContext) -> int | None:
        """Train rows left once this check's duplicates collapse; None if it does not
        measure duplicates. The size check judges the smallest such count."""
        return None

    def minhash_params(self) -> MinHashParams | None:
        """The MinHash settings this check compares texts with, if it uses MinHash.

        Remedies reach them through the registry (`ftaudit dedup` removes what FT302
        reports; `ftaudit split` keeps FT302's clusters together) without importing a check.
        """
        return None

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    def result(
        self,
        status: Status,
        score: float,
        summary: str = "",
        metrics: Iterable[Metric] = (),
        findings: Iterable[Finding] = (),
    ) -> CheckResult:
        """Build this check's result with every finding (the engine caps what the report
        keeps: `max-findings`; the total stays exact)."""
        all_findings = list(findings)
        return CheckResult(
            code=self.code,
            name=self.name,
            family=self.family,
            status=status,
            score=min(1.0, max(0.0, score)),
            summary=summary,
            metrics=list(metrics),
            findings=all_findings,
            findings_total=len(all_findings),
        )

    def skipped(self, reason: str) -> CheckResult:
        return self.result(Status.SKIPPED, 1.0, reason)


def status_from_rate(rate: float, warn_above: float, fail_above: float) -> Status:
    """Judge an affected-row share against a check's warn/fail thresholds."""
    if rate > fail_above:
        return Status.FAIL
    if rate > warn_above:
        return Status.WARN
    return Status.PASS
