"""`[tool.ftaudit.per-file-ignores]`: glob matching, validation, and what it does to a
check's status, the verdict and the JSON report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor import audit
from auditor.cli import main
from auditor.config import load_config
from auditor.globs import glob_matches


def row(i: int, answered: bool = True) -> str:
    """A chat row with its own words (no near-duplicates); unanswered rows fail FT108."""
    words = " ".join(f"w{i}x{k}" for k in range(12))
    messages = [{"role": "user", "content": f"Question {i}: {words}?"}]
    if answered:
        messages.append({"role": "assistant", "content": f"Answer {i}: {words[::-1]}."})
    return json.dumps({"messages": messages})


def dataset(path: Path, unanswered: int = 0, rows: int = 30, start: int = 0) -> Path:
    """`rows` good rows, then `unanswered` bad ones; give each file its own `start`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [row(start + i) for i in range(rows + unanswered)]
    lines[rows:] = [row(start + i, answered=False) for i in range(rows, rows + unanswered)]
    path.write_text("".join(line + "\n" for line in lines))
    return path


def config(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "ftaudit.toml"
    path.write_text('select = ["FT0", "FT10", "FT3"]\n' + table)
    return path


def audited(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main([*args, "--format", "json", "--quiet"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {}, err


def check(report: dict[str, Any], code: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["code"] == code)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("data/legacy/*.jsonl", "data/legacy/a.jsonl", True),
        ("data/legacy/*.jsonl", "data/legacy/old/a.jsonl", False),  # * stays in a folder
        ("data/legacy/*.jsonl", "data/a.jsonl", False),
        ("data/legacy/*.jsonl", "data/legacy/a.jsonl.gz", False),
        ("data/*.jsonl", "data2/a.jsonl", False),
        ("**/scraped-*.jsonl", "scraped-1.jsonl", True),  # **/ matches no folder too
        ("**/scraped-*.jsonl", "a/b/scraped-1.jsonl", True),
        ("**/scraped-*.jsonl", "a/b/unscraped-1.jsonl", False),
        ("data/**/*.jsonl", "data/a.jsonl", True),
        ("data/**/*.jsonl", "data/x/y/a.jsonl", True),
        ("data/**", "data/x/y/a.jsonl", True),
        ("data/legacy", "data/legacy/a.jsonl", True),  # a folder covers what is below it
        ("data/legacy/", "data/legacy/x/a.jsonl", True),
        ("data/leg", "data/legacy/a.jsonl", False),  # a folder, not a string prefix
        ("scraped-*.jsonl", "x/y/scraped-2.jsonl", True),  # no `/`: the file name anywhere
        ("*.jsonl", "x/y.jsonl", True),
        ("*.json", "x/y.jsonl", False),
        ("data/a?.jsonl", "data/a1.jsonl", True),
        ("data/a?.jsonl", "data/a/.jsonl", False),
        ("data/[ab].jsonl", "data/b.jsonl", True),
        ("data/[ab].jsonl", "data/c.jsonl", False),
        ("data/[!ab].jsonl", "data/c.jsonl", True),
        ("./data/a.jsonl", "data/a.jsonl", True),
        ("data/a.jsonl", "./data/a.jsonl", True),
        ("data/a+b.jsonl", "data/a+b.jsonl", True),  # regex characters are literal
        ("data/a+b.jsonl", "data/aab.jsonl", False),
    ],
)
def test_glob_matching(pattern: str, path: str, matches: bool) -> None:
    assert glob_matches(pattern, [path]) is matches


def test_a_matching_glob_removes_the_findings_and_the_check_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    dataset(tmp_path / "data" / "legacy" / "old.jsonl", unanswered=2)
    dataset(tmp_path / "data" / "new.jsonl", start=1000)
    files = ("data/legacy/old.jsonl", "data/new.jsonl")
    code, before, _ = audited(capsys, *files, "--config", str(config(tmp_path, "")))
    assert code == 1 and "FT108" in before["verdict"]["failed"]

    table = '[per-file-ignores]\n"data/legacy/*.jsonl" = ["FT108", "FT109"]\n'
    code, after, err = audited(capsys, *files, "--config", str(config(tmp_path, table)))
    assert code == 0, after["verdict"]
    assert after["verdict"]["status"] == "GO" and after["verdict"]["failed"] == []
    ft108 = check(after, "FT108")
    assert ft108["status"] == "pass" and ft108["score"] == 1.0
    assert ft108["findings"] == [] and ft108["findings_total"] == 0 and ft108["suppressed"] == 2
    assert ft108["summary"].startswith("2 finding(s) removed by per-file-ignores; was fail")
    assert after["suppression"]["per_file_ignores"] == {"FT108": 2, "FT109": 2}
    assert after["suppression"]["ignored_checks"] == []  # new.jsonl is still judged
    assert "FT108" in after["selected"]
    assert "per-file-ignores removed 4 finding(s)" in err


def test_a_check_with_findings_left_keeps_its_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    dataset(tmp_path / "legacy" / "old.jsonl", unanswered=2)
    dataset(tmp_path / "new.jsonl", unanswered=1, start=1000)
    table = '[per-file-ignores]\n"legacy/" = ["FT1"]\n'
    code, report, _ = audited(
        capsys, "legacy/old.jsonl", "new.jsonl", "--config", str(config(tmp_path, table))
    )
    assert code == 1
    ft108 = check(report, "FT108")
    assert ft108["status"] == "fail" and ft108["suppressed"] == 2
    assert [(f["file"], f["line"]) for f in ft108["findings"]] == [("new.jsonl", 31)]
    assert ft108["findings_total"] == 1
    assert ft108["summary"].endswith("; 2 finding(s) removed by per-file-ignores")


def test_a_glob_that_does_not_match_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    dataset(tmp_path / "data" / "old.jsonl", unanswered=2)
    table = '[per-file-ignores]\n"legacy/*.jsonl" = ["FT108"]\n"*.json" = ["FT1"]\n'
    code, report, _ = audited(capsys, "data/old.jsonl", "--config", str(config(tmp_path, table)))
    assert code == 1
    assert check(report, "FT108")["status"] == "fail"
    assert check(report, "FT108")["suppressed"] == 0
    assert report["suppression"] == {
        "ignored_checks": [],
        "per_file_ignores": {},
        "baseline": None,
        "baselined": {},
        "stale": [],
    }


def test_codes_ignored_for_every_training_file_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    dataset(tmp_path / "scraped-1.jsonl", unanswered=1).write_text(
        (tmp_path / "scraped-1.jsonl").read_text() + "{not json\n"
    )
    table = '[per-file-ignores]\n"**/scraped-*.jsonl" = ["FT10", "FT001"]\n'
    code, report, err = audited(capsys, "scraped-1.jsonl", "--config", str(config(tmp_path, table)))
    assert code == 0
    assert report["suppression"]["ignored_checks"][:3] == ["FT001", "FT101", "FT102"]
    assert "FT108" not in report["selected"]  # not run at all
    ft001 = check(report, "FT001")  # input checks always run; their findings are removed
    assert ft001["status"] == "pass" and ft001["suppressed"] == 1
    assert "turn off FT001, FT101" in err


def test_globs_are_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset(tmp_path / "data" / "legacy" / "old.jsonl", unanswered=2)
    dataset(tmp_path / "data" / "new.jsonl", start=1000)
    table = '[per-file-ignores]\n"data/legacy/*.jsonl" = ["FT108", "FT109"]\n'
    settings = config(tmp_path, table)
    elsewhere = tmp_path / "data"
    monkeypatch.chdir(elsewhere)  # paths as given are legacy/old.jsonl, new.jsonl
    code, report, _ = audited(capsys, "legacy/old.jsonl", "new.jsonl", "--config", str(settings))
    assert code == 0 and check(report, "FT108")["suppressed"] == 2
    # and the Python API reads the same table through load_config
    api = audit(["legacy/old.jsonl", "new.jsonl"], config=load_config(settings, {}))
    result = api.result("FT108")
    assert result is not None and result.suppressed == 2 and result.status == "pass"


def test_globs_match_paths_as_given_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A config file elsewhere (e.g. --config shared/ftaudit.toml): cwd-relative paths."""
    shared = tmp_path / "shared"
    shared.mkdir()
    dataset(tmp_path / "legacy" / "old.jsonl", unanswered=2)
    dataset(tmp_path / "new.jsonl", start=1000)
    table = '[per-file-ignores]\n"legacy/*.jsonl" = ["FT108", "FT109"]\n'
    monkeypatch.chdir(tmp_path)
    code, report, _ = audited(
        capsys, "legacy/old.jsonl", "new.jsonl", "--config", str(config(shared, table))
    )
    assert code == 0 and check(report, "FT108")["suppressed"] == 2


def test_both_spellings_of_the_key(tmp_path: Path) -> None:
    for key in ("per-file-ignores", "per_file_ignores"):
        path = tmp_path / "ftaudit.toml"
        path.write_text(f'[{key}]\n"a/*.jsonl" = ["ft301"]\n')
        assert load_config(path, {}).per_file_ignores == {"a/*.jsonl": ["FT301"]}
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.ftaudit.per-file-ignores]\n"b/**" = ["FT2"]\n')
    assert load_config(pyproject, {}).per_file_ignores == {"b/**": ["FT2"]}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            '"data/*.jsonl" = ["FT999"]',
            'per-file-ignores."data/*.jsonl": unknown check code prefix `FT999`',
        ),
        ('"data/*.jsonl" = ["FT3", "XX"]', "unknown check code prefix `XX`"),
        (
            '"data/*.jsonl" = "FT301"',
            "`per-file-ignores.data/*.jsonl`: Input should be a valid list",
        ),
        (
            '"data/*.jsonl" = [301]',
            "`per-file-ignores.data/*.jsonl.0`: Input should be a valid string",
        ),
    ],
)
def test_invalid_tables_exit_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, message: str
) -> None:
    data = dataset(tmp_path / "data.jsonl")
    settings = config(tmp_path, f"[per-file-ignores]\n{table}\n")
    code = main([str(data), "--config", str(settings), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2
    assert message in err and "Traceback" not in out + err


def test_a_table_that_is_not_a_table_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = dataset(tmp_path / "data.jsonl")
    settings = config(tmp_path, 'per-file-ignores = ["FT301"]\n')
    assert main([str(data), "--config", str(settings), "--quiet"]) == 2
    assert "`per-file-ignores`: Input should be a valid dictionary" in capsys.readouterr().err


def test_without_the_table_the_report_has_no_suppression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = dataset(tmp_path / "data.jsonl", unanswered=1)
    code, report, err = audited(capsys, str(data), "--config", str(config(tmp_path, "")))
    assert code == 1 and report["suppression"] is None
    assert all(c["suppressed"] == 0 for c in report["checks"])
    assert "per-file-ignores" not in err
