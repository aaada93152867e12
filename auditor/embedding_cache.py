"""A disk cache of embeddings: SQLite in WAL mode, keyed by (model, truncation, text hash).

Why SQLite: it is in the standard library, several processes may read and write one file
at once (WAL: readers never block the writer; a writer waits up to `timeout` for
another), and a transaction either lands whole or not at all, so a run killed midway
leaves a cache that is still correct. A file that is not a database, or a database from
somewhere else, is moved aside and rebuilt with one warning, also when the damage shows
mid-run; an entry of the wrong size is dropped and computed again, with a warning. A
cache that cannot be used (its folder cannot be made; locked past the timeout, read-only,
a full disk) is left as it is, and the run goes on without it, with a warning: nothing
here can fail an audit.

The key holds everything that changes a vector: the model id, the truncation length, and
a 128-bit BLAKE2b hash of the text (a collision among a billion texts has probability
~1e-21).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from auditor.embeddings import Embedder

F32 = npt.NDArray[np.float32]
SCHEMA = 1
#: Texts looked up per query: below SQLite's default limit of host parameters.
LOOKUP_CHUNK = 500


def default_cache_path() -> Path:
    """$FTAUDIT_CACHE_DIR, else the user cache directory ($XDG_CACHE_HOME or ~/.cache)."""
    base = os.environ.get("FTAUDIT_CACHE_DIR")
    if base:
        return Path(base) / "embeddings.sqlite3"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "ftaudit" / "embeddings.sqlite3"


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass
class CacheStats:
    embedded: int = 0
    cached: int = 0


class CacheUnavailable(Exception):
    """The cache cannot be used this run (its folder cannot be made, it is locked or
    read-only): the audit goes on without it."""


class EmbeddingCache:
    """Vectors of one (model, truncation) pair, stored by text hash."""

    def __init__(self, path: Path, model_id: str, max_tokens: int, timeout: float = 30.0):
        self.path = Path(path)
        self.model_id = model_id
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.disabled = False
        self.connection = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheUnavailable(f"cannot create {self.path.parent} ({exc.strerror})") from None
        try:
            return self._connect()
        except sqlite3.OperationalError as exc:
            # Locked by a long writer, read-only, no space: not corruption, so the file
            # stays where it is and this run goes without the cache.
            raise CacheUnavailable(f"{self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            return self._rebuild(exc)

    def _rebuild(self, exc: Exception) -> sqlite3.Connection:
        """Move a damaged cache aside (with its WAL files) and start a new one."""
        aside = self.path.with_name(f"{self.path.name}.broken-{int(time.time())}")
        warnings.warn(
            f"embedding cache {self.path} is damaged ({exc}); moved it to {aside} and "
            "started a new one",
            stacklevel=3,
        )
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                part.replace(Path(f"{aside}{suffix}"))
        try:
            return self._connect()
        except sqlite3.DatabaseError as again:
            raise CacheUnavailable(f"{self.path}: {again}") from None

    def _failed(self, exc: sqlite3.DatabaseError) -> None:
        """A query failed mid-run: rebuild a damaged file; otherwise (locked, read-only,
        full disk) go on without the cache. Either way the audit goes on."""
        if self.disabled:
            return
        if not isinstance(exc, sqlite3.OperationalError):
            try:
                self.connection.close()
                self.connection = self._rebuild(exc)
                return
            except CacheUnavailable:
                pass
        warnings.warn(f"embedding cache {self.path}: {exc}; going on without it", stacklevel=3)
        self.disabled = True

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            connection.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, tokens INTEGER NOT "
                "NULL, hash BLOB NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, tokens, "
                "hash)) WITHOUT ROWID"
            )
            connection.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
            (schema,) = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError:
            connection.close()
            raise
        if schema != str(SCHEMA):
            connection.close()
            raise sqlite3.DatabaseError(f"cache schema {schema}, this ftaudit writes {SCHEMA}")
        return connection

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
                self._failed(exc)
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
            self._failed(exc)

    def _delete(self, keys: list[bytes]) -> None:
        try:
            with self.connection:
                self.connection.execute("BEGIN IMMEDIATE")
                self.connection.executemany(
                    "DELETE FROM vectors WHERE model = ? AND tokens = ? AND hash = ?",
                    [(self.model_id, self.max_tokens, key) for key in keys],
                )
        except sqlite3.DatabaseError as exc:
            self._failed(exc)

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


def cached_encode(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    dim: int,
    progress: EncodeProgress | None = None,
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
    for lo in range(0, len(todo), WRITE_CHUNK):
        chunk = todo[lo : lo + WRITE_CHUNK]
        fresh = dict(zip(chunk, embedder.encode([first_text[k] for k in chunk]), strict=True))
        if cache is not None:
            cache.put(fresh.items())
        found.update(fresh)
        if progress is not None:
            progress(lo + len(chunk), len(todo))
    out = np.stack([found[k] for k in keys]) if keys else np.zeros((0, dim), np.float32)
    return out.astype(np.float32, copy=False), CacheStats(
        embedded=len(todo), cached=len(set(keys)) - len(todo)
    )
