"""auditor.native: the compiled kernels give exactly what the numpy and polars routes give."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import minhash, native
from auditor.minhash import (
    EMPTY,
    MinHashParams,
    shingle_groups,
    signatures,
    signatures_from_shingles,
    word_tokens,
)
from auditor.word_hashes import stable_hashes_once, stable_word_hashes
from tests.test_minhash import vocabulary, zipf_text

#: Separators, their neighbours in ASCII, NUL, whitespace beyond ASCII, case, scripts.
PIECES = [
    *" \t\n\v\f\r!/:@[`{~09AZaz\x00\x08\x0e\x7f\u00a0\u2028",
    "word",
    "İstanbul",
    "ΣΑΣ",
    "ß",
    "🙂",
    "naïve",
    "--",
    "...",
]


@pytest.fixture(autouse=True)
def fresh_kernel_lookup() -> Iterator[None]:
    """Every test looks the kernel up anew, and leaves no cached answer behind."""
    native.clear()
    yield
    native.clear()


def numpy_signatures(hashes: np.ndarray, counts: np.ndarray, params: MinHashParams) -> np.ndarray:
    out = np.full((len(counts), params.num_perm), EMPTY, dtype=np.uint16)
    minhash._sign_with_numpy(out, hashes, counts, params)
    return out


def test_the_kernel_is_built_by_the_install() -> None:
    # setup.py builds it optionally; this environment (a C compiler is at hand, as in CI)
    # must have it, or every benchmark number of the signing would be the numpy route's.
    assert native.minhash_kernel() is not None


@pytest.mark.parametrize("num_perm", [128, 64, 100, 1])
def test_kernel_equals_numpy_on_random_shingles(num_perm: int) -> None:
    rng = np.random.default_rng(num_perm)
    params = MinHashParams(num_perm=num_perm, batch_shingles=256)
    # Empty documents, one-shingle ones, and some longer than the numpy route's batch.
    counts = rng.choice([0, 1, 2, 7, 180, 300, 5000], size=400).astype(np.int64)
    hashes = rng.integers(0, 2**32, size=int(counts.sum()), dtype=np.uint64)
    hashes[:3] = [0, 2**32 - 1, 2**31]  # the ends of the 32-bit range
    kernel = signatures_from_shingles(hashes, counts, params)
    assert native.minhash_kernel() is not None
    assert kernel.dtype == np.uint16
    assert np.array_equal(kernel, numpy_signatures(hashes, counts, params))
    assert (kernel[counts == 0] == EMPTY).all()


def test_signatures_of_texts_equal_the_numpy_route(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    vocab = vocabulary(rng, 800)
    # More texts than one batch, so the kernel runs on a thread per core as well.
    texts = [" ".join(zipf_text(rng, vocab, int(rng.integers(0, 90)))) for _ in range(5000)]
    texts[:3] = ["", "refund my order", "a"]
    monkeypatch.setenv(native.NATIVE_ENV, "0")
    assert native.minhash_kernel() is None
    by_numpy = signatures(texts)
    monkeypatch.delenv(native.NATIVE_ENV)
    native.clear()
    assert native.minhash_kernel() is not None
    assert np.array_equal(signatures(texts), by_numpy)


def test_numpy_route_in_another_process_gives_the_same_signatures() -> None:
    texts = ["the cat sat on the mat today", "refund my order please", ""]
    code = (
        "import sys\n"
        "from auditor.native import minhash_kernel\n"
        "from auditor.minhash import signatures\n"
        "assert minhash_kernel() is None\n"
        f"s = signatures({texts!r})\n"
        "sys.stdout.write(','.join(map(str, s.ravel().tolist())))\n"
    )
    env = {**os.environ, native.NATIVE_ENV: "0"}
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert there == ",".join(map(str, signatures(texts).ravel().tolist()))


def test_a_missing_or_stale_build_falls_back_to_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "KERNEL_VERSION", native.KERNEL_VERSION + 1)
    assert native.minhash_kernel() is None
    assert native.word_hash_kernel() is None
    assert native.ngram_hash_kernel() is None
    assert native.band_key_kernel() is None
    native.clear()
    monkeypatch.undo()
    monkeypatch.setattr(native.importlib.util, "find_spec", lambda name: None)
    assert native.minhash_kernel() is None
    native.clear()
    monkeypatch.undo()
    assert native.minhash_kernel() is not None
    # With no kernel, signatures_from_shingles takes the numpy route.
    monkeypatch.setattr(minhash, "minhash_kernel", lambda: None)
    counts = np.array([3, 0, 2], dtype=np.int64)
    hashes = np.arange(5, dtype=np.uint64) * np.uint64(2654435761)
    assert np.array_equal(
        signatures_from_shingles(hashes, counts, MinHashParams()),
        numpy_signatures(hashes, counts, MinHashParams()),
    )


def test_kernel_refuses_mismatched_arrays() -> None:
    sign = native.minhash_kernel()
    assert sign is not None
    a = np.ones(128, dtype=np.uint32)
    out = np.zeros((2, 128), dtype=np.uint16)
    with pytest.raises(ValueError, match="more shingles"):
        sign(out, np.zeros(3, np.uint32), np.array([2, 2], np.int64), a, a)
    with pytest.raises(ValueError, match="shape"):
        sign(out, np.zeros(3, np.uint32), np.array([3], np.int64), a, a)
    with pytest.raises(ValueError, match="uint16"):
        sign(out.astype(np.uint32), np.zeros(3, np.uint32), np.array([1, 2], np.int64), a, a)


def fallback_words(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The polars split and numpy stable hash: the route without the kernel."""
    words, counts = minhash._split_words(minhash._lowered(texts))
    return stable_hashes_once(words), counts


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=12).map("".join), max_size=20))
def test_word_hash_kernel_equals_the_polars_split(texts: list[str]) -> None:
    assert native.word_hash_kernel() is not None
    kernel = minhash._word_hashes(minhash._lowered(texts))
    fallback = fallback_words(texts)
    assert np.array_equal(kernel[0], fallback[0])
    assert np.array_equal(kernel[1], fallback[1])


