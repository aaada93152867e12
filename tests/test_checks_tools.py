"""FT111–FT113: tool-call arguments, declared tools, call/result pairing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.check import Status
from checks.tools import (
    InvalidToolArguments,
    UndeclaredTool,
    UnmatchedToolResult,
    argument_problem,
    pairing_problems,
)
from tests.checkutil import context_of, fixture, flagged, metric


def call(call_id: str | None, name: str = "lookup", arguments: str = "{}") -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "function", "function": {"name": name, "arguments": arguments}}
    return spec if call_id is None else {"id": call_id, **spec}


def calling(*calls: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": "", "tool_calls": list(calls)}


def result_of(call_id: str | None) -> dict[str, Any]:
    message = {"role": "tool", "content": '{"ok": true}'}
    return message if call_id is None else {**message, "tool_call_id": call_id}


USER = {"role": "user", "content": "Look it up, please."}
ANSWER = {"role": "assistant", "content": "Here is what I found."}


# --- FT111 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ('{"city": "Oslo"}', None),
        ("{}", None),
        (' {"nested": {"a": [1, 2]}} ', None),
        ("", "empty arguments"),
        ("   ", "empty arguments"),
        ("{'city': 'Oslo'}", "not valid JSON"),
        ('{"city": "Oslo",}', "not valid JSON"),
        ('{"city": "Oslo"', "not valid JSON"),
        ('["Oslo"]', "a JSON array, not an object"),
        ("42", "a JSON number, not an object"),
        ("null", "a JSON null, not an object"),
        ('"{\\"city\\": \\"Oslo\\"}"', "JSON-encoded twice"),
        ('"Oslo"', "a JSON string, not an object"),
    ],
)
def test_argument_problem(arguments: str, problem: str | None) -> None:
    found = argument_problem(arguments)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_invalid_arguments_flag_the_fixture_rows() -> None:
    result = InvalidToolArguments().run(fixture("FT111", "bad"))
    assert result.status is Status.FAIL
    assert flagged(result) == [2, 3, 4, 5]
    assert {f.path for f in result.findings} == {"messages[1].tool_calls[0].function.arguments"}
    assert result.findings[0].excerpt == "{'city': 'Bergen', 'days': 1}"
    assert metric(result, "tool_calls") == 5
    assert metric(result, "invalid_calls") == 4
    assert InvalidToolArguments().run(fixture("FT111", "good")).status is Status.PASS


def test_invalid_arguments_name_the_call_index(tmp_path: Path) -> None:
    row = {
        "messages": [
            USER,
            calling(call("a"), call("b", arguments="{oops")),
            result_of("a"),
            result_of("b"),
            ANSWER,
        ]
    }
    (finding,) = InvalidToolArguments().run(context_of(tmp_path, [row])).findings
    assert finding.path == "messages[1].tool_calls[1].function.arguments"


def test_invalid_arguments_without_calls_is_not_applicable(tmp_path: Path) -> None:
    result = InvalidToolArguments().run(context_of(tmp_path, [{"messages": [USER, ANSWER]}]))
    assert result.status is Status.PASS
    assert result.summary == "not applicable: no tool calls"


# --- FT112 ---------------------------------------------------------------------------------


def test_undeclared_tools_flag_the_fixture_rows() -> None:
    result = UndeclaredTool().run(fixture("FT112", "bad"))
    assert result.status is Status.FAIL
    assert flagged(result) == [2, 3]  # line 4 declares no tools: not judged
    first, second = result.findings
    assert first.path == "messages[2].tool_calls[0].function.name"
    assert first.hint is not None and first.hint.startswith("did you mean `book_flight`?")
    assert "`cancel_booking`" in second.message
    assert metric(result, "applicable_rows") == 3
    assert UndeclaredTool().run(fixture("FT112", "good")).status is Status.PASS


def test_legacy_functions_count_as_declarations(tmp_path: Path) -> None:
    legacy = {
        "messages": [
            USER,
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "lookup", "arguments": "{}"},
            },
            {"role": "function", "name": "lookup", "content": "{}"},
            ANSWER,
        ],
        "functions": [{"name": "lookup", "parameters": {"type": "object"}}],
    }
    result = UndeclaredTool().run(context_of(tmp_path, [legacy]))
    assert result.status is Status.PASS
    assert metric(result, "tool_calls") == 1


def test_an_empty_tools_list_declares_nothing(tmp_path: Path) -> None:
    row = {"messages": [USER, calling(call("a")), result_of("a"), ANSWER], "tools": []}
    assert flagged(UndeclaredTool().run(context_of(tmp_path, [row]))) == [1]


def test_undeclared_tools_without_declarations_is_not_applicable(tmp_path: Path) -> None:
    row = {"messages": [USER, calling(call("a")), result_of("a"), ANSWER]}
    result = UndeclaredTool().run(context_of(tmp_path, [row]))
    assert result.summary == "not applicable: no row declares its tools"


# --- FT113 ---------------------------------------------------------------------------------


def test_unmatched_results_flag_the_fixture_rows() -> None:
    result = UnmatchedToolResult().run(fixture("FT113", "bad"))
    assert result.status is Status.FAIL
    assert flagged(result) == [2, 3, 4, 6]  # line 5's final call may stay unanswered
    assert [(f.line, f.path) for f in result.findings] == [
        (2, "messages[2].tool_call_id"),
        (3, "messages[1].tool_calls[0].id"),
        (4, "messages[1].tool_calls[1].id"),
        (6, "messages[2]"),
    ]
    assert "(the open call is `call_c2`)" in result.findings[0].message
    assert metric(result, "affected_rows") == 4
    assert UnmatchedToolResult().run(fixture("FT113", "good")).status is Status.PASS


def turns(*messages: dict[str, Any]) -> list[dict[str, Any]]:
    """Messages in the narrow shape `pairing_problems` reads."""
    return [
        {
            "role": m["role"],
            "tool_call_id": m.get("tool_call_id"),
            "ids": [c.get("id") for c in m["tool_calls"]] if m.get("tool_calls") else None,
        }
        for m in messages
    ]


@pytest.mark.parametrize(
    ("messages", "paths"),
    [
        ((USER, calling(call("a")), result_of("a"), ANSWER), []),
        ((USER, calling(call("a")), USER), ["messages[1].tool_calls[0].id"]),
        ((USER, calling(call("a"))), []),  # the conversation stops at the call
        ((USER, calling(call("a"), call("b")), result_of("b"), result_of("a"), ANSWER), []),
        ((USER, calling(call("a")), result_of("z"), ANSWER), ["messages[2].tool_call_id"]),
        ((USER, result_of("a"), ANSWER), ["messages[1].tool_call_id"]),
        ((USER, calling(call("a")), result_of(None), ANSWER), ["messages[2]"]),
        (
            (USER, calling(call("a"), call("b")), result_of("a"), ANSWER),
            ["messages[1].tool_calls[1].id"],
        ),
        (
            (USER, calling(call("a")), ANSWER, result_of("a")),
            ["messages[1].tool_calls[0].id"],  # a late result does not answer in time
        ),
        ((USER, calling(call(None)), result_of(None), ANSWER), []),  # no ids: not judged
    ],
)
def test_pairing_problems(messages: tuple[dict[str, Any], ...], paths: list[str]) -> None:
    assert [path for path, *_ in pairing_problems(turns(*messages))] == paths


def test_sharegpt_calls_without_ids_are_not_judged(tmp_path: Path) -> None:
    row = {
        "conversations": [
            {"from": "human", "value": "Weather in Oslo?"},
            {
                "from": "function_call",
                "value": '{"name": "get_weather", "arguments": {"city": "Oslo"}}',
            },
            {"from": "observation", "value": '{"temp_c": 4}'},
            {"from": "gpt", "value": "It is 4 °C in Oslo."},
        ]
    }
    result = UnmatchedToolResult().run(context_of(tmp_path, [row]))
    assert result.status is Status.PASS
    assert metric(result, "applicable_rows") == 1


def test_unmatched_results_without_tools_is_not_applicable(tmp_path: Path) -> None:
    result = UnmatchedToolResult().run(context_of(tmp_path, [{"messages": [USER, ANSWER]}]))
    assert result.summary == "not applicable: no tool calls or tool results"


def test_an_unnamed_call_is_bad_json_but_not_an_undeclared_tool(tmp_path: Path) -> None:
    row = {
        "conversations": [
            {"from": "human", "value": "Weather in Oslo?"},
            {"from": "function_call", "value": "get_weather(city='Oslo')"},
            {"from": "observation", "value": '{"temp_c": 4}'},
            {"from": "gpt", "value": "It is 4 °C in Oslo."},
        ],
        "tools": '[{"name": "get_weather", "parameters": {}}]',
    }
    ctx = context_of(tmp_path, [row])
    (finding,) = InvalidToolArguments().run(ctx).findings
    assert finding.message.startswith("unnamed call: arguments are not valid JSON")
    assert UndeclaredTool().run(ctx).findings == []
