"""FT701–FT706: the training platform's own rules for the file (`--target NAME`).

Each check reads the target's profile (auditor/targets/profiles/NAME.toml: the vendor's
documented rules, the pages they come from, the date they were read, and what could not
be confirmed) and applies one family of its rules. Without `--target` they are skipped.
A hosted API rejects a file that breaks its rules (fail); an open-source trainer usually
truncates, drops or mis-trains instead (warn), which costs a GPU hour to find out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from itertools import pairwise
from typing import TYPE_CHECKING

import polars as pl
from pydantic import Field

from auditor.check import Check, CheckOptions, CheckResult, Finding, Metric, Severity, Status
from auditor.formats import PREFERENCE_FORMATS
from checks.size import recommended_epochs, train_file

if TYPE_CHECKING:
    from auditor.context import AuditContext
    from auditor.target_profiles import ChatTemplate, ModelRules, TargetProfile, TaskRules

#: Findings a target check keeps per rule (totals stay exact).
SHOWN = 200


def task_of(ctx: AuditContext) -> str:
    """Which of the profile's tasks the data are for: preference, kto or sft."""
    formats = set(ctx.train["format"].unique().to_list())
    if formats and formats <= {"kto"}:
        return "kto"
    if formats and formats <= PREFERENCE_FORMATS:
        return "preference"
    return "sft"


class TargetCheck(Check):
    """Base: resolves the profile and the rules for the data's task."""

    family = "target"

    def profile(self, ctx: AuditContext) -> TargetProfile | None:
        if ctx.config.target is None:
            return None
        from auditor.target_profiles import load_profile

        return load_profile(ctx.config.target)

    def rules(self, profile: TargetProfile, task: str) -> TaskRules | None:
        rules: TaskRules | None = getattr(profile, task)
        return rules

    def severity(self, profile: TargetProfile) -> tuple[Status, Severity]:
        """Hosted APIs reject the file; trainers run and go wrong."""
        if profile.kind == "hosted":
            return Status.FAIL, Severity.ERROR
        return Status.WARN, Severity.WARNING

    def source(self, profile: TargetProfile) -> str:
        return f"{profile.title}, read {profile.read.isoformat()}: {profile.sources[0]}"

    def run(self, ctx: AuditContext) -> CheckResult:
        profile = self.profile(ctx)
        if profile is None:
            return self.skipped("no --target given (e.g. --target openai)")
        if ctx.train.is_empty():
            return self.skipped("no training rows")
        task = task_of(ctx)
        rules = self.rules(profile, task)
        if rules is None:
            status, severity = self.severity(profile)
            finding = Finding(
                code=self.code,
                severity=severity,
                message=f"{profile.title} documents no {task} training",
                file=train_file(ctx),
                hint=f"train {task} data elsewhere, or see {profile.sources[0]}",
            )
            return self.result(status, 0.0, finding.message, findings=[finding])
        return self.judge(ctx, profile, task, rules)

    def judge(
        self, ctx: AuditContext, profile: TargetProfile, task: str, rules: TaskRules
    ) -> CheckResult:
        raise NotImplementedError

    def verdict(
        self,
        profile: TargetProfile,
        findings: list[Finding],
        total: int,
        passed: str,
        failed: str,
        metrics: Iterable[Metric] = (),
        *,
        score: float | None = None,
    ) -> CheckResult:
        status = self.severity(profile)[0] if findings else Status.PASS
        metrics = [Metric(name="target", value=profile.name, note=self.source(profile)), *metrics]
        summary = failed if findings else passed
        if score is None:
            score = 0.0 if findings else 1.0
        result = self.result(status, score, summary, metrics, findings[:SHOWN])
        return result.model_copy(update={"findings_total": total})


