"""FT501–FT506: planted leaks are all found, templated-but-distinct rows are not leaks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from auditor import AuditConfig, audit
from auditor.check import Status
from auditor.heldout import decontaminate_file
from auditor.report import Report
from tests.test_minhash import edited, vocabulary, zipf_text

SYSTEM = "You are a helpful assistant for the Northwind travel desk. Answer precisely."


def chat(question: str, answer: str, system: str | None = SYSTEM) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}] if system else []
    return {
        "messages": [
            *messages,
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def leaked_lines(report: Report, code: str, category: str | None = None) -> set[int]:
    result = report.result(code)
    assert result is not None
    return {
        f.line
        for f in result.findings
        if f.line is not None and (category is None or f.category == category)
    }


class Corpus:
    """Random Zipf-worded questions and answers: unrelated texts share no long span."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.vocab = vocabulary(self.rng)

    def words(self, low: int, high: int) -> list[str]:
        return zipf_text(self.rng, self.vocab, int(self.rng.integers(low, high)))

    def row(self) -> dict[str, Any]:
        return chat(" ".join(self.words(12, 30)) + "?", " ".join(self.words(30, 70)) + ".")


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, Path, dict[str, int]]:
    """Train and eval files with one planted leak of each kind; returns eval lines by kind."""
    corpus = Corpus(3)
    train = [corpus.row() for _ in range(120)]
    evals = [corpus.row() for _ in range(40)]
    # 1. an exact copy of train row 10 (eval line 41).
    evals.append(train[10])
    # 2. a lightly edited copy of train row 20: 5% of its words changed (eval line 42).
    question = train[20]["messages"][1]["content"].split()
    answer = train[20]["messages"][2]["content"].split()
    evals.append(
        chat(
            " ".join(edited(corpus.rng, question, corpus.vocab, 0.05)),
            " ".join(edited(corpus.rng, answer, corpus.vocab, 0.05)),
        )
    )
    # 3. a long span of an eval answer inside a longer train answer (eval line 43).
    span = corpus.words(25, 26)
    evals.append(chat(" ".join(corpus.words(12, 20)), " ".join(span)))
    train[30]["messages"][2]["content"] = " ".join([*corpus.words(40, 41), *span, "and so on"])
    # 4. a prompt-only benchmark row whose question was copied into train (eval line 44).
    benchmark = " ".join(corpus.words(20, 30)) + "?"
    evals.append({"question": benchmark})
    train.append(chat(benchmark, " ".join(corpus.words(30, 40))))
    lines = {"exact": 41, "edited": 42, "span": 43, "benchmark": 44}
    return write(tmp_path / "train.jsonl", train), write(tmp_path / "test.jsonl", evals), lines


def test_every_planted_leak_is_found_and_nothing_else(
    planted: tuple[Path, Path, dict[str, int]],
) -> None:
    train, evals, lines = planted
    report = audit([train], [evals])
    assert leaked_lines(report, "FT502") == {lines["exact"], lines["benchmark"]}
    assert leaked_lines(report, "FT503") == {lines["exact"], lines["edited"], lines["benchmark"]}
    assert leaked_lines(report, "FT504", "verbatim") == {
        lines["exact"],
        lines["edited"],
        lines["span"],
        lines["benchmark"],
    }
    for code in ("FT502", "FT503", "FT504"):
        result = report.result(code)
        assert result is not None and result.status is Status.FAIL  # ≥ 2 of 44 rows > 1%


def test_findings_name_both_sides(planted: tuple[Path, Path, dict[str, int]]) -> None:
    train, evals, lines = planted
    report = audit([train], [evals])
    exact = report.result("FT502")
    assert exact is not None
    copy = next(f for f in exact.findings if f.line == lines["exact"])
    assert copy.file == str(evals) and copy.related_file == str(train)
    assert copy.related_lines == [11]
    assert copy.path == "example, prompt, response"
    assert copy.excerpt and copy.related_excerpt
    benchmark = next(f for f in exact.findings if f.line == lines["benchmark"])
    assert benchmark.path == "prompt" and benchmark.related_lines == [121]
    ngram = report.result("FT504")
    assert ngram is not None
    span = next(f for f in ngram.findings if f.line == lines["span"])
    assert span.path == "response" and span.related_lines == [31]
    assert "25 consecutive words" in span.message
    assert ngram.metric("longest_verbatim_span") is not None


