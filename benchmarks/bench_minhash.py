"""Benchmark ftaudit's vectorized MinHash against plain datasketch and rensa, same run.

    python benchmarks/bench_minhash.py benchmarks/data/chat_100k.jsonl --repeat 3

Input: the `example` comparison view (auditor.comparison) of every row, with near-copies
planted: the last `--planted` rows are replaced by copies of the first ones with
`--edit-rate` of their words substituted, inserted or deleted (seeded). All routes get
the same texts and the same settings (word n-grams, 128 permutations, threshold):

  (a) ftaudit   auditor.minhash: signatures, then near_duplicate_clusters end to end
                (identical-text collapse, numpy LSH banding, verification, clusters)
  (b) datasketch  one MinHash per text fed with `update_batch` of its encoded n-gram
                strings, MinHashLSH insert + query, candidates verified with
                `MinHash.jaccard`
  (c) rensa     (Rust R-MinHash) fed ftaudit's own shingles: per batch of texts (as
                `signatures` batches them), the flat 32-bit shingle hashes of
                `shingle_groups` (word 2-grams; character 4-grams for texts of fewer than
                5 words) in row order, and uint64 row offsets, signed by
                `RMinHash.digest_matrix_from_flat_token_hashes` (its fastest route, see
                `--rensa-routes`); end to end, rensa's matrix LSH
                (`RMinHashLSH.insert_matrix_and_query_duplicate_flags`), which flags each
                row sharing a band with an earlier row or a row of its batch (no pairs, no
                verification); bands: ftaudit's choice redone over the divisors of 128

Reported: signatures/s, end-to-end seconds (median of the repeats, interleaved a, b, c,
a, b, c, ... so machine load hits all alike), the ratios, and the recall of the planted
pairs. (a)'s and (c)'s signature times both start from the Python list of texts and
include the same shingling; the signing of the same shingles alone is reported too
(`signatures_from_shingles` against rensa's call, the conversion to its input counted).
`--baseline-rows` runs (b) on a prefix only (its time is then scaled to the full row
count, and the table says so). `--plain-default` also measures (b)'s recall at the
common 5-gram / 0.8 setting. `--rensa-routes` times every rensa signing route on the
same shingles (strings, int lists, the flat buffer), on the (b) prefix. rensa is not an
ftaudit dependency (`pip install rensa`); without it (c) is left out.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import statistics
import sys
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.comparison import comparison_views
from auditor.dataset import load_dataset
from auditor.minhash import (
    MinHashParams,
    near_duplicate_clusters,
    shingle_groups,
    signatures,
    signatures_from_shingles,
)

WORD = re.compile(r"\w+")
#: ftaudit's word split (auditor.minhash.shingle_groups): ASCII punctuation and whitespace.
FT_SPLIT = re.compile(r"[ \t\n\r\f\v!-/:-@\[-`{-~]+")


def planted_texts(
    texts: list[str], planted: int, rate: float, seed: int
) -> tuple[list[str], set[tuple[int, int]]]:
    """Replace the last `planted` texts by edited copies of the first ones."""
    rng = np.random.default_rng(seed)
    out = list(texts)
    n = len(out)
    pairs = set()
    vocab = [w for t in texts[:2000] for w in t.split()]
    for k in range(planted):
        words = out[k].split()
        for _ in range(max(1, round(rate * len(words)))):
            kind, at = rng.integers(3), int(rng.integers(len(words)))
            if kind == 0:
                words[at] = vocab[int(rng.integers(len(vocab)))]
            elif kind == 1:
                words.insert(at, vocab[int(rng.integers(len(vocab)))])
            elif len(words) > 1:
                del words[at]
        out[n - planted + k] = " ".join(words)
        pairs.add((k, n - planted + k))
    return out, pairs


def ftaudit_route(texts: list[str], params: MinHashParams) -> dict[str, Any]:
    start = time.perf_counter()
    signatures(texts, params)
    sig_s = time.perf_counter() - start
    start = time.perf_counter()
    clusters = near_duplicate_clusters(texts, params)
    total_s = time.perf_counter() - start
    return {"sig_s": sig_s, "total_s": total_s, "labels": clusters.labels}


def datasketch_route(texts: list[str], params: MinHashParams) -> dict[str, Any]:
    from datasketch import MinHash, MinHashLSH

    n = params.ngram
    start = time.perf_counter()
    sketches = []
    for text in texts:
        words = WORD.findall(text.lower())
        grams = [" ".join(words[i : i + n]).encode() for i in range(len(words) - n + 1)]
        m = MinHash(num_perm=params.num_perm, seed=params.seed)
        m.update_batch(grams)
        sketches.append(m)
    sig_s = time.perf_counter() - start
    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm)
    for i, m in enumerate(sketches):
        lsh.insert(i, m)
    pairs = set()
    for i, m in enumerate(sketches):
        for j in lsh.query(m):
            if j > i and m.jaccard(sketches[j]) >= params.threshold:
                pairs.add((i, j))
    total_s = time.perf_counter() - start
    return {"sig_s": sig_s, "total_s": total_s, "pairs": pairs}


def in_row_order(groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n: int) -> Any:
    """One batch's shingle groups (word texts, short texts) as one flat run per row, in row
    order: (flat 32-bit hashes, count per row)."""
    counts = np.zeros(n, dtype=np.int64)
    if not groups:
        return np.zeros(0, dtype=np.uint64), counts
    rows = np.concatenate([g[0] for g in groups])
    hashes = np.concatenate([g[1] for g in groups])
    sizes = np.concatenate([g[2] for g in groups])
    counts[rows] = sizes
    if len(groups) == 1:
        return hashes, counts
    order = np.argsort(rows, kind="stable")
    run_sizes = sizes[order]
    run_starts = (np.cumsum(sizes) - sizes)[order]
    at = np.repeat(run_starts - (np.cumsum(run_sizes) - run_sizes), run_sizes)
    return hashes[at + np.arange(at.size)], counts


def flat_shingles(texts: list[str], params: MinHashParams) -> tuple[np.ndarray, np.ndarray]:
    """ftaudit's shingles of every text, in row order: (flat 32-bit hashes, count per row),
    from the same batches and groups as `signatures`."""
    series = pl.Series("text", texts, dtype=pl.String)
    parts = []
    for start in range(0, len(texts), params.batch_texts):
        chunk = series.slice(start, params.batch_texts)
        parts.append(in_row_order(shingle_groups(chunk, params), len(chunk)))
    if not parts:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate([h for h, _ in parts]), np.concatenate([c for _, c in parts])


def rensa_bands(params: MinHashParams) -> int:
    """Bands for rensa's LSH: it needs bands | num_perm, so ftaudit's choice (the least
    false positives + 9 × false negatives) is redone over the divisors of num_perm."""
    s = np.linspace(0.0, 1.0, 2001)
    below, above = s <= params.threshold, s >= params.threshold
    best, best_error = 1, float("inf")
    for bands in (b for b in range(1, params.num_perm + 1) if params.num_perm % b == 0):
        p = 1.0 - (1.0 - s ** (params.num_perm // bands)) ** bands
        weight = params.false_negative_weight
        error = (1.0 - weight) * float(np.trapezoid(p[below], s[below])) + weight * float(
            np.trapezoid(1.0 - p[above], s[above])
        )
        if error < best_error:
            best, best_error = bands, error
    return best


def rensa_sign(hashes: np.ndarray, counts: np.ndarray, params: MinHashParams) -> Any:
    """rensa's fastest route: one call on the flat shingle hashes and row offsets."""
    from rensa import RMinHash

    offsets = np.zeros(len(counts) + 1, dtype=np.uint64)
    np.cumsum(counts, out=offsets[1:])
    return RMinHash.digest_matrix_from_flat_token_hashes(
        hashes, offsets, params.num_perm, params.seed
    )