class TargetFormat(TargetCheck):
    """Rows in a format the training platform does not accept.

    What it checks: each row's detected format against the formats the `--target`
    profile lists for the data's task (SFT, preference pairs, KTO).

    Why it matters: a hosted API rejects the whole file at upload; a trainer given the
    wrong dataset type silently trains on the wrong tokens (or on nothing).

    Example: an Alpaca file (`instruction`/`input`/`output`) with `--target openai`,
    which takes chat files only: convert it with `ftaudit convert --to openai-chat`.

    Options: none; the target comes from `--target` (or `target` in the config).
    """

    code = "FT701"
    name = "target-format"

    def judge(
        self, ctx: AuditContext, profile: TargetProfile, task: str, rules: TaskRules
    ) -> CheckResult:
        accepted = rules.formats
        wrong = ctx.train.filter(~pl.col("format").is_in(accepted))
        severity = self.severity(profile)[1]
        wanted = ", ".join(accepted) or "a shape ftaudit cannot read yet: " + "; ".join(
            rules.shapes
        )
        convert = f"`ftaudit convert --to {accepted[0]}`" if accepted else "its documentation"
        findings = [
            Finding(
                code=self.code,
                severity=severity,
                message=f"{fmt} row; {profile.name} takes {wanted} for {task}",
                file=file,
                line=line,
                hint=f"convert the file with {convert}",
            )
            for file, line, fmt in wrong.select("file", "line", "format").head(SHOWN).iter_rows()
        ]
        found = wrong["format"].unique().sort().to_list()
        return self.verdict(
            profile,
            findings,
            wrong.height,
            f"every row is in a format {profile.name} takes for {task} ({wanted})",
            f"{wrong.height:,} of {ctx.train.height:,} rows are {', '.join(found)}; "
            f"{profile.name} takes {wanted} for {task}",
            [Metric(name="rows_in_other_formats", value=wrong.height)],
            score=1.0 - wrong.height / ctx.train.height,
        )


class TargetExampleCount(TargetCheck):
    """Fewer or more examples than the training platform allows.

    What it checks: the training rows against the profile's `min_examples` and
    `max_examples` for the data's task.

    Why it matters: a hosted API refuses the job outright.

    Example: 8 rows with `--target openai` (at least 10).

    Options: none; a model's own maximum applies with `--target-model`.
    """

    code = "FT702"
    name = "target-example-count"

    def judge(
        self, ctx: AuditContext, profile: TargetProfile, task: str, rules: TaskRules
    ) -> CheckResult:
        rows = ctx.train.height
        model = _model_rules(ctx, profile)
        high = model.max_examples if model and model.max_examples else rules.max_examples
        low = rules.min_examples
        problem = ""
        if low is not None and rows < low:
            problem = f"{rows:,} examples; {profile.name} needs at least {low:,}"
        elif high is not None and rows > high:
            problem = f"{rows:,} examples; {profile.name} takes at most {high:,}"
        severity = self.severity(profile)[1]
        findings = (
            [Finding(code=self.code, severity=severity, message=problem, file=train_file(ctx))]
            if problem
            else []
        )
        bounds = f"[{low or 1:,}, {high:,}]" if high else f"at least {low or 1:,}"
        return self.verdict(
            profile,
            findings,
            len(findings),
            f"{rows:,} examples, within {profile.name}'s {bounds}",
            problem,
            [Metric(name="examples", value=rows, warn_at=low, fail_at=high)],
        )


class TargetExampleTokens(TargetCheck):
    """Examples longer than the training platform takes.

    What it checks: each row's longest sequence (auditor.tokens) against the profile's
    per-example token limit (a model's own limit when `--target-model` names one), or,
    for a trainer, `--context-length` when given, else the trainer's default sequence
    length setting.

    Why it matters: a hosted API rejects or truncates over-long examples; a trainer
    truncates (the answer's end is lost) or drops them, as its profile says.

    Example: a 9,000-token row with a trainer whose `max_length` default is 1,024.

    Options: none. For a trainer the limit is `--context-length` when given, else the
    `model_max_length` of the tokenizer_config.json beside `--tokenizer`, else the
    trainer's default setting.
    """

    code = "FT703"
    name = "target-example-tokens"

    def judge(
        self, ctx: AuditContext, profile: TargetProfile, task: str, rules: TaskRules
    ) -> CheckResult:
        limit, where = _token_limit(ctx, profile, rules)
        if limit is None:
            return self.skipped(f"{profile.name} documents no per-example token limit ({where})")
        tokens = ctx.tokens.sequence_tokens
        over = tokens > limit
        severity = self.severity(profile)[1]
        overflow = profile.sequence_length.overflow if profile.sequence_length else ""
        lines = ctx.train.select("file", "line")
        findings = [
            Finding(
                code=self.code,
                severity=severity,
                message=f"{int(tokens[i]):,} tokens; {profile.name} takes {limit:,} ({where})",
                file=lines["file"][int(i)],
                line=int(lines["line"][int(i)]),
                hint=overflow or "shorten or split the example",
            )
            for i in over.nonzero()[0][:SHOWN]
        ]
        count = int(over.sum())
        return self.verdict(
            profile,
            findings,
            count,
            f"every example fits {limit:,} tokens ({where})",
            f"{count:,} of {len(tokens):,} examples exceed {limit:,} tokens ({where})",
            [
                Metric(name="token_limit", value=limit, note=where),
                Metric(name="longest_example", value=int(tokens.max()), unit="tokens"),
            ],
            score=1.0 - count / len(tokens),
        )


