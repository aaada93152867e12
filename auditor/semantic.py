"""Embeddings of an audit: which rows are embedded, which texts, and how many came from cache.

One artifact serves every embedding check (FT401–FT404 and FT505): the prompt and the
response of a seeded sample of rows per split, each distinct text embedded once and kept
in the disk cache. The texts are the comparison views (auditor.comparison) without role
prefixes: a template system prompt left out, so a templated file does not look like one
topic, and normalized (MiniLM is uncased, so lower case loses nothing).

Sampling: when a split has more rows than the budget, a seeded random sample, stratified
by file (each file keeps its share of rows), so the same file gives the same sample, an
edited file re-embeds only its edited rows, and every metric says the sample size.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from auditor.comparison import without_roles
from auditor.embeddings import Embedder

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

#: Rows per split embedded by default. Two texts a row (prompt and response) at the
#: 60–150 texts/s MiniLM reaches on chat-length texts cut to 128 word pieces on the
#: development machine's 2 cores: about a minute cold (benchmarks/bench_embeddings.py),
#: nothing warm.
DEFAULT_BUDGET = 2000

#: Called with (texts embedded so far, texts to embed, seconds so far).
EmbedProgress = Callable[[int, int, float], None]


@dataclass(frozen=True)
class SideVectors:
    """Embeddings of one side (prompt or response) of a split's sampled rows."""

    rows: I64
    vectors: F32
    texts: list[str]
    #: Rows of the split with a non-empty text on this side (what the sample stands for).
    population: int

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def sampled(self) -> bool:
        return self.n < self.population


@dataclass(frozen=True)
class SplitVectors:
    prompt: SideVectors
    response: SideVectors
    rows: int
    sampled_rows: int

    def side(self, name: str) -> SideVectors:
        return self.prompt if name == "prompt" else self.response


@dataclass(frozen=True)
class EmbeddingRun:
    """What was embedded, how, and how much of it the cache already held."""

    model: str
    max_tokens: int
    budget: int | None
    seed: int
    texts: int
    embedded: int
    cached: int
    seconds: float
    cache: str | None
    train_rows: int
    train_sampled: int
    eval_rows: int
    eval_sampled: int


@dataclass(frozen=True)
class Embeddings:
    train: SplitVectors
    eval: SplitVectors
    run: EmbeddingRun

    def split(self, name: str) -> SplitVectors:
        return self.train if name == "train" else self.eval


def stratified_sample(files: Sequence[str], budget: int | None, seed: int) -> I64:
    """Sorted row indices: all rows within budget, else a seeded sample in which every
    file keeps its share (largest remainder), drawn per file so one file's rows do not
    move another file's sample."""
    n = len(files)
    if budget is None or n <= budget:
        return np.arange(n, dtype=np.int64)
    names, codes = np.unique(np.asarray(files, dtype=object), return_inverse=True)
    counts = np.bincount(codes)
    exact = counts * budget / n
    quota = np.floor(exact).astype(np.int64)
    short = budget - int(quota.sum())
    quota[np.argsort(-(exact - quota), kind="stable")[:short]] += 1
    chosen = []
    for file_code, take in enumerate(quota):
        members = np.flatnonzero(codes == file_code)
        rng = np.random.default_rng([seed, _name_seed(str(names[file_code]))])
        chosen.append(rng.choice(members, size=int(take), replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def _name_seed(name: str) -> int:
    """A stable number per file name: its sample does not depend on the other files."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def side_texts(table: pl.DataFrame) -> tuple[list[str], list[str]]:
    """(prompt texts, response texts) of a comparison table, without role prefixes."""
    views = table.select(
        without_roles(pl.col("prompt")).alias("prompt"),
        without_roles(pl.col("response")).alias("response"),
    )
    return views.get_column("prompt").to_list(), views.get_column("response").to_list()


@dataclass(frozen=True)
class _Plan:
    rows: int
    sample: I64
    prompts: list[str]
    responses: list[str]


def _plan(table: pl.DataFrame, budget: int | None, seed: int) -> _Plan:
    prompts, responses = side_texts(table)
    files = table.get_column("file").to_list()
    return _Plan(len(prompts), stratified_sample(files, budget, seed), prompts, responses)


def _side(plan: _Plan, texts: list[str], vectors: dict[str, F32], dim: int) -> SideVectors:
    rows = np.asarray([i for i in plan.sample if texts[i]], dtype=np.int64)
    chosen = [texts[i] for i in rows]
    stacked = np.stack([vectors[t] for t in chosen]) if chosen else np.zeros((0, dim), np.float32)
    return SideVectors(rows, stacked, chosen, population=sum(1 for t in texts if t))


def embed_splits(
    train: pl.DataFrame,
    eval_: pl.DataFrame,
    embedder: Embedder,
    *,
    budget: int | None,
    seed: int = 0,
    cache_path: Path | None = None,
    progress: EmbedProgress | None = None,
) -> Embeddings:
    """Embed the sampled rows' prompts and responses of both comparison tables at once
    (each distinct text once, across splits), through the disk cache when one is given."""
    from auditor.embedding_cache import EmbeddingCache, cached_encode

    started = time.perf_counter()
    plans = {"train": _plan(train, budget, seed), "eval": _plan(eval_, budget, seed)}
    wanted = list(
        dict.fromkeys(
            text
            for plan in plans.values()
            for i in plan.sample
            for text in (plan.prompts[i], plan.responses[i])
            if text
        )
    )
    dim = embedder.dimension
    cache = (
        EmbeddingCache(cache_path, embedder.model_id, embedder.max_tokens) if cache_path else None
    )

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total, time.perf_counter() - started)

    try:
        vectors, stats = cached_encode(embedder, wanted, cache, dim, report)
    finally:
        if cache is not None:
            cache.close()
    by_text = dict(zip(wanted, vectors, strict=True))
    splits = {
        name: SplitVectors(
            _side(plan, plan.prompts, by_text, dim),
            _side(plan, plan.responses, by_text, dim),
            rows=plan.rows,
            sampled_rows=len(plan.sample),
        )
        for name, plan in plans.items()
    }
    run = EmbeddingRun(
        model=embedder.model_id,
        max_tokens=embedder.max_tokens,
        budget=budget,
        seed=seed,
        texts=len(wanted),
        embedded=stats.embedded,
        cached=stats.cached,
        seconds=round(time.perf_counter() - started, 3),
        cache=str(cache_path) if cache_path else None,
        train_rows=plans["train"].rows,
        train_sampled=len(plans["train"].sample),
        eval_rows=plans["eval"].rows,
        eval_sampled=len(plans["eval"].sample),
    )
    return Embeddings(splits["train"], splits["eval"], run)
