"""Detect each record's format and normalize it to the canonical row.

Every input format becomes the same columns (see CANONICAL_SCHEMA), once, here; checks
never parse raw JSON again. Each row keeps its own detected format, so a file that mixes
formats is still audited and FT102 can name the odd rows.

Clean rows take a fast path. A normalizer that meets anything off (a missing key, a wrong
type) marks the row suspect, and only then is the row validated against its format's JSON
Schema (auditor/schemas.py), whose errors become FT103/FT104 findings with a field path.
Validating every row with jsonschema would cost ~60 µs a row, 6 s per 100k. The normalizers
and the schemas therefore judge keys and types alike: a row is suspect exactly when its
schema finds an error (tests/test_formats.py fuzzes that promise).

Held-out eval files may also hold benchmark prompts with no answer (MT-Bench `turns`, a
bare `question` or `prompt`): `eval_shapes` reads them as PROMPT_ONLY_FORMATS; in a
training file they stay unknown (FT101), having nothing to train on.

Roles are translated only from a format's own vocabulary (ShareGPT `gpt`, Gemini `model`,
OpenAI legacy `function`); any other role is kept as given, for FT105 to report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
import polars as pl

from auditor.findings import Finding, Severity
from auditor.vocabulary import V1_CALL_TYPES, V1_TEXT_TYPES, V1_VALUE_TYPES

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


# --- OpenAI chat -------------------------------------------------------------------------


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


# --- ShareGPT ------------------------------------------------------------------------------


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


def conversation_key(record: dict[str, Any]) -> str:
    return "conversations" if "conversations" in record else "messages"


def normalize_sharegpt(record: dict[str, Any], row: Row) -> None:
    key = conversation_key(record)
    add_system(record.get("system"), row)
    add_any_messages(record.get(key), row, key)
    set_declared(row, json_tool_names(record.get("tools"), row))
    finish_chat(row)


# --- prompt/completion, Alpaca, question/answer, text --------------------------------------


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


# --- preference pairs and KTO --------------------------------------------------------------


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


# --- Gemini --------------------------------------------------------------------------------


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


# --- Bedrock Converse ----------------------------------------------------------------------

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


# --- benchmark shapes ------------------------------------------------------------------------


def first_target(value: Any, row: Row) -> str:
    """BIG-bench's `target`: a string, or a list of equally correct strings.

    The first of a list is taken, not a join: it is an answer as the task gives it, where
    the joined alternatives would be a text no one would answer with.
    """
    if not isinstance(value, list):
        return row.string(value)
    if not value or not all(isinstance(item, str) for item in value):
        row.suspect = True
    return row.text_of(value[0]) if value else ""


def normalize_input_target(record: dict[str, Any], row: Row) -> None:
    """BIG-bench style `{input, target}`: a user turn and its answer."""
    row.add("user", row.string(record.get("input")))
    row.add("assistant", first_target(record.get("target"), row))
    finish_chat(row)


def normalize_problem_solution(record: dict[str, Any], row: Row) -> None:
    """MATH style `{problem, solution}`: a user turn and its worked answer."""
    row.add("user", row.string(record.get("problem")))
    row.add("assistant", row.string(record.get("solution")))
    finish_chat(row)


def finish_prompt(row: Row) -> None:
    """An eval prompt without an answer: every turn is prompt, the response is empty."""
    finish_chat(row)
    row.prompt = row.text
    row.response = ""


def normalize_mt_bench(record: dict[str, Any], row: Row) -> None:
    """MT-Bench questions: `turns` lists the user turns; the answers are what is judged."""
    turns = record.get("turns")
    if not isinstance(turns, list):
        row.suspect = True
        turns = []
    for turn in turns:
        row.add("user", row.string(turn))
    finish_prompt(row)


def normalize_prompt_only(record: dict[str, Any], row: Row) -> None:
    """An eval `question` string or `prompt` (a string or a conversation) with no answer."""
    if "question" in record:
        row.add("user", row.string(record["question"]))
    else:
        add_prompt_value(record.get("prompt"), row)
    finish_prompt(row)


# --- registry of formats -------------------------------------------------------------------

NORMALIZERS: dict[str, Normalizer] = {
    "openai-chat": normalize_openai_chat,
    "openai-completion": normalize_openai_completion,
    "alpaca": normalize_alpaca,
    "sharegpt": normalize_sharegpt,
    "preference": normalize_preference,
    "openai-preference": normalize_openai_preference,
    "kto": normalize_kto,
    "gemini": normalize_gemini,
    "bedrock-converse": normalize_bedrock,
    "qa": normalize_qa,
    "text": normalize_text,
    "llama-factory-dpo": normalize_llama_factory_dpo,
    "input-target": normalize_input_target,
    "problem-solution": normalize_problem_solution,
    "mt-bench-turns": normalize_mt_bench,
    "prompt-only": normalize_prompt_only,
}

#: Eval-only formats: their rows hold prompts and no answer (`response` is "").
PROMPT_ONLY_FORMATS: frozenset[str] = frozenset({"mt-bench-turns", "prompt-only"})
#: Formats whose rows are preference data (pairs, or KTO's labelled answers): DPO-style.
PREFERENCE_FORMATS: frozenset[str] = frozenset(
    {"preference", "openai-preference", "llama-factory-dpo", "kto"}
)

#: Keys that hold an answer: a record with one is never read as a bare prompt, since
#: dropping its answer unnoticed would be worse than FT101 asking for --response-key.
ANSWER_KEYS = frozenset(
    {"answer", "answers", "response", "completion", "output", "target", "solution", "label"}
)


def is_bedrock(record: dict[str, Any]) -> bool:
    """Bedrock Converse, told from OpenAI chat: a schemaVersion, a system block list, or
    message content as blocks without OpenAI's `type` key."""
    if "schemaVersion" in record or "toolConfig" in record:
        return True
    if isinstance(record.get("system"), list):
        return True
    messages = record.get("messages")
    for message in messages if isinstance(messages, list) else ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            return False  # Bedrock content is always a block list
        if isinstance(content, list) and content:
            return isinstance(content[0], dict) and "type" not in content[0]
    return False


