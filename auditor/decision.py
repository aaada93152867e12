"""Should this team fine-tune at all? The decision rules, in the order the seed articles give.

The walk (each step may stop it with a recommendation):

1. prompting first: not tried → `prompt-engineering` (000_…: "Better prompting" first;
   001_…: "Have you exhausted prompt engineering?"; 002_…: step 1);
2. the kind of gap: knowledge → `rag` (000_…: "Use RAG for facts"; 001_…: "Knowledge gaps
   are for RAG"); reasoning → `better-model` (000_…: "Use a reasoning model"); a workflow
   that needs actions, with data that are not tool-use traces → `tool-use` (000_…: "Tool
   use / agents … for workflows that need actions");
3. stable requirements: not stable → `prompt-engineering` (001_…: "Stable requirements";
   003_…: requirements that keep changing mean constant retraining);
4. the data: a NO-GO audit → `fix-data-first`, whatever the economics (000_…: "garbage in,
   garbage out, even at scale");
5. a held-out eval set: none → `fix-data-first`; no fine-tune is recommended without one
   (000_…: "No held-out eval — you can't tell if you improved or just memorized"; 003_…);
6. compliance: self-hosting required → fine-tune an open model regardless of the economics
   (002_…: step 5);
7. the economics: break-even = one-off cost ÷ (monthly saving − monthly upkeep); under 6
   months is worth exploring (002_…: step 4), a saving that does not exceed upkeep never
   pays back (000_…'s second worked case); without a given upkeep the seed's hidden costs
   are the default (001_…: maintenance $5,000 + drift monitoring $3,000 a month, and
   retraining $20,000 a quarter); API spend under about $5,000–10,000 a month rarely
   justifies the overhead (001_…: "Volume threshold");
8. the technique: LoRA SFT by default, DPO when the data are preference pairs (000_…: "LoRA
   SFT (cheap and small) and DPO (preference alignment)").

A missing input is never assumed: it becomes a question, and a question on the walk's
path (before a step that stops it) leaves the recommendation `unknown`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SEED_000 = "000_0e0a1ec74cb7cf0c.txt"
SEED_001 = "001_89cc0d63de4d722c.txt"
SEED_002 = "002_a8a89292f0d8a94d.txt"
SEED_003 = "003_f347c20a0fefd682.txt"

#: 001_…'s hidden costs, as a monthly figure: maintenance + drift monitoring + a quarter
#: of the quarterly retraining.
SEED_MAINTENANCE = 5_000.0
SEED_DRIFT_MONITORING = 3_000.0
SEED_QUARTERLY_RETRAINING = 20_000.0
SEED_MONTHLY_UPKEEP = SEED_MAINTENANCE + SEED_DRIFT_MONITORING + SEED_QUARTERLY_RETRAINING / 3
#: 002_…: a break-even under this many months is worth exploring.
BREAK_EVEN_MONTHS = 6.0
#: 001_…: monthly API spend below which fine-tuning rarely pays for its overhead.
VOLUME_LOW, VOLUME_HIGH = 5_000.0, 10_000.0


class Recommendation(StrEnum):
    PROMPT_ENGINEERING = "prompt-engineering"
    RAG = "rag"
    BETTER_MODEL = "better-model"
    TOOL_USE = "tool-use"
    FINE_TUNE_LORA = "fine-tune-lora"
    FINE_TUNE_DPO = "fine-tune-dpo"
    FIX_DATA_FIRST = "fix-data-first"
    NOT_WORTH_IT = "not-worth-it"
    UNKNOWN = "unknown"


YesNo = Literal["yes", "no"]
Gap = Literal["knowledge", "behaviour", "reasoning", "unknown"]


class DecisionInputs(BaseModel):
    """What the team knows; None (or "unknown") is a question, never a default."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    prompting_tried: YesNo | None = Field(None, alias="prompting-tried")
    gap: Gap | None = None
    stable: YesNo | None = None
    eval_set: YesNo | None = Field(None, alias="eval-set")
    compliance: Literal["none", "self-host"] | None = None
    needs_actions: YesNo | None = Field(None, alias="needs-actions")
    monthly_calls: int | None = Field(None, ge=0, alias="monthly-calls")
    saving_per_call: float | None = Field(None, ge=0, alias="saving-per-call")
    training_cost: float | None = Field(None, ge=0, alias="training-cost")
    monthly_upkeep: float | None = Field(None, ge=0, alias="monthly-upkeep")
    monthly_api_spend: float | None = Field(None, ge=0, alias="monthly-api-spend")
    months: int | None = Field(None, gt=0)

    @field_validator("prompting_tried", "stable", "eval_set", "needs_actions", mode="before")
    @classmethod
    def _yes_no(cls, value: object) -> object:
        """TOML booleans and any case: `stable = true` means "yes"."""
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value.strip().lower() if isinstance(value, str) else value

    def merged(self, other: DecisionInputs) -> DecisionInputs:
        """These inputs, with `other`'s given values on top."""
        given = other.model_dump(exclude_none=True)
        return self.model_copy(update=given)


