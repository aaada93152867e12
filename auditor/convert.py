"""`ftaudit convert data.jsonl --to FORMAT -o out.jsonl`: the same rows in another format.

Every row is read as the audit reads it (auditor.formats), and written in the exact shape
ftaudit's own reader of the target accepts. A conversion is lossless or it does not
happen: a row the target cannot hold is refused with its line and the reason, never
dropped quietly and never padded with invented content. Each converted row is read back
before it is written and compared with the input's canonical row (messages, system
prompt, declared tools, chosen/rejected); a row that would not read back the same is
refused too, so the promise does not rest on the writers alone.

What the canonical row does not hold is taken from the raw record: the schemas of the
declared tools (the canonical `tools` column keeps only their names) and the rejected
side of a preference pair. What the canonical row flattens (an image part read as the
text `[image_url]`, a v1 `reasoning` part joined into the answer, a message key ftaudit
does not read) is refused rather than carried as if it were text.

Decisions (README, "Converting between formats"):
- alpaca is standard Alpaca: one instruction, its input, one output. A system prompt, an
  earlier turn (LLaMA-Factory's `history`), tool calls or declared tools are refused.
  The user turn becomes `instruction` with an empty `input`: ftaudit reads
  `instruction + "\\n\\n" + input` as one turn, and splitting it again would be a guess
  (an Alpaca source keeps its own instruction/input split).
- Loss masks: only openai-chat has per-message `weight`. An assistant turn with weight 0
  (not trained) is refused for every other target, rather than trained on silently.
- Tool call ids: sharegpt has none and pairs calls with results by position, so its rows
  must answer calls in order; bedrock-converse needs an id on every call and result.
- Tool arguments go into sharegpt, gemini and bedrock-converse as JSON values, so they
  must be JSON (an object for gemini and bedrock-converse); their whitespace may change.
  A gemini function result must be a JSON object (`functionResponse.response`), and is
  read back as compact JSON.
- Top-level keys the source format does not define (an `id`, metadata) are not carried;
  the summary names them.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.atomic import write_atomic
from auditor.findings import Severity
from auditor.formats import (
    UNKNOWN,
    KeyMapping,
    Row,
    conversation,
    detect_format,
    is_sharegpt_message,
    normalize_record,
    preference_sides,
    qa_pair,
    shared_prefix,
    to_json,
    unknown_format_finding,
)
from auditor.io import FileRead, iter_record_chunks
from auditor.remedy import refuse_overwrite
from auditor.vocabulary import V1_CALL_TYPES

TARGETS = ("openai-chat", "sharegpt", "alpaca", "preference", "bedrock-converse", "gemini")
#: Source formats whose rows are preference pairs (chosen and rejected).
PAIR_FORMATS = frozenset({"preference", "openai-preference", "llama-factory-dpo"})
#: Targets with a per-message loss mask (`weight`).
WEIGHTED = frozenset({"openai-chat"})
#: Targets whose messages carry `name` on any turn (OpenAI-shaped messages).
NAMED = frozenset({"openai-chat", "preference"})
#: Targets that keep tool call ids (sharegpt and alpaca have none).
KEEPS_IDS = frozenset({"openai-chat", "preference", "gemini", "bedrock-converse"})
#: Written into every bedrock-converse row, as Bedrock's conversation schema names itself.
BEDROCK_SCHEMA = "bedrock-conversation-2024"
#: How many refused lines `format_summary` lists.
SHOWN_REFUSALS = 10

#: Keys each source format defines; any other top-level key is not carried (and named).
KNOWN_KEYS: dict[str, frozenset[str]] = {
    "openai-chat": frozenset({"messages", "tools", "functions"}),
    "sharegpt": frozenset({"conversations", "messages", "system", "tools"}),
    "alpaca": frozenset({"instruction", "input", "output", "system", "history"}),
    "preference": frozenset(
        {
            "prompt",
            "chosen",
            "rejected",
            "system",
            "messages",
            "conversations",
            "instruction",
            "input",
            "history",
            "tools",
        }
    ),
    "openai-preference": frozenset({"input", "preferred_output", "non_preferred_output"}),
    "llama-factory-dpo": frozenset({"chosen_messages", "rejected_messages"}),
    "gemini": frozenset({"contents", "systemInstruction", "system_instruction", "tools"}),
    "bedrock-converse": frozenset({"schemaVersion", "system", "messages", "toolConfig"}),
    "openai-completion": frozenset({"prompt", "completion"}),
    "input-target": frozenset({"input", "target"}),
    "problem-solution": frozenset({"problem", "solution"}),
    "text": frozenset({"text"}),
}

OPENAI_MESSAGE_KEYS = frozenset(
    {
        "role",
        "content",
        "weight",
        "loss_weight",
        "name",
        "tool_call_id",
        "tool_calls",
        "function_call",
    }
)
TEXT_PART_TYPES = frozenset({None, "text", "input_text", "output_text"})
GEMINI_PART_KEYS = frozenset(
    {"text", "functionCall", "function_call", "functionResponse", "function_response"}
)
BEDROCK_BLOCKS = frozenset({"text", "toolUse", "toolResult", "cachePoint"})


@dataclass(frozen=True)
class Refusal:
    """Why a row was not converted: `kind` is counted in the summary, `reason` says what."""

    kind: str
    reason: str


class Refused(Exception):
    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.refusal = Refusal(kind, reason)


def refuse(kind: str, reason: str) -> Refused:
    return Refused(kind, reason)


# --- the row as read: canonical row, plus what only the raw record holds ------------------


@dataclass
class Source:
    record: dict[str, Any]
    fmt: str
    row: Row
    #: Declared tools with their schemas, as OpenAI function specs {name, description, …}.
    specs: list[dict[str, Any]] | None
    #: A preference pair's sides (messages), None for a single-answer row.
    chosen: list[dict[str, Any]] | None = None
    rejected: list[dict[str, Any]] | None = None

    @property
    def prompt(self) -> list[dict[str, Any]]:
        """A pair's prompt turns: the canonical messages are prompt + chosen."""
        size = len(self.chosen or ())
        return self.row.messages[: len(self.row.messages) - size]


