"""FT501–FT506: held-out leakage between the training set and its eval sets.

Each eval file is judged on its own: a check's status is the worst over the eval files,
and its metrics name each file. An eval row counts once per method, however many train
rows it matches. The matching itself lives in auditor.leakage; these classes turn it
into findings that name both sides — the eval file and line, the train file and lines.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
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
from auditor.context import AuditContext
from auditor.heldout import near_params
from auditor.leakage import LeakFilter, content_words, exact_matches, near_matches
from auditor.minhash import MinHashParams
from auditor.ngrams import NgramParams, span_text
from auditor.semantic import Embeddings
from checks.common import clip
from checks.diversity import NARROW_PARAPHRASE, PARAPHRASE
from checks.embedded import NARROW_TASKS, EmbeddingCheck, row_location

MATCH_COLUMNS = ("eval_row", "train_row", "side", "similarity")
SIDE_NAMES = {"prompt": "prompt", "response": "answer", "example": "row"}
NO_EVAL = "no held-out eval set (see FT501)"


class LeakOptions(RateOptions):
    """Any leaked eval row warns; more than 1% of an eval file's rows fails."""

    warn_above: float = Field(0.0, ge=0.0, le=1.0, description="warn above this share")
    fail_above: float = Field(0.01, ge=0.0, le=1.0, description="fail above this share")
    min_words: int = Field(3, ge=1, description="shorter texts are never leaks")
    generic_at: int = Field(
        3, ge=2, description="a text this many different train counterparts share is generic"
    )

    def leak_filter(self) -> LeakFilter:
        return LeakFilter(min_words=self.min_words, generic_at=self.generic_at)


