"""The decision rules (auditor.decision): each rule, their precedence, the seeds' worked
cases, the CLI without a terminal, and the questionnaire through a pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.decision import (
    SEED_MONTHLY_UPKEEP,
    DataEvidence,
    DecisionInputs,
    Recommendation,
    decide,
)

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples"

#: Everything answered, in favour of fine-tuning; each case changes what it names.
READY: dict[str, Any] = {
    "prompting_tried": "yes",
    "gap": "behaviour",
    "needs_actions": "no",
    "stable": "yes",
    "eval_set": "yes",
    "compliance": "none",
    "monthly_calls": 100_000_000,
    "saving_per_call": 0.001,
    "training_cost": 5_000,
    "monthly_api_spend": 200_000,
}
GOOD = DataEvidence(verdict="GO", files=["train.jsonl"], rows=2000, eval_files=["valid.jsonl"])
NO_GO = GOOD.model_copy(update={"verdict": "NO-GO"})
PAIRS = GOOD.model_copy(update={"preference": True})
R = Recommendation


def inputs(**changes: Any) -> DecisionInputs:
    return DecisionInputs(**(READY | changes))


CASES: list[tuple[str, dict[str, Any], DataEvidence | None, Recommendation]] = [
    ("everything ready: LoRA SFT", {}, GOOD, R.FINE_TUNE_LORA),
    ("preference pairs: DPO", {}, PAIRS, R.FINE_TUNE_DPO),
    (
        "prompting not tried comes first",
        {"prompting_tried": "no", "gap": "knowledge"},
        GOOD,
        R.PROMPT_ENGINEERING,
    ),
    # The seeds' case: a knowledge gap is RAG's, however good the data.
    ("knowledge gap: RAG even with perfect data", {"gap": "knowledge"}, GOOD, R.RAG),
    ("reasoning gap: a better model", {"gap": "reasoning"}, GOOD, R.BETTER_MODEL),
    ("actions without tool traces: tool use", {"needs_actions": "yes"}, GOOD, R.TOOL_USE),
    (
        "actions with tool-use traces: fine-tune",
        {"needs_actions": "yes"},
        GOOD.model_copy(update={"tool_use": True}),
        R.FINE_TUNE_LORA,
    ),
    ("changing requirements: prompting", {"stable": "no"}, GOOD, R.PROMPT_ENGINEERING),
    # The seeds' case: NO-GO data blocks fine-tuning even with great economics.
    ("NO-GO data blocks great economics", {}, NO_GO, R.FIX_DATA_FIRST),
    (
        "NO-GO data does not turn a knowledge gap into a data fix",
        {"gap": "knowledge"},
        NO_GO,
        R.RAG,
    ),
    ("no held-out eval blocks a fine-tune", {"eval_set": "no"}, GOOD, R.FIX_DATA_FIRST),
    ("an audited eval split answers the eval question", {"eval_set": None}, GOOD, R.FINE_TUNE_LORA),
    (
        "self-hosting overrides the economics",
        {"compliance": "self-host", "monthly_calls": 10},
        GOOD,
        R.FINE_TUNE_LORA,
    ),
    (
        "self-hosting does not override NO-GO data",
        {"compliance": "self-host"},
        NO_GO,
        R.FIX_DATA_FIRST,
    ),
    # The seeds' case: 100k calls × $0.0005 = $50/month never pays back with upkeep.
    (
        "$50 a month never pays back",
        {"monthly_calls": 100_000, "saving_per_call": 0.0005},
        GOOD,
        R.NOT_WORTH_IT,
    ),
    ("API spend under $5k a month", {"monthly_api_spend": 3_000}, GOOD, R.NOT_WORTH_IT),
    (
        "break-even past 6 months",
        {"monthly_calls": 1_000_000, "saving_per_call": 0.02, "training_cost": 40_000},
        GOOD,
        R.NOT_WORTH_IT,
    ),
    (
        "break-even past the production horizon",
        {"training_cost": 300_000, "months": 3},
        GOOD,
        R.NOT_WORTH_IT,
    ),
    ("an unknown on the path leaves it unknown", {"prompting_tried": None}, GOOD, R.UNKNOWN),
    ("an unknown gap is a question", {"gap": "unknown"}, GOOD, R.UNKNOWN),
    ("unknown economics are questions", {"monthly_calls": None}, GOOD, R.UNKNOWN),
    (
        "a stop before an unknown still decides",
        {"prompting_tried": "no", "gap": None, "stable": None},
        None,
        R.PROMPT_ENGINEERING,
    ),
]


@pytest.mark.parametrize(("name", "changes", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_and_its_precedence(
    name: str, changes: dict[str, Any], data: DataEvidence | None, expected: Recommendation
) -> None:
    decision = decide(inputs(**changes), data)
    assert decision.recommendation is expected, [r.rule for r in decision.reasons]
    assert decision.reasons or decision.questions
    for reason in decision.reasons:
        assert reason.source.endswith(".txt") and reason.why


def test_the_seeds_first_worked_case_pays_back_in_under_a_month() -> None:
    decision = decide(inputs(), GOOD)
    assert decision.monthly_saving == pytest.approx(100_000.0)
    assert decision.upkeep_source == "seed default"
    assert decision.monthly_upkeep == pytest.approx(5_000 + 3_000 + 20_000 / 3)
    assert decision.break_even_months == pytest.approx(5_000 / (100_000 - SEED_MONTHLY_UPKEEP))
    assert decision.break_even_months is not None and decision.break_even_months < 1
    assert any("break-even = $5,000.00" in line for line in decision.arithmetic)


def test_the_seeds_second_worked_case_never_pays_back() -> None:
    decision = decide(inputs(monthly_calls=100_000, saving_per_call=0.0005), GOOD)
    assert decision.monthly_saving == pytest.approx(50.0)
    assert decision.break_even_months is None
    assert decision.recommendation is R.NOT_WORTH_IT
    assert [r.rule for r in decision.reasons] == ["never-pays-back"]


def test_a_given_upkeep_replaces_the_seed_default() -> None:
    decision = decide(inputs(monthly_calls=100_000, saving_per_call=0.0005, monthly_upkeep=0), GOOD)
    assert decision.upkeep_source == "given" and decision.monthly_upkeep == 0
    assert decision.break_even_months == pytest.approx(100.0)
    assert decision.recommendation is R.NOT_WORTH_IT


def test_unknown_inputs_are_questions_never_defaults() -> None:
    decision = decide(DecisionInputs())
    assert decision.recommendation is R.UNKNOWN
    blocking = [q.flag for q in decision.questions if q.blocking]
    assert blocking[:2] == ["--prompting-tried", "--gap"]
    assert decision.inputs.model_dump(exclude_none=True) == {}


def test_toml_booleans_mean_yes_and_no() -> None:
    assert DecisionInputs.model_validate({"stable": True, "eval-set": False}).stable == "yes"
    assert DecisionInputs.model_validate({"eval-set": False}).eval_set == "no"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["decide", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out


def flags(values: dict[str, Any]) -> list[str]:
    return [part for k, v in values.items() for part in (f"--{k.replace('_', '-')}", str(v))]


def test_decide_json_is_the_decision_alone(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, *flags(READY), "--eval-set", "yes", "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["recommendation"] == "fine-tune-lora"
    assert payload["break_even_months"] < 1
    assert {"reasons", "questions", "arithmetic", "inputs"} <= set(payload)


def test_decide_reads_the_config_and_flags_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ftaudit.toml").write_text(
        '[decision]\nprompting-tried = "yes"\ngap = "knowledge"\nstable = true\n'
    )
    code, out = run_cli(capsys, "--format", "json")
    assert code == 0 and json.loads(out)["recommendation"] == "rag"
    code, out = run_cli(capsys, "--format", "json", "--gap", "reasoning")
    assert code == 0
    assert json.loads(out)["recommendation"] == "better-model"
    (tmp_path / "ftaudit.toml").write_text('[decision]\ngap = "facts"\n')
    assert main(["decide", "--format", "json"]) == 2


def test_decide_with_data_audits_it_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    broken = SAMPLES / "chat_broken.jsonl"
    code, out = run_cli(capsys, *flags(READY), "--data", str(broken), "--format", "json")
    assert code == 0  # a decision is advice: it never fails the command
    payload = json.loads(out)
    assert payload["data"]["verdict"] == "NO-GO"
    assert payload["recommendation"] == "fix-data-first"


def test_the_audit_report_carries_the_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "report.json"
    main([str(SAMPLES / "chat_broken.jsonl"), "-f", "json", "-o", str(out), "-q"])
    decision = json.loads(out.read_text())["decision"]
    assert decision["data"]["verdict"] == "NO-GO"
    assert decision["recommendation"] == "unknown"  # nothing is known of the team's case


def test_without_a_terminal_it_never_prompts(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from auditor.cli import run; run()", "decide"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert "recommendation: unknown" in done.stdout
    assert "--prompting-tried" in done.stdout and "[yes/no" not in done.stdout


def test_the_questionnaire_asks_in_a_terminal(tmp_path: Path) -> None:
    """Through a pseudo-terminal: a wrong answer is asked again, Enter leaves one unknown,
    and only the questions on the decision's path are asked."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from auditor.cli import run; run()",
            "decide",
            "--monthly-calls",
            "100000000",
            "--saving-per-call",
            "0.001",
            "--training-cost",
            "5000",
        ],
        cwd=tmp_path,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )
    os.close(follower)
    answers = {
        "tried better prompting": "yes",
        "knowledge, behaviour": "behaviour",
        "take actions": "no",
        "requirements stable": "yes",
        "held-out eval set": "yes",
        "self-hosted": "none",
        "monthly API spend": "",  # Enter: unknown (an optional question)
    }
    asked: list[str] = []
    total = buffer = ""
    try:
        deadline = time.monotonic() + 60
        while "to answer:" not in total and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(leader, 4096).decode("utf-8", "replace")
            except OSError:  # the program ended
                break
            total += chunk
            buffer += chunk
            line = buffer.rsplit("\n", 1)[-1]
            if not line.rstrip().endswith("]:"):
                continue
            prompt = next(p for p in answers if p in line)
            if "maybe" not in total:
                answer = "maybe"  # not an answer: asked again
            else:
                answer = answers[prompt]
                asked.append(prompt)
            os.write(leader, f"{answer}\n".encode())
            buffer = ""
    finally:
        process.wait(timeout=60)
        os.close(leader)
    rest = total
    assert "please answer yes/no" in total
    assert process.returncode == 0
    assert "fine-tune-lora" in rest
    assert sorted(asked) == sorted(answers)  # each asked once, nothing off the path


def test_terminal_and_html_reports_show_the_decision(tmp_path: Path) -> None:
    from auditor.api import audit
    from auditor.config import AuditConfig
    from reports.html import render_html
    from reports.terminal import decision_line

    config = AuditConfig.model_validate(
        {"decision": READY | {"prompting_tried": "yes"}, "cache": False}
    )
    report = audit([SAMPLES / "chat_broken.jsonl"], config=config)
    assert report.decision is not None
    assert report.decision.recommendation is R.FIX_DATA_FIRST  # the data are NO-GO
    assert "fix-data-first" in decision_line(report.decision)
    html = render_html(report)
    assert 'id="decision"' in html and 'class="recommendation">fix-data-first' in html
    assert "no-go-data" in html
