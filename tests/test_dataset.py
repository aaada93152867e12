"""Several files at once: each keeps its own name, lines, format and findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor import audit
from auditor.check import Status
from auditor.dataset import load_dataset
from auditor.formats import PROMPT_ONLY_FORMATS
from auditor.io import InputError

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
    assert [d.format for d in report.datasets if d.split == "train"] == ["openai-chat", "alpaca"]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def v1(role: str, text: str, weight: float) -> dict[str, Any]:
    return {"role": role, "content": [{"type": "text", "value": text}], "loss_weight": weight}


def test_llama_factory_v1_dpo_file_is_fully_read(tmp_path: Path) -> None:
    rows = []
    for i in range(10):
        prompt = [v1("system", "Answer with a number.", 0.0), v1("user", f"{i} + {i} = ?", 0.0)]
        rows.append(
            {
                "chosen_messages": [*prompt, v1("assistant", str(2 * i), 1.0)],
                "rejected_messages": [*prompt, v1("assistant", str(2 * i + 1), 1.0)],
            }
        )
    path = write_jsonl(tmp_path / "dpo.jsonl", rows)
    dataset = load_dataset([path])
    assert dataset.load_findings == []
    assert [(f.format, f.rows) for f in dataset.files] == [("llama-factory-dpo", 10)]
    frame = dataset.train
    assert frame["prompt"].to_list() == [
        f"system: Answer with a number.\nuser: {i} + {i} = ?" for i in range(10)
    ]
    assert frame["chosen"].to_list() == [str(2 * i) for i in range(10)]
    assert frame["rejected"].to_list() == [str(2 * i + 1) for i in range(10)]
    assert frame["response"].to_list() == frame["chosen"].to_list()
    weights = [[m["weight"] for m in messages] for messages in frame["messages"].to_list()]
    assert weights == [[0.0, 0.0, 1.0]] * 10


EVAL_SHAPES: list[dict[str, Any]] = [
    {"question_id": 81, "turns": ["Plan a trip to Kyoto.", "Now in three bullet points."]},
    {"question": "What is the boiling point of water at sea level?"},
    {"prompt": [{"role": "user", "content": "Name a prime above 90."}]},
    {"input": "Capital of Peru?", "target": ["Lima", "lima"]},
    {"problem": "What is 3 * 4?", "solution": "3 * 4 = 12"},
]


def test_eval_file_reads_benchmark_shapes(tmp_path: Path) -> None:
    train = SAMPLES / "chat_clean.jsonl"
    held_out = write_jsonl(tmp_path / "eval.jsonl", EVAL_SHAPES)
    dataset = load_dataset([train], [held_out])
    assert dataset.eval is not None
    assert dataset.load_findings == []
    rows = dataset.eval.select("format", "prompt", "response").rows()
    assert rows == [
        ("mt-bench-turns", "user: Plan a trip to Kyoto.\nuser: Now in three bullet points.", ""),
        ("prompt-only", "user: What is the boiling point of water at sea level?", ""),
        ("prompt-only", "user: Name a prime above 90.", ""),
        ("input-target", "user: Capital of Peru?", "Lima"),
        ("problem-solution", "user: What is 3 * 4?", "3 * 4 = 12"),
    ]
    for fmt, messages in dataset.eval.select("format", "messages").rows():
        roles = [m["role"] for m in messages]
        assert ("assistant" in roles) == (fmt not in PROMPT_ONLY_FORMATS)


def test_prompt_only_record_in_a_training_file_is_ft101(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "train.jsonl", EVAL_SHAPES)
    dataset = load_dataset([path])
    assert [(f.code, f.line) for f in dataset.load_findings] == [
        ("FT101", 1),
        ("FT101", 2),
        ("FT101", 3),
    ]
    assert dataset.train["format"].to_list() == ["input-target", "problem-solution"]


def test_eval_file_of_unknown_records_is_an_input_error(tmp_path: Path) -> None:
    held_out = write_jsonl(tmp_path / "eval.jsonl", [{"q": "2+2?", "a": "4"}, {"q": "3+3?"}])
    with pytest.raises(InputError) as caught:
        load_dataset([SAMPLES / "chat_clean.jsonl"], [held_out])
    message = str(caught.value)
    assert message.startswith(f"{held_out}: none of its 2 records")
    assert "line 1" in message and "keys: a, q" in message


def test_training_file_of_unknown_records_keeps_ft101(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "train.jsonl", [{"q": "2+2?", "a": "4"}, {"q": "3+3?"}])
    dataset = load_dataset([path])
    assert dataset.train.height == 0
    assert [(f.code, f.line) for f in dataset.load_findings] == [("FT101", 1), ("FT101", 2)]