def chat_format(record: dict[str, Any]) -> str:
    """Which format a record with `messages` is in."""
    if isinstance(record.get("label"), bool):
        return "kto"  # LLaMA-Factory KTO: a conversation plus a boolean label
    if is_bedrock(record):
        return "bedrock-converse"
    messages = record["messages"]
    first = messages[0] if isinstance(messages, list) and messages else None
    if isinstance(first, dict) and "role" not in first and is_sharegpt_message(first):
        return "sharegpt"
    return "openai-chat"


def detect_format(
    record: dict[str, Any], keys: KeyMapping | None = None, *, eval_shapes: bool = False
) -> str:
    """The format one record is in, by its keys; UNKNOWN when nothing fits.

    `eval_shapes` also reads the answerless shapes of held-out eval files; in a training
    file such a record stays UNKNOWN (FT101), as it has nothing to train on.
    """
    fmt = training_format(record, keys)
    if fmt == UNKNOWN and eval_shapes:
        return eval_only_format(record)
    return fmt


def eval_only_format(record: dict[str, Any]) -> str:
    """MT-Bench `turns`, or a bare `question` / `prompt` with no answer key."""
    if "turns" in record:
        return "mt-bench-turns"
    if ("question" in record or "prompt" in record) and ANSWER_KEYS.isdisjoint(record):
        return "prompt-only"
    return UNKNOWN


def training_format(record: dict[str, Any], keys: KeyMapping | None = None) -> str:
    """The format of a record that carries an answer; UNKNOWN when nothing fits.

    The order matters: the specific shapes come before the generic pairs they contain
    (prompt+chosen is a preference pair, not question/answer; instruction+input+output
    is Alpaca; input+preferred_output is OpenAI preference). The benchmark shapes come
    last, so that no record read before them changes format.
    """
    if keys is not None and keys.prompt in record and keys.response in record:
        return "custom-keys"
    if "chosen" in record or "rejected" in record:
        return "preference"
    if "chosen_messages" in record or "rejected_messages" in record:
        return "llama-factory-dpo"
    if "preferred_output" in record or "non_preferred_output" in record:
        return "openai-preference"
    if "kto_tag" in record or ("completion" in record and "label" in record):
        return "kto"
    if "messages" in record:
        return chat_format(record)
    if "contents" in record:
        return "gemini"
    if "conversations" in record:
        return "kto" if isinstance(record.get("label"), bool) else "sharegpt"
    if "instruction" in record:
        return "alpaca"
    if "prompt" in record and "completion" in record:
        return "openai-completion"
    if any(q in record and a in record for q, a in QA_PAIRS):
        return "qa"
    if "text" in record:
        return "text"
    if "schemaVersion" in record:
        return "bedrock-converse"
    if "input" in record and "target" in record:
        return "input-target"
    if "problem" in record and "solution" in record:
        return "problem-solution"
    return UNKNOWN


