"""FT301, FT303, FT304: exact duplicates, conflicting answers, repeated preference pairs.

All three compare the normalized views of auditor.comparison (NFKC, lower case, whitespace
collapsed; a template system prompt, one that two or more rows carry, left out), grouped
by a stable hash with string equality confirmed inside each hash group, among rows of the
same template (auditor.dedup.exact_groups).
"""

from __future__ import annotations

import polars as pl
from pydantic import Field

from auditor.check import (
    Check,
    CheckOptions,
    CheckResult,
    Finding,
    Metric,
    RateOptions,
    Severity,
    Status,
    status_from_rate,
)
from auditor.comparison import DUPLICATE_KEY
from auditor.context import AuditContext
from auditor.dedup import duplicate_rows, exact_groups
from checks.common import clip

#: Near-duplicate thresholds of issue 3 (FT302), reused so exact and near duplicates are
#: judged alike: up to 2% duplicated rows is normal scraping residue, more than 10% means
#: the model sees a slice of the data several times per epoch (over-weighting, memorizing).
DUPLICATE_WARN_ABOVE = 0.02
DUPLICATE_FAIL_ABOVE = 0.10


class DuplicateOptions(RateOptions):
    """Thresholds on the duplicated-row rate, (rows − distinct) / rows."""

    warn_above: float = Field(DUPLICATE_WARN_ABOVE, ge=0.0, le=1.0)
    fail_above: float = Field(DUPLICATE_FAIL_ABOVE, ge=0.0, le=1.0)


def group_findings(
    code: str,
    table: pl.DataFrame,
    groups: pl.DataFrame,
    message: str,
    hint: str,
    excerpt_column: str,
    severity: Severity,
) -> list[Finding]:
    """One finding per group, largest first: the first row's line, the copies as related.

    Only the groups' first rows are gathered: a million rows' texts as Python strings
    would be gigabytes."""
    lines = table["line"].to_numpy()
    findings = []
    largest_first = groups.sort(["size", "first"], descending=[True, False])
    firsts = largest_first["rows"].list.first()
    heads = table.select("file", excerpt_column).gather(firsts)
    for (rows, size), (file, text) in zip(
        largest_first.select("rows", "size").iter_rows(), heads.iter_rows(), strict=True
    ):
        findings.append(
            Finding(
                code=code,
                severity=severity,
                message=message.format(size=size, copies=size - 1),
                file=file,
                line=int(lines[rows[0]]),
                related_lines=lines[rows[1:]].tolist(),
                excerpt=clip(text),
                hint=hint,
            )
        )
    return findings


def rate(duplicates: int, rows: int) -> float:
    return round(duplicates / rows, 6) if rows else 0.0


def example_groups(ctx: AuditContext) -> pl.DataFrame:
    """Exact-duplicate groups of whole examples, computed once per audit."""
    if "exact_example_groups" not in ctx.artifacts:
        ctx.artifacts["exact_example_groups"] = exact_groups(ctx.comparison, DUPLICATE_KEY)
    groups: pl.DataFrame = ctx.artifacts["exact_example_groups"]
    return groups


