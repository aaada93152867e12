"""The column-wise path for plain chat rows gives the per-row path's rows and findings."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal

from auditor.formats import normalize_chunk
from auditor.formats.columnar import plain_chat_json, plain_row
from auditor.formats.columnar_preference import plain_preference_row
from auditor.io import FileRead, iter_record_chunks

ROOT = Path(__file__).parent.parent
FILES = sorted(
    p
    for p in [*(ROOT / "samples").rglob("*.jsonl"), *(ROOT / "tests" / "fixtures").rglob("*.jsonl")]
    if p.stat().st_size < 2_000_000
)


def both_paths(path: Path, eval_shapes: bool = False) -> tuple[Any, Any]:
    read = FileRead(str(path))
    records = [pair for chunk in iter_record_chunks(path, read) for pair in chunk]
    fast = normalize_chunk(records, str(path), eval_shapes=eval_shapes)
    slow = normalize_chunk(records, str(path), eval_shapes=eval_shapes, column_wise=False)
    return fast, slow


def assert_paths_agree(path: Path, rows: list[dict[str, Any]]) -> None:
    """Both paths give the same rows and findings for `rows` written to `path`."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    fast, slow = both_paths(path)
    assert_frame_equal(fast.rows, slow.rows)
    assert fast.findings == slow.findings


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_sample_and_fixture_normalizes_the_same(path: Path) -> None:
    fast, slow = both_paths(path, eval_shapes=".eval" in path.name)
    assert_frame_equal(fast.rows, slow.rows)
    assert fast.findings == slow.findings


def test_the_column_wise_path_takes_the_plain_rows_of_the_samples() -> None:
    read = FileRead("samples/chat_clean.jsonl")
    records = [
        r
        for chunk in iter_record_chunks(ROOT / "samples" / "chat_clean.jsonl", read)
        for r in chunk
    ]
    assert all(plain_chat_json(record) is not None for _, record in records)


def random_chat(rng: random.Random) -> dict[str, Any]:
    """Plain and almost-plain rows: roles in any order, empty texts, unicode, extra keys."""
    words = ["hi", "Grüße", "naïve", "", "line\nbreak", "user: quoted", "🙂", "a\tb", "x" * 50]
    roles = ["system", "user", "assistant", "assistant", "user", "tool"] * 6 + [
        "function",
        "System",
    ]
    messages: list[Any] = []
    for _ in range(rng.randint(0, 6)):
        message: dict[str, Any] = {"role": rng.choice(roles), "content": rng.choice(words)}
        if rng.random() < 0.05:
            message["weight"] = rng.choice([0, 1])
        if rng.random() < 0.03:
            message["content"] = None
        if message["role"] == "assistant" and rng.random() < 0.4:
            message["tool_calls"] = [random_call(rng) for _ in range(rng.randint(0, 2))]
            if rng.random() < 0.5:
                message["content"] = None
        if message["role"] == "tool" and rng.random() < 0.8:
            message["tool_call_id"] = rng.choice(["call_1", "call_2", None, 7])
        if rng.random() < 0.05:
            message["name"] = rng.choice(["bot", None, 3])
        messages.append(message)
    record: dict[str, Any] = {"messages": messages}
    if rng.random() < 0.3:
        record["tools"] = [random_tool(rng) for _ in range(rng.randint(0, 2))]
    if rng.random() < 0.05:
        record["id"] = rng.randint(0, 9)
    return record


def random_call(rng: random.Random) -> Any:
    """A tool call, now and then broken: arguments as an object, no name, a bad id."""
    arguments: Any = rng.choice(['{"q": "tent"}', "{}", ""])
    if rng.random() < 0.05:
        arguments = rng.choice([{"q": 1}, None])
    name = "lookup" if rng.random() < 0.97 else None
    call: dict[str, Any] = {"id": rng.choice(["call_1", None]), "type": "function"}
    call["function"] = {"name": name, "arguments": arguments}
    if rng.random() < 0.03:
        call = rng.choice([{**call, "id": 5}, {**call, "function": "lookup"}, {"id": "c"}])
    return call if rng.random() < 0.98 else ["not", "a", "call"]


def random_tool(rng: random.Random) -> Any:
    name = rng.choice(["lookup", "search", "lookup", None])
    return rng.choice([{"type": "function", "function": {"name": name}}, {"name": name}, "x"])


def test_random_rows_normalize_the_same(tmp_path: Path) -> None:
    rng = random.Random(19)
    rows = [random_chat(rng) for _ in range(3000)]
    assert_paths_agree(tmp_path / "random.jsonl", rows)
    plain = [r for r in rows if plain_chat_json(r) is not None]
    assert 300 < len(plain) < len(rows) - 300  # both paths took a good share
    assert sum(any(m.get("tool_calls") for m in r["messages"]) for r in plain) > 100


