"""Normalized rows from the artifact cache, by the bytes of their JSON Lines line.

A line read before, byte for byte, normalizes to the same row: its parse and its
normalization (a Python call per row, most of the loading time) are skipped, and the row
comes back from the cache through polars' JSON reader, in Rust. Only rows that produced no
finding at all are stored, so every finding still comes from parsing and normalizing the
line; a cached row differs from a fresh one in nothing (tests/test_artifact_cache.py
compares whole frames). Lines are told apart by a 64-bit BLAKE2b hash: a collision among
a million lines has probability ~3e-8.

Plain chat lines, which the compiled kernel tells apart (auditor.plain_lines), are not
stored: polars makes their rows from the line as fast as the cache would give them back.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import polars as pl

from auditor.artifact_cache import ArtifactCache, namespace_name
from auditor.formats import CANONICAL_SCHEMA, KeyMapping, NormalizedChunk, normalize_chunk
from auditor.io import FileRead, parse_lines
from auditor.plain_lines import in_line_order, normalize_lines

#: The stored part of a row: everything but where it was (file, line).
STORED_SCHEMA = {
    name: dtype for name, dtype in CANONICAL_SCHEMA.items() if name not in ("file", "line")
}


def line_key(raw: bytes) -> int:
    """A signed 64-bit key of a line's bytes (its line ending is not content)."""
    digest = hashlib.blake2b(raw.rstrip(b"\r\n"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def rows_namespace(keys: KeyMapping | None, eval_shapes: bool) -> str:
    mapping = f"{keys.prompt}:{keys.response}" if keys is not None else "-"
    return namespace_name(
        "rows/3", polars=pl.__version__, keys=mapping, eval_shapes=int(eval_shapes)
    )


class RowCache:
    """The rows of one file through the artifact cache: find each chunk's lines in the
    file's stored rows, normalize the rest, and save the new clean rows at the end."""

    def __init__(
        self, cache: ArtifactCache, file: str, keys: KeyMapping | None, eval_shapes: bool
    ) -> None:
        self.cache = cache
        self.file = file
        self.keys = keys
        self.eval_shapes = eval_shapes
        name = rows_namespace(keys, eval_shapes)
        self.kept = cache.scope(name, str(Path(file).resolve()), pl.Schema(STORED_SCHEMA))

    def normalize(self, lines: list[tuple[int, bytes]], read: FileRead) -> NormalizedChunk:
        """normalize_lines over raw lines, the rows read before taken from the cache.

        Plain chat lines are not looked up: the compiled kernel and polars make their
        rows about as fast as the cache gives them back (20k chat rows: 0.25 s against
        0.24 s), and storing them cost the first run 0.5 s and the cache 34 MB.
        """
        return normalize_lines(
            lines,
            read,
            self.file,
            self.keys,
            self.eval_shapes,
            lambda rest: self._looked_up(rest, read),
        )

    def _looked_up(self, lines: list[tuple[int, bytes]], read: FileRead) -> NormalizedChunk:
        """The rows of `lines` (none of them plain chat the kernel took): the stored ones
        from the cache, the others parsed and normalized, and kept when clean."""
        keys = np.array([line_key(raw) for _, raw in lines], dtype=np.int64)
        found, hit = self.kept.find(keys)
        misses = [pair for pair, known in zip(lines, found.tolist(), strict=True) if not known]
        fresh = normalize_chunk(
            parse_lines(misses, read), self.file, self.keys, eval_shapes=self.eval_shapes
        )
        read.records += hit.height
        self.cache.count("rows", reused=hit.height, computed=len(misses))
        self._keep_clean(fresh, dict(zip((line for line, _ in lines), keys.tolist(), strict=True)))
        if not hit.height:
            return fresh
        at_lines = [line for (line, _), known in zip(lines, found.tolist(), strict=True) if known]
        reused = hit.with_columns(
            pl.lit(self.file, pl.String).alias("file"),
            pl.Series("line", at_lines, dtype=pl.Int64),
        ).select(list(CANONICAL_SCHEMA))
        return NormalizedChunk(in_line_order(fresh.rows, reused), fresh.findings)

    def _keep_clean(self, fresh: NormalizedChunk, key_of_line: dict[int, int]) -> None:
        """Keep the fresh rows no finding points at: only those may skip normalizing."""
        flagged = [f.line for f in fresh.findings if f.line is not None]
        clean = fresh.rows.filter(~pl.col("line").is_in(flagged)) if flagged else fresh.rows
        if clean.height:
            keys = [key_of_line[line] for line in clean["line"].to_list()]
            self.kept.add(clean.with_columns(pl.Series("key", keys, dtype=pl.Int64)))

    def save(self) -> None:
        self.kept.save()
