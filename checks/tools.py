"""FT111–FT113: are tool calls well-formed, declared, and answered?"""

from __future__ import annotations

import difflib
from typing import Any

import orjson
import polars as pl

from auditor.check import CheckResult, Finding, Metric
from auditor.context import AuditContext
from checks.common import (
    RowShareCheck,
    call_path,
    clip,
    has_messages,
    role_codes,
    tool_call_table,
)

JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def argument_problem(arguments: str | None) -> str | None:
    """Why a call's `arguments` string is not a JSON object, or None when it is."""
    if arguments is None or not arguments.strip():
        return "empty arguments (a call without arguments takes `{}`)"
    try:
        value = orjson.loads(arguments)
    except orjson.JSONDecodeError as exc:
        return f"arguments are not valid JSON ({exc})"
    if isinstance(value, dict):
        return None
    if isinstance(value, str) and value.lstrip().startswith("{"):
        return "arguments are JSON-encoded twice (a string that holds an object)"
    kind = "null" if value is None else JSON_TYPES.get(type(value), type(value).__name__)
    return f"arguments are a JSON {kind}, not an object"


class InvalidToolArguments(RowShareCheck):
    """Tool-call arguments that are not a JSON object.

    What it checks: every tool call's `function.arguments` string parses as JSON and is
    an object (`{}` for a call without arguments).
    Why it matters: the model learns to emit exactly these strings; broken JSON (a
    truncated generation, single quotes, a trailing comma) teaches it calls your runtime
    cannot parse. OpenAI's fine-tuning API rejects such rows.
    Example: `"arguments": "{'city': 'Oslo'}"` — JSON needs double quotes.
    Options: `warn_above` / `fail_above` (share of rows with tool calls, default
    0.0 / 0.0: any such row fails).
    """

    code = "FT111"
    name = "invalid-tool-arguments"

    def run(self, ctx: AuditContext) -> CheckResult:
        calls = tool_call_table(ctx.train)
        if calls.is_empty():
            return self.not_applicable("no tool calls")
        problems = [argument_problem(a) for a in calls["arguments"].to_list()]
        bad = calls.with_columns(problem=pl.Series(problems, dtype=pl.String)).filter(
            pl.col("problem").is_not_null()
        )
        findings = [
            self.finding(
                file,
                line,
                f"call to `{name}`: {problem}" if name else f"unnamed call: {problem}",
                path=call_path(pos, call, "function.arguments"),
                excerpt=clip(arguments),
                hint='make arguments a JSON-encoded object string, e.g. "{\\"city\\": \\"Oslo\\"}"',
            )
            for file, line, pos, call, name, arguments, problem in bad.select(
                "file", "line", "pos", "call", "name", "arguments", "problem"
            ).iter_rows()
        ]
        return self.judge(
            findings,
            bad["row"].n_unique(),
            calls["row"].n_unique(),
            rows="rows with tool calls",
            problem="have tool-call arguments that are not a JSON object",
            clean="every tool call's arguments are a JSON object",
            metrics=[
                Metric(name="tool_calls", value=calls.height),
                Metric(name="invalid_calls", value=bad.height),
            ],
        )


class UndeclaredTool(RowShareCheck):
    """A call to a function the row does not declare.

    What it checks: in rows that declare their tools (`tools`, or legacy `functions`),
    every tool call names one of the declared functions. Rows without declarations are
    not judged: the tools may be given at inference time only.
    Why it matters: the model learns to call a function it will not be offered — a
    runtime error at best, an invented tool at worst. It usually means a renamed
    function or a tools list copied from another row. OpenAI's fine-tuning API rejects
    such rows. (A call without a name is a schema error, FT103/FT104.)
    Example: tools declare `get_weather`, the assistant calls `get_forecast`.
    Options: `warn_above` / `fail_above` (share of rows that declare tools, default
    0.0 / 0.0: any such row fails).
    """

    code = "FT112"
    name = "undeclared-tool"

    def run(self, ctx: AuditContext) -> CheckResult:
        declaring = ctx.train.filter(pl.col("tools").is_not_null() & has_messages())
        if declaring.is_empty():
            return self.not_applicable("no row declares its tools")
        calls = tool_call_table(declaring, tools=pl.col("tools"))
        # A call without a name is a schema error (FT103/FT104), not an undeclared tool.
        named = pl.col("name").fill_null("") != ""
        undeclared = calls.filter(named & ~pl.col("tools").list.contains(pl.col("name")))
        findings = [
            self.undeclared_finding(file, line, pos, call, name, tools)
            for file, line, pos, call, name, tools in undeclared.select(
                "file", "line", "pos", "call", "name", "tools"
            ).iter_rows()
        ]
        return self.judge(
            findings,
            undeclared["row"].n_unique(),
            declaring.height,
            rows="rows that declare tools",
            problem="call a function they do not declare",
            clean="every call names a declared function",
            metrics=[Metric(name="tool_calls", value=calls.height)],
        )

    def undeclared_finding(
        self, file: str, line: int, pos: int, call: int, name: str, tools: list[str]
    ) -> Finding:
        declared = ", ".join(f"`{t}`" for t in tools[:8]) or "none"
        close = difflib.get_close_matches(name, tools, n=1)
        hint = (
            f"did you mean `{close[0]}`? Fix the name, or declare the function in tools"
            if close
            else "declare the function in the row's tools, or fix the call's name"
        )
        return self.finding(
            file,
            line,
            f"call to `{name}`, which the row's tools do not declare (declared: {declared})",
            path=call_path(pos, call, "function.name"),
            excerpt=name,
            hint=hint,
        )


