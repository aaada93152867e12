"""Where batch functions run: in this process (the local engine) or on Ray (`--engine ray`).

The hot stages of an audit are row-independent functions over batches of texts:
MinHash signatures, token counts, n-gram hashes, personal-data and secret scans,
embeddings. Each stage hands such a function and its texts to an engine, gets one
result per batch back in order, and reduces them itself (bands, clusters, counts)
the same way whichever engine ran the batches. Results are therefore identical by
construction; only where the batches ran differs.

Batch functions must be picklable (module-level functions, `functools.partial` of
them, objects whose state pickles) so that Ray can ship them to its workers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

T = TypeVar("T")
P = TypeVar("P")
A = TypeVar("A", bound=np.generic)


class BatchEngine(Protocol):
    """Runs a function over batches and returns the results in batch order."""

    #: "local" or "ray".
    name: str
    #: Batches run in this process: a stage may then take an in-place fast path, and
    #: pass state that does not pickle (a progress callback, the artifact cache).
    in_process: bool

    def map_texts(
        self,
        fn: Callable[[pl.Series], T],
        texts: pl.Series,
        rows: npt.NDArray[np.int64] | None = None,
        *,
        batch: int,
    ) -> list[tuple[int, T]]:
        """(start, `fn` of the batch) for each batch of `texts` (or of `texts.gather(rows)`,
        batch by batch) in order; `start` is the batch's first position. An engine may cut
        smaller batches than `batch`, never larger."""
        ...

    def map_items(self, fn: Callable[[P], T], items: Sequence[P]) -> list[T]:
        """`fn` of each item (a file to read, say), in order; exceptions are re-raised."""
        ...


def batch_at(
    texts: pl.Series, rows: npt.NDArray[np.int64] | None, start: int, batch: int
) -> pl.Series:
    """The batch at `start`: a slice, or a gather of the next `batch` rows, so a whole
    gathered copy of the column never exists at once."""
    if rows is None:
        return texts.slice(start, batch)
    return texts.gather(rows[start : start + batch])


def batch_starts(texts: pl.Series, rows: npt.NDArray[np.int64] | None, batch: int) -> range:
    return range(0, len(texts) if rows is None else len(rows), max(1, batch))


def text_batches(
    texts: pl.Series, rows: npt.NDArray[np.int64] | None, batch: int
) -> Iterator[tuple[int, pl.Series]]:
    """(start, batch) of each batch, one at a time (batch_at)."""
    for start in batch_starts(texts, rows, batch):
        yield start, batch_at(texts, rows, start, batch)


class LocalEngine:
    """Every batch in this process, on a thread per core.

    The batch functions are numpy and polars work that releases the GIL, so two threads
    on two cores run them ~1.8x faster (FT507's n-gram matching on 100k texts: 1.2 s
    against 2.3 s); stages that thread inside or hold the GIL (token counts, the Python
    validators of the personal-data scan) call their function directly instead.
    """

    name = "local"
    in_process = True

    def map_texts(
        self,
        fn: Callable[[pl.Series], T],
        texts: pl.Series,
        rows: npt.NDArray[np.int64] | None = None,
        *,
        batch: int,
    ) -> list[tuple[int, T]]:
        starts = batch_starts(texts, rows, batch)
        # Each thread cuts its own batch: only the batches in flight exist at once.
        done = on_threads(lambda start: fn(batch_at(texts, rows, start, batch)), starts)
        return list(zip(starts, done, strict=True))

    def map_items(self, fn: Callable[[P], T], items: Sequence[P]) -> list[T]:
        return [fn(item) for item in items]


LOCAL = LocalEngine()


def on_threads(fn: Callable[[P], T], items: Sequence[P]) -> list[T]:
    """`fn` of each item, in order, on a thread per core (in this thread when one will do).
    Only worth it for work that releases the GIL: numpy, polars, Rust."""
    workers = min(os.cpu_count() or 1, len(items))
    if workers <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def joined_frames(
    parts: list[tuple[int, pl.DataFrame]], column: str, schema: Mapping[str, Any]
) -> pl.DataFrame:
    """Per-batch frames (map_texts' results) whose `column` numbers texts from 0 within
    their batch, renumbered within the whole and stacked; an empty `schema` frame when
    no batch found anything."""
    shifted = [part.with_columns(pl.col(column) + start) for start, part in parts if part.height]
    return pl.concat(shifted) if shifted else pl.DataFrame(schema=schema)


def joined(parts: list[tuple[int, npt.NDArray[A]]], empty: npt.NDArray[A]) -> npt.NDArray[A]:
    """Per-batch arrays (map_texts' results) joined along the first axis; `empty` (its
    dtype and trailing shape) when there were none."""
    return np.concatenate([part for _, part in parts]) if parts else empty
