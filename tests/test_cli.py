"""The command line as users run it: exit codes, errors without tracebacks, JSON schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).parent.parent / "samples"
GOOD = FIXTURES / "FT001" / "good.jsonl"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script in a subprocess: what a user's shell sees."""
    return subprocess.run(
        [sys.executable, "-c", "from auditor.cli import run; run()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_version() -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("ftaudit 0.")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["absent.jsonl"], "absent.jsonl: no such file"),
        (["."], "is a directory with no data files"),
        ([str(GOOD), "--select", "FT9"], "unknown check selector `FT9`"),
        ([str(GOOD), "--prompt-key", "q"], "give both --prompt-key and --response-key"),
        ([str(GOOD), "--config", "absent.toml"], "absent.toml: no such config file"),
        (["explain", "FT999"], "unknown check code"),
    ],
)
def test_user_errors_exit_2_without_traceback(args: list[str], message: str) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_usage_error_exits_2() -> None:
    done = run_cli(str(GOOD), "--format", "yaml")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("name", ["empty.jsonl", "binary.jsonl"])
def test_unreadable_file_exits_2(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"" if name == "empty.jsonl" else bytes(range(256)) * 8)
    done = run_cli(str(path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and str(path) in done.stderr


def test_bad_lines_still_audit_the_good_ones() -> None:
    done = run_cli(str(FIXTURES / "FT001" / "bad.jsonl"), "--format", "json")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert report["datasets"][0]["rows"] == 3
    ft001 = next(c for c in report["checks"] if c["code"] == "FT001")
    assert [f["line"] for f in ft001["findings"]] == [2, 4]


def test_json_schema_is_stable(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert main([str(GOOD), "--format", "json", "--output", str(out), "--quiet"]) in (0, 1)
    report = json.loads(out.read_text())
    assert report["schema_version"] == "1.3"
    assert report["verdict"]["status"] in ("GO", "REVIEW", "NO-GO")
    assert 0 <= report["verdict"]["score"] <= 100
    dataset = report["datasets"][0]
    assert set(dataset) >= {"path", "sha256", "format", "rows"}
    assert len(dataset["sha256"]) == 64
    for check in report["checks"]:
        assert set(check) >= {"code", "name", "status", "score", "metrics", "findings"}
        for finding in check["findings"]:
            assert set(finding) >= {"code", "severity", "message", "file", "line"}
    assert not list(tmp_path.glob(".report.json.*")), "temporary file left behind"


def test_select_takes_comma_separated_prefixes() -> None:
    done = run_cli(str(GOOD), "--select", "FT0,FT10", "--format", "json")
    codes = {c["code"] for c in json.loads(done.stdout)["checks"]}
    assert codes
    assert all(code.startswith(("FT0", "FT10")) for code in codes)


def test_strict_turns_review_into_exit_1() -> None:
    bom = str(FIXTURES / "FT004" / "bad.jsonl")
    assert main([bom, "--select", "FT0", "--quiet"]) == 0
    assert main([bom, "--select", "FT0", "--quiet", "--strict"]) == 1


def test_config_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "ftaudit.toml").write_text('select = ["FT0"]\n')
    done = run_cli(str(GOOD.resolve()), "--format", "json", cwd=tmp_path)
    codes = {c["code"] for c in json.loads(done.stdout)["checks"]}
    assert codes and all(code.startswith("FT0") for code in codes)
    (tmp_path / "ftaudit.toml").write_text("colour = 1\n")
    done = run_cli(str(GOOD.resolve()), cwd=tmp_path)
    assert done.returncode == 2 and "unknown key `colour`" in done.stderr


def test_pyproject_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ftaudit]\nignore = ["FT1", "FT2"]\n')
    done = run_cli(str(GOOD.resolve()), "--format", "json", cwd=tmp_path)
    codes = {c["code"] for c in json.loads(done.stdout)["checks"]}
    assert codes and not any(code.startswith(("FT1", "FT2")) for code in codes)


def test_terminal_report_names_lines_and_explain() -> None:
    done = run_cli(str(FIXTURES / "FT001" / "bad.jsonl"))
    assert "NO-GO" in done.stdout
    assert "bad.jsonl:2" in done.stdout
    assert "ftaudit explain FT001" in done.stdout


def test_checks_and_explain() -> None:
    listing = run_cli("checks")
    assert listing.returncode == 0 and "FT001" in listing.stdout and "FT201" in listing.stdout
    doc = run_cli("explain", "ft102")
    assert doc.returncode == 0
    assert "FT102 mixed-formats" in doc.stdout and "Why it matters" in doc.stdout


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from auditor.cli import main; "
        "rc = main(['--help']); "
        "print(sorted(m for m in ('polars', 'torch', 'sentence_transformers') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip().endswith("[]"), done.stdout[-200:]


def test_dedup_writes_a_copy_and_leaves_the_input(tmp_path: Path) -> None:
    source = tmp_path / "data.jsonl"
    lines = GOOD.read_bytes().splitlines(keepends=True)
    source.write_bytes(b"".join([*lines, lines[0], lines[1].replace(b"Spanish", b"SPANISH")]))
    before = source.read_bytes()
    out = tmp_path / "clean.jsonl"
    done = run_cli("dedup", str(source), "-o", str(out), "--exact-only")
    assert done.returncode == 0, done.stderr
    assert source.read_bytes() == before
    assert out.read_bytes() == b"".join(lines)
    assert "5" in done.stdout and "2" in done.stdout  # rows read / removed are reported
    refused = run_cli("dedup", str(source), "-o", str(source))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
