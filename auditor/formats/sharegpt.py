"""ShareGPT conversations (`from`/`value`, function calls), and any message list."""

from __future__ import annotations

from typing import Any

from auditor.formats.canonical import SHAREGPT_ROLES, Row, add_system, finish_chat, set_declared
from auditor.formats.openai import add_openai_message, json_calls, json_tool_names


def add_sharegpt_message(message: dict[str, Any], row: Row, path: str) -> None:
    source = row.string(message.get("from"))
    value = row.string(message.get("value"))
    if source == "function_call":
        row.add("assistant", "", tool_calls=json_calls(value, row, f"{path}.value"))
    else:
        row.add(SHAREGPT_ROLES.get(source, source), value)


def is_sharegpt_message(message: dict[str, Any]) -> bool:
    return "from" in message or "value" in message


def add_any_message(message: Any, row: Row, path: str) -> None:
    """A message in either ShareGPT (`from`/`value`) or OpenAI (`role`/`content`) shape."""
    if not isinstance(message, dict):
        row.suspect = True
    elif is_sharegpt_message(message):
        add_sharegpt_message(message, row, path)
    else:
        add_openai_message(message, row, path)


def add_any_messages(value: Any, row: Row, path: str) -> None:
    if not isinstance(value, list):
        row.suspect = True
        return
    for i, message in enumerate(value):
        add_any_message(message, row, f"{path}[{i}]")


def conversation_key(record: dict[str, Any]) -> str:
    return "conversations" if "conversations" in record else "messages"


def normalize_sharegpt(record: dict[str, Any], row: Row) -> None:
    key = conversation_key(record)
    add_system(record.get("system"), row)
    add_any_messages(record.get(key), row, key)
    set_declared(row, json_tool_names(record.get("tools"), row))
    finish_chat(row)
