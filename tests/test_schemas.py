"""The format schemas: valid JSON Schemas, explained as FT103/FT104 with field paths."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from auditor.formats import NORMALIZERS
from auditor.schemas import SCHEMAS, pair_schema, schema_findings


def explained(fmt: str, record: dict[str, Any], **kw: Any) -> list[tuple[str, str | None, str]]:
    return [(f.code, f.path, f.message) for f in schema_findings(fmt, record, "f.jsonl", 3, **kw)]


@pytest.mark.parametrize("fmt", sorted(SCHEMAS))
def test_every_schema_is_valid(fmt: str) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMAS[fmt])


def test_every_normalized_format_has_a_schema() -> None:
    assert set(NORMALIZERS) - {"qa"} == set(SCHEMAS)
    jsonschema.Draft202012Validator.check_schema(pair_schema("q", "a"))


def test_findings_carry_file_and_line() -> None:
    [finding] = schema_findings("text", {}, "data.jsonl", 12)
    assert (finding.code, finding.file, finding.line, finding.path) == (
        "FT103",
        "data.jsonl",
        12,
        "text",
    )
    assert finding.hint == "add `text` to the record"


def test_alternative_keys_are_one_finding() -> None:
    assert explained("openai-chat", {"messages": [{"role": "assistant"}]}) == [
        (
            "FT103",
            "messages[0].content",
            "missing required key messages[0].content (or tool_calls, function_call)",
        )
    ]
    assert explained("sharegpt", {"system": "s"}) == [
        ("FT103", "conversations", "missing required key conversations (or messages)")
    ]


def test_type_messages_leave_out_null() -> None:
    record = {"messages": [{"role": "assistant", "content": "x", "weight": "1"}]}
    assert explained("openai-chat", record) == [
        ("FT104", "messages[0].weight", "messages[0].weight should be number, got string")
    ]
    assert explained("openai-completion", {"prompt": 1.5, "completion": "c"}) == [
        ("FT104", "prompt", "prompt should be string, got number")
    ]


def test_arguments_hint() -> None:
    record = {
        "messages": [
            {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": {}}}]}
        ]
    }
    [finding] = schema_findings("openai-chat", record, "f.jsonl", 1)
    assert finding.hint is not None and "json.dumps" in finding.hint


def test_message_shape_follows_its_keys() -> None:
    """A conversation may mix ShareGPT and OpenAI messages; each is judged by its shape."""
    record = {"conversations": [{"from": "human"}, {"content": "hi"}, "text"]}
    assert explained("sharegpt", record) == [
        ("FT103", "conversations[0].value", "missing required key conversations[0].value"),
        ("FT103", "conversations[1].role", "missing required key conversations[1].role"),
        ("FT104", "conversations[2]", "conversations[2] should be object, got string"),
    ]


def test_only_the_alternative_read_is_judged() -> None:
    """`text` wins over `functionCall` in a Gemini part, as in the normalizer."""
    record = {"contents": [{"parts": [{"text": "t", "functionCall": 1}]}]}
    assert explained("gemini", record) == []
    record = {"contents": [{"parts": [{"functionCall": {"args": {}}}]}]}
    assert explained("gemini", record) == [
        (
            "FT103",
            "contents[0].parts[0].functionCall.name",
            "missing required key contents[0].parts[0].functionCall.name",
        )
    ]


def test_kto_label_key_depends_on_the_variant() -> None:
    assert explained("kto", {"messages": [], "kto_tag": "yes"}) == [
        ("FT104", "kto_tag", "kto_tag should be boolean, got string")
    ]
    assert explained("kto", {"prompt": "p", "completion": "c"}) == [
        ("FT103", "label", "missing required key label")
    ]


def test_pair_schema_for_question_answer_keys() -> None:
    assert explained("qa", {"query": 1, "response": "r"}, keys=("query", "response")) == [
        ("FT104", "query", "query should be string or array, got number")
    ]


def test_bedrock_empty_block() -> None:
    record = {"messages": [{"role": "user", "content": [{}]}]}
    [(code, path, _)] = explained("bedrock-converse", record)
    assert (code, path) == ("FT104", "messages[0].content[0]")


def test_v1_value_part_names_text_as_the_alternative() -> None:
    record = {"messages": [{"role": "user", "content": [{"type": "reasoning"}]}]}
    assert explained("openai-chat", record) == [
        (
            "FT103",
            "messages[0].content[0].value",
            "missing required key messages[0].content[0].value (or text)",
        )
    ]
    # Other part types carry no text of their own: a placeholder, never an error.
    assert (
        explained("openai-chat", {"messages": [{"role": "user", "content": [{"type": "x"}]}]}) == []
    )


def test_benchmark_schemas() -> None:
    assert explained("input-target", {"input": "i", "target": ["a", 1]}) == [
        ("FT104", "target[1]", "target[1] should be string, got number")
    ]
    assert explained("prompt-only", {"prompt": {"role": "user"}}) == [
        ("FT104", "prompt", "prompt should be string or array, got object")
    ]
    assert explained("mt-bench-turns", {"turns": "one"}) == [
        ("FT104", "turns", "turns should be array, got string")
    ]
