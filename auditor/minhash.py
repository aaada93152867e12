"""MinHash near-duplicate detection: shingles → signatures → LSH candidates → verified clusters.

Batch functions with no global state: texts (a polars Series or a sequence of str) in,
numpy arrays out, identical for a fixed seed in any process. Nothing here calls Python's
process-randomized `hash()`. Words are hashed with ftaudit's own stable word hash (the one
FT507's shipped fingerprints use: a polynomial over the word's bytes, mixed), so
signatures depend on no library's hash function; polars still lower-cases the texts, and
its seeded hash groups identical texts, so a signature cache keys on the polars version.

Shingles. Words are the lower-cased text split at whitespace and ASCII punctuation; a
shingle is `ngram` consecutive words, their token hashes combined into one hash with
numpy arithmetic (kept to 32 bits). The compiled kernel (auditor.native) splits and hashes
the words in one pass over the bytes; without it polars splits and numpy hashes, to the
same values. Texts of fewer than
`short_text_words` words use character `char_ngram`-grams instead, so "refund my order"
vs "refund my orders" still compares by more than one or two shingles.

Defaults — measured, not copied. The common dedup setting (word 5-grams, Jaccard ≥ 0.8,
as in datasketch's examples and the "Deduplicating Training Data Makes Language Models
Better" line of work) targets web-scale copies. What a data team means by a
near-duplicate is a copy with a few words edited, and 5-gram Jaccard falls fast with
edits. Measured with tests/test_minhash.py's generator (30–80-word texts, 5,000-word
Zipf–Mandelbrot vocabulary, edits = random word substitutions / insertions / deletions),
exact Jaccard over 400 copies, median (5th percentile):

    words edited       5%            10%           20%         | 800 unrelated pairs, max
    word 5-grams   0.64 (0.53)   0.44 (0.34)   0.24 (0.14)     |   0.000
    word 3-grams   0.77 (0.70)   0.61 (0.54)   0.41 (0.32)     |   0.000
    word 2-grams   0.85 (0.80)   0.73 (0.68)   0.55 (0.49)     |   0.031

At 5-grams / 0.8 only 2% of 5%-edited copies and none of the 10%-edited ones count.
End-to-end recall (LSH + verification, 2,000 planted pairs each; no unplanted pair was
reported in any run):

    setting                        bands×rows   5%     10%    20%
    3-grams, ≥ 0.5                 32×4        1.000  0.958  0.107
    2-grams, ≥ 0.5                 32×4        1.000  1.000  0.817
    2-grams, ≥ 0.6                 25×5        1.000  0.988  0.249
    2-grams, ≥ 0.6, equal weights  18×7        0.998  0.870  0.147

Defaults: `ngram=2, threshold=0.6`. 5–10%-edited copies count; 20%-edited ones are
borderline, as they should be; and a row must share 60% of its word pairs with another
before it counts, which keeps templated rows (a long shared opener, different
questions) apart. Bands are chosen weighting a missed pair 9:1 over a spurious
candidate (candidates are verified anyway; the last row shows datasketch's equal
weights).

Signatures. 128 permutations of the 32-bit shingle hashes, h_i(x) = (a_i·x + b_i) mod 2³²
with a_i odd and b_i from numpy's seeded generator — datasketch's linear (a·x + b) mod p
scheme with a power-of-two modulus, which numpy computes in uint32 without a division
(2.7× faster than the uint64 route). The shingle hashes are already well mixed, and on
3,000 planted pairs the estimate's bias (+0.0003) and spread (0.0400 vs. the theoretical
0.0394) matched a 64-bit multiply-shift hash. The minima are taken by a small compiled
kernel (auditor/_minhash_kernel.c, through auditor.native) where setup.py could build it,
each shingle's products kept in vector registers: the 17M shingles of 100k chat texts in
0.13 s against numpy's 1.57 s (rensa's Rust: 0.16 s; benchmarks/MINHASH.md). Without
it, numpy takes them with `np.minimum.reduceat` over a reused (num_perm, `batch_shingles`)
buffer. Both give the same values (tests/test_minhash_kernel.py).

Only the low 16 bits of each minimum are kept (b-bit MinHash, Li & König 2010): two
different minima then agree by chance with probability 2⁻¹⁶, which raises an estimate
by at most (1 − J)·2⁻¹⁶ < 0.00002, while the signatures of 100k texts take 25 MB instead
of 50 MB (uint32) or 100 MB (uint64) — they are kept for the whole audit, one matrix
per compared view. The low bits are the ones to keep: the minimum's high bits are
biased toward zero, its low bits are not. Measured at 16 bits against exact 2-gram
Jaccard: on 3,000 planted 10%-edited pairs, bias −0.0010 (standard error 0.0007) and
spread 0.0395 (theory 0.0390); on 20,000 unrelated pairs, bias −0.00002. Re-measured
after words moved to the stable word hash (another seed, the same generator): bias
−0.0004 (standard error 0.0007), spread 0.0402; unrelated pairs +0.0001; end-to-end
recall at 25×5 bands 1.000, 0.992 and 0.224 for 5%, 10% and 20% edits.

LSH. Bands and rows come from datasketch's `_optimal_param` search (redone with numpy,
same results, without importing scipy) for the threshold; each band's
rows are mixed into one uint64 key, equal keys are grouped by sorting, and members of a
bucket become candidate pairs. Identical texts are collapsed first (they are a cluster of
similarity 1.0), and a bucket larger than `max_bucket` pairs each member only with its
`max_bucket` neighbours in the bucket, so a pathological bucket costs linear work.

Verification. A candidate counts only when its signature-estimated Jaccard reaches the
threshold. Each band's candidates are verified as soon as that band is banded, so memory
follows the verified pairs rather than all candidates. Clusters are connected components
of verified pairs, then every member is checked against the cluster's representative
(its best-connected member); members below the threshold are split off and re-clustered,
so a chain of moderately similar rows never snowballs: every member is within the
threshold of its representative.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl

from auditor.batch_engine import LOCAL, BatchEngine, batch_at, batch_starts, joined, on_threads
from auditor.native import band_key_kernel, minhash_kernel, ngram_hash_kernel, word_hash_kernel
from auditor.word_hashes import WORD_BASE, mix64, stable_hashes_once, utf8_pieces

if TYPE_CHECKING:
    from auditor.artifact_cache import ArtifactCache

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
U16 = npt.NDArray[np.uint16]
I64 = npt.NDArray[np.int64]

#: Signature value of a document without shingles. An empty text's row is all EMPTY; a
#: real text has it in one permutation with probability 2⁻¹⁶, in the first LIVE_PERMS
#: together with probability 2⁻⁶⁴ (never, in practice), which is what marks a row empty.
EMPTY = np.uint16(0xFFFF)
LIVE_PERMS = 4
_MASK32 = np.uint64(0xFFFFFFFF)
#: Fixed seed for polars' token hash (any constants; fixed so every process agrees).
_TOKEN_SEED = 0x5EED_0001


@dataclass(frozen=True)
class MinHashParams:
    """Shingling, signature and LSH settings (defaults: see the module docstring)."""

    num_perm: int = 128
    ngram: int = 2
    char_ngram: int = 4
    short_text_words: int = 5
    threshold: float = 0.6
    seed: int = 1
    #: Shingles per batch of the numpy signing route (the compiled kernel needs none): a
    #: (128, 4096) uint32 buffer (2 MB) stays in cache; on 100k chat texts 0.80 s against
    #: 1.01 s at 8,192 (medians of 3; 2,048 is slower).
    batch_shingles: int = 4096
    #: Texts shingled at once: 2,048 keeps polars' exploded words for one batch around
    #: 15 MB (8,192 cost 60 MB more at the peak, and no measurable time).
    batch_texts: int = 2048
    max_bucket: int = 64
    #: Weight of missed pairs vs. spurious candidates when choosing bands; candidates are
    #: verified anyway, so a miss costs more than a false candidate.
    false_negative_weight: float = 0.9

    def signature_settings(self) -> tuple[int, ...]:
        """The settings signatures depend on (not the threshold or batch sizes)."""
        return (self.num_perm, self.ngram, self.char_ngram, self.short_text_words, self.seed)

    def bands(self) -> tuple[int, int]:
        """(bands, rows) minimising weighted false positives + negatives (datasketch's way)."""
        return _optimal_bands(self.threshold, self.num_perm, self.false_negative_weight)


@lru_cache(maxsize=64)
def _optimal_bands(
    threshold: float, num_perm: int, false_negative_weight: float
) -> tuple[int, int]:
    """datasketch.lsh._optimal_param's search, integrated with numpy (importing datasketch
    pulls in scipy: 0.6 s, more than the banding itself)."""
    s = np.linspace(0.0, 1.0, 2001)
    below, above = s <= threshold, s >= threshold
    best, best_error = (1, num_perm), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            p = 1.0 - (1.0 - s**rows) ** bands
            false_positive = float(np.trapezoid(p[below], s[below]))
            false_negative = float(np.trapezoid(1.0 - p[above], s[above]))
            weight = false_negative_weight
            error = (1.0 - weight) * false_positive + weight * false_negative
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


@dataclass(frozen=True)
class NearDuplicateCluster:
    """Rows (0-based) that are near-copies of their representative."""

    members: tuple[int, ...]
    representative: int
    min_similarity: float
    max_similarity: float

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class NearDuplicateClusters:
    """Clusters of size ≥ 2; `labels[i]` is row i's cluster index, or -1."""

    rows: int
    labels: I64
    clusters: list[NearDuplicateCluster] = field(default_factory=list)

    @property
    def unique_count(self) -> int:
        """Rows after keeping one per cluster (singletons count as their own cluster)."""
        return self.rows - sum(c.size - 1 for c in self.clusters)

    @property
    def duplicate_rate(self) -> float:
        """(rows − clusters) / rows, singletons counted as clusters."""
        return (self.rows - self.unique_count) / self.rows if self.rows else 0.0

    @property
    def largest_share(self) -> float:
        largest = max((c.size for c in self.clusters), default=1 if self.rows else 0)
        return largest / self.rows if self.rows else 0.0


# --- hashing helpers ------------------------------------------------------------------------


def _as_series(texts: pl.Series | Sequence[str]) -> pl.Series:
    if isinstance(texts, pl.Series):
        return texts.cast(pl.String)
    return pl.Series("text", list(texts), dtype=pl.String)


def _mix64_inplace(x: U64, scratch: U64) -> None:
    """`mix64` of x, in place (`scratch`: a buffer of x's size): no fresh temporaries."""
    np.right_shift(x, np.uint64(30), out=scratch)
    x ^= scratch
    x *= np.uint64(0xBF58476D1CE4E5B9)
    np.right_shift(x, np.uint64(27), out=scratch)
    x ^= scratch
    x *= np.uint64(0x94D049BB133111EB)
    np.right_shift(x, np.uint64(31), out=scratch)
    x ^= scratch


def _ngram_hashes(tokens: U64, lengths: I64, n: int) -> tuple[U64, I64]:
    """Hashes of the n-grams of each document's token run, and their count per document:
    by the compiled kernel where it is built (auditor.native), else by numpy, to the same
    values."""
    kernel = ngram_hash_kernel()
    if kernel is not None:
        return kernel(tokens, lengths, n), np.maximum(lengths - (n - 1), 0)
    return _ngram_hashes_numpy(tokens, lengths, n)


def _ngram_hashes_numpy(tokens: U64, lengths: I64, n: int) -> tuple[U64, I64]:
    """`_ngram_hashes` in numpy.

    Every window of n tokens is hashed from contiguous slices, in place, then the windows
    that cross a document's end are dropped: on 20k chat texts 33 ms against 63 ms for
    gathering the kept windows' tokens through index arrays (CPU time, medians of 3).
    """
    counts = np.maximum(lengths - (n - 1), 0)
    windows = tokens.size - (n - 1)
    if windows <= 0 or counts.sum() == 0:
        return np.zeros(0, dtype=np.uint64), counts
    # A window starts an n-gram unless it starts in the last n-1 tokens of its document.
    ends = np.cumsum(lengths)
    starts_ngram = np.ones(windows, dtype=bool)
    for j in range(1, n):
        last = ends[lengths >= j] - j
        starts_ngram[last[last < windows]] = False
    combined = tokens[:windows].copy()
    scratch = np.empty_like(combined)
    with np.errstate(over="ignore"):
        for k in range(1, n):
            combined *= np.uint64(0x9E3779B97F4A7C15)
            combined += tokens[k : k + windows]
            _mix64_inplace(combined, scratch)
    combined &= _MASK32
    return combined[starts_ngram], counts


#: Word separators other than the space; each run becomes one space, then texts are split
#: at spaces (a class with the space in it matches every gap: 4x slower replacements).
_SEPARATORS = r"[[:punct:]\t\n\r\f\v]+"


def _lowered(texts: pl.Series | Sequence[str]) -> pl.Series:
    return _as_series(texts).fill_null("").str.to_lowercase()


def _split_words(lowered: pl.Series) -> tuple[pl.Series, I64]:
    """(every word of the lower-cased texts, in order; words per text), split with polars:
    the route of `_word_hashes` when the compiled kernel is not there."""
    split = lowered.str.replace_all(_SEPARATORS, " ").str.split(" ")
    per_text = split.list.len().to_numpy().astype(np.int64)
    pieces = split.explode()
    if len(pieces) != per_text.sum():  # explode made a null row of an empty list
        per_text = np.maximum(per_text, 1)
    is_word = pieces.str.len_bytes().fill_null(0).to_numpy() > 0
    if len(lowered) == 0:
        return pieces, np.zeros(0, dtype=np.int64)
    # Every text has at least one piece, so the starts increase (reduceat needs that).
    words = np.add.reduceat(is_word, np.cumsum(per_text) - per_text, dtype=np.int64)
    return pieces.filter(pl.Series(is_word)), words


def _word_hashes(lowered: pl.Series) -> tuple[U64, I64]:
    """(flat 64-bit hashes of every word of the lower-cased texts, words per text).

    A word is a maximal run of bytes other than whitespace and ASCII punctuation; its hash
    is the stable word hash of auditor.word_hashes (`stable_word_hashes`: a polynomial
    over its bytes, mixed), so signatures depend on no library's hash. The
    compiled kernel splits and hashes in one pass over the bytes (auditor.native); without
    it polars splits and numpy hashes each distinct word once, to the same values.
    """
    kernel = word_hash_kernel()
    if kernel is None:
        words, counts = _split_words(lowered)
        return stable_hashes_once(words), counts
    return kernel(*utf8_pieces(lowered), int(WORD_BASE))


def word_tokens(texts: pl.Series | Sequence[str]) -> tuple[U64, I64]:
    """(flat 64-bit word hashes, words per text): the words MinHash shingles, as hashes.

    The same split as `shingle_groups` (lower case, whitespace and ASCII punctuation), for
    the n-gram contamination check (auditor.leakage).
    """
    return _word_hashes(_lowered(texts))


def shingle_groups(
    texts: pl.Series | Sequence[str], params: MinHashParams
) -> list[tuple[I64, U64, I64]]:
    """(rows, flat 32-bit shingle hashes, shingle count per row) for word and short texts.

    Words are the lower-cased text split at whitespace and ASCII punctuation (a regex
    `\\w+` would be twice as slow). Word texts and short (character-shingled) texts form
    separate groups, each in row order. A text's shingles may repeat: the minimum over a
    multiset is the one over its set.
    """
    lowered = _lowered(texts)
    hashes, lengths = _word_hashes(lowered)
    short = lengths < params.short_text_words
    groups: list[tuple[I64, U64, I64]] = []
    if not short.all():
        tokens = hashes[np.repeat(~short, lengths)] if short.any() else hashes
        long_rows = np.flatnonzero(~short)
        groups.append((long_rows, *_ngram_hashes(tokens, lengths[long_rows], params.ngram)))
    if short.any():
        # Characters only for the short texts: splitting every text costs more than the
        # rest of the pipeline.
        chars = (
            lowered.filter(pl.Series(short))
            .str.replace_all(r"\s+", " ")
            .str.strip_chars()
            .str.split("")
            .list.eval(pl.element().filter(pl.element() != ""))
        )
        char_lengths = chars.list.len().to_numpy().astype(np.int64)
        tokens = stable_hashes_once(chars.explode().drop_nulls())
        groups.append(
            (np.flatnonzero(short), *_ngram_hashes(tokens, char_lengths, params.char_ngram))
        )
    return groups


@lru_cache(maxsize=16)
def _permutations(params: MinHashParams) -> tuple[U32, U32]:
    """(a, b) of the permutations, read-only: cached, as every batch asks for them."""
    rng = np.random.default_rng(params.seed)
    a = (rng.integers(0, 2**32, size=params.num_perm, dtype=np.uint64) | np.uint64(1)).astype(
        np.uint32
    )
    b = rng.integers(0, 2**32, size=params.num_perm, dtype=np.uint64).astype(np.uint32)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def signatures_from_shingles(hashes: U64, counts: I64, params: MinHashParams) -> U16:
    """MinHash signatures (n, num_perm) from flat 32-bit shingle hashes and per-text counts.

    Each minimum is taken over the 32-bit permuted values and stored as its low 16 bits
    (b-bit MinHash, see the module docstring). Signed by the compiled kernel where it is
    built (auditor.native), else by numpy: the same values either way.
    """
    out = np.full((len(counts), params.num_perm), EMPTY, dtype=np.uint16)
    kernel = minhash_kernel()
    if kernel is not None:
        kernel(out, hashes.astype(np.uint32), counts, *_permutations(params))
    else:
        _sign_with_numpy(out, hashes, counts, params)
    return out


def _sign_with_numpy(out: U16, hashes: U64, counts: I64, params: MinHashParams) -> None:
    """`signatures_from_shingles` in numpy: fills the rows of `out` with shingles."""
    n = len(counts)
    a, b = (v[:, None] for v in _permutations(params))
    ends = np.cumsum(counts)
    starts = ends - counts
    x32 = hashes.astype(np.uint32)
    # One (num_perm, batch) buffer, reused: a batch that stays in cache and no page faults
    # from fresh temporaries make this ~6x faster than (batch, num_perm) temporaries.
    width = max(params.batch_shingles, int(counts.max(initial=0)))
    buffer = np.empty((params.num_perm, width), dtype=np.uint32)
    doc = 0
    while doc < n:
        # Documents [doc, stop) whose shingles fit the batch (at least one document).
        limit = starts[doc] + params.batch_shingles
        stop = max(doc + 1, int(np.searchsorted(ends, limit, side="right")))
        lo, hi = int(starts[doc]), int(ends[stop - 1])
        nonempty = np.flatnonzero(counts[doc:stop] > 0)
        if nonempty.size:
            values = buffer[:, : hi - lo]
            np.multiply(a, x32[None, lo:hi], out=values)
            values += b
            offsets = (starts[doc:stop] - lo)[nonempty]
            minima = np.minimum.reduceat(values, offsets, axis=1).T
            out[doc + nonempty] = (minima & np.uint32(0xFFFF)).astype(np.uint16)
        doc = stop


def signatures(
    texts: pl.Series | Sequence[str],
    params: MinHashParams | None = None,
    rows: I64 | None = None,
) -> U16:
    """MinHash signatures, shape (len(rows or texts), num_perm), uint16; empty texts get EMPTY.

    `rows` picks (and orders) the texts to sign without copying the whole column first.
    """
    params = params or MinHashParams()
    series = _as_series(texts)
    count = len(series) if rows is None else len(rows)
    out = np.full((count, params.num_perm), EMPTY, dtype=np.uint16)

    def sign_chunk(start: int) -> None:
        chunk = batch_at(series, rows, start, params.batch_texts)
        for chunk_rows, hashes, counts in shingle_groups(chunk, params):
            out[start + chunk_rows] = signatures_from_shingles(hashes, counts, params)

    # Chunks of texts bound memory, and keep polars' string work linear: on 100k texts at
    # once, filtering and hashing the exploded words took 20x longer than on 20k. Chunks
    # are signed on a thread per core: numpy's permutations and minima run single-threaded
    # with the GIL released, so on 2 cores 100k texts took 1.3 s against 2.0 s. Each chunk
    # writes its own rows of `out`, so the signatures are the same.
    on_threads(sign_chunk, batch_starts(series, rows, params.batch_texts))
    return out


# --- LSH --------------------------------------------------------------------------------------


def live_rows(sigs: U16) -> npt.NDArray[np.bool_]:
    """Rows with a signature (texts with at least one shingle)."""
    return ~(sigs[:, :LIVE_PERMS] == EMPTY).all(axis=1)


def band_key(sigs: U16, band: int, params: MinHashParams) -> U64:
    """One uint64 key per row for one LSH band: the band's signature values mixed together
    (by the compiled kernel where it is built: a view's 25 bands of 100k rows in 0.038 s
    against numpy's 0.145 s of strided gathers and mixes; numpy otherwise, to the same
    keys)."""
    rows = params.bands()[1]
    kernel = band_key_kernel()
    if kernel is not None:
        return kernel(sigs, band, rows)
    return _band_key_numpy(sigs, band, rows)


def _band_key_numpy(sigs: U16, band: int, rows: int) -> U64:
    with np.errstate(over="ignore"):
        key = np.full(sigs.shape[0], np.uint64(band) * np.uint64(0x9E3779B97F4A7C15))
        for col in sigs[:, band * rows : (band + 1) * rows].T:
            key = mix64(key ^ col.astype(np.uint64)) + np.uint64(0x632BE59BD9B4E019)
    return key


def _bucket_pairs(keys: U64, ids: I64, max_bucket: int) -> I64:
    """Pairs of ids sharing a key: all pairs, or neighbours within max_bucket in big buckets.

    `ids` ascend. A bucket's members are taken in id order (what a stable sort by key
    gives), but only the few members of buckets are sorted stably: numpy's default sort
    (vectorized, unstable) finds them 5x faster than a stable argsort of every key (100k
    keys: 1.5 ms against 7.3 ms, on this project's 2-core machine).
    """
    order = np.argsort(keys)
    k, members = keys[order], ids[order]
    same_next = k[1:] == k[:-1]
    if not same_next.any():
        return np.zeros((0, 2), dtype=np.int64)
    # Keep only members of buckets of size >= 2, by key, then id.
    in_group = np.zeros(k.size, dtype=bool)
    in_group[:-1] |= same_next
    in_group[1:] |= same_next
    k, members = k[in_group], members[in_group]
    by_key_then_id = np.lexsort((members, k))
    k, members = k[by_key_then_id], members[by_key_then_id]
    found = []
    for d in range(1, max_bucket + 1):
        if d >= k.size:
            break
        same = k[d:] == k[:-d]
        if not same.any():
            break
        found.append(np.stack([members[:-d][same], members[d:][same]], axis=1))
    return np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)


