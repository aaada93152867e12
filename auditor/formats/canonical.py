"""The canonical row: its columns, the row builder every normalizer fills, and the
helpers all formats share (roles, rendering, tool declarations)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
import polars as pl

TOOL_CALL = pl.Struct({"id": pl.String, "name": pl.String, "arguments": pl.String})
MESSAGE = pl.Struct(
    {
        "role": pl.String,
        "content": pl.String,
        "weight": pl.Float64,
        "name": pl.String,
        "tool_call_id": pl.String,
        "tool_calls": pl.List(TOOL_CALL),
    }
)
CANONICAL_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.String(),
    "line": pl.Int64(),
    "format": pl.String(),
    "messages": pl.List(MESSAGE),
    "system": pl.String(),
    "tools": pl.List(pl.String),
    "prompt": pl.String(),
    "response": pl.String(),
    "text": pl.String(),
    "chosen": pl.String(),
    "rejected": pl.String(),
    "label": pl.Boolean(),
}

UNKNOWN = "unknown"

#: Question/answer key pairs, in the order they are tried.
QA_PAIRS: tuple[tuple[str, str], ...] = (
    ("question", "answer"),
    ("query", "response"),
    ("input", "output"),
    ("prompt", "response"),
)

OPENAI_ROLES = {"function": "tool"}
SHAREGPT_ROLES = {
    "human": "user",
    "gpt": "assistant",
    "system": "system",
    "function_call": "assistant",
    "observation": "tool",
}
GEMINI_ROLES = {"model": "assistant", "function": "tool"}


def to_json(value: Any) -> str:
    """Compact JSON text; falls back to stdlib for what orjson refuses (ints over 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, default=str)


class Issue(NamedTuple):
    """A problem no JSON Schema can see, e.g. inside a JSON-encoded string."""

    code: str
    path: str
    message: str
    hint: str


@dataclass
class Row:
    """A canonical row under construction; `suspect` asks for schema validation."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    system: str | None = None
    tools: list[str] | None = None
    prompt: str = ""
    response: str = ""
    text: str = ""
    chosen: str | None = None
    rejected: str | None = None
    label: bool | None = None
    suspect: bool = False
    issues: list[Issue] = field(default_factory=list)

    def add(
        self,
        role: str,
        content: str,
        *,
        weight: float | None = None,
        name: str | None = None,
        tool_call_id: str | None = None,
        tool_calls: list[dict[str, Any]] | None = None,
    ) -> None:
        self.messages.append(
            {
                "role": role,
                "content": content,
                "weight": weight,
                "name": name,
                "tool_call_id": tool_call_id,
                "tool_calls": tool_calls,
            }
        )

    def text_of(self, value: Any) -> str:
        """A content value as text; None is empty, anything but a string is suspect."""
        if isinstance(value, str):
            return value
        if value is None:
            return ""
        self.suspect = True
        return to_json(value) if isinstance(value, dict | list) else str(value)

    def string(self, value: Any) -> str:
        """A required string; anything else (a missing key included) is suspect."""
        if isinstance(value, str):
            return value
        self.suspect = True
        return "" if value is None else self.text_of(value)

    def optional(self, value: Any) -> str | None:
        """An optional string: None stays None, a non-string is suspect (kept as text)."""
        if value is None or isinstance(value, str):
            return value
        return self.text_of(value)

    def flag(self, code: str, path: str, message: str, hint: str) -> None:
        self.issues.append(Issue(code, path, message, hint))

    def absorb(self, other: Row) -> list[dict[str, Any]]:
        """Take over what a scratch row found (tools its content parts declared too);
        return its messages."""
        self.suspect = self.suspect or other.suspect
        self.issues.extend(other.issues)
        declare(self, other.tools)
        return other.messages

    def number(self, value: Any) -> float | None:
        """An optional number (a boolean is not one); anything else is suspect."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.suspect = True
            return None
        return float(value)


@dataclass(frozen=True)
class KeyMapping:
    """Explicit prompt/response keys (`--prompt-key`, `--response-key`)."""

    prompt: str
    response: str


Normalizer = Callable[[dict[str, Any], Row], None]


def call(name: str, arguments: str, call_id: str | None = None) -> dict[str, Any]:
    return {"id": call_id, "name": name, "arguments": arguments}


def declare(row: Row, names: list[str] | None) -> None:
    """Add declared tool names not declared yet (a v1 DPO pair repeats its system turn)."""
    if names is None:
        return
    known = row.tools or []
    row.tools = [*known, *(name for name in names if name not in known)]


def set_declared(row: Row, names: list[str] | None) -> None:
    """The record's own declared tools, then those its `tools` content parts declared."""
    from_parts, row.tools = row.tools, names
    declare(row, from_parts)


def render(messages: list[dict[str, Any]]) -> str:
    """A plain-text rendering of a conversation, for text-level checks."""
    parts = []
    for message in messages:
        content = message["content"]
        for tool_call in message.get("tool_calls") or ():
            content += f"\n{tool_call['name']}({tool_call['arguments']})"
        parts.append(f"{message['role']}: {content}")
    return "\n".join(parts)


def turn_text(message: dict[str, Any]) -> str:
    """One turn's content followed by its tool calls, as a response text."""
    calls = "\n".join(f"{c['name']}({c['arguments']})" for c in message["tool_calls"] or ())
    return "\n".join(p for p in (message["content"], calls) if p)


def reply_text(messages: list[dict[str, Any]]) -> str:
    """The final assistant turn of a reply; its plain contents when it has none."""
    last = next((m for m in reversed(messages) if m["role"] == "assistant"), None)
    if last is None:
        return "\n".join(m["content"] for m in messages)
    return turn_text(last)


def finish_chat(row: Row) -> None:
    """Derive system/prompt/response/text from the messages of a chat-shaped row."""
    if row.system is None:
        row.system = next((m["content"] for m in row.messages if m["role"] == "system"), None)
    last = max((i for i, m in enumerate(row.messages) if m["role"] == "assistant"), default=None)
    if last is None:
        row.prompt = render(row.messages)
        row.response = ""
    else:
        row.prompt = render(row.messages[:last])
        row.response = turn_text(row.messages[last])
    row.text = render(row.messages)


def add_system(value: Any, row: Row) -> None:
    """A top-level system prompt becomes the first message; an empty one is no prompt."""
    text = row.optional(value)
    if text:
        row.add("system", text)


def add_turn(
    row: Row, role: str, texts: list[str], calls: list[dict[str, Any]], results: list[Any]
) -> None:
    """A turn of block-structured content: its tool results first, then its own message.

    Gemini and Bedrock carry tool results inside a user turn; canonically each is a
    `tool` message, answering the calls of the assistant turn before it.
    """
    for content, name, call_id in results:
        row.add("tool", content, name=name, tool_call_id=call_id)
    if texts or calls or not results:
        row.add(role, "\n".join(texts), tool_calls=calls or None)
