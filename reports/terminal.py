"""Terminal renderer (rich): verdict banner, one line per check, the top findings."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from auditor.check import Finding, Severity, Status
from auditor.decision import Decision, Recommendation
from auditor.report import EmbeddingInfo, Report
from auditor.verdict import VerdictStatus
from reports.paths import relative_path
from reports.ranking import ranked_findings

VERDICT_STYLE = {
    VerdictStatus.GO: "bold white on green",
    VerdictStatus.REVIEW: "bold black on yellow",
    VerdictStatus.NO_GO: "bold white on red",
}
STATUS_STYLE = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.SKIPPED: "dim",
    Status.ERROR: "magenta",
}
TOP_FINDINGS = 15


def render_terminal(report: Report, console: Console) -> None:
    console.print(_banner(report))
    console.print(_datasets(report))
    console.print(_checks(report, console.width))
    top = _top_findings(report, console.width)
    if top is not None:
        console.print(top)
    codes = [c.code for c in report.checks if c.status in (Status.FAIL, Status.WARN)]
    if codes:
        console.print(
            f"Run [bold]ftaudit explain {codes[0]}[/] for what a check means and how to fix it."
        )
    if report.decision is not None:
        console.print(decision_line(report.decision))


def decision_line(decision: Decision) -> str:
    """The decision rules' answer on this data, in one line (`ftaudit decide` explains)."""
    open_questions = sum(q.blocking for q in decision.questions)
    why = (
        f"{open_questions} question(s) open: `ftaudit decide --data FILE` asks them"
        if decision.recommendation is Recommendation.UNKNOWN
        else "`ftaudit decide --data FILE` shows why"
    )
    return f"Should you fine-tune? [bold]{decision.recommendation.value}[/] ({why})"


def _banner(report: Report) -> Panel:
    verdict = report.verdict
    title = Text(f" {verdict.status.value} ", style=VERDICT_STYLE[verdict.status])
    line = Text.assemble(title, f"  readiness {verdict.score}/100")
    parts: list[RenderableType] = [line]
    if verdict.failed:
        parts.append(Text(f"failing: {', '.join(verdict.failed)}", style="red"))
    if verdict.warned:
        parts.append(Text(f"to review: {', '.join(verdict.warned)}", style="yellow"))
    if verdict.errored:
        parts.append(Text(f"check errors: {', '.join(verdict.errored)}", style="magenta"))
    context = []
    if report.task is not None:
        how = f"inferred: {report.task.reason}" if report.task.inferred else "given"
        context.append(f"task {report.task.name} ({how})")
    if report.tokenizer is not None:
        context.append(f"tokens by {report.tokenizer}")
    if report.embeddings is not None:
        context.append(embedding_line(report.embeddings))
    if context:
        parts.append(Text("; ".join(context), style="dim"))
    return Panel(Group(*parts), title="ftaudit", title_align="left", box=box.ROUNDED)


def embedding_line(info: EmbeddingInfo) -> str:
    """What the embedding checks embedded, from which sample, and what the cache held."""
    rows = f"train {info.train_sampled:,} of {info.train_rows:,} rows"
    if info.eval_rows:
        rows += f", eval {info.eval_sampled:,} of {info.eval_rows:,}"
    return (
        f"embeddings by {info.model} at {info.max_tokens} tokens: {info.texts:,} texts "
        f"({info.embedded:,} embedded, {info.cached:,} from cache) of {rows}"
    )


def _datasets(report: Report) -> Table:
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False)
    for column in ("split", "file", "format", "rows", "lines"):
        table.add_column(column, justify="right" if column in ("rows", "lines") else "left")
    for info in report.datasets:
        split = f"{info.split} (found)" if info.discovered else info.split
        table.add_row(split, info.path, info.format, f"{info.rows:,}", f"{info.lines:,}")
    return table