class TargetFileSize(TargetCheck):
    """A training file larger than the platform accepts.

    What it checks: each training file's size in bytes against the profile's
    `max_file_bytes`.

    Why it matters: the upload fails; split the file or curate it.

    Example: a 600 MB file with `--target openai` (512 MB per file).

    Options: `limit_bytes`, a stricter limit than the platform's (default: the platform's).
    """

    code = "FT704"
    name = "target-file-size"

    class Options(CheckOptions):
        #: A stricter limit than the platform's (your own upload limit), in bytes.
        limit_bytes: int | None = Field(None, gt=0)

    def judge(
        self, ctx: AuditContext, profile: TargetProfile, task: str, rules: TaskRules
    ) -> CheckResult:
        assert isinstance(self.options, self.Options)
        limit = self.options.limit_bytes or rules.max_file_bytes
        where = "limit_bytes" if self.options.limit_bytes else f"{profile.name}'s"
        if limit is None:
            return self.skipped(f"{profile.name} documents no file size limit")
        severity = self.severity(profile)[1]
        sizes = {f.path: os.path.getsize(f.path) for f in ctx.dataset.files if f.split == "train"}
        findings = [
            Finding(
                code=self.code,
                severity=severity,
                message=f"{size:,} bytes; files up to {limit:,} ({where})",
                file=path,
                hint="split the file, or deduplicate and curate it",
            )
            for path, size in sizes.items()
            if size > limit
        ]
        return self.verdict(
            profile,
            findings,
            len(findings),
            f"every training file is under the {limit:,}-byte limit ({where})",
            f"{len(findings)} training file(s) over {limit:,} bytes",
            [Metric(name="largest_file", value=max(sizes.values(), default=0), unit="bytes")],
        )


class TargetRoles(TargetCheck):
    """Roles, turn order or loss weights the training platform does not take.

    What it checks, per chat row and as the profile documents them: roles outside the
    allowed set; the first turn (after a system message); the last turn; strict
    user/assistant alternation; per-message `weight` values outside those the platform
    takes, or weights on a platform without per-message loss control (they are ignored);
    and with `--chat-template NAME`, what that template of the trainer does to a system
    message (folds it into the first user turn, drops it, or refuses it) or to roles it
    does not render.

    Why it matters: a hosted API rejects such rows; a trainer mis-trains on them (a
    dropped system prompt, a weight-0 turn trained on anyway).

    Example: `weight: 0.5` with `--target openai` (0 or 1 only).

    Options: none; `--chat-template` names the trainer's template (from its profile).
    """

    code = "FT705"
    name = "target-roles"

    def judge(
        self, ctx: AuditContext, profile: TargetProfile, task: str, rules: TaskRules
    ) -> CheckResult:
        severity = self.severity(profile)[1]
        template = _chat_template(ctx, profile)
        rows = ctx.train.select("file", "line", "messages").iter_rows()
        findings: list[Finding] = []
        affected = 0
        for file, line, messages in rows:
            problem = _role_problem(messages or [], rules) or _template_problem(
                messages or [], template
            )
            if problem is None:
                continue
            affected += 1
            if len(findings) < SHOWN:
                findings.append(
                    Finding(
                        code=self.code,
                        severity=severity,
                        message=f"{problem} ({profile.name})",
                        file=file,
                        line=line,
                        hint=rules.weight if "weight" in problem else rules.notes or None,
                    )
                )
        return self.verdict(
            profile,
            findings,
            affected,
            f"roles, turn order and weights follow {profile.name}'s rules",
            f"{affected:,} of {ctx.train.height:,} rows break {profile.name}'s role rules",
            [Metric(name="affected_rows", value=affected)],
            score=1.0 - affected / ctx.train.height,
        )


