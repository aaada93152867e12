"""Gemini `contents` with `parts`, function calls and responses."""

from __future__ import annotations

from typing import Any

from auditor.formats.canonical import GEMINI_ROLES, Row, add_turn, call, finish_chat, to_json
from auditor.formats.openai import tool_names


def gemini_system(value: Any, row: Row) -> str | None:
    """`systemInstruction`: {parts: [{text}]} (a plain string is accepted too)."""
    if value is None or isinstance(value, str):
        return value
    parts = value.get("parts") if isinstance(value, dict) else None
    if not isinstance(parts, list):
        row.suspect = True
        return None
    texts = []
    for part in parts:
        if not isinstance(part, dict):
            row.suspect = True
        texts.append(row.string(part.get("text") if isinstance(part, dict) else part))
    return "\n".join(texts)


def gemini_call(value: Any, row: Row) -> dict[str, Any]:
    if not isinstance(value, dict):
        row.suspect = True
        value = {}
    args = value.get("args")
    # `args` is optional (a function without parameters) and an object, so serialize it.
    arguments = "{}" if args is None else to_json(args)
    return call(row.string(value.get("name")), arguments, row.optional(value.get("id")))


def gemini_result(value: Any, row: Row) -> tuple[str, str, str | None]:
    if not isinstance(value, dict):
        row.suspect = True
        value = {}
    if "response" not in value:
        row.suspect = True
    response = value.get("response")
    content = response if isinstance(response, str) else to_json(response)
    return content, row.string(value.get("name")), row.optional(value.get("id"))


def add_gemini_content(content: Any, row: Row) -> None:
    if not isinstance(content, dict):
        row.suspect = True
        return
    role = row.optional(content.get("role")) or "user"  # Gemini's default role
    parts = content.get("parts")
    if not isinstance(parts, list):
        row.suspect = True
        parts = []
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    results: list[tuple[str, str, str | None]] = []
    for part in parts:
        if not isinstance(part, dict) or not part:
            row.suspect = True
        elif "text" in part:
            texts.append(row.string(part["text"]))
        elif "functionCall" in part or "function_call" in part:
            calls.append(gemini_call(part.get("functionCall", part.get("function_call")), row))
        elif "functionResponse" in part or "function_response" in part:
            value = part.get("functionResponse", part.get("function_response"))
            results.append(gemini_result(value, row))
        else:
            texts.append(f"[{next(iter(part))}]")  # inlineData, fileData, …
    add_turn(row, GEMINI_ROLES.get(role, role), texts, calls, results)


def gemini_tools(value: Any, row: Row) -> list[str] | None:
    """Names in `tools: [{functionDeclarations: [{name}]}]`; other tool kinds have none."""
    if value is None:
        return None
    if not isinstance(value, list):
        row.suspect = True
        return []
    names: list[str] = []
    for tool in value:
        if not isinstance(tool, dict):
            row.suspect = True
            continue
        key = "functionDeclarations" if "functionDeclarations" in tool else "function_declarations"
        if key in tool:
            names += tool_names(tool[key], row)
    return names


def normalize_gemini(record: dict[str, Any], row: Row) -> None:
    key = "systemInstruction" if "systemInstruction" in record else "system_instruction"
    system = gemini_system(record.get(key), row)
    if system:
        row.add("system", system)
    contents = record.get("contents")
    if not isinstance(contents, list):
        row.suspect = True
        contents = []
    for content in contents:
        add_gemini_content(content, row)
    row.tools = gemini_tools(record.get("tools"), row)
    finish_chat(row)
