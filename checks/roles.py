"""FT105–FT109: are the roles known, in a trainable order, with something to learn?

Where an unknown role (`bot`, `human`) would decide FT107–FT109's verdict, they leave the
row to FT105 and count it as `rows_left_to_FT105`: one mistake, one report.
"""

from __future__ import annotations

from collections import Counter

import polars as pl

from auditor.check import CheckResult, Finding, Metric, Severity
from auditor.context import AuditContext
from checks.common import (
    QualityOptions,
    RowShareCheck,
    clip,
    counted,
    has_messages,
    message_table,
    role_codes,
)

KNOWN_ROLES = ("system", "user", "assistant", "tool")
#: Roles other formats and exports use, and the canonical role they mean.
ROLE_ALIASES = {
    "human": "user",
    "customer": "user",
    "prompter": "user",
    "question": "user",
    "input": "user",
    "instruction": "user",
    "bot": "assistant",
    "gpt": "assistant",
    "chatgpt": "assistant",
    "ai": "assistant",
    "model": "assistant",
    "chatbot": "assistant",
    "agent": "assistant",
    "answer": "assistant",
    "output": "assistant",
    "response": "assistant",
    "completion": "assistant",
    "developer": "system",
    "function": "tool",
    "function_response": "tool",
    "tool_response": "tool",
    "tool_result": "tool",
    "observation": "tool",
    "ipython": "tool",
}

ROLE_NAMES = {
    "s": "system",
    "u": "user",
    "a": "assistant",
    "c": "assistant(tool_calls)",
    "t": "tool",
    "?": "?",
}

#: Which role may follow which (system messages aside; None is the start).
#: A tool call (c) is answered by tool results (t); after them the assistant goes on.
FOLLOWERS: dict[str | None, str] = {None: "u", "u": "ac", "a": "u", "c": "tu", "t": "tacu"}
#: The same rule as one regex over the role codes without `s`, to skip clean rows fast.
VALID_ORDER = r"^(?:u(?:ct+)*(?:a|ct*))*u?$"

UNKNOWN_LEFT_TO_FT105 = "rows_left_to_FT105"

#: What a conversation that stops on this role code lacks.
ENDINGS = {
    "u": "the conversation ends with a user turn; its answer is missing",
    "t": "the conversation ends with a tool result; the assistant's reply is missing",
    "s": "the conversation ends with a system message",
}


def suggested_role(role: str) -> str | None:
    """The known role an unknown one most likely means, if any."""
    lowered = role.strip().lower()
    return lowered if lowered in KNOWN_ROLES else ROLE_ALIASES.get(lowered)


def role_trail(codes: str, limit: int = 80) -> str | None:
    """`system → user → user → assistant`: a conversation's roles as an excerpt."""
    return clip(" → ".join(ROLE_NAMES[c] for c in codes), limit)


