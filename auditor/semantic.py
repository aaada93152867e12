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
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import BaseModel

from auditor.batch_engine import LOCAL, BatchEngine
from auditor.comparison import without_roles
from auditor.embeddings import Embedder

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

#: Rows per split embedded by default: two texts a row (prompt and answer), at the ~145
#: chat-length texts/s the development machine's 2 cores reach, is about half a minute
#: cold for the train split and as much again for a big eval split; nothing warm
#: (benchmarks/README.md: a 100k-row audit, 52 s cold).
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

    @property
    def main_side(self) -> str:
        """The side a row-level measure reads: prompts, unless most rows have none (plain
        text, whose text is the response side)."""
        return "prompt" if self.prompt.n >= max(2, self.response.n // 2) else "response"


class EmbeddingInfo(BaseModel):
    """What the embedding checks embedded: the model, the truncation, the sample, the cache."""

    model: str
    max_tokens: int
    #: Rows per split embedded at most; None with --embed-all.
    budget: int | None
    seed: int
    #: Distinct texts the checks needed, how many were embedded now, how many the cache had.
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
    #: What was embedded, how, and how much the cache already held (the report's record).
    run: EmbeddingInfo

    def split(self, name: str) -> SplitVectors:
        return self.train if name == "train" else self.eval


def stratified_sample(
    files: Sequence[str], budget: int | None, seed: int, keys: Sequence[bytes] | None = None
) -> I64:
    """Sorted row indices: all rows within budget, else a seeded sample in which every
    file keeps its share of the budget (largest remainder).

    Within a file, the rows whose (seed, content key) hash lowest are taken (a bottom-k
    sample: as random as any draw, but tied to the rows, not their positions), so
    inserting, deleting or editing a few rows changes only those rows' places in the
    sample and the cache still serves the rest. Without `keys`, rows are keyed by position.
    """
    n = len(files)
    if budget is None or n <= budget:
        return np.arange(n, dtype=np.int64)
    names, codes = np.unique(np.asarray(files, dtype=object), return_inverse=True)
    counts = np.bincount(codes)
    exact = counts * budget / n
    quota = np.floor(exact).astype(np.int64)
    short = budget - int(quota.sum())
    # Ties by file name, so the allocation does not depend on the files' order.
    quota[np.lexsort((names, -(exact - quota)))[:short]] += 1
    salt = seed.to_bytes(8, "little", signed=False)
    keyed = keys if keys is not None else [i.to_bytes(8, "little") for i in range(n)]
    ranks = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(key, digest_size=8, salt=salt[:8]).digest(), "little")
            for key in keyed
        ),
        dtype=np.uint64,
        count=n,
    )
    chosen = []
    for file_code, take in enumerate(quota):
        members = np.flatnonzero(codes == file_code)
        order = np.lexsort((members, ranks[members]))  # equal rows: the earlier first
        chosen.append(members[order[: int(take)]])
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def row_keys(prompts: Sequence[str], responses: Sequence[str]) -> list[bytes]:
    """A content key per row: what the row would embed."""
    return [
        p.encode("utf-8", "surrogatepass") + b"\x1f" + r.encode("utf-8", "surrogatepass")
        for p, r in zip(prompts, responses, strict=True)
    ]


def side_texts(table: pl.DataFrame) -> tuple[list[str], list[str]]:
    """(prompt texts, response texts) of a comparison table, without role prefixes; a
    side with nothing but role markup is empty (nothing to embed)."""
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
    # Content keys only when there is something to sample (hashing every row otherwise
    # buys nothing).
    keys = row_keys(prompts, responses) if budget is not None and len(files) > budget else None
    sample = stratified_sample(files, budget, seed, keys)
    return _Plan(len(prompts), sample, prompts, responses)


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
    engine: BatchEngine = LOCAL,
) -> Embeddings:
    """Embed the sampled rows' prompts and responses of both comparison tables at once
    (each distinct text once, across splits), through the disk cache when one is given."""
    from auditor.embedding_cache import CacheUnavailable, EmbeddingCache, cached_encode

    started = time.perf_counter()
    # First, as it raises EmbeddingsUnavailable when there is no model here (the light
    # core, a wrong path): before sampling rows, which a pre-commit hook would otherwise
    # pay for on every commit (0.14 s).
    dim = embedder.dimension
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
    cache = None
    if cache_path is not None:
        try:
            cache = EmbeddingCache(cache_path, embedder.model_id, embedder.max_tokens)
        except CacheUnavailable as exc:
            warnings.warn(f"embedding cache not used: {exc}", stacklevel=2)

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total, time.perf_counter() - started)

    try:
        vectors, stats = cached_encode(embedder, wanted, cache, dim, report, engine)
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
    run = EmbeddingInfo(
        model=embedder.model_id,
        max_tokens=embedder.max_tokens,
        budget=budget,
        seed=seed,
        texts=len(wanted),
        embedded=stats.embedded,
        cached=stats.cached,
        seconds=round(time.perf_counter() - started, 3),
        cache=str(cache_path) if cache is not None else None,
        train_rows=plans["train"].rows,
        train_sampled=len(plans["train"].sample),
        eval_rows=plans["eval"].rows,
        eval_sampled=len(plans["eval"].sample),
    )
    return Embeddings(splits["train"], splits["eval"], run)