def rensa_route(texts: list[str], params: MinHashParams) -> dict[str, Any]:
    """(c): per batch of texts (as `signatures` batches them), ftaudit's shingles, put in
    row order and signed by rensa, then inserted in rensa's LSH, which flags each row that
    shares a band with an earlier row or another row of its batch. ftaudit's signing of the
    same shingles is timed in the same loop, right after rensa's (not part of (c))."""
    from rensa import RMinHashLSH

    lsh = RMinHashLSH(params.threshold, params.num_perm, rensa_bands(params))
    shingle_s = sign_s = lsh_s = a_sign_s = 0.0
    flags = []
    clock = time.perf_counter
    t0 = clock()
    series = pl.Series("text", texts, dtype=pl.String)
    shingle_s += clock() - t0
    for start in range(0, len(texts), params.batch_texts):
        t0 = clock()
        chunk = series.slice(start, params.batch_texts)
        groups = shingle_groups(chunk, params)
        t1 = clock()
        hashes, counts = in_row_order(groups, len(chunk))
        matrix = rensa_sign(hashes, counts, params)
        t2 = clock()
        flags.extend(lsh.insert_matrix_and_query_duplicate_flags(matrix, start))
        t3 = clock()
        signatures_from_shingles(hashes, counts, params)
        t4 = clock()
        shingle_s += t1 - t0
        sign_s += t2 - t1
        lsh_s += t3 - t2
        a_sign_s += t4 - t3
    return {
        "sig_s": shingle_s + sign_s,
        "sign_only_s": sign_s,
        "a_sign_only_s": a_sign_s,
        "total_s": shingle_s + sign_s + lsh_s,
        "flags": np.asarray(flags, dtype=bool),
    }


