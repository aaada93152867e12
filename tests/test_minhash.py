"""auditor.minhash: determinism, estimate quality, recall/precision on planted copies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from auditor.minhash import (
    EMPTY,
    MinHashParams,
    candidate_pairs,
    estimated_similarity,
    near_duplicate_clusters,
    shingle_groups,
    signatures,
    verified_pairs,
)
from tests.checkutil import context_of

PARAMS = MinHashParams()


def vocabulary(rng: np.random.Generator, size: int = 5000) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return ["".join(rng.choice(letters, size=int(rng.integers(3, 10)))) for _ in range(size)]


def zipf_text(rng: np.random.Generator, vocab: list[str], count: int) -> list[str]:
    """Words with Zipf–Mandelbrot frequencies (p ∝ 1/(rank + 2.7), as in English text)."""
    weights = 1.0 / (np.arange(len(vocab)) + 2.7)
    ranks = rng.choice(len(vocab), size=count, p=weights / weights.sum())
    return [vocab[r] for r in ranks]


def edited(rng: np.random.Generator, words: list[str], vocab: list[str], rate: float) -> list[str]:
    """A copy with round(rate * len) words substituted, inserted or deleted."""
    out = list(words)
    for _ in range(max(1, round(rate * len(words)))):
        kind = rng.integers(3)
        at = int(rng.integers(len(out)))
        if kind == 0:
            out[at] = vocab[int(rng.integers(len(vocab)))]
        elif kind == 1:
            out.insert(at, vocab[int(rng.integers(len(vocab)))])
        else:
            del out[at]
    return out


def corpus(
    seed: int, originals: int, rate: float, prefix: str = ""
) -> tuple[list[str], set[tuple[int, int]]]:
    """`originals` texts of 30–80 words, each followed by one edited copy."""
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    texts: list[str] = []
    planted: set[tuple[int, int]] = set()
    for _ in range(originals):
        words = zipf_text(rng, vocab, int(rng.integers(30, 80)))
        planted.add((len(texts), len(texts) + 1))
        texts.append(prefix + " ".join(words))
        texts.append(prefix + " ".join(edited(rng, words, vocab, rate)))
    return texts, planted


def exact_jaccard(a: str, b: str, n: int) -> float:
    def grams(text: str) -> set[tuple[str, ...]]:
        w = text.split()
        return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}

    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb)


def test_signatures_are_deterministic_across_processes() -> None:
    texts = ["the cat sat on the mat today", "refund my order please", ""]
    here = signatures(texts, PARAMS)
    code = (
        "import sys, numpy as np\n"
        "from auditor.minhash import signatures, MinHashParams\n"
        "s = signatures(['the cat sat on the mat today', 'refund my order please', ''],"
        " MinHashParams())\n"
        "sys.stdout.write(','.join(map(str, s.ravel().tolist())))\n"
    )
    # A different PYTHONHASHSEED proves Python's hash() plays no part.
    there = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    ).stdout
    assert there == ",".join(map(str, here.ravel().tolist()))
    assert (here[2] == EMPTY).all()
    assert not np.array_equal(signatures(texts, MinHashParams(seed=2)), here)


def test_signature_estimate_tracks_exact_jaccard() -> None:
    texts, planted = corpus(seed=1, originals=100, rate=0.15)
    sigs = signatures(texts, PARAMS)
    pairs = np.array(sorted(planted))
    estimate = estimated_similarity(sigs, pairs)
    exact = np.array([exact_jaccard(texts[i], texts[j], PARAMS.ngram) for i, j in pairs])
    error = np.abs(estimate - exact)
    # 128 permutations: standard error ≤ 0.045; allow hash-collision slack.
    assert np.median(error) < 0.05
    assert error.max() < 0.2


def test_shingles_fall_back_to_characters_for_short_texts() -> None:
    texts = ["refund my order", "one two three four five six", ""]
    counts = np.zeros(len(texts), dtype=np.int64)
    for rows, _, group_counts in shingle_groups(texts, PARAMS):
        counts[rows] = group_counts
    # "refund my order" has 15 characters → 12 char 4-grams; 6 words → 5 word 2-grams.
    assert counts.tolist() == [12, 5, 0]
    sigs = signatures(["refund my order", "refund my orders"], PARAMS)
    assert estimated_similarity(sigs, np.array([[0, 1]]))[0] > 0.6


def test_empty_texts_never_match() -> None:
    clusters = near_duplicate_clusters(["", "", None, "a real text of several words here"] * 1)  # type: ignore[list-item]
    assert clusters.clusters == []
    assert clusters.unique_count == 4


def test_identical_texts_collapse_into_one_cluster() -> None:
    texts = ["the same long answer about refunds and returns"] * 500 + ["something else"]
    clusters = near_duplicate_clusters(texts)
    assert len(clusters.clusters) == 1
    assert clusters.clusters[0].size == 500
    assert clusters.clusters[0].min_similarity == 1.0
    assert clusters.unique_count == 2
    assert clusters.largest_share == pytest.approx(500 / 501)


def test_templated_rows_are_not_flagged() -> None:
    rng = np.random.default_rng(7)
    vocab = vocabulary(rng)
    opener = (
        "hello, i am a customer of your store and i would like some help with the "
        "following question about my account please answer briefly:"
    )
    texts = [f"{opener} {' '.join(zipf_text(rng, vocab, 25))}" for _ in range(300)]
    assert near_duplicate_clusters(texts).clusters == []


def test_chain_is_not_merged_without_verification_against_representative() -> None:
    rng = np.random.default_rng(3)
    vocab = vocabulary(rng)
    parts = [zipf_text(rng, vocab, 12) for _ in range(12)]
    # A sliding window: each row shares 5 of 6 parts with the next (Jaccard ~5/7 = 0.71),
    # 4 with the one after (~4/8 = 0.5): both ~2.5 standard errors from the threshold.
    words = [[w for part in parts[i : i + 6] for w in part] for i in range(7)]
    texts = [" ".join(w) for w in words]
    sigs = signatures(texts, PARAMS)
    links = estimated_similarity(sigs, np.array([[i, i + 1] for i in range(6)]))
    assert (links >= PARAMS.threshold).all()
    assert estimated_similarity(sigs, np.array([[0, 2]]))[0] < PARAMS.threshold
    clusters = near_duplicate_clusters(texts)
    for cluster in clusters.clusters:
        others = [m for m in cluster.members if m != cluster.representative]
        to_rep = estimated_similarity(sigs, np.array([[m, cluster.representative] for m in others]))
        assert (to_rep >= PARAMS.threshold).all(), cluster
        assert cluster.min_similarity >= PARAMS.threshold
        assert cluster.size <= 3  # never the whole chain
    assert clusters.labels[0] == -1 or clusters.labels[0] != clusters.labels[6]


@pytest.mark.parametrize("rate", [0.05, 0.10])
def test_recall_of_planted_near_duplicates(rate: float) -> None:
    texts, planted = corpus(seed=11, originals=1000, rate=rate)
    pairs, _ = verified_pairs(signatures(texts, PARAMS), PARAMS)
    found = {(int(i), int(j)) for i, j in pairs}
    recall = len(found & planted) / len(planted)
    assert recall >= 0.95, recall


def templates(count: int, words: int) -> list[str]:
    """Long system prompts (`words` words each): instructions a real template spells out."""
    rng = np.random.default_rng(99)
    vocab = vocabulary(rng)
    return [
        f"You are Acme's assistant #{k}. " + " ".join(zipf_text(rng, vocab, words))
        for k in range(count)
    ]


def test_precision_on_chat_rows_sharing_long_system_prompts(tmp_path: Path) -> None:
    # End to end through the check's own views: three 200-word system prompts (none
    # carried by most rows) in front of 30-80-word questions, each question with one
    # planted copy edited at 10%. Left in, a template alone would make its rows
    # near-copies; every reported pair must be a planted one (at most 1% not).
    texts, planted = corpus(seed=5, originals=500, rate=0.10)
    systems = templates(3, 200)
    rows = [
        {
            "messages": [
                {"role": "system", "content": systems[i % len(systems)]},
                {"role": "user", "content": text},
                {"role": "assistant", "content": "Thanks, I have passed this on."},
            ]
        }
        for i, text in enumerate(texts)
    ]
    clusters = context_of(tmp_path, rows).near_duplicates("example").clusters
    reported = {
        (min(m, c.representative), max(m, c.representative))
        for c in clusters
        for m in c.members
        if m != c.representative
    }
    assert len(reported - planted) <= 0.01 * max(len(reported), 1)
    assert len(reported & planted) >= 0.95 * len(planted)


def test_candidate_pairs_cap_pathological_buckets() -> None:
    # 3000 near-identical (not identical) rows: buckets are huge; work stays bounded.
    texts = [f"please reset my password for account number {i}" for i in range(3000)]
    sigs = signatures(texts, PARAMS)
    pairs = candidate_pairs(sigs, PARAMS)
    assert len(pairs) <= 3000 * PARAMS.max_bucket * PARAMS.bands()[0]
    clusters = near_duplicate_clusters(texts)
    assert clusters.unique_count < 3000


@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.8])
@pytest.mark.parametrize("weight", [0.5, 0.9])
def test_bands_match_datasketch(threshold: float, weight: float) -> None:
    from datasketch.lsh import _optimal_param

    params = MinHashParams(threshold=threshold, false_negative_weight=weight)
    assert params.bands() == _optimal_param(threshold, 128, 1 - weight, weight)


def stable_bucket_pairs(keys: np.ndarray, ids: np.ndarray, max_bucket: int) -> np.ndarray:
    """The reference: every key sorted stably, members paired with their next max_bucket."""
    order = np.argsort(keys, kind="stable")
    k, members = keys[order], ids[order]
    found = []
    for d in range(1, max_bucket + 1):
        same = k[d:] == k[:-d]
        found.append(np.stack([members[:-d][same], members[d:][same]], axis=1))
    return np.concatenate(found)


@pytest.mark.parametrize("distinct", [3, 40, 5_000])
def test_bucket_pairs_equal_a_stable_sort_of_every_key(distinct: int) -> None:
    from auditor.minhash import _bucket_pairs

    rng = np.random.default_rng(distinct)
    keys = rng.integers(0, distinct, size=6_000).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    ids = np.sort(rng.choice(50_000, size=6_000, replace=False)).astype(np.int64)
    got = _bucket_pairs(keys, ids, max_bucket=8)
    want = stable_bucket_pairs(keys, ids, max_bucket=8)
    assert len(want) > 0
    assert np.array_equal(got, want)
