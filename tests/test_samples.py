"""The shipped samples show what they claim, and generate.py reproduces them exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from auditor import audit
from auditor.check import Status
from auditor.verdict import VerdictStatus

SAMPLES = Path(__file__).parent.parent / "samples"


def test_clean_sample_is_go() -> None:
    report = audit([SAMPLES / "chat_clean.jsonl"])
    assert report.verdict.status is VerdictStatus.GO, report.verdict
    assert report.verdict.score >= 90
    # The held-out set beside it is found on its own, and nothing of it leaked from train.
    held_out = [d for d in report.datasets if d.split == "eval"]
    assert [(Path(d.path).name, d.discovered) for d in held_out] == [
        ("chat_clean.eval.jsonl", True)
    ]
    assert held_out[0].rows >= 110
    for code in ("FT501", "FT502", "FT503", "FT504", "FT506"):
        result = report.result(code)
        assert result is not None and result.status is Status.PASS, (code, result)
    ngrams = report.result("FT504")
    assert ngrams is not None
    assert {m.name: m.value for m in ngrams.metrics}["template_overlap_rows"] == 0


def test_broken_sample_is_no_go_with_a_spread_of_findings() -> None:
    report = audit([SAMPLES / "chat_broken.jsonl"])
    assert report.verdict.status is VerdictStatus.NO_GO
    flagged = {c.code for c in report.checks if c.status in (Status.WARN, Status.FAIL)}
    expected = {"FT001", "FT002", "FT103", "FT104", "FT105", "FT106", "FT107", "FT108"}
    expected |= {"FT109", "FT110", "FT111", "FT112", "FT113", "FT115", "FT116", "FT117"}
    expected |= {"FT601", "FT602", "FT603", "FT604"}
    assert expected <= flagged, expected - flagged


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("openai_chat_tools", "openai-chat"),
        ("openai_completion", "openai-completion"),
        ("alpaca", "alpaca"),
        ("sharegpt", "sharegpt"),
        ("preference", "preference"),
        ("openai_preference", "openai-preference"),
        ("kto", "kto"),
        ("gemini", "gemini"),
        ("bedrock_converse", "bedrock-converse"),
        ("text", "text"),
        ("qa", "qa"),
    ],
)
def test_format_samples_are_detected(name: str, fmt: str) -> None:
    report = audit(
        [SAMPLES / "formats" / f"{name}.jsonl"],
    )
    assert report.datasets[0].format == fmt
    structural = [c for c in report.checks if c.family in ("input", "format")]
    assert all(c.status is not Status.FAIL for c in structural), [
        (c.code, c.summary) for c in structural if c.status is Status.FAIL
    ]


def test_generator_reproduces_the_samples(tmp_path: Path) -> None:
    copy = tmp_path / "samples"
    copy.mkdir()
    for script in ("generate.py", "samples_formats.py"):
        (copy / script).write_text((SAMPLES / script).read_text())
    subprocess.run([sys.executable, str(copy / "generate.py")], check=True)
    produced = sorted(p.relative_to(copy) for p in copy.rglob("*.jsonl"))
    for name in ("chat_clean.jsonl", "chat_clean.eval.jsonl", "chat_broken.jsonl"):
        assert Path(name) in produced, name
    for path in produced:
        shipped = SAMPLES / path
        assert (copy / path).read_bytes() == shipped.read_bytes(), shipped