def rensa_routes(texts: list[str], params: MinHashParams, repeat: int) -> None:
    """Every rensa route on the same shingles, median of `repeat`, inputs built beforehand."""
    from rensa import CMinHash, RMinHash

    n, p, seed = len(texts), params.num_perm, params.seed
    hashes, counts = flat_shingles(texts, params)
    ends = np.cumsum(counts)
    batches = []
    for lo in range(0, n, params.batch_texts):
        c = counts[lo : lo + params.batch_texts]
        first = int(ends[lo] - counts[lo])
        batches.append((hashes[first : first + int(c.sum())], c))
    start = time.perf_counter()
    int_lists = [hashes[e - c : e].tolist() for e, c in zip(ends, counts, strict=True)]
    int_s = time.perf_counter() - start
    # The same word 2-grams as strings (ftaudit's split and lower case; every text gets
    # word 2-grams here, where ftaudit gives texts of < 5 words character 4-grams).
    start = time.perf_counter()
    grams = []
    for text in texts:
        words = [w for w in FT_SPLIT.split(text.lower()) if w]
        grams.append([f"{a} {b}" for a, b in pairwise(words)])
    str_s = time.perf_counter() - start

    def per_doc() -> None:
        for doc in grams:
            m = RMinHash(p, seed)
            m.update(doc)
            m.digest()

    routes: dict[str, Callable[[], object]] = {
        "RMinHash(...).update(strings), one per text": per_doc,
        "RMinHash.digests_from_token_sets(strings)": lambda: RMinHash.digests_from_token_sets(
            grams, p, seed
        ),
        "RMinHash.digest_matrix_from_token_sets(strings)": (
            lambda: RMinHash.digest_matrix_from_token_sets(grams, p, seed)
        ),
        "RMinHash.digest_matrix_from_token_hash_sets(int lists)": (
            lambda: RMinHash.digest_matrix_from_token_hash_sets(int_lists, p, seed)
        ),
        "RMinHash.digest_matrix_from_flat_token_hashes(flat)": (
            lambda: rensa_sign(hashes, counts, params)
        ),
        f"RMinHash...flat_token_hashes(flat), per {params.batch_texts:,} texts": lambda: [
            rensa_sign(h, c, params) for h, c in batches
        ],
        "CMinHash.digests_from_token_sets(strings)": lambda: CMinHash.digests_from_token_sets(
            grams, p, seed
        ),
        "CMinHash.digests64_from_token_hash_sets(int lists)": (
            lambda: CMinHash.digests64_from_token_hash_sets(int_lists, p, seed)
        ),
        "(rho, not full MinHash) ..._flat_token_hashes_rho(flat)": (
            lambda: _rensa_rho(hashes, counts, params)
        ),
        "ftaudit signatures_from_shingles(flat)": (
            lambda: signatures_from_shingles(hashes, counts, params)
        ),
        f"ftaudit signatures_from_shingles(flat), per {params.batch_texts:,} texts": lambda: [
            signatures_from_shingles(h, c, params) for h, c in batches
        ],
    }
    times: dict[str, list[float]] = {name: [] for name in routes}
    for _ in range(repeat):
        for name, route in routes.items():
            start = time.perf_counter()
            route()
            times[name].append(time.perf_counter() - start)
    print(f"\nrensa's routes on the same shingles ({n:,} texts, median of {repeat}):")
    print(f"  inputs: 2-gram strings {str_s:.2f} s, per-text int lists {int_s:.2f} s (not counted)")
    print("| route | s | signatures/s |")
    print("|---|---|---|")
    for name, runs in times.items():
        med = statistics.median(runs)
        print(f"| {name} | {med:.3f} | {n / med:,.0f} |")


def _rensa_rho(hashes: np.ndarray, counts: np.ndarray, params: MinHashParams) -> Any:
    from rensa import RMinHash

    offsets = np.zeros(len(counts) + 1, dtype=np.uint64)
    np.cumsum(counts, out=offsets[1:])
    return RMinHash.digest_matrix_from_flat_token_hashes_rho(
        hashes, offsets, params.num_perm, params.seed
    )


def recall_from_flags(flags: np.ndarray, planted: set[tuple[int, int]]) -> float:
    """Planted pairs whose later row is flagged (a flag says "shares a band with an earlier
    row", not with which: an upper bound on pair recall)."""
    return sum(1 for _, j in planted if flags[j]) / len(planted)


def recall_from_labels(labels: np.ndarray, planted: set[tuple[int, int]]) -> float:
    hits = sum(1 for i, j in planted if labels[i] >= 0 and labels[i] == labels[j])
    return hits / len(planted)