class UnknownRole(RowShareCheck):
    """A message role outside system, user, assistant and tool.

    What it checks: every message's `role` is one of `system`, `user`, `assistant`,
    `tool` (exactly; roles are case-sensitive). A missing role is a schema error (FT103).
    Why it matters: OpenAI's fine-tuning API rejects the file, and chat templates
    either raise or render the odd role verbatim, so the model learns a speaker that
    never appears at inference. ShareGPT-style exports (`human`/`gpt`) are the usual cause.
    Example: `{"role": "bot", "content": "Hi!"}` — rename `bot` → `assistant`.
    Options: `warn_above` / `fail_above` (share of chat rows, default 0.0 / 0.0: any
    such row fails, since the fix is a mechanical rename).
    """

    code = "FT105"
    name = "unknown-role"

    def run(self, ctx: AuditContext) -> CheckResult:
        frame = ctx.train
        applicable = frame.filter(has_messages()).height
        if not applicable:
            return self.not_applicable("no chat rows")
        odd = message_table(
            frame,
            "role",
            "content",
            where=lambda m: ~m("role").is_in(KNOWN_ROLES) & (m("role").fill_null("") != ""),
        )
        rows = odd.group_by("row", maintain_order=True).agg(
            pl.first("file", "line", "pos", "content"),
            pl.col("role").unique(maintain_order=True).alias("roles"),
        )
        findings = [
            self.unknown_role_finding(file, line, pos, roles, content)
            for file, line, pos, content, roles in rows.select(
                "file", "line", "pos", "content", "roles"
            ).iter_rows()
        ]
        return self.judge(
            findings,
            rows.height,
            applicable,
            rows="chat rows",
            problem="use a role outside system/user/assistant/tool",
            clean="every role is system, user, assistant or tool",
            metrics=[
                Metric(name="unknown_roles", value=counted(Counter(odd["role"].to_list())) or None)
            ],
        )

    def unknown_role_finding(
        self, file: str, line: int, pos: int, roles: list[str], content: str | None
    ) -> Finding:
        others = ", ".join(f"`{r}`" for r in roles[1:])
        renames = []
        for role in roles:
            target = suggested_role(role)
            renames.append(
                f"`{role}` → `{target}`"
                if target
                else f"`{role}` → one of {', '.join(KNOWN_ROLES)}"
            )
        return self.finding(
            file,
            line,
            f"unknown role `{roles[0]}`" + (f" (also {others})" if others else ""),
            path=f"messages[{pos}].role",
            excerpt=clip(content),
            hint="rename the role: " + ", ".join(renames),
        )


class SystemNotFirst(RowShareCheck):
    """A system message anywhere but the first position.

    What it checks: a `system` message appears only as `messages[0]`.
    Why it matters: many chat templates (Mistral, Gemma, Llama 2) raise on a system
    message later in the conversation or silently drop it; those that keep it train
    the model on a prompt layout it will not see at inference.
    Example: `[user, assistant, system, user, assistant]` — move or merge the system text.
    Options: `warn_above` / `fail_above` (share of chat rows, default 0.0 / 0.05). Some
    pipelines inject mid-conversation system notes on purpose, so a few rows warn;
    above 5% it is the dataset's layout and fails.
    """

    code = "FT106"
    name = "system-not-first"
    severity = Severity.WARNING

    class Options(QualityOptions):
        pass

    def run(self, ctx: AuditContext) -> CheckResult:
        frame = ctx.train
        applicable = frame.filter(has_messages()).height
        if not applicable:
            return self.not_applicable("no chat rows")
        first_role = pl.col("messages").list.first().struct.field("role")
        suspects = frame.filter(role_codes().str.slice(1).str.contains("s", literal=True))
        late = message_table(
            suspects,
            "role",
            "content",
            where=lambda m: m("role") == "system",
            first_role=first_role,
        ).filter(pl.col("pos") > 0)
        findings = [
            self.finding(
                file,
                line,
                f"second system message at messages[{pos}]; only messages[0] may be one"
                if first == "system"
                else f"system message at messages[{pos}], after the conversation began",
                path=f"messages[{pos}].role",
                excerpt=clip(content),
                hint="merge it into one system message at messages[0]; if it adds "
                "turn-level context, put that text in the next user message",
            )
            for file, line, pos, content, first in late.select(
                "file", "line", "pos", "content", "first_role"
            ).iter_rows()
        ]
        return self.judge(
            findings,
            late["row"].n_unique(),
            applicable,
            rows="chat rows",
            problem="have a system message after the first position",
            clean="every system message comes first",
        )


