"""What every remedy that writes a dataset shares (`dedup`, `split`, `decontaminate`).

Kept lines are copied byte for byte from the input (a `.json` array becomes JSON Lines,
one compact element per line), the output is written atomically, gzip-compressed when
its name ends in `.gz`, and the input is never the output.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from auditor.atomic import write_atomic
from auditor.config import ConfigError
from auditor.findings import Finding, Severity
from auditor.io import GZIP_MAGIC, _is_json_array


def refuse_overwrite(path: Path, output: Path) -> None:
    """ConfigError when `output` is the input or its folder is missing."""
    if output.resolve() == path.resolve() or (output.exists() and os.path.samefile(output, path)):
        raise ConfigError(f"{output}: refusing to overwrite the input; choose another output")
    if not output.parent.is_dir():
        raise ConfigError(f"{output}: its folder does not exist")


def is_json_array(path: Path) -> bool:
    """Whether `path` holds one top-level JSON array (plain or gzip-compressed)."""
    with path.open("rb") as handle:
        compressed = handle.read(2) == GZIP_MAGIC
    with gzip.open(path, "rb") if compressed else path.open("rb") as handle:
        return _is_json_array(handle.read(8192), path)


def require_one_record_per_line(path: Path, lines: Iterable[int]) -> None:
    """ConfigError when records share a line (a `.json` array written on one line): the
    remedies name rows by their line, and would copy or drop the wrong ones."""
    seen: set[int] = set()
    for line in lines:
        if line in seen:
            raise ConfigError(
                f"{path}:{line}: several records start on this line (a JSON array on one "
                "line?); write one record per line (JSON Lines) first"
            )
        seen.add(line)


def unreadable_lines(findings: Iterable[Finding]) -> set[int]:
    """Lines that hold no record: FT0xx errors and blank lines (left out of every output)."""
    return {
        f.line
        for f in findings
        if f.line is not None
        and f.code.startswith("FT0")
        and (f.severity is Severity.ERROR or f.code == "FT007")
    }


def write_lines(path: Path, output: Path, drop: set[int], keep: set[int] | None = None) -> int:
    """Write the input's lines not in `drop` (and, given `keep`, only those) to `output`
    atomically; return how many were written."""
    data, written = kept_bytes(path, drop, keep)
    if output.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    write_atomic(output, data)
    return written


def kept_bytes(path: Path, drop: set[int], keep: set[int] | None = None) -> tuple[bytes, int]:
    """The input's lines (1-based) not in `drop` (and in `keep`, when given), byte for byte,
    each ending in a newline."""
    with path.open("rb") as handle:
        compressed = handle.read(2) == GZIP_MAGIC
    if is_json_array(path):
        return _kept_array_elements(path, compressed, drop, keep)
    parts = [raw for _, raw in kept_lines(path, drop, keep)]
    return b"".join(parts), len(parts)


def kept_lines(
    path: Path, drop: set[int], keep: set[int] | None = None
) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes ending in a newline) of a JSON Lines file's lines not in `drop`
    (and in `keep`, when given), plain or gzip-compressed."""
    with path.open("rb") as handle:
        compressed = handle.read(2) == GZIP_MAGIC
    with gzip.open(path, "rb") if compressed else path.open("rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            if lineno in drop or (keep is not None and lineno not in keep):
                continue
            yield lineno, raw if raw.endswith(b"\n") else raw + b"\n"


def _kept_array_elements(
    path: Path, compressed: bool, drop: set[int], keep: set[int] | None
) -> tuple[bytes, int]:
    """A `.json` array's kept elements as JSON Lines (an element is named by its first line)."""
    with gzip.open(path, "rb") if compressed else path.open("rb") as handle:
        text = handle.read().decode("utf-8-sig")
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    line = text.count("\n", 0, pos) + 1
    parts: list[bytes] = []
    while True:
        pos, line = _skip(text, pos, line, " \t\r\n")
        if pos >= len(text) or text[pos] == "]":
            break
        value, end = decoder.raw_decode(text, pos)
        wanted = line not in drop and (keep is None or line in keep)
        if isinstance(value, dict) and wanted:
            parts.append(json.dumps(value, ensure_ascii=False).encode("utf-8") + b"\n")
        line += text.count("\n", pos, end)
        pos, line = _skip(text, end, line, " \t\r\n,")
    return b"".join(parts), len(parts)


def _skip(text: str, pos: int, line: int, chars: str) -> tuple[int, int]:
    while pos < len(text) and text[pos] in chars:
        line += text[pos] == "\n"
        pos += 1
    return pos, line