def convert_record(
    record: dict[str, Any], fmt: str, target: str, keys: KeyMapping | None = None
) -> dict[str, Any] | Refusal:
    """`record` (detected as `fmt`) written as `target`, or why it cannot be.

    The result reads back (auditor.formats) as the same conversation; that is checked.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; one of {', '.join(TARGETS)}")
    try:
        source = read_source(record, fmt, keys)
        converted = WRITERS[target](source, target)
        verify(source, converted, target)
    except Refused as refused:
        return refused.refusal
    return converted


def read_source(record: dict[str, Any], fmt: str, keys: KeyMapping | None) -> Source:
    if fmt == UNKNOWN:
        raise refuse("unknown format", unknown_format_finding(record, "", 0).message)
    row, pair = normalize_record(record, fmt, keys)
    if row.suspect or row.issues:
        raise refuse("schema error", schema_problem(record, fmt, row, pair))
    if fmt == "kto":
        raise refuse(
            "KTO row",
            "a KTO row is one answer with a desirable/undesirable label; no target here "
            "holds the label (a false one would become an answer to train on)",
        )
    if not row.messages:
        raise refuse("no conversation", f"this {fmt} row holds plain text, not a conversation")
    scan_raw(record, fmt)
    source = Source(record, fmt, row, declared_specs(record, fmt, row))
    if fmt in PAIR_FORMATS:
        source.chosen, source.rejected = pair_sides(record, fmt)
    return source


def schema_problem(record: dict[str, Any], fmt: str, row: Row, pair: tuple[str, str] | None) -> str:
    """The first schema finding's message, as the audit would report it."""
    from auditor.schemas import schema_findings

    if row.issues:
        return row.issues[0].message
    findings = schema_findings(fmt, record, "", 0, keys=pair)
    if findings:
        where = f"{findings[0].path}: " if findings[0].path else ""
        return f"{where}{findings[0].message}"
    return f"does not match the {fmt} schema"


