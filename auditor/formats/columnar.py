"""The column-wise path for the commonest rows: plain OpenAI chat.

A row that is only `{"messages": [{"role", "content"}, …]}` with string contents and the
roles system, user and assistant is normalized by polars expressions over the whole chunk
instead of a Python call per row: the messages are decoded to structs in Rust, and the
rendered text, the prompt before the last assistant turn, the response and the system
prompt are list expressions. Nothing in such a row can be off, so it yields no finding;
any other row takes the per-row path (auditor.formats.normalize), and both give the same
canonical row (tests/test_formats_columnar.py compares them on every sample and fixture).
"""

from __future__ import annotations

from typing import Any

import orjson
import polars as pl

from auditor.formats.canonical import CANONICAL_SCHEMA

#: The roles a plain row may hold: no translation (OpenAI's `function`), no tool fields.
PLAIN_ROLES = frozenset({"system", "user", "assistant"})
PLAIN_FORMAT = "openai-chat"


def plain_chat_json(record: dict[str, Any]) -> str | None:
    """The JSON of a plain chat row's messages, or None when the row is anything else (or
    holds a lone surrogate, which only the per-row path repairs)."""
    if len(record) != 1:
        return None
    messages = record.get("messages")
    if type(messages) is not list or not messages:
        return None
    for message in messages:
        if type(message) is not dict or len(message) != 2:
            return None
        role, content = message.get("role"), message.get("content")
        if type(role) is not str or type(content) is not str or role not in PLAIN_ROLES:
            return None
    try:
        return orjson.dumps(messages).decode()
    except TypeError:
        return None


def plain_chat_frame(file: str, lines: list[int], messages: list[str]) -> pl.DataFrame:
    """Canonical rows of plain chat records, given their lines and messages' JSON."""
    frame = pl.DataFrame(
        {
            "line": pl.Series(lines, dtype=CANONICAL_SCHEMA["line"]),
            # Fields the JSON lacks (weight, name, tool fields) decode as null.
            "messages": pl.Series(messages, dtype=pl.String).str.json_decode(
                CANONICAL_SCHEMA["messages"]
            ),
        }
    )
    role = pl.col("messages").list.eval(pl.element().struct.field("role"))
    content = pl.col("messages").list.eval(pl.element().struct.field("content"))
    turns = pl.col("messages").list.eval(
        pl.concat_str(
            pl.element().struct.field("role"), pl.lit(": "), pl.element().struct.field("content")
        )
    )
    last_answer = role.list.eval((pl.element() == "assistant").arg_true().last()).list.first()
    first_system = role.list.eval((pl.element() == "system").arg_true().first()).list.first()
    text = turns.list.join("\n")
    return frame.with_columns(
        file=pl.lit(file, dtype=CANONICAL_SCHEMA["file"]),
        format=pl.lit(PLAIN_FORMAT, dtype=CANONICAL_SCHEMA["format"]),
        system=content.list.get(first_system, null_on_oob=True),
        tools=pl.lit(None, dtype=CANONICAL_SCHEMA["tools"]),
        prompt=pl.when(last_answer.is_null())
        .then(text)
        .otherwise(turns.list.head(last_answer).list.join("\n")),
        response=pl.when(last_answer.is_null())
        .then(pl.lit(""))
        .otherwise(content.list.get(last_answer, null_on_oob=True)),
        text=text,
        chosen=pl.lit(None, dtype=CANONICAL_SCHEMA["chosen"]),
        rejected=pl.lit(None, dtype=CANONICAL_SCHEMA["rejected"]),
        label=pl.lit(None, dtype=CANONICAL_SCHEMA["label"]),
    ).select(list(CANONICAL_SCHEMA))
