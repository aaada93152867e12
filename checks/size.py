"""FT201–FT204: is there enough data for the task, does it fit the context, what trains?

Token counts come from ctx.tokens (auditor.tokens: cl100k_base by default, or the base
model's tokenizer.json), computed once and shared by these checks.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from pydantic import Field, model_validator

from auditor.check import Check, CheckOptions, CheckResult, Finding, Metric, Severity, Status
from auditor.config import Task
from auditor.context import AuditContext
from auditor.tokens import TokenCounts


class SizeBand(CheckOptions):
    """Fewer than `fail_below` examples is NO-GO, fewer than `warn_below` is REVIEW."""

    fail_below: int = Field(ge=0)
    warn_below: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> SizeBand:
        if self.fail_below > self.warn_below:
            raise ValueError("fail_below must not exceed warn_below")
        return self


_SIMPLE = SizeBand(fail_below=50, warn_below=100)
#: Where each band comes from: see DatasetSize's docstring.
DEFAULT_BANDS: dict[Task, SizeBand] = {
    Task.CLASSIFICATION: _SIMPLE,
    Task.EXTRACTION: _SIMPLE,
    Task.FORMATTING: _SIMPLE,
    Task.STYLE: _SIMPLE,
    Task.TOOL_USE: _SIMPLE,
    Task.GENERATION: SizeBand(fail_below=500, warn_below=2_000),
    Task.GENERAL: SizeBand(fail_below=300, warn_below=1_000),
    Task.PREFERENCE: SizeBand(fail_below=100, warn_below=500),
}
#: 002: "Fewer than 500 quality examples, consider few-shot prompting or synthetic data
#: augmentation first."
FEW_SHOT_FIRST_BELOW = 500


def judged_examples(ctx: AuditContext) -> tuple[int, str]:
    """The example count to judge — unique examples once a duplicate check measured them."""
    if ctx.unique_examples is not None:
        return ctx.unique_examples, "unique examples"
    return ctx.train.height, "examples"


def train_file(ctx: AuditContext) -> str | None:
    """The train file a dataset-level finding points at, when there is exactly one."""
    files = [f.path for f in ctx.dataset.files if f.split == "train"]
    return files[0] if len(files) == 1 else None


def tokenizer_note(tokens: TokenCounts) -> str:
    if tokens.is_default:
        return "counted with cl100k_base; your base model's tokenizer may count differently"
    return f"counted with {tokens.tokenizer_name}"


class DatasetSize(Check):
    """Too few training examples for the task.

    What it checks: the number of training examples (unique examples, when a duplicate
    check has counted them) against the band for the task — `--task`, or the task inferred
    from the data (the summary says so, and why). It also reports turns and prompt /
    trainable / total tokens.

    Why it matters: too few examples and the model overfits them instead of learning the
    behaviour; quality matters more than quantity, but below these floors the evidence
    says fine-tuning is premature.

    Example: 40 classification examples are NO-GO (fewer than 50), 80 are REVIEW, 120 GO.
    A 600-row general assistant set is REVIEW (below the ~1,000 LIMA-style mark).

    Options: `bands`, per-task overrides of `{fail_below, warn_below}`. Defaults:

    | task | NO-GO below | REVIEW below (GO at or above) |
    |---|---|---|
    | classification, extraction, formatting, style, tool-use | 50 | 100 |
    | generation | 500 | 2,000 |
    | general | 300 | 1,000 |
    | preference | 100 | 500 |

    Source: 50–100 examples for simple tasks and 500–2,000 for content generation are from
    shared/seeds/001_89cc0d63de4d722c.txt ("Minimum 50-100 high-quality examples for simple
    tasks; 500-2,000 for content generation"). ~1,000 curated examples for a LIMA-style
    general assistant is from shared/seeds/002_a8a89292f0d8a94d.txt (Meta's LIMA paper), as
    is the general floor of 300 ("fewer than a few hundred labeled examples" overfit) and
    the hint below 500 ("Fewer than 500 quality examples, consider few-shot prompting or
    synthetic data augmentation first"). The preference bands (100 / 500 pairs) are our
    own conservative choice; the articles give no figure for preference data.
    """

    code = "FT201"
    name = "dataset-size"
    family = "size"

    class Options(CheckOptions):
        #: Per-task overrides of DEFAULT_BANDS, e.g. `bands.general = {fail_below = 200,
        #: warn_below = 800}`.
        bands: dict[Task, SizeBand] = Field(default={})

        def band(self, task: Task) -> SizeBand:
            return self.bands.get(task, DEFAULT_BANDS[task])

    def run(self, ctx: AuditContext) -> CheckResult:
        assert isinstance(self.options, self.Options)
        choice = ctx.task
        band = self.options.band(choice.task)
        examples, what = judged_examples(ctx)
        tokens = ctx.tokens

        if examples < band.fail_below:
            status, verdict = Status.FAIL, f"NO-GO for {choice.task} (< {band.fail_below:,})"
        elif examples < band.warn_below:
            status = Status.WARN
            verdict = (
                f"REVIEW for {choice.task} "
                f"({band.fail_below:,}–{band.warn_below - 1:,}; GO at ≥ {band.warn_below:,})"
            )
        else:
            status, verdict = Status.PASS, f"GO for {choice.task} (≥ {band.warn_below:,})"
        summary = f"{examples:,} {what}: {verdict}"
        if choice.inferred:
            summary += f"; task inferred as {choice.task}: {choice.reason}"

        findings = []
        if status is not Status.PASS:
            hint = (
                f"collect more carefully reviewed examples (GO at ≥ {band.warn_below:,} for "
                f"{choice.task})"
            )
            if examples < FEW_SHOT_FIRST_BELOW:
                hint += (
                    f"; with fewer than {FEW_SHOT_FIRST_BELOW} quality examples, try few-shot "
                    "prompting or synthetic data augmentation first"
                )
            if choice.inferred:
                hint += "; if the task is not " + choice.task + ", pass --task"
            findings.append(
                Finding(
                    code=self.code,
                    severity=Severity.ERROR if status is Status.FAIL else Severity.WARNING,
                    message=f"{examples:,} {what} is {verdict}",
                    file=train_file(ctx),
                    hint=hint,
                )
            )

        rows = tokens.rows
        turns = int(tokens.turns.sum())
        metrics = [
            Metric(
                name="examples",
                value=examples,
                warn_at=band.warn_below,
                fail_at=band.fail_below,
                note=f"{what}; REVIEW below warn_at, NO-GO below fail_at",
            ),
            Metric(name="rows", value=ctx.train.height),
            Metric(name="turns", value=turns),
            Metric(name="turns_mean", value=round(turns / rows, 2) if rows else 0.0),
            Metric(name="prompt_tokens", value=int(tokens.prompt_tokens.sum()), unit="tokens"),
            Metric(
                name="trainable_tokens", value=int(tokens.trainable_tokens.sum()), unit="tokens"
            ),
            Metric(
                name="total_tokens",
                value=int(tokens.total_tokens.sum()),
                unit="tokens",
                note=f"includes ~{tokens.message_overhead} chat-template tokens per message",
            ),
            Metric(name="task", value=str(choice.task), note=choice.reason),
            Metric(name="task_source", value="inferred" if choice.inferred else "given"),
            Metric(name="tokenizer", value=tokens.tokenizer_name),
        ]
        if ctx.unique_examples is not None:
            metrics.insert(2, Metric(name="unique_examples", value=ctx.unique_examples))
        score = min(1.0, examples / band.warn_below) if band.warn_below else 1.0
        return self.result(status, score, summary, metrics, findings)


class OverContextLength(Check):
    """Rows longer than the training context length.

    What it checks: each row's token count — the longest sequence a trainer feeds the
    model: the whole conversation, or for a preference pair the prompt plus the longer
    answer — against `context-length` (default 8,192; set it to your trainer's maximum
    sequence length, and pass `--tokenizer` for your base model's exact counts).

    Why it matters: trainers truncate (or drop) over-long rows, and truncation cuts the
    end — usually the assistant's answer, the part that was meant to be learned. A row
    whose prompt alone fills the context trains on nothing.

    Example: a 12,000-token support transcript with context-length 8,192 loses its
    final answer.

    Options: `fail_above` (default 0.05): fail when more than this share of rows is too
    long; any such row warns.

    Source: trainers' truncation behaviour (OpenAI's fine-tuning data-prep guide warns that
    over-long examples "will be truncated during fine-tuning"); the 5% failure share is
    our own choice — past it, truncation is a property of the dataset, not a few outliers.
    """

    code = "FT202"
    name = "over-context-length"
    family = "size"

    class Options(CheckOptions):
        #: Share of rows over the context length above which the check fails (any row warns).
        fail_above: float = Field(0.05, ge=0.0, le=1.0)

    def run(self, ctx: AuditContext) -> CheckResult:
        assert isinstance(self.options, self.Options)
        if ctx.train.is_empty():
            return self.skipped("no training rows")
        tokens = ctx.tokens
        limit = ctx.config.context_length
        sequence = tokens.sequence_tokens
        over = np.flatnonzero(sequence > limit)
        # Prompt and template tokens alone at or past the limit: truncation keeps little or
        # nothing of what the row was meant to teach.
        untrained = tokens.prompt_tokens + tokens.template_tokens
        where = ctx.train.select("file", "line")[over] if over.size else None
        findings = []
        if where is not None:
            for (file, line), index in zip(where.iter_rows(), over.tolist(), strict=True):
                count = int(sequence[index])
                message = f"{count:,} tokens, over the {limit:,}-token context by {count - limit:,}"
                if untrained[index] >= limit:
                    message += "; the prompt alone fills it, so the answer is cut entirely"
                else:
                    message += "; the trainer truncates the end (the answer)"
                findings.append(
                    Finding(
                        code=self.code,
                        severity=Severity.WARNING,
                        message=message,
                        file=file,
                        line=line,
                        hint="shorten or split the conversation, or drop the row; set "
                        "context-length to your trainer's maximum sequence length",
                    )
                )
        share = over.size / sequence.size
        if share > self.options.fail_above:
            status = Status.FAIL
        elif over.size:
            status = Status.WARN
        else:
            status = Status.PASS
        summary = (
            f"{over.size:,} row(s) ({share:.1%}) exceed the {limit:,}-token context"
            if over.size
            else f"all rows fit the {limit:,}-token context (longest {int(sequence.max()):,})"
        )
        metrics = [
            Metric(name="rows_over", value=int(over.size)),
            Metric(
                name="share_over",
                value=round(share, 4),
                warn_at=0.0,
                fail_at=self.options.fail_above,
            ),
            Metric(name="context_length", value=limit, unit="tokens"),
            Metric(name="sequence_tokens_p50", value=int(np.median(sequence)), unit="tokens"),
            Metric(
                name="sequence_tokens_p95",
                value=int(np.percentile(sequence, 95)),
                unit="tokens",
            ),
            Metric(
                name="sequence_tokens_max",
                value=int(sequence.max()),
                unit="tokens",
                note=tokenizer_note(tokens),
            ),
        ]
        return self.result(status, 1.0 - share, summary, metrics, findings)


class TrainableTokenShare(Check):
    """Most tokens are prompt; few (or none) are trained on.

    What it checks: the dataset-level share of tokens the model is trained on (assistant
    turns with weight null or non-zero, both answers of a preference pair, all of a plain
    text row) out of all tokens, and the rows with no trainable token at all.

    Why it matters: every token is processed (and, on hosted fine-tuning, billed) each
    epoch, but only trainable tokens teach. A low share means most compute goes to
    re-reading prompts — often one long system prompt repeated in every row, which a
    fine-tuned model may no longer need in full. A row with zero trainable tokens (empty
    answers, every assistant turn at weight 0) costs compute and teaches nothing; FT109
    names rows without a trainable assistant turn, this check also counts empty answers.

    Example: a 1,500-token system prompt on every row with 40-token answers: 2.6% of the
    tokens are trained on.

    Options: `min_share` (default 0.05) — warn below it; `exempt_tasks` (default
    [classification]) — tasks whose one-word labels make a low share normal; rows with zero
    trainable tokens still warn for them.

    Source: our own threshold. At 5%, 19 of every 20 tokens paid for are prompt; typical
    chat SFT sets, whose answers are about as long as their prompts, sit far above it,
    so a share this low points at a repeated prompt rather than the task.
    """

    code = "FT203"
    name = "trainable-token-share"
    family = "size"

    class Options(CheckOptions):
        #: Warn when less than this share of all tokens is trained on.
        min_share: float = Field(0.05, ge=0.0, le=1.0)
        #: Tasks whose answers are short by nature, so a low share is expected, not waste.
        exempt_tasks: list[Task] = Field(default=[Task.CLASSIFICATION])

    def run(self, ctx: AuditContext) -> CheckResult:
        assert isinstance(self.options, self.Options)
        if ctx.train.is_empty():
            return self.skipped("no training rows")
        tokens = ctx.tokens
        share = tokens.trainable_share
        task = ctx.task.task
        exempt = task in self.options.exempt_tasks
        low = share < self.options.min_share and not exempt
        zero = np.flatnonzero(tokens.trainable_tokens == 0)

        findings = []
        repeated = self._repeated_system_prompt(ctx.train)
        if low:
            hint = "shorten the instructions every row repeats — fine-tuning teaches the "
            hint += "behaviour they spell out — or train on longer, multi-turn answers"
            if repeated:
                hint = f"{repeated:.0%} of rows repeat the same system prompt; " + hint
            findings.append(
                Finding(
                    code=self.code,
                    severity=Severity.WARNING,
                    message=f"only {share:.1%} of tokens are trained on (warn below "
                    f"{self.options.min_share:.0%}); the rest is prompt re-read every epoch",
                    file=train_file(ctx),
                    hint=hint,
                )
            )
        if zero.size:
            where = ctx.train.select("file", "line")[zero.tolist()]
            findings.extend(
                Finding(
                    code=self.code,
                    severity=Severity.WARNING,
                    message="row has no trainable tokens (no non-empty answer with weight ≠ 0)",
                    file=file,
                    line=line,
                    hint="add the assistant answer, set a trained turn's weight to 1, or drop "
                    "the row",
                )
                for file, line in where.iter_rows()
            )

        status = Status.WARN if low or zero.size else Status.PASS
        summary = f"{share:.1%} of tokens are trainable"
        if exempt and share < self.options.min_share:
            summary += f" (low, as expected for {task})"
        if zero.size:
            summary += f"; {zero.size:,} row(s) with none"
        score = min(1.0, share / self.options.min_share) if low else 1.0
        score *= 1.0 - zero.size / tokens.rows
        metrics = [
            Metric(
                name="trainable_share",
                value=round(share, 4),
                warn_at=None if exempt else self.options.min_share,
                note="trainable / total tokens; warns below warn_at",
            ),
            Metric(name="rows_without_trainable_tokens", value=int(zero.size), warn_at=0.0),
            Metric(name="trainable_tokens", value=int(tokens.trainable_tokens.sum())),
            Metric(name="total_tokens", value=int(tokens.total_tokens.sum())),
            Metric(
                name="repeated_system_prompt_share",
                value=round(repeated, 4),
                note="share of rows carrying the most common system prompt",
            ),
        ]
        return self.result(status, score, summary, metrics, findings)

    @staticmethod
    def _repeated_system_prompt(frame: pl.DataFrame) -> float:
        """Share of rows carrying the most common (non-empty) system prompt."""
        system = frame["system"].drop_nulls()
        system = system.filter(system != "")
        if system.is_empty():
            return 0.0
        return int(system.value_counts()["count"].max()) / frame.height  # type: ignore[arg-type]


#: OpenAI's default epoch heuristic (openai-cookbook, Chat_finetuning_data_prep.ipynb).
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


def auto_epochs(examples: int, target: int) -> int:
    """The epochs OpenAI's heuristic would pick for this many examples (target if in range)."""
    return recommended_epochs(examples, MIN_TARGET_EXAMPLES, MAX_TARGET_EXAMPLES, target)


def recommended_epochs(
    examples: int, low: int = MIN_TARGET_EXAMPLES, high: int = MAX_TARGET_EXAMPLES, target: int = 3
) -> int:
    """OpenAI's heuristic with a pass budget of [low, high]: `target` epochs unless that
    leaves the budget, then as many (at most 25) or as few (at least 1) as fit it."""
    if examples <= 0:
        return target
    if examples * target < low:
        return max(MIN_DEFAULT_EPOCHS, min(MAX_DEFAULT_EPOCHS, low // examples))
    if examples * target > high:
        return max(MIN_DEFAULT_EPOCHS, high // examples)
    return target


#: An explicit epoch count more than this many times off the heuristic's is a warning.
EPOCHS_FAR_OFF = 2.0


class EpochBudget(Check):
    """Epochs far from what the set's size calls for.

    What it checks: the epochs a trainer's default heuristic would pick for this many
    examples (unique, once a duplicate check counted them): OpenAI's, which keeps examples ×
    epochs within [100, 25,000] passes, between 1 and 25 epochs, from a target of 3. Without
    `--epochs` (or `epochs` in the config) that recommendation is the plan, reported as a
    metric, and the check passes; it warns only when even 25 epochs give fewer than 100
    passes (a handful of examples), or when an explicit `epochs` is more than
    EPOCHS_FAR_OFF (2) times above or below the recommendation and its passes leave the
    budget.

    Why it matters: below 100 passes the model sees too little to change its behaviour
    reliably — and raising the epochs instead mostly memorizes the few examples; above
    25,000 passes extra epochs repeat a large set at growing cost for little gain and with
    more overfitting. A large clean set is no problem: it simply trains fewer epochs.

    Example: 20,000 examples: 1 epoch recommended (20,000 passes); `--epochs 3` is 3× that
    and warns. 20 examples: 5 epochs recommended; `--epochs 1` warns (20 passes).

    Options: `min_passes` (default 100), `max_passes` (default 25,000).

    Source: OpenAI's default epoch heuristic, as published in the OpenAI cookbook
    (examples/Chat_finetuning_data_prep.ipynb): MIN/MAX_TARGET_EXAMPLES, MIN/MAX_DEFAULT_EPOCHS
    and TARGET_EPOCHS. Not from the seed articles; 000_0e0a1ec74cb7cf0c.txt names the
    anti-pattern ("one epoch when you need three, or three when you need one").
    """

    code = "FT204"
    name = "epoch-budget"
    family = "size"

    class Options(CheckOptions):
        #: The pass budget the recommended epochs aim for.
        min_passes: int = Field(MIN_TARGET_EXAMPLES, ge=0)
        max_passes: int = Field(MAX_TARGET_EXAMPLES, ge=1)

    def run(self, ctx: AuditContext) -> CheckResult:
        assert isinstance(self.options, self.Options)
        examples, what = judged_examples(ctx)
        if examples == 0:
            return self.skipped("no training examples")
        low, high = self.options.min_passes, self.options.max_passes
        recommended = recommended_epochs(examples, low, high)
        given = ctx.config.epochs
        epochs = given if given is not None else recommended
        passes = examples * epochs
        message, hint = self._problem(examples, what, given, recommended, low, high)
        findings = []
        if message:
            findings.append(
                Finding(
                    code=self.code,
                    severity=Severity.WARNING,
                    message=message,
                    file=train_file(ctx),
                    hint=hint,
                )
            )
        planned = "given" if given is not None else "recommended"
        summary = message or (
            f"{examples:,} {what} × {epochs} epoch{'s' if epochs != 1 else ''} ({planned}) = "
            f"{passes:,} passes"
        )
        off = max(epochs / recommended, recommended / epochs)
        score = 1.0 if not findings else min(1.0, passes / low) if passes < low else 1 / off
        metrics = [
            Metric(name="example_passes", value=passes, note=f"{what} × epochs"),
            Metric(name="examples", value=examples),
            Metric(name="epochs", value=epochs, note=planned),
            Metric(
                name="recommended_epochs",
                value=recommended,
                note=f"OpenAI's default heuristic: [{low:,}, {high:,}] passes, 1–25 epochs",
            ),
        ]
        return self.result(
            Status.WARN if findings else Status.PASS, score, summary, metrics, findings
        )

    @staticmethod
    def _problem(
        examples: int, what: str, given: int | None, recommended: int, low: int, high: int
    ) -> tuple[str, str]:
        """(message, hint) when the plan deserves a warning, else two empty strings."""
        if examples * MAX_DEFAULT_EPOCHS < low:
            return (
                f"{examples:,} {what}: even {MAX_DEFAULT_EPOCHS} epochs give "
                f"{examples * MAX_DEFAULT_EPOCHS:,} passes, below {low:,}",
                "collect more examples; more epochs over so few mostly memorizes them",
            )
        if given is None or max(given / recommended, recommended / given) <= EPOCHS_FAR_OFF:
            return "", ""
        passes = examples * given
        if low <= passes <= high:
            return "", ""  # off the heuristic's point, but within the budget it aims for
        if given > recommended:
            hint = (
                f"train {recommended} epoch{'s' if recommended != 1 else ''} (the heuristic's "
                "choice for this size) or a curated subset; extra passes over a large set "
                "cost more than they teach"
            )
        else:
            hint = (
                f"train {recommended} epochs (the heuristic's choice for this size), or "
                "collect more examples"
            )
        return (
            f"{given} epochs × {examples:,} {what} = {passes:,} passes; "
            f"{recommended} recommended for this size",
            hint,
        )
