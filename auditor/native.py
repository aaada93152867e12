"""The optional compiled kernels (auditor/_minhash_kernel.c, auditor/_plain_json.c), called
through ctypes.

MinHash signing (`minhash_kernel`), the word split and stable word hash that shingles and
n-grams start from (`word_hash_kernel`), the shingle hashes of word runs
(`ngram_hash_kernel`), LSH band keys (`band_key_kernel`), and which JSON Lines are plain
chat records (`plain_chat_kernel`). setup.py builds them wherever a C compiler is at hand;
where none is, or the build is stale or cannot be loaded, they are None and ftaudit takes
its numpy, polars and Python routes, which give the same values, only slower.
`FTAUDIT_NATIVE=0` turns the kernels off (to compare the routes, or to rule them out).
ctypes releases the GIL during each call, so batches signed on a
thread per core still run in parallel.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

#: The C file's KERNEL_VERSION this module calls; a build of another version is not used.
KERNEL_VERSION = 6
#: Set to "0" to take the numpy and polars routes even where the kernels are built.
NATIVE_ENV = "FTAUDIT_NATIVE"

U16 = npt.NDArray[np.uint16]
U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

#: (out, shingles, counts, a, b): fills the rows of `out` whose document has shingles.
SignInto = Callable[[U16, U32, I64, U32, U32], None]
#: (UTF-8 bytes of the texts, offsets (n + 1), base) -> (flat word hashes, words per text).
HashWords = Callable[[bytes, I64, int], tuple[U64, I64]]
#: (flat word hashes, words per text, n) -> flat n-gram hashes of the windows within texts.
HashNgrams = Callable[[U64, I64, int], U64]
#: (signatures (n, num_perm), band, rows per band) -> one key per row.
BandKeys = Callable[[U16, int, int], U64]
#: (UTF-8 bytes of the texts, offsets (n + 1), base) -> (flat word hashes, words per text,
#: (position, start, length) of each word the caller must lower-case and hash itself).
HashBreakWords = Callable[[bytes, I64, int], tuple[U64, I64, I64]]
#: (the lines' bytes, offsets (n + 1)) -> whether each line is a plain chat record.
PlainChat = Callable[[bytes, I64], npt.NDArray[np.bool_]]

_POINTER = ctypes.c_void_p


@cache
def _library() -> ctypes.CDLL | None:
    """The built kernels, or None where they are off, not built, or of another version."""
    if os.environ.get(NATIVE_ENV, "1") == "0":
        return None
    spec = importlib.util.find_spec("auditor._minhash_kernel")
    if spec is None or spec.origin is None:
        return None
    try:
        library = ctypes.CDLL(spec.origin)
        version = library.ftaudit_kernel_version
    except (OSError, AttributeError):
        return None
    version.restype = ctypes.c_int32
    return library if version() == KERNEL_VERSION else None


def clear() -> None:
    """Look the kernels up again on next use (after FTAUDIT_NATIVE changes)."""
    _library.cache_clear()
    minhash_kernel.cache_clear()
    word_hash_kernel.cache_clear()
    ngram_hash_kernel.cache_clear()
    band_key_kernel.cache_clear()
    plain_chat_kernel.cache_clear()
    break_word_kernel.cache_clear()


def _function(name: str, restype: type | None, *argtypes: type) -> Any | None:
    """The C function `name` of the built kernels with its types set, or None."""
    library = _library()
    if library is None:
        return None
    function = getattr(library, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


_I64 = ctypes.c_int64


def _checked_offsets(offsets: I64, data: bytes) -> I64:
    """Offsets (n + 1) of n pieces of `data`, as the C loops walk them: contiguous int64,
    rising from 0 to the length of the data (a C loop never reads past its buffer)."""
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    if (
        offsets.size < 1
        or offsets[0] != 0
        or offsets[-1] != len(data)
        or (np.diff(offsets) < 0).any()
    ):
        raise ValueError("offsets must rise from 0 to the length of the data")
    return offsets


@cache
def minhash_kernel() -> SignInto | None:
    """The compiled signing function, or None where it is off, not built, or stale."""
    # (shingles, counts, n_docs, a, b, num_perm, scratch, out)
    pointer, size = _POINTER, _I64
    sign = _function(
        "ftaudit_minhash_u16", None, pointer, pointer, size, pointer, pointer, ctypes.c_int32,
        pointer, pointer,
    )  # fmt: skip
    if sign is None:
        return None

    def sign_into(out: U16, shingles: U32, counts: I64, a: U32, b: U32) -> None:
        n_docs, num_perm = out.shape
        # The C loop walks raw memory: every array must be contiguous and of its dtype.
        if not (out.flags.c_contiguous and out.dtype == np.uint16 and out.flags.writeable):
            raise ValueError("out must be a writeable C-contiguous uint16 matrix")
        shingles = np.ascontiguousarray(shingles, dtype=np.uint32)
        counts = np.ascontiguousarray(counts, dtype=np.int64)
        a = np.ascontiguousarray(a, dtype=np.uint32)
        b = np.ascontiguousarray(b, dtype=np.uint32)
        if counts.shape != (n_docs,) or a.shape != (num_perm,) or b.shape != (num_perm,):
            raise ValueError("counts, a and b do not match out's shape")
        if int(counts.sum()) > shingles.size or (counts < 0).any():
            raise ValueError("counts ask for more shingles than given")
        scratch = np.empty(num_perm, dtype=np.uint32)
        sign(
            shingles.ctypes.data,
            counts.ctypes.data,
            n_docs,
            a.ctypes.data,
            b.ctypes.data,
            num_perm,
            scratch.ctypes.data,
            out.ctypes.data,
        )

    return sign_into


@cache
def word_hash_kernel() -> HashWords | None:
    """The compiled word split and hash, or None where it is off, not built, or stale."""
    hash_words = _function(
        "ftaudit_word_hashes",
        _I64,
        ctypes.c_char_p,
        _POINTER,
        _I64,
        ctypes.c_uint64,
        _POINTER,
        _I64,
        _POINTER,
    )
    if hash_words is None:
        return None

    def words_of(data: bytes, offsets: I64, base: int) -> tuple[U64, I64]:
        offsets = _checked_offsets(offsets, data)
        n_texts = offsets.size - 1
        # A word is a byte at least, and words are apart by a separator at least.
        capacity = (len(data) + n_texts) // 2 + 1
        out = np.empty(capacity, dtype=np.uint64)
        words = np.zeros(n_texts, dtype=np.int64)
        total = hash_words(
            data, offsets.ctypes.data, n_texts, base, out.ctypes.data, capacity, words.ctypes.data
        )
        if total < 0:  # cannot happen with the capacity above; never read past `out`
            raise RuntimeError("word hash buffer too small")
        # A copy of what was written: `out` was sized for the worst case (~4x the text).
        return out[:total].copy(), words

    return words_of


@cache
def ngram_hash_kernel() -> HashNgrams | None:
    """The compiled shingle hashing, or None where it is off, not built, or stale."""
    hash_ngrams = _function(
        "ftaudit_ngram_hashes", None, _POINTER, _POINTER, _I64, ctypes.c_int32, _POINTER
    )
    if hash_ngrams is None:
        return None

    def ngrams_of(tokens: U64, lengths: I64, n: int) -> U64:
        tokens = np.ascontiguousarray(tokens, dtype=np.uint64)
        lengths = np.ascontiguousarray(lengths, dtype=np.int64)
        if n < 1 or (lengths < 0).any() or int(lengths.sum()) > tokens.size:
            raise ValueError("lengths ask for more tokens than given, or n < 1")
        out = np.empty(int(np.maximum(lengths - (n - 1), 0).sum()), dtype=np.uint64)
        hash_ngrams(tokens.ctypes.data, lengths.ctypes.data, lengths.size, n, out.ctypes.data)
        return out

    return ngrams_of


@cache
def band_key_kernel() -> BandKeys | None:
    """The compiled LSH band keys, or None where they are off, not built, or stale."""
    band_keys = _function(
        "ftaudit_band_keys", None, _POINTER, _I64, ctypes.c_int32, ctypes.c_int32,
        ctypes.c_int32, _POINTER,
    )  # fmt: skip
    if band_keys is None:
        return None

    def keys_of(sigs: U16, band: int, rows: int) -> U64:
        sigs = np.ascontiguousarray(sigs, dtype=np.uint16)
        n_rows, num_perm = sigs.shape
        if band < 0 or rows < 1 or (band + 1) * rows > num_perm:
            raise ValueError("the band lies outside the signatures")
        out = np.empty(n_rows, dtype=np.uint64)
        band_keys(sigs.ctypes.data, n_rows, num_perm, band, rows, out.ctypes.data)
        return out

    return keys_of


@cache
def plain_chat_kernel() -> PlainChat | None:
    """The compiled plain-chat test of JSON lines (auditor/_plain_json.c), or None where
    it is off, not built, or stale."""
    classify = _function("ftaudit_plain_chat", None, ctypes.c_char_p, _POINTER, _I64, _POINTER)
    if classify is None:
        return None

    def plain_lines(data: bytes, offsets: I64) -> npt.NDArray[np.bool_]:
        offsets = _checked_offsets(offsets, data)
        n_lines = offsets.size - 1
        out = np.zeros(n_lines, dtype=np.uint8)
        classify(data, offsets.ctypes.data, n_lines, out.ctypes.data)
        return out.view(np.bool_)

    return plain_lines


@cache
def break_word_kernel() -> HashBreakWords | None:
    """The compiled word split and hash of FT507 (auditor.benchmark_ngrams), or None where
    it is off, not built, or stale."""
    hash_words = _function(
        "ftaudit_break_word_hashes", _I64, ctypes.c_char_p, _POINTER, _I64, ctypes.c_uint64,
        _POINTER, _I64, _POINTER, _POINTER, _POINTER,
    )  # fmt: skip
    if hash_words is None:
        return None

    def words_of(data: bytes, offsets: I64, base: int) -> tuple[U64, I64, I64]:
        offsets = _checked_offsets(offsets, data)
        n_texts = offsets.size - 1
        capacity = (len(data) + n_texts) // 2 + 1
        out = np.empty(capacity, dtype=np.uint64)
        words = np.zeros(n_texts, dtype=np.int64)
        wide = np.empty(3 * capacity, dtype=np.int64)  # pages are touched only as written
        n_wide = np.zeros(1, dtype=np.int64)
        total = hash_words(
            data, offsets.ctypes.data, n_texts, base, out.ctypes.data, capacity,
            words.ctypes.data, wide.ctypes.data, n_wide.ctypes.data,
        )  # fmt: skip
        if total < 0:  # cannot happen with the capacity above; never read past a buffer
            raise RuntimeError("word hash buffer too small")
        return out[:total].copy(), words, wide[: 3 * int(n_wide[0])].reshape(-1, 3).copy()

    return words_of
