"""The HTML report in a real browser (Debian's Chromium, driven by Playwright): what a
reviewer sees, no network, no console errors, and dataset content that cannot run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from auditor import AuditConfig, audit
from reports.html import content_security_policy, render_html

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "samples" / "chat_broken.jsonl"
SHOTS = Path("/tmp/ftaudit-screenshots")
PAYLOADS = [
    "<script>window.pwned = 1; document.title = 'pwned'</script>",
    '<img src=x onerror="window.pwned = 2">',
    '<a href="javascript:window.pwned=3">click</a>',
    "</style><script>window.pwned = 4</script>",
    '</textarea><svg onload="window.pwned = 5">',
    '" onmouseover="window.pwned = 6" x="',
    "' autofocus onfocus='window.pwned = 7",
]


def write_payloads(path: Path) -> Path:
    """Every payload as a user turn and an answer, twice (exact copies, so FT301 quotes
    them as evidence)."""
    rows = []
    for payload in PAYLOADS:
        turns = [{"role": "user", "content": payload}, {"role": "assistant", "content": payload}]
        rows += [{"messages": turns}] * 2
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "the browser tests need Debian's chromium (apt-get install -y chromium)"
    return found


def open_in_browser(path: Path, screenshot: str) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    seen: dict[str, object] = {"requests": [], "errors": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-background-networking"]
        )
        try:
            page = browser.new_page()
            page.on("request", lambda r: seen["requests"].append(r.url))  # type: ignore[attr-defined]
            page.on(
                "console",
                lambda m: seen["errors"].append(m.text) if m.type == "error" else None,  # type: ignore[attr-defined]
            )
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))  # type: ignore[attr-defined]
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            seen["verdict"] = page.locator("#verdict").inner_text()
            seen["rows"] = page.locator("#check-table tbody tr").count()
            seen["pwned"] = page.evaluate(
                "typeof window.pwned === 'undefined' ? null : window.pwned"
            )
            seen["title"] = page.title()
            seen["scripts"] = page.evaluate("document.scripts.length")
            seen["images"] = page.evaluate("document.images.length")
            seen["charts"] = page.evaluate("document.querySelectorAll('figure.chart svg').length")
            seen["sections"] = page.evaluate("document.querySelectorAll('section.check').length")
            # Printing: the filters go, collapsed findings print open.
            page.emulate_media(media="print")
            seen["filters_printed"] = page.locator("#filters").is_visible()
            seen["printed_heights"] = page.evaluate(
                "[...document.querySelectorAll('li.finding')].map(e => e.offsetHeight)"
            )
            seen["pdf_bytes"] = len(page.pdf())
            page.emulate_media(media="screen")
            page.select_option("#filter-code", index=1)
            seen["visible_sections"] = page.locator("section.check:not(.hidden)").count()
            SHOTS.mkdir(parents=True, exist_ok=True)
            shot = SHOTS / screenshot
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
            seen["shot"] = shot
        finally:
            browser.close()
    return seen


def test_the_report_opens_offline_with_the_verdict_and_every_check(tmp_path: Path) -> None:
    report = audit([BROKEN], config=AuditConfig())
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    seen = open_in_browser(path, "report.png")
    assert seen["verdict"] == "NO-GO"
    assert seen["rows"] == len(report.checks)
    assert seen["errors"] == []  # a CSP violation or a script error would be here
    assert [u for u in seen["requests"] if not str(u).startswith("file:")] == []  # type: ignore[attr-defined]
    assert seen["visible_sections"] == 1  # the code filter works
    assert seen["filters_printed"] is False and int(str(seen["pdf_bytes"])) > 20_000
    heights = seen["printed_heights"]
    assert isinstance(heights, list) and heights and min(heights) > 0  # closed lists print
    assert Path(str(seen["shot"])).stat().st_size > 10_000


def test_dataset_content_renders_as_inert_text(tmp_path: Path) -> None:
    data = write_payloads(tmp_path / "x<img src=q onerror=window.pwned=9>.jsonl")
    report = audit([data], config=AuditConfig())
    html = render_html(report)
    assert "<script>window.pwned" not in html and 'onerror="window' not in html
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    seen = open_in_browser(path, "xss.png")
    assert seen["pwned"] is None
    assert str(seen["title"]).startswith("ftaudit ")  # a payload would set it to "pwned"
    assert seen["scripts"] == 1 and seen["images"] == 0  # only the report's own script
    assert "window.pwned = 1" in Path(path).read_text()  # shown, as text


def test_the_policy_allows_nothing_from_outside() -> None:
    policy = content_security_policy()
    assert policy.startswith("default-src 'none'")
    assert "http" not in policy and "unsafe-inline" not in policy
    html = render_html(audit([BROKEN], config=AuditConfig()))
    assert "http://" not in html.replace("http://json", "") and "https://" not in html
    assert "<link" not in html and " src=" not in html


@pytest.mark.parametrize("code", ["FT301"])
def test_each_section_embeds_its_explain_text(code: str) -> None:
    report = audit([BROKEN], config=AuditConfig())
    html = render_html(report)
    assert f'id="{code}"' in html and f"ftaudit explain {code}" in html
    assert "What it checks" in html


def test_the_cli_writes_html_beside_any_format(tmp_path: Path) -> None:
    from auditor.cli import main

    html, sarif = tmp_path / "report.html", tmp_path / "out.sarif"
    code = main([str(BROKEN), "--html", str(html), "--format", "sarif", "-o", str(sarif), "-q"])
    assert code == 1  # NO-GO
    text = html.read_text()
    assert text.startswith("<!doctype html>") and "NO-GO" in text
    assert f"ftaudit {BROKEN} --html {html}" in text  # how to reproduce it
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert not list(tmp_path.glob(".report.html.*"))  # written atomically


def test_escaping_holds_without_the_policy(tmp_path: Path) -> None:
    # The CSP would block a payload that escaped; take it away to test the escaping itself.
    data = write_payloads(tmp_path / "train.jsonl")
    html = render_html(audit([data], config=AuditConfig()))
    start = html.index('<meta http-equiv="Content-Security-Policy"')
    html = html[:start] + html[html.index(">", start) + 1 :]
    path = tmp_path / "no-csp.html"
    path.write_text(html, encoding="utf-8")
    seen = open_in_browser(path, "no-csp.png")
    assert seen["pwned"] is None and seen["scripts"] == 1 and seen["images"] == 0


def test_data_in_chart_labels_cannot_cut_the_page_short(tmp_path: Path) -> None:
    from auditor.cli import main

    roles = ['human style="x', "$\\foo$", "_hidden", "r" * 500]
    rows = [
        {
            "messages": [
                {"role": role, "content": f"question {i}"},
                {"role": "assistant", "content": f"answer {i}"},
            ]
        }
        for i, role in enumerate(roles * 10)
    ]
    rows += [rows[0]] * 3000  # one huge exact-copy cluster
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    held_out = tmp_path / 'ev style="q $5_to_$10.jsonl'
    held_out.write_text("\n".join(json.dumps(r) for r in rows[:5]) + "\n")
    html = tmp_path / "report.html"
    assert main([str(data), "--eval", str(held_out), "--html", str(html), "-q"]) in (0, 1)
    text = html.read_text()
    assert len(text.encode()) < 1_000_000  # one 3,000-row cluster must not bloat it
    assert text.count('<figure class="chart">') >= 3
    seen = open_in_browser(html, "labels.png")
    assert seen["errors"] == [] and seen["scripts"] == 1
    # Every chart and every section the file holds is on the page: none swallowed.
    assert seen["charts"] == text.count('<figure class="chart">')
    assert seen["sections"] == text.count('<section class="check"')
    assert seen["visible_sections"] == 1  # the findings sections are still there


def test_chart_svg_stays_well_formed_whatever_the_labels() -> None:
    import xml.etree.ElementTree as ElementTree

    from auditor.profile import Profile
    from reports.charts import structure

    report = audit([BROKEN], config=AuditConfig())
    report.profile = Profile(
        turns={"2": 3}, roles={'human style="x': 5, "$\\foo$": 4, "user --> <b>": 3}
    )
    chart = structure(report)
    assert chart is not None
    # (HTML parsers know the xlink prefix; an XML parser is told it.)
    declared = chart.svg.replace("<svg", '<svg xmlns:xlink="http://www.w3.org/1999/xlink"', 1)
    ElementTree.fromstring(declared)  # raises on an unclosed comment or a swallowed tag
    assert "<!--" not in chart.svg and "style=" not in chart.svg


def test_huge_fields_do_not_make_a_huge_report(tmp_path: Path) -> None:
    rows = [
        {
            "messages": [
                {"role": f"r{i}" + "x" * 50_000, "content": "hi"},
                {"role": "assistant", "content": "yo"},
            ]
        }
        for i in range(40)
    ]
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")  # 2 MB of role names
    html = render_html(audit([data], config=AuditConfig()))
    assert len(html.encode()) < 1_000_000
