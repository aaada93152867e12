"""`ftaudit baseline` and `--baseline`: accepted findings pass, new ones fail, fixed ones
are reported stale, and moving rows keeps the baseline valid."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from auditor import AuditConfig, audit
from auditor.baseline import finding_keys, frame_row_hashes, read_baseline
from auditor.cli import main
from auditor.config import ConfigError
from auditor.dataset import load_dataset
from auditor.findings import Finding, Severity

SAMPLES = Path(__file__).parent.parent / "samples"

WORDS = [
    "apple",
    "river",
    "stone",
    "cloud",
    "maple",
    "ember",
    "quartz",
    "violet",
    "harbor",
    "lantern",
    "meadow",
    "copper",
    "falcon",
    "willow",
    "thunder",
    "pepper",
    "saddle",
    "crystal",
    "orchard",
    "blizzard",
    "canyon",
    "velvet",
    "walnut",
    "comet",
    "garnet",
    "island",
    "jasmine",
    "kettle",
    "lemon",
    "marble",
    "nectar",
    "opal",
    "pebble",
    "quill",
]


def words(seed: int, n: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n))


def good(i: int) -> str:
    return json.dumps(
        {
            "messages": [
                {"role": "user", "content": f"Question {i}: {words(i, 12)}?"},
                {"role": "assistant", "content": f"Answer {i}: {words(i + 500, 20)}."},
            ]
        }
    )


def unanswered(i: int) -> str:
    """A row that ends with a user turn: FT108 (and FT109, FT203) fail on it."""
    return json.dumps({"messages": [{"role": "user", "content": f"Open {i}: {words(-i, 12)}?"}]})


def answered(i: int) -> str:
    """The same row, fixed."""
    row = json.loads(unanswered(i))
    row["messages"].append({"role": "assistant", "content": f"Closed {i}: {words(i, 9)}."})
    return json.dumps(row)


def legacy_lines() -> list[str]:
    """40 good rows, two unanswered ones, an invalid JSON line and a duplicated row."""
    lines = [good(i) for i in range(40)]
    lines.insert(10, unanswered(1))
    lines.insert(20, unanswered(2))
    lines.insert(25, "{not json")
    lines.append(good(5))
    return lines


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args, "--quiet"])
    out, err = capsys.readouterr()
    return code, out, err


def report_of(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run(capsys, *args, "--format", "json")
    return code, json.loads(out), err


def check(report: dict[str, Any], code: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["code"] == code)


@pytest.fixture
def accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    """tmp_path as cwd with data.jsonl (NO-GO) and its baseline .ftaudit-baseline.json."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "data.jsonl", legacy_lines())
    code, out, _ = run(capsys, "baseline", "data.jsonl")
    assert code == 0
    assert "baseline written to .ftaudit-baseline.json" in out
    return tmp_path / ".ftaudit-baseline.json"