def recall_from_pairs(pairs: set[tuple[int, int]], planted: set[tuple[int, int]]) -> float:
    return len(pairs & planted) / len(planted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--planted", type=int, default=1000)
    parser.add_argument("--edit-rate", type=float, default=0.10)
    parser.add_argument("--baseline-rows", type=int, default=0, help="0: all rows")
    parser.add_argument("--plain-default", action="store_true")
    parser.add_argument("--rensa-routes", action="store_true")
    args = parser.parse_args(argv)

    dataset = load_dataset([args.path])
    base = comparison_views(dataset.train).get_column("example").to_list()
    texts, planted = planted_texts(base, args.planted, args.edit_rate, seed=7)
    rows = len(texts)
    params = MinHashParams()
    b_rows = args.baseline_rows or rows
    # (b) on a prefix: plant its pairs inside the prefix so its recall is comparable.
    b_texts, b_planted = planted_texts(base[:b_rows], args.planted, args.edit_rate, seed=7)
    words = sum(len(t.split()) for t in texts) / rows
    print(f"{rows:,} texts, {words:.0f} words each on average; {len(planted)} planted pairs")
    print(f"settings: word {params.ngram}-grams, {params.num_perm} perms, J ≥ {params.threshold}")

    has_rensa = importlib.util.find_spec("rensa") is not None
    if not has_rensa:
        print("rensa is not installed (pip install rensa): route (c) left out")
    runs: dict[str, list[dict[str, Any]]] = {"a": [], "b": [], "c": []}
    routes: dict[str, Callable[[], dict[str, Any]]] = {
        "a": lambda: ftaudit_route(texts, params),
        "b": lambda: datasketch_route(b_texts, params),
    }
    if has_rensa:
        routes["c"] = lambda: rensa_route(texts, params)
    for r in range(args.repeat):
        for name, route in routes.items():
            result = route()
            runs[name].append(result)
            sig, total = result["sig_s"], result["total_s"]
            print(f"  run {r + 1} ({name}): signatures {sig:.2f} s, total {total:.2f} s")

    def med(name: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[name])

    scale = rows / b_rows
    a_sig, a_total = med("a", "sig_s"), med("a", "total_s")
    b_sig, b_total = med("b", "sig_s") * scale, med("b", "total_s") * scale
    a_recall = recall_from_labels(runs["a"][0]["labels"], planted)
    b_recall = recall_from_pairs(runs["b"][0]["pairs"], b_planted)
    note = "" if b_rows == rows else f" (measured on {b_rows:,} rows, scaled ×{scale:.1f})"
    print()
    print("| route | signatures/s | signatures s | end-to-end s | recall |")
    print("|---|---|---|---|---|")
    print(f"| (a) ftaudit | {rows / a_sig:,.0f} | {a_sig:.2f} | {a_total:.2f} | {a_recall:.3f} |")
    print(
        f"| (b) datasketch{note} | {rows / b_sig:,.0f} | {b_sig:.2f} | {b_total:.2f} "
        f"| {b_recall:.3f} |"
    )
    if has_rensa:
        c_sig, c_total = med("c", "sig_s"), med("c", "total_s")
        c_flags = runs["c"][0]["flags"]
        print(
            f"| (c) rensa, {rensa_bands(params)} bands | {rows / c_sig:,.0f} | {c_sig:.2f} "
            f"| {c_total:.2f} | {recall_from_flags(c_flags, planted):.3f} (flags) |"
        )
    print(f"ratio (b)/(a): signatures {b_sig / a_sig:.1f}×, end to end {b_total / a_total:.1f}×")
    if has_rensa:
        print(
            f"ratio (c)/(a): signatures {c_sig / a_sig:.2f}×, end to end {c_total / a_total:.2f}×"
        )
        c_sign, a_sign = med("c", "sign_only_s"), med("c", "a_sign_only_s")
        print(
            f"signing the same shingles only: (a) {rows / a_sign:,.0f}/s ({a_sign:.2f} s), "
            f"(c) {rows / c_sign:,.0f}/s ({c_sign:.3f} s); ratio (c)/(a) {c_sign / a_sign:.2f}×"
        )
        labels = runs["a"][0]["labels"]
        a_dropped = int((labels >= 0).sum()) - len(np.unique(labels[labels >= 0]))
        print(
            f"rows a keep-first dedup drops: (a) {a_dropped:,} (verified clusters), "
            f"(c) {int(c_flags.sum()):,} (flagged, unverified)"
        )
    if args.plain_default:
        plain = MinHashParams(ngram=5, threshold=0.8)
        result = datasketch_route(b_texts, plain)
        print(
            f"(b) at the common 5-gram / 0.8 setting: recall "
            f"{recall_from_pairs(result['pairs'], b_planted):.3f}"
        )
        a5 = near_duplicate_clusters(texts, plain)
        print(f"(a) at 5-gram / 0.8: recall {recall_from_labels(a5.labels, planted):.3f}")
    if args.rensa_routes and has_rensa:
        rensa_routes(b_texts, params, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
