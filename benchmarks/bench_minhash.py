"""Benchmark ftaudit's vectorized MinHash against the plain datasketch way, same run.

    python benchmarks/bench_minhash.py benchmarks/data/chat_100k.jsonl --repeat 3

Input: the `example` comparison view (auditor.comparison) of every row, with near-copies
planted: the last `--planted` rows are replaced by copies of the first ones with
`--edit-rate` of their words substituted, inserted or deleted (seeded). Both routes get
the same texts and the same settings (word n-grams, 128 permutations, threshold):

  (a) ftaudit   auditor.minhash: signatures, then near_duplicate_clusters end to end
                (identical-text collapse, numpy LSH banding, verification, clusters)
  (b) datasketch  one MinHash per text fed with `update_batch` of its encoded n-gram
                strings, MinHashLSH insert + query, candidates verified with
                `MinHash.jaccard`

Reported: signatures/s, end-to-end seconds (median of the repeats, interleaved a, b,
a, b, ... so machine load hits both alike), the ratio, and the recall of the planted
pairs. `--baseline-rows` runs (b) on a prefix only (its time is then scaled to the full
row count, and the table says so). `--plain-default` also measures (b)'s recall at the
common 5-gram / 0.8 setting.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.comparison import comparison_views
from auditor.dataset import load_dataset
from auditor.minhash import MinHashParams, near_duplicate_clusters, signatures

WORD = re.compile(r"\w+")


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

    runs: dict[str, list[dict[str, Any]]] = {"a": [], "b": []}
    routes: dict[str, Callable[[], dict[str, Any]]] = {
        "a": lambda: ftaudit_route(texts, params),
        "b": lambda: datasketch_route(b_texts, params),
    }
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
    print(f"ratio (b)/(a): signatures {b_sig / a_sig:.1f}×, end to end {b_total / a_total:.1f}×")
    if args.plain_default:
        plain = MinHashParams(ngram=5, threshold=0.8)
        result = datasketch_route(b_texts, plain)
        print(
            f"(b) at the common 5-gram / 0.8 setting: recall "
            f"{recall_from_pairs(result['pairs'], b_planted):.3f}"
        )
        a5 = near_duplicate_clusters(texts, plain)
        print(f"(a) at 5-gram / 0.8: recall {recall_from_labels(a5.labels, planted):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