class LeakCheck(Check):
    """Base: matches (eval_row, train_row, side, similarity[, kind]) → per-file verdicts."""

    family = "leakage"
    #: What a match is called in messages ("an exact copy", "a near-copy", …).
    what = "a copy"
    category = "leak"
    #: The sides a match can be on, for the per-side metrics.
    sides: tuple[str, ...] = ("prompt", "response")
    #: What the summary calls eval rows with only warn-only matches.
    soft_what = "share only template wording"

    class Options(LeakOptions):
        pass

    @property
    def thresholds(self) -> LeakOptions:
        assert isinstance(self.options, LeakOptions)
        return self.options

    def matches(self, ctx: AuditContext) -> pl.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, ctx: AuditContext) -> CheckResult:
        if not ctx.eval_files:
            return self.skipped(NO_EVAL)
        if ctx.train.is_empty():
            return self.skipped("no training rows")
        matches = self.matches(ctx)
        return self.judge(ctx, matches, extra_metrics=self.side_metrics(matches))

    def side_metrics(self, matches: pl.DataFrame) -> list[Metric]:
        counts = matches.group_by("side").agg(pl.col("eval_row").n_unique())
        found = dict(counts.iter_rows())
        return [
            Metric(name=f"{side}_leaked_rows", value=int(found.get(side, 0)), note="all files")
            for side in self.sides
        ]

    def judge(
        self,
        ctx: AuditContext,
        leaks: pl.DataFrame,
        extra_metrics: Iterable[Metric] = (),
        warn_only: pl.DataFrame | None = None,
    ) -> CheckResult:
        """Per eval file: leaked share → status; the worst file decides.

        `warn_only` holds matches that warn but never fail (FT504's template overlaps).
        """
        evals = ctx.eval_comparison
        options = self.thresholds
        metrics: list[Metric] = []
        statuses = [Status.PASS]
        worst = 0.0
        parts = []
        leaked_files = evals.select("file").with_row_index("eval_row")
        leaked_rows = leaks.select("eval_row").unique().join(leaked_files, on="eval_row")
        per_file = dict(leaked_rows.group_by("file").len().iter_rows())
        # Rows with template wording only: a row that also leaked counts as leaked.
        soft_rows = (
            warn_only.select("eval_row")
            .unique()
            .join(leaks.select("eval_row").unique(), on="eval_row", how="anti")
            .join(leaked_files, on="eval_row")
            if warn_only is not None
            else None
        )
        soft_file = (
            dict(soft_rows.group_by("file").len().iter_rows()) if soft_rows is not None else {}
        )
        for info in (f for f in ctx.dataset.files if f.split == "eval"):
            rows = info.rows
            leaked = int(per_file.get(info.path, 0))
            share = leaked / rows if rows else 0.0
            worst = max(worst, share)
            status = status_from_rate(share, options.warn_above, options.fail_above)
            if status is Status.PASS and soft_file.get(info.path):
                status = Status.WARN
            statuses.append(status)
            metrics.append(
                Metric(
                    name=f"leaked_share[{info.path}]",
                    value=round(share, 6),
                    warn_at=options.warn_above,
                    fail_at=options.fail_above,
                    note=f"{leaked:,} of {rows:,} eval rows",
                )
            )
            if leaked:
                parts.append(f"{info.path}: {leaked:,} of {rows:,} ({share:.1%})")
        status = max(statuses, key=_rank)
        total_rows = sum(f.rows for f in ctx.dataset.files if f.split == "eval")
        leaked_total = leaked_rows.height
        metrics.insert(
            0,
            Metric(
                name="leaked_share",
                value=round(leaked_total / total_rows, 6) if total_rows else 0.0,
                note="all eval files together; each file is judged on its own",
            ),
        )
        metrics.extend(extra_metrics)
        severity = Severity.ERROR if status is Status.FAIL else Severity.WARNING
        findings = self.findings(ctx, leaks, severity)
        if warn_only is not None:
            findings += self.findings(ctx, warn_only, Severity.WARNING)
        if parts:
            summary = f"eval rows that are {self.what} of train rows — " + "; ".join(parts)
        else:
            summary = f"no eval row is {self.what} of a train row"
        if soft_rows is not None and soft_rows.height:
            summary += f"; {soft_rows.height:,} eval row(s) {self.soft_what}"
        # Half the score is gone at the fail threshold, all of it at twice that; template
        # wording alone costs a little, as a warning should.
        score = 1.0 - min(1.0, worst / max(options.fail_above, 1e-9) / 2)
        if status is Status.WARN and worst == 0.0:
            score = min(score, 0.9)
        return self.result(status, score, summary, metrics, findings)

    def findings(self, ctx: AuditContext, leaks: pl.DataFrame, severity: Severity) -> list[Finding]:
        """One finding per eval row and train file: eval file:line, then the train lines."""
        if leaks.is_empty():
            return []
        evals, train = ctx.eval_comparison, ctx.comparison
        extras = [c for c in leaks.columns if c not in MATCH_COLUMNS]
        grouped = (
            leaks.join(train.select(pl.col("row").alias("train_row"), "file"), on="train_row")
            .rename({"file": "train_file"})
            .sort("eval_row", "train_row")
            .group_by("eval_row", "train_file", maintain_order=True)
            .agg(
                pl.col("side").unique(maintain_order=True),
                pl.col("train_row"),
                pl.col("similarity").max(),
                *(pl.col(c).first() for c in extras),
            )
        )
        eval_files = evals.get_column("file").to_list()
        eval_lines = evals.get_column("line").to_list()
        train_lines = train.get_column("line").to_list()
        out = []
        for record in grouped.iter_rows(named=True):
            row = record["eval_row"]
            sides = [s for s in record["side"] if s is not None]
            train_rows = sorted(set(record["train_row"]))
            lines = [train_lines[r] for r in train_rows]
            first = train_rows[0]
            side = sides[0]
            out.append(
                Finding(
                    code=self.code,
                    severity=severity,
                    message=self.message(record, sides, lines),
                    file=eval_files[row],
                    line=eval_lines[row],
                    path=", ".join(sides),
                    related_lines=lines,
                    related_file=record["train_file"],
                    excerpt=self.excerpt(ctx, record, side),
                    related_excerpt=clip(str(train[_view(side)][first]), 120),
                    category=record.get("kind") or self.category,
                    hint=self.hint,
                )
            )
        return out

    hint = "drop these rows from train (`ftaudit decontaminate`) or from the eval set"

    def message(self, record: dict[str, object], sides: list[str], lines: list[int]) -> str:
        named = subject(sides)
        shown = ", ".join(str(n) for n in lines[:5])
        more = f" and {len(lines) - 5:,} more" if len(lines) > 5 else ""
        return f"{named} is {self.what} of train line(s) {shown}{more} ({record['train_file']})"

    def excerpt(self, ctx: AuditContext, record: dict[str, object], side: str) -> str | None:
        row = record["eval_row"]
        assert isinstance(row, int)
        return clip(str(ctx.eval_comparison[_view(side)][row]), 120)