def test_each_eval_file_is_judged_on_its_own(
    tmp_path: Path, planted: tuple[Path, Path, dict[str, int]]
) -> None:
    train, leaky, _ = planted
    corpus = Corpus(11)
    clean = write(tmp_path / "bench.jsonl", [corpus.row() for _ in range(30)])
    report = audit([train], [leaky, clean])
    result = report.result("FT502")
    assert result is not None
    shares = {m.name: m.value for m in result.metrics}
    assert shares[f"leaked_share[{leaky}]"] == pytest.approx(2 / 44, abs=1e-6)
    assert shares[f"leaked_share[{clean}]"] == 0.0
    assert {f.file for f in result.findings} == {str(leaky)}


def sentiment_rows(seed: int, count: int) -> list[dict[str, Any]]:
    """One templated task family: a fixed instruction around distinct reviews."""
    corpus = Corpus(seed)
    instruction = (
        "Read the following customer review of a product we sell and classify its overall "
        "sentiment as positive or negative, answering with one word only."
    )
    return [
        chat(
            f"{instruction}\n\nReview: {' '.join(corpus.words(15, 40))}",
            "positive" if i % 2 else "negative",
            system="You label product reviews.",
        )
        for i in range(count)
    ]


def test_templated_but_distinct_questions_are_not_leaks(tmp_path: Path) -> None:
    rows = sentiment_rows(5, 260)
    train = write(tmp_path / "train.jsonl", rows[:200])
    evals = write(tmp_path / "valid.jsonl", rows[200:])
    report = audit([train], [evals])
    for code in ("FT502", "FT503"):
        result = report.result(code)
        assert result is not None and result.status is Status.PASS, result.summary
    ngram = report.result("FT504")
    assert ngram is not None and ngram.status is not Status.FAIL
    # The shared instruction is template wording, reported as such, never as verbatim.
    assert leaked_lines(report, "FT504", "verbatim") == set()
    assert leaked_lines(report, "FT504", "template")


def test_short_and_generic_texts_are_not_leaks(tmp_path: Path) -> None:
    corpus = Corpus(8)
    train = [chat(" ".join(corpus.words(10, 20)), label) for label in ["yes", "no"] * 30]
    train.append(chat("hi", "Hello! How can I help?"))
    evals = [chat(" ".join(corpus.words(10, 20)), "yes"), chat("hi", "Hi there, what's up?")]
    report = audit([write(tmp_path / "a.jsonl", train)], [write(tmp_path / "b.jsonl", evals)])
    for code in ("FT502", "FT503", "FT504"):
        result = report.result(code)
        assert result is not None and result.status is Status.PASS, (code, result.summary)


def test_no_eval_set_warns_and_leak_checks_skip(tmp_path: Path) -> None:
    corpus = Corpus(1)
    report = audit([write(tmp_path / "data.jsonl", [corpus.row() for _ in range(5)])])
    no_eval = report.result("FT501")
    assert no_eval is not None and no_eval.status is Status.WARN
    assert "memoriz" in no_eval.findings[0].message
    for code in ("FT502", "FT503", "FT504", "FT506"):
        result = report.result(code)
        assert result is not None and result.status is Status.SKIPPED


def test_sibling_split_files_are_discovered(tmp_path: Path) -> None:
    corpus = Corpus(2)
    train = write(tmp_path / "train.jsonl", [corpus.row() for _ in range(5)])
    valid = write(tmp_path / "valid.jsonl", [corpus.row() for _ in range(3)])
    write(tmp_path / "notes.jsonl", [corpus.row()])
    report = audit([train])
    evals = [d for d in report.datasets if d.split == "eval"]
    assert [(d.path, d.discovered) for d in evals] == [(str(valid), True)]
    alone = audit([train], config=AuditConfig(discover_eval=False))
    assert [d.split for d in alone.datasets] == ["train"]


def test_eval_set_too_small_or_unlike_train(tmp_path: Path) -> None:
    corpus = Corpus(4)
    train = write(tmp_path / "t.jsonl", [corpus.row() for _ in range(300)])
    short = [chat(" ".join(corpus.words(2, 4)), " ".join(corpus.words(30, 60))) for _ in range(150)]
    pairs = [
        {"prompt": " ".join(corpus.words(12, 30)), "chosen": "a b c", "rejected": "d e f"}
        for _ in range(120)
    ]
    report = audit(
        [train],
        [
            write(tmp_path / "small.jsonl", [corpus.row() for _ in range(20)]),
            write(tmp_path / "short.jsonl", short),
            write(tmp_path / "pairs.jsonl", pairs),
        ],
    )
    result = report.result("FT506")
    assert result is not None and result.status is Status.WARN
    by_file = {Path(str(f.file)).name: f.message for f in result.findings}
    assert "only 20 eval rows" in by_file["small.jsonl"]
    assert "prompt lengths unlike train" in by_file["short.jsonl"]
    assert "preference" in by_file["pairs.jsonl"]


