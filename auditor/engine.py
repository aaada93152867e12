"""Run the selected checks over one AuditContext."""

from __future__ import annotations

import traceback
from collections.abc import Callable

from auditor.check import Check, CheckResult, Status
from auditor.context import AuditContext

CheckProgress = Callable[[Check], None]
ResultStep = Callable[[CheckResult], CheckResult]


def run_checks(
    ctx: AuditContext,
    checks: list[Check],
    on_start: CheckProgress | None = None,
    *,
    before_cap: ResultStep | None = None,
) -> list[CheckResult]:
    """Each check's result, in code order, keeping at most `max-findings` findings each
    (0: all). A check that crashes reports `error` and the audit goes on: one broken check
    must not hide what the others found.

    `before_cap` sees every finding of a result before the cap (auditor.suppress).
    """
    results = []
    for check in sorted(checks, key=lambda c: c.code):
        if on_start is not None:
            on_start(check)
        try:
            result = check.run(ctx)
            if before_cap is not None:
                result = before_cap(result)
            results.append(capped(result, ctx.config.max_findings))
        except Exception as exc:  # a check's bug, not the user's data
            where = traceback.extract_tb(exc.__traceback__)[-1]
            results.append(
                check.result(
                    Status.ERROR,
                    0.0,
                    f"internal error: {type(exc).__name__}: {exc} "
                    f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno}); please report it",
                )
            )
    return results


def capped(result: CheckResult, limit: int) -> CheckResult:
    """The result with at most `limit` findings (0: all); `findings_total` stays exact."""
    total = max(result.findings_total, len(result.findings))
    if limit == 0 or len(result.findings) <= limit:
        return result.model_copy(update={"findings_total": total})
    return result.model_copy(update={"findings": result.findings[:limit], "findings_total": total})