def pair_sides(
    record: dict[str, Any], fmt: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A pair's chosen and rejected messages, read as auditor.formats reads them.

    The canonical row keeps only the two answers' texts; the rejected turns' structure
    (tool calls, ids) is read here from the record, with the reader's own helpers.
    """
    scratch = Row()
    if fmt == "openai-preference":
        return (
            conversation(record.get("preferred_output"), scratch, "preferred_output"),
            conversation(record.get("non_preferred_output"), scratch, "non_preferred_output"),
        )
    if fmt == "llama-factory-dpo":
        chosen = conversation(record.get("chosen_messages"), scratch, "chosen_messages")
        rejected = conversation(record.get("rejected_messages"), scratch, "rejected_messages")
        shared = shared_prefix(chosen, rejected)
        return chosen[shared:], rejected[shared:]
    return preference_sides(record, scratch)


# --- what the canonical row flattens: refused, not carried as text ------------------------


def raw_messages(record: dict[str, Any], fmt: str) -> Iterator[tuple[str, Any]]:
    """(path, message) for each OpenAI- or ShareGPT-shaped message of the record."""
    if fmt == "openai-preference":
        given = record.get("input")
        containers: list[tuple[str, Any]] = [
            ("input.messages", given.get("messages") if isinstance(given, dict) else None),
            ("preferred_output", record.get("preferred_output")),
            ("non_preferred_output", record.get("non_preferred_output")),
        ]
    else:
        names = {
            "openai-chat": ("messages",),
            "sharegpt": ("conversations", "messages"),
            "preference": ("prompt", "messages", "conversations", "chosen", "rejected"),
            "llama-factory-dpo": ("chosen_messages", "rejected_messages"),
        }.get(fmt, ())
        containers = [(name, record.get(name)) for name in names]
    for path, value in containers:
        if isinstance(value, list):
            for index, message in enumerate(value):
                yield f"{path}[{index}]", message
        elif isinstance(value, dict):
            yield path, value


def scan_raw(record: dict[str, Any], fmt: str) -> None:
    """Refuse content the canonical row holds only as a placeholder or not at all."""
    for path, message in raw_messages(record, fmt):
        if isinstance(message, dict):
            scan_message(message, path)
    if fmt in ("qa", "custom-keys"):
        for key, value in record.items():
            if isinstance(value, list):
                scan_parts(value, key)
    elif fmt == "gemini":
        scan_gemini(record)
    elif fmt == "bedrock-converse":
        scan_bedrock(record)


def scan_message(message: dict[str, Any], path: str) -> None:
    known = {"from", "value"} if is_sharegpt_message(message) else OPENAI_MESSAGE_KEYS
    extra = sorted(set(message) - known)
    if extra:
        raise refuse(
            "unread field",
            f"{path} has {', '.join(map(repr, extra))}, which ftaudit does not read; "
            "converting would drop it",
        )
    content = message.get("content")
    if isinstance(content, list):
        scan_parts(content, f"{path}.content")


def scan_parts(parts: list[Any], path: str) -> None:
    for index, part in enumerate(parts):
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        where = f"{path}[{index}]"
        if kind == "reasoning":
            raise refuse(
                "reasoning part",
                f"{where} is a reasoning part; the canonical row joins it into the answer "
                "text, and no target keeps it apart",
            )
        if "text" in part and kind in TEXT_PART_TYPES:
            continue
        if kind == "text" or kind in V1_CALL_TYPES or kind == "tools":
            continue
        raise refuse(
            "non-text content",
            f"{where} is a {kind or 'typed'} part, read only as the placeholder "
            f"'[{kind}]'; converting would write the placeholder as text",
        )


def scan_gemini(record: dict[str, Any]) -> None:
    for index, content in enumerate(record.get("contents") or ()):
        if not isinstance(content, dict):
            continue
        extra = sorted(set(content) - {"role", "parts"})
        if extra:
            raise refuse("unread field", f"contents[{index}] has {', '.join(map(repr, extra))}")
        for number, part in enumerate(content.get("parts") or ()):
            if not isinstance(part, dict):
                continue
            where = f"contents[{index}].parts[{number}]"
            if not set(part) & GEMINI_PART_KEYS:
                raise refuse(
                    "non-text content",
                    f"{where} is a {next(iter(part), 'empty')} part, read only as a "
                    "placeholder; converting would write the placeholder as text",
                )
            extra = sorted(set(part) - GEMINI_PART_KEYS)
            if extra:
                raise refuse(
                    "unread field",
                    f"{where} has {', '.join(map(repr, extra))}, which ftaudit does not read",
                )
    tools = record.get("tools")
    for index, tool in enumerate(tools if isinstance(tools, list) else ()):
        if not isinstance(tool, dict):
            continue
        extra = sorted(set(tool) - {"functionDeclarations", "function_declarations"})
        if extra:
            raise refuse(
                "declared tools",
                f"tools[{index}] is a {extra[0]} tool, not a function declaration; "
                "only functions convert",
            )


def scan_bedrock(record: dict[str, Any]) -> None:
    for index, message in enumerate(record.get("messages") or ()):
        if not isinstance(message, dict):
            continue
        extra = sorted(set(message) - {"role", "content"})
        if extra:
            raise refuse("unread field", f"messages[{index}] has {', '.join(map(repr, extra))}")
        for number, block in enumerate(message.get("content") or ()):
            if not isinstance(block, dict) or not block:
                continue
            where = f"messages[{index}].content[{number}]"
            kind = next(iter(block))
            if kind not in BEDROCK_BLOCKS or len(block) > 1:
                raise refuse(
                    "non-text content",
                    f"{where} is a {kind} block, read only as a placeholder; converting "
                    "would write the placeholder as text",
                )
            result = block.get("toolResult")
            if isinstance(result, dict):
                scan_tool_result(result, where)
    config = record.get("toolConfig")
    if isinstance(config, dict) and set(config) - {"tools"}:
        unread = ", ".join(sorted(set(config) - {"tools"}))
        raise refuse("declared tools", f"toolConfig has {unread}, which ftaudit does not read")


def scan_tool_result(result: dict[str, Any], where: str) -> None:
    if result.get("status") == "error":
        raise refuse("tool result", f"{where} is a failed tool result (status error)")
    for block in result.get("content") or ():
        if isinstance(block, dict) and not set(block) <= {"text", "json"}:
            raise refuse(
                "non-text content", f"{where} holds a {next(iter(block), 'empty')} result block"
            )


# --- declared tools, with their schemas ----------------------------------------------------


def specs_of(items: Any) -> list[dict[str, Any]]:
    """OpenAI function specs from `[{type, function: spec}]` or bare `[spec]` items."""
    if isinstance(items, str):
        try:
            items = json.loads(items)
        except ValueError:
            return []
    specs = []
    for item in items if isinstance(items, list) else ():
        spec = item.get("function", item) if isinstance(item, dict) else None
        if isinstance(spec, dict):
            specs.append(spec)
    return specs


def record_specs(record: dict[str, Any], fmt: str) -> list[dict[str, Any]] | None:
    """The tools the record itself declares (not those in content parts)."""
    if fmt == "openai-chat":
        if record.get("tools") is None and record.get("functions") is None:
            return None
        return specs_of(record.get("tools")) + specs_of(record.get("functions"))
    if fmt == "openai-preference":
        given = record.get("input")
        tools = given.get("tools") if isinstance(given, dict) else None
        return None if tools is None else specs_of(tools)
    if fmt == "gemini":
        if record.get("tools") is None:
            return None
        specs: list[dict[str, Any]] = []
        for tool in record["tools"]:
            if not isinstance(tool, dict):
                continue
            key = (
                "functionDeclarations"
                if "functionDeclarations" in tool
                else "function_declarations"
            )
            specs += specs_of(tool.get(key))
        return specs
    if fmt == "bedrock-converse":
        config = record.get("toolConfig")
        if config is None:
            return None
        specs = []
        for tool in config.get("tools", []):
            spec = tool.get("toolSpec") if isinstance(tool, dict) else None
            if isinstance(spec, dict):
                specs.append(from_tool_spec(spec))
        return specs
    if fmt in ("sharegpt", "preference"):
        tools = record.get("tools")
        return None if tools is None or tools == "" else specs_of(tools)
    return None


def from_tool_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A Bedrock toolSpec as an OpenAI function spec."""
    out: dict[str, Any] = {key: spec[key] for key in ("name", "description") if key in spec}
    schema = spec.get("inputSchema")
    if isinstance(schema, dict) and "json" in schema:
        out["parameters"] = schema["json"]
    extra = set(spec) - {"name", "description", "inputSchema"}
    if extra or (isinstance(schema, dict) and set(schema) - {"json"}):
        raise refuse("declared tools", f"toolSpec {spec.get('name')!r} has fields not read")
    return out


def declared_specs(record: dict[str, Any], fmt: str, row: Row) -> list[dict[str, Any]] | None:
    """The declared tools with their schemas, in the order of the canonical `tools` names.

    A record declares them at the top level, or (LLaMA-Factory v1) in `tools` content parts.
    """
    specs = record_specs(record, fmt)
    for _, message in raw_messages(record, fmt):
        content = message.get("content") if isinstance(message, dict) else None
        for part in content if isinstance(content, list) else ():
            if isinstance(part, dict) and part.get("type") == "tools":
                known = {spec.get("name") for spec in specs or ()}
                found = [s for s in specs_of(part.get("value")) if s.get("name") not in known]
                specs = [*(specs or ()), *found]
    names = [spec.get("name") for spec in specs] if specs is not None else None
    if (names or None) != (row.tools or None):
        raise refuse(
            "declared tools",
            f"the declared tools {row.tools} could not be read with their schemas",
        )
    return specs or None


# --- checks every target shares ---------------------------------------------------------------


def check_messages(messages: list[dict[str, Any]], target: str) -> None:
    """Loss masks and names the target cannot hold."""
    for number, message in enumerate(messages, start=1):
        role, weight = message["role"], message["weight"]
        if weight is not None and role != "assistant" and weight != 0:
            raise refuse(
                "loss mask",
                f"message {number} ({role}) has weight {weight:g}: only assistant turns "
                "are trained, in every target",
            )
        if role == "assistant" and weight is not None and target not in WEIGHTED:
            if weight == 0:
                raise refuse(
                    "loss mask",
                    f"message {number} (assistant) has weight 0 (not trained); {target} "
                    "has no per-message loss mask, so it would be trained on",
                )
            if weight != 1:
                raise refuse(
                    "loss mask",
                    f"message {number} (assistant) has weight {weight:g}; {target} has no "
                    "per-message loss weight",
                )
        if message["name"] is not None and role != "tool" and target not in NAMED:
            raise refuse(
                "message name",
                f"message {number} ({role}) has the name {message['name']!r}, which "
                f"{target} cannot hold",
            )


def single_answer(source: Source, target: str) -> list[dict[str, Any]]:
    """The messages of a one-answer row; a preference pair is refused (it holds two)."""
    if source.chosen is not None:
        raise refuse(
            "preference pair",
            f"a preference pair: {target} holds one answer per row, so the rejected "
            "answer would be lost (convert it --to preference)",
        )
    check_messages(source.row.messages, target)
    return source.row.messages


def json_arguments(call: dict[str, Any], number: int, target: str, *, obj: bool) -> Any:
    """A tool call's arguments as a JSON value (an object when `obj`), or a refusal."""
    try:
        value = json.loads(call["arguments"])
    except ValueError:
        raise refuse(
            "tool arguments",
            f"message {number}: the arguments of {call['name']!r} are not JSON; {target} "
            "stores them as a JSON value",
        ) from None
    if obj and not isinstance(value, dict):
        raise refuse(
            "tool arguments",
            f"message {number}: the arguments of {call['name']!r} are not a JSON object, "
            f"as {target} needs",
        )
    return value


def answered_call(
    message: dict[str, Any], calls: list[dict[str, Any]], position: int
) -> dict[str, Any] | None:
    """The call a tool message answers: by its id, else by its place after the calls."""
    call_id = message["tool_call_id"]
    if call_id is not None:
        return next((c for c in calls if c["id"] == call_id), None)
    return calls[position] if position < len(calls) else None


def split_system(messages: list[dict[str, Any]], target: str) -> tuple[str | None, list[Any]]:
    """A leading system prompt and the rest; a system turn elsewhere is refused."""
    system = None
    if messages and messages[0]["role"] == "system":
        system, messages = messages[0]["content"], messages[1:]
        if not system:
            raise refuse("system prompt", f"an empty system prompt, which {target} cannot hold")
    for number, message in enumerate(messages, start=2 if system is not None else 1):
        if message["role"] == "system":
            raise refuse(
                "system prompt",
                f"message {number} is a system turn inside the conversation; {target} has "
                "one system prompt, before it",
            )
    return system, messages


def refuse_role(message: dict[str, Any], number: int, target: str) -> Refused:
    return refuse(
        "role", f"message {number} has the role {message['role']!r}, which {target} lacks"
    )


# --- writers ---------------------------------------------------------------------------------


def openai_message(message: dict[str, Any], weighted: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message["role"]}
    calls = message["tool_calls"] or []
    if message["content"] or not calls:
        out["content"] = message["content"]
    if calls:
        out["tool_calls"] = [
            {
                **({"id": c["id"]} if c["id"] is not None else {}),
                "type": "function",
                "function": {"name": c["name"], "arguments": c["arguments"]},
            }
            for c in calls
        ]
    if message["tool_call_id"] is not None:
        out["tool_call_id"] = message["tool_call_id"]
    if message["name"] is not None:
        out["name"] = message["name"]
    weight = message["weight"]
    if weighted and weight is not None and message["role"] == "assistant":
        out["weight"] = int(weight) if float(weight).is_integer() else weight
    return out


def openai_tools(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "function", "function": spec} for spec in specs]