def test_a_shared_template_system_prompt_is_not_a_leak(tmp_path: Path) -> None:
    corpus = Corpus(14)
    persona = "You are Ava, the cheerful concierge of the Harbour Hotel. " * 3
    train_rows = [chat(*_qa(corpus), system=persona) for _ in range(30)]
    copied = train_rows[4]["messages"]
    eval_rows = [chat(*_qa(corpus), system=persona) for _ in range(10)]
    # The same question under the template system prompt, and once with no system prompt.
    eval_rows.append(chat(copied[1]["content"], " ".join(corpus.words(30, 40)), system=persona))
    eval_rows.append(chat(copied[1]["content"], " ".join(corpus.words(30, 40)), system=None))
    report = audit(
        [write(tmp_path / "t.jsonl", train_rows)], [write(tmp_path / "e.jsonl", eval_rows)]
    )
    assert leaked_lines(report, "FT502") == {11, 12}
    assert leaked_lines(report, "FT503") <= {11, 12}
    assert leaked_lines(report, "FT504", "verbatim") == {11, 12}


def _qa(corpus: Corpus) -> tuple[str, str]:
    return " ".join(corpus.words(12, 25)) + "?", " ".join(corpus.words(30, 60))


def test_near_overlap_uses_ft302_settings_and_shares_its_signatures(tmp_path: Path) -> None:
    from auditor.context import AuditContext
    from auditor.dataset import load_dataset
    from checks.leakage import NearDuplicateOverlap
    from checks.near_duplicates import NearDuplicates

    corpus = Corpus(15)
    train_rows = [corpus.row() for _ in range(40)]
    question = train_rows[0]["messages"][1]["content"].split()
    answer = train_rows[0]["messages"][2]["content"].split()
    edited_copy = chat(
        " ".join(edited(corpus.rng, question, corpus.vocab, 0.1)),
        " ".join(edited(corpus.rng, answer, corpus.vocab, 0.1)),
    )
    train = write(tmp_path / "t.jsonl", train_rows)
    evals = write(tmp_path / "e.jsonl", [corpus.row(), edited_copy])
    dataset = load_dataset([train], [evals])
    ctx = AuditContext(dataset, AuditConfig())
    NearDuplicates().run(ctx)
    found = NearDuplicateOverlap().run(ctx)
    assert {f.line for f in found.findings} == {2}
    train_keys = [k for k in ctx.artifacts if k[0] == "minhash-signatures" and k[1] == "train"]
    assert sorted(k[2] for k in train_keys) == ["example", "prompt", "response"]
    strict = AuditConfig(checks={"FT302": {"threshold": 0.95}})
    assert NearDuplicateOverlap().run(AuditContext(dataset, strict)).findings == []


def test_leaks_name_the_train_file_they_come_from(tmp_path: Path) -> None:
    corpus = Corpus(16)
    first = [corpus.row() for _ in range(10)]
    second = [corpus.row() for _ in range(10)]
    a = write(tmp_path / "a.jsonl", first)
    b = write(tmp_path / "b.jsonl", second)
    evals = write(tmp_path / "e.jsonl", [first[2], second[5]])
    report = audit([a, b], [evals])
    result = report.result("FT502")
    assert result is not None
    assert sorted((f.line, f.related_file, tuple(f.related_lines)) for f in result.findings) == [
        (1, str(a), (3,)),
        (2, str(b), (6,)),
    ]


def test_boilerplate_around_a_varying_slot_is_template_wording(tmp_path: Path) -> None:
    """A frame (a tool-call receipt) with one varying word, shared by train and eval: each
    13-gram through the slot is in few texts, but its words are boilerplate."""
    corpus = Corpus(17)
    # 20 cities over 70 rows: each slot value in 3–4 train texts, under template_texts.
    cities = [f"city{i}" for i in range(20)]

    def receipt(city: str) -> str:
        return (
            f"calling the weather tool now with the arguments city {city} and unit celsius "
            "then the tool replied with status ok and the forecast follows below in full"
        )

    train_rows = [
        chat(
            " ".join(corpus.words(12, 20)),
            receipt(cities[i % 20]) + " " + " ".join(corpus.words(20, 30)),
        )
        for i in range(70)
    ]
    eval_rows = [
        chat(
            " ".join(corpus.words(12, 20)),
            receipt(cities[i % 3]) + " " + " ".join(corpus.words(20, 30)),
        )
        for i in range(6)
    ]
    report = audit(
        [write(tmp_path / "t.jsonl", train_rows)], [write(tmp_path / "e.jsonl", eval_rows)]
    )
    assert leaked_lines(report, "FT504", "verbatim") == set()
    assert leaked_lines(report, "FT504", "template") == set(range(1, 7))
    result = report.result("FT504")
    assert result is not None and result.status is Status.WARN