def _chat_template(ctx: AuditContext, profile: TargetProfile) -> tuple[str, ChatTemplate] | None:
    """The `--chat-template` the profile documents, if one is named."""
    name = ctx.config.chat_template
    if name is None:
        return None
    template = profile.chat_templates.get(name)  # audit() refused an unknown name
    return (name, template) if template is not None else None


def _template_problem(
    messages: list[dict[str, object]], template: tuple[str, ChatTemplate] | None
) -> str | None:
    """What the chat template does to this conversation that the data did not mean."""
    if template is None:
        return None
    name, rules = template
    roles = [str(m.get("role")) for m in messages]
    if "system" in roles and rules.system != "kept":
        effect = {
            "merged-into-first-user": "folds it into the first user turn",
            "dropped": "drops it: it never trains",
            "refused": "refuses it: the run stops with an error",
        }[rules.system]
        return f"system message: the {name} template {effect}"
    odd = sorted({r for r in roles if rules.roles and r not in rules.roles and r != "system"})
    if odd:
        return f"role {', '.join(odd)}: the {name} template renders only {', '.join(rules.roles)}"
    return None


def _role_problem(messages: list[dict[str, object]], rules: TaskRules) -> str | None:
    """The first way a conversation breaks the rules, in words; None when it does not."""
    roles = [str(m.get("role")) for m in messages]
    allowed = set(rules.roles)
    odd = sorted({r for r in roles if allowed and r not in allowed})
    if odd:
        return f"role {', '.join(odd)} not allowed (takes {', '.join(rules.roles)})"
    turns = [r for r in roles if r != "system"]
    if rules.first_roles and turns and turns[0] not in rules.first_roles:
        return f"starts with {turns[0]}; must start with {' or '.join(rules.first_roles)}"
    if rules.last_role and turns and turns[-1] != rules.last_role:
        return f"ends with {turns[-1]}; must end with {rules.last_role}"
    if rules.alternating:
        spoken = [r for r in turns if r in ("user", "assistant")]
        if any(a == b for a, b in pairwise(spoken)):
            return "user and assistant turns do not alternate"
    weights = [m.get("weight") for m in messages if m.get("weight") is not None]
    if weights and not rules.weight_values:
        return "per-message weights given, but the platform has no per-message loss control"
    bad = sorted({float(w) for w in weights if float(w) not in rules.weight_values})  # type: ignore[arg-type]
    if bad:
        allowed_weights = ", ".join(f"{v:g}" for v in rules.weight_values)
        return f"weight {', '.join(f'{w:g}' for w in bad)} not allowed (takes {allowed_weights})"
    return None