def subject(sides: list[str]) -> str:
    """What of the eval row leaked: "eval row" when the whole example did, else its sides."""
    if "example" in sides:
        return "eval row"
    return "eval " + " and ".join(SIDE_NAMES[s] for s in sides)


def _view(side: str) -> str:
    return side if side in ("prompt", "response", "example") else "example"


def _rank(status: Status) -> int:
    return [Status.PASS, Status.WARN, Status.FAIL].index(status)


class NoHeldOutSet(Check):
    """No held-out eval set was given or found.

    What it checks: that the audit has at least one eval file — given with `--eval`, or
    found beside the training file (`train.jsonl` next to `valid*.jsonl`, `val.jsonl`,
    `dev.jsonl`, `test.jsonl` or `eval.jsonl`; `--no-discover` turns that off).
    Why it matters: without a clean held-out set a team cannot tell a fine-tune that
    learned the behaviour from one that memorized its examples; training loss alone
    always goes down. The leakage checks (FT502–FT506) need one to run at all.
    Example: `ftaudit train.jsonl` with no `--eval` and no sibling split file.
    Options: none. Split one off with `ftaudit split train.jsonl --eval-fraction 0.1 -o
    DIR`: it keeps duplicate groups on one side, so the split starts out clean.
    """

    code = "FT501"
    name = "no-held-out-set"
    family = "leakage"

    def run(self, ctx: AuditContext) -> CheckResult:
        files = [f for f in ctx.dataset.files if f.split == "eval"]
        if files:
            rows = sum(f.rows for f in files)
            return self.result(
                Status.PASS,
                1.0,
                f"{len(files)} eval file(s), {rows:,} rows",
                [Metric(name="eval_files", value=len(files)), Metric(name="eval_rows", value=rows)],
            )
        train = next((f.path for f in ctx.dataset.files if f.split == "train"), None)
        return self.result(
            Status.WARN,
            0.5,
            "no held-out eval set: improvement cannot be told from memorization",
            [Metric(name="eval_files", value=0, warn_at=0)],
            [
                Finding(
                    code=self.code,
                    severity=Severity.WARNING,
                    message="no eval file given or found beside the training file; without "
                    "a held-out set, a lower training loss cannot show the model learned "
                    "rather than memorized",
                    file=train,
                    hint="pass --eval eval.jsonl, or split one off: "
                    "`ftaudit split data.jsonl --eval-fraction 0.1 -o DIR`",
                )
            ],
        )


class ExactOverlap(LeakCheck):
    """Eval prompts or answers that are exact copies of a train prompt or answer.

    What it checks: each eval row's prompt and answer, normalized (NFKC, lower case,
    whitespace collapsed; a template system prompt — one that two or more train rows, or
    two or more eval rows, carry — left out), against every train row's prompt and
    answer; reported per side. A prompt-only eval row (a benchmark question with no
    answer) is checked on its prompt. Not leaks: texts of fewer than `min_words` words,
    and generic texts — an answer that, with its near-copies (FT302's clusters of the
    answer view), `generic_at` (3) or more different train prompts share (a label like
    "positive", an answer template that differs only in an order number), or a prompt
    that many different answers share (a stock instruction). Each eval row counts once
    per file.
    Why it matters: an eval row the model was trained on measures memory, not skill;
    even a few inflate the score a team will act on.
    Example: eval line 7 "What is the refund window for annual plans?" equals train line
    311's prompt. Run `ftaudit decontaminate` to drop such train rows.
    Options: `warn_above` (0.0: any leak warns) and `fail_above` (0.01: more than 1% of
    an eval file's rows fails) — any leak is worth a look, and at 1% a benchmark's score
    moves by a point from memory alone; `min_words` (3); `generic_at` (3).
    """

    code = "FT502"
    name = "exact-overlap"
    what = "an exact copy"
    category = "exact"
    sides = ("prompt", "response", "example")

    def matches(self, ctx: AuditContext) -> pl.DataFrame:
        leak, params = self.thresholds.leak_filter(), near_duplicate_params(ctx)
        generic = {
            side: ctx.generic_rows(side, params, leak.generic_at, near=False)
            for side in ("prompt", "response")
        }
        return exact_matches(ctx.comparison, ctx.eval_comparison, leak, generic)