class ExactDuplicates(Check):
    """Rows that are exact copies of each other once normalized.

    What it checks: rows whose whole example (the prompt view plus the answer) is the same
    text after NFKC, lower-casing and whitespace collapsing, under the same system prompt.
    A system prompt two or more rows carry is a template and is left out of the text, so
    templated data is compared by its content. Each group of copies
    is one finding (the first row's line, the copies as related lines). Prompt-side and
    response-side duplicate rates are reported as metrics. Preference pairs are compared
    with their rejected answer too (FT304 reports those); KTO rows with their label.
    Why it matters: a repeated row is trained on several times per epoch — it over-weights
    that example, invites memorization, wastes budget, and inflates the row count that the
    size checks judge (the unique count is shared with them).
    Example: the same support ticket and answer exported twice, once as
    "Where is my order?" and once as "where is my  order?".
    Options: `warn_above` (default 0.02) and `fail_above` (default 0.10) on the duplicate
    rate (rows − distinct) / rows. They mirror the near-duplicate (FT302) thresholds of
    issue 3, so exact and near copies are judged on one scale.
    """

    code = "FT301"
    name = "exact-duplicates"
    family = "duplicates"

    class Options(DuplicateOptions):
        pass

    def unique_examples(self, ctx: AuditContext) -> int:
        return ctx.train.height - duplicate_rows(example_groups(ctx))

    def run(self, ctx: AuditContext) -> CheckResult:
        assert isinstance(self.options, DuplicateOptions)
        frame = ctx.train
        if frame.is_empty():
            return self.result(Status.PASS, 1.0, "not applicable: no rows")
        table = ctx.comparison
        groups = example_groups(ctx)
        duplicates = duplicate_rows(groups)
        rows = frame.height
        share = duplicates / rows
        status = status_from_rate(share, self.options.warn_above, self.options.fail_above)
        side = {
            "prompt": duplicate_rows(exact_groups(table, "prompt")),
            # The same answer under another template still repeats that answer.
            "response": duplicate_rows(exact_groups(table, "response", within=())),
        }
        findings = group_findings(
            self.code,
            table,
            groups,
            "{size:,} identical rows: this one and {copies:,} more",
            "keep one copy (`ftaudit dedup data.jsonl -o clean.jsonl`)",
            "example",
            Severity.WARNING if status is not Status.FAIL else Severity.ERROR,
        )
        largest = int(groups["size"].max() or 0) if groups.height else 0  # type: ignore[arg-type]
        summary = (
            f"{duplicates:,} of {rows:,} rows ({share:.1%}) duplicate another row "
            f"({groups.height:,} group(s), largest {largest})"
            if duplicates
            else f"no exact duplicates ({rows:,} rows)"
        )
        metrics = [
            Metric(
                name="exact_duplicate_rate",
                value=rate(duplicates, rows),
                warn_at=self.options.warn_above,
                fail_at=self.options.fail_above,
            ),
            Metric(name="duplicate_rows", value=duplicates),
            Metric(name="unique_rows", value=rows - duplicates),
            Metric(name="duplicate_groups", value=groups.height),
            Metric(name="largest_group", value=largest),
            Metric(
                name="prompt_duplicate_rate",
                value=rate(side["prompt"], rows),
                note="rows whose prompt repeats another row's (answers may differ)",
            ),
            Metric(
                name="response_duplicate_rate",
                value=rate(side["response"], rows),
                note="rows whose answer repeats another row's (prompts may differ)",
            ),
        ]
        return self.result(status, 1.0 - share, summary, metrics, findings)


