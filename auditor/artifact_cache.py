"""Per-row artifacts kept across runs, so a re-audit after a few edits recomputes only those.

What is kept, each keyed by a 64-bit hash of the content it was computed from:
- normalized rows, by the bytes of their JSON Lines line (auditor.row_cache);
- normalized comparison texts, by the text before normalizing (auditor.comparison);
- token counts, by text (auditor.tokens);
- MinHash signatures, by comparison-view text (auditor.minhash);
- embeddings live in their own file (auditor.embedding_cache), keyed the same way.

Dataset-level results (duplicate clusters, diversity, verdicts) are never cached: they are
recomputed from these pieces on every run, so they are always those of the data as it is.

Storage. Each artifact kind has a namespace whose name holds everything that changes its
values: the ftaudit version, the kind's format version, the parameters that shape it
(MinHash settings, the tokenizer, the key mapping), and the libraries whose output it
stores (polars, whose seeded hash keys texts and whose readers build rows; the
tokenizer's library). Within a namespace, artifacts are kept per *scope* (a file, or a
split's view of the training files) as a few columnar blocks (Arrow IPC frames of key +
value columns) listed by the scope's manifest. A warm run reads a scope's blocks in a few
queries, not one query per row (measured on 20k chat rows: 210k per-key lookups took
0.3–0.9 s, the blocks 0.05 s); a run with edits appends one small block of its new
entries; past MAX_BLOCKS blocks, or when most stored entries are no longer asked for, the
scope is compacted into one block of exactly what the run used.

Safety (concurrent runs, kills, damaged files) is auditor.cache_store's: a block is
written in its own transaction before the manifest that lists it, and a manifest is
re-read and updated in one transaction, so a killed run leaves whole blocks and a
manifest naming only blocks that exist, and two runs on one scope both keep their work.
A block that cannot be read is a miss, never a failed run.
"""

from __future__ import annotations

import io
import secrets
import sqlite3
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson
import polars as pl
from pydantic import BaseModel, Field

from auditor.cache_store import CacheUnavailable, SqliteStore, default_cache_dir

#: Blocks a scope may hold before it is compacted into one.
MAX_BLOCKS = 8

I64 = npt.NDArray[np.int64]


@cache
def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "none"


def namespace_name(kind: str, **parts: object) -> str:
    """`kind` plus the ftaudit version and every part that shapes the values, sorted; a
    set part is written sorted too (its iteration order changes from one process to the
    next, with string hashing)."""
    shown = " ".join(f"{key}={_stable(parts[key])}" for key in sorted(parts))
    return f"{kind} ftaudit={package_version('ftaudit')} {shown}".strip()


def _stable(part: object) -> object:
    if isinstance(part, set | frozenset):
        return ",".join(sorted(map(str, part)))
    return part


def as_keys(values: npt.NDArray[np.generic]) -> I64:
    """64-bit hashes (polars' are unsigned) as the signed keys SQLite and Arrow store."""
    return np.ascontiguousarray(values).astype(np.uint64, copy=False).view(np.int64)


class KindStats(BaseModel):
    reused: int = 0
    computed: int = 0


class CacheInfo(BaseModel):
    """The report's record of the artifact cache: where it is, and per kind of artifact
    how many entries this run reused and how many it computed (and stored)."""

    path: str
    kinds: dict[str, KindStats] = Field(default_factory=dict)


@dataclass
class NamespaceInfo:
    name: str
    scopes: int
    entries: int
    bytes: int
    used: float


