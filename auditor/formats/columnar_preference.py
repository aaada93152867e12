"""The column-wise path for plain preference pairs: OpenAI DPO (`input`, `preferred_output`,
`non_preferred_output`) and TRL's `prompt`/`chosen`/`rejected`, with the prompt and each
side as a string or as messages, the prompt explicit or implicit (shared by both sides).

A pair is plain when each side is one assistant turn of string content and the prompt is a
plain conversation. Its canonical row (auditor.formats.preference) is then the chat row of
the prompt followed by the chosen turn, as the chosen turn is that chat's last assistant
turn: prompt, response and text come out of the chat expressions of
auditor.formats.columnar, and the rejected text rides along in the chat JSON. Any other
pair (a side with tool calls, several turns or ShareGPT `from`/`value`, a top-level
`tools`, an extra key, a wrong type) takes the per-row path.
"""

from __future__ import annotations

from typing import Any

from auditor.formats.columnar import (
    as_json,
    optional_str,
    plain_chat,
    plain_message,
    plain_messages,
)

TRL_KEYS = frozenset({"prompt", "chosen", "rejected", "system"})
OPENAI_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})


def plain_turn(message: object) -> bool:
    """A bare `{role, content}` turn of string content: one whose raw equality is that of
    its canonical message (an implicit prompt is found by comparing them)."""
    # With only these two keys, plain_message asks for a known string role and string
    # content (an unhashable role must not reach a set lookup).
    return (
        type(message) is dict and message.keys() == {"role", "content"} and plain_message(message)
    )


def plain_reply(value: object, *, text: bool = True) -> str | None:
    """The content of a plain reply — one assistant `{role, content}` turn in a list, or
    (where `text`) a string — or None."""
    if type(value) is str:
        return value if text else None
    if type(value) is not list or len(value) != 1:
        return None
    turn = value[0]
    return turn["content"] if plain_turn(turn) and turn["role"] == "assistant" else None


def chat_json(
    fmt: str, turns: list[Any], chosen: str | None, rejected: str | None, **extra: Any
) -> tuple[str, str] | None:
    """(format, chat JSON) of the prompt `turns` + the chosen turn, with the rejected text;
    None when a side is not plain."""
    if chosen is None or rejected is None:
        return None
    messages = [*turns, {"role": "assistant", "content": chosen}]
    chat = as_json({"messages": messages, **extra, "rejected": rejected})
    return None if chat is None else (fmt, chat)


def plain_trl_json(record: dict[str, Any]) -> tuple[str, str] | None:
    """A TRL pair: a string or conversation `prompt` (maybe a string `system`) with a
    string or one-turn `chosen`/`rejected`; or, with no prompt, two conversations that
    differ only in their last, assistant, turn (the implicit prompt)."""
    if not {"chosen", "rejected"} <= record.keys() <= TRL_KEYS:
        return None
    system, chosen, rejected = record.get("system"), record["chosen"], record["rejected"]
    if not optional_str(system):
        return None
    turns = [{"role": "system", "content": system}] if system else []
    if "prompt" in record:
        prompt = record["prompt"]
        if type(prompt) is str:
            turns.append({"role": "user", "content": prompt})
        elif plain_messages(prompt):
            turns += prompt
        else:
            return None
        return chat_json("preference", turns, plain_reply(chosen), plain_reply(rejected))
    if type(chosen) is not list or type(rejected) is not list or len(chosen) != len(rejected):
        return None
    shared = chosen[:-1]
    if not shared or not all(plain_turn(m) for m in shared) or shared != rejected[:-1]:
        return None
    last_chosen, last_rejected = plain_reply(chosen[-1:]), plain_reply(rejected[-1:])
    return chat_json("preference", turns + shared, last_chosen, last_rejected)


def plain_openai_preference_json(record: dict[str, Any]) -> tuple[str, str] | None:
    """An OpenAI DPO pair: `input` a plain chat (see plain_chat_json), each output one
    assistant turn of string content."""
    given = record.get("input")
    if record.keys() != OPENAI_KEYS or type(given) is not dict or not plain_chat(given):
        return None
    messages = given["messages"]
    tools = {"tools": given["tools"]} if "tools" in given else {}
    chosen = plain_reply(record["preferred_output"], text=False)
    rejected = plain_reply(record["non_preferred_output"], text=False)
    return chat_json("openai-preference", messages, chosen, rejected, **tools)


def plain_preference_row(record: dict[str, Any]) -> tuple[str, str] | None:
    """(format, chat JSON with `rejected`) of a plain preference pair, or None."""
    if "chosen" in record or "rejected" in record:
        return plain_trl_json(record)
    if "preferred_output" in record:
        return plain_openai_preference_json(record)
    return None
