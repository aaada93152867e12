"""Detect each record's format and normalize it to the canonical row.

Every input format becomes the same columns (see CANONICAL_SCHEMA), once, here; checks
never parse raw JSON again. Each row keeps its own detected format, so a file that mixes
formats is still audited and FT102 can name the odd rows.

Clean rows take a fast path. A normalizer that meets anything off (a missing key, a wrong
type) marks the row suspect, and only then is the row validated against its format's JSON
Schema (auditor/schemas.py), whose errors become FT103/FT104 findings with a field path.
Validating every row with jsonschema would cost ~60 µs a row, 6 s per 100k.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import polars as pl

from auditor.check import Finding, Severity

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
        """A content value as text; anything but a string marks the row suspect."""
        if isinstance(value, str):
            return value
        if value is None:
            return ""
        self.suspect = True
        return orjson.dumps(value).decode() if isinstance(value, dict | list) else str(value)


@dataclass(frozen=True)
class KeyMapping:
    """Explicit prompt/response keys (`--prompt-key`, `--response-key`)."""

    prompt: str
    response: str


Normalizer = Callable[[dict[str, Any], Row], None]


def render(messages: list[dict[str, Any]]) -> str:
    """A plain-text rendering of a conversation, for text-level checks."""
    parts = []
    for message in messages:
        content = message["content"]
        for call in message.get("tool_calls") or ():
            content += f"\n{call['name']}({call['arguments']})"
        parts.append(f"{message['role']}: {content}")
    return "\n".join(parts)


def finish_chat(row: Row) -> None:
    """Derive system/prompt/response/text from the messages of a chat-shaped row."""
    if row.system is None:
        row.system = next((m["content"] for m in row.messages if m["role"] == "system"), None)
    last = max(
        (i for i, m in enumerate(row.messages) if m["role"] == "assistant"), default=None
    )
    if last is None:
        row.prompt = render(row.messages)
        row.response = ""
    else:
        row.prompt = render(row.messages[:last])
        final = row.messages[last]
        calls = "\n".join(f"{c['name']}({c['arguments']})" for c in final["tool_calls"] or ())
        row.response = "\n".join(p for p in (final["content"], calls) if p)
    row.text = render(row.messages)


# --- OpenAI chat -------------------------------------------------------------------------


def tool_calls_of(value: Any, row: Row) -> list[dict[str, Any]] | None:
    """OpenAI `tool_calls`: arguments kept as the raw string so FT111 can judge it."""
    if value is None:
        return None
    if not isinstance(value, list):
        row.suspect = True
        return None
    calls = []
    for call in value:
        if not isinstance(call, dict):
            row.suspect = True
            continue
        function = call.get("function")
        if not isinstance(function, dict):
            row.suspect = True
            function = {}
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            # Trainers expect a JSON-encoded string; an object here is a schema error.
            row.suspect = True
            arguments = orjson.dumps(arguments).decode() if arguments is not None else ""
        calls.append(
            {
                "id": call.get("id") if isinstance(call.get("id"), str) else None,
                "name": row.text_of(function.get("name")),
                "arguments": arguments,
            }
        )
    return calls


def content_text(value: Any, row: Row) -> str:
    """Message content: a string, or a list of typed parts whose text parts are joined."""
    if isinstance(value, list):
        texts = []
        for part in value:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif isinstance(part, dict) and "type" in part:
                texts.append(f"[{part['type']}]")
            elif isinstance(part, str):
                texts.append(part)
            else:
                row.suspect = True
        return "\n".join(texts)
    return row.text_of(value)


def declared_functions(tools: Any, functions: Any, row: Row) -> list[str] | None:
    """Names from top-level `tools` ([{type, function: {name}}]) or legacy `functions`."""
    if tools is None and functions is None:
        return None
    names: list[str] = []
    for item in tools if isinstance(tools, list) else []:
        spec = item.get("function", item) if isinstance(item, dict) else None
        if isinstance(spec, dict) and isinstance(spec.get("name"), str):
            names.append(spec["name"])
        else:
            row.suspect = True
    for item in functions if isinstance(functions, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            names.append(item["name"])
        else:
            row.suspect = True
    if tools is not None and not isinstance(tools, list):
        row.suspect = True
    return names


def normalize_openai_chat(record: dict[str, Any], row: Row) -> None:
    messages = record.get("messages")
    if not isinstance(messages, list):
        row.suspect = True
        messages = []
    for message in messages:
        if not isinstance(message, dict):
            row.suspect = True
            continue
        role = message.get("role")
        if not isinstance(role, str):
            row.suspect = True
            role = "" if role is None else str(role)
        if "content" not in message and not (
            message.get("tool_calls") or message.get("function_call")
        ):
            row.suspect = True
        weight = message.get("weight")
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int | float)):
            row.suspect = True
            weight = None
        calls = tool_calls_of(message.get("tool_calls"), row)
        legacy = message.get("function_call")
        if isinstance(legacy, dict):
            calls = (calls or []) + [
                {
                    "id": None,
                    "name": row.text_of(legacy.get("name")),
                    "arguments": legacy.get("arguments")
                    if isinstance(legacy.get("arguments"), str)
                    else row.text_of(legacy.get("arguments")),
                }
            ]
        elif legacy is not None:
            row.suspect = True
        row.add(
            role,
            content_text(message.get("content"), row),
            weight=float(weight) if weight is not None else None,
            name=message.get("name") if isinstance(message.get("name"), str) else None,
            tool_call_id=message.get("tool_call_id")
            if isinstance(message.get("tool_call_id"), str)
            else None,
            tool_calls=calls,
        )
    row.tools = declared_functions(record.get("tools"), record.get("functions"), row)
    finish_chat(row)


# --- plain text ----------------------------------------------------------------------------


def normalize_text(record: dict[str, Any], row: Row) -> None:
    row.text = row.text_of(record.get("text"))
    row.response = row.text


# --- registry of formats -------------------------------------------------------------------

NORMALIZERS: dict[str, Normalizer] = {
    "openai-chat": normalize_openai_chat,
    "text": normalize_text,
}


def detect_format(record: dict[str, Any], keys: KeyMapping | None = None) -> str:
    """The format one record is in, by its keys; UNKNOWN when nothing fits."""
    if keys is not None and keys.prompt in record and keys.response in record:
        return "custom-keys"
    if "messages" in record:
        return "openai-chat"
    if "text" in record:
        return "text"
    return UNKNOWN


@dataclass
class NormalizedChunk:
    rows: pl.DataFrame
    findings: list[Finding]


def normalize_chunk(
    records: list[tuple[int, dict[str, Any]]], file: str, keys: KeyMapping | None = None
) -> NormalizedChunk:
    """Normalize a chunk of (line, record) pairs into a canonical frame plus findings."""
    from auditor.schemas import schema_findings

    columns: dict[str, list[Any]] = {name: [] for name in CANONICAL_SCHEMA}
    findings: list[Finding] = []
    for line, record in records:
        fmt = detect_format(record, keys)
        if fmt == UNKNOWN:
            findings.append(unknown_format_finding(record, file, line))
            continue
        row = Row()
        if fmt == "custom-keys":
            assert keys is not None
            normalize_custom_keys(record, row, keys)
        else:
            NORMALIZERS[fmt](record, row)
        if row.suspect:
            findings.extend(schema_findings(fmt, record, file, line))
        values = {
            "file": file,
            "line": line,
            "format": fmt,
            "messages": row.messages,
            "system": row.system,
            "tools": row.tools,
            "prompt": row.prompt,
            "response": row.response,
            "text": row.text,
            "chosen": row.chosen,
            "rejected": row.rejected,
            "label": row.label,
        }
        for name, value in values.items():
            columns[name].append(value)
    frame = pl.DataFrame(columns, schema=CANONICAL_SCHEMA)
    return NormalizedChunk(frame, findings)


def normalize_custom_keys(record: dict[str, Any], row: Row, keys: KeyMapping) -> None:
    prompt = content_text(record.get(keys.prompt), row)
    response = content_text(record.get(keys.response), row)
    row.add("user", prompt)
    row.add("assistant", response)
    finish_chat(row)


def unknown_format_finding(record: dict[str, Any], file: str, line: int) -> Finding:
    shown = ", ".join(sorted(record)[:8]) or "no keys"
    return Finding(
        code="FT101",
        severity=Severity.ERROR,
        message=f"record matches no known fine-tuning format (keys: {shown})",
        file=file,
        line=line,
        hint="use a supported format (see README), or name the fields with "
        "--prompt-key/--response-key",
    )


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=CANONICAL_SCHEMA)
