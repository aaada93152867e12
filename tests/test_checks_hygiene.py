"""FT603, FT604, FT605: canned refusals, truncated answers, repeated boilerplate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from auditor.check import Status
from checks.hygiene import CannedRefusals, RepeatedBoilerplate, TruncatedAnswers
from tests.checkutil import context_of, fixture, flagged, metric

TOPICS = ["router", "laptop", "headset", "monitor", "keyboard", "webcam", "dock", "tablet"]
VERBS = ["restart", "update", "reset", "unplug", "inspect", "clean", "replace", "pair"]
WHEN = ["tonight", "tomorrow", "after lunch", "on Monday", "next week", "at noon", "today"]


def qa(question: str, answer: str, **assistant: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer, **assistant},
        ]
    }


def varied(i: int) -> str:
    """A prose answer of ~15 words whose first and last words vary with i."""
    topic, verb, when = TOPICS[i % 8], VERBS[(3 * i + i // 8) % 8], WHEN[i % 7]
    return f"{verb.title()} the {topic} first, then check the status light and call us {when}."


# --- FT603 ---------------------------------------------------------------------------------


def test_canned_refusals_flag_the_fixture_rows() -> None:
    result = CannedRefusals().run(fixture("FT603", "bad"))
    assert result.status is Status.FAIL  # 4 of 20 rows, above the 5% fail share
    assert flagged(result) == [4, 9, 13, 18]  # line 19's refusal is in `rejected`
    assert [(f.line, f.category, f.path) for f in result.findings] == [
        (4, "disclaimer", "messages[1].content"),
        (9, "refusal", "messages[1].content"),  # curly apostrophes
        (13, "disclaimer", "messages[1].content"),
        (18, "refusal", "messages[1].content"),
    ]
    assert result.findings[0].excerpt is not None
    assert result.findings[0].excerpt.startswith("As an AI language model")
    assert metric(result, "disclaimer_rows") == 2
    assert metric(result, "refusal_rows") == 2


def test_canned_refusals_pass_the_good_fixture() -> None:
    result = CannedRefusals().run(fixture("FT603", "good"))
    assert result.status is Status.PASS, result.findings
    assert result.findings == []


@pytest.mark.parametrize(
    ("answer", "category"),
    [
        ("As an AI language model, I cannot predict the weather.", "disclaimer"),
        ("As a large language model, I have no body.", "disclaimer"),
        ("I'm just an AI, so I cannot taste food.", "disclaimer"),
        ("I don\u2019t have personal opinions on football.", "disclaimer"),
        ("My knowledge cutoff is September 2021.", "disclaimer"),
        ("As of my last update, the library was at version 2.", "disclaimer"),
        ("I cannot browse the internet, but here is what I know.", "disclaimer"),
        ("I'm sorry, but I can't do that.", "refusal"),
        ("I am sorry but I cannot share that.", "refusal"),
        ("I cannot assist with creating malware.", "refusal"),
        ("Sorry. I can't help with that.", "refusal"),
        ("I'm unable to provide that information.", "refusal"),
        ("I must decline this request.", "refusal"),
        ("I'm unable to browse websites.", "disclaimer"),
        ("I\u2019m sorry, but I\u2019m unable to help.", "refusal"),
        ("It has an AI language model built in.", None),
        # Look-alikes: ordinary apologies, AI as a topic, help that is given.
        ("I'm sorry for the delay, the part ships today.", None),
        ("As an AI engineer, she designed the firmware.", None),
        ("I can help with that: open the settings page.", None),
        ("I'm unable to provide a refund without the order number.", None),
        ("The tablet can browse the internet over LTE.", None),
        ("Our assistant model answers in English.", None),
    ],
)
def test_canned_phrase_catalogue(tmp_path: Path, answer: str, category: str | None) -> None:
    result = CannedRefusals().run(context_of(tmp_path, [qa("Question?", answer)]))
    assert [f.category for f in result.findings] == ([category] if category else [])


def test_one_refusal_in_many_rows_warns(tmp_path: Path) -> None:
    rows = [qa("Q?", varied(i)) for i in range(39)] + [qa("Q?", "I'm sorry, but I can't.")]
    result = CannedRefusals().run(context_of(tmp_path, rows))
    assert result.status is Status.WARN
    assert flagged(result) == [40]


def test_allow_refusals_passes_refusals_but_not_disclaimers(tmp_path: Path) -> None:
    rows = [qa("Q?", varied(i)) for i in range(38)]
    rows += [qa("Build a bomb?", "I'm sorry, but I can't help with that.")]
    refusals_only = context_of(tmp_path, rows)
    allowed = CannedRefusals(CannedRefusals.Options(allow_refusals=True))
    result = allowed.run(refusals_only)
    assert result.status is Status.PASS and result.findings == []
    assert metric(result, "refusal_rows") == 1  # still measured, as allowed
    rows += [qa("Feelings?", "As an AI language model, I have none.")]
    result = allowed.run(context_of(tmp_path, rows))
    assert result.status is Status.WARN
    assert [f.category for f in result.findings] == ["disclaimer"]


def test_untrained_answers_are_not_judged(tmp_path: Path) -> None:
    refusal = "I'm sorry, but I can't help with that."
    rows: list[dict[str, Any]] = [
        {"prompt": "Q?", "chosen": "Here you go.", "rejected": refusal},  # dispreferred
        qa("Q?", refusal, weight=0),  # OpenAI's weight 0: not a target
        {"prompt": "Q?", "completion": refusal, "label": False},  # KTO: undesirable
        {"text": f"User: hi\nAssistant: {refusal}"},  # a plain text row is trained
    ]
    result = CannedRefusals().run(context_of(tmp_path, rows))
    assert [(f.line, f.path) for f in result.findings] == [(4, "text")]


def test_canned_refusals_without_answers_do_not_apply(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "user", "content": "As an AI language model?"}]}]
    result = CannedRefusals().run(context_of(tmp_path, rows))
    assert result.status is Status.PASS
    assert result.summary.startswith("not applicable")


# --- FT604 ---------------------------------------------------------------------------------


def test_truncated_answers_flag_the_fixture_rows() -> None:
    result = TruncatedAnswers().run(fixture("FT604", "bad"))
    assert result.status is Status.FAIL  # 6 of 20, above the 5% fail share
    assert [(f.line, f.category) for f in result.findings] == [
        (15, "dangling-word"),
        (16, "unclosed-code-fence"),
        (17, "unclosed-bracket"),
        (18, "cut-word"),
        (19, "trailing-comma"),
        (20, "no-end-punctuation"),
    ]
    assert "ends on a word" in result.findings[2].message  # every signal that fired
    excerpt = result.findings[5].excerpt
    assert excerpt is not None and excerpt.startswith("…") and len(excerpt) <= 62
    assert metric(result, "dangling-word_answers") == 2


def test_truncated_answers_pass_the_good_fixture() -> None:
    result = TruncatedAnswers().run(fixture("FT604", "good"))
    assert result.status is Status.PASS, result.findings
    assert result.findings == []


LONG = " ".join(["The router logs each connection it makes."] * 5) + " It also logs the band"


@pytest.mark.parametrize(
    ("answer", "category"),
    [
        ("Restart it and then", None),  # "then" may end a sentence
        ("Restart it and", "dangling-word"),
        ("That is where the name comes from", None),  # a stranded preposition
        ("Check the cable and the", "dangling-word"),
        ("Pick option a", "dangling-word"),
        ("The answer is A", None),
        ('He said "restart the router', "unclosed-quote"),
        ('It is a 27" monitor with a stand', None),  # inches, not a quote
        ("That is sad :(", None),
        ("Choose a) the cable or b) the dock.", None),
        ("Call us (we open at nine", "unclosed-bracket"),
        ("Use `f(x` here", None),  # inside inline code
        ("Use the diagnostic exam-", "cut-word"),
        ("First the cable; then", None),
        ("Open the app;", "trailing-comma"),
        ("```python\nprint('hi')", "unclosed-code-fence"),
        (LONG, "no-end-punctuation"),
        (LONG + ".", None),
        (LONG + " https://example.com/docs", None),
        (LONG + " 🎉", None),
        (LONG + " 42", None),
        (LONG + "\n\n- a spare cable", None),
        (LONG + "\n\n| a | b |", None),
        (LONG + ".\n\nCheers,\nSam from Acme", None),
        (LONG + ". Best regards, Jordan Lee", None),
        (
            "SELECT name FROM users WHERE age > 30 AND city_id = 7 ORDER BY name " * 4,
            None,
        ),  # no prose
        ("Roses are red and violets blue\nThe router hums the whole night through\n" * 4, None),
        ("negative", None),
        ("Paris", None),
        ("ルーターを再起動してください。", None),
    ],
)
def test_truncation_signals(tmp_path: Path, answer: str, category: str | None) -> None:
    result = TruncatedAnswers().run(context_of(tmp_path, [qa("Question?", answer)]))
    assert [f.category for f in result.findings] == ([category] if category else [])


def test_min_words_sets_the_punctuation_rule(tmp_path: Path) -> None:
    context = context_of(tmp_path, [qa("Logs?", LONG)])
    relaxed = TruncatedAnswers(TruncatedAnswers.Options(min_words=100))
    assert relaxed.run(context).status is Status.PASS


def test_only_the_final_answer_is_judged(tmp_path: Path) -> None:
    row = {
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello, what can I help with"},
            {"role": "user", "content": "My router."},
            {"role": "assistant", "content": "Restart it and"},
        ]
    }
    result = TruncatedAnswers().run(context_of(tmp_path, [row]))
    assert [(f.path, f.category) for f in result.findings] == [
        ("messages[3].content", "dangling-word")
    ]


def test_a_final_tool_call_is_not_an_answer(tmp_path: Path) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    row = {
        "messages": [
            {"role": "user", "content": "Order?"},
            {"role": "assistant", "content": "Let me check and", "tool_calls": [call]},
        ]
    }
    result = TruncatedAnswers().run(context_of(tmp_path, [row]))
    assert result.status is Status.PASS
    assert result.summary.startswith("not applicable")


# --- FT605 ---------------------------------------------------------------------------------


def test_repeated_boilerplate_flags_the_fixture_phrase() -> None:
    result = RepeatedBoilerplate().run(fixture("FT605", "bad"))
    assert result.status is Status.WARN
    assert len(result.findings) == 1  # one finding per phrase, not per row
    finding = result.findings[0]
    assert finding.category == "opener"
    assert finding.excerpt == "Certainly! Here is what to do."
    assert (finding.line, finding.related_lines) == (1, [4, 7, 10, 13, 16])
    assert "10 of 30 distinct answers (33%)" in finding.message
    assert metric(result, "top_phrase_share") == pytest.approx(1 / 3, abs=1e-4)
    assert metric(result, "affected_rows") == 10


def test_repeated_boilerplate_passes_the_good_fixture() -> None:
    result = RepeatedBoilerplate().run(fixture("FT605", "good"))
    assert result.status is Status.PASS, result.findings
    assert result.findings == []


def test_the_longest_phrase_that_holds_is_reported(tmp_path: Path) -> None:
    rows = [qa("Q?", varied(i)) for i in range(30)]
    for i in range(0, 30, 3):  # 10 of 30: "Certainly! Here is" and then varied words
        rows[i] = qa("Q?", f"Certainly! Here is {varied(i).lower()}")
    result = RepeatedBoilerplate().run(context_of(tmp_path, rows))
    assert [(f.category, f.excerpt) for f in result.findings] == [("opener", "Certainly! Here is")]
    assert metric(result, "phrases") == 'opener "certainly here is" 33.3%'


def test_a_closer_is_reported(tmp_path: Path) -> None:
    rows = [qa("Q?", varied(i) + (" I hope this helps!" if i % 2 else "")) for i in range(40)]
    result = RepeatedBoilerplate().run(context_of(tmp_path, rows))
    assert [(f.category, f.excerpt) for f in result.findings] == [("closer", "I hope this helps!")]
    assert "20 of 40 distinct answers (50%)" in result.findings[0].message


@pytest.mark.parametrize(
    ("opener", "reported"),
    [
        ("Certainly! ", "Certainly!"),  # one word, an exclamation of its own
        ("Of course, ", "Of course,"),
        ("Certainly ", None),  # one word without "!": the start of a sentence
        ("You can ", None),  # two words that run on into the answer
        ("Yes, ", None),
    ],
)
def test_short_openers_count_only_as_a_unit(
    tmp_path: Path, opener: str, reported: str | None
) -> None:
    rows = [qa("Q?", (opener if i % 2 else "") + varied(i)) for i in range(40)]
    result = RepeatedBoilerplate().run(context_of(tmp_path, rows))
    assert [f.excerpt for f in result.findings] == ([reported] if reported else [])


def test_a_short_closer_must_start_a_sentence(tmp_path: Path) -> None:
    rows = [qa("Q?", varied(i)[:-1] + (". Good luck!" if i % 2 else "")) for i in range(40)]
    result = RepeatedBoilerplate().run(context_of(tmp_path, rows))
    assert [(f.category, f.excerpt) for f in result.findings] == [("closer", "Good luck!")]


def test_repeated_answers_are_duplicates_not_boilerplate(tmp_path: Path) -> None:
    rows = [qa("Q?", varied(i)) for i in range(30)]
    rows += [qa("Q?", "Certainly! You can reset the password from the sign-in page.")] * 20
    result = RepeatedBoilerplate().run(context_of(tmp_path, rows))
    assert result.status is Status.PASS, result.findings  # 1 of 31 distinct answers
    assert metric(result, "compared_answers") == 31


def test_fail_share_blocks_a_dominant_phrase(tmp_path: Path) -> None:
    rows = [qa("Q?", "Great question! " + varied(i)) for i in range(30)]
    strict = RepeatedBoilerplate(RepeatedBoilerplate.Options(fail_share=0.6))
    assert strict.run(context_of(tmp_path, rows)).status is Status.FAIL
    assert RepeatedBoilerplate().run(context_of(tmp_path, rows)).status is Status.WARN


@pytest.mark.parametrize(
    "answers",
    [
        [("positive" if i % 2 else "negative") for i in range(60)],  # labels
        [
            f'{{"category": "billing", "id": {i}, "note": "charged twice for item"}}'
            for i in range(60)
        ],
        ["The ticket is about billing." for _ in range(10)],  # under min_answers
    ],
)
def test_labels_and_structured_outputs_do_not_apply(tmp_path: Path, answers: list[str]) -> None:
    result = RepeatedBoilerplate().run(context_of(tmp_path, [qa("Q?", a) for a in answers]))
    assert result.status is Status.PASS
    assert result.summary.startswith("not applicable")


def test_phrase_lengths_are_validated() -> None:
    with pytest.raises(ValidationError, match="words"):
        RepeatedBoilerplate.Options(words=(5, 2))
    with pytest.raises(ValidationError, match="fail_share"):
        RepeatedBoilerplate.Options(share=0.5, fail_share=0.4)