def test_an_answer_template_with_varying_numbers_is_not_a_leak(tmp_path: Path) -> None:
    corpus = Corpus(18)

    def row(i: int) -> dict[str, Any]:
        return chat(
            " ".join(corpus.words(12, 25)) + "?",
            f"Thank you for waiting. Your order number {1000 + i} has shipped today and "
            "should arrive within three to five business days. The tracking link is in "
            "the confirmation email we sent you.",
        )

    report = audit(
        [write(tmp_path / "t.jsonl", [row(i) for i in range(60)])],
        [write(tmp_path / "e.jsonl", [row(i) for i in range(60, 70)])],
    )
    for code in ("FT502", "FT503"):
        result = report.result(code)
        assert result is not None and result.status is Status.PASS, (code, result.summary)
    assert leaked_lines(report, "FT504", "verbatim") == set()


def test_review_cases_that_are_leaks(tmp_path: Path) -> None:
    corpus = Corpus(20)
    question = " ".join(corpus.words(24, 30)) + "?"
    short = "which river flows through the ancient city of baghdad today"
    cjk = "请问第七号订单的退款政策是什么以及需要多久"
    persona = "You are the concierge of the Harbour Hotel, answering guests briefly."
    train_rows = [corpus.row() for _ in range(20)]
    # One question sampled three times with different answers (rejection sampling).
    train_rows += [chat(question, " ".join(corpus.words(30, 40))) for _ in range(3)]
    train_rows.append(chat("geography notes", f"Notes: {short}. It is the Tigris."))
    train_rows.append(chat(cjk, "七天内可以退款。"))
    train_rows.append(chat("What time is breakfast served on Sundays?", "From 7 to 11.", persona))
    eval_rows = [
        chat(question, " ".join(corpus.words(30, 40))),  # 1
        {"question": short},  # 2
        {"question": cjk},  # 3
        chat("What time is breakfast served on Sundays?", "At seven.", persona),  # 4
        chat("Is there parking at the hotel for guests?", "Yes, in the garage.", persona),  # 5
        chat("hi", "hello"),  # 6: too short to be a leak
    ]
    report = audit(
        [write(tmp_path / "t.jsonl", train_rows)], [write(tmp_path / "e.jsonl", eval_rows)]
    )
    assert leaked_lines(report, "FT502") == {1, 3, 4}
    assert 2 in leaked_lines(report, "FT504", "verbatim")
    for code in ("FT502", "FT503", "FT504"):
        assert 6 not in leaked_lines(report, code), code


def test_a_short_varying_part_in_a_long_template_is_reviewed_not_failed(tmp_path: Path) -> None:
    corpus = Corpus(21)
    instruction = (
        "You will read a short customer review of a product from our online store. Decide "
        "whether the overall sentiment of the customer is positive or negative, then answer."
    )
    rows = [
        chat(
            f"{instruction} Review: {' '.join(corpus.words(5, 7))}", ["positive", "negative"][i % 2]
        )
        for i in range(400)
    ]
    train = write(tmp_path / "t.jsonl", rows[:300])
    evals = write(tmp_path / "e.jsonl", rows[300:])
    report = audit([train], [evals])
    for code in ("FT502", "FT503", "FT504"):
        result = report.result(code)
        assert result is not None and result.status is not Status.FAIL, (code, result.summary)
    summary = decontaminate_file(
        train,
        [evals],
        tmp_path / "c.jsonl",
        methods=["exact", "near", "ngram"],
        config=AuditConfig(),
    )
    assert len(summary.removed) < 15  # only rows whose review words really coincide


def test_an_empty_sibling_split_is_passed_over(tmp_path: Path) -> None:
    corpus = Corpus(26)
    train = write(tmp_path / "train.jsonl", [corpus.row() for _ in range(4)])
    (tmp_path / "valid.jsonl").write_text("")
    test = write(tmp_path / "test.jsonl", [corpus.row()])
    report = audit([train])
    assert [d.path for d in report.datasets if d.split == "eval"] == [str(test)]