def random_pair(rng: random.Random) -> dict[str, Any]:
    """ShareGPT, prompt/completion and Alpaca rows, plain and not: empty or null input and
    system, odd speakers, a number where a string belongs, a history, an extra key."""
    texts: list[Any] = ["Summarize this.", "", "naïve\nline", "🙂", None, 3]
    pick = [t for t in texts if isinstance(t, str)]
    if rng.random() < 0.3:
        speakers = ["human", "gpt", "gpt", "human", "system", "observation", "function_call", "bot"]
        turns = [
            {"from": rng.choice(speakers), "value": rng.choice(pick)}
            for _ in range(rng.randint(0, 5))
        ]
        if turns and rng.random() < 0.05:
            turns[0]["value"] = rng.choice(texts)
        record: dict[str, Any] = {"conversations": turns}
        if rng.random() < 0.3:
            record["system"] = rng.choice(["Be brief.", "", None])
    elif rng.random() < 0.4:
        record = {"prompt": rng.choice(pick), "completion": rng.choice(pick)}
        if rng.random() < 0.1:
            record["completion"] = rng.choice(texts)
    else:
        record = {"instruction": rng.choice(pick), "output": rng.choice(pick)}
        if rng.random() < 0.7:
            record["input"] = rng.choice(texts)
        if rng.random() < 0.3:
            record["system"] = rng.choice(["Be brief.", "", None])
        if rng.random() < 0.05:
            record["history"] = [["hi", "hello"]]
    if rng.random() < 0.05:
        record["id"] = 1
    return record


def test_random_pairs_normalize_the_same(tmp_path: Path) -> None:
    rng = random.Random(23)
    rows = [random_pair(rng) for _ in range(2000)]
    assert_paths_agree(tmp_path / "pairs.jsonl", rows)
    taken = [plain_row(r) for r in rows]
    formats = {found[0] for found in taken if found is not None}
    assert formats == {"openai-completion", "alpaca", "sharegpt"}
    assert 200 < sum(found is None for found in taken) < len(rows) - 200


PREFERENCE_FILES = [
    ROOT / "samples" / "formats" / "preference.jsonl",
    ROOT / "samples" / "formats" / "openai_preference.jsonl",
    ROOT / "tests" / "fixtures" / "FT114" / "bad.jsonl",
    ROOT / "tests" / "fixtures" / "FT304" / "bad.jsonl",
]


@pytest.mark.parametrize("path", PREFERENCE_FILES, ids=lambda p: p.name)
def test_the_column_wise_path_takes_the_plain_pairs_of_the_samples(path: Path) -> None:
    """Those files are among FILES above, so both paths are compared on them too."""
    read = FileRead(str(path))
    records = [record for chunk in iter_record_chunks(path, read) for _, record in chunk]
    taken = [plain_preference_row(record) for record in records]
    # The one pair the fast path leaves: ShareGPT turns, with a message object per side.
    left = [r for r, found in zip(records, taken, strict=True) if found is None]
    assert all("conversations" in r for r in left)
    assert len(left) < len(records)


def random_side(rng: random.Random, texts: list[Any]) -> Any:
    """A preference reply: one assistant turn, now and then odd: tool calls, two turns,
    another role, non-string content, ShareGPT keys, an extra key, an empty list."""
    turn: dict[str, Any] = {"role": "assistant", "content": rng.choice(texts[:5])}
    odd = rng.random()
    if odd < 0.03:
        turn["tool_calls"] = [random_call(rng)]
        turn["content"] = rng.choice([None, "", "Let me look."])
    elif odd < 0.05:
        turn["content"] = rng.choice([None, 3, [{"type": "text", "text": "hi"}], {"a": 1}])
    elif odd < 0.06:
        turn["role"] = rng.choice(["user", "gpt", None])
    elif odd < 0.07:
        turn = {"from": "gpt", "value": turn["content"]}
    elif odd < 0.08:
        turn["weight"] = 1
    elif odd < 0.09:
        return []
    elif odd < 0.10:
        return [turn, {"role": "user", "content": "more?"}, dict(turn)]
    elif odd < 0.11:
        return turn  # a bare message object
    return [turn]


def random_prompt(rng: random.Random, texts: list[Any]) -> list[Any]:
    """A prompt conversation: an optional system turn, then user/assistant turns."""
    turns: list[Any] = []
    if rng.random() < 0.2:
        turns.append({"role": "system", "content": rng.choice(["Be kind.", ""])})
    for index in range(rng.choice([1, 1, 1, 3])):
        role = "user" if index % 2 == 0 else "assistant"
        turns.append({"role": role, "content": rng.choice(texts[:5])})
    odd = rng.random()
    if odd < 0.03:
        turns[-1]["content"] = rng.choice(texts[5:])
    elif odd < 0.05:
        turns.insert(0, {"from": "human", "value": "hi"})
    elif odd < 0.06:
        turns[-1]["name"] = rng.choice(["ann", 4])
    elif odd < 0.07:
        turns.insert(1, {"role": "assistant", "content": None, "tool_calls": [random_call(rng)]})
        turns.insert(2, {"role": "tool", "content": "{}", "tool_call_id": "call_1"})
    elif odd < 0.08:
        turns.append(rng.choice(["hi", None, 5]))
    elif odd < 0.09:
        return []
    return turns


