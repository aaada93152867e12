"""The embedding checks' bands, measured again with the real MiniLM on the calibration sets
(tests/fixtures/make_diversity_fixtures.py): the numbers the checks' docstrings quote."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest

from auditor import audit
from auditor.check import CheckResult, Status
from auditor.config import load_config

pytestmark = pytest.mark.embed
FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

import make_diversity_fixtures as sets  # noqa: E402


def result(code: str, kind: str, task: str = "general", **settings: object) -> CheckResult:
    held_out = FIXTURES / code / f"{kind}.eval.jsonl"
    config = load_config(None, {"select": [code], "task": task, **settings})
    report = audit(
        [FIXTURES / code / f"{kind}.jsonl"], [held_out] if held_out.exists() else [], config
    )
    found = report.result(code)
    assert found is not None
    return found


def questions(path: Path) -> list[str]:
    return [orjson.loads(line)["messages"][0]["content"] for line in path.read_bytes().splitlines()]


def test_the_narrow_set_fails_ft401_and_warns_ft402_and_the_broad_set_passes() -> None:
    narrow = result("FT401", "bad")
    share = narrow.metric("vendi_share[prompt]")
    assert narrow.status is Status.FAIL and share.high < 0.18
    assert 0.08 < share.value < 0.16
    broad = result("FT401", "good")
    assert broad.status is Status.PASS and broad.metric("vendi_share[prompt]").low > 0.6
    topic = result("FT402", "bad")
    assert topic.status is Status.WARN
    assert 0.4 < topic.metric("largest_topic_share[prompt]").value < 0.6
    assert result("FT402", "good").metric("largest_topic_share[prompt]").value < 0.2
    # For an intent classifier the same five intents are what the task is.
    assert result("FT401", "bad", task="classification").status is Status.PASS


def test_planted_paraphrases_are_found_and_only_they() -> None:
    found = result("FT403", "bad")
    assert found.status is Status.WARN
    lines = questions(FIXTURES / "FT403" / "bad.jsonl")
    line_of = {q: i + 1 for i, q in enumerate(lines)}
    broad = sets.broad_rows()
    pairs = {
        frozenset((line_of[q], line_of[broad[i][0]]))
        for i, q, _ in sets.paraphrases()
        if q in line_of
    }
    reported = [frozenset((f.line, *f.related_lines)) for f in found.findings]
    assert all(group in pairs for group in reported), "a reported group is not a planted pair"
    assert len(reported) >= 0.6 * len(pairs)  # 31 of 40 at the default threshold


def test_off_task_rows_are_the_outliers() -> None:
    found = result("FT404", "bad")
    assert found.status is Status.WARN
    assert sorted(f.line for f in found.findings) == [21, 62, 103, 144]
    assert result("FT404", "good").status is Status.PASS


def test_eval_paraphrases_are_review_candidates_with_their_train_original() -> None:
    found = result("FT505", "bad")
    assert found.status is Status.WARN  # never a fail
    eval_lines = questions(FIXTURES / "FT505" / "bad.eval.jsonl")
    original = {q: i + 1 for i, q, _ in sets.paraphrases()}  # train line = broad index + 1
    reported = {eval_lines[f.line - 1]: f.related_lines for f in found.findings}
    assert all(q in original for q in reported), "an unrelated eval row was reported"
    assert all(reported[q] == [original[q]] for q in reported)
    assert len(reported) >= 0.8 * len(original)
    assert all(f.excerpt and f.related_excerpt for f in found.findings)
    clean = result("FT505", "good")
    assert clean.status is Status.PASS and not clean.findings
