"""FT116, FT117: a consistent system prompt and a consistent output format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.check import Status
from checks.consistency import InconsistentSystemPrompt, OutputFormatDrift, first_difference
from tests.checkutil import context_of, fixture, flagged, metric

PROMPT = "You are Acme's support assistant. Answer in one short paragraph."


def row(answer: str, system: str | None = None, question: str = "A question?") -> dict[str, Any]:
    head = [{"role": "system", "content": system}] if system is not None else []
    return {
        "messages": [
            *head,
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


# --- FT116 ---------------------------------------------------------------------------------


def test_inconsistent_system_prompt_flags_the_fixture_rows() -> None:
    result = InconsistentSystemPrompt().run(fixture("FT116", "bad"))
    assert result.status is Status.WARN  # never fails by default
    assert flagged(result) == [4, 8, 9]
    missing, other, reworded = result.findings
    assert missing.message == "no system prompt, while 70% of chat rows share one"
    assert missing.path is None
    assert other.path == "messages[0].content"
    assert "from character 53" in reworded.message
    assert all(
        (f.excerpt or "").startswith("You are the support assistant of Fjord")
        for f in result.findings
    )
    assert metric(result, "dominant_prompt_share") == pytest.approx(0.7)
    assert metric(result, "distinct_system_prompts") == 3


def test_consistent_system_prompt_passes_the_good_fixture() -> None:
    # One row of the good fixture has trailing spaces: whitespace does not count.
    result = InconsistentSystemPrompt().run(fixture("FT116", "good"))
    assert result.status is Status.PASS
    assert result.summary.startswith("every chat row has the same system prompt")


def test_deliberately_varied_prompts_pass(tmp_path: Path) -> None:
    personas = ["a pirate", "a poet", "a chef", "a coach", "a judge", "a nurse"]
    rows = [row("Ahoy!", f"You are {p}.") for p in personas] + [row("Hi.", "You are a pirate.")]
    result = InconsistentSystemPrompt().run(context_of(tmp_path, rows))
    assert result.status is Status.PASS
    assert result.summary.startswith("no dominant system prompt")
    assert result.findings == []


def test_a_stray_prompt_among_rows_without_one(tmp_path: Path) -> None:
    rows = [row("Sure.")] * 9 + [row("Sure.", PROMPT)]
    result = InconsistentSystemPrompt().run(context_of(tmp_path, rows))
    (finding,) = result.findings
    assert finding.line == 10
    assert finding.message == "has a system prompt, while 90% of chat rows have none"
    assert finding.excerpt == PROMPT


def test_no_system_prompt_anywhere_passes(tmp_path: Path) -> None:
    result = InconsistentSystemPrompt().run(context_of(tmp_path, [row("Sure.")] * 3))
    assert result.status is Status.PASS
    assert result.summary.startswith("no chat row has a system prompt")


def test_dominant_share_is_an_option(tmp_path: Path) -> None:
    rows = [row("Sure.", PROMPT)] * 6 + [row("Sure.", "Be terse.")] * 4
    ctx = context_of(tmp_path, rows)
    assert InconsistentSystemPrompt().run(ctx).findings == []  # 60% < 70%
    looser = InconsistentSystemPrompt(InconsistentSystemPrompt.Options(dominant_share=0.6))
    assert flagged(looser.run(ctx)) == [7, 8, 9, 10]


@pytest.mark.parametrize(
    ("a", "b", "at"), [("abc", "abd", 2), ("abc", "abc", 3), ("ab", "abc", 2), ("", "x", 0)]
)
def test_first_difference(a: str, b: str, at: int) -> None:
    assert first_difference(a, b) == at


# --- FT117 ---------------------------------------------------------------------------------


def test_output_drift_flags_the_fixture_rows() -> None:
    result = OutputFormatDrift().run(fixture("FT117", "bad"))
    assert result.status is Status.FAIL  # 4 of 12 outputs, above the 5% fail share
    assert flagged(result) == [3, 7, 10, 12]
    messages = {f.line: f.message for f in result.findings}
    assert messages[3].startswith("not JSON")
    assert messages[7].startswith("JSON wrapped in a code fence")
    assert (
        messages[10] == "JSON keys differ from the usual {company, email, name}: missing `company`"
    )
    assert messages[12].startswith("not valid JSON (")
    assert {f.path for f in result.findings} == {"messages[2].content"}
    assert metric(result, "expected_format") == (
        "a JSON object with keys {company, email, name} (bare, no code fence)"
    )


def test_output_drift_passes_the_good_fixture() -> None:
    result = OutputFormatDrift().run(fixture("FT117", "good"))
    assert result.status is Status.PASS
    assert result.findings == []


def test_label_drift(tmp_path: Path) -> None:
    labels = ["positive", "negative", "neutral"] * 7
    answers = [*labels, "Positive.", "The review is positive because the food was great."]
    result = OutputFormatDrift().run(context_of(tmp_path, [row(a) for a in answers]))
    assert flagged(result) == [22, 23]
    spelled, verbose = result.findings
    assert spelled.message == "label `Positive.` is spelled differently from `positive` (7 rows)"
    assert verbose.message.startswith("not one of the 3 labels")
    assert metric(result, "expected_format").startswith("one of 3 labels")


def test_heading_skeleton_drift(tmp_path: Path) -> None:
    report = "## Summary\n{s}\n\n## Next steps\n- {n}"
    answers = [report.format(s=f"Issue {i} fixed.", n=f"Close ticket {i}.") for i in range(12)]
    answers.append("## Summary\nIssue 12 fixed.")
    answers.append("Issue 13 fixed; close the ticket.")
    result = OutputFormatDrift().run(context_of(tmp_path, [row(a) for a in answers]))
    assert flagged(result) == [13, 14]
    assert result.findings[1].message.startswith("no markdown headings")
    assert "## Summary / ## Next steps" in metric(result, "expected_format")


def test_markdown_block_drift(tmp_path: Path) -> None:
    tables = [f"| plan | price |\n|---|---|\n| basic | {i} € |" for i in range(10)]
    answers = [*tables, "The basic plan costs 5 €."]
    result = OutputFormatDrift().run(context_of(tmp_path, [row(a) for a in answers]))
    assert flagged(result) == [11]
    assert result.findings[0].message == "no table, while 91% of outputs have one"


@pytest.mark.parametrize(
    "answers",
    [
        # free-form prose
        [f"Answer number {i} explains the topic in its own words." for i in range(15)],
        # half JSON, half prose: no structure dominates
        [f'{{"id": {i}}}' for i in range(6)]
        + [f"Prose answer {i} in a sentence." for i in range(6)],
        # short but all different: not a label set
        ["Paris", "Lima", "Oslo", "Rome", "Cairo", "Quito", "Hanoi", "Dakar", "Accra", "Bern"],
    ],
)
def test_no_dominant_structure_passes(tmp_path: Path, answers: list[str]) -> None:
    result = OutputFormatDrift().run(context_of(tmp_path, [row(a) for a in answers]))
    assert result.status is Status.PASS
    assert result.summary.startswith("no dominant output structure")


def test_output_drift_needs_min_rows(tmp_path: Path) -> None:
    result = OutputFormatDrift().run(context_of(tmp_path, [row('{"a": 1}')] * 5 + [row("prose")]))
    assert result.status is Status.PASS
    assert result.summary.startswith("not applicable")


def test_final_tool_calls_are_not_outputs(tmp_path: Path) -> None:
    call = {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    }
    rows = [row('{"label": "spam"}')] * 10 + [
        {"messages": [{"role": "user", "content": "Hi"}, call]}
    ]
    result = OutputFormatDrift().run(context_of(tmp_path, rows))
    assert result.status is Status.PASS
    assert metric(result, "applicable_rows") == 10
