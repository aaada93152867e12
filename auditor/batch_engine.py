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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

T = TypeVar("T")
P = TypeVar("P")
A = TypeVar("A", bound=np.generic)

#: Texts per batch when a stage does not choose: big enough that per-batch overhead
#: (a Ray task, a polars call) is small, small enough to bound a worker's memory.
DEFAULT_BATCH = 8192


class BatchEngine(Protocol):
    """Runs a function over batches and returns the results in batch order."""

    #: "local" or "ray": reported, and lets a stage keep a local fast path.
    name: str

    def map_texts(
        self,
        fn: Callable[[pl.Series], T],
        texts: pl.Series,
        rows: npt.NDArray[np.int64] | None = None,
        batch: int = DEFAULT_BATCH,
    ) -> list[tuple[int, T]]:
        """(start, `fn` of the batch) for each batch of `texts` (or of `texts.gather(rows)`,
        batch by batch) in order; `start` is the batch's first position. An engine may cut
        smaller batches than `batch`, never larger."""
        ...

    def map_items(self, fn: Callable[[P], T], items: Sequence[P]) -> list[T]:
        """`fn` of each item (a file to read, say), in order; exceptions are re-raised."""
        ...


def text_batches(
    texts: pl.Series, rows: npt.NDArray[np.int64] | None, batch: int
) -> Iterator[tuple[int, pl.Series]]:
    """(start, batch): a slice, or a gather of the next `batch` rows, so a whole gathered
    copy of the column never exists at once."""
    count = len(texts) if rows is None else len(rows)
    for start in range(0, count, max(1, batch)):
        if rows is None:
            yield start, texts.slice(start, batch)
        else:
            yield start, texts.gather(rows[start : start + batch])


class LocalEngine:
    """Every batch in this process, on a thread per core.

    The batch functions are numpy and polars work that releases the GIL, so two threads
    on two cores run them ~1.8x faster (FT507's n-gram matching on 100k texts: 1.2 s
    against 2.3 s); stages that thread inside or hold the GIL (token counts, the Python
    validators of the personal-data scan) call their function directly instead.
    """

    name = "local"

    def map_texts(
        self,
        fn: Callable[[pl.Series], T],
        texts: pl.Series,
        rows: npt.NDArray[np.int64] | None = None,
        batch: int = DEFAULT_BATCH,
    ) -> list[tuple[int, T]]:
        batches = list(text_batches(texts, rows, batch))
        done = on_threads(fn, [chunk for _, chunk in batches])
        return [(start, result) for (start, _), result in zip(batches, done, strict=True)]

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


def joined(parts: list[tuple[int, npt.NDArray[A]]], empty: npt.NDArray[A]) -> npt.NDArray[A]:
    """Per-batch arrays (map_texts' results) joined along the first axis; `empty` (its
    dtype and trailing shape) when there were none."""
    return np.concatenate([part for _, part in parts]) if parts else empty
