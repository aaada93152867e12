"""FT507: train rows that carry text of a well-known public benchmark's test set.

No eval file is needed: the benchmarks' n-grams ship with ftaudit as hashed fingerprints
(auditor/fingerprints/, built by scripts/build_fingerprints.py; the matching lives in
auditor.benchmark_ngrams). A team's own eval sets join the same way (`extra_fingerprints`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import Field, field_validator

from auditor.artifact_cache import cached_flags, namespace_name
from auditor.benchmark_ngrams import (
    FINGERPRINT_FORMAT,
    FingerprintError,
    FingerprintIndex,
    Fingerprints,
    load_folder,
    load_shipped,
    manifest_digest,
    shipped_names,
    span_text,
)
from auditor.check import (
    Check,
    CheckResult,
    Finding,
    Metric,
    RateOptions,
    Severity,
    Status,
    status_from_rate,
)
from auditor.context import AuditContext
from auditor.minhash import distinct_texts
from checks.common import clip


class BenchmarkOptions(RateOptions):
    """Any contaminated row warns; more than 1% of train rows, or of one benchmark's
    items, fails."""

    warn_above: float = Field(0.0, ge=0.0, le=1.0, description="warn above this share")
    fail_above: float = Field(
        0.01, ge=0.0, le=1.0, description="fail above this share of train rows"
    )
    fail_items_above: float = Field(
        0.01, ge=0.0, le=1.0, description="fail above this share of one benchmark's items"
    )
    benchmarks: list[str] | None = Field(
        None, description="shipped benchmarks to check (default: all; [] for none)"
    )
    extra_fingerprints: list[str] = Field(
        default_factory=list,
        description="folders (or manifest.json files) of fingerprints you built yourself",
    )

    @field_validator("benchmarks")
    @classmethod
    def _known(cls, names: list[str] | None) -> list[str] | None:
        if names is None:
            return names
        shipped = shipped_names()
        unknown = [n for n in names if n not in shipped]
        if unknown:
            raise ValueError(
                f"unknown benchmark {', '.join(unknown)}; shipped: {', '.join(shipped)}"
            )
        return names


class BenchmarkContamination(Check):
    """Train rows that share a long word n-gram with a public benchmark's test set.

    What it checks: every train row's whole text (all turns, lower case, punctuation
    dropped) against the 13-word n-grams of the test sets of well-known public
    benchmarks — the rule of FT504 and of GPT-3's decontamination, so a benchmark text of
    8–12 words counts as one n-gram of all its words and shorter ones are left out. No
    eval file is needed. The benchmark text is not shipped: ftaudit carries only the
    64-bit hashes of its n-grams (a few MB; `auditor/fingerprints/manifest.json` lists
    each benchmark's source repository, commit, license, split and row count). Shipped:
    GSM8K test (grade-school math), HumanEval (code), MT-Bench and Arena-Hard-Auto v0.1 /
    v2.0 (chat-judge prompts). N-grams that five or more rows of one benchmark share were
    dropped when the fingerprints were built (boilerplate, not an item). The finding
    names the benchmark and its row, and shows the shared span as the train row has it.
    Why it matters: a model trained on a benchmark's test questions scores well on that
    benchmark from memory; the score a team reports, or picks a checkpoint by, is then
    wrong, and nobody can tell from the score alone. Copies come in through scraped
    "math word problem" sets, synthetic data seeded with benchmark questions, and
    instruction mixes that quietly include test splits.
    Example: a train answer that pastes GSM8K test row 1's question after "Solve this:"
    is reported as sharing 53 consecutive words with GSM8K, the span shown as the train
    row wrote it; with two numbers changed or a word inserted it is still found, as long
    as 13 consecutive words are unchanged.
    Options: `warn_above` (0.0: any contaminated row warns); `fail_above` (0.01: more
    than 1% of train rows carrying benchmark text means the set was assembled from
    benchmark-derived data, not a stray quote); `fail_items_above` (0.01: with more than
    1% of one benchmark's items in train, that benchmark's score moves by up to a point
    from memory alone, FT502's reasoning); `benchmarks` (the shipped ones to check,
    default all: `gsm8k`, `humaneval`, `mt-bench`, `arena-hard-v0.1`,
    `arena-hard-v2.0`); `extra_fingerprints` (folders built by
    `scripts/build_fingerprints.py NAME=your_eval.jsonl --out DIR`, to check a private
    eval set without shipping it; a relative path is taken from the config file's
    folder, or else from the current one). The n-gram size belongs to the fingerprints (their
    manifest), not to this check. Findings' category is the benchmark's name.
    """

    code = "FT507"
    name = "benchmark-contamination"
    family = "leakage"

    class Options(BenchmarkOptions):
        pass

    hint = (
        "drop or rewrite this row: a model trained on it scores on that benchmark from "
        "memory (or deselect the benchmark with checks.FT507.benchmarks)"
    )

    @property
    def settings(self) -> BenchmarkOptions:
        assert isinstance(self.options, BenchmarkOptions)
        return self.options

    def fingerprints(self, ctx: AuditContext) -> list[Fingerprints]:
        """The selected shipped sets, then the extra ones."""
        options = self.settings
        names = options.benchmarks
        sets = load_shipped(names) if names is None or names else []
        for extra in options.extra_fingerprints:
            sets.extend(load_folder(_resolved(Path(extra).expanduser(), ctx.config.folder)))
        return sets

    def run(self, ctx: AuditContext) -> CheckResult:
        if ctx.train.is_empty():
            return self.skipped("no training rows")
        try:
            sets = self.fingerprints(ctx)
        except FingerprintError as exc:
            return self.result(Status.ERROR, 0.0, f"benchmark fingerprints unusable: {exc}")
        if not sets:
            return self.skipped("no benchmark fingerprints selected")
        index = FingerprintIndex(sets)
        texts = ctx.train.get_column("text").fill_null("")
        first, inverse = distinct_texts(texts)
        flagged = np.flatnonzero(self.flagged(ctx, index, texts, first, sets))
        # The distinct texts are gathered batch by batch: a gathered copy of the whole
        # column cost ~0.8 GB at the peak of a 1M-row audit.
        found = index.hits(texts, engine=ctx.engine, rows=first[flagged].astype(np.int64))
        hits = found.with_columns(pl.Series("text", flagged[found.get_column("text").to_numpy()]))
        rows = pl.DataFrame({"text": inverse, "row": np.arange(inverse.size, dtype=np.int64)})
        by_row = hits.join(rows, on="text").sort("row", "benchmark")
        return self.judge(ctx, sets, by_row)

    def flagged(
        self,
        ctx: AuditContext,
        index: FingerprintIndex,
        texts: pl.Series,
        first: npt.NDArray[np.integer],
        sets: list[Fingerprints],
    ) -> npt.NDArray[np.bool_]:
        """Which distinct texts (`texts` at `first`) may share an n-gram with a selected
        benchmark: from the artifact cache where it has them, so a warm re-run only looks
        up texts; every one without a cache."""
        store = ctx.artifact_cache
        if store is None:
            return np.ones(first.size, dtype=bool)
        distinct = texts.gather(first)

        def hit_index(fresh: pl.Series) -> npt.NDArray[np.integer]:
            return index.hits(fresh, engine=ctx.engine).get_column("text").to_numpy()

        name = namespace_name(
            "benchmark-ngrams",
            format=FINGERPRINT_FORMAT,
            sets=manifest_digest(sets),
            polars=pl.__version__,
        )
        scope = ctx.cache_scope("train")
        return cached_flags(store, "benchmark n-grams", name, scope, distinct, hit_index)

    def judge(self, ctx: AuditContext, sets: list[Fingerprints], hits: pl.DataFrame) -> CheckResult:
        options = self.settings
        total = ctx.train.height
        contaminated = hits.get_column("row").n_unique()
        share = contaminated / total
        status = status_from_rate(share, options.warn_above, options.fail_above)
        metrics = [
            Metric(
                name="contaminated_share",
                value=round(share, 6),
                warn_at=options.warn_above,
                fail_at=options.fail_above,
                note=f"{contaminated:,} of {total:,} train rows",
            )
        ]
        per_bench = {
            name: (rows, items)
            for name, rows, items in hits.group_by("benchmark")
            .agg(pl.col("row").n_unique(), pl.col("items").explode().n_unique())
            .iter_rows()
        }
        worst = share / max(options.fail_above, 1e-9)
        parts = []
        for fingerprints in sets:
            rows, items = per_bench.get(fingerprints.name, (0, 0))
            items_share = items / fingerprints.rows if fingerprints.rows else 0.0
            if items_share > options.fail_items_above:
                status = Status.FAIL
            worst = max(worst, items_share / max(options.fail_items_above, 1e-9))
            split = fingerprints.entry.get("split", "test")
            metrics += [
                Metric(
                    name=f"share[{fingerprints.name}]",
                    value=round(rows / total, 6),
                    note=f"{rows:,} train rows share n-grams with {fingerprints.title}",
                ),
                Metric(
                    name=f"items_share[{fingerprints.name}]",
                    value=round(items_share, 6),
                    fail_at=options.fail_items_above,
                    note=f"{items:,} of {fingerprints.rows:,} {split} items found in train",
                ),
            ]
            if rows:
                parts.append(f"{fingerprints.name}: {rows:,} rows, {items:,} items")
        longest = int(hits.get_column("span").max() or 0) if hits.height else 0  # type: ignore[arg-type]
        metrics.append(Metric(name="longest_span", value=longest, unit="words"))
        metrics.append(
            Metric(
                name="fingerprints",
                value=", ".join(s.name for s in sets),
                note=f"{sum(s.hashes.size for s in sets):,} hashed n-grams",
            )
        )
        severity = Severity.ERROR if status is Status.FAIL else Severity.WARNING
        findings = self.findings(ctx, sets, hits, severity)
        if parts:
            summary = (
                f"{contaminated:,} of {total:,} train rows ({share:.1%}) carry benchmark "
                "text — " + "; ".join(parts)
            )
        else:
            summary = f"no train row shares a long n-gram with {len(sets)} benchmark(s)"
        score = 1.0 - min(1.0, worst / 2)
        return self.result(status, score, summary, metrics, findings)

    def findings(
        self,
        ctx: AuditContext,
        sets: list[Fingerprints],
        hits: pl.DataFrame,
        severity: Severity,
    ) -> list[Finding]:
        """One finding per train row and benchmark, showing the span as the row has it."""
        if hits.is_empty():
            return []
        by_name = {s.name: s for s in sets}
        train = ctx.train
        wanted = hits.get_column("row").to_numpy()
        located = hits.with_columns(
            pl.Series("file", train.get_column("file").gather(wanted)),
            pl.Series("line", train.get_column("line").gather(wanted)),
            pl.Series("body", train.get_column("text").gather(wanted)),
        )
        out = []
        for record in located.iter_rows(named=True):
            bench = by_name[record["benchmark"]]
            items = [int(i) + 1 for i in record["items"]]
            shown = ", ".join(str(i) for i in items[:5])
            more = f" and {len(items) - 5:,} more" if len(items) > 5 else ""
            out.append(
                Finding(
                    code=self.code,
                    severity=severity,
                    message=(
                        f"shares {record['span']} consecutive words with {bench.title} "
                        f"(row {shown}{more} of {bench.rows:,})"
                    ),
                    file=record["file"],
                    line=record["line"],
                    excerpt=clip(
                        span_text(str(record["body"] or ""), record["start"], record["span"]),
                        160,
                    ),
                    category=bench.name,
                    hint=self.hint,
                )
            )
        return out


def _resolved(path: Path, folder: Path | None) -> Path:
    """A relative path from the config file's folder, else from the current folder (a
    config passed in code has no folder)."""
    if path.is_absolute():
        return path
    candidates = [*([folder / path] if folder is not None else []), Path.cwd() / path]
    return next((c for c in candidates if c.exists()), candidates[0])
