"""Embeddings (issue 14, first part): the offline default model and the diversity maths."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from auditor.diversity import mean_pairwise_cosine_distance, vendi_score, vendi_score_kernel
from auditor.embeddings import (
    EmbeddingsUnavailable,
    SentenceTransformerEmbedder,
    embed_extra_missing,
    hub_offline,
    length_order,
)


def stub_vectors(seed: int, n: int, d: int) -> np.ndarray:
    """A deterministic stand-in for an encoder: seeded random unit vectors."""
    x = np.random.default_rng(seed).normal(size=(n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_vendi_from_the_covariance_equals_the_kernel_definition() -> None:
    for seed, n, d in [(0, 40, 8), (1, 7, 30), (2, 120, 16)]:
        x = stub_vectors(seed, n, d)
        assert vendi_score(x) == pytest.approx(vendi_score_kernel(x), rel=1e-9)


def test_vendi_counts_effective_distinct_examples() -> None:
    one = np.tile(stub_vectors(3, 1, 12), (50, 1))
    assert vendi_score(one) == pytest.approx(1.0)
    assert vendi_score(np.eye(10)) == pytest.approx(10.0)
    # Five distinct directions, each repeated ten times: five effective examples.
    five = np.repeat(np.eye(5), 10, axis=0)
    assert vendi_score(five) == pytest.approx(5.0)


def test_mean_pairwise_distance_equals_the_pairwise_mean() -> None:
    x = stub_vectors(4, 60, 10)
    cos = x @ x.T
    brute = float(np.mean(1.0 - cos[~np.eye(len(x), dtype=bool)]))
    assert mean_pairwise_cosine_distance(x) == pytest.approx(brute, rel=1e-12)
    assert mean_pairwise_cosine_distance(np.tile(x[:1], (5, 1))) == pytest.approx(0.0, abs=1e-12)


def test_texts_are_encoded_longest_first() -> None:
    assert length_order(["ab", "abcd", "a", "abcd"]).tolist() == [1, 3, 0, 2]


def test_hub_is_offline_only_inside_the_block() -> None:
    before = os.environ.get("TRANSFORMERS_OFFLINE")
    os.environ.pop("HF_HUB_OFFLINE", None)
    with hub_offline():
        assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert "HF_HUB_OFFLINE" not in os.environ
    assert os.environ.get("TRANSFORMERS_OFFLINE") == before


def test_a_model_not_on_disk_is_an_error_at_once(tmp_path: object) -> None:
    started = time.perf_counter()
    with pytest.raises(EmbeddingsUnavailable, match="not a folder on disk"):
        SentenceTransformerEmbedder(path="sentence-transformers/all-mpnet-base-v2").encode(["x"])
    assert time.perf_counter() - started < 5


def test_the_shipped_minilm_embeds_offline() -> None:
    # The README's test command installs the embed extra: without it this must fail.
    assert embed_extra_missing() is None, embed_extra_missing()
    embedder = SentenceTransformerEmbedder(max_tokens=64)
    texts = [
        "How do I reset my password?",
        "What is the way to change my password?",
        "The recipe needs two cups of flour and a pinch of salt.",
        "",
    ]
    vectors = embedder.encode(texts)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    paraphrase, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert paraphrase > 0.6 > unrelated
    # Length-sorted batches give each text the vector it gets alone.
    alone = embedder.encode([texts[2]])[0]
    assert float(alone @ vectors[2]) > 0.9999
    assert embedder.model_id.startswith("all-MiniLM-L6-v2@") and embedder.precision == "float32"
    assert embedder.load().max_seq_length == 64


def test_a_truncation_beyond_the_models_positions_is_cut_to_them() -> None:
    embedder = SentenceTransformerEmbedder(max_tokens=4096)
    assert embedder.max_tokens == 512  # MiniLM's positions; the report shows 512
    long_text = "word " * 3000
    assert embedder.encode([long_text]).shape == (1, 384)


def test_token_budget_batches_give_the_vectors_encode_gives() -> None:
    embedder = SentenceTransformerEmbedder(max_tokens=128)
    model = embedder.load()
    texts = [
        "",
        "ok",
        "How do I reset my password?",
        "A much longer text about sourdough starters, hydration and proofing times " * 12,
        *[f"question {i}: " + "word " * (i * 7 % 90) for i in range(60)],
    ]
    ours = embedder.encode(texts)
    plain = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert float(np.einsum("ij,ij->i", ours, plain).min()) > 0.99999
    # Budgets that force one text per batch or all in one give the same vectors.
    for budget in (1, 1 << 20):
        other = SentenceTransformerEmbedder(max_tokens=128, token_budget=budget).encode(texts)
        assert float(np.einsum("ij,ij->i", ours, other).min()) > 0.99999
