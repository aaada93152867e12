"""FT105–FT109: role names, system position, alternation, final and trainable turns."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from auditor.check import Status
from checks.roles import (
    VALID_ORDER,
    NoFinalAssistant,
    NoTrainableTurn,
    RoleAlternation,
    SystemNotFirst,
    UnknownRole,
    alternation_problems,
    suggested_role,
)
from tests.checkutil import context_of, fixture, flagged, metric


def chat(*roles: str, **extra: Any) -> dict[str, Any]:
    """A conversation with the given roles and plausible content."""
    return {
        "messages": [{"role": r, "content": f"{r} text {i}"} for i, r in enumerate(roles)]
    } | extra


# --- FT105 ---------------------------------------------------------------------------------


def test_unknown_role_flags_the_fixture_rows() -> None:
    result = UnknownRole().run(fixture("FT105", "bad"))
    assert result.status is Status.FAIL
    assert flagged(result) == [2, 4, 5]
    assert [f.path for f in result.findings] == [
        "messages[2].role",
        "messages[1].role",
        "messages[1].role",
    ]
    assert "`bot` → `assistant`" in (result.findings[0].hint or "")
    assert metric(result, "affected_rows") == 3
    assert metric(result, "applicable_rows") == 6
    assert metric(result, "unknown_roles") == "User×1, bot×1, human×1"
    assert result.score == pytest.approx(0.5)


def test_unknown_role_passes_the_good_fixture() -> None:
    result = UnknownRole().run(fixture("FT105", "good"))
    assert result.status is Status.PASS
    assert result.findings == []


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("bot", "assistant"),
        ("gpt", "assistant"),
        ("model", "assistant"),
        ("Human", "user"),
        ("User", "user"),
        (" ASSISTANT ", "assistant"),
        ("developer", "system"),
        ("ipython", "tool"),
        ("narrator", None),
    ],
)
def test_suggested_role(role: str, expected: str | None) -> None:
    assert suggested_role(role) == expected


def test_unknown_role_lists_every_odd_role_of_a_row(tmp_path: Path) -> None:
    result = UnknownRole().run(context_of(tmp_path, [chat("human", "bot", "narrator", "bot")]))
    (finding,) = result.findings
    assert finding.message == "unknown role `human` (also `bot`, `narrator`)"
    assert "`narrator` → one of" in (finding.hint or "")


def test_missing_role_is_left_to_the_schema_check(tmp_path: Path) -> None:
    rows = [{"messages": [{"content": "hi"}, {"role": "assistant", "content": "Hello!"}]}]
    assert UnknownRole().run(context_of(tmp_path, rows)).findings == []


def test_role_checks_do_not_apply_to_plain_text(tmp_path: Path) -> None:
    ctx = context_of(tmp_path, [{"text": "Once upon a time."}])
    for check in (UnknownRole(), SystemNotFirst(), RoleAlternation(), NoFinalAssistant()):
        result = check.run(ctx)
        assert result.status is Status.PASS
        assert result.summary.startswith("not applicable")


# --- FT106 ---------------------------------------------------------------------------------


def test_system_not_first_flags_the_fixture_rows() -> None:
    result = SystemNotFirst().run(fixture("FT106", "bad"))
    assert result.status is Status.FAIL  # 2 of 4 rows, above the 5% fail share
    assert flagged(result) == [2, 3]
    assert [f.path for f in result.findings] == ["messages[1].role", "messages[3].role"]
    assert result.findings[1].message.startswith("second system message")
    assert SystemNotFirst().run(fixture("FT106", "good")).status is Status.PASS


def test_a_few_late_system_messages_only_warn(tmp_path: Path) -> None:
    rows = [chat("system", "user", "assistant")] * 29 + [chat("user", "system", "assistant")]
    result = SystemNotFirst().run(context_of(tmp_path, rows))
    assert result.status is Status.WARN
    assert flagged(result) == [30]
    assert metric(result, "affected_share") == pytest.approx(1 / 30, abs=1e-6)


# --- FT107 ---------------------------------------------------------------------------------


def test_role_alternation_flags_the_fixture_rows() -> None:
    result = RoleAlternation().run(fixture("FT107", "bad"))
    assert result.status is Status.FAIL
    assert flagged(result) == [2, 4, 5, 6]
    messages = [f.message for f in result.findings]
    assert messages[0] == "two user turns in a row (messages[1] and messages[2])"
    assert messages[1] == "two assistant turns in a row (messages[2] and messages[3])"
    assert messages[2] == "tool result at messages[2] follows a user turn"
    assert messages[3].startswith("the conversation opens with an assistant turn")
    assert result.findings[0].excerpt == "system → user → user → assistant"
    assert metric(result, "affected_rows") == 4
    assert RoleAlternation().run(fixture("FT107", "good")).status is Status.PASS


@pytest.mark.parametrize(
    ("codes", "positions"),
    [
        ("", []),
        ("s", []),
        ("sua", []),
        ("suaua", []),
        ("su", []),  # ending with a user turn is FT108's business
        ("suctta", []),
        ("suctcta", []),
        ("suctu", []),  # a user may speak after tool results
        ("sucu", []),  # an unanswered call is FT113's business
        ("suasua", []),  # a late system message is FT106's business
        ("suua", [2]),
        ("suaa", [3]),
        ("suca", [3]),
        ("sut", [2]),
        ("suat", [3]),
        ("sa", [1]),
        ("t", [0]),
        ("uuaa", [1, 3]),
    ],
)
def test_alternation_problems(codes: str, positions: list[int]) -> None:
    assert [pos for pos, _, _ in alternation_problems(codes)] == positions


def test_fast_regex_agrees_with_the_rule_on_every_short_conversation() -> None:
    pattern = re.compile(VALID_ORDER)
    for n in range(7):
        for letters in itertools.product("suact", repeat=n):
            codes = "".join(letters)
            clean = pattern.search(codes.replace("s", "")) is not None
            assert clean == (not alternation_problems(codes)), codes


def test_alternation_leaves_unknown_roles_to_ft105(tmp_path: Path) -> None:
    rows = [chat("user", "bot", "user", "bot"), chat("user", "user", "assistant")]
    result = RoleAlternation().run(context_of(tmp_path, rows))
    assert flagged(result) == [2]
    assert metric(result, "rows_left_to_FT105") == 1
    assert metric(result, "applicable_rows") == 1


def test_alternation_reports_one_finding_per_row(tmp_path: Path) -> None:
    result = RoleAlternation().run(
        context_of(tmp_path, [chat("user", "user", "assistant", "assistant")])
    )
    (finding,) = result.findings
    assert finding.message.endswith("(+1 more)")


# --- FT108 ---------------------------------------------------------------------------------


def test_no_final_assistant_flags_the_fixture_rows() -> None:
    result = NoFinalAssistant().run(fixture("FT108", "bad"))
    assert result.status is Status.FAIL
    assert flagged(result) == [2, 4]  # line 5 ends with a tool call: allowed
    assert [f.path for f in result.findings] == ["messages[3].role", "messages[3].role"]
    assert result.findings[0].excerpt == "And a FULL OUTER JOIN?"
    assert "tool result" in result.findings[1].message
    assert NoFinalAssistant().run(fixture("FT108", "good")).status is Status.PASS


@pytest.mark.parametrize(
    ("record", "ends_well"),
    [
        (chat("user", "assistant"), True),
        (chat("system", "user"), False),
        (chat("user", "assistant", "system"), False),
        ({"prompt": "Q?", "completion": "A."}, True),
        ({"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Lyon."}, True),
        ({"instruction": "Say hi.", "input": "", "output": "Hi!"}, True),
    ],
)
def test_final_assistant_across_formats(
    tmp_path: Path, record: dict[str, Any], ends_well: bool
) -> None:
    result = NoFinalAssistant().run(context_of(tmp_path, [record]))
    assert (result.status is Status.PASS) is ends_well


def test_final_unknown_role_is_left_to_ft105(tmp_path: Path) -> None:
    result = NoFinalAssistant().run(context_of(tmp_path, [chat("user", "bot")]))
    assert result.findings == []
    assert metric(result, "rows_left_to_FT105") == 1


# --- FT109 ---------------------------------------------------------------------------------


def test_no_trainable_turn_flags_the_fixture_rows() -> None:
    result = NoTrainableTurn().run(fixture("FT109", "bad"))
    assert result.status is Status.FAIL
    assert flagged(result) == [2, 3]  # line 4 has weight 0 and weight 1 turns: fine
    assert result.findings[0].message.startswith("no assistant turn")
    assert result.findings[1].message.startswith("every assistant turn (2) has weight 0")
    assert NoTrainableTurn().run(fixture("FT109", "good")).status is Status.PASS


@pytest.mark.parametrize(
    ("weights", "trainable"),
    [
        ([None], True),
        ([1], True),
        ([0], False),
        ([0, None], True),
        ([0, 0, 0], False),
    ],
)
def test_trainable_weights(tmp_path: Path, weights: list[float | None], trainable: bool) -> None:
    messages: list[dict[str, Any]] = []
    for weight in weights:
        messages.append({"role": "user", "content": "Question?"})
        answer: dict[str, Any] = {"role": "assistant", "content": "Answer."}
        if weight is not None:
            answer["weight"] = weight
        messages.append(answer)
    result = NoTrainableTurn().run(context_of(tmp_path, [{"messages": messages}]))
    assert (result.findings == []) is trainable


def test_thresholds_are_options(tmp_path: Path) -> None:
    rows = [chat("user", "assistant")] * 9 + [chat("user")]
    ctx = context_of(tmp_path, rows)
    assert NoTrainableTurn().run(ctx).status is Status.FAIL
    lenient = NoTrainableTurn(NoTrainableTurn.Options(warn_above=0.0, fail_above=0.2))
    assert lenient.run(ctx).status is Status.WARN
    with pytest.raises(ValueError, match="fail_above"):
        NoTrainableTurn.Options(warn_above=0.3, fail_above=0.1)
