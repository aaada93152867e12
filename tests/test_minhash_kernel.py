"""auditor.native: the compiled MinHash kernel signs exactly as the numpy route does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest

from auditor import minhash, native
from auditor.minhash import EMPTY, MinHashParams, signatures, signatures_from_shingles
from tests.test_minhash import vocabulary, zipf_text


@pytest.fixture(autouse=True)
def fresh_kernel_lookup() -> Iterator[None]:
    """Every test looks the kernel up anew, and leaves no cached answer behind."""
    native.minhash_kernel.cache_clear()
    yield
    native.minhash_kernel.cache_clear()


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
    native.minhash_kernel.cache_clear()
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
    native.minhash_kernel.cache_clear()
    monkeypatch.undo()
    monkeypatch.setattr(native.importlib.util, "find_spec", lambda name: None)
    assert native.minhash_kernel() is None
    native.minhash_kernel.cache_clear()
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
