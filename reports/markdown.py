"""Markdown renderer: a compact PR-comment summary (verdict, check table, top findings).

GitHub renders HTML and Markdown in comments, so everything taken from the report goes
through `escape`: it cannot break a table, open a tag, or mention a user.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from auditor.check import CheckResult, Status
from auditor.report import Report
from auditor.verdict import VerdictStatus
from reports.paths import relative_path
from reports.ranking import ranked_findings

TOP_FINDINGS = 15
STATUS_RANK = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2}
STATUS_MARK = {Status.FAIL: "❌ fail", Status.ERROR: "❗ error", Status.WARN: "⚠️ warn"}
VERDICT_MARK = {VerdictStatus.GO: "✅", VerdictStatus.REVIEW: "⚠️", VerdictStatus.NO_GO: "❌"}
#: Characters with a meaning in GitHub Markdown inline text (and `|` in a table).
_SPECIAL = re.compile(r"([\\`*_\[\]~|$#])")


def escape(text: str, limit: int | None = None) -> str:
    """`text` as inert inline Markdown on one line, cut to `limit` characters."""
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    text = _SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    # A word joiner after `@` keeps `@someone` from notifying anyone.
    return text.replace("@", "@\u2060")


def render_markdown(report: Report, base: Path | None = None) -> str:
    parts = [_verdict(report), _suppression(report), _datasets(report), _checks(report)]
    top = _top_findings(report, base)
    if top:
        parts.append(top)
    parts.append(_footer(report))
    return "\n\n".join(part for part in parts if part) + "\n"


def _verdict(report: Report) -> str:
    verdict = report.verdict
    mark = VERDICT_MARK[verdict.status]
    lines = [f"### ftaudit: {mark} {verdict.status.value} · readiness {verdict.score}/100"]
    codes = [
        f"**{label}:** {escape(', '.join(found))}"
        for label, found in (
            ("Failing", verdict.failed),
            ("To review", verdict.warned),
            ("Check errors", verdict.errored),
        )
        if found
    ]
    if codes:
        lines.append(" · ".join(codes))
    return "\n\n".join(lines)


def _suppression(report: Report) -> str:
    """What per-file-ignores and the baseline left unjudged (auditor.suppress)."""
    from auditor.suppress import suppression_notes

    return "  \n".join(f"_{escape(note)}_" for note in suppression_notes(report.suppression))


def _datasets(report: Report) -> str:
    return "  \n".join(
        f"{escape(info.split)}: {escape(info.path)} · {escape(info.format)} · "
        f"{info.rows:,} rows · sha256 {escape(info.sha256[:12])}"
        for info in report.datasets
    )


def _checks(report: Report) -> str:
    shown = sorted(
        (c for c in report.checks if c.status in STATUS_RANK),
        key=lambda c: STATUS_RANK[c.status],
    )
    passed = sum(c.status is Status.PASS for c in report.checks)
    skipped = sum(c.status is Status.SKIPPED for c in report.checks)
    count = f"{passed} check{'s' if passed != 1 else ''} passed" + (
        f", {skipped} skipped" if skipped else ""
    )
    if not shown:
        return f"All checks clean: {count}."
    rows = [
        "| code | check | status | score | summary |",
        "|---|---|---|--:|---|",
        *(_check_row(check) for check in shown),
    ]
    return "\n".join(rows) + f"\n\n{count}."


def _check_row(check: CheckResult) -> str:
    cells = [
        escape(check.code),
        escape(check.name),
        STATUS_MARK[check.status],
        f"{check.score:.2f}",
        escape(check.summary, 160),
    ]
    return "| " + " | ".join(cells) + " |"


def _top_findings(report: Report, base: Path | None) -> str:
    ranked, total = ranked_findings(report)
    if not ranked:
        return ""
    rows = [
        f"#### Top findings ({min(TOP_FINDINGS, total)} of {total:,})",
        "",
        "| where | code | problem |",
        "|---|---|---|",
    ]
    for finding in ranked[:TOP_FINDINGS]:
        where = relative_path(finding.file, base) if finding.file is not None else ""
        if where and finding.line is not None:
            where += f":{finding.line}"
        problem = escape(finding.message, 200)
        if finding.excerpt:
            problem += f" — “{escape(finding.excerpt, 80)}”"
        rows.append(f"| {escape(where)} | {escape(finding.code)} | {problem} |")
    return "\n".join(rows)


def _footer(report: Report) -> str:
    codes = report.verdict.failed + report.verdict.warned
    explain = ""
    if codes and codes[0].isalnum():
        explain = f"Run `ftaudit explain {codes[0]}` for what a check means and how to fix it. "
    return f"<sub>{explain}ftaudit {escape(report.version)}</sub>"