class ConflictingAnswers(Check):
    """The same prompt with materially different answers.

    What it checks: rows whose normalized prompt view (non-empty) is identical while their
    answers differ materially: for short, label-like answers (both at most
    `short_answer_words` words) any difference in their words; otherwise a word-set
    Jaccard similarity below `similarity` against the group's most common answer. Each
    group is one finding with all its lines and its distinct answers. Preference and KTO
    rows are skipped (their answers differ by design).
    Why it matters: conflicting supervision teaches the model that either answer is right
    — a classifier learns noise, an assistant learns to be inconsistent. It is usually a
    labelling disagreement or a stale answer left beside a corrected one.
    Example: "Ticket: I was charged twice" labelled `billing` on line 4 and `technical` on
    line 19.
    Options: `similarity` (default 0.8, the Jaccard cut-off the MinHash near-duplicate
    default uses: answers at least that similar are paraphrases, not conflicts);
    `short_answer_words` (default 3: a label or a short fact); `fail_above` (default 0.05
    of applicable rows — one row in twenty is a labelling process problem, not a stray
    row, as for the other quality checks). Any conflicting group warns.
    """

    code = "FT303"
    name = "conflicting-answers"
    family = "duplicates"

    class Options(CheckOptions):
        """When two answers to one prompt conflict, and how many conflicting rows fail."""

        similarity: float = Field(0.8, gt=0.0, le=1.0)
        short_answer_words: int = Field(3, ge=0)
        fail_above: float = Field(0.05, ge=0.0, le=1.0)

    def run(self, ctx: AuditContext) -> CheckResult:
        assert isinstance(self.options, self.Options)
        options = self.options
        table = ctx.comparison.filter(
            ~pl.col("preference")
            & ~pl.col("kto")
            & (pl.col("prompt") != "")
            & (pl.col("response") != "")
        )
        table = table.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"))
        applicable = table.height
        conflicts = conflicting_groups(table, options.similarity, options.short_answer_words)
        affected = int(conflicts["size"].sum()) if conflicts.height else 0
        share = affected / applicable if applicable else 0.0
        status = status_from_rate(share, 0.0, options.fail_above)
        findings = self.findings(table, conflicts, status)
        metrics = [
            Metric(name="conflicting_groups", value=conflicts.height),
            Metric(name="affected_rows", value=affected),
            Metric(
                name="affected_share",
                value=round(share, 6),
                warn_at=0.0,
                fail_at=options.fail_above,
            ),
            Metric(name="applicable_rows", value=applicable),
        ]
        if not applicable:
            summary = "not applicable: no rows with both a prompt and an answer to compare"
        elif conflicts.height:
            summary = (
                f"{conflicts.height:,} prompt(s) with conflicting answers "
                f"({affected:,} of {applicable:,} rows, {share:.1%})"
            )
        else:
            summary = f"no prompt has conflicting answers ({applicable:,} rows)"
        return self.result(status, 1.0 - share, summary, metrics, findings)

    def findings(
        self, table: pl.DataFrame, conflicts: pl.DataFrame, status: Status
    ) -> list[Finding]:
        lines = table["line"].to_numpy()
        heads = table.select("file", "prompt").gather(conflicts["rows"].list.first())
        severity = Severity.ERROR if status is Status.FAIL else Severity.WARNING
        found = []
        for (rows, answers, counts), (file, prompt) in zip(
            conflicts.select("rows", "answers", "counts").iter_rows(),
            heads.iter_rows(),
            strict=True,
        ):
            shown = " | ".join(
                f"{clip(answer, 40)!r}×{n}" for answer, n in zip(answers[:4], counts, strict=False)
            )
            more = f" | +{len(answers) - 4} more" if len(answers) > 4 else ""
            found.append(
                Finding(
                    code=self.code,
                    severity=severity,
                    message=f"the same prompt has {len(answers)} different answers "
                    f"across {len(rows)} rows: {shown}{more}",
                    file=file,
                    line=int(lines[rows[0]]),
                    related_lines=lines[rows[1:]].tolist(),
                    excerpt=clip(prompt),
                    hint="decide which answer is right and fix or drop the others",
                )
            )
        return found


NO_CONFLICTS = pl.DataFrame(
    schema={
        "rows": pl.List(pl.UInt32),
        "size": pl.UInt32,
        "answers": pl.List(pl.String),
        "counts": pl.List(pl.UInt32),
    }
)


def word_sets(column: str) -> pl.Expr:
    return pl.col(column).str.extract_all(r"\w+").list.unique()