def write_openai_chat(source: Source, target: str) -> dict[str, Any]:
    messages = single_answer(source, target)
    out: dict[str, Any] = {"messages": [openai_message(m, weighted=True) for m in messages]}
    if source.specs:
        out["tools"] = openai_tools(source.specs)
    return out


SHAREGPT_FROM = {"user": "human", "assistant": "gpt", "tool": "observation", "system": "system"}


def write_sharegpt(source: Source, target: str) -> dict[str, Any]:
    messages = single_answer(source, target)
    out: dict[str, Any] = {}
    start = 0
    if messages and messages[0]["role"] == "system" and messages[0]["content"]:
        out["system"] = messages[0]["content"]
        start = 1
    turns = []
    calls: list[dict[str, Any]] = []
    position = 0
    for number, message in enumerate(messages[start:], start=start + 1):
        role = message["role"]
        if role not in SHAREGPT_FROM:
            raise refuse_role(message, number, target)
        if role == "assistant" and message["tool_calls"]:
            if message["content"]:
                raise refuse(
                    "text with tool calls",
                    f"message {number} has text and tool calls; sharegpt's function_call "
                    "turn holds only the calls",
                )
            calls, position = message["tool_calls"], 0
            parsed = [
                {"name": c["name"], "arguments": json_arguments(c, number, target, obj=False)}
                for c in calls
            ]
            value = json.dumps(parsed[0] if len(parsed) == 1 else parsed, ensure_ascii=False)
            turns.append({"from": "function_call", "value": value})
            continue
        if role == "tool":
            if message["tool_call_id"] is not None and (
                position >= len(calls) or calls[position]["id"] != message["tool_call_id"]
            ):
                raise refuse(
                    "tool call ids",
                    f"message {number} answers a call out of order; sharegpt pairs calls "
                    "and results by position",
                )
            position += 1
        turns.append({"from": SHAREGPT_FROM[role], "value": message["content"]})
    out["conversations"] = turns
    if source.specs:
        out["tools"] = json.dumps(source.specs, ensure_ascii=False)
    return out