def _checks(report: Report, width: int) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("code", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    # One line per check: the summary is cut to the terminal (the full text is in the
    # JSON report). rich drops whole columns instead when a no-wrap cell is too wide.
    longest_name = max((len(r.name) for r in report.checks), default=10)
    fixed = len("FT000") + longest_name + len("status") + len("0.00") + 4 * 3
    table.add_column("result", no_wrap=True, overflow="ellipsis", max_width=max(20, width - fixed))
    for result in report.checks:
        table.add_row(
            result.code,
            result.name,
            Text(result.status.value, style=STATUS_STYLE[result.status]),
            f"{result.score:.2f}",
            Text(result.summary),
        )
    return table


def shown_path(path: str | None) -> str:
    return relative_path(path) if path else ""


def _top_findings(report: Report, width: int = 120) -> Table | None:
    ranked, total = ranked_findings(report)
    if not ranked:
        return None
    table = Table(
        title=f"Top findings ({min(TOP_FINDINGS, total)} of {total:,})",
        title_justify="left",
        box=box.SIMPLE,
        show_edge=False,
        pad_edge=False,
    )
    # Paths relative to the working directory; a long one folds and leaves the problem
    # text the room (the column takes 40% of the width at most).
    longest = max((len(shown_path(f.file)) + 6 for f in ranked[:TOP_FINDINGS]), default=10)
    table.add_column("where", overflow="fold", max_width=min(longest, max(24, width * 2 // 5)))
    table.add_column("code")
    table.add_column("problem", overflow="fold")
    for finding in ranked[:TOP_FINDINGS]:
        file = shown_path(finding.file)
        where = f"{file}:{finding.line}" if finding.line else file
        message = Text(finding.message)
        if finding.excerpt:
            message.append(f"\n  “{finding.excerpt}”", style="cyan")
        if finding.related_excerpt:
            other = shown_path(finding.related_file or finding.file)
            line = f":{finding.related_lines[0]}" if finding.related_lines else ""
            message.append(f"\n  ↔ {other}{line} “{finding.related_excerpt}”", style="cyan")
        if finding.hint:
            message.append(f"\nfix: {finding.hint}", style="dim")
        table.add_row(
            where,
            Text(finding.code, style="red" if finding.severity is Severity.ERROR else "yellow"),
            message,
        )
    return table


#: Findings the compact report shows per check (`ftaudit hook`); the full report has all.
COMPACT_FINDINGS = 10
#: Related lines (the other rows of a duplicate group) the compact report names.
COMPACT_RELATED = 5
#: Characters of a finding's message the compact report keeps (one line each).
COMPACT_MESSAGE = 200


def render_compact(report: Report, console: Console, *, seconds: float, full: str) -> None:
    """A few lines for one audited dataset: a header (file, verdict, rows, seconds), each
    failing, warning or erroring check with at most COMPACT_FINDINGS of its findings,
    then `full`, the command that shows everything. Used by `ftaudit hook`."""
    train = [d for d in report.datasets if d.split == "train"]
    evals = [d for d in report.datasets if d.split == "eval"]
    status = report.verdict.status
    header = Text.assemble(
        (", ".join(shown_path(d.path) for d in train), "bold"),
        " ",
        (f" {status.value} ", VERDICT_STYLE[status]),
        f" readiness {report.verdict.score}/100 · {sum(d.rows for d in train):,} rows"
        f" · {seconds:.1f} s",
    )
    if evals:
        header.append(" · eval: " + ", ".join(shown_path(d.path) for d in evals))
    console.print(header, soft_wrap=True)
    for check in report.checks:
        if check.status not in (Status.FAIL, Status.WARN, Status.ERROR):
            continue
        console.print(
            Text.assemble(
                "  ",
                (check.code, STATUS_STYLE[check.status]),
                f" {check.name} ",
                (check.status.value, STATUS_STYLE[check.status]),
                f": {_one_line(check.summary)}",
            ),
            soft_wrap=True,
        )
        shown = check.findings[:COMPACT_FINDINGS]
        # One finding on the whole file says what the check's line says.
        whole_file = check.findings_total == 1 and len(shown) == 1 and shown[0].line is None
        if whole_file:
            shown = []
        for finding in shown:
            file = shown_path(finding.file)
            where = f"{file}:{finding.line}" if finding.line else file
            line = Text.assemble("    ", (where, "bold"), f"  {_one_line(finding.message)}")
            if finding.related_lines:
                line.append(f" · {_related(finding)}", style="dim")
            console.print(line, soft_wrap=True)
        hidden = check.findings_total - len(shown) - whole_file
        if hidden > 0:
            console.print(Text(f"    …and {hidden:,} more", style="dim"), soft_wrap=True)
    if status is not VerdictStatus.GO:
        console.print(Text(f"  see everything: {full}", style="dim"), soft_wrap=True)


def _related(finding: Finding) -> str:
    """`lines 10, 11, 12` (or `valid.jsonl:3, 7`): the other rows of a finding, a few."""
    shown = ", ".join(str(n) for n in finding.related_lines[:COMPACT_RELATED])
    more = "…" if len(finding.related_lines) > COMPACT_RELATED else ""
    if finding.related_file and finding.related_file != finding.file:
        return f"{shown_path(finding.related_file)}:{shown}{more}"
    return f"line{'s' if len(finding.related_lines) > 1 else ''} {shown}{more}"


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= COMPACT_MESSAGE else flat[: COMPACT_MESSAGE - 1] + "…"