def near_duplicate_params(ctx: AuditContext) -> MinHashParams:
    """FT302's configured MinHash settings (the same signatures serve both checks)."""
    return near_params(ctx.config)


class NearDuplicateOverlap(LeakCheck):
    """Eval rows that are near-copies of train rows (MinHash, as FT302 measures).

    What it checks: every eval row's whole example, prompt and answer is queried against
    one LSH index of the train rows, built from the same signatures FT302 uses (same
    view, same settings: word 2-grams, 128 permutations, estimated Jaccard ≥ 0.6 unless
    FT302 is configured otherwise); a candidate counts when its estimated Jaccard
    reaches the threshold. One index and many queries: the train side is signed and
    indexed once per audit, whatever the number of eval files. A prompt-only eval row is
    checked on its prompt. Texts under `min_words` words and generic texts (see FT502;
    here judged with FT302's near-duplicate clusters) are not leaks. A match with a train
    row whose cluster holds `template_cluster` (10) or more distinct texts — one
    template filled with many contents, where a near-copy may be a coincidence of the
    template — warns for review (category `template`) and never fails. Exact copies
    match too (similarity 1.0).
    Why it matters: a lightly edited copy (a changed name, a reworded sentence) is as much
    a leak as an exact one; exact matching alone misses it.
    Example: eval "How do I reset my password on the app?" and train "how can I reset my
    password in the app" with the same answer.
    Options: `warn_above` (0.0), `fail_above` (0.01), `min_words` (3), `generic_at` (3),
    `template_cluster` (10); the MinHash settings are FT302's
    (`[tool.ftaudit.checks.FT302]`).
    """

    code = "FT503"
    name = "near-duplicate-overlap"
    what = "a near-copy"
    category = "near"
    soft_what = "match only a template filled many ways (review them)"
    sides = ("prompt", "response", "example")

    class Options(LeakOptions):
        template_cluster: int = Field(
            10, ge=2, description="a near-duplicate cluster of this many texts is a template"
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        if not ctx.eval_files:
            return self.skipped(NO_EVAL)
        if ctx.train.is_empty():
            return self.skipped("no training rows")
        assert isinstance(self.options, self.Options)
        params, at = near_duplicate_params(ctx), self.options.template_cluster
        matches = self.matches(ctx)
        templated = pl.concat(
            [
                pl.DataFrame(
                    {
                        "side": side,
                        "train_row": np.flatnonzero(ctx.template_rows(side, params, at)),
                    },
                    schema={"side": pl.String, "train_row": pl.UInt32},
                )
                for side in self.sides
            ]
        )
        template = matches.join(templated, on=["side", "train_row"], how="semi")
        leaks = matches.join(templated, on=["side", "train_row"], how="anti")
        return self.judge(
            ctx,
            leaks,
            self.side_metrics(leaks),
            warn_only=template.with_columns(kind=pl.lit("template")),
        )

    def matches(self, ctx: AuditContext) -> pl.DataFrame:
        params = near_duplicate_params(ctx)
        leak = self.thresholds.leak_filter()
        found = [
            near_matches(
                side,
                ctx.lsh_index(side, params),
                ctx.signatures(side, params, split="eval"),
                ctx.comparison,
                ctx.eval_comparison,
                leak,
                ctx.generic_rows(side, params, leak.generic_at, near=True),
            )
            for side in self.sides
        ]
        return pl.concat(found).sort("eval_row", "side", "train_row")

    def message(self, record: dict[str, object], sides: list[str], lines: list[int]) -> str:
        similarity = record["similarity"]
        assert isinstance(similarity, float)
        text = super().message(record, sides, lines) + f", estimated Jaccard {similarity:.2f}"
        if record.get("kind") == "template":
            text += "; those train rows are one template filled many ways, so review it"
        return text


class NgramOptions(LeakOptions):
    n: int = Field(13, ge=4, le=50, description="words per n-gram")
    min_n: int = Field(8, ge=4, le=50, description="shortest n-gram, for short eval texts")
    template_texts: int = Field(
        5, ge=2, description="an n-gram this many texts share is template wording"
    )

    def params(self) -> NgramParams:
        return NgramParams(
            n=self.n, min_n=min(self.min_n, self.n), template_texts=self.template_texts
        )


class NgramContamination(LeakCheck):
    """Eval rows sharing a long word n-gram with a train row (GPT-3 / lm-eval style).

    What it checks: the word 13-grams of each eval prompt and answer (lower case,
    punctuation dropped) against the 13-grams of every whole train example; an eval text
    of 8–12 words uses all its words as one n-gram, shorter ones are left to FT502. One
    streaming pass over the distinct train texts against a hash set of the eval n-grams
    (64-bit, so a chance collision is negligible; auditor/ngrams.py). The finding reports
    the longest shared span, in words, and the train lines that contain it. Template
    wording is told apart: a word is boilerplate when an 8-word window around it recurs
    in `template_texts` (5) or more distinct train texts or eval texts, and a shared
    n-gram whose words are mostly boilerplate — a templated question's fixed part, a
    tool-call frame — is a **template overlap**: it warns, it never fails. A shared
    n-gram with at least half its words of its own is a **verbatim** copy: those count
    toward the leak share.
    Why it matters: a benchmark question pasted into a longer training text is invisible
    to exact and near-duplicate matching but still teaches the answer; this is the test
    GPT-3 and lm-evaluation-harness use for contamination.
    Example: a 40-word eval word problem that appears inside a 300-word train answer.
    Options: `n` (13, as GPT-3's decontamination), `min_n` (8), `template_texts` (5),
    `warn_above` (0.0), `fail_above` (0.01). Findings' category is `verbatim` or
    `template`.
    """

    code = "FT504"
    name = "ngram-contamination"
    what = "a verbatim copy"
    category = "verbatim"

    class Options(NgramOptions):
        pass

    def run(self, ctx: AuditContext) -> CheckResult:
        if not ctx.eval_files:
            return self.skipped(NO_EVAL)
        if ctx.train.is_empty():
            return self.skipped("no training rows")
        assert isinstance(self.options, NgramOptions)
        params = self.options.params()
        hits = ctx.ngram_hits(params)
        spans = hits.rows.select("eval_row", "side", "span", "start")
        pairs = hits.pairs.join(spans, on=["eval_row", "side"]).with_columns(
            pl.col("span").cast(pl.Float64).alias("similarity")
        )
        verbatim = pairs.filter(pl.col("kind") == "verbatim")
        template = pairs.filter(pl.col("kind") == "template")
        rows = hits.rows
        verbatim_spans = rows.filter(pl.col("kind") == "verbatim").get_column("span")
        longest = int(verbatim_spans.max() or 0) if verbatim_spans.len() else 0  # type: ignore[arg-type]
        metrics = [
            Metric(
                name="template_overlap_rows",
                value=rows.filter(pl.col("kind") == "template")["eval_row"].n_unique(),
                note="warns, never fails",
            ),
            Metric(name="longest_verbatim_span", value=longest, unit="words"),
            Metric(name="ngram", value=f"{params.n} words (down to {params.min_n})"),
        ]
        return self.judge(ctx, verbatim, metrics, warn_only=template)

    def message(self, record: dict[str, object], sides: list[str], lines: list[int]) -> str:
        span = int(float(str(record["similarity"])))
        named = subject(sides)
        shown = ", ".join(str(n) for n in lines[:5])
        more = f" and {len(lines) - 5:,} more" if len(lines) > 5 else ""
        if record.get("kind") == "template":
            return (
                f"{named} shares only template wording ({span} words) with train "
                f"line(s) {shown}{more} ({record['train_file']}); not counted as a leak"
            )
        return (
            f"{named} shares {span} consecutive words with train line(s) "
            f"{shown}{more} ({record['train_file']})"
        )

    def excerpt(self, ctx: AuditContext, record: dict[str, object], side: str) -> str | None:
        """The shared span itself (of the first side listed)."""
        row, start, span = record["eval_row"], record["start"], record["span"]
        assert isinstance(row, int) and isinstance(start, int) and isinstance(span, int)
        return clip(span_text(str(ctx.eval_comparison[side][row]), start, span), 160)


class ParaphraseLeakage(EmbeddingCheck):
    """Eval rows that ask what a train row asks, in other words (review candidates).

    What it checks: each embedded eval prompt's nearest embedded train prompt, and, when
    both splits have answers, each eval answer's nearest train answer (sentence embeddings,
    see FT401). A pair whose cosine reaches the threshold (FT403's: 0.75, or 0.92 for
    tasks narrow by design, whose eval rows are meant to look like train) is a candidate,
    shown with both texts side by side; copies FT502 reports (the same normalized text) are
    left to it. When the train side is a sample, a paraphrase of an unsampled row is not
    seen: the train coverage metric says how much was searched (`--embed-all` searches
    every row).
    Why it matters: a reworded eval question measures recall of the training set, not
    skill, and no word-overlap check (FT502–FT504) can see it.
    Why it never fails: embeddings alone are not proof; two honest questions on one
    subject can be close. It warns, so a person reads the pairs.
    Example: train "How do I keep my sourdough from coming out flat?" and eval "My
    homemade sourdough loaf never rises properly, what can I change?".
    Calibration (tests/fixtures/FT505, MiniLM): 45 reworded eval questions measure cosine
    0.68–0.92 (median 0.80) to their train originals, each original being the nearest
    train prompt, and their reworded answers 0.32–0.85; 40 fresh questions on other
    subjects reach at most 0.47 to any train prompt. 0.75 sits above the nearest pairs of
    distinct human-written tasks (99th percentile 0.72) and catches 39 of the 45 (38 by
    the prompt, one more by the answer).
    For tasks narrow by design only prompts are compared, at 0.92: their answers share
    one shape (the support-extraction sample's JSON answers reach 0.82 to a train
    answer with no leak at all), and their held-out rows are the same kind of text as
    train's (its train tickets reach 0.91 to one another; see FT403).
    Options: `threshold` (task default), `warn_above` (0.0: any candidate warns).
    """

    code = "FT505"
    name = "paraphrase-leakage"
    family = "leakage"

    class Options(CheckOptions):
        threshold: float | None = Field(None, gt=0.0, le=1.0)
        warn_above: float = Field(0.0, ge=0.0, le=1.0, description="warn above this share")

    def run(self, ctx: AuditContext) -> CheckResult:
        if not ctx.eval_files:
            return self.skipped(NO_EVAL)
        return super().run(ctx)

    def measure(self, ctx: AuditContext, embedded: Embeddings) -> CheckResult:
        assert isinstance(self.options, self.Options)
        threshold = self.options.threshold
        if threshold is None:
            threshold = NARROW_PARAPHRASE if ctx.task.task in NARROW_TASKS else PARAPHRASE
        candidates: dict[int, list[tuple[str, int, float]]] = {}
        closest: list[Metric] = []
        # A narrow task's answers share one shape (a label, one JSON schema): alike by
        # design, so its prompts alone say two rows are the same question; rows without
        # a prompt (plain text) are compared on their text.
        narrow = ctx.task.task in NARROW_TASKS
        compared = [
            side
            for side in ("prompt", "response")
            if embedded.eval.side(side).n and embedded.train.side(side).n
        ]
        if narrow and "prompt" in compared:
            compared = ["prompt"]
        for side in compared:
            queries, base = embedded.eval.side(side), embedded.train.side(side)
            nearest, similarity = ctx.semantic_neighbours(side, split="eval", k=2)
            # The nearest text that is not the eval text itself (a copy is FT502's).
            same = np.array(
                [q >= 0 and base.texts[q] == queries.texts[p] for p, q in enumerate(nearest[:, 0])]
            )
            pick = same.astype(np.int64)
            chosen = nearest[np.arange(queries.n), pick]
            cosine = similarity[np.arange(queries.n), pick]
            closest.append(
                Metric(
                    name=f"closest_cosine[{side}]",
                    value=round(float(cosine.max()), 4),
                    note="the highest eval-to-train cosine (copies left out)",
                )
            )
            for p in np.flatnonzero((cosine >= threshold) & (chosen >= 0)):
                candidates.setdefault(int(queries.rows[p]), []).append(
                    (side, int(base.rows[chosen[p]]), float(cosine[p]))
                )
        status, metrics, findings = Status.PASS, [], []
        searched = {int(r) for side in compared for r in embedded.eval.side(side).rows}
        files = ctx.eval_comparison["file"].gather(sorted(searched))
        rows_by_file = {str(name): int(n) for name, n in files.value_counts().iter_rows()}
        texts = {
            (split, side): dict(zip(v.rows.tolist(), v.texts, strict=True))
            for split in ("train", "eval")
            for side in ("prompt", "response")
            for v in [embedded.split(split).side(side)]
        }
        found_by_file: dict[str, int] = {}
        for eval_row, matches in sorted(candidates.items()):
            file, line = row_location(ctx, "eval", eval_row)
            found_by_file[file] = found_by_file.get(file, 0) + 1
            side, train_row, _ = max(matches, key=lambda m: m[2])
            train_file, train_line = row_location(ctx, "train", train_row)
            said = "; ".join(
                f"{SIDE_NAMES[s]} {c:.2f}"
                + ("" if r == train_row else f" to line {row_location(ctx, 'train', r)[1]}")
                for s, r, c in matches
            )
            findings.append(
                Finding(
                    code=self.code,
                    severity=Severity.WARNING,
                    message=f"the eval {SIDE_NAMES[side]} may be a paraphrase of train line "
                    f"{train_line} (cosine {said}): read both",
                    file=file,
                    line=line,
                    path=side,
                    related_lines=[train_line],
                    related_file=train_file,
                    excerpt=clip(texts["eval", side].get(eval_row), 160),
                    related_excerpt=clip(texts["train", side].get(train_row), 160),
                    category="paraphrase",
                    hint="if they are the same question, drop one of the two; "
                    "`ftaudit decontaminate` acts only on proven copies (FT502–FT504)",
                )
            )
        run = embedded.run
        coverage = run.train_sampled / run.train_rows if run.train_rows else 1.0
        for name in ctx.eval_files:
            count, n = found_by_file.get(name, 0), rows_by_file.get(name, 0)
            share = count / n if n else 0.0
            if share > self.options.warn_above:
                status = Status.WARN
            metrics.append(
                Metric(
                    name=f"paraphrase_share[{name}]",
                    value=round(share, 4),
                    warn_at=self.options.warn_above,
                    note=f"{count} of {n:,} embedded eval rows",
                )
            )
        metrics += closest
        metrics.append(
            Metric(
                name="train_coverage",
                value=round(coverage, 4),
                note=f"{run.train_sampled:,} of {run.train_rows:,} train rows searched",
            )
        )
        eval_coverage = run.eval_sampled / run.eval_rows if run.eval_rows else 1.0
        metrics.append(
            Metric(
                name="eval_coverage",
                value=round(eval_coverage, 4),
                note=f"{run.eval_sampled:,} of {run.eval_rows:,} eval rows embedded",
            )
        )
        if not compared:
            return self.result(
                Status.PASS, 1.0, "not applicable: no side has texts in both splits", metrics
            )
        summary = (
            f"{len(candidates):,} eval rows look like paraphrases of train rows: review them "
            "side by side (embeddings are not proof)"
            if candidates
            else f"no eval row is within cosine {threshold} of a train row"
        )
        if coverage < 1.0 or eval_coverage < 1.0:
            summary += (
                f"; searched {eval_coverage:.0%} of the eval rows against {coverage:.0%} "
                "of the train rows (a sample; --embed-all for all)"
            )
        score = 1.0 - min(1.0, len(candidates) / max(1, len(searched)))
        return self.result(status, score, summary, metrics, findings)


class EvalSetRepresentative(Check):
    """An eval set too small, in another format than train, or unlike train in length.

    What it checks, for each eval file on its own: fewer than `min_rows` (100) rows;
    answers in another format family than the training rows (chat vs. preference pairs
    vs. plain text; prompt-only benchmark rows fit any); a prompt-length distribution far
    from train's — the two-sample Kolmogorov–Smirnov distance between prompt lengths in
    words above `max_length_shift` (0.25) and above the 0.1% critical value for the two
    sizes, so a small random sample does not trip it.
    Why it matters: at 50 rows one answer moves an accuracy by two points, so a
    difference between two fine-tunes is noise; an eval set of other shapes or lengths
    measures something the training did not target.
    Example: 30 eval rows of one-line questions against a train set of long support
    threads.
    Options: `min_rows` (100; at 100 rows a 95% interval on an accuracy near 50% is
    still about ±10 points), `max_length_shift` (0.25).
    """

    code = "FT506"
    name = "eval-set-representative"
    family = "leakage"

    class Options(CheckOptions):
        min_rows: int = Field(100, ge=1)
        max_length_shift: float = Field(0.25, gt=0.0, le=1.0)

    def run(self, ctx: AuditContext) -> CheckResult:
        from auditor.formats import PROMPT_ONLY_FORMATS

        assert isinstance(self.options, self.Options)
        if not ctx.eval_files:
            return self.skipped(NO_EVAL)
        if ctx.train.is_empty():
            return self.skipped("no training rows")
        train_family = _family(ctx.train.get_column("format"))
        train_lengths = _prompt_words(ctx.comparison)
        evals = ctx.eval_comparison
        findings: list[Finding] = []
        metrics: list[Metric] = []
        for info in (f for f in ctx.dataset.files if f.split == "eval"):
            mine = (
                ctx.dataset.eval.filter(pl.col("file") == info.path)
                if ctx.dataset.eval is not None
                else None
            )
            rows = info.rows
            metrics.append(
                Metric(name=f"rows[{info.path}]", value=rows, warn_at=self.options.min_rows)
            )
            if rows < self.options.min_rows:
                findings.append(
                    self._finding(
                        info.path,
                        f"only {rows:,} eval rows: below {self.options.min_rows:,}, one row "
                        f"moves an accuracy by {100 / max(rows, 1):.1f} points",
                        "collect more held-out rows, or report a confidence interval",
                    )
                )
            if mine is None or mine.is_empty():
                continue
            answered = mine.filter(~pl.col("format").is_in(list(PROMPT_ONLY_FORMATS)))
            family = _family(answered.get_column("format")) if answered.height else None
            if family is not None and family != train_family:
                findings.append(
                    self._finding(
                        info.path,
                        f"eval rows are {family} data, the training rows {train_family}",
                        "evaluate on the kind of example the model is trained on",
                    )
                )
            lengths = _prompt_words(evals.filter(pl.col("file") == info.path))
            shift = _ks_distance(train_lengths, lengths)
            critical = 1.95 * np.sqrt(
                (len(train_lengths) + len(lengths)) / (len(train_lengths) * len(lengths))
            )
            limit = max(self.options.max_length_shift, float(critical))
            metrics.append(
                Metric(
                    name=f"prompt_length_shift[{info.path}]",
                    value=round(shift, 4),
                    warn_at=round(limit, 4),
                    note=f"KS distance; median prompt {np.median(lengths):.0f} words in eval vs "
                    f"{np.median(train_lengths):.0f} in train",
                )
            )
            if shift > limit:
                findings.append(
                    self._finding(
                        info.path,
                        f"prompt lengths unlike train's (KS distance {shift:.2f} > {limit:.2f}; "
                        f"median {np.median(lengths):.0f} vs {np.median(train_lengths):.0f} words)",
                        "draw the eval set from the same distribution as train (`ftaudit split`)",
                    )
                )
        status = Status.WARN if findings else Status.PASS
        summary = (
            "; ".join(f"{f.file}: {f.message}" for f in findings)
            if findings
            else "every eval set is large enough and shaped like train"
        )
        return self.result(status, 0.7 if findings else 1.0, summary, metrics, findings)

    def _finding(self, path: str, message: str, hint: str) -> Finding:
        return Finding(
            code=self.code, severity=Severity.WARNING, message=message, file=path, hint=hint
        )


#: Format families: what kind of example a row is, for FT506's format comparison.
PREFERENCE_FORMATS = frozenset({"preference", "openai-preference", "kto"})


def _family(formats: pl.Series) -> str:
    counts = formats.value_counts(sort=True)
    top = str(counts[0, 0]) if counts.height else "unknown"
    if top in PREFERENCE_FORMATS:
        return "preference"
    if top == "text":
        return "plain-text"
    return "prompt/answer"


def _prompt_words(table: pl.DataFrame) -> np.ndarray:
    return table.select(content_words(pl.col("prompt"))).to_series().to_numpy().astype(np.float64)


def _ks_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov–Smirnov statistic: the largest gap between the two ECDFs."""
    if a.size == 0 or b.size == 0:
        return 0.0
    a, b = np.sort(a), np.sort(b)
    points = np.concatenate([a, b])
    gap = (
        np.searchsorted(a, points, side="right") / a.size
        - np.searchsorted(b, points, side="right") / b.size
    )
    return float(np.abs(gap).max())
