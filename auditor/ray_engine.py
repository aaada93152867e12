"""The Ray engine (`--engine ray`): the same batch functions, mapped over Ray Data blocks.

Each batch of texts becomes one Arrow block tagged with its batch number; a Ray Data
`map_batches` call applies the stage's function to every block on the cluster's
workers, and the driver puts the per-batch results back in batch order. The reduction
that follows (LSH bands → candidate pairs → verified clusters, sums of counts) runs in
the driver exactly as with the local engine, so both give the same report.

Ray is an extra (`pip install "ftaudit[ray]"`): it is imported only here, and only when
`--engine ray` is asked for.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from auditor.batch_engine import LOCAL, BatchEngine, text_batches
from auditor.config import AuditConfig, ConfigError

T = TypeVar("T")
P = TypeVar("P")

INSTALL = 'pip install "ftaudit[ray]"'


class EngineUnavailable(ConfigError):
    """The engine asked for cannot run here (Ray is not installed, or not reachable):
    a usage error, reported in one line (exit 2)."""


@contextmanager
def open_engine(config: AuditConfig) -> Iterator[BatchEngine]:
    """The engine `config.engine` names, for the length of the block (a local Ray that
    ftaudit starts is stopped when it ends)."""
    if config.engine == "local":
        yield LOCAL
        return
    with ray_engine(config.ray_address) as engine:
        yield engine


class _ApplyToTexts:
    """Ray Data batch function: the stage's function of each tagged batch in a block."""

    def __init__(self, fn: Callable[[pl.Series], Any], name: str) -> None:
        self.fn = fn
        self.name = name

    def __call__(self, table: Any) -> dict[str, npt.NDArray[Any]]:
        # batch_size=None hands over one block, which is one batch; anything else would
        # make a partial result, so it fails loudly.
        ids = np.unique(table.column("_batch").to_numpy())
        if ids.size != 1:
            raise RuntimeError(f"Ray Data merged batches {ids.tolist()}; please report it")
        result = self.fn(pl.Series(self.name, table.column("text")))
        blob = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        return {"_batch": ids.astype(np.int64), "result": np.asarray([blob], dtype=object)}


def _guarded(fn: Callable[[Any], Any], item: Any) -> tuple[bool, Any]:
    """(True, fn(item)), or (False, the exception): the driver re-raises it as it was,
    not wrapped in Ray's task error with a worker traceback."""
    try:
        return True, fn(item)
    except Exception as exc:  # re-raised by the driver
        return False, exc


class RayEngine:
    """Maps batch functions over Ray Data blocks on a running Ray (see `ray_engine`)."""

    name = "ray"
    in_process = False

    def __init__(self, ray: Any) -> None:
        self._ray = ray
        self._remote_guarded = ray.remote(_guarded)

    def map_texts(
        self,
        fn: Callable[[pl.Series], T],
        texts: pl.Series,
        rows: npt.NDArray[np.int64] | None = None,
        *,
        batch: int,
    ) -> list[tuple[int, T]]:
        import pyarrow as pa

        starts: list[int] = []
        blocks = []
        for index, (start, chunk) in enumerate(text_batches(texts, rows, batch)):
            starts.append(start)
            tag = pa.array(np.full(len(chunk), index, dtype=np.int64))
            blocks.append(pa.table({"_batch": tag, "text": chunk.to_arrow()}))
        if not blocks:
            return []
        dataset = self._ray.data.from_arrow(blocks).map_batches(
            _ApplyToTexts(fn, texts.name),
            batch_size=None,
            batch_format="pyarrow",
            zero_copy_batch=True,
        )
        results: dict[int, T] = {}
        for row in dataset.iter_rows():
            index = int(row["_batch"])
            if index in results:  # a batch split across calls: its result would be partial
                raise RuntimeError(f"Ray Data split batch {index} of a stage; please report it")
            results[index] = pickle.loads(row["result"])
        if len(results) != len(blocks):
            raise RuntimeError(f"Ray Data returned {len(results)} of {len(blocks)} batches")
        return [(start, results[i]) for i, start in enumerate(starts)]

    def map_items(self, fn: Callable[[P], T], items: Sequence[P]) -> list[T]:
        done = self._ray.get([self._remote_guarded.remote(fn, item) for item in items])
        out: list[T] = []
        for ok, value in done:
            if not ok:
                raise value
            out.append(value)
        return out


@contextmanager
def ray_engine(address: str | None = None) -> Iterator[RayEngine]:
    """A RayEngine on the Ray at `address` ("auto", "ray://head:10001"), or, by default,
    on a local Ray that is started here and stopped when the block ends.

    Raises EngineUnavailable, with the install command, when Ray is not installed.
    """
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise EngineUnavailable(
            f"--engine ray needs Ray, which is not installed here: {INSTALL}"
        ) from exc
    started = not ray.is_initialized()
    if started:
        _quiet_ray()
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
            )
        except Exception as exc:  # a wrong address, a cluster that is down
            where = address or "a local Ray"
            raise EngineUnavailable(f"--engine ray: cannot start {where}: {exc}") from exc
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.execution_options.preserve_order = True
    try:
        yield RayEngine(ray)
    finally:
        if started:
            ray.shutdown()


def _quiet_ray() -> None:
    """Ray's own start-up and per-dataset log lines would land in ftaudit's output."""
    os.environ.setdefault("RAY_DATA_DISABLE_PROGRESS_BARS", "1")
    for name in ("ray", "ray.data", "ray._private", "ray.util"):
        logging.getLogger(name).setLevel(logging.ERROR)