@dataclass
class NormalizedChunk:
    rows: pl.DataFrame
    findings: list[Finding]


def normalize_record(
    record: dict[str, Any], fmt: str, keys: KeyMapping | None = None
) -> tuple[Row, tuple[str, str] | None]:
    """Normalize one record of a known format; also the key pair its schema is built on."""
    row = Row()
    if fmt == "custom-keys":
        assert keys is not None
        normalize_custom_keys(record, row, keys)
        return row, (keys.prompt, keys.response)
    NORMALIZERS[fmt](record, row)
    return row, qa_pair(record) if fmt == "qa" else None


def normalize_chunk(
    records: list[tuple[int, dict[str, Any]]],
    file: str,
    keys: KeyMapping | None = None,
    *,
    eval_shapes: bool = False,
) -> NormalizedChunk:
    """Normalize a chunk of (line, record) pairs into a canonical frame plus findings.

    `eval_shapes` (for held-out eval files) also reads the PROMPT_ONLY_FORMATS.
    """
    columns: dict[str, list[Any]] = {name: [] for name in CANONICAL_SCHEMA}
    column_lists = list(columns.values())  # in CANONICAL_SCHEMA order, as row_values below
    findings: list[Finding] = []
    for line, record in records:
        fmt = detect_format(record, keys, eval_shapes=eval_shapes)
        if fmt == UNKNOWN:
            findings.append(unknown_format_finding(record, file, line))
            continue
        row, pair = normalize_record(record, fmt, keys)
        if row.suspect:
            # Imported here: jsonschema is needed only for rows that are off.
            from auditor.schemas import schema_findings

            findings.extend(schema_findings(fmt, record, file, line, keys=pair))
        findings.extend(issue_finding(issue, file, line) for issue in row.issues)
        row_values = (
            file,
            line,
            fmt,
            row.messages,
            row.system,
            row.tools,
            row.prompt,
            row.response,
            row.text,
            row.chosen,
            row.rejected,
            row.label,
        )
        for column, value in zip(column_lists, row_values, strict=True):
            column.append(value)
    try:
        frame = build_frame(columns)
    except (TypeError, UnicodeEncodeError):
        # Only a `.json` array file (read by stdlib json) can hold a lone surrogate escape.
        findings += replace_surrogates(columns, file)
        frame = build_frame(columns)
    return NormalizedChunk(frame, findings)


def build_frame(columns: dict[str, list[Any]]) -> pl.DataFrame:
    """The canonical frame of a chunk's columns.

    The nested `messages` column goes through JSON: polars decodes it in Rust ~8x faster
    than it converts the same Python dicts (0.05 s against 0.4 s per 10k chat rows).
    """
    encoded = [orjson.dumps(messages).decode() for messages in columns["messages"]]
    messages = pl.Series("messages", encoded, dtype=pl.String).str.json_decode(
        CANONICAL_SCHEMA["messages"]
    )
    flat = {name: values for name, values in columns.items() if name != "messages"}
    schema = {name: dtype for name, dtype in CANONICAL_SCHEMA.items() if name != "messages"}
    frame = pl.DataFrame(flat, schema=schema).with_columns(messages)
    return frame.select(list(CANONICAL_SCHEMA))


def replace_surrogates(columns: dict[str, list[Any]], file: str) -> list[Finding]:
    """Replace lone UTF-16 surrogates (which no UTF-8 text can hold) with U+FFFD, in place."""
    findings = []
    for index in range(len(columns["line"])):
        row = {name: values[index] for name, values in columns.items()}
        try:
            orjson.dumps(row)
        except TypeError:
            for name, value in without_surrogates(row).items():
                columns[name][index] = value
            findings.append(
                Finding(
                    code="FT003",
                    severity=Severity.ERROR,
                    message="text holds a lone UTF-16 surrogate escape (\\udXXX); "
                    "replaced with U+FFFD",
                    file=file,
                    line=row["line"],
                    hint="fix the text at its source: a surrogate escape must come in a pair",
                )
            )
    return findings


def without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [without_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {key: without_surrogates(item) for key, item in value.items()}
    return value


def issue_finding(issue: Issue, file: str, line: int) -> Finding:
    return Finding(
        code=issue.code,
        severity=Severity.ERROR,
        message=issue.message,
        file=file,
        line=line,
        path=issue.path,
        hint=issue.hint,
    )


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
