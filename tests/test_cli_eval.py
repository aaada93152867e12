"""The CLI's eval inputs: repeatable --eval, sibling discovery, --max-findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor import AuditConfig, audit
from auditor.cli import main
from tests.test_leakage import Corpus, chat, write


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    code = main([*args, "--format", "json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_sibling_eval_is_announced_and_no_discover_turns_it_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = Corpus(21)
    rows = [corpus.row() for _ in range(8)]
    train = write(tmp_path / "train.jsonl", rows)
    dev = write(tmp_path / "dev.jsonl", [rows[0], corpus.row()])
    _, report, err = run_json([str(train)], capsys)
    assert f"found eval split beside the training file: {dev}" in err
    leak = next(c for c in report["checks"] if c["code"] == "FT502")
    assert leak["status"] == "fail" and leak["findings"][0]["file"] == str(dev)
    _, alone, err = run_json([str(train), "--no-discover"], capsys)
    assert "found eval split" not in err
    assert next(c for c in alone["checks"] if c["code"] == "FT501")["status"] == "warn"


def test_repeated_eval_files_are_each_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = Corpus(22)
    rows = [corpus.row() for _ in range(8)]
    train = write(tmp_path / "data.jsonl", rows)
    first = write(tmp_path / "a.jsonl", [rows[1], corpus.row()])
    second = write(tmp_path / "b.jsonl", [corpus.row()])
    _, report, _ = run_json([str(train), "--eval", str(first), "--eval", str(second)], capsys)
    assert [d["path"] for d in report["datasets"] if d["split"] == "eval"] == [
        str(first),
        str(second),
    ]
    metrics = {
        m["name"]: m["value"]
        for m in next(c for c in report["checks"] if c["code"] == "FT502")["metrics"]
    }
    assert metrics[f"leaked_share[{first}]"] == 0.5
    assert metrics[f"leaked_share[{second}]"] == 0.0


def test_an_eval_file_in_no_known_format_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = Corpus(23)
    train = write(tmp_path / "data.jsonl", [corpus.row() for _ in range(3)])
    odd = write(tmp_path / "odd.jsonl", [{"foo": 1}, {"bar": 2}])
    assert main([str(train), "--eval", str(odd)]) == 2
    err = capsys.readouterr().err
    assert str(odd) in err and len(err.strip().splitlines()) == 1


def many_duplicates(tmp_path: Path) -> Path:
    row = chat("How do I reset my password on the website?", "Use the Reset link on Login.")
    other = [chat(f"Question {i} about order {i}?", f"Answer {i}.") for i in range(250)]
    rows = [x for pair in zip(other, [row] * 250, strict=True) for x in pair]
    return write(tmp_path / "dups.jsonl", [*rows, *other])


def test_max_findings_keeps_all_when_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = many_duplicates(tmp_path)
    _, capped, _ = run_json([str(data), "--select", "FT301"], capsys)
    exact = next(c for c in capped["checks"] if c["code"] == "FT301")
    assert len(exact["findings"]) == 200 and exact["findings_total"] == 251
    _, full, _ = run_json([str(data), "--select", "FT301", "--max-findings", "0"], capsys)
    exact = next(c for c in full["checks"] if c["code"] == "FT301")
    assert len(exact["findings"]) == exact["findings_total"] == 251
    _, five, _ = run_json([str(data), "--select", "FT301", "--max-findings", "5"], capsys)
    assert len(next(c for c in five["checks"] if c["code"] == "FT301")["findings"]) == 5


def test_max_findings_in_the_config_and_the_api(tmp_path: Path) -> None:
    data = many_duplicates(tmp_path)
    report = audit([data], config=AuditConfig(select=["FT301"], max_findings=0))
    result = report.result("FT301")
    assert result is not None and len(result.findings) == 251
    (tmp_path / "ftaudit.toml").write_text('select = ["FT301"]\nmax-findings = 3\n')
    from auditor.config import load_config

    config = load_config(tmp_path / "ftaudit.toml", {})
    assert config.max_findings == 3
    result = audit([data], config=config).result("FT301")
    assert result is not None and len(result.findings) == 3 and result.findings_total == 251
