"""Any engine gives the local report: every batch stage reduced from tiny batches.

`ChoppedEngine` runs in this process but cuts every stage into batches of three texts and
reads files in reverse order, so each stage's per-batch offsets and its reduction are
exercised on every sample and fixture, the way a Ray cluster's blocks would exercise
them (tests/test_ray_engine.py runs Ray itself on one generated file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest

from auditor import api
from auditor.api import audit
from auditor.batch_engine import LOCAL, BatchEngine, LocalEngine
from auditor.config import AuditConfig, load_config
from tests.checkutil import REPORT_FILES, comparable
from tests.stub_embedder import StubEmbedder

T = TypeVar("T")
P = TypeVar("P")

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).parent.parent / "samples"


class ChoppedEngine(LocalEngine):
    """In-process, three texts a batch, items read last first."""

    name = "chopped"
    in_process = False  # so every stage takes the path a distributed engine takes

    def __init__(self) -> None:
        self.batches = 0
        #: Most batches seen per stage function.
        self.stages: dict[str, int] = {}

    def map_texts(
        self,
        fn: Callable[[pl.Series], T],
        texts: pl.Series,
        rows: npt.NDArray[np.int64] | None = None,
        *,
        batch: int,
    ) -> list[tuple[int, T]]:
        done = super().map_texts(fn, texts, rows, batch=min(batch, 3))
        self.batches += len(done)
        target = getattr(fn, "func", fn)
        name = getattr(target, "__name__", type(target).__name__)
        self.stages[name] = max(len(done), self.stages.get(name, 0))
        return done

    def map_items(self, fn: Callable[[P], T], items: Sequence[P]) -> list[T]:
        return list(reversed([fn(item) for item in reversed(items)]))


@pytest.fixture
def chopped(monkeypatch: pytest.MonkeyPatch) -> ChoppedEngine:
    engine = ChoppedEngine()

    @contextmanager
    def open_chopped(config: AuditConfig) -> Iterator[BatchEngine]:
        yield engine

    monkeypatch.setattr(api, "open_engine", open_chopped)
    return engine


def _config(path: Path, **extra: Any) -> AuditConfig:
    local = path.parent / "config.toml"  # FT507's private fingerprints
    return load_config(local if local.is_file() else None, {"cache": False, **extra})


def _local_report(path: Path, **kwargs: Any) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api, "open_engine", _local_engine)
        return comparable(audit([path], config=_config(path), **kwargs))


@contextmanager
def _local_engine(config: AuditConfig) -> Iterator[BatchEngine]:
    yield LOCAL


@pytest.mark.parametrize("path", REPORT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_tiny_batches_give_the_local_report(path: Path, chopped: ChoppedEngine) -> None:
    local = _local_report(path)
    assert comparable(audit([path], config=_config(path))) == local
    assert chopped.batches > 0


@pytest.mark.embed
@pytest.mark.parametrize("code", ["FT403", "FT505"])
def test_tiny_batches_give_the_local_embeddings(code: str, chopped: ChoppedEngine) -> None:
    path = FIXTURES / code / "bad.jsonl"
    local = _local_report(path, embedder=StubEmbedder())
    assert comparable(audit([path], config=_config(path), embedder=StubEmbedder())) == local
    assert chopped.batches > 0


def test_every_stage_cuts_several_batches(chopped: ChoppedEngine) -> None:
    """So the comparisons above really reduce several batches of every stage."""
    train = FIXTURES / "FT504" / "bad.jsonl"
    audit([train], [FIXTURES / "FT504" / "bad.eval.jsonl"], config=AuditConfig(cache=False))
    audit([FIXTURES / "FT602" / "bad.jsonl"], config=AuditConfig(cache=False))
    audit([FIXTURES / "FT507" / "bad.jsonl"], config=_config(FIXTURES / "FT507" / "bad.jsonl"))
    stages = {"signatures", "_series_counts", "_batch_train_hits", "find_spans", "batch_hits"}
    assert all(chopped.stages.get(stage, 0) >= 2 for stage in stages), chopped.stages
