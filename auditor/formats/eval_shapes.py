"""Benchmark shapes: BIG-bench input/target, problem/solution, and the answerless
prompts of held-out eval files (MT-Bench turns, a bare question)."""

from __future__ import annotations

from typing import Any

from auditor.formats.canonical import Row, finish_chat
from auditor.formats.pairs import add_prompt_value


def first_target(value: Any, row: Row) -> str:
    """BIG-bench's `target`: a string, or a list of equally correct strings.

    The first of a list is taken, not a join: it is an answer as the task gives it, where
    the joined alternatives would be a text no one would answer with.
    """
    if not isinstance(value, list):
        return row.string(value)
    if not value or not all(isinstance(item, str) for item in value):
        row.suspect = True
    return row.text_of(value[0]) if value else ""


def normalize_input_target(record: dict[str, Any], row: Row) -> None:
    """BIG-bench style `{input, target}`: a user turn and its answer."""
    row.add("user", row.string(record.get("input")))
    row.add("assistant", first_target(record.get("target"), row))
    finish_chat(row)


def normalize_problem_solution(record: dict[str, Any], row: Row) -> None:
    """MATH style `{problem, solution}`: a user turn and its worked answer."""
    row.add("user", row.string(record.get("problem")))
    row.add("assistant", row.string(record.get("solution")))
    finish_chat(row)


def finish_prompt(row: Row) -> None:
    """An eval prompt without an answer: every turn is prompt, the response is empty."""
    finish_chat(row)
    row.prompt = row.text
    row.response = ""


def normalize_mt_bench(record: dict[str, Any], row: Row) -> None:
    """MT-Bench questions: `turns` lists the user turns; the answers are what is judged."""
    turns = record.get("turns")
    if not isinstance(turns, list):
        row.suspect = True
        turns = []
    for turn in turns:
        row.add("user", row.string(turn))
    finish_prompt(row)


def normalize_prompt_only(record: dict[str, Any], row: Row) -> None:
    """An eval `question` string or `prompt` (a string or a conversation) with no answer."""
    if "question" in record:
        row.add("user", row.string(record["question"]))
    else:
        add_prompt_value(record.get("prompt"), row)
    finish_prompt(row)
