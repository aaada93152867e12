"""FT401–FT404 and FT505 on generated data through a deterministic stub encoder (the
maths), plus what every embedding check shares: skipping, sampling, the cache, progress.
The real model runs in tests/test_embedding_audit.py and the fixture tests."""

from __future__ import annotations

import random
import time
from pathlib import Path

import orjson
import pytest

from auditor import audit
from auditor.check import Status
from auditor.config import load_config
from tests.stub_embedder import StubEmbedder

pytestmark = pytest.mark.embed
WORDS = [f"w{i}" for i in range(3000)]


def chat(prompt: str, answer: str) -> dict[str, object]:
    return {
        "messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
    }


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def broad(n: int, seed: int = 0) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        chat(" ".join(rng.sample(WORDS, 12)), " ".join(rng.sample(WORDS, 15))) for _ in range(n)
    ]


INTENTS = [
    ("reset password account login help", "open settings security reset"),
    ("refund order money back return", "refunds arrive within five days"),
    ("track parcel shipping delivery status", "the tracking link is in the email"),
]


def narrow(n: int, dominant: float = 0.6) -> list[dict[str, object]]:
    rng = random.Random(1)
    rows = []
    for i in range(n):
        words, answer = INTENTS[0] if i < dominant * n else INTENTS[1 + i % 2]
        shuffled = words.split()
        rng.shuffle(shuffled)
        rows.append(chat(" ".join(shuffled) + rng.choice(["", " please", " thanks"]), answer))
    return rows


def run(tmp_path: Path, rows: list[dict[str, object]], *, eval_rows=None, **settings: object):
    train = write(tmp_path / "train.jsonl", rows)
    evals = [write(tmp_path / "heldout.jsonl", eval_rows)] if eval_rows is not None else []
    embedder = settings.pop("embedder", None) or StubEmbedder()
    config = load_config(None, {"select": ["FT4", "FT505"], "task": "general", **settings})
    return audit([train], evals, config, embedder=embedder)


def test_a_narrow_set_fails_diversity_and_a_broad_one_passes(tmp_path: Path) -> None:
    report = run(tmp_path, narrow(200, dominant=0.7))
    low, topic = report.result("FT401"), report.result("FT402")
    assert low.status is Status.FAIL and topic.status is Status.FAIL
    share = low.metric("vendi_share[prompt]")
    assert share.high < share.fail_at and share.sample == 100
    assert topic.metric("largest_topic_share[prompt]").value == pytest.approx(0.7, abs=0.01)
    assert all(f.line is not None for f in low.findings + topic.findings)

    report = run(tmp_path, broad(200))
    assert report.result("FT401").status is Status.PASS
    assert report.result("FT402").status is Status.PASS
    assert report.result("FT401").metric("vendi_share[prompt]").low > 0.4


def test_the_task_sets_the_bands(tmp_path: Path) -> None:
    rows = narrow(200, dominant=0.34)
    general = run(tmp_path, rows).result("FT401")
    assert general.metric("vendi_share[prompt]").warn_at == 0.30
    assert general.metric("vendi_share[response]").warn_at == 0.20
    classification = run(tmp_path, rows, task="classification").result("FT401")
    assert classification.metric("vendi_share[prompt]").warn_at == 0.12
    assert classification.metric("vendi_share[response]").warn_at is None  # reported, not judged
    # An option replaces the prompt band.
    lenient = run(tmp_path, rows, checks={"FT401": {"warn_below": 0.0, "fail_below": 0.0}})
    assert lenient.result("FT401").metric("vendi_share[prompt]").fail_at == 0.0


def test_reworded_rows_are_semantic_duplicates_minhash_misses(tmp_path: Path) -> None:
    rows = broad(150)
    rng = random.Random(5)
    planted = []
    for i in range(0, 60, 2):  # 30 rows: the same words as another row, in another order
        prompt = rows[i]["messages"][0]["content"].split()
        rng.shuffle(prompt)
        planted.append(chat(" ".join(prompt), rows[i]["messages"][1]["content"]))
    result = run(tmp_path, rows + planted).result("FT403")
    assert result.status is Status.WARN
    assert result.metric("semantic_duplicate_groups").value == 30
    assert {f.line for f in result.findings} == {i + 1 for i in range(0, 60, 2)}
    assert all(f.related_lines[0] > 150 for f in result.findings)
    # The same pairs with different answers are contrasts, not copies.
    contrasts = [
        chat(r["messages"][0]["content"], " ".join(rng.sample(WORDS, 15))) for r in planted
    ]
    assert run(tmp_path, rows + contrasts).result("FT403").status is Status.PASS
    assert run(tmp_path, rows).result("FT403").status is Status.PASS