class ArtifactCache(SqliteStore):
    """Columnar blocks of artifacts by (namespace, scope); see the module docstring."""

    label = "artifact cache"
    schema = "2"

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        super().__init__(path, timeout)
        self._namespaces: dict[str, int] = {}
        self.counts: dict[str, KindStats] = {}

    @classmethod
    def open_default(cls, configured: str | Path | None = None) -> ArtifactCache | None:
        """The cache in the configured or default folder, or None (with a warning) when it
        cannot be used this run."""
        path = default_cache_dir(configured) / "artifacts.sqlite3"
        try:
            return cls(path)
        except CacheUnavailable as exc:
            warnings.warn(f"artifact cache not used: {exc}", stacklevel=2)
            return None

    def create_tables(self, connection: sqlite3.Connection) -> None:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS namespaces (id INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL UNIQUE, used REAL NOT NULL)"
        )
        connection.execute(
            "CREATE TABLE IF NOT EXISTS manifests (ns INTEGER NOT NULL, scope TEXT NOT NULL, "
            "blocks TEXT NOT NULL, PRIMARY KEY (ns, scope))"
        )
        connection.execute(
            "CREATE TABLE IF NOT EXISTS blocks (ns INTEGER NOT NULL, id INTEGER NOT NULL, "
            "value BLOB NOT NULL, PRIMARY KEY (ns, id))"
        )

    def count(self, kind: str, reused: int, computed: int) -> None:
        stats = self.counts.setdefault(kind, KindStats())
        stats.reused += reused
        stats.computed += computed

    def info(self) -> CacheInfo:
        return CacheInfo(path=str(self.path), kinds=dict(self.counts))

    def namespace(self, name: str) -> int | None:
        """The id of namespace `name` (created on first use; its use time is noted)."""
        if name in self._namespaces:
            return self._namespaces[name]
        if self.disabled:
            return None
        try:
            with self.connection:
                self.connection.execute("BEGIN IMMEDIATE")
                self.connection.execute(
                    "INSERT INTO namespaces (name, used) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET used = excluded.used",
                    (name, time.time()),
                )
                (ident,) = self.connection.execute(
                    "SELECT id FROM namespaces WHERE name = ?", (name,)
                ).fetchone()
        except sqlite3.DatabaseError as exc:
            self.failed(exc)
            return None
        self._namespaces[name] = int(ident)
        return int(ident)

    def scope(self, name: str, scope: str, schema: pl.Schema) -> Scope:
        """One scope of namespace `name`, its blocks read (columns `schema` plus `key`)."""
        return Scope(self, name, scope, schema)

    def read_blocks(self, ns: int, scope: str) -> tuple[list[tuple[int, int]], dict[int, bytes]]:
        blocks = self._manifest(ns, scope)
        blobs = dict(
            self.connection.execute(
                "SELECT id, value FROM blocks WHERE ns = ? "
                "AND id IN (SELECT value FROM json_each(?))",
                (ns, orjson.dumps([ident for ident, _ in blocks])),
            ).fetchall()
        )
        return blocks, blobs

    def _manifest(self, ns: int, scope: str) -> list[tuple[int, int]]:
        row = self.connection.execute(
            "SELECT blocks FROM manifests WHERE ns = ? AND scope = ?", (ns, scope)
        ).fetchone()
        if row is None:
            return []
        try:
            return [(int(ident), int(entries)) for ident, entries in orjson.loads(row[0])]
        except (orjson.JSONDecodeError, TypeError, ValueError):
            return []  # a manifest that does not parse lists nothing: its scope starts over

    def write_block(self, ns: int, scope: str, block: pl.DataFrame, replaced: set[int]) -> None:
        """Add `block` to the scope's manifest, dropping the `replaced` blocks."""
        ident = secrets.randbits(63)
        try:
            with self.connection:
                self.connection.execute("BEGIN IMMEDIATE")
                self.connection.execute(
                    "INSERT INTO blocks (ns, id, value) VALUES (?, ?, ?)",
                    (ns, ident, _block_bytes(block)),
                )
            with self.connection:
                # Re-read inside the write transaction: blocks another run added since this
                # one read the manifest stay listed.
                self.connection.execute("BEGIN IMMEDIATE")
                kept = [(i, n) for i, n in self._manifest(ns, scope) if i not in replaced]
                self.connection.execute(
                    "INSERT OR REPLACE INTO manifests (ns, scope, blocks) VALUES (?, ?, ?)",
                    (ns, scope, orjson.dumps([*kept, (ident, block.height)]).decode()),
                )
                if replaced:
                    self.connection.execute(
                        "DELETE FROM blocks WHERE ns = ? AND id IN "
                        "(SELECT value FROM json_each(?))",
                        (ns, orjson.dumps(sorted(replaced))),
                    )
        except sqlite3.DatabaseError as exc:
            self.failed(exc)

    # --- inspecting -------------------------------------------------------------------

    def namespaces(self) -> list[NamespaceInfo]:
        """Every namespace with its scopes, entries, stored bytes and last use."""
        sizes = dict(
            self.connection.execute(
                "SELECT ns, SUM(LENGTH(value)) FROM blocks GROUP BY ns"
            ).fetchall()
        )
        out = []
        for ident, name, used in self.connection.execute(
            "SELECT id, name, used FROM namespaces ORDER BY name"
        ).fetchall():
            manifests = self.connection.execute(
                "SELECT blocks FROM manifests WHERE ns = ?", (ident,)
            ).fetchall()
            entries = sum(n for (text,) in manifests for _, n in orjson.loads(text))
            out.append(
                NamespaceInfo(name, len(manifests), entries, int(sizes.get(ident) or 0), used)
            )
        return out


