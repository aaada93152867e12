"""FT0xx: problems found while reading the files. Always on: bad input is always reported.

Each check reports the findings auditor.io made for its code; a dropped line is a line a
trainer would reject (OpenAI's upload validation refuses the whole file for one bad line).
"""

from __future__ import annotations

from typing import ClassVar

from auditor.check import Check, CheckResult, Metric, Status
from auditor.context import AuditContext


class InputCheck(Check):
    """Base: report the reading findings of one code; fail (or warn) on any."""

    family = "input"
    always_on = True
    #: Status when any line has this problem.
    on_any: ClassVar[Status] = Status.FAIL

    def run(self, ctx: AuditContext) -> CheckResult:
        findings = ctx.load_findings(self.code)
        lines = sum(f.lines for f in ctx.dataset.files) or 1
        share = len(findings) / lines
        status = self.on_any if findings else Status.PASS
        summary = f"{len(findings):,} line(s) affected" if findings else "none"
        return self.result(
            status,
            1.0 - share,
            summary,
            [Metric(name="lines_affected", value=len(findings), fail_at=0.0)],
            findings,
        )


class InvalidJson(InputCheck):
    """Invalid JSON on a line.

    What it checks: every line of a .jsonl file parses as JSON.
    Why it matters: the line is dropped from the audit, and most trainers (and OpenAI's
    upload validation) reject the whole file for one unparsable line.
    Example: `{'role': 'user'}` (Python repr, single quotes), a truncated line, a trailing comma.
    Options: none. The finding names the column and suggests the likely cause.
    """

    code = "FT001"
    name = "invalid-json"


class NotAnObject(InputCheck):
    """A line (or array element) that is JSON but not an object.

    What it checks: each record is a JSON object (`{...}`).
    Why it matters: a bare string, number or array is not a training example; the line is
    dropped from the audit and trainers reject it.
    Example: `["user", "hi"]` or `"hello"` on its own line.
    Options: none.
    """

    code = "FT002"
    name = "not-an-object"


class InvalidUtf8(InputCheck):
    """Bytes that are not valid UTF-8.

    What it checks: every line decodes as UTF-8.
    Why it matters: the line cannot be read; usually the file (or part of it) was saved
    as latin-1 / cp1252. The finding gives the byte offset.
    Example: a `\\xe9` byte for "é" written by a cp1252 export.
    Options: none.
    """

    code = "FT003"
    name = "invalid-utf8"


class ByteOrderMark(InputCheck):
    """The file starts with a UTF-8 byte-order mark.

    What it checks: the first bytes are not EF BB BF.
    Why it matters: the line is still audited, but strict JSON Lines readers (including
    some trainers' loaders) fail on the first record. Warns.
    Example: files saved by some Windows editors ("UTF-8 with BOM").
    Options: none.
    """

    code = "FT004"
    name = "byte-order-mark"
    on_any = Status.WARN


class NulBytes(InputCheck):
    """Raw NUL bytes in a line.

    What it checks: no 0x00 byte appears in a line.
    Why it matters: NUL bytes are not valid in JSON text and usually mean a corrupted or
    mis-encoded export (UTF-16 read as bytes); the line is dropped.
    Example: a line copied from a UTF-16 file.
    Options: none.
    """

    code = "FT005"
    name = "nul-bytes"


class LineTooLong(InputCheck):
    """A line longer than `max-line-bytes` (default 8 MiB).

    What it checks: no line exceeds the configured byte limit.
    Why it matters: such a line is skipped without being held in memory; an example that
    large is almost always a concatenation bug, and it would be truncated in training.
    Example: a whole document dump with embedded base64 images.
    Options: `max-line-bytes` in the top-level config.
    """

    code = "FT006"
    name = "line-too-long"


class BlankLine(InputCheck):
    """Blank lines in a JSON Lines file.

    What it checks: no line is empty or whitespace only.
    Why it matters: several loaders stop at or fail on an empty line; it is harmless to
    ftaudit (the line is skipped) but worth removing. Warns.
    Example: a trailing blank line from concatenating files with `cat`.
    Options: none.
    """

    code = "FT007"
    name = "blank-line"
    on_any = Status.WARN
