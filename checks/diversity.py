"""FT401–FT404: diversity of the training set, seen through sentence embeddings.

Every metric is measured on the audit's embedding sample (auditor.semantic: the whole
split within `--embed-budget`, a seeded sample beyond it), says its sample size, and is
judged by its 95% interval: a check flags a dataset only when the whole interval lies on
the wrong side of a band, so a small or noisy sample does not raise alarms it cannot back.

Calibration (all-MiniLM-L6-v2, 128 word pieces; tests/fixtures/make_diversity_fixtures.py
writes the sets, tests/test_diversity_calibration.py measures them again). Prompts'
Vendi share of 100 (with its interval), largest topic share:
- broad, 224 hand-written tasks over 39 domains: 0.73 (0.72–0.74), 0.14;
- 175 human-written instructions (stanford_alpaca's seed tasks; measured, not shipped):
  0.65, 0.22;
- support-ticket extraction (samples/chat_clean.jsonl): 0.22, 0.21;
- narrow, five support intents in templated phrasings, one at 55%: 0.12 (0.11–0.13),
  0.49 (some of that intent's clusters stay apart at 0.8).
Outliers, in robust z of closeness to a topic: four off-task rows planted in a balanced
support set −5.2 to −6.1 (prompts), the other rows of clean sets −2.0 to −3.6.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from auditor.check import CheckOptions, CheckResult, Finding, Metric, RateOptions, Severity, Status
from auditor.config import Task
from auditor.context import AuditContext
from auditor.diversity import (
    TOPIC_MERGE,
    Interval,
    components,
    mean_distance_interval,
    share_interval,
    vendi_at_reference,
    vendi_score,
)
from auditor.heldout import near_params
from auditor.semantic import Embeddings
from checks.common import clip
from checks.embedded import (
    MIN_TEXTS,
    NARROW_TASKS,
    EmbeddingCheck,
    Place,
    interval_metric,
    judged_sides,
    place_of,
    row_location,
    sample_metric,
    side_name,
)

#: (warn below, fail below) on the Vendi share of 100 random prompts / answers.
VENDI_BANDS = {"prompt": (0.30, 0.18), "response": (0.20, 0.10)}
VENDI_BANDS_NARROW = {"prompt": (0.12, 0.06), "response": (0.0, 0.0)}
#: (warn above, fail above) on the largest topic's share of rows.
TOPIC_BANDS = {Task.GENERAL: (0.35, 0.60)}
TOPIC_BANDS_DEFAULT = (0.35, 1.0)
TOPIC_BANDS_NARROW = (0.50, 1.0)
#: Prompt cosine at which two rows are one request reworded (FT403; calibration there).
PARAPHRASE = 0.75
NARROW_PARAPHRASE = 0.92
#: Fewer embedded rows than this and FT402 does not judge: with k = √(n/2) clusters,
#: 20 rows make 3 clusters, so the largest holds a third of them whatever the data.
MIN_TOPIC_ROWS = 100
#: Neighbours looked at per row: the nearest may be a MinHash copy (FT302's) hiding the
#: nearest paraphrase behind it.
NEIGHBOURS = 5


def _worse(a: Status, b: Status) -> Status:
    order = [Status.PASS, Status.WARN, Status.FAIL]
    return max(a, b, key=order.index)


def low_is_bad(interval: Interval, warn_below: float, fail_below: float) -> Status:
    """A value that is bad when low: fail or warn only when the whole interval is below."""
    if interval.high < fail_below:
        return Status.FAIL
    if interval.high < warn_below:
        return Status.WARN
    return Status.PASS


def high_is_bad(interval: Interval, warn_above: float, fail_above: float) -> Status:
    """A value that is bad when high: fail or warn only when the whole interval is above."""
    if interval.low > fail_above:
        return Status.FAIL
    if interval.low > warn_above:
        return Status.WARN
    return Status.PASS


def topic_evidence(
    ctx: AuditContext, side: str, topic: int, merge_at: float = TOPIC_MERGE, count: int = 3
) -> Place:
    """Where the rows that best represent one train topic are."""
    vectors = ctx.embeddings().train.side(side)
    typical = ctx.topics(side, merge_at).representatives(topic, count)
    return place_of(ctx, "train", [int(vectors.rows[p]) for p in typical])


def place_text(place: Place) -> str:
    """`line 3, 17` in the first file, then `b.jsonl:9` for rows elsewhere."""
    return ", ".join([*map(str, [place.line, *place.related_lines]), *place.elsewhere])


class LowDiversity(EmbeddingCheck):
    """The training set says few different things.

    What it checks: the Vendi score (Friedman & Dieng 2023, order 1) of the prompts and of
    the answers: the effective number of distinct examples, from the eigenvalues of the
    embeddings' covariance (d×d, so any number of rows costs the same; equal to the n×n
    kernel definition). The score grows with the number of rows, so it is judged at a
    fixed reference size: the mean over 200 random subsets of `reference` (100) rows, as
    a share of them ("100 random prompts behave like 12 distinct ones": 0.12), with a 95%
    confidence interval from disjoint subsets (auditor.diversity.vendi_at_reference: it
    narrows as the sample grows). Fewer rows than the reference: reported, not judged.
    The score of the whole sample and the mean pairwise cosine distance (with a
    bootstrap interval) are reported beside it.
    Why it matters: a dataset of 2,000 rows that ask the same thing five ways teaches what
    400 would, and narrow, repetitive data makes a narrow model.
    Example: 200 support requests, all rephrasings of five intents → share 0.12 (fail for
    a general assistant); 224 varied tasks over 39 domains → 0.73 (pass).
    Bands (fail or warn only when the whole interval is below): prompts warn < 0.30,
    fail < 0.18; answers warn < 0.20, fail < 0.10. For tasks narrow by design
    (classification, extraction, formatting, style, tool use) prompts warn < 0.12, fail
    < 0.06, and answers are reported but not judged. Calibrated on the sets in this
    module's docstring: broad sets measure 0.65–0.73, a support-ticket extraction set
    0.22, the templated five-intent set 0.12.
    Options: `reference` (100); `warn_below` / `fail_below` replace the prompt band.
    """

    code = "FT401"
    name = "low-diversity"
    family = "diversity"

    class Options(CheckOptions):
        reference: int = Field(100, ge=10, le=384, description="rows per Vendi subset")
        warn_below: float | None = Field(None, ge=0.0, le=1.0)
        fail_below: float | None = Field(None, ge=0.0, le=1.0)

    def bands(self, ctx: AuditContext, side: str) -> tuple[float, float]:
        assert isinstance(self.options, self.Options)
        table = VENDI_BANDS_NARROW if ctx.task.task in NARROW_TASKS else VENDI_BANDS
        warn, fail = table[side]
        if side == "prompt":
            warn = self.options.warn_below if self.options.warn_below is not None else warn
            fail = self.options.fail_below if self.options.fail_below is not None else fail
        return warn, min(fail, warn)

    def measure(self, ctx: AuditContext, embedded: Embeddings) -> CheckResult:
        assert isinstance(self.options, self.Options)
        judged = judged_sides(ctx, embedded)
        if not judged:
            return self.result(Status.PASS, 1.0, f"not applicable: fewer than {MIN_TEXTS} texts")
        seed = ctx.config.embed_seed
        status, metrics, findings, parts = Status.PASS, [], [], []
        score = 1.0
        for side in ("prompt", "response"):
            vectors = embedded.train.side(side)
            if vectors.n < MIN_TEXTS:
                continue
            vendi = vendi_at_reference(vectors.vectors, self.options.reference, seed)
            share = vendi.scaled(1 / max(vendi.n, 1))
            warn, fail = self.bands(ctx, side)
            # Below the reference size the share is measured at the set's own size,
            # where it runs higher: not comparable to the bands, so reported only.
            is_judged = side in judged and vendi.n >= self.options.reference
            verdict = low_is_bad(share, warn, fail) if is_judged else Status.PASS
            status = _worse(status, verdict)
            if is_judged:
                score = min(score, min(1.0, share.value / warn) if warn > 0 else 1.0)
            note = f"mean Vendi of {vendi.n} random rows / {vendi.n}"
            if vendi.n < self.options.reference:
                note = f"Vendi of all {vendi.n} rows / {vendi.n}: below the reference size"
            metrics += [
                sample_metric(side, vectors),
                interval_metric(
                    f"vendi_share[{side}]",
                    share,
                    warn_at=warn if is_judged else None,
                    fail_at=fail if is_judged else None,
                    note=note if is_judged else note + "; not judged for this task",
                ),
                Metric(name=f"vendi_at_{vendi.n}[{side}]", value=round(vendi.value, 2)),
                Metric(
                    name=f"effective_examples[{side}]",
                    value=round(vendi_score(vectors.vectors), 1),
                    note=f"Vendi of all {vectors.n:,} embedded rows (at most the vector size)",
                ),
                interval_metric(
                    f"mean_cosine_distance[{side}]",
                    mean_distance_interval(vectors.vectors, seed),
                ),
            ]
            words = side_name(side) + "s"
            parts.append(
                f"{words}: {vendi.n} random ones behave like {vendi.value:.0f} distinct "
                f"({share.value:.2f})"
            )
            if verdict is not Status.PASS:
                topics = ctx.topics(side, TOPIC_MERGE)
                biggest = int(np.argmax(topics.sizes))
                place = topic_evidence(ctx, side, biggest)
                findings.append(
                    Finding(
                        code=self.code,
                        severity=Severity.ERROR if verdict is Status.FAIL else Severity.WARNING,
                        message=(
                            f"{words} are narrow: {vendi.n} random {words} behave like "
                            f"{vendi.value:.1f} distinct ones (share {share.value:.2f}, 95% "
                            f"interval {share.low:.2f}–{share.high:.2f}; warn below {warn}, "
                            f"fail below {fail}); the biggest group of alike {words} holds "
                            f"{topics.sizes[biggest]:,} of {vectors.n:,} embedded rows"
                            f"{place.mention()}"
                        ),
                        **place.where(),
                        path=side,
                        excerpt=clip(vectors.texts[topics.representatives(biggest, 1)[0]], 120),
                        hint="add examples of other requests and phrasings, or collapse the "
                        "rephrasings; `ftaudit explain FT402` lists the dominant topics",
                    )
                )
        return self.result(status, score, "; ".join(parts), metrics, findings)


class TopicDominance(EmbeddingCheck):
    """One topic holds most of the training set.

    What it checks: the prompts are clustered with spherical k-means (k = √(n/2), 2 to
    40), and clusters whose centroids have cosine ≥ 0.8 are joined into one topic
    (k-means cuts one big topic into several equal pieces; joining them back is what
    makes "the largest topic" mean something). It reports the largest topic's share of
    rows with its Wilson 95% interval, the normalized entropy of the topic shares (1 =
    even over all clusters, 0 = one topic), and each big topic's most typical rows.
    Why it matters: a model fine-tuned on data where one request is half the rows learns
    that request and little else; the share says where to add or trim.
    Example: a support set where password resets are 55% of rows → share 0.49.
    Bands (judged by the interval's lower end): warn above 0.35 and, for a general
    assistant, fail above 0.60; tasks narrow by design warn above 0.50 and never fail.
    Calibration: broad hand-written sets measure 0.14–0.22, a support-ticket extraction
    set 0.21 (interval 0.16–0.28), five intents with one at 55% 0.49 (0.42–0.56). Fewer
    than 100 embedded rows are not judged: with k = √(n/2) clusters, 20 rows make 3, so
    the largest holds a third whatever the data.
    Options: `warn_above`, `fail_above` (replace the task's band); `merge_at` (0.8).
    """

    code = "FT402"
    name = "topic-dominance"
    family = "diversity"

    class Options(CheckOptions):
        warn_above: float | None = Field(None, ge=0.0, le=1.0)
        fail_above: float | None = Field(None, ge=0.0, le=1.0)
        merge_at: float = Field(TOPIC_MERGE, gt=0.0, le=1.0)

    def bands(self, ctx: AuditContext) -> tuple[float, float]:
        assert isinstance(self.options, self.Options)
        task = ctx.task.task
        if task in NARROW_TASKS:
            warn, fail = TOPIC_BANDS_NARROW
        else:
            warn, fail = TOPIC_BANDS.get(task, TOPIC_BANDS_DEFAULT)
        warn = self.options.warn_above if self.options.warn_above is not None else warn
        fail = self.options.fail_above if self.options.fail_above is not None else fail
        return warn, max(fail, warn)

    def measure(self, ctx: AuditContext, embedded: Embeddings) -> CheckResult:
        assert isinstance(self.options, self.Options)
        side = embedded.train.main_side
        vectors = embedded.train.side(side)
        if vectors.n < MIN_TOPIC_ROWS:
            return self.result(
                Status.PASS,
                1.0,
                f"not judged: {vectors.n} embedded {side_name(side)}s, fewer than "
                f"{MIN_TOPIC_ROWS} (a few clusters make any largest share look big)",
                [sample_metric(side, vectors)],
            )
        merge_at = self.options.merge_at
        topics = ctx.topics(side, merge_at)
        sizes = topics.sizes
        order = np.argsort(-sizes, kind="stable")
        # Wilson even for a whole file: the rows are one draw of what the data's source
        # produces, and clustering a few hundred of them is itself noisy.
        largest = share_interval(int(sizes[order[0]]), vectors.n)
        warn, fail = self.bands(ctx)
        status = high_is_bad(largest, warn, fail)
        findings = []
        for rank, topic in enumerate(order[:5]):
            share = sizes[topic] / vectors.n
            if rank > 0 and share < 0.1:
                break
            place = topic_evidence(ctx, side, int(topic), merge_at)
            dominant = rank == 0 and status is not Status.PASS
            findings.append(
                Finding(
                    code=self.code,
                    severity=(Severity.ERROR if status is Status.FAIL else Severity.WARNING)
                    if dominant
                    else Severity.INFO,
                    message=f"topic {rank + 1}: {sizes[topic]:,} of {vectors.n:,} embedded "
                    f"{side_name(side)}s ({share:.0%}); its most typical rows are shown"
                    f"{place.mention()}",
                    **place.where(),
                    path=side,
                    category="dominant" if dominant else "topic",
                    excerpt=clip(vectors.texts[topics.representatives(int(topic), 1)[0]], 120),
                    hint="add rows on other topics, or trim this one" if dominant else None,
                )
            )
        preview = "; ".join(
            f"{sizes[t] / vectors.n:.0%} (lines "
            + place_text(topic_evidence(ctx, side, int(t), merge_at))
            + ")"
            for t in order[:5]
        )
        metrics = [
            sample_metric(side, vectors),
            interval_metric(f"largest_topic_share[{side}]", largest, warn_at=warn, fail_at=fail),
            Metric(name=f"biggest_topics[{side}]", value=preview, note="share, typical lines"),
            Metric(
                name=f"topics[{side}]", value=len(sizes), note=f"from {topics.k} k-means clusters"
            ),
            Metric(name=f"topic_entropy[{side}]", value=round(topics.normalized_entropy(), 3)),
        ]
        summary = (
            f"largest topic: {largest.value:.0%} of {side_name(side)}s "
            f"(95% interval {largest.low:.0%}–{largest.high:.0%}) in {len(sizes)} topics"
        )
        score = 1.0 - max(0.0, largest.low - warn) / max(1e-9, 1.0 - warn)
        return self.result(
            status, score, summary, metrics, findings if status is not Status.PASS else findings[:0]
        )


class SemanticDuplicates(EmbeddingCheck):
    """Rows that ask the same thing in other words (paraphrases MinHash does not see).

    What it checks: each embedded prompt's nearest other prompt; a pair whose cosine
    reaches the threshold (0.75; 0.92 for tasks narrow by design), and whose answers do
    not contradict that (cosine ≥ `answer_threshold`, 0.4, when both rows have answers: a
    rephrased question with a different answer is a contrast, not a copy), is a semantic
    duplicate, unless FT301 or FT302 already report it (the same normalized text, or one
    MinHash cluster). Pairs join into groups; the rate is the rows beyond the first of
    each group, over the embedded rows (Wilson interval). On a sample a pair counts only
    when both rows were drawn, so the rate is the sample's, a lower bound for the file
    (by up to population / sample for pairs): said so, never extrapolated. The five
    nearest neighbours of each distinct prompt are looked at, so a MinHash copy nearest
    to a row does not hide its paraphrase.
    Why it matters: paraphrased copies spend the training budget on one example and
    overweight it, and they pass every word-overlap check.
    Example: "How do I keep my sourdough from coming out flat?" and "My homemade sourdough
    loaf never rises properly — what can I change?" with the same advice.
    Calibration (MiniLM): 45 hand-written rewordings (word 2-gram Jaccard ≤ 0.09 to their
    originals) measure prompt cosine 0.68–0.92, median 0.80, and their reworded answers
    0.32–0.85 (10th percentile 0.42). Nearest neighbours among distinct tasks stay lower:
    at most 0.64 in the broad fixture set, 99th percentile 0.72 in 175 human-written
    instructions. Inputs of a narrow task differ in the details that matter (which
    product, which date), which a sentence encoder undervalues: support tickets of an
    extraction set reach 0.91 to their nearest neighbour, hence 0.92 there.
    Options: `threshold` (task default), `answer_threshold` (0.4), `warn_above` (0.05),
    `fail_above` (0.30) on the rate (judged by the interval's lower end).
    """

    code = "FT403"
    name = "semantic-duplicates"
    family = "diversity"

    class Options(RateOptions):
        threshold: float | None = Field(None, gt=0.0, le=1.0)
        answer_threshold: float = Field(0.4, ge=-1.0, le=1.0)
        warn_above: float = Field(0.05, ge=0.0, le=1.0)
        fail_above: float = Field(0.30, ge=0.0, le=1.0)

    def threshold(self, ctx: AuditContext) -> float:
        assert isinstance(self.options, self.Options)
        if self.options.threshold is not None:
            return self.options.threshold
        return NARROW_PARAPHRASE if ctx.task.task in NARROW_TASKS else PARAPHRASE

    def measure(self, ctx: AuditContext, embedded: Embeddings) -> CheckResult:
        assert isinstance(self.options, self.Options)
        train = embedded.train
        side = embedded.train.main_side
        vectors = train.side(side)
        if vectors.n < 2:
            return self.result(Status.PASS, 1.0, "not applicable: fewer than 2 texts")
        neighbours, similarity = ctx.semantic_neighbours(side, k=NEIGHBOURS)
        minhash = ctx.near_duplicates(side, near_params(ctx.config)).labels
        answers = train.response
        answer_at = {int(r): p for p, r in enumerate(answers.rows)}
        threshold = self.threshold(ctx)
        # One text once: exact copies are FT301's (they share every neighbour).
        distinct = np.unique(np.asarray(vectors.texts, dtype=object), return_index=True)[1]
        edges: list[tuple[int, int]] = []
        for p in distinct:
            a = int(vectors.rows[p])
            for q, cosine in zip(neighbours[p], similarity[p], strict=True):
                if q < 0 or cosine < threshold:
                    break
                b = int(vectors.rows[q])
                if minhash[a] >= 0 and minhash[a] == minhash[b]:
                    continue  # FT302's
                if side == "prompt" and a in answer_at and b in answer_at:
                    agree = float(answers.vectors[answer_at[a]] @ answers.vectors[answer_at[b]])
                    if agree < self.options.answer_threshold:
                        continue  # a contrast, not a copy
                edges.append((int(p), int(q)))
        groups = components(vectors.n, edges)
        sizes = np.bincount(groups, minlength=vectors.n)
        grouped: dict[int, list[int]] = {}
        for p in np.flatnonzero(sizes[groups] > 1):
            grouped.setdefault(int(groups[p]), []).append(int(p))
        redundant = sum(len(m) - 1 for m in grouped.values())
        # Within the sample: a pair counts only when both rows were drawn, so on a sample
        # this is a lower bound of the file's rate (by up to population / sample for
        # pairs, less for bigger groups), never an extrapolation.
        rate = share_interval(redundant, vectors.n)
        o = self.options
        status = high_is_bad(rate, o.warn_above, o.fail_above)
        severity = Severity.ERROR if status is Status.FAIL else Severity.WARNING
        best = similarity[:, 0]
        findings = []
        for positions in sorted(grouped.values(), key=lambda m: (-len(m), m[0])):
            place = place_of(ctx, "train", [int(vectors.rows[p]) for p in positions])
            lines = ", ".join(map(str, [place.line, *place.related_lines]))
            top = max(float(best[p]) for p in positions)
            findings.append(
                Finding(
                    code=self.code,
                    severity=severity,
                    message=f"{len(positions)} {side_name(side)}s say the same thing in other "
                    f"words (cosine up to {top:.2f}): lines {lines}{place.mention()}",
                    **place.where(),
                    path=side,
                    excerpt=clip(vectors.texts[positions[0]], 120),
                    related_excerpt=clip(vectors.texts[positions[1]], 120),
                    hint="keep one of each group (or make the answers differ on purpose)",
                )
            )
        note = "within the embedded sample: a lower bound for the file" if vectors.sampled else ""
        metrics = [
            sample_metric(side, vectors),
            interval_metric(
                "semantic_duplicate_rate",
                rate,
                warn_at=o.warn_above,
                fail_at=o.fail_above,
                note=note,
            ),
            Metric(name="semantic_duplicate_groups", value=len(grouped)),
            Metric(name="threshold", value=threshold),
        ]
        summary = (
            f"{redundant:,} of {vectors.n:,} embedded rows repeat another in other words "
            f"({rate.value:.1%}"
            + (", within the sample: a lower bound)" if vectors.sampled else ")")
        )
        score = 1.0 - min(1.0, rate.value / o.fail_above) if o.fail_above else 1.0
        return self.result(
            status, score, summary, metrics, findings if status is not Status.PASS else []
        )


class Outliers(EmbeddingCheck):
    """Rows far from every topic: off-task, corrupted or in another language.

    What it checks: each embedded prompt and answer's cosine to the nearest centroid of a
    k-means cluster (see FT402) of at least 3 rows (1% of rows on big sets; k-means++
    seeds clusters on far points, so an odd row may get a cluster of its own), as a
    robust z-score against the dataset's own spread
    (median and 1.4826 × MAD); a row is an outlier when its z is below `z_below` (−4.5) and
    its nearest other row is below `neighbour_below` (0.5) too, so a small real topic of
    a few alike rows is not one. Measured against the dataset itself: a broad dataset
    has no outliers, because nothing in it is typical.
    Why it matters: base64 blobs, stack traces, scraped HTML and rows from another task
    teach the model something you did not mean to; they are few, and easy to remove by line.
    Example: a support set with a Python traceback pasted in as a request.
    Calibration: four off-task rows planted in a support set measure z −5.2 to −6.1 on
    their prompts and −17 to −52 on their answers, with nearest neighbours at or below
    0.25; the worst prompts of clean sets (broad hand-written, support tickets, generated
    chat) measure z −2.0 to −3.6. Answers of a narrow set are so alike that any
    variation is many MADs (the balanced support set's clean answers reach z −45): the
    nearest-neighbour condition is what keeps those rows in.
    Options: `z_below` (−4.5), `neighbour_below` (0.5); `warn_above` (0.0: any outlier
    warns) and `fail_above` (1.0: never fails, outliers are for review).
    """

    code = "FT404"
    name = "outliers"
    family = "diversity"

    class Options(RateOptions):
        z_below: float = Field(-4.5, lt=0.0)
        neighbour_below: float = Field(0.5, ge=-1.0, le=1.0)
        warn_above: float = Field(0.0, ge=0.0, le=1.0)
        fail_above: float = Field(1.0, ge=0.0, le=1.0)

    def measure(self, ctx: AuditContext, embedded: Embeddings) -> CheckResult:
        assert isinstance(self.options, self.Options)
        flagged: dict[int, list[str]] = {}
        metrics, checked = [], 0
        for side in ("prompt", "response"):
            vectors = embedded.train.side(side)
            if vectors.n < MIN_TEXTS:
                continue
            checked = max(checked, vectors.n)
            # A cluster of a handful of rows is not a topic an odd row can belong to.
            members = max(3, vectors.n // 100)
            closeness = ctx.topics(side, TOPIC_MERGE).closeness(vectors.vectors, members)
            median = float(np.median(closeness))
            spread = max(1.4826 * float(np.median(np.abs(closeness - median))), 1e-3)
            z = (closeness - median) / spread
            neighbour = ctx.semantic_neighbours(side)[1][:, 0]
            far = np.flatnonzero(
                (z < self.options.z_below) & (neighbour < self.options.neighbour_below)
            )
            for p in far:
                flagged.setdefault(int(vectors.rows[p]), []).append(
                    f"{side_name(side)} z {z[p]:.1f}, nearest row {neighbour[p]:.2f}"
                )
            metrics += [
                sample_metric(side, vectors),
                Metric(name=f"outliers[{side}]", value=len(far)),
                Metric(name=f"lowest_z[{side}]", value=round(float(z.min()), 2)),
            ]
        if not checked:
            return self.result(Status.PASS, 1.0, f"not applicable: fewer than {MIN_TEXTS} texts")
        rate = len(flagged) / checked
        o = self.options
        status = (
            Status.FAIL
            if rate > o.fail_above
            else Status.WARN
            if rate > o.warn_above
            else Status.PASS
        )
        texts = {
            int(r): t
            for side in ("prompt", "response")
            for r, t in zip(
                embedded.train.side(side).rows, embedded.train.side(side).texts, strict=True
            )
        }
        findings = []
        for row, reasons in sorted(flagged.items()):
            file, line = row_location(ctx, "train", row)
            findings.append(
                Finding(
                    code=self.code,
                    severity=Severity.ERROR if status is Status.FAIL else Severity.WARNING,
                    message=f"far from every topic of the dataset ({'; '.join(reasons)}): "
                    "off-task, corrupted or another language?",
                    file=file,
                    line=line,
                    excerpt=clip(texts.get(row), 120),
                    hint="look at the row; remove it if it does not belong",
                )
            )
        metrics += [
            Metric(name="outlier_rows", value=len(flagged), unit="rows"),
            interval_metric(
                "outlier_share",
                share_interval(len(flagged), checked),
                warn_at=o.warn_above,
                fail_at=o.fail_above,
                note="of the embedded rows; each outlier is listed by line",
            ),
        ]
        summary = f"{len(flagged):,} of {checked:,} embedded rows are far from every topic"
        return self.result(status, 1.0 - min(1.0, rate * 10), summary, metrics, findings)
