"""FT302: near-duplicate examples, found with MinHash (auditor.minhash)."""

from __future__ import annotations

from pydantic import Field

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
from auditor.minhash import MinHashParams

EXCERPT_CHARS = 120


class NearDuplicates(Check):
    """Examples that are near-copies of each other.

    What it checks: whole examples (prompt + answer, normalized; a system prompt two or
    more rows carry is a template and is left out, so the same exchange under two
    templates counts as a near-copy) are compared by MinHash over word 2-grams; rows whose
    estimated Jaccard similarity to a cluster's representative reaches `threshold`
    (0.6) form a cluster. Identical rows count too. One finding per cluster: the
    representative's line, the other members as related lines, and the similarity
    range. Metrics: the near-duplicate rate, (rows − clusters) / rows with every
    singleton counted as a cluster; the largest cluster's share; the effective number
    of unique examples (which FT201 then judges instead of the row count); and the same
    rate for the prompt side and the answer side alone (reported, not judged).
    Why it matters: a near-copy adds almost no information but extra weight on its
    content; many of them make the model memorise phrasings, overstate the dataset's
    size, and leak across a train/eval split.
    Example: "How do I reset my password?" → "Open Settings, choose Security, click
    Reset." next to "how can I reset my password" → "Open Settings, choose Security,
    then click Reset.". Run `ftaudit dedup` to keep one row per cluster.
    Options: `threshold` (0.6), `ngram` (2), `num_perm` (128); `warn_above` (0.02) and
    `fail_above` (0.10) on the near-duplicate rate.
    Where the defaults come from: the usual MinHash dedup setting is word 5-grams at
    Jaccard 0.8 (datasketch's examples; Lee et al. 2022, "Deduplicating Training Data
    Makes Language Models Better", used 5-grams, 9,000 permutations, 0.8). Ours
    differs on purpose: that setting targets web-scale copies, and we measured that it
    finds only 2% of copies with 5% of their words edited and none with 10%, while word
    2-grams at 0.6 find 100% and 98.8% with no false pairs among unrelated texts (the
    measurement is in auditor/minhash.py's docstring). The 2% / 10% bands are this
    project's judgement: a few near-copies are normal in curated data; above one in
    ten, the effective dataset is clearly smaller than it looks.
    """

    code = "FT302"
    name = "near-duplicates"
    family = "duplicates"

    class Options(RateOptions):
        threshold: float = Field(default=0.6, gt=0.0, le=1.0)
        ngram: int = Field(default=2, ge=1, le=10)
        num_perm: int = Field(default=128, ge=16, le=1024)
        warn_above: float = Field(default=0.02, ge=0.0, le=1.0)
        fail_above: float = Field(default=0.10, ge=0.0, le=1.0)

    def minhash_params(self) -> MinHashParams:
        return self.params()

    def params(self) -> MinHashParams:
        assert isinstance(self.options, self.Options)
        return MinHashParams(
            num_perm=self.options.num_perm,
            ngram=self.options.ngram,
            threshold=self.options.threshold,
        )

    def unique_examples(self, ctx: AuditContext) -> int:
        return ctx.near_duplicates("example", self.params()).unique_count

    def run(self, ctx: AuditContext) -> CheckResult:
        assert isinstance(self.options, self.Options)
        frame = ctx.train
        if frame.is_empty():
            return self.skipped("no training rows")
        params = self.params()
        found = ctx.near_duplicates("example", params)
        prompts = ctx.near_duplicates("prompt", params)
        responses = ctx.near_duplicates("response", params)
        unique = found.unique_count
        # Per-row numbers as numpy, files looked up per cluster: no Python object per row.
        lines = frame.get_column("line").to_numpy()
        files = frame.get_column("file")
        # The compared text (normalized; a template system prompt left out).
        texts = ctx.comparison.get_column("example")
        rate = found.duplicate_rate
        status = status_from_rate(rate, self.options.warn_above, self.options.fail_above)
        severity = Severity.ERROR if status is Status.FAIL else Severity.WARNING
        findings = []
        for cluster in sorted(found.clusters, key=lambda c: (-c.size, c.members[0])):
            rep = cluster.representative
            low, high = cluster.min_similarity, cluster.max_similarity
            similarity = f"{low:.2f}" if low == high else f"{low:.2f}–{high:.2f}"
            excerpt = str(texts[rep])
            if len(excerpt) > EXCERPT_CHARS:
                excerpt = excerpt[: EXCERPT_CHARS - 1] + "…"
            findings.append(
                Finding(
                    code=self.code,
                    severity=severity,
                    message=(
                        f"{cluster.size:,} rows are near-copies of line {int(lines[rep])} "
                        f"(estimated Jaccard {similarity})"
                    ),
                    file=files[rep],
                    line=int(lines[rep]),
                    related_lines=[int(lines[m]) for m in cluster.members if m != rep],
                    excerpt=excerpt or None,
                    hint="keep one row per cluster: `ftaudit dedup`",
                )
            )
        rows = found.rows
        summary = (
            f"{rows - unique:,} of {rows:,} rows ({rate:.1%}) are near-copies "
            f"in {len(found.clusters):,} cluster(s); {unique:,} effectively unique"
            if found.clusters
            else f"no near-duplicates among {rows:,} rows"
        )
        return self.result(
            status,
            1.0 - rate,
            summary,
            [
                Metric(
                    name="near_duplicate_rate",
                    value=round(rate, 6),
                    warn_at=self.options.warn_above,
                    fail_at=self.options.fail_above,
                    note="(rows − clusters) / rows, singletons counted as clusters",
                ),
                Metric(name="clusters", value=len(found.clusters)),
                Metric(name="largest_cluster_share", value=round(found.largest_share, 6)),
                Metric(name="unique_examples", value=unique),
                Metric(
                    name="prompt_near_duplicate_rate",
                    value=round(prompts.duplicate_rate, 6),
                    note="prompt side only; not judged",
                ),
                Metric(
                    name="response_near_duplicate_rate",
                    value=round(responses.duplicate_rate, 6),
                    note="answer side only; not judged",
                ),
                Metric(
                    name="minhash",
                    value=f"word {params.ngram}-grams, {params.num_perm} perms, "
                    f"Jaccard ≥ {params.threshold}",
                ),
            ],
            findings,
        )