def test_accepted_findings_pass(accepted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, before, _ = report_of(capsys, "data.jsonl")
    assert code == 1 and before["verdict"]["status"] == "NO-GO"
    assert {"FT001", "FT108", "FT109", "FT201"} <= set(before["verdict"]["failed"])

    code, after, err = report_of(capsys, "data.jsonl", "--baseline", str(accepted))
    assert code == 0
    assert after["verdict"]["status"] == "GO", after["verdict"]
    for code_ in ("FT001", "FT108", "FT201", "FT301"):
        result = check(after, code_)
        assert result["status"] == "pass" and result["score"] == 1.0
        assert result["findings"] == [] and result["suppressed"] >= 1
        assert "accepted by the baseline" in result["summary"]
    suppression = after["suppression"]
    assert suppression["baseline"] == str(accepted)
    assert suppression["baselined"]["FT108"] == 2 and suppression["stale"] == []
    assert "accepted" in err and "no longer occur" not in err


def test_baseline_file_is_deterministic_and_keyed_by_content(
    accepted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = accepted.read_bytes()
    assert run(capsys, "baseline", "data.jsonl")[0] == 0
    assert accepted.read_bytes() == first
    data = json.loads(first)
    assert data["tool"] == "ftaudit" and data["version"] == 1
    entries = data["entries"]
    assert entries == sorted(entries, key=lambda e: (e["file"], e["code"], e["key"] or ""))
    by_code = {e["code"]: e for e in entries}
    assert by_code["FT108"]["key"].startswith("row:") and by_code["FT108"]["count"] == 1
    assert by_code["FT301"]["key"].startswith("rows:")  # a duplicate group
    assert by_code["FT001"]["key"].startswith("text:")  # a line that is no row
    assert by_code["FT201"]["key"] is None and by_code["FT501"]["key"] is None  # no line
    assert all(e["file"] == "data.jsonl" and "line" not in e for e in entries)
    assert "Open 1" in next(e["excerpt"] for e in entries if e["code"] == "FT108")


def test_a_new_bad_row_fails_and_is_named(
    accepted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = legacy_lines()
    lines.insert(30, unanswered(3))
    write(accepted.parent / "data.jsonl", lines)
    code, out, _ = run(capsys, "data.jsonl", "--baseline", str(accepted))
    assert code == 1
    assert "NO-GO" in out and "data.jsonl:31" in out
    code, report, _ = report_of(capsys, "data.jsonl", "--baseline", str(accepted))
    ft108 = check(report, "FT108")
    assert ft108["status"] == "fail" and [f["line"] for f in ft108["findings"]] == [31]
    assert ft108["findings_total"] == 1 and ft108["suppressed"] == 2
    assert "2 accepted by the baseline" in ft108["summary"]
    assert report["verdict"]["failed"] == ["FT108", "FT109"]


def test_one_more_copy_of_an_accepted_row_is_new(
    accepted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Entries count: the baseline accepted one unanswered(1) row, not every copy of it."""
    write(accepted.parent / "data.jsonl", [*legacy_lines(), unanswered(1)])
    code, report, _ = report_of(capsys, "data.jsonl", "--baseline", str(accepted))
    assert code == 1
    ft108 = check(report, "FT108")
    assert [f["line"] for f in ft108["findings"]] == [45] and ft108["suppressed"] == 2
    # The copy also makes a new duplicate group (the accepted group is still there).
    assert [f["related_lines"] for f in check(report, "FT301")["findings"]] == [[45]]
    assert report["suppression"]["stale"] == []


def test_a_fixed_row_is_a_stale_entry(accepted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = legacy_lines()
    lines[lines.index(unanswered(2))] = answered(2)
    write(accepted.parent / "data.jsonl", lines)
    code, report, err = report_of(capsys, "data.jsonl", "--baseline", str(accepted))
    assert code == 0, report["verdict"]
    stale = report["suppression"]["stale"]
    assert {e["code"] for e in stale} == {"FT108", "FT109", "FT203"}
    assert all(e["file"] == "data.jsonl" and e["count"] == 1 for e in stale)
    assert "Open 2" in next(e["excerpt"] for e in stale if e["code"] == "FT108")
    assert "3 baseline entries no longer occur: FT108 data.jsonl row:" in err
    assert "re-run `ftaudit baseline` to drop them" in err


def test_moving_rows_keeps_the_baseline_valid(
    accepted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = legacy_lines()
    moved = [good(1000), *reversed(lines)]  # every line moves; a new good row on top
    write(accepted.parent / "data.jsonl", moved)
    code, report, err = report_of(capsys, "data.jsonl", "--baseline", str(accepted))
    assert code == 0
    assert report["verdict"]["status"] == "GO", report["verdict"]
    assert report["suppression"]["stale"] == []
    assert not [f for c in report["checks"] for f in c["findings"]]
    assert "no longer occur" not in err


def test_other_rows_changing_keeps_the_baseline_valid(
    accepted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = legacy_lines()
    lines[0] = good(2000)  # an accepted finding's neighbours change, not its row
    write(accepted.parent / "data.jsonl", lines)
    code, report, _ = report_of(capsys, "data.jsonl", "--baseline", str(accepted))
    assert code == 0 and report["suppression"]["stale"] == []


def test_the_baseline_is_found_from_any_folder(
    accepted: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Entries name files relative to the baseline file, not to the working folder."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, report, _ = report_of(capsys, "../data.jsonl", "--baseline", "../.ftaudit-baseline.json")
    assert code == 0 and report["suppression"]["stale"] == []


def test_config_key_is_relative_to_the_config_file(
    accepted: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "ftaudit.toml").write_text('baseline = ".ftaudit-baseline.json"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    data = str(tmp_path / "data.jsonl")
    code, report, _ = report_of(capsys, data, "--config", str(tmp_path / "ftaudit.toml"))
    assert code == 0
    assert report["config"]["baseline"] == str(tmp_path / ".ftaudit-baseline.json")


def test_the_python_api_applies_the_baseline(accepted: Path) -> None:
    report = audit(["data.jsonl"], config=AuditConfig(baseline=str(accepted)))
    assert report.verdict.status == "GO"
    assert report.suppression is not None and report.suppression.baselined["FT108"] == 2


def test_checks_that_did_not_run_have_no_stale_entries(
    accepted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [line for line in legacy_lines() if line != unanswered(1)]
    write(accepted.parent / "data.jsonl", lines)
    code, report, _ = report_of(
        capsys, "data.jsonl", "--baseline", str(accepted), "--select", "FT0,FT3"
    )
    assert code == 0
    assert report["suppression"]["stale"] == []  # FT108's entry was not judged
    code, report, _ = report_of(capsys, "data.jsonl", "--baseline", str(accepted))
    assert {e["code"] for e in report["suppression"]["stale"]} == {"FT108", "FT109", "FT203"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such baseline file"),
        ("{not json", "not a baseline file: invalid JSON"),
        ("[]", 'not a baseline file (no "tool": "ftaudit")'),
        ('{"tool": "ftaudit", "version": 9, "entries": []}', "baseline version 9 is newer"),
        ('{"tool": "ftaudit", "version": 1, "entries": {}}', "malformed baseline at `entries`"),
        (
            '{"tool": "ftaudit", "version": 1, "entries": [{"code": "FT108"}]}',
            "malformed baseline at `entries.0.file`",
        ),
        (
            '{"tool": "ftaudit", "version": 1, '
            '"entries": [{"code": "FT1", "file": "a", "count": 0}]}',
            "malformed baseline at `entries.0.count`",
        ),
    ],
)
def test_a_missing_or_malformed_baseline_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    data = write(tmp_path / "data.jsonl", [good(1)])
    baseline = tmp_path / "baseline.json"
    if content is not None:
        baseline.write_text(content)
    code, out, err = run(capsys, str(data), "--baseline", str(baseline))
    assert code == 2
    assert f"{baseline}: " in err and message in err
    assert "Traceback" not in out + err


def test_baseline_into_a_missing_folder_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write(tmp_path / "data.jsonl", [good(1)])
    code, _, err = run(capsys, "baseline", str(data), "-o", str(tmp_path / "no" / "b.json"))
    assert code == 2 and "no such folder" in err


def test_read_baseline_rejects_an_older_version(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text('{"tool": "ftaudit", "version": 0, "entries": []}')
    with pytest.raises(ConfigError, match="older ftaudit"):
        read_baseline(path)


# --- row hashes -------------------------------------------------------------------------


def test_a_row_hash_is_pinned(tmp_path: Path) -> None:
    """The baseline is committed: a change here (a canonical column or a serialization)
    breaks every team's baseline, so it must come with a BASELINE_VERSION bump."""
    row = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Héllo ☃"},
            {"role": "assistant", "content": "Hi!", "weight": 1},
        ]
    }
    path = write(tmp_path / "one.jsonl", [json.dumps(row)])
    # [[format, system, tools, prompt, response, text, chosen, rejected, label],
    #  [[role, content, weight, name, tool_call_id, tool_calls] per message]]
    canonical = (
        '[["openai-chat","Be brief.",null,"system: Be brief.\\nuser: Héllo ☃","Hi!",'
        '"system: Be brief.\\nuser: Héllo ☃\\nassistant: Hi!",null,null,null],'
        '[["system","Be brief.",null,null,null,null],["user","Héllo ☃",null,null,null,null],'
        '["assistant","Hi!",1.0,null,null,null]]]'
    ).encode()
    expected = hashlib.blake2b(canonical, digest_size=16).hexdigest()
    assert expected == "d9ffcc07feec452b16d9db3fb418551d"
    assert frame_row_hashes(load_dataset([path]).train) == [expected]


def test_row_hashes_follow_content_not_place_or_key_order(tmp_path: Path) -> None:
    rows = [
        '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}',
        '{"messages": [{"content": "a", "role": "user"}, {"content": "b", "role": "assistant"}]}',
        '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "c"}]}',
        '{"prompt": "a", "completion": "b"}',
        '{"text": "a b"}',
    ]
    first = frame_row_hashes(load_dataset([write(tmp_path / "a.jsonl", rows)]).train)
    moved = frame_row_hashes(load_dataset([write(tmp_path / "b.jsonl", ["{}", *rows])]).train)
    assert first == moved  # another file, other line numbers, same hashes
    assert first[0] == first[1]  # key order in the JSON does not matter
    assert len(set(first)) == 4  # any other change does, the format included


def test_finding_keys_for_groups_ignore_which_member_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", [good(1), good(2), good(1)])
    dataset = load_dataset([path])

    def on(line: int, related: list[int]) -> Finding:
        return Finding(
            code="FT301",
            severity=Severity.WARNING,
            message=f"line {line}",
            file=str(path),
            line=line,
            related_lines=related,
        )

    keys = finding_keys([on(1, [3]), on(3, [1]), on(1, [2]), on(1, [])], dataset)
    assert keys[0] == keys[1] and keys[0] != keys[2]
    assert keys[3] is not None and keys[3].startswith("row:")


def test_hashing_20k_flagged_rows_is_quick(tmp_path: Path) -> None:
    """Linear, with no Python object per message: well under a second for 20k rows."""
    import time

    path = write(tmp_path / "big.jsonl", [good(i) for i in range(20_000)])
    dataset = load_dataset([path])
    findings = [
        Finding(code="FT108", severity=Severity.ERROR, message="m", file=str(path), line=n)
        for n in range(1, 20_001)
    ]
    start = time.perf_counter()
    keys = finding_keys(findings, dataset)
    assert time.perf_counter() - start < 2.0  # ~0.1–0.2 s measured; loose for a busy CI
    assert len(set(keys)) == 20_000
    assert dataset.train.select(pl.len()).item() == 20_000


def test_html_and_markdown_say_what_the_baseline_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.config import load_config
    from reports.html import render_html
    from reports.markdown import render_markdown

    monkeypatch.chdir(tmp_path)
    data = tmp_path / "train.jsonl"
    data.write_text((SAMPLES / "chat_broken.jsonl").read_text())
    assert main(["baseline", str(data), "-o", "accepted.json"]) == 0
    settings = load_config(None, {"baseline": "accepted.json", "cache": False})
    report = audit([data], config=settings)
    assert report.suppression is not None and report.suppression.baselined
    accepted = sum(report.suppression.baselined.values())
    html = render_html(report)
    assert 'id="suppression"' in html and f"accepted {accepted} finding(s)" in html
    assert f"accepted {accepted} finding(s)" in render_markdown(report)
