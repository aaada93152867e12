"""The maths of the embedding checks: Vendi at a reference size, intervals, k-means topics,
nearest neighbours (exact and HNSW), and the seeded stratified sample."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.diversity import (
    mean_distance_interval,
    mean_pairwise_cosine_distance,
    nearest_neighbours,
    share_interval,
    spherical_kmeans,
    topics_of,
    vendi_at_reference,
    vendi_score,
    vendi_score_kernel,
)
from auditor.semantic import stratified_sample


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def blobs(centres: int, per: int, dim: int = 32, spread: float = 0.05, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    middle = unit(rng.normal(size=(centres, dim)))
    return unit(np.repeat(middle, per, axis=0) + spread * rng.normal(size=(centres * per, dim)))


@pytest.mark.parametrize("n", [5, 31, 32, 200])
def test_vendi_from_the_smaller_gram_matrix_equals_the_kernel(n: int) -> None:
    x = unit(np.random.default_rng(n).normal(size=(n, 32)))
    assert vendi_score(x) == pytest.approx(vendi_score_kernel(x), rel=1e-9)


def test_vendi_at_reference_compares_files_of_different_sizes() -> None:
    small, large = blobs(5, 40), blobs(5, 400)
    a, b = vendi_at_reference(small, 100), vendi_at_reference(large, 100)
    assert a.n == b.n == 100
    assert a.low < a.value < a.high and b.high - b.low < a.high - a.low
    # Same shape of data, 10× the rows: the same score at the reference size ...
    assert abs(a.value - b.value) < 0.5
    # ... while the whole-set score is not comparable across sizes of other data.
    assert vendi_at_reference(blobs(5, 10), 100).n == 50


def test_vendi_at_reference_reads_as_distinct_examples() -> None:
    assert vendi_at_reference(np.tile(unit(np.ones((1, 8))), (300, 1)), 100).value == pytest.approx(
        1.0
    )
    five = vendi_at_reference(blobs(5, 100, spread=0.0), 100)
    assert 4.0 < five.value <= 5.0001


def test_mean_distance_interval_holds_the_value() -> None:
    x = blobs(8, 50, spread=0.3)
    interval = mean_distance_interval(x)
    brute = np.mean([1 - x[i] @ x[j] for i in range(len(x)) for j in range(len(x)) if i != j])
    assert interval.value == pytest.approx(brute, abs=1e-6)
    assert interval.value == pytest.approx(mean_pairwise_cosine_distance(x))
    assert interval.low <= interval.value <= interval.high
    assert interval.high - interval.low < 0.1


def test_share_interval_is_wilson_and_exact_when_asked() -> None:
    interval = share_interval(30, 100)
    assert interval.low == pytest.approx(0.2189, abs=1e-3)
    assert interval.high == pytest.approx(0.3958, abs=1e-3)
    assert share_interval(30, 100, exact=True).low == 0.3
    assert share_interval(0, 0).value == 0.0


def test_kmeans_finds_planted_clusters() -> None:
    x = blobs(4, 50)
    labels, centroids = spherical_kmeans(x, 4, seed=1)
    truth = np.repeat(np.arange(4), 50)
    # Each planted cluster lands in one k-means cluster.
    assert all(len(set(labels[truth == c])) == 1 for c in range(4))
    assert np.allclose(np.linalg.norm(centroids, axis=1), 1.0)


def test_topics_join_the_pieces_kmeans_cuts_one_topic_into() -> None:
    dominant = blobs(1, 300, spread=0.15, seed=3)
    others = blobs(6, 20, spread=0.05, seed=4)
    topics = topics_of(np.vstack([dominant, others]), merge_at=0.8)
    assert topics.k > 7  # k-means cut the big topic into several clusters ...
    share = topics.sizes.max() / topics.sizes.sum()
    assert share == pytest.approx(300 / 420, abs=0.02)  # ... and the topics joined them back
    assert 0.0 <= topics.normalized_entropy() < 1.0
    rep = topics.representatives(int(np.argmax(topics.sizes)), 3)
    assert len(rep) == 3 and all(r < 300 for r in rep)


def test_nearest_neighbours_match_brute_force() -> None:
    x = unit(np.random.default_rng(7).normal(size=(500, 16)))
    index, similarity = nearest_neighbours(x, k=3)
    full = x @ x.T
    np.fill_diagonal(full, -np.inf)
    expected = np.argsort(-full, axis=1)[:, :3]
    assert np.array_equal(index, expected)
    assert np.allclose(similarity, np.take_along_axis(full, expected, axis=1), atol=1e-6)
    queries = unit(x[:50] + 0.01)
    q_index, _ = nearest_neighbours(queries, x)
    assert np.array_equal(q_index[:, 0], np.argmax(queries @ x.T, axis=1))
    # Fewer rows than k: the missing neighbours say so.
    few, few_sim = nearest_neighbours(x[:2], k=3)
    assert few.tolist() == [[1, -1, -1], [0, -1, -1]] and few_sim[0, 1] == -1


def test_the_hnsw_index_agrees_with_the_exact_search() -> None:
    pytest.importorskip("usearch", reason="usearch comes with the embed extra")
    x = unit(np.random.default_rng(8).normal(size=(3000, 32)))
    x = np.vstack([x, x[:500]])  # copies: a row's twin, never the row itself
    exact, exact_sim = nearest_neighbours(x, k=2)
    approx, approx_sim = nearest_neighbours(x, exact_limit=100, k=2)
    assert not (approx == np.arange(len(x))[:, None]).any()
    assert (exact[:, 0] == approx[:, 0]).mean() > 0.98 or (
        np.abs(exact_sim[:, 0] - approx_sim[:, 0]) < 1e-4
    ).mean() > 0.98
    # HNSW is approximate (and its build is multi-threaded, so runs differ): nearly every
    # copy finds its twin (0.988–1.0 seen across loaded runs); ctx.semantic_neighbours
    # searches distinct texts only anyway.
    assert (np.abs(approx_sim[:500, 0] - 1.0) < 1e-4).mean() >= 0.97


def test_the_vendi_interval_covers_the_population_value_and_narrows() -> None:
    population = blobs(30, 400, dim=48, spread=0.35, seed=21)  # 12,000 rows
    rng = np.random.default_rng(0)
    truth = np.mean(
        [
            vendi_score(population[rng.choice(len(population), 100, replace=False)])
            for _ in range(2000)
        ]
    )
    covered, widths = 0, {}
    for trial in range(20):
        sample = population[rng.choice(len(population), 1000, replace=False)]
        interval = vendi_at_reference(sample, 100, seed=trial)
        covered += interval.low <= truth <= interval.high
        widths.setdefault(1000, []).append(interval.high - interval.low)
        small = vendi_at_reference(sample[:250], 100, seed=trial)
        widths.setdefault(250, []).append(small.high - small.low)
    assert covered >= 17, covered  # nominal 95%: 19 of 20
    assert np.median(widths[1000]) < 0.6 * np.median(widths[250])


def test_the_sample_is_seeded_stratified_and_within_budget() -> None:
    files = ["a.jsonl"] * 900 + ["b.jsonl"] * 100
    sample = stratified_sample(files, 200, seed=0)
    assert len(sample) == 200 and len(set(sample)) == 200
    assert np.all(np.diff(sample) > 0)
    assert (sample >= 900).sum() == 20  # each file keeps its share
    assert np.array_equal(sample, stratified_sample(files, 200, seed=0))
    assert not np.array_equal(sample, stratified_sample(files, 200, seed=1))
    # One file's rows do not move another file's sample.
    other = stratified_sample(["a.jsonl"] * 900 + ["0.jsonl"] * 100, 200, seed=0)
    other = other[other < 900]
    assert np.array_equal(sample[sample < 900], other)
    assert np.array_equal(stratified_sample(files, None, 0), np.arange(1000))
    assert np.array_equal(stratified_sample(files, 5000, 0), np.arange(1000))
