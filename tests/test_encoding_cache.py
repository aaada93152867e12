"""tiktoken encodings rebuilt from the artifact cache count exactly as tiktoken's own, and a
damaged or missing block falls back to loading the encoding from its file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
import tiktoken

from auditor import encoding_cache
from auditor.artifact_cache import ArtifactCache
from auditor.encoding_cache import cached_encoding
from auditor.tokens import DEFAULT_ENCODING, load_tokenizer

TEXTS = [
    "Hello, world!",
    "Straße, naïve café — 東京 🚀",
    "<|endoftext|> is plain text in training data",
    "def f(x):\n    return x ** 2\n",
    "",
]


@pytest.fixture
def store(tmp_path: Path) -> ArtifactCache:
    return ArtifactCache(tmp_path / "artifacts.sqlite3")


def test_the_rebuilt_encoding_is_tiktokens(store: ArtifactCache) -> None:
    original = tiktoken.get_encoding(DEFAULT_ENCODING)
    first = cached_encoding(DEFAULT_ENCODING, store)
    rebuilt = cached_encoding(DEFAULT_ENCODING, ArtifactCache(store.path))
    assert rebuilt is not first and rebuilt is not original
    for text in TEXTS:
        assert rebuilt.encode_ordinary(text) == original.encode_ordinary(text)
        assert rebuilt.encode(text, allowed_special="all") == original.encode(
            text, allowed_special="all"
        )
    assert rebuilt.n_vocab == original.n_vocab
    assert rebuilt.special_tokens_set == original.special_tokens_set


def test_the_second_load_comes_from_the_cache(
    store: ArtifactCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached_encoding(DEFAULT_ENCODING, store)
    loads: list[str] = []
    real = tiktoken.get_encoding
    monkeypatch.setattr(tiktoken, "get_encoding", lambda name: loads.append(name) or real(name))
    cached_encoding(DEFAULT_ENCODING, ArtifactCache(store.path))
    assert loads == []


def test_a_damaged_block_loads_from_the_file(store: ArtifactCache) -> None:
    cached_encoding(DEFAULT_ENCODING, store)
    store.close()
    with sqlite3.connect(store.path) as connection:
        connection.execute("UPDATE blocks SET value = X'00010203'")
    again = ArtifactCache(store.path)
    encoding = cached_encoding(DEFAULT_ENCODING, again)
    assert encoding.encode_ordinary(TEXTS[1]) == tiktoken.get_encoding(
        DEFAULT_ENCODING
    ).encode_ordinary(TEXTS[1])


def test_pieces_that_do_not_rebuild_are_a_miss(store: ArtifactCache) -> None:
    cached_encoding(DEFAULT_ENCODING, store)
    kept = ArtifactCache(store.path).scope(
        encoding_cache._namespace(), DEFAULT_ENCODING, encoding_cache.SCHEMA
    )
    assert encoding_cache._rebuilt(DEFAULT_ENCODING, kept.stored) is not None
    no_pattern = kept.stored.filter(kept.stored["kind"] != encoding_cache._PATTERN)
    assert encoding_cache._rebuilt(DEFAULT_ENCODING, no_pattern) is None
    no_ranks = kept.stored.filter(kept.stored["kind"] != encoding_cache._RANK)
    assert encoding_cache._rebuilt(DEFAULT_ENCODING, no_ranks) is None


def test_the_namespace_names_both_packages() -> None:
    name = encoding_cache._namespace()
    assert "tiktoken=" in name and "offline=" in name


def test_counts_through_a_cached_encoding_equal_counts_without(store: ArtifactCache) -> None:
    plain = load_tokenizer(None)
    cached_encoding(DEFAULT_ENCODING, store)  # the block exists: the next load rebuilds
    through = load_tokenizer(None)
    through.load_from(ArtifactCache(store.path))
    assert np.array_equal(through.count_batch(TEXTS), plain.count_batch(TEXTS))
