"""FT201–FT204: size bands, context overflow, trainable share, epoch budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from auditor.check import Status
from auditor.config import AuditConfig, Task
from auditor.context import AuditContext
from auditor.dataset import Dataset, load_dataset
from auditor.formats import empty_frame
from checks.size import (
    DatasetSize,
    EpochBudget,
    OverContextLength,
    TrainableTokenShare,
    auto_epochs,
)


def qa(i: int, answer: str | None = None, system: str | None = None) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [
        {"role": "user", "content": f"Ticket {i}: please help with my order."},
        {"role": "assistant", "content": answer or f"Label {i % 3}"},
    ]
    return {"messages": messages}


def context(
    tmp_path: Path, records: list[dict[str, Any]], **config: Any
) -> tuple[AuditContext, Path]:
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return AuditContext(load_dataset([path]), AuditConfig(**config)), path


def rows(count: int) -> list[dict[str, Any]]:
    return [qa(i) for i in range(count)]


# --- FT201 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "count", "status"),
    [
        (Task.CLASSIFICATION, 49, Status.FAIL),
        (Task.CLASSIFICATION, 50, Status.WARN),
        (Task.CLASSIFICATION, 99, Status.WARN),
        (Task.CLASSIFICATION, 100, Status.PASS),
        (Task.TOOL_USE, 49, Status.FAIL),
        (Task.EXTRACTION, 100, Status.PASS),
        (Task.GENERATION, 499, Status.FAIL),
        (Task.GENERATION, 500, Status.WARN),
        (Task.GENERATION, 1_999, Status.WARN),
        (Task.GENERATION, 2_000, Status.PASS),
        (Task.GENERAL, 299, Status.FAIL),
        (Task.GENERAL, 300, Status.WARN),
        (Task.GENERAL, 999, Status.WARN),
        (Task.GENERAL, 1_000, Status.PASS),
        (Task.PREFERENCE, 99, Status.FAIL),
        (Task.PREFERENCE, 100, Status.WARN),
        (Task.PREFERENCE, 499, Status.WARN),
        (Task.PREFERENCE, 500, Status.PASS),
    ],
)
def test_size_bands(tmp_path: Path, task: Task, count: int, status: Status) -> None:
    ctx, path = context(tmp_path, rows(count), task=task)
    result = DatasetSize().run(ctx)
    assert result.status is status, result.summary
    examples = result.metric("examples")
    assert examples is not None and examples.value == count
    assert "task inferred" not in result.summary
    if status is Status.PASS:
        assert not result.findings
    else:
        (finding,) = result.findings
        assert finding.code == "FT201" and finding.file == str(path) and finding.line is None
        assert ("few-shot" in (finding.hint or "")) is (count < 500)


def test_size_judges_unique_examples_when_known(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, rows(120), task=Task.CLASSIFICATION)
    ctx.unique_examples = 45
    result = DatasetSize().run(ctx)
    assert result.status is Status.FAIL
    assert result.summary.startswith("45 unique examples")
    unique = result.metric("unique_examples")
    rows_metric = result.metric("rows")
    assert unique is not None and unique.value == 45
    assert rows_metric is not None and rows_metric.value == 120


def test_size_band_overrides(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, rows(30), task=Task.CLASSIFICATION)
    options = DatasetSize.Options.model_validate(
        {"bands": {"classification": {"fail_below": 10, "warn_below": 20}}}
    )
    assert DatasetSize(options).run(ctx).status is Status.PASS
    with pytest.raises(ValidationError):
        DatasetSize.Options.model_validate(
            {"bands": {"classification": {"fail_below": 30, "warn_below": 20}}}
        )
    with pytest.raises(ValidationError):
        DatasetSize.Options.model_validate(
            {"bands": {"poetry": {"fail_below": 1, "warn_below": 2}}}
        )


def test_size_says_when_task_was_inferred(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, [qa(i, ["yes", "no"][i % 2]) for i in range(60)])
    result = DatasetSize().run(ctx)
    assert result.status is Status.WARN
    assert "task inferred as classification: " in result.summary
    source = result.metric("task_source")
    assert source is not None and source.value == "inferred"
    assert "--task" in (result.findings[0].hint or "")


def test_size_metrics(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, rows(100), task=Task.CLASSIFICATION)
    result = DatasetSize().run(ctx)
    values = {m.name: m.value for m in result.metrics}
    assert values["turns"] == 200
    assert values["turns_mean"] == 2.0
    assert values["total_tokens"] == int(ctx.tokens.total_tokens.sum())
    prompt, trainable = values["prompt_tokens"], values["trainable_tokens"]
    assert isinstance(prompt, int) and isinstance(trainable, int) and trainable < prompt
    assert "cl100k_base" in str(values["tokenizer"])
    assert values["task"] == "classification"


# --- FT202 ---------------------------------------------------------------------------------


LONG = "word " * 120


@pytest.mark.parametrize(
    ("long_rows", "status"), [(0, Status.PASS), (2, Status.WARN), (3, Status.FAIL)]
)
def test_over_context_length(tmp_path: Path, long_rows: int, status: Status) -> None:
    records = rows(40)
    long_lines = [5, 17, 33][:long_rows]
    for line in long_lines:
        records[line - 1] = qa(line, answer=LONG)
    ctx, path = context(tmp_path, records, task=Task.CLASSIFICATION, context_length=64)
    result = OverContextLength().run(ctx)
    assert result.status is status, result.summary
    assert [f.line for f in result.findings] == long_lines
    assert all(f.file == str(path) for f in result.findings)
    for finding in result.findings:
        assert "over the 64-token context" in finding.message
        assert "truncates the end" in finding.message


def test_over_context_prompt_alone_fills_it(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, [qa(1, system=LONG)], context_length=64)
    (finding,) = OverContextLength().run(ctx).findings
    assert "prompt alone fills it" in finding.message


# --- FT203 ---------------------------------------------------------------------------------


SYSTEM = "You are Acme's support assistant. " + "Follow every policy in this handbook. " * 60


def test_low_trainable_share_warns(tmp_path: Path) -> None:
    records = [qa(i, answer="Sure, done.", system=SYSTEM) for i in range(20)]
    ctx, path = context(tmp_path, records, task=Task.GENERAL)
    result = TrainableTokenShare().run(ctx)
    assert result.status is Status.WARN
    (finding,) = result.findings
    assert finding.line is None and finding.file == str(path)
    assert "100% of rows repeat the same system prompt" in (finding.hint or "")
    share = result.metric("trainable_share")
    assert share is not None and isinstance(share.value, float) and share.value < 0.05


def test_classification_is_exempt_from_low_share(tmp_path: Path) -> None:
    records = [qa(i, answer="yes", system=SYSTEM) for i in range(20)]
    ctx, _ = context(tmp_path, records, task=Task.CLASSIFICATION)
    result = TrainableTokenShare().run(ctx)
    assert result.status is Status.PASS
    assert "as expected for classification" in result.summary


def test_rows_without_trainable_tokens(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = [qa(i, answer="A full, useful answer.") for i in range(6)]
    records[2]["messages"][-1]["weight"] = 0
    records[4]["messages"][-1]["content"] = ""
    ctx, _ = context(tmp_path, records, task=Task.GENERAL)
    result = TrainableTokenShare().run(ctx)
    assert result.status is Status.WARN
    assert [f.line for f in result.findings] == [3, 5]


def test_balanced_share_passes(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, [qa(i, answer=LONG) for i in range(10)], task=Task.GENERAL)
    result = TrainableTokenShare().run(ctx)
    assert result.status is Status.PASS and not result.findings


# --- FT204 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("examples", "epochs", "status", "recommended"),
    [
        (3, None, Status.WARN, 25),  # even 25 epochs: 75 passes
        (4, None, Status.PASS, 25),  # 100 passes
        (33, None, Status.PASS, 3),
        (20_000, None, Status.PASS, 1),  # a large clean set trains 1 epoch, no warning
        (1_000_000, None, Status.PASS, 1),
        (20_000, 2, Status.PASS, 1),  # 2× the recommendation: within reach
        (20_000, 3, Status.WARN, 1),  # 3×: far off
        (20, 3, Status.PASS, 5),  # 1.7× below: within reach
        (20, 2, Status.WARN, 5),  # 2.5× below: far off
        (100, 1, Status.PASS, 3),  # 3× below, yet 100 passes: within the budget
    ],
)
def test_epoch_budget(
    tmp_path: Path, examples: int, epochs: int | None, status: Status, recommended: int
) -> None:
    ctx, path = context(tmp_path, rows(10), epochs=epochs)
    ctx.unique_examples = examples  # judged instead of the 10 rows
    result = EpochBudget().run(ctx)
    assert result.status is status, result.summary
    planned = epochs if epochs is not None else recommended
    passes = result.metric("example_passes")
    assert passes is not None and passes.value == examples * planned
    advice = result.metric("recommended_epochs")
    assert advice is not None and advice.value == recommended
    assert all(f.file == str(path) for f in result.findings)


@pytest.mark.parametrize(
    ("examples", "epochs"), [(10, 3), (20, 3), (3, 3), (50, 3), (20_000, 3), (100_000, 3)]
)
def test_auto_epochs_mirrors_openai(examples: int, epochs: int) -> None:
    expected = {10: 10, 20: 5, 3: 25, 50: 3, 20_000: 1, 100_000: 1}[examples]
    assert auto_epochs(examples, epochs) == expected


# --- empty data ----------------------------------------------------------------------------


def test_empty_dataset() -> None:
    ctx = AuditContext(Dataset(train=empty_frame()), AuditConfig(task=Task.CLASSIFICATION))
    assert DatasetSize().run(ctx).status is Status.FAIL
    for check in (OverContextLength(), TrainableTokenShare(), EpochBudget()):
        assert check.run(ctx).status is Status.SKIPPED
