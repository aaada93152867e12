"""Preference data: chosen/rejected pairs (TRL, OpenAI, LLaMA-Factory) and KTO."""

from __future__ import annotations

from typing import Any

from auditor.formats.canonical import Row, add_system, finish_chat, render, reply_text, set_declared
from auditor.formats.openai import add_openai_messages, declared_functions, json_tool_names
from auditor.formats.pairs import add_prompt, add_prompt_value
from auditor.formats.sharegpt import add_any_message, add_any_messages, conversation_key


def reply_messages(value: Any, row: Row, path: str) -> list[dict[str, Any]]:
    """A reply given as a string, one message object, or a list of messages."""
    scratch = Row()
    if isinstance(value, list):
        add_any_messages(value, scratch, path)
    elif isinstance(value, dict):
        add_any_message(value, scratch, path)
    else:
        scratch.add("assistant", scratch.string(value))
    return row.absorb(scratch)


def shared_prefix(chosen: list[dict[str, Any]], rejected: list[dict[str, Any]]) -> int:
    """Turns an implicit-prompt pair shares, leaving each side at least one turn."""
    limit = min(len(chosen), len(rejected)) - 1
    count = 0
    while count < limit and chosen[count] == rejected[count]:
        count += 1
    return count


def preference_sides(
    record: dict[str, Any], row: Row
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A TRL / LLaMA-Factory pair's chosen and rejected replies; the system prompt and the
    prompt (explicit, or the turns an implicit prompt's sides share) go into `row`."""
    add_system(record.get("system"), row)
    explicit = add_prompt(record, row)
    chosen = reply_messages(record.get("chosen"), row, "chosen")
    rejected = reply_messages(record.get("rejected"), row, "rejected")
    if not explicit and isinstance(record.get("chosen"), list):
        # TRL's implicit prompt: both sides repeat the conversation before the reply.
        shared = shared_prefix(chosen, rejected)
        row.messages += chosen[:shared]
        chosen, rejected = chosen[shared:], rejected[shared:]
    return chosen, rejected


def normalize_preference(record: dict[str, Any], row: Row) -> None:
    """TRL / LLaMA-Factory pairs: messages = prompt + chosen; chosen/rejected = final texts."""
    chosen, rejected = preference_sides(record, row)
    finish_preference(row, chosen, rejected)
    set_declared(row, json_tool_names(record.get("tools"), row))


def finish_preference(
    row: Row, chosen: list[dict[str, Any]], rejected: list[dict[str, Any]]
) -> None:
    prompt = render(row.messages)
    row.messages += chosen
    finish_chat(row)
    row.prompt = prompt
    row.response = row.chosen = reply_text(chosen)
    row.rejected = reply_text(rejected)


def normalize_openai_preference(record: dict[str, Any], row: Row) -> None:
    """OpenAI DPO: `input` {messages, tools} + preferred/non-preferred assistant outputs."""
    given = record.get("input")
    if not isinstance(given, dict):
        row.suspect = True
        given = {}
    add_openai_messages(given.get("messages"), row, "input.messages")
    set_declared(row, declared_functions(given.get("tools"), None, row))
    preferred = conversation(record.get("preferred_output"), row, "preferred_output")
    other = conversation(record.get("non_preferred_output"), row, "non_preferred_output")
    finish_preference(row, preferred, other)


def conversation(value: Any, row: Row, path: str) -> list[dict[str, Any]]:
    """The messages of an OpenAI-shaped message list, read on a scratch row."""
    scratch = Row()
    add_openai_messages(value, scratch, path)
    return row.absorb(scratch)


def normalize_llama_factory_dpo(record: dict[str, Any], row: Row) -> None:
    """LLaMA-Factory v1 DPO: each side is the whole conversation, as in TRL's implicit
    prompt; the turns both share are the prompt, the rest are chosen / rejected."""
    chosen = conversation(record.get("chosen_messages"), row, "chosen_messages")
    rejected = conversation(record.get("rejected_messages"), row, "rejected_messages")
    shared = shared_prefix(chosen, rejected)
    row.messages += chosen[:shared]
    finish_preference(row, chosen[shared:], rejected[shared:])


def normalize_kto(record: dict[str, Any], row: Row) -> None:
    """KTO: TRL prompt/completion/label, or a LLaMA-Factory conversation + kto_tag/label."""
    add_system(record.get("system"), row)
    if "messages" in record or "conversations" in record:
        key = conversation_key(record)
        add_any_messages(record[key], row, key)
    else:
        add_prompt_value(record.get("prompt"), row)
        row.messages += reply_messages(record.get("completion"), row, "completion")
    label = record.get("kto_tag") if "kto_tag" in record else record.get("label")
    if isinstance(label, bool):
        row.label = label
    else:
        row.suspect = True
    set_declared(row, json_tool_names(record.get("tools"), row))
    finish_chat(row)