def test_exact_and_minhash_copies_are_left_to_ft301_and_ft302(tmp_path: Path) -> None:
    rows = broad(100)
    result = run(tmp_path, rows + rows[:20]).result("FT403")
    assert result.status is Status.PASS and result.metric("semantic_duplicate_groups").value == 0


def test_off_task_rows_are_outliers_by_line(tmp_path: Path) -> None:
    rows = narrow(150, dominant=0.34)
    for at in (20, 80):
        rows.insert(at, chat(" ".join(WORDS[at : at + 8]), " ".join(WORDS[at + 100 : at + 106])))
    result = run(tmp_path, rows).result("FT404")
    assert result.status is Status.WARN
    assert sorted(f.line for f in result.findings) == [21, 81]
    assert run(tmp_path, narrow(150, dominant=0.34)).result("FT404").status is Status.PASS


def test_reworded_eval_questions_are_paraphrase_candidates(tmp_path: Path) -> None:
    rows = broad(120)
    rng = random.Random(9)
    leaked = []
    for i in range(10):
        words = rows[i]["messages"][0]["content"].split()
        rng.shuffle(words)
        leaked.append(chat(" ".join(words), "an answer of its own " + str(i)))
    fresh = broad(20, seed=99)
    result = run(tmp_path, rows, eval_rows=leaked + fresh).result("FT505")
    assert result.status is Status.WARN  # never a fail on its own
    assert [f.line for f in result.findings] == list(range(1, 11))
    assert [f.related_lines for f in result.findings] == [[i + 1] for i in range(10)]
    assert all(
        f.excerpt and f.related_excerpt and f.category == "paraphrase" for f in result.findings
    )
    clean = run(tmp_path, rows, eval_rows=fresh).result("FT505")
    assert clean.status is Status.PASS and not clean.findings
    # Exact copies are FT502's.
    copies = run(tmp_path, rows, eval_rows=rows[:5] + fresh).result("FT505")
    assert copies.status is Status.PASS


def test_a_budget_samples_and_says_so(tmp_path: Path) -> None:
    embedder = StubEmbedder()
    report = run(tmp_path, broad(500), embed_budget=100, embedder=embedder, embed_cache=False)
    info = report.embeddings
    assert (info.train_rows, info.train_sampled, info.budget) == (500, 100, 100)
    assert len(embedder.calls) == 200  # 100 prompts and 100 answers, each once
    metric = report.result("FT401").metric("embedded[prompt]")
    assert metric.value == 100 and "sample of 500" in metric.note
    every = run(tmp_path, broad(500), embed_budget=100, embed_all=True).embeddings
    assert every.train_sampled == 500 and every.budget is None


def test_each_text_is_embedded_once_for_every_check(tmp_path: Path) -> None:
    embedder = StubEmbedder()
    rows = broad(50)
    run(tmp_path, rows, eval_rows=rows[:5] + broad(5, seed=3), embedder=embedder, embed_cache=False)
    assert len(embedder.calls) == len(set(embedder.calls)) == 110


def test_the_cache_serves_a_second_run_and_only_edits_are_embedded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    rows = broad(300, seed=11)
    first = run(tmp_path, rows).embeddings
    assert first.embedded == 600 and first.cached == 0
    again = run(tmp_path, rows).embeddings
    assert (again.embedded, again.cached) == (0, 600)
    edited = [dict(r) for r in rows]
    for i in range(0, 300, 100):  # 1% of rows: a new answer each
        edited[i] = chat(rows[i]["messages"][0]["content"], f"an edited answer {i}")
    after = run(tmp_path, edited).embeddings
    assert (after.embedded, after.cached) == (3, 597)


def test_without_embeddings_every_check_is_skipped_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor.embeddings as embeddings

    real = embeddings.importlib.util.find_spec
    monkeypatch.setattr(
        embeddings.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "sentence_transformers" else real(name, *a),
    )
    train = write(tmp_path / "train.jsonl", broad(30))
    report = audit(
        [train],
        [write(tmp_path / "t.jsonl", broad(3))],
        load_config(None, {"select": ["FT4", "FT505"]}),
    )
    for code in ("FT401", "FT402", "FT403", "FT404", "FT505"):
        result = report.result(code)
        assert result.status is Status.SKIPPED
        assert 'pip install "ftaudit[embed]"' in result.summary
    assert report.embeddings is None

    off = load_config(None, {"select": ["FT4"], "embed": False})
    assert "turned off" in audit([train], [], off).result("FT401").summary