class TrainingCost(TargetCheck):
    """What the training run will cost on the target, from the counted tokens.

    What it checks: trainable tokens (auditor.tokens) × epochs × the price per 1M training
    tokens (`--price-per-mtok`, else the profile's price for `--target-model`). Epochs are
    `--epochs`, else the target's documented heuristic for this size (FT204's), else its
    fixed default. Never judges the data: it passes with the estimate as metrics, and says
    so plainly when no price is known.

    Why it matters: the one-off cost is half of the break-even `ftaudit decide` computes;
    when none is given, this estimate is used. With `budget_usd` set, an estimate above it
    warns.

    Options: `budget_usd` (default none).

    Example: 120,000 trainable tokens × 3 epochs × $25 per 1M = $9.00.
    """

    code = "FT706"
    name = "training-cost"

    class Options(CheckOptions):
        #: Warn when the estimate exceeds this many USD (default: never).
        budget_usd: float | None = Field(None, gt=0)

    def judge(
        self, ctx: AuditContext, profile: TargetProfile, task: str, rules: TaskRules
    ) -> CheckResult:
        tokens = int(ctx.tokens.trainable_tokens.sum())
        epochs = ctx.config.epochs
        epoch_source = "given"
        if epochs is None and profile.epochs is not None and profile.epochs.heuristic:
            h = profile.epochs.heuristic
            epochs = recommended_epochs(
                ctx.train.height, h.min_target_examples, h.max_target_examples, h.target_epochs
            )
            epoch_source = f"{profile.name}'s heuristic"
        elif (
            epochs is None
            and profile.epochs is not None
            and isinstance(profile.epochs.default, int)
        ):
            epochs = profile.epochs.default
            epoch_source = f"{profile.name}'s default"
        model = _model_rules(ctx, profile)
        price = ctx.config.price_per_mtok
        price_source = "--price-per-mtok"
        if price is None and model is not None:
            price, price_source = model.price_per_mtok_training, f"{ctx.config.target_model}"
        elif price is None:
            priced = [m.price_per_mtok_training for m in profile.models.values()]
            known = sorted({p for p in priced if p is not None})
            if len(known) == 1:  # one price for every model: no choice to make
                price, price_source = known[0], f"{profile.name}'s price"
        metrics = [
            Metric(name="trainable_tokens", value=tokens, unit="tokens"),
            Metric(name="epochs", value=epochs, note=epoch_source),
        ]
        if epochs is None or price is None:
            missing = "a price per 1M training tokens" if price is None else "an epoch count"
            why = (
                f"no estimate: {profile.name}'s profile has no confirmed {missing}; pass "
                "--price-per-mtok (and --epochs) from the vendor's pricing page"
                if profile.kind == "hosted"
                else f"no estimate: {profile.name} runs on your own GPUs (no per-token price);"
                " pass --price-per-mtok for a per-token figure"
            )
            return self.result(Status.PASS, 1.0, why, metrics)
        cost = tokens * epochs * price / 1_000_000
        arithmetic = (
            f"{tokens:,} trainable tokens × {epochs} epochs × ${price:g} per 1M = ${cost:,.2f}"
        )
        assert isinstance(self.options, self.Options)
        budget = self.options.budget_usd
        metrics += [
            Metric(name="price_per_mtok", value=price, unit="USD", note=price_source),
            Metric(
                name="estimated_cost",
                value=round(cost, 2),
                unit="USD",
                note=arithmetic,
                warn_at=budget,
            ),
        ]
        summary = f"estimated training cost: {arithmetic}"
        if budget is None or cost <= budget:
            return self.result(Status.PASS, 1.0, summary, metrics)
        finding = Finding(
            code=self.code,
            severity=Severity.WARNING,
            message=f"estimated ${cost:,.2f}, over the ${budget:,.2f} budget ({arithmetic})",
            file=train_file(ctx),
            hint="curate a smaller set, train fewer epochs, or pick a cheaper model",
        )
        return self.result(Status.WARN, budget / cost, summary, metrics, [finding])


def _model_rules(ctx: AuditContext, profile: TargetProfile) -> ModelRules | None:
    name = ctx.config.target_model
    return profile.models.get(name) if name else None


def _token_limit(
    ctx: AuditContext, profile: TargetProfile, rules: TaskRules
) -> tuple[int | None, str]:
    model = _model_rules(ctx, profile)
    if model is not None and model.max_tokens_per_example:
        return model.max_tokens_per_example, f"{ctx.config.target_model}'s limit"
    if rules.max_tokens_per_example:
        return rules.max_tokens_per_example, "the documented per-example limit"
    if profile.kind == "trainer" and profile.sequence_length is not None:
        if "context_length" in ctx.config.model_fields_set:
            return ctx.config.context_length, "--context-length"
        model_max = tokenizer_max_length(ctx.config.tokenizer)
        if model_max is not None:
            return model_max, "the tokenizer's model_max_length"
        setting = profile.sequence_length
        if setting.default:
            return setting.default, f"{setting.setting} default; set --context-length to yours"
        return None, f"{setting.setting} has no default; pass --context-length"
    return None, "none documented"


#: A tokenizer_config.json's "no limit" placeholder (transformers' VERY_LARGE_INTEGER).
_UNBOUNDED = 10**12


def tokenizer_max_length(path: str | None) -> int | None:
    """`model_max_length` from the tokenizer_config.json beside a `--tokenizer` file (or in
    its folder): the length a trainer truncates to by default; None when not recorded."""
    if path is None:
        return None
    import json
    from pathlib import Path

    given = Path(path).expanduser()
    folder = given if given.is_dir() else given.parent
    config = folder / "tokenizer_config.json"
    try:
        value = json.loads(config.read_text(encoding="utf-8")).get("model_max_length")
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(value, int | float) and 0 < value < _UNBOUNDED:
        return int(value)
    return None
