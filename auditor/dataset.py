"""Dataset: one canonical polars frame per split (train / eval), plus what loading found."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from auditor.batch_engine import LOCAL, BatchEngine
from auditor.findings import Finding
from auditor.formats import KeyMapping, NormalizedChunk, empty_frame, normalize_chunk
from auditor.io import FileRead, InputError, LineChunk, iter_chunks
from auditor.plain_lines import normalize_lines

if TYPE_CHECKING:
    from auditor.artifact_cache import ArtifactCache
    from auditor.row_cache import RowCache


@dataclass(frozen=True)
class DatasetFile:
    path: str
    split: str
    sha256: str
    format: str
    rows: int
    lines: int


@dataclass
class Dataset:
    train: pl.DataFrame
    eval: pl.DataFrame | None = None
    files: list[DatasetFile] = field(default_factory=list)
    #: FT0xx (reading) and FT101/FT103/FT104 (normalizing) findings, in file order.
    load_findings: list[Finding] = field(default_factory=list)

    def split(self, name: str) -> pl.DataFrame | None:
        return self.train if name == "train" else self.eval


Progress = Callable[[str, int], None]


def load_dataset(
    train: Sequence[Path],
    eval_paths: Sequence[Path] = (),
    *,
    keys: KeyMapping | None = None,
    max_line_bytes: int = 8 * 1024 * 1024,
    progress: Progress | None = None,
    cache: ArtifactCache | None = None,
    engine: BatchEngine = LOCAL,
) -> Dataset:
    """Read and normalize every file; bad lines become findings, never exceptions.

    With a `cache`, JSON Lines rows read before (the same bytes) come from it instead of
    being parsed and normalized again (auditor.row_cache).

    Eval files may also hold answerless benchmark prompts (formats.PROMPT_ONLY_FORMATS).
    Raises auditor.io.InputError for a file that cannot be audited at all, and for an
    eval file none of whose records is in a format ftaudit reads.
    """
    with paused_gc():
        return _load(train, eval_paths, keys, max_line_bytes, progress, cache, engine)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees memory).

    Loading and auditing allocate millions of small, long-lived objects and make no
    reference cycles worth collecting; the collector would walk the growing heap again
    and again (measured: ~1 s of 4 s when loading 100k rows).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _load(
    train: Sequence[Path],
    eval_paths: Sequence[Path],
    keys: KeyMapping | None,
    max_line_bytes: int,
    progress: Progress | None,
    cache: ArtifactCache | None = None,
    engine: BatchEngine = LOCAL,
) -> Dataset:
    wanted = [("train", path) for path in train] + [("eval", path) for path in eval_paths]
    if engine.in_process:
        loads = [_load_file(w, keys, max_line_bytes, progress, cache) for w in wanted]
    else:
        # Shards in parallel on the cluster; no progress lines or row cache from there.
        read = partial(_load_file, keys=keys, max_line_bytes=max_line_bytes)
        loads = engine.map_items(read, wanted)
    findings = [finding for load in loads for finding in load.findings]
    findings.sort(key=lambda f: (f.file or "", f.line or 0))
    frames = {
        split: [load.frame for load in loads if load.file.split == split]
        for split in ("train", "eval")
    }
    return Dataset(
        train=_concat(frames["train"]),
        eval=_concat(frames["eval"]) if eval_paths else None,
        files=[load.file for load in loads],
        load_findings=findings,
    )


@dataclass
class FileLoad:
    """One file read and normalized: its rows, its findings, what the report says of it."""

    frame: pl.DataFrame
    findings: list[Finding]
    file: DatasetFile


def _load_file(
    wanted: tuple[str, Path],
    keys: KeyMapping | None,
    max_line_bytes: int,
    progress: Progress | None = None,
    cache: ArtifactCache | None = None,
) -> FileLoad:
    split, path = wanted
    with paused_gc():  # also in a Ray worker
        read = FileRead(str(path))
        parts: list[pl.DataFrame] = []
        normalizing: list[Finding] = []
        rows = _row_cache(cache, str(path), keys, split == "eval")
        for chunk in iter_chunks(path, read, max_line_bytes=max_line_bytes):
            normalized = _normalize(chunk, read, str(path), keys, split == "eval", rows)
            parts.append(normalized.rows)
            normalizing.extend(normalized.findings)
            if progress is not None:
                progress(
                    str(path), len(chunk.lines) if isinstance(chunk, LineChunk) else len(chunk)
                )
        if rows is not None:
            rows.save()
    frame = pl.concat(parts) if parts else empty_frame()
    if split == "eval" and frame.is_empty():
        raise unreadable_eval_file(path, read.records, normalizing)
    file = DatasetFile(
        path=str(path),
        split=split,
        sha256=read.sha256,
        format=majority_format(frame),
        rows=frame.height,
        lines=read.lines,
    )
    return FileLoad(frame, [*normalizing, *read.findings], file)


def _row_cache(
    cache: ArtifactCache | None, file: str, keys: KeyMapping | None, eval_shapes: bool
) -> RowCache | None:
    if cache is None:
        return None
    from auditor.row_cache import RowCache

    return RowCache(cache, file, keys, eval_shapes)


def _normalize(
    chunk: list[tuple[int, dict[str, object]]] | LineChunk,
    read: FileRead,
    file: str,
    keys: KeyMapping | None,
    eval_shapes: bool,
    rows: RowCache | None,
) -> NormalizedChunk:
    if not isinstance(chunk, LineChunk):
        return normalize_chunk(chunk, file, keys, eval_shapes=eval_shapes)
    if rows is None:
        return normalize_lines(chunk.lines, read, file, keys, eval_shapes)
    return rows.normalize(chunk.lines, read)


def unreadable_eval_file(path: Path, records: int, findings: list[Finding]) -> InputError:
    """An eval file with records but no readable row: every check against it would pass
    on nothing, so it stops the audit (a training file's rows are FT101 findings)."""
    first = next((f for f in findings if f.code == "FT101"), None)
    where = f"; line {first.line}: {first.message}" if first is not None else ""
    return InputError(
        f"{path}: none of its {records:,} records is in a format ftaudit reads{where}; "
        "name its fields with --prompt-key/--response-key, or see the README's formats"
    )


def majority_format(frame: pl.DataFrame) -> str:
    if frame.is_empty():
        return "unknown"
    counts = Counter(frame["format"].to_list())
    return counts.most_common(1)[0][0]


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(frames, rechunk=True) if frames else empty_frame()