def test_word_hashes_are_the_stable_word_hash() -> None:
    hashes, counts = word_tokens(["Refund, my ORDER!", "", "naïve\tcafé"])
    expected = stable_word_hashes(pl.Series(["refund", "my", "order", "naïve", "café"]))
    assert counts.tolist() == [3, 0, 2]
    assert np.array_equal(hashes, expected)


def test_shingles_and_word_tokens_are_the_same_without_the_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(11)
    vocab = vocabulary(rng, 300)
    texts = [" ".join(zipf_text(rng, vocab, int(rng.integers(0, 40)))) for _ in range(500)]
    texts += ["hi", "a b", "", "Short text."]
    params = MinHashParams()
    with_kernel = shingle_groups(texts, params), word_tokens(texts)
    monkeypatch.setenv(native.NATIVE_ENV, "0")
    native.clear()
    assert native.word_hash_kernel() is None
    without = shingle_groups(texts, params), word_tokens(texts)
    for (rows, hashes, counts), (rows2, hashes2, counts2) in zip(
        with_kernel[0], without[0], strict=True
    ):
        assert np.array_equal(rows, rows2)
        assert np.array_equal(hashes, hashes2)
        assert np.array_equal(counts, counts2)
    assert all(np.array_equal(a, b) for a, b in zip(with_kernel[1], without[1], strict=True))


