"""`ftaudit redact data.jsonl -o clean.jsonl`: personal data and secrets become placeholders.

Each value FT601/FT602 would report is replaced by its kind's placeholder (`[EMAIL]`,
`[CARD]`, `[AWS_KEY]` …) inside the raw line; every other byte is copied unchanged.
Strings are located in the raw line (JSON string literals), decoded, scanned, and each
span is mapped back to the raw characters it was written with, escapes included
(`\\u0040`, `\\/`), so even an escaped value is replaced without re-encoding its string.
Placeholders need no escaping. Only string values are scanned (object keys are names),
every string value of the record, whatever its field: a superset of what the checks read.

Conventions shared with the other remedies (auditor.remedy): the input is never the
output, the write is atomic, `.gz` output is gzip-compressed, a `.json` array becomes JSON
Lines (one compact element per line), unreadable and blank lines are left out and counted.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from auditor.atomic import write_atomic
from auditor.io import BOM, FileRead, iter_record_chunks
from auditor.remedy import (
    is_json_array,
    kept_bytes,
    kept_lines,
    refuse_overwrite,
    unreadable_lines,
)
from auditor.sensitive import ALL_KINDS, DetectOptions, find_spans, placeholder, prefilter

#: A JSON string literal (the unrolled loop is linear: no backtracking on long strings).
STRING_LITERAL = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
#: Escapes a raw-line prefilter cannot see through: their lines are always scanned.
UNICODE_ESCAPE = r"\\u[0-9a-fA-F]{4}"
#: How many changed lines `format_summary` lists.
SHOWN_LINES = 20


@dataclass
class RedactSummary:
    """What `redact_file` read, replaced and wrote (line numbers are the input's)."""

    input: str
    output: str
    lines_read: int = 0
    lines_written: int = 0
    #: Values replaced, per kind.
    counts: Counter[str] = field(default_factory=Counter)
    #: Lines with at least one replacement, in order.
    changed_lines: list[int] = field(default_factory=list)
    #: Lines where a replaced value was written with JSON escapes in the input.
    escaped_lines: list[int] = field(default_factory=list)
    #: Lines left out because they could not be read (FT0xx errors, blank lines).
    unreadable: int = 0
    notes: list[str] = field(default_factory=list)


def redact_file(path: Path, output: Path, options: DetectOptions | None = None) -> RedactSummary:
    """Write `path` with every detected value replaced by its placeholder to `output`.

    `options` are the detector settings (default: every kind, default thresholds; the CLI
    passes FT601's and FT602's configured ones). Raises ConfigError when `output` is
    `path` or its folder is missing, auditor.io.InputError when `path` cannot be read.
    """
    path, output = Path(path), Path(output)
    options = options or DetectOptions(kinds=frozenset(ALL_KINDS))
    refuse_overwrite(path, output)
    read = FileRead(str(path))
    for _ in iter_record_chunks(path, read):
        pass  # validates the file and records every unreadable line as a finding
    drop = unreadable_lines(read.findings)
    summary = RedactSummary(input=str(path), output=str(output), unreadable=len(drop))
    numbers, lines = _lines(path, drop, summary)
    summary.lines_read = read.lines or len(lines)
    redacted = redact_lines(lines, options, numbers, summary)
    data = b"".join(line.encode("utf-8") for line in redacted)
    if output.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    write_atomic(output, data)
    summary.lines_written = len(redacted)
    return summary


def _lines(path: Path, drop: set[int], summary: RedactSummary) -> tuple[list[int], list[str]]:
    """The kept lines (each ending in a newline) and their input line numbers."""
    if is_json_array(path):
        data, _ = kept_bytes(path, drop)
        # One element per "\n": str.splitlines would also break at the U+2028, U+0085 …
        # that json.dumps(ensure_ascii=False) writes raw inside strings.
        elements = [element + "\n" for element in data.decode("utf-8").split("\n")[:-1]]
        summary.notes.append("a JSON array is written as JSON Lines (one element per line)")
        return list(range(1, len(elements) + 1)), elements
    numbers: list[int] = []
    lines: list[str] = []
    for number, raw in kept_lines(path, drop):
        numbers.append(number)
        lines.append(raw.decode("utf-8"))  # readable lines are UTF-8 (FT003 dropped others)
    if lines and lines[0].startswith(BOM.decode()):
        summary.notes.append("the byte order mark of line 1 is kept")
    return numbers, lines


def redact_lines(
    lines: list[str],
    options: DetectOptions,
    numbers: list[int] | None = None,
    summary: RedactSummary | None = None,
) -> list[str]:
    """`lines` with every span in their JSON string values replaced by its placeholder."""
    pattern = prefilter(options)
    if pattern is None or not lines:
        return list(lines)
    numbers = numbers if numbers is not None else list(range(1, len(lines) + 1))
    # Shortlist in polars: JSON's `\"`, `\\`, `\/`, `\n`, `\t` undone roughly so the
    # prefilters see the text as decoded; a `\uXXXX` line is always scanned.
    raw = pl.Series("line", lines, pl.String)
    rough = (
        raw.str.replace_all(r'\\(["\\/])', "$1")
        .str.replace_all(r"\\[nrt]", " ")
        .str.replace_all(r"\\[bf]", " ")
    )
    chosen = (rough.str.contains(pattern) | raw.str.contains(UNICODE_ESCAPE)).arg_true().to_list()
    # Every string value of the shortlisted lines, scanned in one vectorized pass.
    owners: list[tuple[int, int, int]] = []  # (line index, literal start, literal end)
    values: list[str] = []
    for index in chosen:
        line = lines[index]
        for match in STRING_LITERAL.finditer(line):
            if _is_key(line, match.end()):
                continue
            owners.append((index, match.start(), match.end()))
            values.append(_decode(match.group()))
    spans = find_spans(pl.Series("text", values, pl.String), options)
    out = list(lines)
    edits: dict[int, list[tuple[int, int, str]]] = {}
    escaped: set[int] = set()
    for (value_index,), group in spans.group_by("index"):
        line_index, lit_start, lit_end = owners[int(value_index)]
        inner = lines[line_index][lit_start + 1 : lit_end - 1]
        offsets = _raw_offsets(inner)
        for kind, start, end in group.select("kind", "start", "end").iter_rows():
            raw_start, raw_end = lit_start + 1 + offsets[start], lit_start + 1 + offsets[end]
            if raw_end - raw_start != end - start:
                escaped.add(line_index)
            edits.setdefault(line_index, []).append((raw_start, raw_end, kind))
    for line_index, changes in sorted(edits.items()):
        line = lines[line_index]
        for raw_start, raw_end, kind in sorted(changes, reverse=True):
            line = line[:raw_start] + placeholder(kind) + line[raw_end:]
        out[line_index] = line
        if summary is not None:
            summary.counts.update(kind for _, _, kind in changes)
            summary.changed_lines.append(numbers[line_index])
            if line_index in escaped:
                summary.escaped_lines.append(numbers[line_index])
    return out


def _is_key(line: str, end: int) -> bool:
    """Whether the literal ending at `end` is an object key (the next token is `:`)."""
    rest = line[end : end + 64].lstrip(" \t\r\n")
    return rest.startswith(":")


def _decode(literal: str) -> str:
    value = json.loads(literal)
    assert isinstance(value, str)
    return value


def _raw_offsets(inner: str) -> list[int]:
    """For each character of the decoded string, where it starts in the raw `inner` text,
    plus the end: decoded span [s, e) is raw [offsets[s], offsets[e])."""
    offsets: list[int] = []
    i, n = 0, len(inner)
    while i < n:
        offsets.append(i)
        if inner[i] != "\\":
            i += 1
        elif inner[i + 1] != "u":
            i += 2
        else:
            code = int(inner[i + 2 : i + 6], 16)
            # A surrogate pair (`\ud83d\ude00`) decodes to one character.
            pair = 0xD800 <= code < 0xDC00 and inner[i + 6 : i + 8] == "\\u"
            low = int(inner[i + 8 : i + 12], 16) if pair else 0
            i += 12 if pair and 0xDC00 <= low < 0xE000 else 6
    offsets.append(n)
    return offsets


def format_summary(summary: RedactSummary) -> str:
    """What redact did, for the CLI: counts per type, then the first changed lines."""
    total = sum(summary.counts.values())
    lines = [f"read {summary.lines_read:,} line(s) from {summary.input}"]
    lines.append(
        f"replaced {total:,} value(s) in {len(summary.changed_lines):,} line(s)"
        if total
        else "found no personal data or secrets: the copy is unchanged"
    )
    for kind, n in sorted(summary.counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {placeholder(kind):<16} {n:,}")
    if summary.unreadable:
        lines.append(f"left out {summary.unreadable:,} unreadable or blank line(s)")
    if summary.escaped_lines:
        shown = ", ".join(str(n) for n in summary.escaped_lines[:SHOWN_LINES])
        lines.append(f"values written with JSON escapes were replaced on line(s) {shown}")
    lines.append(f"wrote {summary.lines_written:,} line(s) to {summary.output}")
    lines += [f"note: {note}" for note in summary.notes]
    if summary.changed_lines:
        shown = ", ".join(str(n) for n in summary.changed_lines[:SHOWN_LINES])
        more = len(summary.changed_lines) - SHOWN_LINES
        lines.append(f"changed line(s): {shown}" + (f" … and {more:,} more" if more > 0 else ""))
    return "\n".join(lines)
