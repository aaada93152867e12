"""Read training files into records, turning every unreadable line into an FT0xx finding.

A file that cannot be audited at all (missing, a directory, empty, binary, a broken
top-level JSON array, a truncated or corrupt gzip stream) raises InputError: the CLI
prints one line and exits 2.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, cast

import orjson

from auditor.findings import Finding, Severity

BOM = b"\xef\xbb\xbf"
NUL = b"\x00"
GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024
CHUNK_ROWS = 10_000
_SNIFF_BYTES = 8192


#: What a broken gzip stream raises: EOFError when it ends early (which click would take
#: for Ctrl-D and report as "aborted"), BadGzipFile for a bad member or CRC, zlib.error
#: for corrupt deflate data.
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


class InputError(Exception):
    """A file that cannot be audited at all (exit code 2)."""


class GzipGuard:
    """Turn a broken gzip stream into one InputError naming the file.

    A reader keeps `complete_lines` up to date so that the error can say how far the
    file could be read; None where lines are not counted (a JSON array file).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.complete_lines: int | None = None

    def __enter__(self) -> GzipGuard:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, GZIP_ERRORS):
            raise gzip_error(self.path, exc, self.complete_lines) from None


def gzip_error(path: Path, exc: BaseException, complete_lines: int | None) -> InputError:
    if isinstance(exc, EOFError):
        problem = "truncated gzip stream (the file ends before its compressed data does)"
    else:
        problem = f"corrupt gzip stream ({exc})"
    if complete_lines is None:
        progress = ""
    elif complete_lines == 0:
        progress = "; not one complete line could be read"
    else:
        progress = f"; the last complete line read is line {complete_lines:,}"
    return InputError(
        f"{path}: {problem}{progress}; copy or download the file again (`gzip -t` tests a file)"
    )


@dataclass
class FileRead:
    """What reading one file produced besides its records."""

    path: str
    sha256: str = ""
    lines: int = 0
    records: int = 0
    findings: list[Finding] = field(default_factory=list)

    def add(
        self, code: str, severity: Severity, line: int, message: str, hint: str, excerpt: str = ""
    ) -> None:
        self.findings.append(
            Finding(
                code=code,
                severity=severity,
                message=message,
                file=self.path,
                line=line,
                excerpt=excerpt or None,
                hint=hint,
            )
        )


Record = tuple[int, dict[str, Any]]


@dataclass
class LineChunk:
    """JSON Lines read but not parsed yet: (1-based line, bytes) pairs, a line's length and
    byte-order mark already checked. The caller parses them (parse_lines), or takes rows
    it already knows by their bytes from a cache (auditor.row_cache)."""

    lines: list[tuple[int, bytes]]


