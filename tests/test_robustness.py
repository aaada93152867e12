"""Whatever the data, the audit finishes: no traceback, no check crashing (status error)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import AuditConfig, audit
from auditor.check import Status
from auditor.cli import main
from tests.stub_embedder import StubEmbedder

KEYS = [
    "messages", "role", "content", "weight", "tool_calls", "function", "arguments", "name",
    "id", "tool_call_id", "tools", "prompt", "completion", "chosen", "rejected", "label",
    "instruction", "input", "output", "history", "system", "conversations", "from", "value",
    "contents", "parts", "text", "systemInstruction", "preferred_output",
    "non_preferred_output", "question", "answer", "toolUse", "toolResult", "schemaVersion",
    "turns", "target", "problem", "solution", "chosen_messages", "rejected_messages", "type",
    "loss_weight",
]  # fmt: skip
ROLES = ["system", "user", "assistant", "tool", "bot", "human", "gpt", "model", ""]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(ROLES),
    st.text(max_size=20),
    st.sampled_from(["{}", '{"a": 1}', "{{name}}", "[1, 2]", "not json {"]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
    ),
    max_leaves=25,
)
records = st.dictionaries(st.sampled_from(KEYS), values, min_size=1, max_size=5)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(records, min_size=1, max_size=8))
def test_any_records_audit_without_crashing(tmp_path: Path, rows: list[dict[str, object]]) -> None:
    path = tmp_path / "data.jsonl"
    valid = {
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]
    }
    path.write_text("\n".join(json.dumps(r) for r in [valid, *rows]) + "\n")
    report = audit([path])
    crashed = [(c.code, c.summary) for c in report.checks if c.status is Status.ERROR]
    assert not crashed


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(train=st.lists(records, min_size=1, max_size=6), held_out=st.lists(records, max_size=6))
def test_any_train_and_eval_records_audit_without_crashing(
    tmp_path: Path, train: list[dict[str, object]], held_out: list[dict[str, object]]
) -> None:
    valid = {
        "messages": [
            {"role": "user", "content": "Where is my parcel from last week?"},
            {"role": "assistant", "content": "It left the depot on Monday."},
        ]
    }
    path, eval_path = tmp_path / "data.jsonl", tmp_path / "held.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [valid, *train]) + "\n")
    eval_path.write_text("\n".join(json.dumps(r) for r in [valid, *held_out, *train]) + "\n")
    report = audit([path], [eval_path])
    crashed = [(c.code, c.summary) for c in report.checks if c.status is Status.ERROR]
    assert not crashed


@pytest.mark.embed
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(train=st.lists(records, max_size=30), held_out=st.lists(records, max_size=8))
def test_the_embedding_checks_finish_on_any_records(
    tmp_path: Path, train: list[dict[str, object]], held_out: list[dict[str, object]]
) -> None:
    # Enough ordinary rows for every dataset-level metric to run, then anything at all.
    varied = [
        {"messages": [{"role": "user", "content": f"question {i} about topic {i % 7}"},
                      {"role": "assistant", "content": f"answer {i} " * (i % 4 + 1)}]}
        for i in range(25)
    ]  # fmt: skip
    path, eval_path = tmp_path / "data.jsonl", tmp_path / "held.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [*varied, *train]) + "\n")
    eval_path.write_text("\n".join(json.dumps(r) for r in [varied[0], *held_out, *train]) + "\n")
    config = AuditConfig(select=["FT4", "FT505"], embed_cache=False)
    report = audit([path], [eval_path], config, embedder=StubEmbedder())
    statuses = {c.code: c.status for c in report.checks}
    assert Status.ERROR not in statuses.values(), [c.summary for c in report.checks]
    assert Status.SKIPPED not in statuses.values()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(st.binary(max_size=60), min_size=1, max_size=6))
def test_any_bytes_give_an_exit_code_not_a_traceback(tmp_path: Path, lines: list[bytes]) -> None:
    path = tmp_path / "data.jsonl"
    good = b'{"text": "a valid row"}'
    path.write_bytes(b"\n".join([good, *lines]))
    assert main(
        [str(path), "--quiet", "--format", "json", "--output", str(tmp_path / "r.json")]
    ) in (0, 1, 2)
