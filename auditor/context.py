"""AuditContext: what every check reads — the dataset, the config, shared lazy artifacts.

The core knows no particular check: shared artifacts (comparison views, MinHash
signatures and clusters, the train LSH index, n-gram contamination) are methods here,
keyed by the settings that shape them, so every check that asks with the same settings
gets the same object, computed once.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt
import polars as pl

from auditor.batch_engine import LOCAL, BatchEngine
from auditor.config import AuditConfig, Task
from auditor.dataset import Dataset
from auditor.findings import Finding

if TYPE_CHECKING:
    from auditor.artifact_cache import ArtifactCache
    from auditor.diversity import Topics
    from auditor.embeddings import Embedder
    from auditor.leakage import TrainIndex
    from auditor.minhash import MinHashParams, NearDuplicateClusters, TextSignatures
    from auditor.ngrams import NgramHits, NgramParams
    from auditor.semantic import Embeddings, EmbedProgress
    from auditor.tokens import TokenCounts, Tokenizer


class DuplicateCounter(Protocol):
    """What the context asks of a check for the unique-example count (see Check)."""

    def unique_examples(self, ctx: AuditContext) -> int | None: ...


@dataclass(frozen=True)
class TaskChoice:
    task: Task
    inferred: bool
    reason: str


class AuditContext:
    """Shared state for one audit. Artifacts are computed on first use, then reused."""

    def __init__(
        self,
        dataset: Dataset,
        config: AuditConfig,
        tokenizer: Tokenizer | None = None,
        checks: Sequence[DuplicateCounter] = (),
        embedder: Embedder | None = None,
        on_embed: EmbedProgress | None = None,
        artifact_cache: ArtifactCache | None = None,
        engine: BatchEngine = LOCAL,
    ) -> None:
        self.dataset = dataset
        #: Where batch functions run (auditor.batch_engine): here, or on Ray.
        self.engine = engine
        #: Per-row artifacts kept across runs (auditor.artifact_cache); None: no cache.
        self.artifact_cache = artifact_cache
        self.config = config
        self._tokenizer = tokenizer
        self._embedder = embedder
        self._on_embed = on_embed
        #: The checks this audit runs, for artifacts that one check family measures and
        #: another uses (the unique-example count).
        self.checks = tuple(checks)
        #: Cache for artifacts a check family computes once and shares, keyed by the
        #: family's own keys.
        self.artifacts: dict[Hashable, Any] = {}

    @cached_property
    def comparison(self) -> pl.DataFrame:
        """Normalized comparison views and duplicate keys of the train rows."""
        from auditor.comparison import comparison_table

        return comparison_table(
            self.dataset.train, cache=self.artifact_cache, scope=self.cache_scope("train")
        )

    @cached_property
    def eval_comparison(self) -> pl.DataFrame:
        """The same views of the eval rows; the train split's template system prompts are
        left out of them too, so both sides compare their content alone."""
        from auditor.comparison import comparison_table, template_prompts

        frame = self.dataset.eval if self.dataset.eval is not None else self.dataset.train[:0]
        train = self.dataset.train
        return comparison_table(
            frame,
            template_prompts(train),
            template_prompts(train, templates=False),
            cache=self.artifact_cache,
            scope=self.cache_scope("eval"),
        )

    @property
    def eval_files(self) -> list[str]:
        """The eval files, in the order given (each is judged on its own)."""
        return [f.path for f in self.dataset.files if f.split == "eval"]

    @cached_property
    def unique_examples(self) -> int | None:
        """Train rows left once duplicates collapse, as the enabled duplicate checks count
        them (the smallest count); None when no enabled check measures duplicates.

        The size check judges this number instead of the raw row count, whatever order
        the checks run in.
        """
        counts = [n for check in self.checks if (n := check.unique_examples(self)) is not None]
        return min(counts, default=None)

    def cache_scope(self, split: str) -> str:
        """Where a split's artifacts live in the artifact cache: its files, resolved."""
        from pathlib import Path

        files = [str(Path(f.path).resolve()) for f in self.dataset.files if f.split == split]
        return f"{split}:" + "|".join(files)

    @property
    def train(self) -> pl.DataFrame:
        return self.dataset.train

    def load_findings(self, code: str) -> list[Finding]:
        return [f for f in self.dataset.load_findings if f.code == code]

    @cached_property
    def task(self) -> TaskChoice:
        if self.config.task is not None:
            return TaskChoice(self.config.task, inferred=False, reason="given")
        from auditor.tasks import infer_task

        task, reason = infer_task(self.dataset.train)
        return TaskChoice(task, inferred=True, reason=reason)

    @cached_property
    def tokens(self) -> TokenCounts:
        """Per-row prompt / trainable token counts of the train split (see auditor.tokens)."""
        from auditor.tokens import count_tokens, load_tokenizer

        tokenizer = self._tokenizer or load_tokenizer(self.config.tokenizer)
        return count_tokens(
            self.dataset.train,
            tokenizer,
            self.artifact_cache,
            self.cache_scope("train"),
            self.engine,
        )

    # --- MinHash ----------------------------------------------------------------------------

    def signatures(
        self, view: str = "example", params: MinHashParams | None = None, split: str = "train"
    ) -> TextSignatures:
        """MinHash signatures of one comparison view of a split, computed once per audit.

        The shared artifact: FT302 clusters the train side, the leakage checks query eval
        texts against it. Cached by the settings that shape signatures (not the
        threshold), so checks with different thresholds share one computation.
        """
        from auditor.minhash import MinHashParams, text_signatures

        params = params or MinHashParams()
        key = _signature_key(split, view, params)
        if key not in self.artifacts:
            table = self.comparison if split == "train" else self.eval_comparison
            column = table.get_column(view)
            scope = f"{self.cache_scope(split)}:{view}"
            self.artifacts[key] = text_signatures(
                column, params, self.artifact_cache, scope, self.engine
            )
        signed: TextSignatures = self.artifacts[key]
        return signed

    def near_duplicates(
        self, view: str = "example", params: MinHashParams | None = None
    ) -> NearDuplicateClusters:
        """Near-duplicate clusters of one comparison view of the train split, cached.

        `view` is `prompt`, `response` or `example` (auditor.comparison). Row i of the
        result is row i of `ctx.train`.
        """
        from auditor.minhash import MinHashParams, clusters_of

        params = params or MinHashParams()
        key = ("minhash-clusters", view, params)
        if key not in self.artifacts:
            self.artifacts[key] = clusters_of(self.signatures(view, params), params)
            if self.dataset.eval is None:
                # Only the leakage checks query the train signatures again, against eval
                # rows: without any, they are not kept (a million rows' three views: 0.8 GB).
                self.artifacts.pop(_signature_key("train", view, params))
        clusters: NearDuplicateClusters = self.artifacts[key]
        return clusters

    def lsh_index(self, view: str = "example", params: MinHashParams | None = None) -> TrainIndex:
        """The LSH index of the train side's signatures of `view`: built once, queried by
        every eval file."""
        from auditor.leakage import TrainIndex
        from auditor.minhash import MinHashParams

        params = params or MinHashParams()
        key = ("lsh-index", view, params.signature_settings(), params.bands())
        if key not in self.artifacts:
            self.artifacts[key] = TrainIndex.build(self.signatures(view, params), params)
        index: TrainIndex = self.artifacts[key]
        return index

    def generic_rows(
        self, side: str, params: MinHashParams, generic_at: int, near: bool
    ) -> npt.NDArray[np.bool_]:
        """Train rows whose `side` text is generic (auditor.leakage.generic_rows): by the
        identical text, or with `near` by FT302's near-duplicate clusters of that view."""
        from auditor.leakage import generic_rows

        key = ("generic-rows", side, params if near else None, generic_at)
        if key not in self.artifacts:
            labels = self.near_duplicates(side, params).labels if near else None
            self.artifacts[key] = generic_rows(self.comparison, side, generic_at, labels)
        mask: npt.NDArray[np.bool_] = self.artifacts[key]
        return mask

    def template_rows(self, side: str, params: MinHashParams, at: int) -> npt.NDArray[np.bool_]:
        """Train rows in a near-duplicate cluster of `at`+ distinct texts on that view."""
        from auditor.leakage import template_rows

        key = ("template-rows", side, params, at)
        if key not in self.artifacts:
            labels = self.near_duplicates(side, params).labels
            self.artifacts[key] = template_rows(labels, self.signatures(side, params).inverse, at)
        mask: npt.NDArray[np.bool_] = self.artifacts[key]
        return mask

    # --- n-grams ----------------------------------------------------------------------------

    def ngram_hits(self, params: NgramParams) -> NgramHits:
        """Long word n-grams every eval row shares with the train rows (FT504), computed in
        one pass over the train side for all eval files."""
        from auditor.ngrams import ngram_hits

        key = ("ngram-hits", params)
        if key not in self.artifacts:
            self.artifacts[key] = ngram_hits(
                self.comparison, self.eval_comparison, params, self.engine
            )
        hits: NgramHits = self.artifacts[key]
        return hits

    # --- embeddings -------------------------------------------------------------------------

    def embedder(self) -> Embedder:
        """The configured embedder (the shipped MiniLM unless `embed-model` names one)."""
        if self._embedder is None:
            from auditor.embeddings import SentenceTransformerEmbedder

            config = self.config
            self._embedder = SentenceTransformerEmbedder(
                path=config.embed_model,
                max_tokens=config.embed_max_tokens,
                device=config.embed_device,
            )
        return self._embedder

    def embeddings(self) -> Embeddings:
        """Prompt and response embeddings of a seeded sample of each split (see
        auditor.semantic), computed once for every embedding check.

        Raises auditor.embeddings.EmbeddingsUnavailable, every time it is asked, when they
        cannot be computed here (the extra is missing, the model is not on disk, or
        embeddings are turned off); the checks report that as `skipped`.
        """
        key = "embeddings"
        if key not in self.artifacts:
            try:
                self.artifacts[key] = self._embed()
            except Exception as exc:  # kept: five checks must not redo a failed run
                self.artifacts[key] = exc
        value = self.artifacts[key]
        if isinstance(value, Exception):
            raise value
        embedded: Embeddings = value
        return embedded

    def _embed(self) -> Embeddings:
        from auditor.embedding_cache import default_cache_path
        from auditor.embeddings import EmbeddingsUnavailable
        from auditor.semantic import embed_splits

        config = self.config
        if not config.embed:
            raise EmbeddingsUnavailable(
                "embeddings are turned off (`embed = false`, --no-embed or FTAUDIT_EMBED=0)"
            )
        return embed_splits(
            self.comparison,
            self.eval_comparison,
            self.embedder(),
            budget=None if config.embed_all else config.embed_budget,
            seed=config.embed_seed,
            cache_path=default_cache_path(config.cache_dir)
            if config.embed_cache and config.cache
            else None,
            progress=self._on_embed,
            engine=self.engine,
        )

    def topics(self, side: str, merge_at: float) -> Topics:
        """k-means topics of the train sample's `side` embeddings (auditor.diversity)."""
        from auditor.diversity import topics_of

        key = ("topics", side, merge_at)
        if key not in self.artifacts:
            vectors = self.embeddings().train.side(side).vectors
            self.artifacts[key] = topics_of(vectors, merge_at, seed=self.config.embed_seed)
        topics: Topics = self.artifacts[key]
        return topics

    def semantic_neighbours(
        self, side: str, split: str = "train", k: int = 1
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """For each sampled row of `split`, its `k` nearest sampled train rows on `side`
        (positions in the train sample, cosines; shape (n, k), most similar first).

        Neighbours are distinct texts: a row's exact copies are FT301's, and as
        neighbours at cosine 1 they would hide the nearest other text. A train row is
        never its own neighbour, nor are its copies.
        """
        from auditor.diversity import nearest_neighbours

        key = ("semantic-neighbours", side, split, k)
        if key not in self.artifacts:
            embedded = self.embeddings()
            base = embedded.train.side(side)
            _, first, inverse = np.unique(
                np.asarray(base.texts, dtype=object), return_index=True, return_inverse=True
            )
            distinct = base.vectors[first]
            if split == "train":
                index, similarity = nearest_neighbours(distinct, None, k=k)
                index, similarity = index[inverse], similarity[inverse]
            else:
                queries = embedded.split(split).side(side).vectors
                index, similarity = nearest_neighbours(queries, distinct, k=k)
            if len(first) == 0:
                positions = np.full_like(index, -1)
            else:
                positions = np.where(index >= 0, first[np.maximum(index, 0)], -1)
            self.artifacts[key] = (positions.astype(np.int64), similarity)
        found: tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] = self.artifacts[key]
        return found


def _signature_key(split: str, view: str, params: MinHashParams) -> Hashable:
    """Where `AuditContext.signatures` keeps a view's signatures: by the settings that
    shape them, not the threshold."""
    return ("minhash-signatures", split, view, params.signature_settings())