def test_word_hash_kernel_refuses_offsets_that_do_not_fit() -> None:
    words_of = native.word_hash_kernel()
    assert words_of is not None
    with pytest.raises(ValueError, match="offsets"):
        words_of(b"abc def", np.array([0, 3], np.int64), 31)
    with pytest.raises(ValueError, match="offsets"):
        words_of(b"abc", np.array([0, 2, 1, 3], np.int64), 31)
    hashes, counts = words_of(b"", np.array([0], np.int64), 31)
    assert hashes.size == 0 and counts.size == 0


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_ngram_hash_kernel_equals_numpy(n: int) -> None:
    rng = np.random.default_rng(n)
    lengths = rng.choice([0, 1, 2, 3, 4, 5, 9, 40], size=300).astype(np.int64)
    tokens = rng.integers(0, 2**64, size=int(lengths.sum()), dtype=np.uint64)
    kernel = minhash._ngram_hashes(tokens, lengths, n)
    by_numpy = minhash._ngram_hashes_numpy(tokens, lengths, n)
    assert native.ngram_hash_kernel() is not None
    assert np.array_equal(kernel[0], by_numpy[0]) and np.array_equal(kernel[1], by_numpy[1])
    assert (kernel[0] < 2**32).all()
    empty = minhash._ngram_hashes(tokens[:0], np.zeros(4, np.int64), n)
    assert empty[0].size == 0 and empty[1].tolist() == [0, 0, 0, 0]


def test_ngram_hash_kernel_refuses_lengths_beyond_the_tokens() -> None:
    ngrams_of = native.ngram_hash_kernel()
    assert ngrams_of is not None
    with pytest.raises(ValueError, match="lengths"):
        ngrams_of(np.zeros(3, np.uint64), np.array([2, 2], np.int64), 2)
    with pytest.raises(ValueError, match="n < 1"):
        ngrams_of(np.zeros(3, np.uint64), np.array([3], np.int64), 0)


@pytest.mark.parametrize(("num_perm", "rows"), [(128, 5), (128, 7), (64, 4), (100, 1)])
def test_band_key_kernel_equals_numpy(num_perm: int, rows: int) -> None:
    rng = np.random.default_rng(num_perm + rows)
    sigs = rng.integers(0, 2**16, size=(500, num_perm), dtype=np.uint64).astype(np.uint16)
    sigs[:3] = EMPTY
    keys_of = native.band_key_kernel()
    assert keys_of is not None
    for band in range(num_perm // rows):
        assert np.array_equal(keys_of(sigs, band, rows), minhash._band_key_numpy(sigs, band, rows))
    # A strided view is made contiguous first.
    assert np.array_equal(keys_of(sigs[::2], 0, rows), minhash._band_key_numpy(sigs[::2], 0, rows))
    assert np.array_equal(minhash.band_key(sigs, 0, MinHashParams()), keys_of(sigs, 0, 5))
    with pytest.raises(ValueError, match="outside"):
        keys_of(sigs, num_perm // rows + 1, rows)


FT507_ALPHABET = [
    *"abcXYZ09 .,;:'\"!?-_/\\()[]{}@#\t\n\r\x0b\x0c",
    *["\u00a0", "\u2009", "\u200a", "\u200b", "\u202f", "\u3000", "\u2018", "\u2019"],
    *["\u201a", "\u201b", "\u201c", "\u201d", "\u201e", "\u2013", "\u2014", "\u2015"],
    *["\u2026", "\u00ab", "\u00bb", "\u2028", "\u0085", "\u2012", "\u00ad"],
    *["É", "é", "Σ", "ΟΔΟΣ", "ß", "ẞ", "İ", "ı", "Ǆ", "🙂", "東京", "\u0301"],
]


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(
        st.one_of(st.none(), st.lists(st.sampled_from(FT507_ALPHABET), max_size=30).map("".join)),
        max_size=12,
    )
)
def test_the_ft507_word_kernel_splits_and_hashes_as_polars(texts: list[str | None]) -> None:
    from auditor import benchmark_ngrams
    from auditor.word_hashes import stable_hashes_once

    series = pl.Series(texts, dtype=pl.String)
    hashes, lengths = benchmark_ngrams.stable_tokens(series)
    words, expected_lengths = benchmark_ngrams.word_split(series)
    assert np.array_equal(lengths, expected_lengths)
    assert np.array_equal(hashes, stable_hashes_once(words, lower=True))
