"""auditor.tasks.infer_task: a table of datasets and the task (and reason) they imply."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest

from auditor.config import AuditConfig, Task
from auditor.context import AuditContext
from auditor.dataset import load_dataset
from auditor.formats import CANONICAL_SCHEMA
from auditor.tasks import infer_task

WORDS = [
    "the",
    "model",
    "reads",
    "each",
    "ticket",
    "and",
    "writes",
    "a",
    "careful",
    "reply",
    "about",
    "billing",
    "refunds",
    "shipping",
    "delays",
    "accounts",
    "passwords",
    "invoices",
    "plans",
    "upgrades",
]


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def qa(question: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def classification(i: int, rng: random.Random) -> dict[str, Any]:
    return qa(f"Ticket {i}: {words(rng, 12)}", rng.choice(["billing", "shipping", "account"]))


def extraction(i: int, rng: random.Random) -> dict[str, Any]:
    answer = orjson.dumps({"order": i, "city": words(rng, 1), "note": words(rng, 4)}).decode()
    return qa(
        f"Extract the order: {words(rng, 20)}", f"```json\n{answer}\n```" if i % 2 else answer
    )


def generation(i: int, rng: random.Random) -> dict[str, Any]:
    return qa(f"Write a blog post about topic {i}.", words(rng, 220))


def general_chat(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": f"Hi, question {i}: {words(rng, 8)}"},
            {"role": "assistant", "content": words(rng, 40)},
            {"role": "user", "content": words(rng, 6)},
            {"role": "assistant", "content": words(rng, 50)},
        ]
    }


def medium_single_turn(i: int, rng: random.Random) -> dict[str, Any]:
    return qa(f"Question {i}: {words(rng, 10)}", f"Answer {i}: {words(rng, 40)}")


def short_distinct_answers(i: int, rng: random.Random) -> dict[str, Any]:
    return qa(f"What is item {i}?", f"item-{i}")


def tool_use(i: int, rng: random.Random) -> dict[str, Any]:
    call = {"id": f"c{i}", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    return {
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
        "messages": [
            {"role": "user", "content": f"Look up order {i}"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": f"c{i}", "content": "shipped"},
            {"role": "assistant", "content": "It has shipped."},
        ],
    }


def preference(i: int, rng: random.Random) -> dict[str, Any]:
    return {"prompt": f"Summarize memo {i}", "chosen": words(rng, 20), "rejected": words(rng, 5)}


def kto(i: int, rng: random.Random) -> dict[str, Any]:
    return {"prompt": f"Reply to {i}", "completion": words(rng, 20), "label": i % 2 == 0}


def plain_text(i: int, rng: random.Random) -> dict[str, Any]:
    return {"text": words(rng, 300)}


Maker = Callable[[int, random.Random], dict[str, Any]]


def write(tmp_path: Path, make: Maker, rows: int = 40) -> Path:
    rng = random.Random(7)
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"".join(orjson.dumps(make(i, rng)) + b"\n" for i in range(rows)))
    return path


@pytest.mark.parametrize(
    ("make", "task", "reason"),
    [
        (preference, Task.PREFERENCE, "preference data (chosen/rejected pairs)"),
        (kto, Task.PREFERENCE, "preference data (labelled)"),
        (tool_use, Task.TOOL_USE, "declare tools or call them"),
        (classification, Task.CLASSIFICATION, "from 3 distinct labels"),
        (extraction, Task.EXTRACTION, "100% of final outputs are JSON"),
        (generation, Task.GENERATION, "median final output is 220 words"),
        (plain_text, Task.GENERATION, "long outputs"),
        (general_chat, Task.GENERAL, "100% of rows are multi-turn"),
        (medium_single_turn, Task.GENERAL, "fell back to general"),
        (short_distinct_answers, Task.GENERAL, "fell back to general"),
    ],
)
def test_infer_task(tmp_path: Path, make: Maker, task: Task, reason: str) -> None:
    frame = load_dataset([write(tmp_path, make)]).train
    got_task, got_reason = infer_task(frame)
    assert got_task is task
    assert reason in got_reason


def test_empty_frame_falls_back() -> None:
    assert infer_task(pl.DataFrame(schema=CANONICAL_SCHEMA)) == (
        Task.GENERAL,
        "no rows to judge; fell back to general",
    )


def test_large_frames_are_sampled(tmp_path: Path) -> None:
    frame = load_dataset([write(tmp_path, classification, rows=6_000)]).train
    task, reason = infer_task(frame)
    assert task is Task.CLASSIFICATION
    assert "sample" in reason


def test_context_uses_given_task_or_infers(tmp_path: Path) -> None:
    dataset = load_dataset([write(tmp_path, classification)])
    given = AuditContext(dataset, AuditConfig(task=Task.GENERATION)).task
    assert (given.task, given.inferred) == (Task.GENERATION, False)
    inferred = AuditContext(dataset, AuditConfig()).task
    assert (inferred.task, inferred.inferred) == (Task.CLASSIFICATION, True)
