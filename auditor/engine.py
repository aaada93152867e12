"""Run the selected checks over one AuditContext."""

from __future__ import annotations

import traceback
from collections.abc import Callable

from auditor.check import Check, CheckResult, Status
from auditor.context import AuditContext

CheckProgress = Callable[[Check], None]


def run_checks(
    ctx: AuditContext, checks: list[Check], on_start: CheckProgress | None = None
) -> list[CheckResult]:
    """Each check's result, in code order. A check that crashes reports `error` and the
    audit goes on: one broken check must not hide what the others found."""
    results = []
    for check in sorted(checks, key=lambda c: c.code):
        if on_start is not None:
            on_start(check)
        try:
            results.append(check.run(ctx))
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
