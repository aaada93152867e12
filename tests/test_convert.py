"""auditor.convert: `ftaudit convert` writes the same conversations in another format, or
refuses a row with its line and the reason."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import auditor.convert as convert_module
from auditor.cli import main
from auditor.convert import TARGETS, Refusal, convert_file, convert_record, format_summary
from auditor.dataset import load_dataset
from auditor.formats import detect_format

SAMPLES = sorted((Path(__file__).parent.parent / "samples" / "formats").glob("*.jsonl"))
KEEPS_IDS = {"openai-chat", "preference", "gemini", "bedrock-converse"}


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def arguments(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def conversation(row: dict[str, Any], target: str) -> list[tuple[Any, ...]]:
    """What must survive a conversion: roles, texts, tool calls (ids where kept)."""
    ids = target in KEEPS_IDS
    out = []
    for m in row["messages"]:
        calls = [
            (c["id"] if ids else None, c["name"], arguments(c["arguments"]))
            for c in m["tool_calls"] or ()
        ]
        call_id = m["tool_call_id"] if ids else None
        weight = m["weight"] if target == "openai-chat" and m["role"] == "assistant" else None
        content = m["content"]
        if m["role"] == "tool" and target == "gemini":
            content = arguments(content)  # a function result is a JSON object in Gemini
        out.append((m["role"], content, calls, call_id, weight))
    return out


def rows(path: Path) -> list[dict[str, Any]]:
    return load_dataset([path]).train.to_dicts()


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_every_sample_converts_or_is_refused_and_reads_back_the_same(
    tmp_path: Path, sample: Path, target: str
) -> None:
    output = tmp_path / "out.jsonl"
    summary = convert_file(sample, output, target)
    before = rows(sample)
    assert summary.rows_read == len(before)
    assert summary.rows_written + len(summary.refused) == summary.rows_read
    for line, refusal in summary.refused:
        assert refusal.kind and refusal.reason, (line, refusal)
    refused = {line for line, _ in summary.refused}
    kept = [row for row in before if row["line"] not in refused]
    if not kept:
        assert output.read_bytes() == b""
        return
    after = rows(output)
    assert len(after) == len(kept) == summary.rows_written
    for source, result in zip(kept, after, strict=True):
        where = f"{sample.name}:{source['line']} → {target}"
        assert result["format"] == target, where
        assert conversation(result, target) == conversation(source, target), where
        assert result["system"] == source["system"], where
        assert (result["tools"] or None) == (source["tools"] or None), where
        assert (result["chosen"], result["rejected"]) == (source["chosen"], source["rejected"])


def test_every_sample_converts_somewhere() -> None:
    """No sample format is refused by every target, except those no target can hold."""
    unconvertible = {"kto", "text"}
    for sample in SAMPLES:
        records = [json.loads(line) for line in sample.read_text().splitlines()]
        fmt = detect_format(records[0])
        if fmt in unconvertible:
            continue
        converted = [
            target
            for target in TARGETS
            for record in records
            if not isinstance(convert_record(record, detect_format(record), target), Refusal)
        ]
        assert converted, sample.name


# --- lossless where the target can hold it ----------------------------------------------------

TOOL_CHAT = {
    "messages": [
        {"role": "user", "content": "Weather in Oslo?"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "forecast", "arguments": '{"city": "Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"sky": "snow"}'},
        {"role": "assistant", "content": "Snow in Oslo."},
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "forecast",
                "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ],
}
SCHEMA = TOOL_CHAT["tools"][0]["function"]  # type: ignore[index]


def converted(record: dict[str, Any], target: str) -> dict[str, Any]:
    result = convert_record(record, detect_format(record), target)
    assert not isinstance(result, Refusal), result
    return result


def test_tool_schemas_are_carried_into_every_tool_format() -> None:
    assert converted(TOOL_CHAT, "openai-chat")["tools"] == TOOL_CHAT["tools"]
    assert json.loads(converted(TOOL_CHAT, "sharegpt")["tools"]) == [SCHEMA]
    gemini = converted(TOOL_CHAT, "gemini")
    assert gemini["tools"] == [{"functionDeclarations": [SCHEMA]}]
    assert gemini["contents"][1]["parts"] == [
        {"functionCall": {"name": "forecast", "args": {"city": "Oslo"}, "id": "call_1"}}
    ]
    assert gemini["contents"][2]["parts"] == [
        {"functionResponse": {"name": "forecast", "response": {"sky": "snow"}, "id": "call_1"}}
    ]
    bedrock = converted(TOOL_CHAT, "bedrock-converse")
    assert bedrock["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "forecast",
                    "description": "Weather for a city",
                    "inputSchema": {"json": SCHEMA["parameters"]},
                }
            }
        ]
    }
    # ... and back: the schema a Bedrock or Gemini row declares reaches openai-chat whole.
    for shape in (bedrock, gemini):
        assert converted(shape, "openai-chat")["tools"] == TOOL_CHAT["tools"]


def test_openai_chat_keeps_the_loss_mask_and_exact_arguments() -> None:
    record = {
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Draft", "weight": 0},
            {"role": "user", "content": "Again"},
            {"role": "assistant", "content": "Final", "weight": 1},
        ]
    }
    assert converted(record, "openai-chat") == record
    assert converted(TOOL_CHAT, "openai-chat") == TOOL_CHAT


def test_alpaca_keeps_its_own_instruction_input_split() -> None:
    record = {"instruction": "Translate.", "input": "Hallo", "output": "Hello"}
    assert converted(record, "alpaca") == record
    chat = {
        "messages": [{"role": "user", "content": "A\n\nB"}, {"role": "assistant", "content": "C"}]
    }
    assert converted(chat, "alpaca") == {"instruction": "A\n\nB", "input": "", "output": "C"}


# --- refusals ------------------------------------------------------------------------------------


def refusal(record: dict[str, Any], target: str) -> Refusal:
    result = convert_record(record, detect_format(record), target)
    assert isinstance(result, Refusal), result
    return result


PAIR = {"prompt": "Name a cat.", "chosen": "Pebble.", "rejected": "Cats need no names."}
CHAT = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
MASKED = {
    "messages": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "bad", "weight": 0},
        {"role": "user", "content": "Again"},
        {"role": "assistant", "content": "good"},
    ]
}


@pytest.mark.parametrize(
    ("record", "target", "kind", "words"),
    [
        (TOOL_CHAT, "alpaca", "tool calls", "tool calls"),
        (PAIR, "openai-chat", "preference pair", "rejected answer would be lost"),
        (CHAT, "preference", "not a preference pair", "no rejected one"),
        (MASKED, "sharegpt", "loss mask", "weight 0"),
        (MASKED, "gemini", "loss mask", "weight 0"),
        (MASKED, "bedrock-converse", "loss mask", "weight 0"),
        (
            {"system": "Be brief.", "instruction": "Hi", "output": "Hello"},
            "alpaca",
            "system prompt",
            "standard Alpaca",
        ),
        (
            {"instruction": "Go on", "output": "B", "history": [["Start", "A"]]},
            "alpaca",
            "multi-turn",
            "4 turns",
        ),
        ({"prompt": "Q", "completion": "A", "label": False}, "openai-chat", "KTO row", "label"),
        ({"text": "plain notes"}, "sharegpt", "no conversation", "plain text"),
    ],
)
def test_refusals_name_the_reason(
    record: dict[str, Any], target: str, kind: str, words: str
) -> None:
    found = refusal(record, target)
    assert found.kind == kind
    assert words in found.reason


def test_what_the_canonical_row_flattens_is_refused() -> None:
    image = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "x.png"}},
                ],
            },
            {"role": "assistant", "content": "A cat."},
        ]
    }
    assert refusal(image, "openai-chat").kind == "non-text content"
    unread = {
        "messages": [
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": "4", "reasoning_content": "two and two"},
        ]
    }
    found = refusal(unread, "sharegpt")
    assert found.kind == "unread field" and "reasoning_content" in found.reason


def test_tool_rows_each_target_cannot_hold_faithfully() -> None:
    # ShareGPT pairs calls and results by position: answers out of order are refused.
    parallel = json.loads(json.dumps(TOOL_CHAT))
    parallel["messages"][1]["tool_calls"].append(
        {"id": "call_2", "type": "function", "function": {"name": "forecast", "arguments": "{}"}}
    )
    parallel["messages"].insert(2, {"role": "tool", "tool_call_id": "call_2", "content": "{}"})
    assert refusal(parallel, "sharegpt").kind == "tool call ids"
    assert not isinstance(convert_record(parallel, "openai-chat", "bedrock-converse"), Refusal)
    # Gemini's functionResponse.response is an object; Bedrock needs ids on every call.
    text_result = json.loads(json.dumps(TOOL_CHAT))
    text_result["messages"][2]["content"] = "snow"
    assert refusal(text_result, "gemini").kind == "tool result"
    no_ids = {
        "conversations": [
            {"from": "human", "value": "Weather?"},
            {"from": "function_call", "value": '{"name": "forecast", "arguments": {}}'},
            {"from": "observation", "value": "snow"},
            {"from": "gpt", "value": "Snow."},
        ]
    }
    assert refusal(no_ids, "bedrock-converse").kind == "tool call ids"
    assert not isinstance(convert_record(no_ids, "sharegpt", "openai-chat"), Refusal)
    # Text and calls in one turn do not fit ShareGPT's function_call turn.
    both = json.loads(json.dumps(TOOL_CHAT))
    both["messages"][1]["content"] = "Let me check."
    assert refusal(both, "sharegpt").kind == "text with tool calls"


# --- the command ---------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = main(["convert", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_cli_names_refused_lines_counts_them_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "data.jsonl", [CHAT, TOOL_CHAT, CHAT, MASKED])
    code, out = run(capsys, source, "--to", "alpaca", "-o", tmp_path / "out.jsonl")
    assert code == 1
    assert "read 4 rows" in out and "wrote 2 row(s) as alpaca" in out
    assert "refused 2 row(s)" in out and "holds only the converted rows" in out
    assert "1 × tool calls" in out and "1 × loss mask" in out
    assert f"{source}:2: tool calls" in out
    assert f"{source}:4: message 2 (assistant) has weight 0" in out
    assert len(rows(tmp_path / "out.jsonl")) == 2


def test_cli_specific_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = write(tmp_path / "pairs.jsonl", [PAIR])
    code, out = run(capsys, pairs, "--to", "openai-chat", "-o", tmp_path / "a.jsonl")
    assert code == 1 and f"{pairs}:1: a preference pair" in out
    chats = write(tmp_path / "chats.jsonl", [CHAT])
    code, out = run(capsys, chats, "--to", "preference", "-o", tmp_path / "b.jsonl")
    assert code == 1 and f"{chats}:1: this openai-chat row has one answer" in out
    masked = write(tmp_path / "masked.jsonl", [MASKED])
    code, out = run(capsys, masked, "--to", "sharegpt", "-o", tmp_path / "c.jsonl")
    assert code == 1 and f"{masked}:1: message 2 (assistant) has weight 0" in out
    code, out = run(capsys, pairs, "--to", "preference", "-o", tmp_path / "d.jsonl")
    assert code == 0 and "refused 0 rows" in out


def test_load_findings_are_refused_with_their_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "data.jsonl"
    source.write_text(
        json.dumps(CHAT) + "\n{not json\n\n" + json.dumps({"foo": 1}) + '\n{"messages": "oops"}\n'
    )
    summary = convert_file(source, tmp_path / "out.jsonl", "sharegpt")
    reasons = dict(summary.refused)
    assert (summary.rows_read, summary.rows_written, summary.blank_lines) == (4, 1, 1)
    assert reasons[2].kind == "unreadable line" and reasons[2].reason.startswith("FT001")
    assert reasons[4].kind == "unknown format" and "matches no known" in reasons[4].reason
    assert reasons[5].kind == "schema error"
    assert "1 blank line" in format_summary(summary)


def test_alpaca_file_to_openai_chat_keeps_every_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alpaca = next(p for p in SAMPLES if p.stem == "alpaca")
    output = tmp_path / "chat.jsonl"
    code, out = run(capsys, alpaca, "--to", "openai-chat", "-o", output)
    assert code == 0, out
    result = load_dataset([output]).train
    assert result.height == len(alpaca.read_text().splitlines())
    assert result["format"].unique().to_list() == ["openai-chat"]
    assert all(len(messages) >= 2 for messages in result["messages"].to_list())


def test_input_untouched_output_replaced_atomically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write(tmp_path / "data.jsonl", [CHAT, TOOL_CHAT])
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    output = tmp_path / "out.jsonl"
    output.write_text("old contents\n")
    written: list[Path] = []
    real = convert_module.write_atomic

    def spy(path: Path, data: bytes) -> None:
        written.append(path)
        real(path, data)

    monkeypatch.setattr(convert_module, "write_atomic", spy)
    code, _ = run(capsys, source, "--to", "sharegpt", "-o", output)
    assert code == 0
    assert written == [output]
    assert "old contents" not in output.read_text() and len(rows(output)) == 2
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl", "out.jsonl"]


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path / "data.jsonl", [CHAT])
    before = source.read_bytes()
    code, out = run(capsys, source, "--to", "sharegpt", "-o", source)
    assert code == 2 and "refusing to overwrite the input" in out
    assert source.read_bytes() == before
    code, out = run(capsys, tmp_path / "missing.jsonl", "--to", "sharegpt", "-o", tmp_path / "o")
    assert code == 2 and "no such file" in out
    code, _ = run(capsys, source, "--to", "llama", "-o", tmp_path / "o.jsonl")
    assert code == 2
    assert not (tmp_path / "o.jsonl").exists()


def test_gzip_output_and_unread_keys_note(tmp_path: Path) -> None:
    source = write(tmp_path / "data.jsonl", [{**CHAT, "id": "a1"}, {**CHAT, "id": "a2"}])
    output = tmp_path / "out.jsonl.gz"
    summary = convert_file(source, output, "gemini")
    lines = gzip.decompress(output.read_bytes()).decode().splitlines()
    assert [detect_format(json.loads(line)) for line in lines] == ["gemini", "gemini"]
    assert "keys ftaudit does not read were not carried: id (2 rows)" in format_summary(summary)