class DataEvidence(BaseModel):
    """What an audit of the training data says, for the rules that need it."""

    verdict: str
    files: list[str]
    rows: int
    unique_examples: int | None = None
    preference: bool = False
    tool_use: bool = False
    eval_files: list[str] = Field(default_factory=list)
    #: FT706's estimate of the training run's cost on the target (USD), when it made one.
    estimated_training_cost: float | None = None


class Reason(BaseModel):
    """One rule that fired: its inputs, what it concluded and why, and its source."""

    rule: str
    inputs: dict[str, Any]
    outcome: str
    why: str
    source: str


class Question(BaseModel):
    input: str
    flag: str
    question: str
    #: On the walk's path: the recommendation stays `unknown` until it is answered.
    blocking: bool


class Decision(BaseModel):
    recommendation: Recommendation
    #: Months until the fine-tune pays back; None when it never does or is not computed.
    break_even_months: float | None = None
    monthly_saving: float | None = None
    monthly_upkeep: float | None = None
    upkeep_source: Literal["given", "seed default"] | None = None
    #: The arithmetic, one line a step, as a reader would check it by hand.
    arithmetic: list[str] = Field(default_factory=list)
    reasons: list[Reason] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    inputs: DecisionInputs
    data: DataEvidence | None = None


QUESTIONS: dict[str, tuple[str, str]] = {
    "prompting_tried": ("--prompting-tried", "Have you systematically tried better prompting?"),
    "gap": ("--gap", "Is the gap knowledge, behaviour (style, format, tools) or reasoning?"),
    "needs_actions": ("--needs-actions", "Does the workflow need the model to take actions?"),
    "stable": ("--stable", "Are the requirements stable, or still changing?"),
    "data": ("--data", "Is the training data ready? Audit it: `ftaudit decide --data FILE`."),
    "eval_set": ("--eval-set", "Do you have a clean held-out eval set?"),
    "compliance": ("--compliance", "Must the model be self-hosted (compliance)?"),
    "monthly_calls": ("--monthly-calls", "How many calls a month will the model serve?"),
    "saving_per_call": ("--saving-per-call", "How much does a call save (USD), fine-tuned?"),
    "training_cost": ("--training-cost", "What does the fine-tune cost once (USD)?"),
    "monthly_api_spend": ("--monthly-api-spend", "What is the monthly API spend (USD)?"),
}


class _Walk:
    """The decision being built: the first stop wins, unless a blocking question came first."""

    def __init__(self, inputs: DecisionInputs, data: DataEvidence | None) -> None:
        self.decision = Decision(recommendation=Recommendation.UNKNOWN, inputs=inputs, data=data)
        self.blocked = False
        self.stopped: Recommendation | None = None

    def ask(self, name: str, blocking: bool = True) -> None:
        flag, question = QUESTIONS[name]
        self.decision.questions.append(
            Question(input=name, flag=flag, question=question, blocking=blocking)
        )
        if blocking and self.stopped is None:
            self.blocked = True

    def fire(self, rule: str, inputs: dict[str, Any], outcome: str, why: str, source: str) -> None:
        self.decision.reasons.append(
            Reason(rule=rule, inputs=inputs, outcome=outcome, why=why, source=source)
        )

    def conclude(
        self, rule: str, inputs: dict[str, Any], outcome: Recommendation, why: str, source: str
    ) -> None:
        """A rule that decides: it fires, and its outcome stops the walk."""
        self.fire(rule, inputs, outcome, why, source)
        self.stop(outcome)

    def stop(self, recommendation: Recommendation) -> None:
        if self.stopped is None:
            self.stopped = recommendation

    @property
    def done(self) -> bool:
        return self.stopped is not None

    def result(self) -> Decision:
        if self.stopped is not None and not self.blocked:
            self.decision.recommendation = self.stopped
        return self.decision


def decide(inputs: DecisionInputs, data: DataEvidence | None = None) -> Decision:
    """Walk the rules (see the module docstring) and return the decision with its reasons."""
    walk = _Walk(inputs, data)
    for step in (_prompting, _gap, _stability, _data, _eval_set, _compliance, _economics):
        step(walk, inputs, data)
        if walk.done:
            break
    if not walk.done:
        _technique(walk, data)
    return walk.result()


