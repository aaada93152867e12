"""The column-wise path for the commonest rows: plain OpenAI chat (tools included),
ShareGPT, prompt/completion and Alpaca (and preference pairs, written as chat by
auditor.formats.columnar_preference).

A chat row that is only `messages` (and `tools`), with string contents, the roles system,
user, assistant and tool, and well-formed tool calls, is normalized by polars expressions
over the whole chunk instead of a Python call per row: the record is decoded to structs
in Rust, and the canonical messages, the rendered text, the prompt before the last
assistant turn, the response, the system prompt and the declared tools are list
expressions; a Python pass over each record only decides whether it is plain. A plain
ShareGPT, prompt/completion or Alpaca row is first written as the chat its normalizer would make
(a small dict, no Row), then takes the same expressions. Nothing in such a row can be
off, so it yields no finding; any other row takes the per-row path
(auditor.formats.normalize), and both give the same canonical row
(tests/test_formats_columnar.py compares them on every sample and fixture and on random
rows).
"""

from __future__ import annotations

from typing import Any

import orjson
import polars as pl

from auditor.formats.canonical import CANONICAL_SCHEMA

#: The roles a plain row may hold: no translation (OpenAI's `function`).
PLAIN_ROLES = frozenset({"system", "user", "assistant", "tool"})
PLAIN_FORMAT = "openai-chat"
MESSAGE_KEYS = frozenset({"role", "content", "name", "tool_call_id", "tool_calls"})
RECORD_KEYS = frozenset({"messages", "tools"})
#: What the JSON of a plain row decodes to (fields it lacks decode as null).
RAW_SCHEMA = pl.Struct(
    {
        "messages": pl.List(
            pl.Struct(
                {
                    "role": pl.String,
                    "content": pl.String,
                    "name": pl.String,
                    "tool_call_id": pl.String,
                    "tool_calls": pl.List(
                        pl.Struct(
                            {
                                "id": pl.String,
                                "function": pl.Struct({"name": pl.String, "arguments": pl.String}),
                            }
                        )
                    ),
                }
            )
        ),
        "tools": pl.List(pl.Struct({"function": pl.Struct({"name": pl.String})})),
        # A preference pair's rejected text (auditor.formats.columnar_preference).
        "rejected": pl.String,
    }
)


def optional_str(value: object) -> bool:
    return value is None or type(value) is str


def _plain_call(call: object) -> bool:
    if type(call) is not dict or not optional_str(call.get("id")):
        return False
    function = call.get("function")
    return (
        type(function) is dict
        and type(function.get("name")) is str
        and type(function.get("arguments")) is str
    )


def plain_message(message: object) -> bool:
    if type(message) is not dict or not message.keys() <= MESSAGE_KEYS:
        return False
    role, content, calls = message.get("role"), message.get("content"), message.get("tool_calls")
    if type(role) is not str or role not in PLAIN_ROLES:
        return False
    if not (optional_str(message.get("name")) and optional_str(message.get("tool_call_id"))):
        return False
    if calls is None:
        # Content may be null only beside tool calls, or the row is suspect.
        return type(content) is str and "tool_calls" not in message
    return type(calls) is list and optional_str(content) and all(_plain_call(c) for c in calls)


def plain_tools(tools: object) -> bool:
    if type(tools) is not list:
        return False
    for item in tools:
        function = item.get("function") if type(item) is dict else None
        if type(function) is not dict or type(function.get("name")) is not str:
            return False
    return True


def plain_messages(messages: object) -> bool:
    """A non-empty list of plain messages."""
    return type(messages) is list and bool(messages) and all(plain_message(m) for m in messages)


def plain_chat(record: dict[str, Any]) -> bool:
    """Plain chat: `messages` (and maybe `tools`), string contents, the roles system, user,
    assistant and tool, well-formed tool calls with string arguments."""
    if not record.keys() <= RECORD_KEYS or not plain_messages(record.get("messages")):
        return False
    return "tools" not in record or plain_tools(record["tools"])


