"""The embedding cache: reuse across runs, concurrent writers, kills, corrupt files."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from auditor.embedding_cache import EmbeddingCache, cached_encode, text_key

DIM = 8


class StubEmbedder:
    """Deterministic vectors from the text's hash; counts what it was asked to embed."""

    model_id = "stub"
    max_tokens = 32

    def __init__(self) -> None:
        self.calls: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.extend(texts)
        rows = [np.frombuffer(text_key(t) * 2, dtype=np.uint8)[:DIM] for t in texts]
        x = np.array(rows, dtype=np.float32).reshape(len(texts), DIM) + 1.0
        return x / np.linalg.norm(x, axis=1, keepdims=True)


def texts(count: int, tag: str = "") -> list[str]:
    return [f"text number {i}{tag}" for i in range(count)]


def test_a_second_run_embeds_nothing_and_an_edit_embeds_only_it(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    first = StubEmbedder()
    vectors, stats = cached_encode(first, texts(100), EmbeddingCache(path, "stub", 32), DIM)
    assert (stats.embedded, stats.cached) == (100, 0) and len(first.calls) == 100
    again = StubEmbedder()
    same, stats = cached_encode(again, texts(100), EmbeddingCache(path, "stub", 32), DIM)
    assert (stats.embedded, stats.cached) == (0, 100) and again.calls == []
    assert np.array_equal(same, vectors)
    edited = texts(100)
    edited[7] = "an edited row"
    third = StubEmbedder()
    _, stats = cached_encode(third, edited, EmbeddingCache(path, "stub", 32), DIM)
    assert third.calls == ["an edited row"] and stats.cached == 99


def test_the_key_holds_the_model_and_the_truncation(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    cached_encode(StubEmbedder(), texts(5), EmbeddingCache(path, "stub", 32), DIM)
    other = StubEmbedder()
    _, stats = cached_encode(other, texts(5), EmbeddingCache(path, "stub", 64), DIM)
    assert stats.embedded == 5


def test_duplicate_texts_are_embedded_once(tmp_path: Path) -> None:
    embedder = StubEmbedder()
    vectors, stats = cached_encode(embedder, ["a b", "a b", "c"], None, DIM)
    assert embedder.calls == ["a b", "c"] and np.array_equal(vectors[0], vectors[1])
    assert (stats.embedded, stats.cached) == (2, 0)


def test_a_corrupt_file_is_rebuilt_with_one_warning(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.warns(UserWarning, match="damaged"):
        cache = EmbeddingCache(path, "stub", 32)
    _, stats = cached_encode(StubEmbedder(), texts(3), cache, DIM)
    assert stats.embedded == 3 and cache.count() == 3
    assert list(tmp_path.glob("cache.sqlite3.broken-*"))


def test_a_wrong_sized_entry_is_computed_again(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = EmbeddingCache(path, "stub", 32)
    cache.put([(text_key("text number 0"), np.ones(3, dtype=np.float32))])
    embedder = StubEmbedder()
    with pytest.warns(UserWarning, match="wrong size"):
        _, stats = cached_encode(embedder, texts(2), cache, DIM)
    assert stats.embedded == 2 and cache.count() == 2


def _writer(path: str, tag: str) -> None:
    cache = EmbeddingCache(Path(path), "stub", 32)
    for round_ in range(20):
        cached_encode(StubEmbedder(), texts(50, f"{tag}-{round_ % 5}"), cache, DIM)


def test_two_processes_share_one_cache(tmp_path: Path) -> None:
    path = str(tmp_path / "cache.sqlite3")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, tag)) for tag in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert EmbeddingCache(Path(path), "stub", 32).count() == 2 * 5 * 50


def test_a_run_killed_midway_leaves_a_usable_cache(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
        import numpy as np
        from pathlib import Path
        from auditor.embedding_cache import EmbeddingCache, text_key
        cache = EmbeddingCache(Path({str(path)!r}), "stub", 32)
        i = 0
        while True:
            cache.put([(text_key(f"row {{i}} {{j}}"), np.ones(8, np.float32)) for j in range(200)])
            i += 1
            if i == 3:
                print("ready", flush=True)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    cache = EmbeddingCache(path, "stub", 32)
    # Whole transactions only: a multiple of 200 rows, at least the three acknowledged.
    assert cache.count() % 200 == 0 and cache.count() >= 600
    _, stats = cached_encode(StubEmbedder(), ["row 0 0", "new"], cache, DIM)
    assert (stats.cached, stats.embedded) == (1, 1)


def test_a_folder_that_cannot_be_made_means_no_cache_not_a_failure(tmp_path: Path) -> None:
    from auditor.embedding_cache import CacheUnavailable

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(CacheUnavailable, match="cannot create"):
        EmbeddingCache(blocker / "cache.sqlite3", "stub", 32)


def test_a_locked_cache_is_left_alone(tmp_path: Path) -> None:
    import sqlite3

    from auditor.embedding_cache import CacheUnavailable

    path = tmp_path / "cache.sqlite3"
    first = EmbeddingCache(path, "stub", 32)
    cached_encode(StubEmbedder(), texts(5), first, DIM)
    first.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(CacheUnavailable):
            EmbeddingCache(path, "stub", 32, timeout=0.2)
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert not list(tmp_path.glob("*.broken-*"))  # not mistaken for damage
    assert EmbeddingCache(path, "stub", 32).count() == 5


def test_damage_found_mid_run_is_rebuilt_and_the_run_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = EmbeddingCache(path, "stub", 32)
    cached_encode(StubEmbedder(), texts(3000), cache, DIM)
    cache.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cache.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(2 * page, len(data) - page, 3 * page):  # scribble over many pages
        data[start + 100 : start + 400] = os.urandom(300)
    path.write_bytes(bytes(data))
    embedder = StubEmbedder()
    with pytest.warns(UserWarning, match="damaged"):
        cache = EmbeddingCache(path, "stub", 32)
        vectors, stats = cached_encode(embedder, texts(3000), cache, DIM)
    assert vectors.shape == (3000, DIM) and stats.embedded + stats.cached == 3000
    assert np.allclose(vectors, StubEmbedder().encode(texts(3000)))  # never a damaged vector