class UnmatchedToolResult(RowShareCheck):
    """Tool results and tool calls that do not pair up by id.

    What it checks: in rows that use ids, every `tool` message's `tool_call_id` names a
    call made earlier in the conversation (a missing id is reported too); and every call
    with an id gets its tool result before the next assistant turn, if the conversation
    goes on after the call (a call in the last message may stay unanswered). Rows with
    no ids at all (legacy `function_call`, formats without ids) are not judged.
    Why it matters: trainers and chat templates pair results with calls by id; an
    unmatched result is rejected by OpenAI's API, and an unanswered call teaches the
    model to go on as if it had seen a result it never got.
    Example: a call with id `call_1` answered by `{"role": "tool", "tool_call_id": "call_2"}`.
    Options: `warn_above` / `fail_above` (share of rows with tool calls or results,
    default 0.0 / 0.0: any such row fails).
    """

    code = "FT113"
    name = "unmatched-tool-result"

    def run(self, ctx: AuditContext) -> CheckResult:
        message = pl.element().struct
        ids = message.field("tool_calls").list.eval(pl.element().struct.field("id"))
        narrow = pl.struct(message.field("role"), message.field("tool_call_id"), ids.alias("ids"))
        tooled = (
            ctx.train.select("file", "line", role_codes(), "messages")
            .filter(pl.col("codes").str.contains("[ct]"))
            .select("file", "line", pl.col("messages").list.eval(narrow).alias("turns"))
        )
        if tooled.is_empty():
            return self.not_applicable("no tool calls or tool results")
        findings: list[Finding] = []
        affected = 0
        for file, line, turns in tooled.iter_rows():
            problems = pairing_problems(turns)
            affected += bool(problems)
            findings.extend(
                self.finding(file, line, text, path=path, excerpt=excerpt, hint=hint)
                for path, text, excerpt, hint in problems
            )
        return self.judge(
            findings,
            affected,
            tooled.height,
            rows="rows with tool calls or results",
            problem="have tool results and calls that do not pair up",
            clean="every tool result answers an earlier call, every call is answered",
        )


Problem = tuple[str, str, str | None, str]

UNANSWERED_HINT = "add a tool message with this tool_call_id after the call, or remove the call"


def pairing_problems(turns: list[dict[str, Any]]) -> list[Problem]:
    """(path, message, excerpt, hint) for each unmatched result and unanswered call.

    A result without a known id most likely answers the oldest open call (a typo or a
    dropped id), so that call is closed with it: one mistake, one finding.
    """
    if not any(t["tool_call_id"] for t in turns) and not any(any(t["ids"] or ()) for t in turns):
        return []  # a format without ids: nothing to pair by
    problems: list[Problem] = []
    seen: set[str] = set()
    pending: dict[str, str] = {}  # open call id → path of the call
    last_call = -1

    def close_unanswered(before: str) -> None:
        for call_id, path in pending.items():
            message = f"call `{call_id}` gets no tool result before {before}"
            problems.append((path, message, call_id, UNANSWERED_HINT))
        pending.clear()

    for pos, turn in enumerate(turns):
        if turn["role"] == "assistant":
            close_unanswered(f"the next assistant turn (messages[{pos}])")
            for index, call_id in enumerate(turn["ids"] or ()):
                if call_id:
                    seen.add(call_id)
                    pending[call_id] = f"messages[{pos}].tool_calls[{index}].id"
                    last_call = pos
        elif turn["role"] == "tool" and turn["tool_call_id"] in seen:
            pending.pop(turn["tool_call_id"], None)
        elif turn["role"] == "tool":
            problems.append(orphan_result(pos, turn["tool_call_id"], next(iter(pending), None)))
            if pending:
                del pending[next(iter(pending))]
    if last_call < len(turns) - 1:  # the conversation went on after the last call
        close_unanswered("the conversation ends")
    problems.sort(key=lambda p: message_index(p[0]))
    return problems


def orphan_result(pos: int, result: str | None, open_call: str | None) -> Problem:
    """A tool message whose tool_call_id is missing or names no earlier call."""
    guess = f" (the open call is `{open_call}`)" if open_call else ""
    if not result:
        return (
            f"messages[{pos}]",
            "tool message has no tool_call_id" + guess,
            None,
            "set tool_call_id to the id of the call this message answers",
        )
    return (
        f"messages[{pos}].tool_call_id",
        f"tool result for `{result}`, which no earlier call has as id" + guess,
        result,
        "use the id of the assistant tool call this result answers",
    )


def message_index(path: str) -> int:
    """The message position in a `messages[3]…` path, for sorting findings."""
    return int(path[len("messages[") : path.index("]")])
