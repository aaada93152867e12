"""HTML renderer: one self-contained file a reviewer can open from a ticket, offline.

Everything from the dataset goes through Jinja2 with autoescaping, so any text is inert.
The page loads nothing: a Content-Security-Policy forbids every source but the one inline
style and the one inline script, allowed by their SHA-256 hashes. The script only filters
findings by code and severity; without it the page reads the same.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from importlib.resources import files

from auditor.check import CheckResult, Finding, Metric, Status
from auditor.report import Report

#: Findings written per check: the report holds evidence, never the dataset.
FINDINGS_PER_CHECK = 200
#: Sections with at most this many findings start open.
OPEN_UP_TO = 10
#: Characters of any one text from the data (message, excerpt, hint, metric) at most:
#: a 100 KB field must not make a 100 MB report.
TEXT_LIMIT = 2000


def clipped(text: object) -> object:
    if isinstance(text, str) and len(text) > TEXT_LIMIT:
        return text[: TEXT_LIMIT - 1] + "…"
    return text


def short_finding(finding: Finding) -> Finding:
    fields = ("message", "excerpt", "related_excerpt", "hint", "path", "file", "related_file")
    return finding.model_copy(update={f: clipped(getattr(finding, f)) for f in fields})


def short_metric(metric: Metric) -> Metric:
    return metric.model_copy(update={"value": clipped(metric.value), "note": clipped(metric.note)})


STYLE = """
:root{--go:#1a7f37;--review:#9a6700;--nogo:#cf222e;--muted:#57606a;--line:#d0d7de}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;
max-width:1100px;padding:0 16px 48px;color:#1f2328}
h1{margin:0;font-size:28px}h2{margin-top:32px;border-bottom:1px solid var(--line)}
.banner{padding:16px 20px;border-radius:8px;margin-top:16px;color:#fff}
.banner.go{background:var(--go)}.banner.review{background:var(--review)}
.banner.nogo{background:var(--nogo)}.banner .score{font-size:16px;margin-left:12px}
.banner .reason{margin:6px 0 0}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);
padding:4px 6px;text-align:left;vertical-align:top}td.num{text-align:right;
font-variant-numeric:tabular-nums}td.hash{font-family:monospace;font-size:11px;
word-break:break-all}.facts dt{font-weight:600;float:left;width:100px;clear:left}
.facts dd{margin:0 0 4px 110px}.pill{display:inline-block;border-radius:10px;
padding:0 8px;font-size:12px;color:#fff;background:var(--muted)}.pill.pass{background:var(--go)}
.pill.warn,.pill.warning{background:var(--review)}.pill.fail,.pill.error{background:var(--nogo)}
.pill.info,.pill.skipped{background:var(--muted)}section.check{margin:18px 0;
padding-top:4px;border-top:1px dashed var(--line)}.finding{margin:8px 0}
.where{font-family:monospace;font-size:12px;color:var(--muted)}.excerpt{margin:4px 0;
padding:4px 8px;border-left:3px solid var(--line);background:#f6f8fa;white-space:pre-wrap;
word-break:break-word}.hint{color:var(--muted)}pre{white-space:pre-wrap;background:#f6f8fa;
padding:8px;border-radius:6px}.filters{margin:8px 0}.filters label{margin-right:16px}
.hidden{display:none}figure.chart{margin:12px 0}figure.chart svg{max-width:100%;
height:auto}figcaption{font-weight:600;margin-bottom:4px}
@media print{.filters{display:none}details{display:block}details>*{display:block}
details::details-content{content-visibility:visible;display:block}
.banner{color:#000;border:2px solid #000;background:none!important}}
"""

SCRIPT = """
(function(){
  var code=document.getElementById('filter-code');
  var sev=document.getElementById('filter-severity');
  function apply(){
    var c=code.value,s=sev.value;
    document.querySelectorAll('section.check').forEach(function(sec){
      sec.classList.toggle('hidden', c!=='' && sec.dataset.code!==c);
    });
    document.querySelectorAll('li.finding').forEach(function(li){
      li.classList.toggle('hidden', s!=='' && li.dataset.severity!==s);
    });
  }
  code.addEventListener('change',apply);sev.addEventListener('change',apply);
})();
"""

REASONS = {
    "GO": "Every enabled check passes.",
    "REVIEW": "Nothing blocks training, but {warned} need a person's review.",
    "NO-GO": "{failed} must be fixed before training.",
}


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    status: str
    score: float
    headline: str
    summary: str


@dataclass(frozen=True)
class Section:
    code: str
    name: str
    status: str
    summary: str
    metrics: list[Metric]
    findings: list[Finding]
    total: int
    shown: int
    open: bool
    explain: str


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_security_policy() -> str:
    """Nothing loads: no scripts, styles, fonts, images, frames or connections but the
    page's own inline style and script, by hash."""
    return (
        f"default-src 'none'; style-src {_digest(STYLE)}; script-src {_digest(SCRIPT)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def headline(result: CheckResult) -> str:
    """The metric that judged the check, against its thresholds."""
    judged = [m for m in result.metrics if m.warn_at is not None or m.fail_at is not None]
    if not judged:
        return ""
    m = judged[0]
    bands = ", ".join(
        f"{label} {value}"
        for label, value in (("warn", m.warn_at), ("fail", m.fail_at))
        if value is not None
    )
    interval = f" ({m.low}–{m.high})" if m.low is not None else ""
    return f"{m.name} = {m.value}{interval}; {bands}"


def reason(report: Report) -> str:
    verdict = report.verdict
    template = REASONS[verdict.status.value]
    return template.format(
        failed=", ".join(verdict.failed) or "a failing check",
        warned=", ".join(verdict.warned + verdict.errored) or "some checks",
    )


def explain_texts(codes: list[str]) -> dict[str, str]:
    """Each check's `ftaudit explain` text, embedded so the file stands alone."""
    from auditor.registry import discover

    registry = discover()
    return {code: registry[code].documentation() if code in registry else "" for code in codes}


def render_html(report: Report) -> str:
    from jinja2 import Environment, select_autoescape

    template_text = files("reports").joinpath("templates/report.html.j2").read_text("utf-8")
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = environment.from_string(template_text)
    docs = explain_texts([c.code for c in report.checks])
    sections = [
        Section(
            code=c.code,
            name=c.name,
            status=c.status.value,
            summary=str(clipped(c.summary)),
            metrics=[short_metric(m) for m in c.metrics],
            findings=[short_finding(f) for f in c.findings[:FINDINGS_PER_CHECK]],
            total=max(c.findings_total, len(c.findings)),
            shown=min(len(c.findings), FINDINGS_PER_CHECK),
            open=0 < len(c.findings) <= OPEN_UP_TO,
            explain=docs.get(c.code, ""),
        )
        for c in report.checks
        if c.status not in (Status.PASS, Status.SKIPPED) or c.findings
    ]
    rows = [
        Row(
            c.code,
            c.name,
            c.status.value,
            c.score,
            str(clipped(headline(c))),
            str(clipped(c.summary)),
        )
        for c in report.checks
    ]
    from auditor.suppress import suppression_notes
    from reports.charts import INSTALL, charts_available, report_charts
    from reports.terminal import embedding_line

    return template.render(
        report=report,
        title=", ".join(d.path for d in report.datasets if d.split == "train"),
        csp=content_security_policy(),
        style=_Raw(STYLE),
        script=_Raw(SCRIPT),
        verdict_class=report.verdict.status.value.lower().replace("-", ""),
        reason=reason(report),
        rows=rows,
        sections=sections,
        finding_codes=sorted({s.code for s in sections if s.findings}),
        section_codes={s.code for s in sections},
        embedding_line=embedding_line(report.embeddings) if report.embeddings else "",
        suppression_notes=suppression_notes(report.suppression),
        config_text=json.dumps(report.config, indent=2, sort_keys=True) if report.config else "",
        # Our own SVG (its text drawn as paths, its comments stripped): left as it is.
        charts=[{"title": c.title, "svg": _Raw(c.svg)} for c in report_charts(report)],
        charts_note="no data to chart"
        if charts_available()
        else f"charts need matplotlib: {INSTALL}",
    )


class _Raw(str):
    """Our own CSS and script: marked safe so autoescaping leaves them byte for byte
    (the CSP hashes must match the exact text)."""

    def __html__(self) -> str:
        return str(self)