class RoleAlternation(RowShareCheck):
    """User and assistant turns that do not alternate.

    What it checks: after an optional leading system message, the conversation opens
    with a user turn and then alternates user / assistant. Tool results may only follow
    an assistant turn that made tool calls, or another tool result; after them the
    assistant continues (or a user turn follows). Two user turns in a row, two assistant
    turns in a row, or a tool result out of place are reported, one finding per row at
    the first problem. System messages are ignored here (FT106 places them); rows with an
    unknown role are left to FT105.
    Why it matters: chat templates such as Llama 2 and Mistral raise "Conversation roles
    must alternate user/assistant/user/assistant"; others render the row, but the
    model then learns to answer its own answers or to ignore a user turn.
    Example: `[system, user, user, assistant]` — merge the two user messages.
    Options: `warn_above` / `fail_above` (share of chat rows, default 0.0 / 0.0: any such
    row fails — trainers reject it).
    """

    code = "FT107"
    name = "role-alternation"

    def run(self, ctx: AuditContext) -> CheckResult:
        coded = ctx.train.select("file", "line", role_codes()).filter(
            pl.col("codes").str.len_bytes() > 0
        )
        if coded.is_empty():
            return self.not_applicable("no chat rows")
        unknown = pl.col("codes").str.contains("?", literal=True)
        known = coded.filter(~unknown)
        suspects = known.filter(
            ~pl.col("codes").str.replace_all("s", "", literal=True).str.contains(VALID_ORDER)
        )
        findings = []
        for file, line, codes in suspects.select("file", "line", "codes").iter_rows():
            problems = alternation_problems(codes)
            if problems:
                findings.append(self.alternation_finding(file, line, codes, problems))
        return self.judge(
            findings,
            len(findings),
            known.height,
            rows="chat rows",
            problem="break the user/assistant alternation",
            clean="user and assistant turns alternate",
            metrics=[Metric(name=UNKNOWN_LEFT_TO_FT105, value=coded.height - known.height)],
        )

    def alternation_finding(
        self, file: str, line: int, codes: str, problems: list[tuple[int, str, str]]
    ) -> Finding:
        pos, message, hint = problems[0]
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return self.finding(
            file,
            line,
            message + more,
            path=f"messages[{pos}].role",
            excerpt=role_trail(codes),
            hint=hint,
        )


def alternation_problems(codes: str) -> list[tuple[int, str, str]]:
    """(position, message, hint) for every role transition the alternation rule forbids."""
    problems = []
    prev: str | None = None
    prev_pos = -1
    for pos, code in enumerate(codes):
        if code == "s":
            continue
        if code not in FOLLOWERS[prev]:
            problems.append((pos, *transition_problem(prev, prev_pos, code, pos)))
        prev, prev_pos = code, pos
    return problems


def transition_problem(prev: str | None, prev_pos: int, code: str, pos: int) -> tuple[str, str]:
    """The message and hint for one forbidden transition prev → code."""
    pair = f"messages[{prev_pos}] and messages[{pos}]"
    if prev is None and code == "t":
        return (
            f"the conversation opens with a tool result (messages[{pos}])",
            "a tool result must follow the assistant message whose tool_calls it answers",
        )
    if prev is None:
        return (
            f"the conversation opens with an assistant turn (messages[{pos}])",
            "start with a user turn (after the optional system message), "
            "or drop the leading assistant message",
        )
    if code == "t":
        after = "a user turn" if prev == "u" else "an assistant turn that made no tool call"
        return (
            f"tool result at messages[{pos}] follows {after}",
            "put tool results right after the assistant message whose tool_calls they answer",
        )
    if code == "u":
        return (
            f"two user turns in a row ({pair})",
            "merge the two user messages, or add the assistant reply between them",
        )
    if prev == "c":
        return (
            f"assistant turn at messages[{pos}] follows a tool call with no tool result",
            "add the tool result message(s) between the call and the reply",
        )
    return (
        f"two assistant turns in a row ({pair})",
        "merge the two assistant messages, or restore the user turn between them",
    )


