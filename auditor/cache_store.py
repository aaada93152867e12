"""What ftaudit's disk caches share: where they live, and a SQLite file that cannot fail a run.

Why SQLite (WAL mode): it is in the standard library; several processes may read and
write one file at once (readers never block the writer, a writer waits up to `timeout`
for another); and a transaction lands whole or not at all, so a run killed midway leaves
a cache that is still correct. A file that is not a database, or one from somewhere
else (another schema), is moved aside and rebuilt with one warning, also when the damage
shows mid-run. A cache that cannot be used (its folder cannot be made; locked past the
timeout, read-only, a full disk) is left as it is and the run goes on without it, with a
warning: nothing here can fail an audit.
"""

from __future__ import annotations

import os
import sqlite3
import time
import warnings
from pathlib import Path

#: The files a cache folder holds (each with its -wal and -shm companions).
CACHE_FILES = ("artifacts.sqlite3", "embeddings.sqlite3")


def default_cache_dir(configured: str | Path | None = None) -> Path:
    """The cache folder: `configured` (the `cache-dir` key), else $FTAUDIT_CACHE_DIR, else
    the user cache directory ($XDG_CACHE_HOME or ~/.cache)/ftaudit."""
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("FTAUDIT_CACHE_DIR")
    if base:
        return Path(base)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "ftaudit"


class CacheUnavailable(Exception):
    """The cache cannot be used this run (its folder cannot be made, it is locked or
    read-only): the audit goes on without it."""


class SqliteStore:
    """One cache file. Subclasses name their schema and create their tables."""

    #: Bumped when a subclass's tables change; a file with another schema is rebuilt.
    schema = "1"
    #: How warnings name the cache ("embedding cache").
    label = "cache"

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.disabled = False
        self.connection = self._open()

    def create_tables(self, connection: sqlite3.Connection) -> None:
        """Create the subclass's tables if they do not exist."""

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
        """Move a damaged or foreign cache aside (with its WAL files) and start a new one."""
        aside = self.path.with_name(f"{self.path.name}.broken-{int(time.time())}")
        warnings.warn(
            f"{self.label} {self.path} is damaged ({exc}); moved it to {aside} and "
            "started a new one",
            stacklevel=4,
        )
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                part.replace(Path(f"{aside}{suffix}"))
        try:
            return self._connect()
        except sqlite3.DatabaseError as again:
            raise CacheUnavailable(f"{self.path}: {again}") from None

    def failed(self, exc: sqlite3.DatabaseError) -> None:
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
        warnings.warn(f"{self.label} {self.path}: {exc}; going on without it", stacklevel=3)
        self.disabled = True

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            tables = {
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            }
            if tables and "meta" not in tables:
                # Somebody else's database at our path: never write into it.
                shown = ", ".join(sorted(tables)[:5])
                raise sqlite3.DatabaseError(f"not an ftaudit cache (tables: {shown})")
            _use_wal(connection, self.timeout)
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            try:
                self.create_tables(connection)
            except sqlite3.OperationalError as exc:
                if not _transient(exc):
                    # A foreign file's tables of the same name but another shape.
                    raise sqlite3.DatabaseError(f"not an ftaudit cache ({exc})") from None
                raise
            connection.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (self.schema,))
            (schema,) = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError:
            connection.close()
            raise
        if schema != self.schema:
            connection.close()
            raise sqlite3.DatabaseError(f"cache schema {schema}, this ftaudit writes {self.schema}")
        return connection

    def close(self) -> None:
        self.disabled = True  # anything asked after this goes without the cache
        self.connection.close()


def _use_wal(connection: sqlite3.Connection, timeout: float) -> None:
    """Put the file in WAL mode (it stays so). Switching modes ignores the busy timeout, so
    two runs creating the cache at once would see "database is locked": retry a while."""
    (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    deadline = time.monotonic() + timeout
    while str(mode).lower() != "wal":
        try:
            (mode,) = connection.execute("PRAGMA journal_mode=WAL").fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
        if str(mode).lower() != "wal":
            if time.monotonic() > deadline:
                return  # still correct in rollback mode, only less concurrent
            time.sleep(0.05)


def _transient(exc: sqlite3.OperationalError) -> bool:
    """An error of the moment (a lock, a read-only file, a full disk), not of the file."""
    message = str(exc).lower()
    return any(word in message for word in ("locked", "readonly", "read-only", "disk", "open"))