def as_json(value: Any) -> str | None:
    """`value` as JSON text, or None for a lone surrogate, which only the per-row path
    repairs."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return None


def plain_chat_json(record: dict[str, Any]) -> str | None:
    """The JSON of a plain chat row (plain_chat), or None when the row is anything else."""
    return as_json(record) if plain_chat(record) else None


def _message(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def plain_pair_json(record: dict[str, Any]) -> tuple[str, str] | None:
    """(format, chat JSON) of a plain prompt/completion or Alpaca row — string fields
    only, nothing else in the record — or None. Their normalizers make a user and an
    assistant turn (Alpaca: a system turn first when `system` is set, the input after the
    instruction), which is what the chat JSON says."""
    keys = record.keys()
    if keys == {"prompt", "completion"}:
        prompt, completion = record["prompt"], record["completion"]
        if type(prompt) is not str or type(completion) is not str:
            return None
        turns = [_message("user", prompt), _message("assistant", completion)]
        fmt = "openai-completion"
    elif {"instruction", "output"} <= keys <= {"instruction", "input", "output", "system"}:
        instruction, output = record["instruction"], record["output"]
        extra, system = record.get("input"), record.get("system")
        if not (type(instruction) is str and type(output) is str):
            return None
        if not (optional_str(extra) and optional_str(system)):
            return None
        turns = [_message("system", system)] if system else []
        user = f"{instruction}\n\n{extra}" if extra else instruction
        turns += [_message("user", user), _message("assistant", output)]
        fmt = "alpaca"
    else:
        return None
    chat = as_json({"messages": turns})
    return None if chat is None else (fmt, chat)


#: ShareGPT speakers a plain row may hold, as canonical roles (no function calls).
SHAREGPT_PLAIN = {"human": "user", "gpt": "assistant", "system": "system", "observation": "tool"}


def plain_sharegpt_json(record: dict[str, Any]) -> tuple[str, str] | None:
    """(format, chat JSON) of a plain ShareGPT row — `conversations` of `{from, value}`
    strings by human, gpt, system or observation, and maybe a string `system` — or None."""
    if not record.keys() <= {"conversations", "system"}:
        return None
    turns, system = record.get("conversations"), record.get("system")
    if type(turns) is not list or not turns or not optional_str(system):
        return None
    messages = [_message("system", system)] if system else []
    for turn in turns:
        if type(turn) is not dict or turn.keys() != {"from", "value"}:
            return None
        source, value = turn["from"], turn["value"]
        if type(source) is not str or source not in SHAREGPT_PLAIN or type(value) is not str:
            return None
        messages.append(_message(SHAREGPT_PLAIN[source], value))
    chat = as_json({"messages": messages})
    return None if chat is None else ("sharegpt", chat)


def plain_row(record: dict[str, Any]) -> tuple[str, str] | None:
    """(format, chat JSON) of a row the column-wise path takes, or None."""
    if "messages" in record:
        chat = plain_chat_json(record)
        return None if chat is None else (PLAIN_FORMAT, chat)
    if "conversations" in record:
        return plain_sharegpt_json(record)
    return plain_pair_json(record)


def plain_chat_frame(
    file: str, lines: list[int], records: list[str] | pl.Series, formats: list[str]
) -> pl.DataFrame:
    """Canonical rows of plain records, given their lines, chat JSON and formats. A chat
    JSON with a `rejected` text is a preference pair whose last
    turn is the chosen reply: its response is also its `chosen`."""
    raw = pl.Series(records, dtype=pl.String).str.json_decode(RAW_SCHEMA)
    frame = pl.DataFrame(
        {"line": pl.Series(lines, dtype=CANONICAL_SCHEMA["line"]), "raw": raw}
    ).unnest("raw")
    call = pl.element().struct.field("function")
    canonical_calls = (
        pl.element()
        .struct.field("tool_calls")
        .list.eval(
            pl.struct(
                pl.element().struct.field("id"),
                call.struct.field("name"),
                call.struct.field("arguments"),
            )
        )
    )
    messages = pl.col("messages").list.eval(
        pl.struct(
            pl.element().struct.field("role"),
            pl.element().struct.field("content").fill_null(""),
            pl.lit(None, dtype=pl.Float64).alias("weight"),
            pl.element().struct.field("name"),
            pl.element().struct.field("tool_call_id"),
            canonical_calls.alias("tool_calls"),
        )
    )
    frame = frame.with_columns(messages=messages.cast(CANONICAL_SCHEMA["messages"]))
    role = pl.col("messages").list.eval(pl.element().struct.field("role"))
    content = pl.col("messages").list.eval(pl.element().struct.field("content"))
    # A turn's calls as `name(arguments)`, one per line (formats.render / turn_text).
    call_lines = (
        pl.element()
        .struct.field("tool_calls")
        .list.eval(
            pl.concat_str(
                pl.element().struct.field("name"),
                pl.lit("("),
                pl.element().struct.field("arguments"),
                pl.lit(")"),
            )
        )
    )
    turns = pl.col("messages").list.eval(
        pl.concat_str(
            pl.element().struct.field("role"),
            pl.lit(": "),
            pl.element().struct.field("content"),
            call_lines.list.eval(pl.lit("\n") + pl.element()).list.join("").fill_null(""),
        )
    )
    last_answer = role.list.eval((pl.element() == "assistant").arg_true().last()).list.first()
    first_system = role.list.eval((pl.element() == "system").arg_true().first()).list.first()
    # The prompt and the response are cut from the rendered text, not rendered again: a
    # cut of a string column is a view into its buffer, so they hold no copy of their own
    # (a million chat rows: ~1 GB). The prompt is the turns before the last answer's; the
    # response is that turn less its "assistant: ", and less the newline before its calls
    # when it has only calls. Cuts are by bytes (a string's byte length is stored, its
    # length in characters is a scan), and fall between turns or after the ASCII prefix.
    turn_bytes = pl.col("_turns").list.eval(pl.element().str.len_bytes().cast(pl.Int64))
    answer_at = turn_bytes.list.head(last_answer).list.sum() + last_answer.cast(pl.Int64)
    last = pl.col("messages").list.get(last_answer, null_on_oob=True).struct
    only_calls = (last.field("content") == "") & (
        last.field("tool_calls").list.len().fill_null(0) > 0
    )
    skip = len("assistant: ") + only_calls.cast(pl.Int64)
    frame = frame.with_columns(_turns=turns).with_columns(
        text=pl.col("_turns").list.join("\n"),
        _prompt_bytes=(answer_at - 1).clip(lower_bound=0),
        _answer_at=answer_at + skip,
        _answer_bytes=turn_bytes.list.get(last_answer, null_on_oob=True) - skip,
    )
    text = pl.col("text")
    text_bytes = text.cast(pl.Binary)
    response = (
        pl.when(last_answer.is_null())
        .then(pl.lit(""))
        .otherwise(
            text_bytes.bin.slice(pl.col("_answer_at"), pl.col("_answer_bytes")).cast(pl.String)
        )
    )
    return frame.with_columns(
        file=pl.lit(file, dtype=CANONICAL_SCHEMA["file"]),
        format=pl.Series(formats, dtype=CANONICAL_SCHEMA["format"]),
        system=content.list.get(first_system, null_on_oob=True),
        tools=pl.col("tools")
        .list.eval(pl.element().struct.field("function").struct.field("name"))
        .cast(CANONICAL_SCHEMA["tools"]),
        prompt=pl.when(last_answer.is_null())
        .then(text)
        .otherwise(text_bytes.bin.head(pl.col("_prompt_bytes")).cast(pl.String)),
        response=response,
        chosen=pl.when(pl.col("rejected").is_not_null()).then(response),
        rejected=pl.col("rejected"),
        label=pl.lit(None, dtype=CANONICAL_SCHEMA["label"]),
    ).select(list(CANONICAL_SCHEMA))
