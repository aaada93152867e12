"""The CI formats: Markdown, GitHub workflow commands, SARIF 2.1.0 and CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import jsonschema
import pytest

from auditor import AuditConfig, audit
from auditor.check import CheckResult, Finding, Severity, Status
from auditor.cli import main
from auditor.report import DatasetInfo, Report
from auditor.verdict import decide
from reports.csv_report import HEADER, render_csv
from reports.github import annotation, escape_data, escape_property, render_github
from reports.markdown import escape, render_markdown
from reports.sarif import relative_path, render_sarif

ROOT = Path(__file__).parent.parent
BROKEN = ROOT / "samples" / "chat_broken.jsonl"
HOSTILE_TEXT = "a|b\nc\r\n<script>alert(1)</script> 100% a,b: x & y @octocat"


@pytest.fixture(scope="module")
def broken() -> Report:
    # Relative to the repository root, as a user in a checkout would pass it.
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        return audit([BROKEN.relative_to(ROOT)], [], AuditConfig())


@pytest.fixture(autouse=True)
def _in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def hostile() -> Report:
    findings = [
        Finding(
            code="FT302",
            severity=Severity.WARNING,
            message=HOSTILE_TEXT,
            file="data/train,v2:final.jsonl",
            line=7,
            excerpt="=cmd()|<img src=x onerror=alert(1)>",
            related_lines=[3, 9],
            related_file="eval.jsonl",
            hint="-1+1",
        ),
        Finding(code="FT302", severity=Severity.INFO, message="no line", file="data/x.jsonl"),
        Finding(code="FT302", severity=Severity.ERROR, message="nowhere\nat all"),
    ]
    checks = [
        CheckResult(
            code="FT302",
            name="near-duplicates",
            family="duplicates",
            status=Status.WARN,
            score=0.5,
            summary="summary | with\npipe <b>bold</b>",
            findings=findings,
            findings_total=3,
        ),
        CheckResult(
            code="FT301",
            name="exact-duplicates",
            family="duplicates",
            status=Status.PASS,
            score=1.0,
            summary="none",
            findings=[
                Finding(
                    code="FT301",
                    severity=Severity.ERROR,
                    message="an error in a passing check",
                    file=str(ROOT / "data" / "abs path.jsonl"),
                    line=2,
                )
            ],
            findings_total=1,
        ),
        CheckResult(
            code="FT901",
            name="custom_plugin-check",
            family="meta",
            status=Status.SKIPPED,
            score=1.0,
            summary="skipped",
        ),
    ]
    return Report(
        version="9.9.9",
        verdict=decide(checks),
        datasets=[
            DatasetInfo(
                path="data/train|<x>.jsonl",
                split="train",
                sha256="0" * 64,
                format="openai-chat",
                rows=10,
                lines=10,
            )
        ],
        checks=checks,
    )


def pipes(row: str) -> int:
    """Unescaped `|` in a Markdown table row (a backslash escapes the next character)."""
    return re.sub(r"\\.", "", row).count("|")


# --- Markdown -------------------------------------------------------------------------


def test_markdown_escapes_table_breakers_and_html() -> None:
    assert escape("a|b\nc <script> & [x](y) @me") == (
        "a\\|b c &lt;script&gt; &amp; \\[x\\](y) @\u2060me"
    )
    assert escape("x" * 50, limit=10) == "xxxxxxxxx…"


def test_markdown_tables_keep_their_shape(broken: Report) -> None:
    for report in (broken, hostile()):
        text = render_markdown(report)
        assert "<script" not in text and "<img" not in text and "<b>" not in text
        tables: list[list[str]] = []
        previous = ""
        for line in text.splitlines():
            if line.startswith("|"):
                if not previous.startswith("|"):
                    tables.append([])
                tables[-1].append(line)
            previous = line
        assert tables
        for table in tables:
            assert len({pipes(row) for row in table}) == 1, table


def test_markdown_summary_of_a_real_audit(broken: Report) -> None:
    text = render_markdown(broken)
    lines = text.splitlines()
    assert lines[0] == "### ftaudit: ❌ NO-GO · readiness 49/100"
    assert lines[2].startswith("**Failing:** FT001, FT002,")
    assert "**To review:** FT106" in lines[2]
    assert "| code | check | status | score | summary |" in lines
    rows = [line for line in lines if re.match(r"\| FT\d{3} \| ", line)]
    flagged = [c for c in broken.checks if c.status in (Status.FAIL, Status.WARN)]
    assert [row.split(" | ")[0][2:] for row in rows] == [
        c.code for c in flagged if c.status is Status.FAIL
    ] + [c.code for c in flagged if c.status is Status.WARN]
    passed = sum(c.status is Status.PASS for c in broken.checks)
    skipped = sum(c.status is Status.SKIPPED for c in broken.checks)
    assert f"{passed} checks passed, {skipped} skipped." in lines
    top = lines.index(next(line for line in lines if line.startswith("#### Top findings")))
    findings = [line for line in lines[top:] if line.startswith("| samples/")]
    assert len(findings) == 15
    assert findings[0].startswith("| samples/chat\\_broken.jsonl:3 | FT001 | invalid JSON")
    assert "`ftaudit explain FT001`" in lines[-1]


def test_markdown_hostile_report() -> None:
    text = render_markdown(hostile())
    assert "| FT302 | near-duplicates | ⚠️ warn | 0.50 | summary \\| with pipe &lt;b&gt;" in text
    assert "1 check passed, 1 skipped." in text
    assert (
        "| data/train,v2:final.jsonl:7 | FT302 | a\\|b c &lt;script&gt;alert(1)&lt;/script&gt; "
        "100% a,b: x &amp; y @\u2060octocat — “=cmd()\\|&lt;img src=x onerror=alert(1)&gt;” |"
    ) in text
    assert "train: data/train\\|&lt;x&gt;.jsonl" in text


# --- GitHub ---------------------------------------------------------------------------


def test_github_escaping_rules() -> None:
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_github_commands_for_a_real_audit(broken: Report) -> None:
    lines = render_github(broken).splitlines()
    assert lines[0] == (
        "::error file=samples/chat_broken.jsonl,line=3,title=FT001 invalid-json::invalid JSON: "
        "Expecting property name enclosed in double quotes at column 2%0Afix: looks like a "
        "Python dict (single quotes): write records with json.dumps"
    )
    assert (
        "::warning file=samples/chat_broken.jsonl,line=18,title=FT116 inconsistent-system-prompt"
        "::no system prompt, while 97%25 of chat rows share one%0Afix: give every row the same "
        "system prompt (the one in the excerpt) and use it verbatim at inference, or drop the "
        "odd rows"
    ) in lines
    # A finding without a line annotates the file.
    assert any(
        line.startswith("::warning file=samples/chat_broken.jsonl,title=FT501 no-held-out-set::")
        for line in lines
    )
    annotated = [f for c in broken.checks for f in c.findings]  # one per finding
    assert len(lines) == len(annotated) + 1
    assert lines[-1].startswith("::notice::ftaudit NO-GO: readiness 49/100; failing FT001, ")
    assert all(re.match(r"::(error|warning|notice)( [^:]+)?::", line) for line in lines)


def test_github_hostile_report() -> None:
    lines = render_github(hostile()).splitlines()
    assert lines == [
        "::warning file=data/train%2Cv2%3Afinal.jsonl,line=7,title=FT302 near-duplicates::"
        "a|b%0Ac%0D%0A<script>alert(1)</script> 100%25 a,b: x & y @octocat%0Afix: -1+1",
        "::notice file=data/x.jsonl,title=FT302 near-duplicates::no line",
        "::error title=FT302 near-duplicates::nowhere%0Aat all",
        # An error finding of a passing check is annotated too, its path made relative.
        "::error file=data/abs path.jsonl,line=2,title=FT301 exact-duplicates::"
        "an error in a passing check",
        "::notice::ftaudit REVIEW: readiness 75/100; to review FT302",
    ]
    assert "\n" not in annotation(hostile().checks[0].findings[0], "T")


# --- SARIF ----------------------------------------------------------------------------

MESSAGE = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string", "minLength": 1}},
}
LEVEL = {"enum": ["none", "note", "warning", "error"]}
#: The parts of the SARIF 2.1.0 schema this renderer uses, with what code scanning requires.
SARIF_SCHEMA = {
    "type": "object",
    "required": ["$schema", "version", "runs"],
    "properties": {
        "$schema": {"const": "https://json.schemastore.org/sarif-2.1.0.json"},
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "version", "rules"],
                                "not": {"required": ["informationUri"]},
                                "properties": {
                                    "name": {"const": "ftaudit"},
                                    "version": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {"$ref": "#/$defs/rule"},
                                    },
                                },
                            }
                        },
                    },
                    "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
                },
            },
        },
    },
    "$defs": {
        "rule": {
            "type": "object",
            "required": ["id", "name", "shortDescription", "defaultConfiguration"],
            "properties": {
                "id": {"type": "string", "pattern": "^FT[0-9]{3}$"},
                "name": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]*$"},
                "shortDescription": MESSAGE,
                "fullDescription": MESSAGE,
                "help": MESSAGE,
                "defaultConfiguration": {
                    "type": "object",
                    "required": ["level"],
                    "properties": {"level": LEVEL},
                },
            },
        },
        "result": {
            "type": "object",
            "required": ["ruleId", "ruleIndex", "level", "message"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": 0},
                "level": LEVEL,
                "message": MESSAGE,
                "partialFingerprints": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                },
                "locations": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["physicalLocation"],
                        "properties": {
                            "physicalLocation": {
                                "type": "object",
                                "required": ["artifactLocation"],
                                "properties": {
                                    "artifactLocation": {
                                        "type": "object",
                                        "required": ["uri"],
                                        "properties": {
                                            "uri": {"type": "string", "format": "uri-reference"},
                                            "uriBaseId": {"type": "string"},
                                        },
                                    },
                                    "region": {
                                        "type": "object",
                                        "required": ["startLine"],
                                        "properties": {
                                            "startLine": {"type": "integer", "minimum": 1}
                                        },
                                    },
                                },
                            }
                        },
                    },
                },
            },
        },
    },
}


def check_sarif(text: str, report: Report) -> dict:
    log = json.loads(text)
    jsonschema.validate(log, SARIF_SCHEMA)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [c.code for c in report.checks]
    assert run["tool"]["driver"]["version"] == report.version
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        for location in result.get("locations", []):
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert not uri.startswith("./") and "\\" not in uri
    assert len(run["results"]) == len(report.findings())
    return log


def test_sarif_of_a_real_audit(broken: Report) -> None:
    log = check_sarif(render_sarif(broken), broken)
    run = log["runs"][0]
    rule = run["tool"]["driver"]["rules"][0]
    assert rule["name"] == "InvalidJson"
    assert rule["shortDescription"]["text"] == "Invalid JSON on a line."
    assert rule["help"]["text"].startswith("Invalid JSON on a line.\n\nWhat it checks:")
    assert rule["defaultConfiguration"]["level"] == "error"
    first = run["results"][0]
    assert first["ruleId"] == "FT001" and first["level"] == "error"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "samples/chat_broken.jsonl", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3},
    }
    ft501 = next(r for r in run["results"] if r["ruleId"] == "FT501")
    assert "region" not in ft501["locations"][0]["physicalLocation"]


def test_sarif_hostile_report() -> None:
    report = hostile()
    log = check_sarif(render_sarif(report), report)
    results = log["runs"][0]["results"]
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in results
        if "locations" in r
    ]
    # Absolute paths under the working directory are made relative (and URI-encoded); a
    # finding without a file points at the first training file (code scanning rejects a
    # whole upload when one result has no location).
    assert uris == [
        "data/train%2Cv2:final.jsonl",
        "data/x.jsonl",
        "data/train%7C%3Cx%3E.jsonl",  # the first training file
        "data/abs%20path.jsonl",
    ]
    assert all("locations" in r for r in results)
    assert results[0]["message"]["text"] == HOSTILE_TEXT
    assert [r["level"] for r in results] == ["warning", "note", "error", "error"]
    custom = log["runs"][0]["tool"]["driver"]["rules"][2]
    assert custom["name"] == "CustomPluginCheck"
    assert custom["shortDescription"]["text"] == "custom_plugin-check"


def test_relative_path(tmp_path: Path) -> None:
    assert relative_path("./a/b.jsonl", tmp_path) == "a/b.jsonl"
    assert relative_path(str(tmp_path / "a" / "b.jsonl"), tmp_path) == "a/b.jsonl"
    assert relative_path("/elsewhere/b.jsonl", tmp_path) == "/elsewhere/b.jsonl"
    assert relative_path("../b.jsonl", tmp_path) == "../b.jsonl"


# --- CSV ------------------------------------------------------------------------------


def test_csv_one_row_per_finding(broken: Report) -> None:
    rows = list(csv.reader(io.StringIO(render_csv(broken))))
    assert rows[0] == HEADER
    assert len(rows) - 1 == len(broken.findings())
    assert all(len(row) == len(HEADER) and row[-2:] == ["", ""] for row in rows[1:])
    first = dict(zip(HEADER, rows[1], strict=True))
    assert first["file"] == "samples/chat_broken.jsonl" and first["line"] == "3"
    assert first["code"] == "FT001" and first["severity"] == "error"
    assert first["check"] == "invalid-json"
    near = next(dict(zip(HEADER, r, strict=True)) for r in rows if r[2] == "FT302")
    # Line 77 is the same ticket with its answer cut off (FT604): a near-copy too.
    assert near["related"] == "samples/chat_broken.jsonl:23,33,38,53,77"


def test_csv_guards_against_formula_injection() -> None:
    text = render_csv(hostile())
    assert text.startswith(",".join(HEADER) + "\n") and text.endswith("\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) - 1 == len(hostile().findings())
    first = dict(zip(HEADER, rows[1], strict=True))
    assert first["message"] == HOSTILE_TEXT
    assert first["excerpt"] == "'=cmd()|<img src=x onerror=alert(1)>"
    assert first["hint"] == "'-1+1"
    assert first["related"] == "eval.jsonl:3,9"
    assert first["line"] == "7"
    third = dict(zip(HEADER, rows[3], strict=True))
    assert third["file"] == "" and third["line"] == ""
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


# --- the command line -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["markdown", "github", "sarif", "csv"])
def test_cli_writes_each_format(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"report.{fmt}"
    assert main([str(BROKEN), "--format", fmt, "-o", str(out), "-q"]) == 1
    text = out.read_text(encoding="utf-8")
    captured = capsys.readouterr()
    assert "NO-GO" in captured.out  # the terminal report is still printed
    assert f"report written to {out}" in captured.err
    if fmt == "markdown":
        assert text.startswith("### ftaudit: ❌ NO-GO")
    elif fmt == "github":
        assert text.splitlines()[-1].startswith("::notice::ftaudit NO-GO")
    elif fmt == "sarif":
        jsonschema.validate(json.loads(text), SARIF_SCHEMA)
    else:
        assert next(csv.reader(io.StringIO(text))) == HEADER
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


@pytest.mark.parametrize("fmt", ["markdown", "github", "sarif", "csv"])
def test_cli_prints_each_format_to_stdout(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(BROKEN.relative_to(ROOT)), "--format", fmt, "-q"]) == 1
    out = capsys.readouterr().out
    if fmt == "sarif":
        check_sarif(out, audit([BROKEN.relative_to(ROOT)], [], AuditConfig()))
    elif fmt == "github":
        assert out.startswith("::error file=samples/chat_broken.jsonl,line=3,")
    elif fmt == "csv":
        assert out.startswith(",".join(HEADER) + "\n")
    else:
        assert out.startswith("### ftaudit")
