"""FT110, FT114, FT115: empty content, identical preference pairs, template placeholders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.check import Status
from auditor.config import AuditConfig
from auditor.context import AuditContext
from auditor.dataset import load_dataset
from checks.common import INVISIBLE, is_blank
from checks.content import (
    PLACEHOLDER_PATTERNS,
    EmptyContent,
    IdenticalPreferencePair,
    TemplatePlaceholder,
    placeholders,
)
from tests.checkutil import context_of, fixture, flagged, metric


def qa(question: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


# --- FT110 ---------------------------------------------------------------------------------


def test_empty_content_flags_the_fixture_rows() -> None:
    result = EmptyContent().run(fixture("FT110", "bad"))
    assert result.status is Status.FAIL  # 4 of 6 rows, above the 5% fail share
    assert flagged(result) == [2, 3, 4, 6]  # line 5's empty tool-call turn is allowed
    assert [(f.line, f.path, f.message) for f in result.findings] == [
        (2, "messages[2].content", "empty assistant message"),
        (3, "messages[1].content", "whitespace-only user message"),
        (4, "messages[0].content", "empty system message"),
        (6, "messages[2].content", "whitespace-only assistant message"),
    ]
    assert result.findings[1].excerpt == repr("   \n")
    assert metric(result, "affected_rows") == 4


def test_empty_content_passes_the_good_fixture() -> None:
    result = EmptyContent().run(fixture("FT110", "good"))
    assert result.status is Status.PASS
    assert result.findings == []


def test_one_empty_turn_in_many_rows_warns(tmp_path: Path) -> None:
    rows = [qa("What is 2 + 2?", "4")] * 39 + [qa("What is 3 + 3?", " ")]
    result = EmptyContent().run(context_of(tmp_path, rows))
    assert result.status is Status.WARN
    assert flagged(result) == [40]


@pytest.mark.parametrize(
    ("record", "paths"),
    [
        ({"text": ""}, ["text"]),
        ({"text": "\n\t "}, ["text"]),
        ({"text": "Some pretraining text."}, []),
        ({"messages": []}, ["messages"]),
        ({"prompt": "Translate 'cat' to French.", "completion": ""}, ["messages[1].content"]),
        ({"prompt": "Capital of Peru?", "chosen": "Lima.", "rejected": " "}, ["rejected"]),
        (
            {"prompt": "Capital of Peru?", "chosen": "", "rejected": "Cusco."},
            ["messages[1].content"],
        ),
        ({"instruction": "Name a color.", "input": "", "output": "Teal."}, []),
    ],
)
def test_empty_fields_across_formats(
    tmp_path: Path, record: dict[str, Any], paths: list[str]
) -> None:
    result = EmptyContent().run(context_of(tmp_path, [record]))
    assert sorted(f.path or "" for f in result.findings) == sorted(paths)


def test_empty_content_on_an_empty_dataset_is_not_applicable(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps({"unknown": 1}) + "\n")
    result = EmptyContent().run(AuditContext(load_dataset([path]), AuditConfig()))
    assert result.status is Status.PASS
    assert result.summary.startswith("not applicable")


# --- FT114 ---------------------------------------------------------------------------------


def test_identical_pairs_flag_the_fixture_rows() -> None:
    result = IdenticalPreferencePair().run(fixture("FT114", "bad"))
    assert result.status is Status.FAIL
    assert flagged(result) == [2, 3]
    assert [f.message for f in result.findings] == [
        "chosen and rejected are identical",
        "chosen and rejected differ only in whitespace",
    ]
    assert all(f.path == "rejected" for f in result.findings)
    assert metric(result, "applicable_rows") == 4
    assert IdenticalPreferencePair().run(fixture("FT114", "good")).status is Status.PASS


def test_identical_pairs_in_openai_preference_format(tmp_path: Path) -> None:
    answer = [{"role": "assistant", "content": "Use a password manager."}]
    row = {
        "input": {"messages": [{"role": "user", "content": "How do I keep passwords safe?"}]},
        "preferred_output": answer,
        "non_preferred_output": answer,
    }
    result = IdenticalPreferencePair().run(context_of(tmp_path, [row]))
    assert flagged(result) == [1]


def test_identical_pairs_do_not_apply_without_pairs(tmp_path: Path) -> None:
    result = IdenticalPreferencePair().run(context_of(tmp_path, [qa("Hi", "Hello!")]))
    assert result.status is Status.PASS
    assert result.summary.startswith("not applicable")


# --- FT115 ---------------------------------------------------------------------------------


def test_placeholders_flag_the_fixture_rows() -> None:
    result = TemplatePlaceholder().run(fixture("FT115", "bad"))
    assert result.status is Status.FAIL  # 5 of 6 rows
    assert flagged(result) == [2, 3, 4, 5, 6]
    assert [f.path for f in result.findings] == [
        "messages[1].content",
        "messages[2].content",
        "messages[2].content",
        "messages[0].content",
        "messages[2].content",
    ]
    assert result.findings[0].message == "unrendered placeholder {complaint_text}"
    assert "{{ customer_name }}" in (result.findings[1].excerpt or "")
    assert "{{ customer_name }}×1" in metric(result, "placeholders")


def test_placeholders_pass_the_good_fixture() -> None:
    result = TemplatePlaceholder().run(fixture("FT115", "good"))
    assert result.status is Status.PASS, result.findings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello {{name}}!", ["{{name}}"]),
        ("Hi {{ user.first_name | title }},", ["{{ user.first_name | title }}"]),
        ("{% if premium %}Thanks for being premium!{% endif %}", ["{% if", "{% endif"]),
        ("Summarize: {document}", ["{document}"]),
        ("{question}", ["{question}"]),
        ("Dear <CUSTOMER_NAME>, thanks", ["<CUSTOMER_NAME>"]),
        ("Call me at <PHONE NUMBER>.", ["<PHONE NUMBER>"]),
        ("[INSERT COMPANY NAME] is hiring", ["[INSERT COMPANY NAME]"]),
        ("Best regards,\n[Your Name]", ["[Your Name]"]),
        ("Contact [Recipient's Email] today", ["[Recipient's Email]"]),
        ("Your key: [API_KEY]", ["[API_KEY]"]),
        ("Hello ${first_name}", ["${first_name}"]),
        ("Hello $first_name, welcome", ["$first_name"]),
    ],
)
def test_placeholders_found(text: str, expected: list[str]) -> None:
    assert placeholders(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "Ada", "role": "{admin}"}',  # a JSON document
        'Return {"status": "ok", "id": {id}} to the caller',  # JSON keys make it code
        "```python\nprint(f'Hello {name}')\n```",  # fenced code
        "Use `{name}` in str.format calls.",  # inline code
        "def greet(name): return f'Hello {name}'",  # code outside a fence
        "$\\frac{a}{b}$ and x^{n} and \\text{input}",  # LaTeX
        "We know $x$ and $y_1$ from the equation.",  # inline math
        "Use <br> or <div> for layout; <BR> in old pages.",  # HTML
        "<ANSWER>42</ANSWER>",  # a closed output tag
        "The model emits <EOS> at the end.",  # a model token
        "List<T> and Map<K, V> are generics.",
        "It costs $5, or $12.50 with shipping.",  # prices
        "Your shell expands $HOME.",  # an environment variable
        "See [Your account](https://example.com) for details.",  # a markdown link
        "[1] Smith et al. and [Fig. 2]",  # citations
        "The set {x} has one element.",  # a one-letter set
        "Empty braces {} and positional {0} fields.",
    ],
)
def test_placeholders_not_found(text: str) -> None:
    assert placeholders(text) == []


def test_every_placeholder_pattern_compiles_in_polars() -> None:
    import polars as pl

    series = pl.Series(["{{x}} {% if y %} <NAME> [Your Name] [A_B] [Name] ${a} $ab {abc}"])
    for pattern in PLACEHOLDER_PATTERNS.values():
        assert series.str.contains(pattern).item(), pattern


def test_placeholders_in_plain_text_and_pairs(tmp_path: Path) -> None:
    rows = [
        {"text": "Dear {{customer}}, your order shipped."},
        {"prompt": "Write a sign-off.", "chosen": "Cheers, [Your Name]", "rejected": "Bye."},
        {"prompt": "Write a sign-off.", "chosen": "Cheers, Ana", "rejected": "Bye {{name}}"},
    ]
    result = TemplatePlaceholder().run(context_of(tmp_path, rows))
    assert [(f.line, f.path) for f in result.findings] == [
        (1, "text"),
        (2, "messages[1].content"),  # the chosen answer is the last assistant turn
        (3, "rejected"),
    ]
    assert metric(result, "affected_rows") == 3


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(INVISIBLE + "a.é")))))
def test_is_blank_is_a_strip_of_the_invisible_characters(values: list[str | None]) -> None:
    frame = pl.DataFrame({"c": values}, schema={"c": pl.String})
    got = frame.select(is_blank("c")).to_series().to_list()
    assert got == [(v or "").strip(INVISIBLE) == "" for v in values]