def conflicting_groups(table: pl.DataFrame, similarity: float, short_words: int) -> pl.DataFrame:
    """Prompt groups whose answers materially disagree with the group's most common one.

    One row per group: rows (table positions, ascending), size, answers (distinct, most
    common first), counts. Vectorized: each row is compared with its group's majority.
    """
    prompt_groups = exact_groups(table, "prompt")
    if prompt_groups.is_empty():
        return NO_CONFLICTS
    members = (
        prompt_groups.with_row_index("group")
        .select("group", "rows")
        .explode("rows")
        .rename({"rows": "row"})
        .join(table.select("row", "response"), on="row")
    )
    answers = (
        members.group_by("group", "response")
        .agg(pl.len().alias("count"), pl.col("row").min().alias("first"))
        .sort("group", "count", "first", descending=[False, True, False])
    )
    majority = (
        answers.group_by("group", maintain_order=True)
        .first()
        .select("group", pl.col("response").alias("majority"))
    )
    compared = (
        answers.join(majority, on="group")
        .with_columns(word_sets("response").alias("a"), word_sets("majority").alias("b"))
        .with_columns(
            (
                pl.col("a").list.set_intersection("b").list.len()
                / pl.col("a").list.set_union("b").list.len().clip(lower_bound=1)
            ).alias("jaccard"),
            (
                (pl.col("a").list.len() <= short_words) & (pl.col("b").list.len() <= short_words)
            ).alias("short"),
        )
        .with_columns(
            pl.when(pl.col("short"))
            .then(pl.col("jaccard") < 1.0)
            .otherwise(pl.col("jaccard") < similarity)
            .alias("conflict")
        )
    )
    conflicted = compared.group_by("group").agg(pl.col("conflict").any()).filter(pl.col("conflict"))
    if conflicted.is_empty():
        return NO_CONFLICTS
    listed = (
        answers.join(conflicted.select("group"), on="group")
        .group_by("group", maintain_order=True)
        .agg(pl.col("response").alias("answers"), pl.col("count").alias("counts"))
    )
    return (
        prompt_groups.with_row_index("group")
        .join(listed, on="group")
        .sort("first")
        .select("rows", "size", "answers", "counts")
    )


class DuplicatePreferencePairs(Check):
    """The same preference pair repeated.

    What it checks: preference rows (a chosen and a rejected answer) whose normalized
    prompt, chosen and rejected texts are all identical to another row's. The same prompt
    and chosen answer with a different rejected one is a different pair and is fine.
    Why it matters: DPO-style training pushes the chosen answer up and the rejected one
    down once per occurrence; a repeated pair over-weights one comparison and, at scale,
    means a generation or merge step ran twice.
    Example: a pair exported by two labelling batches, lines 7 and 41.
    Options: `warn_above` (default 0.02) and `fail_above` (default 0.10) on the rate of
    repeated pairs, (pairs − distinct) / pairs — the duplicate thresholds of FT301, which
    mirror issue 3's near-duplicate ones.
    """

    code = "FT304"
    name = "duplicate-preference-pairs"
    family = "duplicates"

    class Options(DuplicateOptions):
        pass

    def run(self, ctx: AuditContext) -> CheckResult:
        assert isinstance(self.options, DuplicateOptions)
        table = ctx.comparison.filter(pl.col("preference"))
        table = table.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"))
        pairs = table.height
        if not pairs:
            return self.result(
                Status.PASS,
                1.0,
                "not applicable: no preference rows (chosen/rejected pairs)",
                [Metric(name="preference_rows", value=0)],
            )
        groups = exact_groups(table, DUPLICATE_KEY)
        duplicates = duplicate_rows(groups)
        share = duplicates / pairs
        status = status_from_rate(share, self.options.warn_above, self.options.fail_above)
        findings = group_findings(
            self.code,
            table,
            groups,
            "the same preference pair appears {size:,} times",
            "keep one copy of the pair (`ftaudit dedup data.jsonl -o clean.jsonl`)",
            "example",
            Severity.ERROR if status is Status.FAIL else Severity.WARNING,
        )
        summary = (
            f"{duplicates:,} of {pairs:,} preference rows ({share:.1%}) repeat another pair"
            if duplicates
            else f"no repeated preference pairs ({pairs:,} pairs)"
        )
        metrics = [
            Metric(
                name="duplicate_pair_rate",
                value=rate(duplicates, pairs),
                warn_at=self.options.warn_above,
                fail_at=self.options.fail_above,
            ),
            Metric(name="duplicate_pairs", value=duplicates),
            Metric(name="duplicate_groups", value=groups.height),
            Metric(name="preference_rows", value=pairs),
        ]
        return self.result(status, 1.0 - share, summary, metrics, findings)