def write_alpaca(source: Source, target: str) -> dict[str, Any]:
    messages = single_answer(source, target)
    roles = [m["role"] for m in messages]
    if "system" in roles:
        raise refuse(
            "system prompt",
            "a system prompt; standard Alpaca holds only instruction, input and output",
        )
    if "tool" in roles or any(m["tool_calls"] for m in messages):
        raise refuse("tool calls", "tool calls or results; Alpaca holds one plain answer")
    if source.specs:
        raise refuse("declared tools", "declares tools; Alpaca has no place for them")
    if roles != ["user", "assistant"]:
        if len(roles) > 2 and set(roles) <= {"user", "assistant"}:
            raise refuse(
                "multi-turn",
                f"a conversation of {len(roles)} turns; Alpaca holds one instruction and "
                "its output",
            )
        raise refuse("role", f"turns {roles}; Alpaca holds one user instruction and its answer")
    instruction, given = messages[0]["content"], ""
    raw_instruction, raw_input = source.record.get("instruction"), source.record.get("input")
    if source.fmt == "alpaca" and isinstance(raw_instruction, str) and isinstance(raw_input, str):
        instruction, given = raw_instruction, raw_input  # the source's own split
    return {"instruction": instruction, "input": given, "output": messages[1]["content"]}


def tool_turns(
    messages: list[dict[str, Any]],
    target: str,
    offset: int,
    user: Callable[[dict[str, Any]], list[dict[str, Any]]],
    assistant: Callable[[dict[str, Any], int], list[dict[str, Any]]],
    result: Callable[[dict[str, Any], int, dict[str, Any] | None], dict[str, Any]],
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Block-structured turns (Gemini, Bedrock): tool results go, with the user text that
    follows them, into one user turn, as the readers read them back."""
    turns: list[tuple[str, list[dict[str, Any]]]] = []
    pending: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    position = 0
    for number, message in enumerate(messages, start=offset):
        role = message["role"]
        if role == "tool":
            pending.append(result(message, number, answered_call(message, calls, position)))
            position += 1
        elif role == "user":
            turns.append(("user", [*pending, *user(message)]))
            pending = []
        elif role == "assistant":
            if pending:
                turns.append(("user", pending))
                pending = []
            turns.append(("assistant", assistant(message, number)))
            calls, position = message["tool_calls"] or [], 0
        else:
            raise refuse_role(message, number, target)
    if pending:
        turns.append(("user", pending))
    return turns


def only_keys(spec: dict[str, Any], allowed: set[str], target: str) -> None:
    extra = sorted(set(spec) - allowed)
    if extra:
        raise refuse(
            "declared tools",
            f"tool {spec.get('name')!r} has {', '.join(map(repr, extra))}, which {target} "
            "cannot hold",
        )


def write_gemini(source: Source, target: str) -> dict[str, Any]:
    system, messages = split_system(single_answer(source, target), target)

    def user(message: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"text": message["content"]}]

    def model(message: dict[str, Any], number: int) -> list[dict[str, Any]]:
        calls = message["tool_calls"] or []
        parts: list[dict[str, Any]] = []
        if message["content"] or not calls:
            parts.append({"text": message["content"]})
        for c in calls:
            function = {"name": c["name"], "args": json_arguments(c, number, target, obj=True)}
            parts.append({"functionCall": {**function, **({"id": c["id"]} if c["id"] else {})}})
        return parts

    def result(message: dict[str, Any], number: int, call: dict[str, Any] | None) -> dict[str, Any]:
        name = message["name"] or (call["name"] if call is not None else None)
        if not name:
            raise refuse(
                "tool result",
                f"message {number}: the function this result answers is not known; "
                "Gemini's functionResponse needs its name",
            )
        try:
            response = json.loads(message["content"])
        except ValueError:
            response = None
        if not isinstance(response, dict):
            raise refuse(
                "tool result",
                f"message {number}: the tool result is not a JSON object, as Gemini's "
                "functionResponse.response must be",
            )
        reply: dict[str, Any] = {"name": name, "response": response}
        if message["tool_call_id"] is not None:
            reply["id"] = message["tool_call_id"]
        return {"functionResponse": reply}

    offset = 2 if system is not None else 1
    turns = tool_turns(messages, target, offset, user, model, result)
    out: dict[str, Any] = {}
    if system is not None:
        out["systemInstruction"] = {"role": "system", "parts": [{"text": system}]}
    roles = {"user": "user", "assistant": "model"}
    out["contents"] = [{"role": roles[role], "parts": parts} for role, parts in turns]
    if source.specs:
        for spec in source.specs:
            only_keys(spec, {"name", "description", "parameters"}, target)
        out["tools"] = [{"functionDeclarations": source.specs}]
    return out


def write_bedrock(source: Source, target: str) -> dict[str, Any]:
    system, messages = split_system(single_answer(source, target), target)

    def user(message: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"text": message["content"]}]

    def assistant(message: dict[str, Any], number: int) -> list[dict[str, Any]]:
        calls = message["tool_calls"] or []
        blocks: list[dict[str, Any]] = []
        if message["content"] or not calls:
            blocks.append({"text": message["content"]})
        for c in calls:
            if not c["id"]:
                raise refuse(
                    "tool call ids",
                    f"message {number}: a tool call without an id; Bedrock needs a "
                    "toolUseId on every call",
                )
            arguments = json_arguments(c, number, target, obj=True)
            blocks.append(
                {"toolUse": {"toolUseId": c["id"], "name": c["name"], "input": arguments}}
            )
        return blocks

    def result(message: dict[str, Any], number: int, call: dict[str, Any] | None) -> dict[str, Any]:
        if not message["tool_call_id"]:
            raise refuse(
                "tool call ids",
                f"message {number}: a tool result without the id of its call; Bedrock "
                "needs a toolUseId on every result",
            )
        content = [{"text": message["content"]}] if message["content"] else []
        return {"toolResult": {"toolUseId": message["tool_call_id"], "content": content}}

    offset = 2 if system is not None else 1
    turns = tool_turns(messages, target, offset, user, assistant, result)
    out: dict[str, Any] = {"schemaVersion": BEDROCK_SCHEMA}
    if system is not None:
        out["system"] = [{"text": system}]
    out["messages"] = [{"role": role, "content": blocks} for role, blocks in turns]
    if source.specs:
        tools = []
        for spec in source.specs:
            only_keys(spec, {"name", "description", "parameters"}, target)
            if "parameters" not in spec:
                raise refuse(
                    "declared tools",
                    f"tool {spec.get('name')!r} has no parameter schema; Bedrock's toolSpec "
                    "needs an inputSchema",
                )
            described = {"description": spec["description"]} if "description" in spec else {}
            tools.append(
                {
                    "toolSpec": {
                        "name": spec["name"],
                        **described,
                        "inputSchema": {"json": spec["parameters"]},
                    }
                }
            )
        out["toolConfig"] = {"tools": tools}
    return out


def plain(message: dict[str, Any], role: str) -> bool:
    return (
        message["role"] == role
        and not message["tool_calls"]
        and all(message[key] is None for key in ("name", "tool_call_id"))
    )


def write_preference(source: Source, target: str) -> dict[str, Any]:
    if source.chosen is None or source.rejected is None:
        raise refuse(
            "not a preference pair",
            f"this {source.fmt} row has one answer and no rejected one; a preference pair "
            "needs both",
        )
    prompt, chosen, rejected = source.prompt, source.chosen, source.rejected
    for side in (prompt, chosen, rejected):
        check_messages(side, target)
    out: dict[str, Any]
    if (
        len(prompt) == 1
        and plain(prompt[0], "user")
        and all(len(side) == 1 and plain(side[0], "assistant") for side in (chosen, rejected))
    ):
        out = {
            "prompt": prompt[0]["content"],
            "chosen": chosen[0]["content"],
            "rejected": rejected[0]["content"],
        }
    else:
        out = {
            side: [openai_message(m, weighted=False) for m in messages]
            for side, messages in (("prompt", prompt), ("chosen", chosen), ("rejected", rejected))
        }
    if source.specs:
        out["tools"] = openai_tools(source.specs)
    return out


WRITERS: dict[str, Callable[[Source, str], dict[str, Any]]] = {
    "openai-chat": write_openai_chat,
    "sharegpt": write_sharegpt,
    "alpaca": write_alpaca,
    "preference": write_preference,
    "bedrock-converse": write_bedrock,
    "gemini": write_gemini,
}


# --- reading the result back -------------------------------------------------------------------


def json_text(text: str) -> tuple[str, str]:
    """Arguments compared as JSON values where they are JSON (whitespace may change)."""
    try:
        return "json", json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return "raw", text


def projected(messages: list[dict[str, Any]], target: str) -> list[tuple[Any, ...]]:
    """What of each message the target keeps, and so what must read back the same."""
    ids = target in KEEPS_IDS
    out = []
    for m in messages:
        role = m["role"]
        weight = m["weight"] if role == "assistant" and target in WEIGHTED else None
        name = m["name"] if role != "tool" or target in NAMED else None
        calls = tuple(
            (c["id"] if ids else None, c["name"], json_text(c["arguments"]))
            for c in m["tool_calls"] or ()
        )
        tool_call_id = m["tool_call_id"] if ids else None
        # Gemini holds a function result as a JSON object, so it is compared as one.
        content = json_text(m["content"]) if role == "tool" and target == "gemini" else m["content"]
        out.append((role, content, weight, name, tool_call_id, calls))
    return out


def verify(source: Source, converted: dict[str, Any], target: str) -> None:
    """Read the converted record back; refuse it unless it is the same conversation."""
    fmt = detect_format(converted)
    if fmt != target:
        raise refuse("unverified", f"the converted row would read back as {fmt}, not {target}")
    row, _ = normalize_record(converted, target)
    if row.suspect or row.issues:
        raise refuse("unverified", f"the converted row would not read back cleanly as {target}")
    before, after = source.row, row
    problems = []
    if projected(before.messages, target) != projected(after.messages, target):
        problems.append("messages")
    if before.system != after.system:
        problems.append("system prompt")
    if (before.tools or None) != (after.tools or None):
        problems.append("declared tools")
    if (before.chosen, before.rejected) != (after.chosen, after.rejected):
        problems.append("chosen/rejected")
    if target == "preference" and source.rejected is not None:
        _, rejected = pair_sides(converted, target)
        if projected(source.rejected, target) != projected(rejected, target):
            problems.append("rejected turns")
    if problems:
        raise refuse(
            "unverified",
            f"the converted row would not read back the same ({', '.join(problems)} differ)",
        )


# --- files -------------------------------------------------------------------------------------


@dataclass
class ConvertSummary:
    """What `convert_file` read, wrote and refused (line numbers are the input's)."""

    input: str
    output: str
    target: str
    rows_read: int = 0
    rows_written: int = 0
    #: (line, refusal), in input order.
    refused: list[tuple[int, Refusal]] = field(default_factory=list)
    #: Top-level keys the source format does not define, and in how many rows (not carried).
    unread_keys: Counter[str] = field(default_factory=Counter)
    blank_lines: int = 0

    def refused_by_kind(self) -> Counter[str]:
        return Counter(refusal.kind for _, refusal in self.refused)


def known_keys(record: dict[str, Any], fmt: str, keys: KeyMapping | None) -> frozenset[str]:
    """The top-level keys the record's format defines (all of them when not known)."""
    if fmt == "qa":
        return frozenset(qa_pair(record))
    if fmt == "custom-keys" and keys is not None:
        return frozenset({keys.prompt, keys.response})
    return KNOWN_KEYS.get(fmt, frozenset(record))


def convert_file(
    path: Path, output: Path, target: str, *, keys: KeyMapping | None = None
) -> ConvertSummary:
    """Write every row of `path` that `target` can hold to `output`, atomically.

    Refused rows (and unreadable lines) are left out and listed in the summary with the
    reason; `path` is never touched. Raises ConfigError when `output` is `path` or the
    target is unknown, auditor.io.InputError when `path` cannot be read at all.
    """
    from auditor.config import ConfigError

    path, output = Path(path), Path(output)
    if target not in TARGETS:
        raise ConfigError(f"unknown target {target!r}; one of {', '.join(TARGETS)}")
    refuse_overwrite(path, output)
    summary = ConvertSummary(input=str(path), output=str(output), target=target)
    read = FileRead(str(path))
    converted: dict[int, list[bytes]] = {}
    refused: dict[int, Refusal] = {}
    for chunk in iter_record_chunks(path, read):
        for line, record in chunk:
            fmt = detect_format(record, keys)
            summary.unread_keys.update(set(record) - known_keys(record, fmt, keys))
            result = convert_record(record, fmt, target, keys)
            if isinstance(result, Refusal):
                refused[line] = result
            else:
                converted.setdefault(line, []).append(to_json(result).encode() + b"\n")
    for finding in read.findings:
        if finding.line is None:
            continue
        if finding.code == "FT007":
            summary.blank_lines += 1
        elif finding.severity is Severity.ERROR and finding.code.startswith("FT0"):
            converted.pop(finding.line, None)
            refused[finding.line] = Refusal("unreadable line", f"{finding.code} {finding.message}")
    summary.refused = sorted(refused.items())
    summary.rows_read = len(refused) + sum(len(rows) for rows in converted.values())
    parts = [data for _, rows in sorted(converted.items()) for data in rows]
    summary.rows_written = len(parts)
    data = b"".join(parts)
    if output.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    write_atomic(output, data)
    return summary


def format_summary(summary: ConvertSummary) -> str:
    """What convert did, for the CLI: counts, refusals by reason, the first refused lines."""
    lines = [
        f"read {summary.rows_read:,} rows from {summary.input}",
        f"wrote {summary.rows_written:,} row(s) as {summary.target} to {summary.output}",
    ]
    if summary.refused:
        lines.append(
            f"refused {len(summary.refused):,} row(s) that {summary.target} cannot hold; "
            f"they are not in {summary.output}, which holds only the converted rows:"
        )
        for kind, count in summary.refused_by_kind().most_common():
            lines.append(f"  {count:,} × {kind}")
        for line, refusal in summary.refused[:SHOWN_REFUSALS]:
            lines.append(f"  {summary.input}:{line}: {refusal.reason}")
        if len(summary.refused) > SHOWN_REFUSALS:
            lines.append(f"  … and {len(summary.refused) - SHOWN_REFUSALS:,} more")
    else:
        lines.append("refused 0 rows: every row converted")
    if summary.unread_keys:
        shown = ", ".join(f"{key} ({n:,} rows)" for key, n in summary.unread_keys.most_common())
        lines.append(f"note: keys ftaudit does not read were not carried: {shown}")
    if summary.blank_lines:
        lines.append(f"note: left out {summary.blank_lines:,} blank line(s)")
    return "\n".join(lines)
