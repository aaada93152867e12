"""Single-answer shapes: prompt/completion, Alpaca, question/answer pairs, plain text."""

from __future__ import annotations

from typing import Any

from auditor.formats.canonical import QA_PAIRS, KeyMapping, Row, add_system, finish_chat
from auditor.formats.openai import read_content
from auditor.formats.sharegpt import add_any_messages, conversation_key


def normalize_openai_completion(record: dict[str, Any], row: Row) -> None:
    row.add("user", row.string(record.get("prompt")))
    row.add("assistant", row.string(record.get("completion")))
    finish_chat(row)


def add_alpaca_prompt(record: dict[str, Any], row: Row) -> None:
    """Alpaca's earlier `history` pairs, then the instruction (+ input) as the user turn."""
    history = record.get("history")
    if history is not None and not isinstance(history, list):
        row.suspect = True
    for pair in history if isinstance(history, list) else ():
        if isinstance(pair, list) and len(pair) == 2:
            row.add("user", row.string(pair[0]))
            row.add("assistant", row.string(pair[1]))
        else:
            row.suspect = True
    instruction = row.string(record.get("instruction"))
    extra = row.optional(record.get("input"))
    row.add("user", f"{instruction}\n\n{extra}" if extra else instruction)


def normalize_alpaca(record: dict[str, Any], row: Row) -> None:
    add_system(record.get("system"), row)
    add_alpaca_prompt(record, row)
    row.add("assistant", row.string(record.get("output")))
    finish_chat(row)


def qa_pair(record: dict[str, Any]) -> tuple[str, str]:
    """The first question/answer key pair the record has (the first pair when none)."""
    return next((pair for pair in QA_PAIRS if pair[0] in record and pair[1] in record), QA_PAIRS[0])


def normalize_pair(record: dict[str, Any], row: Row, prompt_key: str, response_key: str) -> None:
    if prompt_key not in record or response_key not in record:
        row.suspect = True
    for role, key in (("user", prompt_key), ("assistant", response_key)):
        content = read_content(record.get(key), row, key)
        row.add(role, "\n".join(content.texts), tool_calls=content.calls or None)
    finish_chat(row)


def normalize_qa(record: dict[str, Any], row: Row) -> None:
    normalize_pair(record, row, *qa_pair(record))


def normalize_custom_keys(record: dict[str, Any], row: Row, keys: KeyMapping) -> None:
    normalize_pair(record, row, keys.prompt, keys.response)


def normalize_text(record: dict[str, Any], row: Row) -> None:
    row.text = row.string(record.get("text"))
    row.response = row.text


def add_prompt_value(prompt: Any, row: Row) -> None:
    """TRL's `prompt`: a user string, or a conversation in its conversational style."""
    if isinstance(prompt, list):
        add_any_messages(prompt, row, "prompt")
    else:
        row.add("user", row.string(prompt))


def add_prompt(record: dict[str, Any], row: Row) -> bool:
    """The prompt turns of a preference/KTO record; False when it has no explicit prompt."""
    if "prompt" in record:
        add_prompt_value(record["prompt"], row)
    elif "messages" in record or "conversations" in record:
        key = conversation_key(record)
        add_any_messages(record[key], row, key)
    elif "instruction" in record:
        add_alpaca_prompt(record, row)
    else:
        return False
    return True
