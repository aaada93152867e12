"""FT101–FT104: does each record have a known format, the keys it needs, the right types?"""

from __future__ import annotations

import polars as pl

from auditor.check import Check, CheckOptions, CheckResult, Finding, Metric, Severity, Status
from auditor.context import AuditContext
from checks.input import InputCheck


class FormatCheck(InputCheck):
    """Base: report a normalization finding; fail on any (a trainer rejects such rows)."""

    family = "format"
    always_on = False


class UnknownFormat(FormatCheck):
    """A record in no fine-tuning format ftaudit knows.

    What it checks: each record's keys match a supported format (OpenAI chat or
    prompt/completion, Alpaca, ShareGPT, preference pairs, KTO, Gemini, Bedrock Converse,
    plain text, question/answer key pairs).
    Why it matters: the row is left out of every other check, and a trainer would not
    know what to learn from it.
    Example: `{"q": "...", "a": "..."}` — name the keys with `--prompt-key q --response-key a`.
    Options: none.
    """

    code = "FT101"
    name = "unknown-format"


class MissingKey(FormatCheck):
    """A key the record's format requires is missing.

    What it checks: each record has the keys its format's JSON Schema requires, e.g.
    `messages[1].content` (or `tool_calls`) for an OpenAI chat message.
    Why it matters: trainers reject the row or silently train on an empty field.
    Example: `{"role": "assistant"}` with neither `content` nor `tool_calls`.
    Options: none. The finding names the field path.
    """

    code = "FT103"
    name = "missing-key"


class WrongType(FormatCheck):
    """A field has the wrong JSON type.

    What it checks: each field has the type its format's JSON Schema gives it.
    Why it matters: loaders crash or coerce silently (a `weight` of "1", tool-call
    `arguments` given as an object instead of a JSON string, content as a number).
    Example: `"arguments": {"city": "Oslo"}` — it must be `"{\\"city\\": \\"Oslo\\"}"`.
    Options: none. The finding names the field path and the type found.
    """

    code = "FT104"
    name = "wrong-type"


class MixedFormats(Check):
    """A file that mixes formats.

    What it checks: all rows of a file are in the same format; rows in another format than
    the file's majority are reported.
    Why it matters: trainers read one format per file; the odd rows are rejected or,
    worse, read with the wrong fields (a `text` row in a chat file trains on nothing).
    Example: a chat file with a few `{"prompt": ..., "completion": ...}` rows appended.
    Options: `fail_on_mixed` (default true; false makes it a warning).
    """

    code = "FT102"
    name = "mixed-formats"
    family = "format"

    class Options(CheckOptions):
        fail_on_mixed: bool = True

    def run(self, ctx: AuditContext) -> CheckResult:
        assert isinstance(self.options, self.Options)
        frame = ctx.dataset.train
        majority = {f.path: f.format for f in ctx.dataset.files if f.split == "train"}
        odd = frame.filter(
            pl.col("format") != pl.col("file").replace_strict(majority, default=None)
        ).select("file", "line", "format")
        findings = [
            Finding(
                code=self.code,
                severity=Severity.ERROR,
                message=f"row is in {fmt} format, the rest of the file is {majority[file]}",
                file=file,
                line=line,
                hint=f"convert the row to {majority[file]}, or move it to its own file",
            )
            for file, line, fmt in odd.iter_rows()
        ]
        share = odd.height / frame.height if frame.height else 0.0
        status = Status.PASS
        if findings:
            status = Status.FAIL if self.options.fail_on_mixed else Status.WARN
        formats = sorted(set(frame["format"].to_list()))
        return self.result(
            status,
            1.0 - share,
            f"{odd.height:,} row(s) off their file's format"
            if findings
            else f"one format per file ({', '.join(formats) or 'none'})",
            [
                Metric(name="rows_off_format", value=odd.height, fail_at=0.0),
                Metric(name="formats", value=", ".join(formats)),
            ],
            findings,
        )