class NoFinalAssistant(RowShareCheck):
    """A conversation that does not end with an assistant turn.

    What it checks: the last message of each chat row is an assistant message (a final
    tool call counts; a preference row's messages end with its chosen answer). Rows whose
    last role is unknown are left to FT105.
    Why it matters: trainers learn from the assistant turns; trailing user or tool
    messages are dead weight at best, and OpenAI's fine-tuning API rejects a row whose
    last message is not from the assistant.
    Example: `[user, assistant, user]` — the last question has no answer.
    Options: `warn_above` / `fail_above` (share of chat rows, default 0.0 / 0.0: any such
    row fails).
    """

    code = "FT108"
    name = "no-final-assistant"

    def run(self, ctx: AuditContext) -> CheckResult:
        frame = ctx.train.with_columns(
            last_content=pl.col("messages").list.last().struct.field("content")
        )
        coded = frame.select(role_codes(), "file", "line", "last_content").filter(
            pl.col("codes").str.len_bytes() > 0
        )
        if coded.is_empty():
            return self.not_applicable("no chat rows")
        last = pl.col("codes").str.slice(-1)
        judged = coded.filter(last != "?")
        ending = judged.filter(~last.is_in(["a", "c"]))
        findings = [
            self.finding(
                file,
                line,
                ENDINGS[codes[-1]],
                path=f"messages[{len(codes) - 1}].role",
                excerpt=clip(content),
                hint="append the assistant's reply, or drop the trailing message(s)",
            )
            for file, line, codes, content in ending.select(
                "file", "line", "codes", "last_content"
            ).iter_rows()
        ]
        return self.judge(
            findings,
            len(findings),
            judged.height,
            rows="chat rows",
            problem="do not end with an assistant turn",
            clean="every conversation ends with an assistant turn",
            metrics=[Metric(name=UNKNOWN_LEFT_TO_FT105, value=coded.height - judged.height)],
        )


class NoTrainableTurn(RowShareCheck):
    """A conversation with nothing to train on.

    What it checks: each chat row has at least one assistant message whose `weight` is
    not 0 (a missing weight means 1). Rows with an unknown role and no trainable turn are
    left to FT105.
    Why it matters: the loss is computed on assistant turns only; a row without one
    costs tokens and teaches nothing, and OpenAI's API rejects it.
    Example: `[system, user]`, or every assistant message carrying `"weight": 0`.
    Options: `warn_above` / `fail_above` (share of chat rows, default 0.0 / 0.0: any such
    row fails).
    """

    code = "FT109"
    name = "no-trainable-turn"

    def run(self, ctx: AuditContext) -> CheckResult:
        message = pl.element().struct
        is_assistant = message.field("role") == "assistant"
        weight = message.field("weight")
        trainable = is_assistant & (weight.is_null() | (weight != 0))
        coded = ctx.train.select(
            "file",
            "line",
            role_codes(),
            pl.col("messages").list.eval(trainable).list.any().alias("trainable"),
            pl.col("messages").list.eval(is_assistant).list.sum().alias("assistants"),
        ).filter(pl.col("codes").str.len_bytes() > 0)
        if coded.is_empty():
            return self.not_applicable("no chat rows")
        left_to_ft105 = ~pl.col("trainable") & pl.col("codes").str.contains("?", literal=True)
        judged = coded.filter(~left_to_ft105)
        empty = judged.filter(~pl.col("trainable"))
        findings = [
            self.finding(
                file,
                line,
                "no assistant turn: nothing for the model to learn"
                if not assistants
                else f"every assistant turn ({assistants}) has weight 0: nothing is trained",
                path="messages",
                excerpt=role_trail(codes),
                hint="add the assistant's answer, or drop the row"
                if not assistants
                else "set weight 1 on the turn(s) the model should learn, or drop the row",
            )
            for file, line, codes, assistants in empty.select(
                "file", "line", "codes", "assistants"
            ).iter_rows()
        ]
        return self.judge(
            findings,
            len(findings),
            judged.height,
            rows="chat rows",
            problem="have no trainable assistant turn",
            clean="every conversation has a trainable assistant turn",
            metrics=[Metric(name=UNKNOWN_LEFT_TO_FT105, value=coded.height - judged.height)],
        )
