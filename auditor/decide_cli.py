"""`ftaudit decide`: should this team fine-tune at all (the rules are auditor.decision's).

Inputs come from `[tool.ftaudit.decision]` in the config, then the flags. In a terminal,
what is still missing on the decision's path is asked for, one short question at a time
(Enter leaves it unknown); with stdin not a terminal nothing is ever asked, and every
missing input is listed as a question for the team.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from auditor.decision import DataEvidence, Decision, DecisionInputs, decide


class YesNo(StrEnum):
    YES = "yes"
    NO = "no"


class GapKind(StrEnum):
    KNOWLEDGE = "knowledge"
    BEHAVIOUR = "behaviour"
    REASONING = "reasoning"
    UNKNOWN = "unknown"


class Compliance(StrEnum):
    NONE = "none"
    SELF_HOST = "self-host"


class DecisionFormat(StrEnum):
    TERMINAL = "terminal"
    JSON = "json"


YesNoOption = Annotated[YesNo | None, typer.Option()]

#: What the questionnaire accepts per input: the choices, or a number.
CHOICES: dict[str, tuple[str, ...]] = {
    "prompting_tried": ("yes", "no"),
    "gap": ("knowledge", "behaviour", "reasoning"),
    "needs_actions": ("yes", "no"),
    "stable": ("yes", "no"),
    "eval_set": ("yes", "no"),
    "compliance": ("none", "self-host"),
}


def decide_command(
    prompting_tried: Annotated[
        YesNo | None, typer.Option(help="Have you systematically tried better prompting?")
    ] = None,
    gap: Annotated[
        GapKind | None, typer.Option(help="The gap: knowledge, behaviour or reasoning.")
    ] = None,
    stable: Annotated[YesNo | None, typer.Option(help="Are the requirements stable?")] = None,
    eval_set: Annotated[
        YesNo | None, typer.Option("--eval-set", help="Is there a clean held-out eval set?")
    ] = None,
    compliance: Annotated[
        Compliance | None, typer.Option(help="self-host: third-party APIs are ruled out.")
    ] = None,
    needs_actions: Annotated[
        YesNo | None, typer.Option(help="Does the workflow need the model to take actions?")
    ] = None,
    monthly_calls: Annotated[
        int | None, typer.Option(min=0, help="Calls a month the model will serve.")
    ] = None,
    saving_per_call: Annotated[
        float | None, typer.Option(min=0, help="USD a call saves once fine-tuned.")
    ] = None,
    training_cost: Annotated[
        float | None, typer.Option(min=0, help="One-off cost of the fine-tune, USD.")
    ] = None,
    monthly_upkeep: Annotated[
        float | None,
        typer.Option(min=0, help="Monitoring, maintenance, retraining a month, USD."),
    ] = None,
    monthly_api_spend: Annotated[
        float | None, typer.Option(min=0, help="Today's API spend a month, USD.")
    ] = None,
    months: Annotated[int | None, typer.Option(min=1, help="Months in production.")] = None,
    data: Annotated[
        list[Path] | None,
        typer.Option("--data", help="Audit these training files first (repeatable)."),
    ] = None,
    eval_paths: Annotated[
        list[Path] | None, typer.Option("--eval", help="Held-out eval file for --data.")
    ] = None,
    output_format: Annotated[
        DecisionFormat, typer.Option("--format", "-f", help="terminal or json.")
    ] = DecisionFormat.TERMINAL,
    config: Annotated[
        Path | None, typer.Option(help="Config file (default: nearest ftaudit.toml/pyproject).")
    ] = None,
) -> int:
    """Should you fine-tune at all? Prompting → RAG → better model → tools → fine-tuning,
    the data verdict, a held-out eval set, and the break-even arithmetic."""
    from auditor.config import ConfigError, find_config_file, load_config

    if config is not None and not config.is_file():
        raise ConfigError(f"{config}: no such config file")
    settings = load_config(config if config is not None else find_config_file(Path.cwd()), {})
    given = {
        "prompting_tried": prompting_tried,
        "gap": gap,
        "stable": stable,
        "eval_set": eval_set,
        "compliance": compliance,
        "needs_actions": needs_actions,
        "monthly_calls": monthly_calls,
        "saving_per_call": saving_per_call,
        "training_cost": training_cost,
        "monthly_upkeep": monthly_upkeep,
        "monthly_api_spend": monthly_api_spend,
        "months": months,
    }
    flags = DecisionInputs(**{k: str(v) if isinstance(v, StrEnum) else v for k, v in given.items()})
    inputs = settings.decision.merged(flags)
    evidence = _audit_evidence(data, eval_paths or [], settings) if data else None
    interactive = output_format is DecisionFormat.TERMINAL and sys.stdin.isatty()
    decision = questionnaire(inputs, evidence) if interactive else decide(inputs, evidence)
    if output_format is DecisionFormat.JSON:
        sys.stdout.write(decision.model_dump_json(indent=2) + "\n")
    else:
        from rich.console import Console

        from reports.decision import render_decision

        render_decision(decision, Console())
    return 0


def _audit_evidence(data: list[Path], evals: list[Path], settings: Any) -> DataEvidence:
    from auditor.api import audit

    report = audit(data, evals, settings)
    assert report.decision is not None and report.decision.data is not None
    typer.echo(
        f"audited {', '.join(str(p) for p in data)}: {report.verdict.status.value}", err=True
    )
    return report.decision.data


def questionnaire(inputs: DecisionInputs, data: DataEvidence | None) -> Decision:
    """Ask for the inputs on the decision's path, one at a time, until none is missing
    (an empty answer leaves an input unknown, and it is not asked again)."""
    skipped: set[str] = set()
    while True:
        decision = decide(inputs, data)
        asked = [q for q in decision.questions if q.input not in skipped and q.input != "data"]
        if not asked:
            return decision
        question = sorted(asked, key=lambda q: not q.blocking)[0]
        answer = _ask(question.input, question.question)
        if answer is None:
            skipped.add(question.input)
            continue
        inputs = inputs.model_copy(update={question.input: answer})


def _ask(name: str, question: str) -> Any:
    choices = CHOICES.get(name)
    hint = "/".join(choices) if choices else "a number"
    while True:
        raw = typer.prompt(f"{question} [{hint}, Enter: unknown]", default="", show_default=False)
        text = raw.strip().lower()
        if not text:
            return None
        if choices is not None:
            if text in choices:
                return text
        else:
            try:
                value = float(text.replace(",", "").lstrip("$"))
            except ValueError:
                value = -1.0
            if value >= 0:
                return int(value) if name in ("monthly_calls", "months") else value
        typer.echo(f"  please answer {hint}, or press Enter to leave it unknown")
