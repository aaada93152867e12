"""JSON Lines to canonical rows: normalize_chunk of the parsed lines, with the plain chat
lines told apart on their bytes where the compiled kernel is built.

A plain OpenAI chat line (auditor.formats.columnar.plain_chat) is normalized by polars
from its JSON text. Deciding that it is plain took a parse (orjson), a Python check of
every message and writing the record back out as JSON: ~0.7 s per 100k chat rows. The
kernel (auditor/_plain_json.c) decides it on the line's bytes instead, and such a line
goes to polars as it was read. It says "plain" only where the parsed record is plain
chat and orjson and polars read the line alike; every other line is parsed and
normalized as before, so rows and findings are exactly what normalize_chunk gives
(tests/test_plain_json.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import polars as pl

from auditor.batch_engine import on_threads
from auditor.formats import KeyMapping, NormalizedChunk, normalize_chunk
from auditor.formats.columnar import PLAIN_FORMAT, plain_chat_frame
from auditor.io import FileRead, parse_lines

Lines = list[tuple[int, bytes]]


def normalize_lines(
    lines: Lines,
    read: FileRead,
    file: str,
    keys: KeyMapping | None,
    eval_shapes: bool,
    others: Callable[[Lines], NormalizedChunk] | None = None,
) -> NormalizedChunk:
    """normalize_chunk(parse_lines(lines)): the same rows, in line order, and findings.

    `others` makes the rows of the lines that are not plain chat (auditor.row_cache looks
    them up first); by default they are parsed and normalized.
    """

    def parsed(rest: Lines) -> NormalizedChunk:
        return normalize_chunk(parse_lines(rest, read), file, keys, eval_shapes=eval_shapes)

    rest_rows = others or parsed
    plain = plain_chat_lines(lines) if keys is None else None
    if plain is None or not plain.any():
        return rest_rows(lines)
    flags = plain.tolist()
    taken = [pair for pair, flag in zip(lines, flags, strict=True) if flag]
    rest = [pair for pair, flag in zip(lines, flags, strict=True) if not flag]
    frame = plain_rows(file, taken, read)
    if not rest:
        return NormalizedChunk(frame, [])
    made = rest_rows(rest)
    return NormalizedChunk(in_line_order(made.rows, frame), made.findings)


def plain_rows(file: str, taken: Lines, read: FileRead) -> pl.DataFrame:
    """The canonical rows of plain chat lines (counted as records of `read`), a part per
    core: decoding and rendering are polars work that releases the GIL."""
    read.records += len(taken)
    size = max(MIN_PART, -(-len(taken) // (os.cpu_count() or 1)))
    parts = on_threads(
        lambda at: _plain_part(file, taken[at : at + size]), range(0, len(taken), size)
    )
    return pl.concat(parts) if len(parts) > 1 else parts[0]


#: Lines below which a part is not worth a thread of its own.
MIN_PART = 2048


def _plain_part(file: str, taken: Lines) -> pl.DataFrame:
    # polars checks the bytes are UTF-8 (the kernel already did) and decodes the JSON.
    texts = pl.Series([raw for _, raw in taken], dtype=pl.Binary).cast(pl.String)
    return plain_chat_frame(file, [line for line, _ in taken], texts, [PLAIN_FORMAT] * len(taken))


def in_line_order(*frames: pl.DataFrame) -> pl.DataFrame:
    """Canonical rows of one chunk's lines, made apart, back in the order of the lines."""
    parts = [frame for frame in frames if frame.height]
    return pl.concat(parts).sort("line") if parts else frames[0]


def plain_chat_lines(lines: Lines) -> npt.NDArray[np.bool_] | None:
    """Whether each line is a plain chat record, or None where the kernel is not built."""
    from auditor.native import plain_chat_kernel

    kernel = plain_chat_kernel()
    if kernel is None or not lines:
        return None
    raws = [raw for _, raw in lines]
    offsets = np.zeros(len(raws) + 1, dtype=np.int64)
    np.cumsum([len(raw) for raw in raws], out=offsets[1:])
    return kernel(b"".join(raws), offsets)
