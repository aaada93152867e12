"""Several files at once: each keeps its own name, lines, format and findings."""

from __future__ import annotations

from pathlib import Path

from auditor import audit
from auditor.check import Status
from auditor.dataset import load_dataset

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).parent.parent / "samples"


def test_several_files_keep_their_identity() -> None:
    chat = SAMPLES / "chat_clean.jsonl"
    alpaca = SAMPLES / "formats" / "alpaca.jsonl"
    broken = FIXTURES / "FT001" / "bad.jsonl"
    dataset = load_dataset([chat, alpaca, broken], [SAMPLES / "formats" / "qa.jsonl"])
    assert [(f.split, f.format, f.rows) for f in dataset.files] == [
        ("train", "openai-chat", 160),
        ("train", "alpaca", 4),
        ("train", "openai-chat", 3),
        ("eval", "qa", 3),
    ]
    assert dataset.train.height == 167
    assert dataset.eval is not None and dataset.eval.height == 3
    assert {(f.file, f.line) for f in dataset.load_findings} == {(str(broken), 2), (str(broken), 4)}
    per_file = dataset.train.group_by("file").len()
    assert dict(per_file.iter_rows()) == {str(chat): 160, str(alpaca): 4, str(broken): 3}


def test_files_in_different_formats_are_not_mixed_formats() -> None:
    report = audit(
        [SAMPLES / "chat_clean.jsonl", SAMPLES / "formats" / "alpaca.jsonl"],
        config=None,
    )
    result = report.result("FT102")
    assert result is not None and result.status is Status.PASS
    assert [d.format for d in report.datasets] == ["openai-chat", "alpaca"]