def _band_candidates(sigs: U16, params: MinHashParams) -> Iterator[I64]:
    """Each band's candidate pairs (i < j), one band at a time; empty rows excluded.

    One band at a time bounds memory: on templated prompts, 100k rows gave 3.4M candidate
    pairs in all (55 MB as pairs) of which 0.25M verified.
    """
    live = np.flatnonzero(live_rows(sigs)).astype(np.int64)
    if live.size < 2:
        return
    for band in range(params.bands()[0]):
        pairs = _band_pairs(sigs, band, live, params)
        if len(pairs):
            yield pairs


def _band_pairs(sigs: U16, band: int, live: I64, params: MinHashParams) -> I64:
    """The candidate pairs (i < j) of one band, among the `live` rows."""
    pairs = _bucket_pairs(band_key(sigs, band, params)[live], live, params.max_bucket)
    return np.sort(pairs, axis=1)


def _unique_pairs(found: list[I64], n: int) -> I64:
    """Distinct pairs of `found` (each (i, j) with i < j < n), in (i, j) order."""
    codes = np.concatenate(
        [pairs[:, 0] * n + pairs[:, 1] for pairs in found] or [np.zeros(0, np.int64)]
    )
    if codes.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    codes.sort()  # sort + drop repeats: ~5x faster than np.unique's hash route here
    codes = codes[np.r_[True, codes[1:] != codes[:-1]]]
    return np.stack([codes // n, codes % n], axis=1)


def candidate_pairs(sigs: U16, params: MinHashParams | None = None) -> I64:
    """Unique pairs (i < j) of rows sharing at least one LSH band; empty rows excluded."""
    params = params or MinHashParams()
    return _unique_pairs(list(_band_candidates(sigs, params)), sigs.shape[0])


def estimated_similarity(sigs: U16, pairs: I64, chunk: int = 1 << 15) -> npt.NDArray[np.float64]:
    """Signature-estimated Jaccard of each pair (share of equal signature values)."""
    out = np.empty(len(pairs), dtype=np.float64)
    for lo in range(0, len(pairs), chunk):
        p = pairs[lo : lo + chunk]
        equal = sigs[p[:, 0]] == sigs[p[:, 1]]
        out[lo : lo + chunk] = np.count_nonzero(equal, axis=1) / sigs.shape[1]
    return out


def verified_pairs(
    sigs: U16, params: MinHashParams | None = None
) -> tuple[I64, npt.NDArray[np.float64]]:
    """Candidate pairs whose estimated Jaccard reaches the threshold, with that estimate.

    Each band's candidates are verified as they are found, so only verified pairs are
    kept: memory follows the near-duplicates, not the candidates.
    """
    params = params or MinHashParams()
    live = np.flatnonzero(live_rows(sigs)).astype(np.int64)

    def verified_in_band(band: int) -> I64:
        pairs = _band_pairs(sigs, band, live, params)
        return pairs[estimated_similarity(sigs, pairs) >= params.threshold]

    # A band per core: its sort and compares are numpy work that releases the GIL (one
    # view of 100k chat rows, 25 bands: 0.055 s against 0.096 s on 2 cores), and a band's
    # candidates are dropped once verified, so at most one band per core is held at once.
    found = on_threads(verified_in_band, range(params.bands()[0])) if live.size >= 2 else []
    verified = _unique_pairs(found, sigs.shape[0])
    return verified, estimated_similarity(sigs, verified)


# --- clusters ---------------------------------------------------------------------------------


def _components(n: int, pairs: I64) -> I64:
    """Connected-component label (smallest member) of each of n nodes, by min-propagation."""
    labels = np.arange(n, dtype=np.int64)
    if len(pairs) == 0:
        return labels
    i, j = pairs[:, 0], pairs[:, 1]
    while True:
        low = np.minimum(labels[i], labels[j])
        before = labels.copy()
        np.minimum.at(labels, i, low)
        np.minimum.at(labels, j, low)
        labels = labels[labels]  # pointer jumping speeds up long chains
        if np.array_equal(labels, before):
            return labels


def _representative_clusters(
    sigs: U16, pairs: I64, threshold: float
) -> list[tuple[int, npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
    """(representative, members, similarity to representative) for each cluster ≥ 2.

    Connected components, then members below the threshold against the representative
    (the best-connected member) are split off and clustered again among themselves.
    """
    n = sigs.shape[0]
    result: list[tuple[int, npt.NDArray[np.int64], npt.NDArray[np.float64]]] = []
    active = pairs
    while len(active):
        labels = _components(n, active)
        degree = np.bincount(active.ravel(), minlength=n)
        nodes = np.unique(active.ravel())
        # Representative per component: highest degree, then lowest row.
        order = np.lexsort((nodes, -degree[nodes], labels[nodes]))
        ordered = nodes[order]
        first = np.r_[True, labels[ordered[1:]] != labels[ordered[:-1]]]
        reps = np.full(n, -1, dtype=np.int64)
        reps[labels[ordered[first]]] = ordered[first]
        rep_of = reps[labels[nodes]]
        sim = estimated_similarity(sigs, np.stack([nodes, rep_of], axis=1))
        ok = (sim >= threshold) | (nodes == rep_of)
        accepted = nodes[ok]
        # Clusters from accepted members, grouped by representative.
        groups = np.argsort(rep_of[ok], kind="stable")
        acc, acc_rep, acc_sim = accepted[groups], rep_of[ok][groups], sim[ok][groups]
        bounds = np.flatnonzero(np.r_[True, acc_rep[1:] != acc_rep[:-1], True])
        for lo, hi in pairwise(bounds.tolist()):
            if hi - lo >= 2:
                result.append((int(acc_rep[lo]), acc[lo:hi], acc_sim[lo:hi]))
        # Split-off members (and singleton-clustered leftovers) try again among themselves.
        clustered = np.zeros(n, dtype=bool)
        sizes = np.bincount(acc_rep, minlength=n)
        clustered[acc[sizes[acc_rep] >= 2]] = True
        keep = ~clustered[active[:, 0]] & ~clustered[active[:, 1]]
        if keep.all():  # no progress possible
            break
        active = active[keep]
    return result


@dataclass(frozen=True)
class TextSignatures:
    """MinHash signatures of a text column, one per distinct text.

    Distinct texts are numbered in order of first appearance (ties go to the earliest
    row); identical texts share one signature, so they cost nothing extra.
    """

    #: (distinct texts, num_perm) signatures.
    sigs: U16
    #: Row where each distinct text first appears.
    first: I64
    #: Distinct-text index of every row.
    inverse: I64
    #: Whether each distinct text is non-empty (empty texts never match anything).
    nonempty: npt.NDArray[np.bool_]

    @property
    def rows(self) -> int:
        return len(self.inverse)


def distinct_texts(series: pl.Series) -> tuple[I64, I64]:
    """(row where each distinct text first appears, distinct index of every row), distinct
    texts numbered in order of first appearance.

    Texts are told apart by a seeded 64-bit hash: a collision among 100k texts has
    probability ~3e-10, and strings are never copied.
    """
    first, inverse, _ = hashed_distinct_texts(series)
    return first, inverse


def hashed_distinct_texts(series: pl.Series) -> tuple[I64, I64, npt.NDArray[np.uint64]]:
    """distinct_texts, plus every row's text hash (the artifact cache's key)."""
    text_hash = series.hash(_TOKEN_SEED).to_numpy()
    _, first, inverse = np.unique(text_hash, return_index=True, return_inverse=True)
    by_row = np.argsort(first, kind="stable")
    rank = np.empty_like(by_row)
    rank[by_row] = np.arange(by_row.size)
    first = first[by_row].astype(np.int64)
    return first, rank[inverse.reshape(-1)].astype(np.int64), text_hash


def text_signatures(
    texts: pl.Series | Sequence[str],
    params: MinHashParams | None = None,
    cache: ArtifactCache | None = None,
    scope: str = "",
    engine: BatchEngine = LOCAL,
) -> TextSignatures:
    """Signatures of the distinct texts of a column, with the row ↔ distinct-text maps.

    With a `cache`, a text signed in an earlier run with the same settings is not signed
    again (it is keyed by the same seeded text hash that tells texts apart here). The
    `engine` signs the batches (auditor.batch_engine); every text's signature depends on
    that text alone, so any engine gives the same signatures.
    """
    params = params or MinHashParams()
    series = _as_series(texts).fill_null("")
    if len(series) == 0:
        empty = np.zeros(0, dtype=np.int64)
        sigs = np.zeros((0, params.num_perm), dtype=np.uint16)
        return TextSignatures(sigs, empty, empty, np.zeros(0, dtype=bool))
    first, inverse, text_hash = hashed_distinct_texts(series)
    nonempty = (series.str.len_chars() > 0).to_numpy()[first]

    def sign(positions: I64) -> U16:
        if engine.in_process:  # in place, without per-batch copies
            return signatures(series, params, rows=first[positions])
        parts = engine.map_texts(
            partial(signatures, params=params), series, first[positions], batch=params.batch_texts
        )
        return joined(parts, np.zeros((0, params.num_perm), dtype=np.uint16))

    if cache is None:
        return TextSignatures(sign(np.arange(len(first))), first, inverse, nonempty)
    from auditor.artifact_cache import as_keys, cached_array, namespace_name

    keys = as_keys(text_hash[first])
    settings = ",".join(str(v) for v in params.signature_settings())
    name = namespace_name("minhash/3", settings=settings, polars=pl.__version__)
    kind = "MinHash signatures"
    stored = cached_array(cache, kind, name, scope, keys, sign, np.uint16, params.num_perm)
    return TextSignatures(stored.astype(np.uint16, copy=False), first, inverse, nonempty)


def near_duplicate_clusters(
    texts: pl.Series | Sequence[str], params: MinHashParams | None = None
) -> NearDuplicateClusters:
    """Clusters of near-duplicate texts (identical texts included, similarity 1.0)."""
    params = params or MinHashParams()
    return clusters_of(text_signatures(texts, params), params)


def clusters_of(signed: TextSignatures, params: MinHashParams) -> NearDuplicateClusters:
    """Near-duplicate clusters of the rows behind `signed` at `params.threshold`."""
    rows = signed.rows
    labels = np.full(rows, -1, dtype=np.int64)
    if rows == 0:
        return NearDuplicateClusters(0, labels, [])
    sigs, first, inverse, nonempty = signed.sigs, signed.first, signed.inverse, signed.nonempty
    pairs, _ = verified_pairs(sigs, params)
    groups = _representative_clusters(sigs, pairs, params.threshold)
    # Distinct index → (representative, similarity to it).
    unit_sim = np.ones(len(first), dtype=np.float64)
    unit_rep = np.arange(len(first), dtype=np.int64)
    for rep, members, sim in groups:
        unit_sim[members] = sim
        unit_rep[members] = rep
    # Rows: cluster by representative distinct text; identical copies form a cluster too.
    row_rep = unit_rep[inverse]
    row_sim = unit_sim[inverse]
    row_rep = np.where(nonempty[inverse], row_rep, -1 - np.arange(rows))  # empties never match
    order = np.lexsort((np.arange(rows), row_rep))
    sorted_rep = row_rep[order]
    bounds = np.flatnonzero(np.r_[True, sorted_rep[1:] != sorted_rep[:-1], True])
    clusters: list[NearDuplicateCluster] = []
    for lo, hi in pairwise(bounds.tolist()):
        if hi - lo < 2:
            continue
        members = order[lo:hi]
        rep_unit = int(sorted_rep[lo])
        rep_rows = members[inverse[members] == rep_unit]
        representative = int(rep_rows.min()) if rep_rows.size else int(members.min())
        others = members[members != representative]
        sims = row_sim[others]
        clusters.append(
            NearDuplicateCluster(
                members=tuple(int(m) for m in np.sort(members)),
                representative=representative,
                min_similarity=float(sims.min()),
                max_similarity=float(sims.max()),
            )
        )
    clusters.sort(key=lambda c: c.members[0])
    for index, cluster in enumerate(clusters):
        labels[list(cluster.members)] = index
    return NearDuplicateClusters(rows, labels, clusters)