def iter_record_chunks(
    path: Path,
    read: FileRead,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[list[Record]]:
    """Yield lists of (1-based line, object) from a .jsonl, .jsonl.gz or .json file.

    Bad lines become findings on `read`; the rest of the file is still read. Chunks keep
    memory bounded: callers normalize a chunk and drop the raw objects before the next.
    """
    for chunk in iter_chunks(path, read, max_line_bytes, chunk_rows):
        yield parse_lines(chunk.lines, read) if isinstance(chunk, LineChunk) else chunk


def iter_chunks(
    path: Path,
    read: FileRead,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[list[Record] | LineChunk]:
    """Like iter_record_chunks, but a JSON Lines file comes as unparsed LineChunks.

    The caller adds each record it takes without parse_lines to `read.records` before
    asking for the next chunk: a file with no record at all is an InputError.
    """
    head = _sniff(path)
    compressed = head.startswith(GZIP_MAGIC)
    if compressed:
        read.sha256 = _sha256_of(path)
        head = _gunzip_head(path)
    if not head.strip(BOM + b" \t\r\n"):
        raise InputError(f"{path}: file is empty")
    if _looks_binary(head):
        raise InputError(f"{path}: binary file, not JSON Lines (is it the right path?)")
    if _is_json_array(head, path):
        yield from _json_array_chunks(path, read, compressed, chunk_rows)
    else:
        yield from _jsonl_chunks(path, read, compressed, max_line_bytes, chunk_rows)
    if read.records == 0:
        problems = [f for f in read.findings if f.severity is Severity.ERROR]
        if not problems:
            raise InputError(f"{path}: holds no records")
        first = problems[0]
        raise InputError(
            f"{path}: none of its {read.lines:,} lines holds a JSON object "
            f"(line {first.line}: {first.message})"
        )


def parse_lines(lines: list[tuple[int, bytes]], read: FileRead) -> list[Record]:
    """The records of raw lines; a line that is not one JSON object becomes a finding."""
    records = []
    for lineno, raw in lines:
        record = _parse_line(raw, lineno, read)
        if record is not None:
            records.append((lineno, record))
    read.records += len(records)
    return records


def _is_json_array(head: bytes, path: Path) -> bool:
    """A top-level array: a .json file starting with `[`, or any file whose first line
    opens an array it does not close (a pretty-printed array, whatever its name)."""
    text = head.lstrip(BOM + b" \t\r\n")
    if not text.startswith(b"["):
        return False
    if not path.name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        return True
    first = text.split(b"\n", 1)[0]
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        return True
    return False


def _sniff(path: Path) -> bytes:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; pass the .jsonl files inside it")
    try:
        with path.open("rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _gunzip_head(path: Path) -> bytes:
    """The first decompressed bytes of a gzip file.

    Read with zlib rather than gzip, which raises at a truncation and drops what it had:
    a truncated file still shows its head here, and the line reader then names the last
    complete line.
    """
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # 16+: a gzip header
    head = b""
    with path.open("rb") as handle, GzipGuard(path):
        while len(head) < _SNIFF_BYTES and not inflater.eof:
            block = handle.read(_SNIFF_BYTES)
            if not block:
                break
            head += inflater.decompress(block, _SNIFF_BYTES - len(head))
    if not head and not inflater.eof:
        raise gzip_error(path, EOFError(), 0)
    return head


def _looks_binary(head: bytes) -> bool:
    """Binary if many control bytes: a stray NUL in a text line is FT005, not this."""
    if not head:
        return False
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return control / len(head) > 0.1


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _open(path: Path, compressed: bool) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(path, "rb") if compressed else path.open("rb"))


def _jsonl_chunks(
    path: Path, read: FileRead, compressed: bool, max_line_bytes: int, chunk_rows: int
) -> Iterator[LineChunk]:
    digest = None if compressed else hashlib.sha256()
    chunk: list[tuple[int, bytes]] = []
    lineno = 0
    with _open(path, compressed) as handle, GzipGuard(path) as guard:
        while True:
            guard.complete_lines = lineno
            raw = handle.readline(max_line_bytes + 1)
            if not raw:
                break
            lineno += 1
            if digest is not None:
                digest.update(raw)
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                _skip_rest_of_line(handle, digest)
                read.add(
                    "FT006",
                    Severity.ERROR,
                    lineno,
                    f"line is longer than {max_line_bytes:,} bytes; skipped",
                    "split the example, or raise max-line-bytes if it is intended",
                )
                continue
            if lineno == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
                read.add(
                    "FT004",
                    Severity.WARNING,
                    1,
                    "file starts with a UTF-8 byte-order mark",
                    "save the file as UTF-8 without BOM; several trainers reject it",
                )
            chunk.append((lineno, raw))
            if len(chunk) >= chunk_rows:
                yield LineChunk(chunk)
                chunk = []
    read.lines = lineno
    if digest is not None:
        read.sha256 = digest.hexdigest()
    if chunk:
        yield LineChunk(chunk)


def _skip_rest_of_line(handle: IO[bytes], digest: Any) -> None:
    while True:
        piece = handle.readline(1 << 20)
        if digest is not None:
            digest.update(piece)
        if not piece or piece.endswith(b"\n"):
            return


def _parse_line(raw: bytes, lineno: int, read: FileRead) -> dict[str, Any] | None:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if not raw.strip():
            read.add(
                "FT007",
                Severity.WARNING,
                lineno,
                "blank line",
                "remove blank lines; some loaders stop or fail at them",
            )
            return None
        _diagnose_unparsable(raw, lineno, read, exc)
        return None
    if isinstance(value, dict):
        return value
    read.add(
        "FT002",
        Severity.ERROR,
        lineno,
        f"line is a JSON {_json_kind(value)}, not an object",
        'each line must be one JSON object such as {"messages": [...]}',
        _excerpt(raw),
    )
    return None


def _diagnose_unparsable(raw: bytes, lineno: int, read: FileRead, exc: Exception) -> None:
    if b"\x00" in raw:
        read.add(
            "FT005",
            Severity.ERROR,
            lineno,
            f"NUL byte at column {raw.index(NUL) + 1}",
            "strip NUL bytes; they usually come from a bad export or encoding",
        )
        return
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        read.add(
            "FT003",
            Severity.ERROR,
            lineno,
            f"invalid UTF-8 at byte {err.start + 1} (0x{raw[err.start]:02x})",
            "re-encode the file as UTF-8 (e.g. from latin-1 or cp1252)",
        )
        return
    read.add(
        "FT001",
        Severity.ERROR,
        lineno,
        f"invalid JSON: {_json_error(raw)}",
        _json_hint(raw),
        _excerpt(raw),
    )


def _json_error(raw: bytes) -> str:
    # The stdlib's message names the column and the problem more plainly than orjson's.
    try:
        json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as err:
        # Some stdlib messages end in "at" ("Invalid control character at").
        problem = err.msg.removesuffix(" at")
        return f"{problem} at column {err.colno}"
    except RecursionError:
        return "nesting too deep"
    return "not valid JSON"


def _json_hint(raw: bytes) -> str:
    text = raw.strip()
    if text.startswith(b"{'") or b"': '" in text:
        return "looks like a Python dict (single quotes): write records with json.dumps"
    if b"}{" in text or b"} {" in text:
        return "two records on one line? JSON Lines holds one object per line"
    if not text.endswith((b"}", b"]")):
        return "the line looks truncated; check the export or a wrapped line"
    return "fix the JSON syntax on this line (e.g. trailing comma, unescaped quote)"


def _json_kind(value: object) -> str:
    kinds = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def _excerpt(raw: bytes, width: int = 80) -> str:
    text = raw.decode("utf-8", errors="replace").strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def _json_array_chunks(
    path: Path, read: FileRead, compressed: bool, chunk_rows: int
) -> Iterator[list[Record]]:
    """A .json file holding one top-level array; element line numbers are real lines."""
    with _open(path, compressed) as handle, GzipGuard(path):
        data = handle.read()
    if not compressed:
        read.sha256 = hashlib.sha256(data).hexdigest()
    if data.startswith(BOM):
        data = data[len(BOM) :]
        read.add(
            "FT004",
            Severity.WARNING,
            1,
            "file starts with a UTF-8 byte-order mark",
            "save the file as UTF-8 without BOM; several trainers reject it",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(f"{path}:{line}: invalid UTF-8 in a JSON array file") from None
    del data
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    line = text.count("\n", 0, pos) + 1
    read.lines = text.count("\n") + 1
    chunk: list[Record] = []
    while True:
        pos, line = _skip_space(text, pos, line)
        if pos < len(text) and text[pos] == "]":
            break
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise InputError(
                f"{path}:{err.lineno}:{err.colno}: invalid JSON in array file: {err.msg}"
            ) from None
        if isinstance(value, dict):
            chunk.append((line, value))
        else:
            read.add(
                "FT002",
                Severity.ERROR,
                line,
                f"array element is a JSON {_json_kind(value)}, not an object",
                'each element must be one JSON object such as {"messages": [...]}',
            )
        line += text.count("\n", pos, end)
        pos, line = _skip_space(text, end, line)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] == "]":
            break
        else:
            raise InputError(f"{path}:{line}: expected ',' or ']' in JSON array")
        if len(chunk) >= chunk_rows:
            read.records += len(chunk)
            yield chunk
            chunk = []
    read.records += len(chunk)
    if chunk:
        yield chunk


def _skip_space(text: str, pos: int, line: int) -> tuple[int, int]:
    n = len(text)
    while pos < n and text[pos] in " \t\r\n":
        if text[pos] == "\n":
            line += 1
        pos += 1
    return pos, line
