"""CheckResults → Verdict: GO / REVIEW / NO-GO and a 0–100 readiness score."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from auditor.check import CheckResult, Status

#: A NO-GO dataset never scores above this, a REVIEW one never above REVIEW_CAP, so the
#: score and the verdict cannot contradict each other.
NO_GO_CAP = 49
REVIEW_CAP = 79


class VerdictStatus(StrEnum):
    GO = "GO"
    REVIEW = "REVIEW"
    NO_GO = "NO-GO"


class Verdict(BaseModel):
    status: VerdictStatus
    score: int
    failed: list[str]
    warned: list[str]
    errored: list[str]


def decide(results: list[CheckResult]) -> Verdict:
    """NO-GO if any check fails, REVIEW if any warns or errors, else GO.

    The score is the mean check score (skipped checks excluded) × 100, capped by the verdict.
    """
    failed = [r.code for r in results if r.status is Status.FAIL]
    warned = [r.code for r in results if r.status is Status.WARN]
    errored = [r.code for r in results if r.status is Status.ERROR]
    judged = [r.score for r in results if r.status is not Status.SKIPPED]
    score = round(100 * sum(judged) / len(judged)) if judged else 100
    if failed:
        status, score = VerdictStatus.NO_GO, min(score, NO_GO_CAP)
    elif warned or errored:
        status, score = VerdictStatus.REVIEW, min(score, REVIEW_CAP)
    else:
        status = VerdictStatus.GO
    return Verdict(status=status, score=score, failed=failed, warned=warned, errored=errored)
