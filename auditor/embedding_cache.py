"""A disk cache of embeddings: SQLite in WAL mode, keyed by (model, truncation, text hash).

The file's safety (concurrent runs, kills, damage, locks) is auditor.cache_store's; an
entry of the wrong size is dropped and computed again, with a warning.

The key holds everything that changes a vector: the model id, the truncation length, and
a 128-bit BLAKE2b hash of the text (a collision among a billion texts has probability
~1e-21).
"""

from __future__ import annotations

import hashlib
import sqlite3
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from auditor.batch_engine import LOCAL, BatchEngine
from auditor.cache_store import CacheUnavailable as CacheUnavailable
from auditor.cache_store import SqliteStore, default_cache_dir
from auditor.embeddings import Embedder

F32 = npt.NDArray[np.float32]
#: Texts looked up per query: below SQLite's default limit of host parameters.
LOOKUP_CHUNK = 500


def default_cache_path(configured: str | Path | None = None) -> Path:
    """The embedding cache file in the cache folder (auditor.cache_store.default_cache_dir)."""
    return default_cache_dir(configured) / "embeddings.sqlite3"


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass
class CacheStats:
    embedded: int = 0
    cached: int = 0


class EmbeddingCache(SqliteStore):
    """Vectors of one (model, truncation) pair, stored by text hash."""

    label = "embedding cache"

    def __init__(self, path: Path, model_id: str, max_tokens: int, timeout: float = 30.0):
        self.model_id = model_id
        self.max_tokens = max_tokens
        super().__init__(path, timeout)

    def create_tables(self, connection: sqlite3.Connection) -> None:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, tokens INTEGER NOT "
            "NULL, hash BLOB NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, tokens, "
            "hash)) WITHOUT ROWID"
        )

    def get(self, keys: Sequence[bytes], dim: int) -> dict[bytes, F32]:
        """The cached vectors among `keys`; entries of the wrong size are dropped."""
        found: dict[bytes, F32] = {}
        bad: list[bytes] = []
        for lo in range(0, len(keys), LOOKUP_CHUNK):
            if self.disabled:
                return found
            chunk = list(keys[lo : lo + LOOKUP_CHUNK])
            marks = ",".join("?" * len(chunk))
            try:
                rows = self.connection.execute(
                    f"SELECT hash, vector FROM vectors WHERE model = ? AND tokens = ? "
                    f"AND hash IN ({marks})",
                    (self.model_id, self.max_tokens, *chunk),
                ).fetchall()
            except sqlite3.DatabaseError as exc:
                self.failed(exc)
                return {}
            for key, blob in rows:
                if len(blob) == 4 * dim:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
                else:
                    bad.append(key)
        if bad:
            warnings.warn(
                f"embedding cache {self.path}: {len(bad)} entr(y/ies) of the wrong size; "
                "computing them again",
                stacklevel=2,
            )
            self._delete(bad)
        return found

    def put(self, items: Iterable[tuple[bytes, F32]]) -> None:
        """Store vectors in one transaction: all of them land, or none."""
        rows = [
            (self.model_id, self.max_tokens, key, np.asarray(v, dtype=np.float32).tobytes())
            for key, v in items
        ]
        if self.disabled:
            return
        try:
            with self.connection:
                self.connection.execute("BEGIN IMMEDIATE")
                self.connection.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows
                )
        except sqlite3.DatabaseError as exc:
            self.failed(exc)

    def _delete(self, keys: list[bytes]) -> None:
        try:
            with self.connection:
                self.connection.execute("BEGIN IMMEDIATE")
                self.connection.executemany(
                    "DELETE FROM vectors WHERE model = ? AND tokens = ? AND hash = ?",
                    [(self.model_id, self.max_tokens, key) for key in keys],
                )
        except sqlite3.DatabaseError as exc:
            self.failed(exc)

    def count(self) -> int:
        (rows,) = self.connection.execute(
            "SELECT COUNT(*) FROM vectors WHERE model = ? AND tokens = ?",
            (self.model_id, self.max_tokens),
        ).fetchone()
        return int(rows)

    def close(self) -> None:
        self.connection.close()


#: Texts embedded between two cache writes: a run killed midway keeps what it finished.
WRITE_CHUNK = 256

#: Called after each chunk with (texts done, texts to embed).
EncodeProgress = Callable[[int, int], None]


def enumerate_encoded(
    embedder: Embedder, texts: list[str], engine: BatchEngine
) -> Iterator[tuple[int, F32]]:
    """(offset, vectors) of each WRITE_CHUNK of `texts`: encoded one chunk at a time here,
    or every chunk at once on a distributed engine (the same chunks, so the same padding
    and the same vectors)."""
    if engine.in_process:
        for lo in range(0, len(texts), WRITE_CHUNK):
            yield lo, embedder.encode(texts[lo : lo + WRITE_CHUNK])
        return
    series = pl.Series("text", texts, dtype=pl.String)
    yield from engine.map_texts(partial(encode_batch, embedder), series, batch=WRITE_CHUNK)


#: A worker's sentence-transformers embedders by their settings (the dataclass repr): the
#: model loads once per worker, not once per batch.
_worker_embedders: dict[str, Embedder] = {}


def encode_batch(embedder: Embedder, texts: pl.Series) -> F32:
    """A batch function (auditor.batch_engine): the embeddings of one batch of texts."""
    from auditor.embeddings import SentenceTransformerEmbedder

    if isinstance(embedder, SentenceTransformerEmbedder):
        embedder = _worker_embedders.setdefault(repr(embedder), embedder)
    return embedder.encode(texts.to_list())


def cached_encode(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    dim: int,
    progress: EncodeProgress | None = None,
    engine: BatchEngine = LOCAL,
) -> tuple[F32, CacheStats]:
    """Embeddings of `texts`: from the cache where present, the rest embedded (each distinct
    text once) and stored chunk by chunk, so an interrupted run loses one chunk at most."""
    keys = [text_key(t) for t in texts]
    found = cache.get(list(dict.fromkeys(keys)), dim) if cache is not None else {}
    todo = list(dict.fromkeys(k for k in keys if k not in found))
    first_text = dict(zip(keys, texts, strict=True))
    # Longest first across the whole job, so every chunk pads little and the time left is
    # honest early (the long texts are done first).
    todo.sort(key=lambda k: -len(first_text[k]))
    if todo and progress is not None:
        progress(0, len(todo))
    for lo, vectors in enumerate_encoded(embedder, [first_text[k] for k in todo], engine):
        chunk = todo[lo : lo + len(vectors)]
        fresh = dict(zip(chunk, vectors, strict=True))
        if cache is not None:
            cache.put(fresh.items())
        found.update(fresh)
        if progress is not None:
            progress(lo + len(chunk), len(todo))
    out = np.stack([found[k] for k in keys]) if keys else np.zeros((0, dim), np.float32)
    return out.astype(np.float32, copy=False), CacheStats(
        embedded=len(todo), cached=len(set(keys)) - len(todo)
    )
