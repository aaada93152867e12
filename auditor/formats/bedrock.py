"""Bedrock Converse: block-list content, tool use and results, system blocks."""

from __future__ import annotations

from typing import Any

from auditor.formats.canonical import Row, add_system, add_turn, call, finish_chat, to_json
from auditor.formats.openai import tool_name

#: Blocks that carry no conversation content (prompt-cache markers).
BEDROCK_SILENT_BLOCKS = frozenset({"cachePoint"})


def bedrock_text(blocks: Any, row: Row) -> str:
    """The text of a `system` or `toolResult.content` block list; JSON blocks serialized."""
    if not isinstance(blocks, list):
        row.suspect = True
        return blocks if isinstance(blocks, str) else ""
    texts = []
    for block in blocks:
        if not isinstance(block, dict) or not block:
            row.suspect = True
        elif "text" in block:
            texts.append(row.string(block["text"]))
        elif "json" in block:
            texts.append(to_json(block["json"]))
        elif next(iter(block)) not in BEDROCK_SILENT_BLOCKS:
            texts.append(f"[{next(iter(block))}]")
    return "\n".join(texts)


def bedrock_call(value: Any, row: Row) -> dict[str, Any]:
    if not isinstance(value, dict):
        row.suspect = True
        value = {}
    if "input" not in value:
        row.suspect = True
    arguments = to_json(value["input"]) if "input" in value else ""
    return call(row.string(value.get("name")), arguments, row.string(value.get("toolUseId")))


def bedrock_result(value: Any, row: Row) -> tuple[str, None, str]:
    if not isinstance(value, dict):
        row.suspect = True
        value = {}
    return bedrock_text(value.get("content"), row), None, row.string(value.get("toolUseId"))


def add_bedrock_message(message: Any, row: Row) -> None:
    if not isinstance(message, dict):
        row.suspect = True
        return
    role = row.string(message.get("role"))
    blocks = message.get("content")
    if not isinstance(blocks, list):
        row.suspect = True
        # Keep a plain-string content readable rather than dropping it.
        blocks = [{"text": blocks}] if isinstance(blocks, str) else []
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    results: list[tuple[str, None, str]] = []
    for block in blocks:
        if not isinstance(block, dict) or not block:
            row.suspect = True
        elif "text" in block:
            texts.append(row.string(block["text"]))
        elif "toolUse" in block:
            calls.append(bedrock_call(block["toolUse"], row))
        elif "toolResult" in block:
            results.append(bedrock_result(block["toolResult"], row))
        elif next(iter(block)) not in BEDROCK_SILENT_BLOCKS:
            texts.append(f"[{next(iter(block))}]")  # image, document, reasoningContent, …
    add_turn(row, role, texts, calls, results)


def bedrock_tools(value: Any, row: Row) -> list[str] | None:
    """Names in `toolConfig: {tools: [{toolSpec: {name}}]}`."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("tools", []), list):
        row.suspect = True
        return []
    names = []
    for tool in value.get("tools", []):
        if not isinstance(tool, dict):
            row.suspect = True
        elif "toolSpec" in tool:
            name = tool_name(tool["toolSpec"], row)
            if name is not None:
                names.append(name)
    return names


def normalize_bedrock(record: dict[str, Any], row: Row) -> None:
    system = record.get("system")
    if system is not None:
        add_system(bedrock_text(system, row), row)
    messages = record.get("messages")
    if not isinstance(messages, list):
        row.suspect = True
        messages = []
    for message in messages:
        add_bedrock_message(message, row)
    row.tools = bedrock_tools(record.get("toolConfig"), row)
    finish_chat(row)
