"""OpenAI chat: messages with tool calls, content parts and loss weights; also the
tool-call and tool-declaration readers the other chat formats share (ShareGPT and
LLaMA-Factory write calls and tools as JSON strings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from auditor.formats.canonical import (
    OPENAI_ROLES,
    Row,
    call,
    declare,
    finish_chat,
    set_declared,
    to_json,
)
from auditor.vocabulary import V1_CALL_TYPES, V1_TEXT_TYPES, V1_VALUE_TYPES


def function_of(value: Any, call_id: str | None, row: Row) -> dict[str, Any]:
    """An OpenAI `{name, arguments}` function, arguments kept raw so FT111 can judge them."""
    if not isinstance(value, dict):
        row.suspect = True
        value = {}
    arguments = value.get("arguments")
    if not isinstance(arguments, str):
        # Trainers expect a JSON-encoded string; an object here is a schema error.
        row.suspect = True
        arguments = "" if arguments is None else to_json(arguments)
    return call(row.string(value.get("name")), arguments, call_id)


def tool_calls_of(value: Any, row: Row) -> list[dict[str, Any]] | None:
    """OpenAI `tool_calls`: [{id, type, function: {name, arguments}}]."""
    if value is None:
        return None
    if not isinstance(value, list):
        row.suspect = True
        return None
    calls = []
    for item in value:
        if not isinstance(item, dict):
            row.suspect = True
            continue
        calls.append(function_of(item.get("function"), row.optional(item.get("id")), row))
    return calls


@dataclass
class Content:
    """A message's content as read from its parts: texts, and calls made in call parts."""

    texts: list[str] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)


def read_value_part(kind: str, value: str, row: Row, path: str, content: Content) -> None:
    """A v1 `{type, value}` part: text, tool calls, or the tools the conversation declares."""
    if kind in V1_TEXT_TYPES:
        content.texts.append(value)
    elif kind in V1_CALL_TYPES:
        content.calls += json_calls(value, row, path)
    else:
        declare(row, json_tool_names(value, row, path))


def read_part(part: Any, row: Row, path: str, content: Content) -> None:
    """One typed content part; a part of another type becomes a `[type]` placeholder."""
    if isinstance(part, str):
        content.texts.append(part)
        return
    if not isinstance(part, dict):
        row.suspect = True
        content.texts.append(row.text_of(part))
        return
    kind = part.get("type")
    if "type" in part and not isinstance(kind, str):
        row.suspect = True
    if "text" in part:
        content.texts.append(row.string(part["text"]))
    elif isinstance(kind, str) and kind in V1_VALUE_TYPES:
        read_value_part(kind, row.string(part.get("value")), row, f"{path}.value", content)
    elif isinstance(kind, str):
        content.texts.append(f"[{kind}]")
    else:
        row.suspect = True


def read_content(value: Any, row: Row, path: str) -> Content:
    """Message content: a string, or a list of typed parts (OpenAI's or LLaMA-Factory v1's)."""
    content = Content()
    if isinstance(value, list):
        for index, part in enumerate(value):
            read_part(part, row, f"{path}[{index}]", content)
    else:
        content.texts.append(row.text_of(value))
    return content


def tool_name(item: Any, row: Row) -> str | None:
    """A declared function's name: `{type, function: {name}}` or a bare `{name}` spec."""
    spec = item.get("function", item) if isinstance(item, dict) else None
    name = spec.get("name") if isinstance(spec, dict) else None
    if not isinstance(name, str):
        row.suspect = True
        return None
    return name


def tool_names(value: Any, row: Row) -> list[str]:
    if not isinstance(value, list):
        row.suspect = True
        return []
    names = (tool_name(item, row) for item in value)
    return [name for name in names if name is not None]


def declared_functions(tools: Any, functions: Any, row: Row) -> list[str] | None:
    """Names from top-level `tools` ([{type, function: {name}}]) or legacy `functions`."""
    if tools is None and functions is None:
        return None
    names: list[str] = []
    if tools is not None:
        names += tool_names(tools, row)
    if functions is not None:
        names += tool_names(functions, row)
    return names


def message_weight(message: dict[str, Any], row: Row) -> float | None:
    """OpenAI's `weight`, else LLaMA-Factory v1's `loss_weight` (both are checked)."""
    weight = row.number(message.get("weight"))
    loss_weight = row.number(message.get("loss_weight"))
    return loss_weight if weight is None else weight


def add_openai_message(message: dict[str, Any], row: Row, path: str) -> None:
    role = row.string(message.get("role"))
    if "content" not in message and "tool_calls" not in message and "function_call" not in message:
        row.suspect = True
    weight = message_weight(message, row)
    content = read_content(message.get("content"), row, f"{path}.content")
    calls = tool_calls_of(message.get("tool_calls"), row)
    legacy = message.get("function_call")
    if legacy is not None:
        calls = [*(calls or ()), function_of(legacy, None, row)]
    if content.calls:
        calls = [*content.calls, *(calls or ())]
    row.add(
        OPENAI_ROLES.get(role, role),
        "\n".join(content.texts),
        weight=weight,
        name=row.optional(message.get("name")),
        tool_call_id=row.optional(message.get("tool_call_id")),
        tool_calls=calls,
    )


def add_openai_messages(value: Any, row: Row, path: str) -> None:
    if not isinstance(value, list):
        row.suspect = True
        return
    for index, message in enumerate(value):
        if isinstance(message, dict):
            add_openai_message(message, row, f"{path}[{index}]")
        else:
            row.suspect = True


def normalize_openai_chat(record: dict[str, Any], row: Row) -> None:
    """OpenAI chat, and LLaMA-Factory v1 SFT samples (`{type, value}` parts, `loss_weight`)."""
    add_openai_messages(record.get("messages"), row, "messages")
    set_declared(row, declared_functions(record.get("tools"), record.get("functions"), row))
    finish_chat(row)


def json_calls(value: str, row: Row, path: str) -> list[dict[str, Any]]:
    """The calls in a ShareGPT `function_call` turn or a v1 call part: JSON
    `{name, arguments}` or a list of them."""
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        # Kept raw as the arguments: FT111 reports text that is not JSON.
        return [call("", value)]
    calls = []
    for item in parsed if isinstance(parsed, list) else [parsed]:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            arguments = item.get("arguments", {})
            raw = arguments if isinstance(arguments, str) else to_json(arguments)
            calls.append(call(item["name"], raw))
        else:
            calls.append(call("", to_json(item)))
    if any(not c["name"] for c in calls):
        row.flag(
            "FT104",
            path,
            f"{path} should be a JSON-encoded {{name, arguments}} object",
            'write the call as {"name": "...", "arguments": {...}}',
        )
    return calls


def json_tool_names(value: Any, row: Row, path: str = "tools") -> list[str] | None:
    """Declared tools given as a list or, as ShareGPT does, a JSON-encoded string."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return tool_names(value, row)
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        parsed = None
    scratch = Row()
    names = tool_names(parsed, scratch)
    if scratch.suspect:
        row.flag(
            "FT104",
            path,
            f"{path} should be a JSON-encoded array of function specs, each with a name",
            "tools = json.dumps([{'name': ..., 'description': ..., 'parameters': {...}}])",
        )
    return names