class Scope:
    """The stored entries of one scope: find keys in it, add new entries, then save."""

    def __init__(self, store: ArtifactCache, name: str, scope: str, schema: pl.Schema) -> None:
        self.store = store
        self.scope = scope
        self.schema = schema
        self.ns = store.namespace(name)
        self.blocks: list[tuple[int, int]] = []
        self.stored = pl.DataFrame(schema={"key": pl.Int64, **schema})
        self._fresh: list[pl.DataFrame] = []
        self._used: list[pl.DataFrame] = []
        if self.ns is None or store.disabled:
            return
        try:
            self.blocks, blobs = store.read_blocks(self.ns, scope)
        except sqlite3.DatabaseError as exc:
            store.failed(exc)
            return
        read = [_read_block(blobs.get(ident), schema) for ident, _ in self.blocks]
        frames = [frame for frame in read if frame is not None]
        if len(frames) == 1:
            self.stored = frames[0]  # one block holds each key once (see save)
        elif frames:
            self.stored = pl.concat(frames).unique("key", keep="last")

    def find(self, keys: I64) -> tuple[npt.NDArray[np.bool_], pl.DataFrame]:
        """(found mask, the found entries in the order of `keys`, without `key`)."""
        found = np.zeros(len(keys), dtype=bool)
        if self.stored.is_empty():
            return found, pl.DataFrame(schema=self.schema)
        asked = pl.DataFrame({"key": keys, "_at": np.arange(len(keys), dtype=np.int64)})
        hit = asked.join(self.stored, on="key", how="inner").sort("_at")
        found[hit["_at"].to_numpy()] = True
        self._used.append(hit.drop("_at"))
        return found, hit.select(list(self.schema))

    def add(self, fresh: pl.DataFrame) -> None:
        """New entries (a frame with `key` and the schema's columns) to store."""
        if fresh.height:
            self._fresh.append(fresh.select(["key", *self.schema]))

    def save(self) -> None:
        """Store the new entries as one more block; or, past MAX_BLOCKS blocks or when
        most stored entries went unused, replace the scope's blocks with one block of
        exactly the entries this run used."""
        if self.ns is None or self.store.disabled:
            return
        # A file may hold a row twice: a block holds each key once.
        fresh = pl.concat(self._fresh).unique("key", keep="first") if self._fresh else None
        used = sum(f.height for f in self._used) + (fresh.height if fresh is not None else 0)
        stored = sum(entries for _, entries in self.blocks)
        compact = len(self.blocks) + 1 > MAX_BLOCKS or stored > 2 * max(used, 1)
        if fresh is None and not compact:
            return
        if compact:
            parts = list(self._used) if fresh is None else [*self._used, fresh]
            whole = pl.concat(parts).unique("key") if parts else self.stored[:0]
            self.store.write_block(self.ns, self.scope, whole, {i for i, _ in self.blocks})
        elif fresh is not None:
            self.store.write_block(self.ns, self.scope, fresh, set())


def _block_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="lz4")
    return buffer.getvalue()