def random_preference(rng: random.Random) -> dict[str, Any]:
    """TRL pairs (strings, conversations, implicit prompts) and OpenAI DPO pairs, plain and
    not: wrong types, missing and extra keys, empty lists, tool calls, non-string content."""
    texts: list[Any] = ["Summarize this.", "", "naïve\nline", "🙂", "user: quoted", None, 3, []]
    kind = rng.random()
    if kind < 0.3:
        record: dict[str, Any] = {"prompt": rng.choice(texts[:5])}
        record["chosen"], record["rejected"] = rng.choice(texts[:5]), rng.choice(texts[:5])
        if rng.random() < 0.05:
            record[rng.choice(["prompt", "chosen", "rejected"])] = rng.choice(texts[5:])
    elif kind < 0.5:
        record = {"prompt": random_prompt(rng, texts)}
        record["chosen"], record["rejected"] = random_side(rng, texts), random_side(rng, texts)
        if rng.random() < 0.1:
            record["chosen"] = rng.choice(texts[:5])  # a string side beside message lists
    elif kind < 0.7:
        shared = random_prompt(rng, texts)
        chosen, rejected = random_side(rng, texts), random_side(rng, texts)
        record = {
            "chosen": [*shared, *(chosen if isinstance(chosen, list) else [chosen])],
            "rejected": [*shared, *(rejected if isinstance(rejected, list) else [rejected])],
        }
        if rng.random() < 0.05 and len(shared) > 1:
            record["rejected"][0] = {"role": "user", "content": "another prompt"}
        if rng.random() < 0.03:
            record["chosen"] = record["chosen"][-1:]  # no prompt to share
    else:
        given: dict[str, Any] = {"messages": random_prompt(rng, texts)}
        if rng.random() < 0.2:
            given["tools"] = [random_tool(rng) for _ in range(rng.randint(0, 2))]
        if rng.random() < 0.03:
            given["parallel_tool_calls"] = True
        record = {
            "input": given if rng.random() < 0.97 else rng.choice([None, "hi", []]),
            "preferred_output": random_side(rng, texts),
            "non_preferred_output": random_side(rng, texts),
        }
        if rng.random() < 0.05:
            record["preferred_output"] = rng.choice(texts[:5])  # a string: not OpenAI's shape
    odd = rng.random()
    if odd < 0.04:
        record.pop(rng.choice(sorted(record)))
    elif odd < 0.08:
        record["id"] = 7
    elif odd < 0.16 and "input" not in record:
        record["system"] = rng.choice(["Be brief.", "", None, 3])
    elif odd < 0.18:
        record["tools"] = [random_tool(rng)]
    elif odd < 0.20 and "input" not in record:
        record["messages"] = [{"role": "user", "content": "hi"}]
    return record


def test_random_preference_pairs_normalize_the_same(tmp_path: Path) -> None:
    rng = random.Random(29)
    rows = [random_preference(rng) for _ in range(2000)]
    assert_paths_agree(tmp_path / "preference.jsonl", rows)
    taken = [plain_preference_row(r) for r in rows]
    formats = [found[0] for found in taken if found is not None]
    assert formats.count("preference") > 500 and formats.count("openai-preference") > 200
    implicit = [r for r, found in zip(rows, taken, strict=True) if found and "prompt" not in r]
    assert len(implicit) > 200
    assert 300 < sum(found is None for found in taken) < len(rows) - 300


def test_a_chunk_of_chat_and_pairs_keeps_its_order(tmp_path: Path) -> None:
    """Fast and per-row rows of all shapes, interleaved, come back in the file's order."""
    rng = random.Random(31)
    makers = [random_chat, random_pair, random_preference]
    rows = [rng.choice(makers)(rng) for _ in range(1500)]
    assert_paths_agree(tmp_path / "mixed.jsonl", rows)


@pytest.mark.parametrize(
    "record",
    [
        {"prompt": "p", "chosen": [{"role": ["x"], "content": "a"}], "rejected": "r"},
        {
            "chosen": [{"role": {"a": 1}, "content": "q"}, {"role": "assistant", "content": "a"}],
            "rejected": [{"role": {"a": 1}, "content": "q"}, {"role": "assistant", "content": "b"}],
        },
    ],
)
def test_an_unhashable_role_falls_back_to_the_per_row_path(
    record: dict[str, Any], tmp_path: Path
) -> None:
    assert plain_preference_row(record) is None
    assert_paths_agree(tmp_path / "odd.jsonl", [record])
