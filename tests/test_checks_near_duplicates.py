"""FT302 near-duplicates: fixtures, metrics, options, shared artifact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from auditor.check import Status
from auditor.minhash import MinHashParams, text_signatures
from checks.near_duplicates import NearDuplicates
from tests.checkutil import context_of, fixture, flagged, metric

SYSTEM = "You are a helpful assistant for a bicycle shop. Answer briefly and politely."


def chat(question: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def test_bad_fixture_reports_each_planted_pair() -> None:
    ctx = fixture("FT302", "bad")
    result = NearDuplicates().run(ctx)
    assert result.status is Status.FAIL  # 3 of 27 rows are copies: 11.1% > 10%
    assert flagged(result) == [1, 6, 13]
    assert sorted(sorted([f.line, *f.related_lines]) for f in result.findings) == [
        [1, 2],
        [6, 7],
        [13, 14],
    ]
    assert metric(result, "near_duplicate_rate") == pytest.approx(3 / 27, abs=1e-6)
    assert metric(result, "unique_examples") == 24
    assert metric(result, "largest_cluster_share") == pytest.approx(2 / 27, abs=1e-6)
    assert NearDuplicates().unique_examples(ctx) == 24
    finding = result.findings[0]
    assert "ftaudit dedup" in (finding.hint or "")
    assert finding.excerpt
    assert "Jaccard" in finding.message


def test_good_fixture_passes() -> None:
    ctx = fixture("FT302", "good")
    result = NearDuplicates().run(ctx)
    assert result.status is Status.PASS
    assert result.findings == []
    assert metric(result, "near_duplicate_rate") == 0.0
    assert metric(result, "unique_examples") == 24
    assert NearDuplicates().unique_examples(ctx) == 24


def test_clusters_are_shared_on_the_context() -> None:
    ctx = fixture("FT302", "bad")
    NearDuplicates().run(ctx)
    clusters = ctx.near_duplicates("example")
    assert ctx.near_duplicates("example") is clusters
    assert [c.members for c in clusters.clusters] == [(0, 1), (5, 6), (12, 13)]


def test_signatures_are_one_artifact_per_view(tmp_path: Path) -> None:
    # The leakage check and FT302 at any threshold reuse one signature matrix per view.
    ctx = fixture("FT302", "bad")
    NearDuplicates(NearDuplicates.Options(threshold=0.9)).run(ctx)
    signed = ctx.signatures("example")
    assert ctx.signatures("example", MinHashParams(threshold=0.5)) is signed
    assert ctx.signatures("example", MinHashParams(ngram=3)) is not signed
    assert signed.rows == ctx.train.height
    assert np.array_equal(signed.sigs, text_signatures(ctx.comparison["example"]).sigs)
    # With no eval split nothing queries FT302's signatures again: only those asked for
    # since (the example view's, and its 3-gram one) are kept.
    cached = [key[2] for key in ctx.artifacts if key[0] == "minhash-signatures"]
    assert sorted(cached) == ["example", "example"]


def test_signatures_stay_for_the_leakage_checks_when_there_is_an_eval_split() -> None:
    from auditor.config import AuditConfig
    from auditor.context import AuditContext
    from auditor.dataset import load_dataset

    path = Path(__file__).parent / "fixtures" / "FT302" / "bad.jsonl"
    ctx = AuditContext(load_dataset([path], [path]), AuditConfig())
    NearDuplicates().run(ctx)
    cached = [key[2] for key in ctx.artifacts if key[0] == "minhash-signatures"]
    assert sorted(cached) == ["example", "prompt", "response"]


@pytest.mark.parametrize(
    ("copies", "status"),
    [(0, Status.PASS), (1, Status.PASS), (3, Status.WARN), (12, Status.FAIL)],
)
def test_rate_thresholds(tmp_path: Path, copies: int, status: Status) -> None:
    rng = np.random.default_rng(0)
    vocab = [f"w{k}" for k in range(3000)]

    def sentence(words: int) -> str:
        return " ".join(vocab[k] for k in rng.integers(0, len(vocab), words))

    rows = [chat(sentence(20), sentence(30)) for _ in range(50)]
    rows += [rows[i] for i in range(copies)]  # exact copies count as near-copies too
    result = NearDuplicates().run(context_of(tmp_path, rows))
    assert result.status is status, result.summary
    assert metric(result, "near_duplicate_rate") == pytest.approx(copies / len(rows), abs=1e-6)


def test_templated_rows_with_different_questions_pass(tmp_path: Path) -> None:
    topics = [
        ("brakes squeal when wet", "clean the rims and toe in the pads slightly"),
        ("gears skip under load", "replace the stretched chain and check the cassette"),
        ("saddle height feels wrong", "set it so your knee is slightly bent at the bottom"),
        ("tyre keeps going flat", "look for a thorn in the tyre and patch the tube"),
        ("handlebar creaks", "grease the stem clamp and torque the bolts to spec"),
        ("pedals feel loose", "tighten them, remembering the left pedal is reverse-threaded"),
    ]
    rows = [
        chat(
            f"Hello, I bought a bike from your shop last month and I have a question: {q}.",
            f"Thanks for reaching out! For that, {a}.",
        )
        for q, a in topics
    ]
    result = NearDuplicates().run(context_of(tmp_path, rows))
    assert result.status is Status.PASS, result.findings


PERSONAS = [
    f"You are the {role} of a bicycle shop. Stay friendly, keep answers short, never "
    "promise delivery dates, and when a customer mentions an injury, stop and tell them "
    "to see a doctor before riding again. Prices are always in euros, including VAT."
    for role in ("mechanic", "sales assistant", "rental desk", "owner", "web support", "trainer")
]


def test_several_templates_are_not_content(tmp_path: Path) -> None:
    # Six long system prompts at a sixth of the rows each (none shared by most rows),
    # short different questions: each template is left out, so nothing clusters.
    rows = [
        {
            "messages": [
                {"role": "system", "content": PERSONAS[i % len(PERSONAS)]},
                {"role": "user", "content": f"Is part {i} for order {i * 37} in stock?"},
                {"role": "assistant", "content": f"Part {i}: {i % 9} left."},
            ]
        }
        for i in range(60)
    ]
    ctx = context_of(tmp_path, rows)
    result = NearDuplicates().run(ctx)
    assert result.status is Status.PASS, result.findings
    assert metric(result, "prompt_near_duplicate_rate") == 0.0
    assert ctx.comparison["template"].n_unique() == len(PERSONAS)


def test_options_validate() -> None:
    assert NearDuplicates.Options(threshold=0.8, ngram=5).threshold == 0.8
    with pytest.raises(ValidationError):
        NearDuplicates.Options(warn_above=0.3, fail_above=0.1)
    with pytest.raises(ValidationError):
        NearDuplicates.Options(threshold=0.0)


def test_documentation_has_sections() -> None:
    doc = NearDuplicates.documentation()
    for section in ("What it checks", "Why it matters", "Example", "Options"):
        assert section in doc