def _read_block(blob: bytes | None, schema: pl.Schema) -> pl.DataFrame | None:
    """A block's frame, or None when it is gone, damaged or of another shape."""
    if blob is None:
        return None
    try:
        frame = pl.read_ipc(blob)
    except Exception:  # any decoding error: the entries are computed again
        return None
    if "key" not in frame.columns or any(
        frame.schema.get(column) != dtype for column, dtype in schema.items()
    ):
        return None
    return frame.select(["key", *schema])


def cached_values(
    store: ArtifactCache | None,
    kind: str,
    name: str,
    scope: str,
    keys: I64,
    compute: Callable[[I64], pl.Series],
    dtype: pl.DataType,
) -> pl.Series:
    """One value per key: the scope's stored values, `compute(positions)` for the rest
    (a Series of `dtype`, one value per position), which are then stored."""
    if store is None:
        return compute(np.arange(len(keys), dtype=np.int64))
    kept = store.scope(name, scope, pl.Schema({"value": dtype}))
    found, hit = kept.find(keys)
    missing = np.flatnonzero(~found).astype(np.int64)
    parts = []
    if hit.height:
        parts.append(hit.select(pl.Series("_at", np.flatnonzero(found).astype(np.int64)), "value"))
    if missing.size:
        computed = compute(missing).alias("value").cast(dtype)
        kept.add(pl.DataFrame({"key": keys[missing]}).with_columns(computed))
        parts.append(pl.DataFrame({"_at": missing}).with_columns(computed))
    kept.save()
    store.count(kind, reused=int(found.sum()), computed=int(missing.size))
    if not parts:
        return pl.Series("value", [], dtype=dtype)
    return pl.concat(parts).sort("_at")["value"]


def cached_array(
    store: ArtifactCache | None,
    kind: str,
    name: str,
    scope: str,
    keys: I64,
    compute: Callable[[I64], npt.NDArray[np.generic]],
    dtype: npt.DTypeLike,
    width: int,
) -> npt.NDArray[np.generic]:
    """cached_values for rows of a numpy array of shape (len(keys), width)."""
    numpy_type = np.dtype(dtype)
    if store is None:
        return compute(np.arange(len(keys), dtype=np.int64))

    def as_series(positions: I64) -> pl.Series:
        rows = np.asarray(compute(positions), dtype=numpy_type).reshape(len(positions), width)
        return pl.Series("value", rows)

    polars_type = pl.Array(pl.Series(np.zeros(1, numpy_type)).dtype, width)
    values = cached_values(store, kind, name, scope, keys, as_series, polars_type)
    if not len(values):
        return np.zeros((0, width), dtype=numpy_type)
    return np.asarray(values.to_numpy(), dtype=numpy_type).reshape(len(keys), width)


def cached_per_text(
    store: ArtifactCache,
    kind: str,
    name: str,
    scope: str,
    texts: pl.Series,
    compute: Callable[[pl.Series], pl.Series],
    dtype: pl.DataType,
) -> pl.Series:
    """One value per text: each distinct text (told apart by polars' seeded hash, so
    `name` must hold the polars version) looked up once, `compute(distinct texts)` for the
    ones the scope lacks, and the values spread back over the rows."""
    hashes = texts.hash(seed=0).to_numpy()
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)

    def fresh(positions: I64) -> pl.Series:
        return compute(texts.gather(first[positions]))

    keys = as_keys(hashes[first])
    values = cached_values(store, kind, name, scope, keys, fresh, dtype)
    return values.gather(inverse.reshape(-1))


def cached_flags(
    store: ArtifactCache,
    kind: str,
    name: str,
    scope: str,
    texts: pl.Series,
    hit_index: Callable[[pl.Series], npt.NDArray[np.integer]],
) -> npt.NDArray[np.bool_]:
    """Per text, whether it holds something (`hit_index(texts)`: the positions of those
    that do), kept per distinct text: a check whose rare hits need a costly look keeps
    only the yes/no, and a warm run looks again at the few texts that said yes."""

    def compute(fresh: pl.Series) -> pl.Series:
        marked = np.zeros(fresh.len(), dtype=bool)
        marked[hit_index(fresh)] = True
        return pl.Series("value", marked, dtype=pl.Boolean)

    flags = cached_per_text(store, kind, name, scope, texts, compute, pl.Boolean())
    return flags.to_numpy().astype(bool)