def _prompting(walk: _Walk, inputs: DecisionInputs, data: DataEvidence | None) -> None:
    if inputs.prompting_tried is None:
        walk.ask("prompting_tried")
    elif inputs.prompting_tried == "no":
        walk.conclude(
            "prompting-first",
            {"prompting_tried": "no"},
            Recommendation.PROMPT_ENGINEERING,
            "better prompting (system prompts, few-shot examples, structured output) costs "
            "nothing to iterate and often closes the gap; try it systematically first",
            f"{SEED_000}, {SEED_001}, {SEED_002}",
        )


def _gap(walk: _Walk, inputs: DecisionInputs, data: DataEvidence | None) -> None:
    gap = inputs.gap
    if gap is None or gap == "unknown":
        walk.ask("gap")
        return
    if gap == "knowledge":
        walk.conclude(
            "knowledge-is-for-rag",
            {"gap": gap},
            Recommendation.RAG,
            "fine-tuning teaches behaviour, not facts: it hallucinates over old facts more "
            "than it learns new ones; retrieve the knowledge instead",
            f"{SEED_000}, {SEED_001}, {SEED_002}",
        )
    elif gap == "reasoning":
        walk.conclude(
            "reasoning-needs-a-better-model",
            {"gap": gap},
            Recommendation.BETTER_MODEL,
            "small fine-tunes do not teach reasoning, they fit existing reasoning to a "
            "format; use a stronger or reasoning model",
            SEED_000,
        )
    elif inputs.needs_actions == "yes" and not (data is not None and data.tool_use):
        walk.conclude(
            "actions-need-tools",
            {"gap": gap, "needs_actions": "yes", "tool_use_traces": False},
            Recommendation.TOOL_USE,
            "a workflow that needs actions wants tool use or an agent first; fine-tune on "
            "traces of correct tool use once the tools exist",
            SEED_000,
        )
    elif inputs.needs_actions is None:
        walk.ask("needs_actions", blocking=False)


def _stability(walk: _Walk, inputs: DecisionInputs, data: DataEvidence | None) -> None:
    if inputs.stable is None:
        walk.ask("stable")
    elif inputs.stable == "no":
        walk.conclude(
            "stable-requirements",
            {"stable": "no"},
            Recommendation.PROMPT_ENGINEERING,
            "requirements that still change would mean retraining again and again; a prompt "
            "is updated the same day",
            f"{SEED_001}, {SEED_003}",
        )


def _data(walk: _Walk, inputs: DecisionInputs, data: DataEvidence | None) -> None:
    if data is None:
        walk.ask("data", blocking=False)
        return
    shown = {"verdict": data.verdict, "rows": data.rows, "files": data.files}
    if data.verdict == "NO-GO":
        walk.conclude(
            "no-go-data",
            shown,
            Recommendation.FIX_DATA_FIRST,
            "the audit of the training data is NO-GO: a model trained on it learns its "
            "faults, whatever the economics",
            SEED_000,
        )
    elif data.verdict == "REVIEW":
        walk.fire(
            "review-data",
            shown,
            "caution",
            "the audit of the training data is REVIEW: look at its warnings before training",
            SEED_003,
        )


def _eval_set(walk: _Walk, inputs: DecisionInputs, data: DataEvidence | None) -> None:
    has_eval = inputs.eval_set
    if has_eval is None and data is not None and data.eval_files:
        has_eval = "yes"  # the audit found or was given held-out files
    if has_eval is None:
        walk.ask("eval_set")
    elif has_eval == "no":
        walk.conclude(
            "held-out-eval",
            {"eval_set": "no"},
            Recommendation.FIX_DATA_FIRST,
            "without a clean held-out eval set nobody can tell improvement from memorization; "
            "split one off (`ftaudit split`) before training",
            f"{SEED_000}, {SEED_003}",
        )


def _compliance(walk: _Walk, inputs: DecisionInputs, data: DataEvidence | None) -> None:
    if inputs.compliance == "self-host":
        walk.fire(
            "self-hosting-required",
            {"compliance": "self-host"},
            "fine-tune",
            "compliance rules out third-party APIs: fine-tuning a self-hosted open model may "
            "be required whatever the economics",
            SEED_002,
        )
        _technique(walk, data)


