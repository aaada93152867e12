"""Stable 64-bit hashes of words and word runs: the same in every process and release.

- `mix64`: splitmix64's finalizer, a fixed bijective mixing of uint64 values.
- `stable_word_hashes`: a word's hash is the polynomial Σ (byte + 1)·B^k modulo 2**64 over
  its UTF-8 bytes, then mixed with its length (`mix64(P ^ length)`). It depends on the
  bytes and nothing else (no library's hash), so FT507's shipped fingerprints and MinHash
  signatures keep their values across polars releases. The compiled kernel
  (auditor/_minhash_kernel.c) computes the same function in one pass.
- `RollingHashes`: any window of a run of word hashes, from prefix sums, in O(1).

A leaf module: auditor.minhash, auditor.ngrams and auditor.benchmark_ngrams build on it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

#: Odd, so it has an inverse modulo 2**64 and windows can be cut out of prefix sums.
WORD_BASE = np.uint64(0x100000001B3)
_BASE_INVERSE = np.uint64(pow(int(WORD_BASE), -1, 1 << 64))


def mix64(x: U64) -> U64:
    """splitmix64 finaliser: a fixed bijective mixing of uint64 values."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


class RollingHashes:
    """Prefix sums of a batch's word hashes: any n-word window's hash in O(1).

    h(window at i) = Σ_k t[i+k]·B^k = (P[i+n] − P[i])·B^(−i) modulo 2**64; windows never
    cross from one text into the next. The word hashes are uniform 64-bit values, so
    their weighted sum is too: no mixer is needed after it (measured: 0.6 s of 10 s).
    """

    def __init__(self, tokens: U64, lengths: I64) -> None:
        self.lengths = lengths
        self.starts = np.cumsum(lengths) - lengths
        total = tokens.size
        with np.errstate(over="ignore"):
            self.prefix = np.zeros(total + 1, dtype=np.uint64)
            np.cumsum(tokens * _powers(WORD_BASE, total), out=self.prefix[1:])
        self.inverse = _powers(_BASE_INVERSE, total + 1)

    def windows(self, n: int) -> tuple[U64, I64, I64]:
        """(hash, text, first word) of every n-word window."""
        counts = np.maximum(self.lengths - (n - 1), 0)
        total = int(counts.sum())
        if total == 0:
            empty = np.zeros(0, dtype=np.int64)
            return np.zeros(0, dtype=np.uint64), empty, empty
        doc = np.repeat(np.arange(len(self.lengths), dtype=np.int64), counts)
        offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        first = self.starts[doc] + offset
        with np.errstate(over="ignore"):
            window = (self.prefix[first + n] - self.prefix[first]) * self.inverse[first]
        return window, doc, offset

    def spans(self, first: I64, sizes: I64) -> U64:
        """Hash of the `sizes[k]` tokens from flat position `first[k]` on (any lengths)."""
        with np.errstate(over="ignore"):
            return (self.prefix[first + sizes] - self.prefix[first]) * self.inverse[first]

    def flat_windows(self, n: int) -> U64:
        """Hash of the n-token window at every flat position that has n tokens after it,
        windows that cross into the next text included: slices instead of gathers, for a
        caller that looks up all of them and keeps only its hits' `locate` that fit."""
        total = self.prefix.size - 1
        if total < n:
            return np.zeros(0, dtype=np.uint64)
        with np.errstate(over="ignore"):
            return (self.prefix[n:] - self.prefix[: total - n + 1]) * self.inverse[: total - n + 1]

    def locate(self, flat: I64) -> tuple[I64, I64]:
        """(text, word within it) of flat token positions."""
        doc = np.searchsorted(self.starts, flat, side="right").astype(np.int64) - 1
        return doc, flat - self.starts[doc]


def _powers(base: np.uint64, count: int) -> U64:
    """base**0 … base**(count-1) modulo 2**64, by repeated doubling of a block."""
    out = np.empty(max(count, 1), dtype=np.uint64)
    out[0] = 1
    filled = 1
    with np.errstate(over="ignore"):
        while filled < count:
            take = min(filled, count - filled)
            out[filled : filled + take] = out[:take] * np.uint64(pow(int(base), filled, 1 << 64))
            filled += take
    return out[:count]


def utf8_bytes(texts: pl.Series) -> bytes:
    """The UTF-8 bytes of every text of a String Series, end to end: one join in polars,
    handed over as bytes (a Python str of it, encoded, made two more copies: 0.21 s against
    0.08 s for 100k chat rows' 100 MB)."""
    joined = texts.str.join("").cast(pl.Binary).item()
    return joined if joined is not None else b""


def utf8_pieces(texts: pl.Series) -> tuple[bytes, I64]:
    """(the UTF-8 bytes of every text end to end, offsets (n + 1) of each text in them):
    what the compiled kernels walk. A null text is an empty one."""
    texts = texts.cast(pl.String).fill_null("")
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(texts.str.len_bytes().to_numpy(), out=offsets[1:])
    return (utf8_bytes(texts) if len(texts) else b""), offsets


def stable_word_hashes(words: pl.Series) -> U64:
    """A version-stable 64-bit hash of each word (a String Series of non-empty words)."""
    if words.len() == 0:
        return np.zeros(0, dtype=np.uint64)
    lengths = words.str.len_bytes().to_numpy().astype(np.int64)
    joined = utf8_bytes(words)
    data = np.frombuffer(joined, dtype=np.uint8).astype(np.uint64) + np.uint64(1)
    rolling = RollingHashes(data, lengths)
    polynomial = rolling.spans(rolling.starts, lengths)
    # The shipped fingerprints depend on mix64 (a test pins it), and so do signatures.
    return mix64(polynomial ^ lengths.astype(np.uint64))


def stable_hashes_once(words: pl.Series, lower: bool = False) -> U64:
    """`stable_word_hashes` of each word (lower-cased first with `lower`), each distinct
    word lower-cased and hashed once: a local categorical numbers them."""
    if words.len() == 0:
        return np.zeros(0, dtype=np.uint64)
    coded = words.cast(pl.Categorical(pl.Categories.random()))
    codes = coded.to_physical().to_numpy().astype(np.int64)
    distinct = coded.unique()
    table = np.zeros(int(codes.max()) + 1, dtype=np.uint64)
    texts = distinct.cast(pl.String)
    table[distinct.to_physical().to_numpy().astype(np.int64)] = stable_word_hashes(
        texts.str.to_lowercase() if lower else texts
    )
    return table[codes]
