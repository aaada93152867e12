"""FT301 exact duplicates, FT303 conflicting answers, FT304 repeated preference pairs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from pydantic import ValidationError

from auditor import AuditConfig, audit
from auditor.check import Check, Status
from auditor.comparison import DUPLICATE_KEY, comparison_table
from auditor.context import AuditContext
from auditor.dedup import duplicate_rows, exact_groups
from checks.duplicates import ConflictingAnswers, DuplicatePreferencePairs, ExactDuplicates
from checks.size import DatasetSize
from tests.checkutil import context_of, fixture, flagged, metric

SYSTEM = "You are Acme's support assistant. Answer briefly and politely."


def chat(question: str, answer: str, system: str | None = SYSTEM) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer},
    ]
    return {"messages": messages}


def distinct(count: int) -> list[dict[str, Any]]:
    return [
        chat(f"Question number {i} about order {1000 + i}?", f"Answer {i}.") for i in range(count)
    ]


def pair(prompt: str, chosen: str, rejected: str) -> dict[str, Any]:
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


# --- fixtures ------------------------------------------------------------------------------

FIXTURE_CASES: list[tuple[str, type[Check], list[int]]] = [
    ("FT301", ExactDuplicates, [1, 3, 4]),
    ("FT303", ConflictingAnswers, [1, 8]),
    ("FT304", DuplicatePreferencePairs, [4, 7]),
]


@pytest.mark.parametrize(("code", "check", "lines"), FIXTURE_CASES)
def test_bad_fixture_flags_known_lines(code: str, check: type[Check], lines: list[int]) -> None:
    result = check().run(fixture(code, "bad"))
    assert result.status in (Status.WARN, Status.FAIL), result.summary
    assert flagged(result) == lines
    assert all(f.code == code for f in result.findings)


@pytest.mark.parametrize(("code", "check", "lines"), FIXTURE_CASES)
def test_good_fixture_passes(code: str, check: type[Check], lines: list[int]) -> None:
    result = check().run(fixture(code, "good"))
    assert result.status is Status.PASS, result.summary
    assert not result.findings


def test_fixture_groups_name_their_copies() -> None:
    result = ExactDuplicates().run(fixture("FT301", "bad"))
    related = {f.line: f.related_lines for f in result.findings}
    assert related == {1: [7, 21], 3: [13], 4: [29]}


# --- FT301 ---------------------------------------------------------------------------------


def test_exact_copies_are_grouped(tmp_path: Path) -> None:
    rows = distinct(20)
    rows[5] = rows[2]
    rows[9] = rows[2]
    result = ExactDuplicates().run(context_of(tmp_path, rows))
    assert [(f.line, f.related_lines) for f in result.findings] == [(3, [6, 10])]
    assert metric(result, "duplicate_rows") == 2
    assert metric(result, "duplicate_groups") == 1
    assert metric(result, "largest_group") == 3
    assert metric(result, "exact_duplicate_rate") == pytest.approx(2 / 20)
    assert result.status is Status.WARN


@pytest.mark.parametrize(
    "variant",
    [
        chat("  WHERE is my   order?", "It ships\ttomorrow."),
        chat("Where is my order?\n", "IT SHIPS TOMORROW."),
        chat("Ｗhere is my order?", "It ships tomorrow."),  # fullwidth W: NFKC
    ],
)
def test_case_and_whitespace_differences_still_duplicate(
    tmp_path: Path, variant: dict[str, Any]
) -> None:
    rows = [chat("Where is my order?", "It ships tomorrow."), *distinct(10), variant]
    result = ExactDuplicates().run(context_of(tmp_path, rows))
    assert [(f.line, f.related_lines) for f in result.findings] == [(1, [12])]


def test_templated_dataset_is_not_duplicated(tmp_path: Path) -> None:
    # Same long system prompt, different questions: the template is not content.
    rows = [chat(f"Ticket {i}: my {item} is broken.", "technical") for i, item in enumerate("ab")]
    rows += [chat(f"Ticket {i}: please refund order {i}.", "billing") for i in range(2, 40)]
    ctx = context_of(tmp_path, rows)
    assert ExactDuplicates().run(ctx).status is Status.PASS
    assert ConflictingAnswers().run(ctx).status is Status.PASS


def test_the_same_example_under_two_templates_is_not_a_copy(tmp_path: Path) -> None:
    french = "You answer in French, in two sentences at most."
    rows = [chat("Where is my order?", "It ships tomorrow."), *distinct(10)]
    rows += [chat("Where is my order?", "It ships tomorrow.", system=french)]
    rows += [chat("Can I pay by card?", "Yes.", system=french)]  # makes `french` a template
    result = ExactDuplicates().run(context_of(tmp_path, rows))
    assert result.status is Status.PASS, result.findings
    assert metric(result, "prompt_duplicate_rate") == 0.0
    rows.append(chat("Where is my order?", "It ships tomorrow.", system=french))
    result = ExactDuplicates().run(context_of(tmp_path, rows))
    assert [(f.line, f.related_lines) for f in result.findings] == [(12, [14])]


def test_a_one_off_system_prompt_is_content(tmp_path: Path) -> None:
    rows = [*distinct(10), chat("Where is my order?", "It ships tomorrow.", system="Be terse.")]
    table = context_of(tmp_path, rows).comparison
    assert table["template"].null_count() == 1
    assert table["example"][-1].startswith("system: be terse.")
    assert not table["example"][0].startswith("system:")


def test_prompt_and_response_rates(tmp_path: Path) -> None:
    rows = [chat("Same question?", f"Different answer {i}.") for i in range(4)]
    rows += [chat(f"Other question {i}?", "Same answer here, long enough.") for i in range(6)]
    result = ExactDuplicates().run(context_of(tmp_path, rows))
    assert result.status is Status.PASS
    assert metric(result, "prompt_duplicate_rate") == pytest.approx(3 / 10)
    assert metric(result, "response_duplicate_rate") == pytest.approx(5 / 10)


@pytest.mark.parametrize(
    ("copies", "status"),
    [(0, Status.PASS), (2, Status.PASS), (3, Status.WARN), (10, Status.WARN), (11, Status.FAIL)],
)
def test_thresholds(tmp_path: Path, copies: int, status: Status) -> None:
    rows = distinct(100)
    for i in range(copies):
        rows[99 - i] = rows[0]
    assert ExactDuplicates().run(context_of(tmp_path, rows)).status is status


def test_unique_count_is_shared_with_the_size_checks(tmp_path: Path) -> None:
    rows = distinct(10)
    rows[9] = rows[8]
    ctx = context_of(tmp_path, rows)
    assert ctx.unique_examples is None  # no duplicate check selected: raw rows are judged
    ctx = AuditContext(ctx.dataset, ctx.config, checks=[ExactDuplicates(), DatasetSize()])
    assert ctx.unique_examples == 9
    size = DatasetSize().run(ctx)
    assert metric(size, "unique_examples") == 9
    assert "unique examples" in size.summary


def test_size_check_judges_unique_examples_in_any_check_order(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    rows = distinct(60)
    rows[50:] = [rows[0]] * 10  # 60 rows, 50 unique
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    report = audit([path], config=AuditConfig(task="classification", select=["FT2", "FT3"]))
    size = report.result("FT201")
    assert size is not None and metric(size, "unique_examples") == 50


def test_options_validate() -> None:
    with pytest.raises(ValidationError):
        ExactDuplicates.Options(warn_above=0.5, fail_above=0.1)
    with pytest.raises(ValidationError):
        ExactDuplicates.Options(nearness=0.5)  # type: ignore[call-arg]


def test_hash_collisions_never_merge_different_texts() -> None:
    table = pl.DataFrame(
        {"row": pl.Series([0, 1, 2, 3, 4], dtype=pl.UInt32), "text": ["a", "b", "a", "c", ""]}
    )

    def colliding(expr: pl.Expr) -> pl.Expr:
        return pl.lit(0, dtype=pl.UInt64) + expr.str.len_bytes() * 0  # every text hashes to 0

    groups = exact_groups(table, "text", hasher=colliding)
    assert groups["rows"].to_list() == [[0, 2]]
    assert duplicate_rows(groups) == 1


def test_empty_examples_are_never_duplicates(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [{"text": " "}, {"text": ""}, {"text": ""}, *distinct(3)]
    frame = context_of(tmp_path, rows).train
    assert frame.height == 6
    assert exact_groups(comparison_table(frame), DUPLICATE_KEY).is_empty()


# --- FT303 ---------------------------------------------------------------------------------


def test_conflicting_labels_are_found(tmp_path: Path) -> None:
    rows = distinct(30)
    rows[3] = chat("I was charged twice.", "billing")
    rows[12] = chat("I was charged twice.", "billing")
    rows[20] = chat("i was charged  twice.", "technical")
    result = ConflictingAnswers().run(context_of(tmp_path, rows))
    assert result.status is Status.FAIL  # 3 of 30 rows > 5%
    [finding] = result.findings
    assert (finding.line, finding.related_lines) == (4, [13, 21])
    assert "'billing'×2" in finding.message and "'technical'×1" in finding.message
    assert metric(result, "conflicting_groups") == 1
    assert metric(result, "affected_rows") == 3


def test_one_conflict_in_a_large_dataset_warns(tmp_path: Path) -> None:
    rows = [*distinct(60), chat("Capital of France?", "Paris"), chat("Capital of France?", "Lyon")]
    assert ConflictingAnswers().run(context_of(tmp_path, rows)).status is Status.WARN


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Paris", "Paris."),
        ("Paris", "paris"),
        (
            "Open Settings, choose Security, then Reset password and follow the emailed link.",
            "Open Settings, choose Security, then Reset password and follow the emailed link!",
        ),
        (
            "You can return unused items within thirty days of delivery for a full refund.",
            "You can return unused items within thirty days of delivery for a full refund, too.",
        ),
    ],
)
def test_paraphrase_level_differences_are_not_conflicts(
    tmp_path: Path, first: str, second: str
) -> None:
    rows = [*distinct(10), chat("The question?", first), chat("The question?", second)]
    result = ConflictingAnswers().run(context_of(tmp_path, rows))
    assert result.status is Status.PASS, result.findings


def test_long_answers_that_disagree_conflict(tmp_path: Path) -> None:
    rows = [
        *distinct(10),
        chat("Can I return a sale item?", "Yes, sale items can be returned within 30 days."),
        chat("Can I return a sale item?", "No, sale items are final and cannot be returned."),
    ]
    result = ConflictingAnswers().run(context_of(tmp_path, rows))
    assert flagged(result) == [11]


def test_preference_and_kto_rows_are_skipped(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [
        pair("Capital of France?", "Paris", "Lyon"),
        pair("Capital of France?", "Paris", "Marseille"),
        {"prompt": "Capital of Spain?", "completion": "Madrid", "label": True},
        {"prompt": "Capital of Spain?", "completion": "Barcelona", "label": False},
    ]
    result = ConflictingAnswers().run(context_of(tmp_path, rows))
    assert result.status is Status.PASS
    assert metric(result, "applicable_rows") == 0


def test_answers_under_different_system_prompts_do_not_conflict(tmp_path: Path) -> None:
    french = "Answer in French."
    rows = [*distinct(10), chat("Is it open today?", "Yes."), chat("Hours?", "9-17.")]
    rows += [
        chat("Is it open today?", "Oui.", system=french),
        chat("Hours?", "9h-17h.", system=french),
    ]
    ctx = context_of(tmp_path, rows)
    assert ConflictingAnswers().run(ctx).status is Status.PASS
    rows.append(chat("Is it open today?", "Non.", system=french))
    result = ConflictingAnswers().run(context_of(tmp_path, rows))
    assert [(f.line, f.related_lines) for f in result.findings] == [(13, [15])]


def test_conflict_options() -> None:
    options = ConflictingAnswers.Options(similarity=0.5, short_answer_words=1, fail_above=0.2)
    assert options.similarity == 0.5
    with pytest.raises(ValidationError):
        ConflictingAnswers.Options(similarity=0.0)


# --- FT304 ---------------------------------------------------------------------------------


def test_repeated_pairs_are_found(tmp_path: Path) -> None:
    rows = [pair(f"Question {i}?", f"Good answer {i}.", f"Bad answer {i}.") for i in range(10)]
    rows.append(pair("QUESTION 2?", "Good answer 2.", "Bad  answer 2."))
    result = DuplicatePreferencePairs().run(context_of(tmp_path, rows))
    assert [(f.line, f.related_lines) for f in result.findings] == [(3, [11])]
    assert metric(result, "duplicate_pairs") == 1
    assert result.status is Status.WARN


def test_same_chosen_with_another_rejected_is_fine(tmp_path: Path) -> None:
    rows = [pair("Capital of France?", "Paris.", f"City {i}.") for i in range(5)]
    ctx = context_of(tmp_path, rows)
    assert DuplicatePreferencePairs().run(ctx).status is Status.PASS
    assert ExactDuplicates().run(ctx).status is Status.PASS


def test_no_preference_rows_is_not_applicable(tmp_path: Path) -> None:
    result = DuplicatePreferencePairs().run(context_of(tmp_path, distinct(5)))
    assert result.status is Status.PASS
    assert result.summary.startswith("not applicable:")


@pytest.mark.parametrize("check", [ExactDuplicates, ConflictingAnswers, DuplicatePreferencePairs])
def test_documentation_has_sections(check: type[Check]) -> None:
    doc = check.documentation()
    for section in ("What it checks", "Why it matters", "Example", "Options"):
        assert section in doc