def _economics(walk: _Walk, inputs: DecisionInputs, data: DataEvidence | None) -> None:
    decision = walk.decision
    if inputs.compliance is None:
        walk.ask("compliance", blocking=False)
    upkeep = inputs.monthly_upkeep
    decision.upkeep_source = "given" if upkeep is not None else "seed default"
    if upkeep is None:
        upkeep = SEED_MONTHLY_UPKEEP
        decision.arithmetic.append(
            f"upkeep (seed default, {SEED_001}) = ${SEED_MAINTENANCE:,.0f} maintenance + "
            f"${SEED_DRIFT_MONITORING:,.0f} drift monitoring + ${SEED_QUARTERLY_RETRAINING:,.0f}"
            f" retraining ÷ 3 = ${upkeep:,.2f}/month"
        )
    decision.monthly_upkeep = upkeep
    if _low_volume(walk, inputs):
        return
    if inputs.monthly_calls is None or inputs.saving_per_call is None:
        for name in ("monthly_calls", "saving_per_call"):
            if getattr(inputs, name) is None:
                walk.ask(name)
        return
    saving = inputs.monthly_calls * inputs.saving_per_call
    decision.monthly_saving = saving
    decision.arithmetic.append(
        f"monthly saving = {inputs.monthly_calls:,} calls × ${inputs.saving_per_call:g} = "
        f"${saving:,.2f}"
    )
    net = saving - upkeep
    decision.arithmetic.append(
        f"net monthly saving = ${saving:,.2f} − ${upkeep:,.2f} upkeep = ${net:,.2f}"
    )
    shown: dict[str, Any] = {
        "monthly_saving": round(saving, 2),
        "monthly_upkeep": round(upkeep, 2),
        "upkeep": decision.upkeep_source,
    }
    if net <= 0:
        decision.arithmetic.append("the saving does not exceed upkeep: it never pays back")
        walk.conclude(
            "never-pays-back",
            shown,
            Recommendation.NOT_WORTH_IT,
            "the monthly saving does not cover the upkeep, so the fine-tune never pays back",
            f"{SEED_000}, {SEED_001}",
        )
        return
    training_cost = inputs.training_cost
    if training_cost is None and data is not None and data.estimated_training_cost is not None:
        training_cost = data.estimated_training_cost
        decision.arithmetic.append(
            f"training cost = ${training_cost:,.2f}, FT706's estimate for the --target"
        )
    if training_cost is None:
        walk.ask("training_cost")
        return
    months = training_cost / net
    decision.break_even_months = months
    decision.arithmetic.append(
        f"break-even = ${training_cost:,.2f} ÷ ${net:,.2f} = {months:.2f} months"
    )
    shown |= {"training_cost": training_cost, "break_even_months": round(months, 2)}
    horizon = min(BREAK_EVEN_MONTHS, inputs.months) if inputs.months else BREAK_EVEN_MONTHS
    if months >= horizon:
        walk.conclude(
            "break-even-too-late",
            shown | {"horizon_months": horizon},
            Recommendation.NOT_WORTH_IT,
            f"it pays back in {months:.1f} months, not within {horizon:g}",
            SEED_002,
        )
        return
    walk.fire(
        "break-even-worth-exploring",
        shown,
        "fine-tune",
        f"it pays back in {months:.2f} months, under the {BREAK_EVEN_MONTHS:g} months "
        "that make a fine-tune worth exploring",
        SEED_002,
    )


def _low_volume(walk: _Walk, inputs: DecisionInputs) -> bool:
    """001_…'s volume threshold; True when it stopped the walk."""
    spend = inputs.monthly_api_spend
    if spend is None:
        walk.ask("monthly_api_spend", blocking=False)
        return False
    shown = {"monthly_api_spend": spend}
    if spend < VOLUME_LOW:
        walk.conclude(
            "volume-threshold",
            shown,
            Recommendation.NOT_WORTH_IT,
            f"API spend of ${spend:,.0f}/month is under ${VOLUME_LOW:,.0f}: the overhead of "
            "training, evaluation and maintenance rarely pays for itself",
            SEED_001,
        )
        return True
    if spend < VOLUME_HIGH:
        walk.fire(
            "volume-threshold",
            shown,
            "caution",
            f"API spend of ${spend:,.0f}/month is in the ${VOLUME_LOW:,.0f}–${VOLUME_HIGH:,.0f} "
            "band where the overhead is only sometimes justified",
            SEED_001,
        )
    return False


def _technique(walk: _Walk, data: DataEvidence | None) -> None:
    preference = data is not None and data.preference
    technique = Recommendation.FINE_TUNE_DPO if preference else Recommendation.FINE_TUNE_LORA
    walk.conclude(
        "technique",
        {"preference_pairs": preference},
        technique,
        "the data are preference pairs: DPO aligns with them"
        if preference
        else "LoRA SFT is the default: cheap, small, and most of full fine-tuning's quality",
        SEED_000,
    )
