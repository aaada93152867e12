"""FT110, FT114, FT115: is there content, does a preference pair differ, is it rendered?"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import NamedTuple

import polars as pl

from auditor.check import CheckResult, Metric, Severity
from auditor.comparison import SPACE_RUN
from auditor.context import AuditContext
from checks.common import (
    INVISIBLE,
    QualityOptions,
    RowShareCheck,
    clip,
    content_texts,
    counted,
    has_messages,
    is_blank,
    message_table,
)


def is_preference() -> pl.Expr:
    """Preference rows keep the trained answers in chosen/rejected."""
    return pl.col("chosen").is_not_null() | pl.col("rejected").is_not_null()


EMPTY_HINTS = {
    "chosen": "write the preferred answer, or drop the pair",
    "rejected": "write the dispreferred answer, or drop the pair",
    "response": "write the completion, or drop the row",
    "assistant": "write the answer or drop the turn: an empty target teaches the model "
    "to say nothing",
    "user": "restore the user's message, or drop the turn and the reply to it",
    "system": "remove the empty system message, or fill in the intended prompt",
    "tool": "put the tool's output in content (e.g. `{}` or an error text)",
}


class EmptyContent(RowShareCheck):
    """Empty or whitespace-only content.

    What it checks: the content of every message is non-blank (whitespace and invisible
    characters such as zero-width spaces do not count as content). An assistant message
    that carries tool_calls may have empty content. A row without messages needs a
    non-blank `text` (and a non-blank `response` when it has a prompt); a preference
    pair needs a non-blank `rejected` answer (its chosen answer is its last assistant
    message). One finding per empty field, with its path, e.g. `messages[2].content`.
    Why it matters: an empty assistant turn trains the model to stop without answering;
    an empty user turn is an answer to nothing. Exports that lose a field leave these
    behind in bulk.
    Example: `{"role": "assistant", "content": "  \\n"}`.
    Options: `warn_above` / `fail_above` (share of rows, default 0.0 / 0.05: any empty
    field warns; above 5% an export dropped a field and the check fails).
    """

    code = "FT110"
    name = "empty-content"
    severity = Severity.WARNING

    class Options(QualityOptions):
        pass

    def run(self, ctx: AuditContext) -> CheckResult:
        frame = ctx.train
        if frame.is_empty():
            return self.not_applicable("no rows")
        found = sorted([*empty_messages(frame), *empty_fields(frame)], key=lambda f: f.row)
        findings = [
            self.finding(
                field.file,
                field.line,
                f"{'whitespace-only' if field.content else 'empty'} {field.label}",
                path=field.path,
                excerpt=repr(field.content) if field.content else None,
                hint=EMPTY_HINTS.get(field.kind, "fill in the field, or drop the row"),
            )
            for field in found
        ]
        return self.judge(
            findings,
            len({field.row for field in found}),
            frame.height,
            rows="rows",
            problem="have empty or whitespace-only content",
            clean="no empty content",
        )


FIELD_LABELS = {
    "messages": "conversation: no messages and no text",
    "chosen": "chosen answer",
    "rejected": "rejected answer",
}


class EmptyField(NamedTuple):
    row: int
    path: str
    file: str
    line: int
    kind: str  # the message's role, or the field's name
    content: str | None

    @property
    def label(self) -> str:
        if self.path.startswith("messages["):
            return f"{self.kind or 'unnamed'} message"
        return FIELD_LABELS.get(self.kind, self.kind)


def blank_message(field: Callable[[str], pl.Expr]) -> pl.Expr:
    """Blank content, unless it is an assistant turn that only makes tool calls."""
    calls = field("tool_calls").list.len().fill_null(0)
    return is_blank(field("content")) & ~((field("role") == "assistant") & (calls > 0))


def empty_messages(frame: pl.DataFrame) -> list[EmptyField]:
    """Blank messages, except an assistant message that only makes tool calls."""
    blank = message_table(frame, "role", "content", where=blank_message)
    return [
        EmptyField(row, f"messages[{pos}].content", file, line, role, text)
        for row, file, line, pos, role, text in blank.select(
            "row", "file", "line", "pos", "role", "content"
        ).iter_rows()
    ]


def empty_fields(frame: pl.DataFrame) -> list[EmptyField]:
    """Blank text, response or chosen of rows without messages; blank rejected answers."""
    no_messages = ~has_messages()
    field = (
        pl.when(no_messages & is_blank("text") & (pl.col("format") == "text"))
        .then(pl.lit("text"))
        # A chat-shaped row with an empty message list has no text either.
        .when(no_messages & is_blank("text"))
        .then(pl.lit("messages"))
        .when(no_messages & ~is_blank("prompt") & is_blank("response") & ~is_preference())
        .then(pl.lit("response"))
    )
    # The chosen answer of a chat-shaped pair is its last assistant message, judged there.
    chosen = pl.when(no_messages).then(pl.col("chosen"))
    candidates = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
        "file",
        "line",
        chosen.alias("chosen"),
        "rejected",
        field.alias("field"),
    ).filter(
        pl.col("field").is_not_null()
        | (pl.col("chosen").is_not_null() & is_blank("chosen"))
        | (pl.col("rejected").is_not_null() & is_blank("rejected"))
    )
    found = []
    for row, file, line, chosen, rejected, name in candidates.iter_rows():
        if name is not None:
            found.append(EmptyField(row, name, file, line, name, None))
        for side, value in (("chosen", chosen), ("rejected", rejected)):
            if value is not None and not value.strip(INVISIBLE):
                found.append(EmptyField(row, side, file, line, side, value))
    return found


class IdenticalPreferencePair(RowShareCheck):
    """A preference pair whose chosen and rejected answers are the same.

    What it checks: for rows with both `chosen` and `rejected`, the two differ after
    whitespace is normalized (runs collapsed, ends stripped).
    Why it matters: DPO-style losses learn from the difference between the two answers;
    for an identical pair the two log-ratios cancel, so its DPO gradient is exactly zero:
    it costs compute and teaches nothing. It usually means a generation or join step
    paired an answer with itself.
    Example: `{"prompt": "…", "chosen": "Paris.", "rejected": "Paris. "}`.
    Options: `warn_above` / `fail_above` (share of preference rows, default 0.0 / 0.0: any
    such pair fails).
    """

    code = "FT114"
    name = "identical-preference-pair"

    def run(self, ctx: AuditContext) -> CheckResult:
        def normalized(name: str) -> pl.Expr:
            return pl.col(name).str.replace_all(SPACE_RUN, " ").str.strip_chars()

        pairs = ctx.train.filter(pl.col("chosen").is_not_null() & pl.col("rejected").is_not_null())
        if pairs.is_empty():
            return self.not_applicable("no preference pairs (rows with chosen and rejected)")
        same = pairs.filter(normalized("chosen") == normalized("rejected"))
        findings = [
            self.finding(
                file,
                line,
                "chosen and rejected are identical"
                if chosen == rejected
                else "chosen and rejected differ only in whitespace",
                path="rejected",
                excerpt=clip(chosen),
                hint="pair the prompt with a genuinely worse rejected answer, or drop the row",
            )
            for file, line, chosen, rejected in same.select(
                "file", "line", "chosen", "rejected"
            ).iter_rows()
        ]
        return self.judge(
            findings,
            same.height,
            pairs.height,
            rows="preference pairs",
            problem="have identical chosen and rejected answers",
            clean="every pair's answers differ",
        )


# --- FT115 template placeholders -----------------------------------------------------------

#: Each pattern is valid in both Python's `re` and polars' Rust regex: joined, they are
#: the fast prefilter, so every Python match is inside a prefiltered text.
PLACEHOLDER_PATTERNS = {
    # {{name}}, {{ user.name }}, {{ name | upper }}, {{#items}}, {{{raw}}}
    "double-brace": r"\{\{\s*[#/^&]?\s*[A-Za-z_][\w.\-]*\s*(?:\|[^{}\n]*)?\}\}",
    # {% if x %}, {%- for … -%}
    "jinja-tag": r"\{%-?\s*(?:if|for|elif|else|endif|endfor|set|block|endblock|include)\b",
    # {input}, {user_name}: judged further in `single_brace_counts`
    "single-brace": r"\{[A-Za-z_][A-Za-z0-9_]+\}",
    # ${var}, ${user.name}
    "dollar-brace": r"\$\{\s*[A-Za-z_][\w.]*\s*\}",
    # $variable (lowercase; $HOME-style env vars and $5 prices are not placeholders)
    "dollar": r"\$[a-z_][a-z0-9_]+\b",
    # <NAME>, <INSERT_DATE>, <CUSTOMER NAME>
    "angle-caps": r"<[A-Z][A-Z0-9_]+(?: [A-Z0-9_]+)*>",
    # [INSERT …], [Your Name], [enter email], [TODO: …], [placeholder]
    "bracket-keyword": (
        r"\[(?i:insert|your|enter|fill in|placeholder|todo|tbd|replace)\b[^\]\n]{0,60}\]"
    ),
    # [CUSTOMER_NAME], [API_KEY]
    "bracket-caps": r"\[[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\]",
    # [Name], [Company Name], [Recipient's Email]
    "bracket-field": r"\[(?:[A-Z][\w']*\s){0,3}(?:Name|Date|Company|Address|Email|Phone|Title)\]",
}
PLACEHOLDER = re.compile(
    "|".join(f"(?P<{k.replace('-', '_')}>{p})" for k, p in PLACEHOLDER_PATTERNS.items())
)
PREFILTER = "|".join(PLACEHOLDER_PATTERNS.values())

#: Regions where braces and dollars are code or math, not templates.
CODE_FENCE = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", re.S)
INLINE_CODE = re.compile(r"`[^`\n]+`")
# Pandoc's rule: `$` opens math before a non-space and closes after one, not before a digit.
MATH = re.compile(r"\$\$.+?\$\$|\\\(.+?\\\)|\\\[.+?\\\]|\$(?=\S)[^$\n]*?(?<=\S)\$(?!\d)", re.S)
#: Text that reads as code or JSON; there `{name}` is a format field or a set, not a slot.
CODE_LIKE = re.compile(
    r"\"[\w\- ]+\"\s*:"  # a JSON key: a JSON document or a snippet of one
    r"|\bdef \w+\(|\bf[\"']|\.format\(|\bfunction\b\s*\w*\s*\(|=>|\bprint\(|console\.log"
    r"|#include|\breturn\b[^.\n]*;|\bimport \w|\bclass \w+[:({]"
)
#: Upper-case tags that are HTML, XML-ish output delimiters or model tokens.
NOT_PLACEHOLDER_TAG = re.compile(
    r"H[1-6]|[ABIPSU]|BR|HR|[DOU]L|LI|D[DT]|T[DHR]|TABLE|THEAD|TBODY|TITLE|DIV|SPAN|EM|STRONG"
    r"|PRE|CODE|IMG|HTML|HEAD|BODY|FONT|CENTER|SMALL|BIG|SU[BP]|[BE]OS|PAD|UNK|SEP|CLS|MASK"
    r"|EO[TF]|NULL|NONE"
)
#: Characters before `{` that make it LaTeX (`\frac{a}`, `x^{n}`, `}{`) or doubled braces;
#: a letter before it is a LaTeX command too (`\text{input}`).
NOT_BEFORE_BRACE = "\\^_{}$"


def scrub(text: str) -> str:
    """The text with code fences, inline code and math replaced by spaces."""
    for region in (CODE_FENCE, INLINE_CODE, MATH):
        text = region.sub(" ", text)
    return text


def placeholders(text: str) -> list[str]:
    """The unrendered template placeholders in one text, in order of appearance."""
    clean = scrub(text)
    code_like = CODE_LIKE.search(clean) is not None
    found = []
    for match in PLACEHOLDER.finditer(clean):
        kind = (match.lastgroup or "").replace("_", "-")
        token = match.group()
        start, end = match.span()
        before = clean[start - 1] if start else " "
        after = clean[end : end + 1]
        if kind == "single-brace" and (
            code_like or before.isalpha() or before in NOT_BEFORE_BRACE or after == "}"
        ):
            continue
        if kind == "dollar" and (code_like or before.isalnum() or before in "\\$" or after == "("):
            continue
        if kind == "angle-caps" and (
            before.isalnum()
            or NOT_PLACEHOLDER_TAG.fullmatch(token[1:-1])
            or f"</{token[1:]}" in clean
        ):
            continue
        if kind.startswith("bracket") and after in ("(", ":"):
            continue  # a markdown link `[Your account](…)` or a link definition
        found.append(token)
    return found


def texts_to_scan(frame: pl.DataFrame) -> pl.DataFrame:
    """Every content field as (row, file, line, path, text), prefiltered by a cheap regex."""
    messages, others = content_texts(frame, PREFILTER)
    return pl.concat([messages, others]).drop("role").sort("row", maintain_order=True)


class TemplatePlaceholder(RowShareCheck):
    """Unrendered template placeholders left in the content.

    What it checks: every message, a plain row's `text` and a preference pair's answers
    for slots a templating step should have filled: `{{name}}` and `{% if %}` (Jinja, Mustache,
    Handlebars), `${var}` and lowercase `$var`, `<NAME>`/`<INSERT_DATE>` capital angle
    tags, `[INSERT …]`/`[Your Name]`/`[CUSTOMER_NAME]` brackets, and single-brace
    `{input}` fields. To stay quiet on code, JSON and math, it ignores code fences,
    inline code and `$…$` math; a single-brace `{name}` or a `$var` counts only as a
    bare identifier in text that does not read as code or JSON, and not after a letter,
    backslash or brace (LaTeX `\\frac{a}{b}`, `x^{n}`); HTML tags (`<br>`, `<DIV>`),
    model tokens (`<EOS>`) and tags that are closed (`<ANSWER>…</ANSWER>`) are not slots.
    Why it matters: the model learns the literal placeholder and reproduces it
    ("Dear {{customer_name}}", "Best regards, [Your Name]"); in a prompt it means the
    example was never filled with real input.
    Example: `{"role": "user", "content": "Summarize this: {document}"}`.
    Options: `warn_above` / `fail_above` (share of rows, default 0.0 / 0.05: any leaked
    placeholder warns; above 5% a template was never rendered and the check fails).
    """

    code = "FT115"
    name = "template-placeholder"
    severity = Severity.WARNING

    class Options(QualityOptions):
        pass

    def run(self, ctx: AuditContext) -> CheckResult:
        frame = ctx.train
        if frame.is_empty():
            return self.not_applicable("no rows")
        scanned = texts_to_scan(frame)
        # Templated datasets repeat the same texts: judge and describe each one once.
        described = {
            text: placeholder_report(text, found)
            for text in scanned["text"].unique().to_list()
            if (found := placeholders(text))
        }
        hits = scanned.filter(pl.col("text").is_in(list(described)))
        findings = [
            self.finding(
                file,
                line,
                described[text].message,
                path=path,
                excerpt=described[text].excerpt,
                hint="render the template with real values before export, or drop the row",
            )
            for file, line, path, text in hits.select("file", "line", "path", "text").iter_rows()
        ]
        tokens: Counter[str] = Counter()
        for text, n in hits["text"].value_counts().iter_rows():
            tokens.update({token: n for token in described[text].tokens})
        return self.judge(
            findings,
            hits["row"].n_unique(),
            frame.height,
            rows="rows",
            problem="contain unrendered template placeholders",
            clean="no template placeholders",
            metrics=[Metric(name="placeholders", value=counted(tokens) or None)],
        )


class PlaceholderReport(NamedTuple):
    tokens: list[str]  # distinct placeholders, in order of appearance
    message: str
    excerpt: str | None


def placeholder_report(text: str, found: list[str]) -> PlaceholderReport:
    """The finding's message and excerpt for one text's placeholders."""
    distinct = list(dict.fromkeys(found))
    shown = ", ".join(distinct[:4]) + (f" (+{len(distinct) - 4} more)" if len(distinct) > 4 else "")
    at = max(0, text.find(distinct[0]))
    start = max(0, at - 30)
    context = ("…" if start else "") + text[start : at + len(distinct[0]) + 30]
    message = f"unrendered placeholder{'s' if len(distinct) > 1 else ''} {shown}"
    return PlaceholderReport(distinct, message, clip(context))