def test_progress_reports_texts_and_time(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    train = write(tmp_path / "train.jsonl", broad(400))
    config = load_config(None, {"select": ["FT401"], "embed_cache": False})
    audit(
        [train], [], config, embedder=StubEmbedder(), on_embed=lambda d, t, s: seen.append((d, t))
    )
    assert seen[0] == (0, 800)  # announced before the model loads
    assert seen[-1] == (800, 800) and len(seen) == 5  # then after each chunk of 256 texts


def test_a_model_that_is_not_on_disk_is_a_usage_error_at_once(tmp_path: Path) -> None:
    from auditor.cli import main

    train = write(tmp_path / "train.jsonl", broad(5))
    started = time.perf_counter()
    code = main([str(train), "--embed-model", "sentence-transformers/all-mpnet-base-v2", "-q"])
    assert code == 2 and time.perf_counter() - started < 5


def test_findings_name_the_file_each_row_is_in(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", broad(10))
    b = write(tmp_path / "b.jsonl", narrow(200, dominant=0.7))
    config = load_config(None, {"select": ["FT402", "FT403"], "task": "general"})
    report = audit([a, b], [], config, embedder=StubEmbedder())
    dominant = report.result("FT402").findings[0]
    assert dominant.file == str(b) and dominant.line <= 200
    assert all(line <= 200 for line in dominant.related_lines)
    rows = broad(60)
    twins = [
        chat(" ".join(reversed(r["messages"][0]["content"].split())), r["messages"][1]["content"])
        for r in rows[:10]
    ]
    c, d = write(tmp_path / "c.jsonl", rows), write(tmp_path / "d.jsonl", twins)
    found = audit([c, d], [], config, embedder=StubEmbedder()).result("FT403").findings
    assert len(found) == 10
    assert all(f.file == str(c) and f.related_file == str(d) for f in found)
    assert sorted(f.related_lines[0] for f in found) == list(range(1, 11))


def test_plain_text_eval_is_compared_on_its_text(tmp_path: Path) -> None:
    rows = broad(60)
    train = [{"text": r["messages"][0]["content"]} for r in rows]
    leaked = [{"text": " ".join(reversed(t["text"].split()))} for t in train[:5]]
    fresh = [{"text": r["messages"][0]["content"]} for r in broad(10, seed=7)]
    for task in ("general", "extraction"):
        result = run(tmp_path, train, eval_rows=leaked + fresh, task=task).result("FT505")
        assert result.status is Status.WARN, (task, result.summary)
        assert [f.line for f in result.findings] == [1, 2, 3, 4, 5]


def test_empty_turns_are_not_texts(tmp_path: Path) -> None:
    rows = [chat("", f"answer {i} " + " ".join(WORDS[i * 5 : i * 5 + 5])) for i in range(60)]
    report = run(tmp_path, rows)
    low = report.result("FT401")
    assert low.metric("embedded[response]").value == 60
    assert low.metric("embedded[prompt]") is None  # "user:" alone is not a prompt
    assert low.status is Status.PASS


def test_on_a_sample_the_duplicate_rate_is_a_lower_bound(tmp_path: Path) -> None:
    rng = random.Random(3)
    rows = broad(1640, seed=4)
    for i in range(40):  # 40 groups of 10 rewordings: 360 redundant rows of 2,000 (18%)
        words = rows[i]["messages"][0]["content"].split()
        for _ in range(9):
            rng.shuffle(words)
            rows.append(chat(" ".join(words), rows[i]["messages"][1]["content"]))
    full = run(tmp_path, rows, embed_cache=False).result("FT403").metric("semantic_duplicate_rate")
    assert full.value == pytest.approx(0.18, abs=0.005)
    sampled = run(tmp_path, rows, embed_budget=400, embed_cache=False).result("FT403")
    rate = sampled.metric("semantic_duplicate_rate")
    assert rate.value <= full.value and "lower bound" in rate.note


def test_inserting_a_row_moves_only_that_row_in_the_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FTAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    rows = broad(1000, seed=12)
    first = run(tmp_path, rows, embed_budget=300).embeddings
    assert first.embedded == 600
    after = run(tmp_path, [chat("a new first row", "and its answer"), *rows], embed_budget=300)
    assert after.embeddings.embedded <= 2  # the new row, if the sample takes it
