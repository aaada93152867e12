"""FT605: an opener or closer that a large share of answers repeat."""

from __future__ import annotations

from typing import NamedTuple, Self

import polars as pl
from pydantic import Field, model_validator

from auditor.check import CheckOptions, CheckResult, Finding, Metric, Severity, Status
from auditor.comparison import SPACE_RUN
from auditor.context import AuditContext
from checks.common import (
    RowShareCheck,
)
from checks.hygiene.answers import trained_answers

#: Punctuation and symbols at a word's edge, removed before phrases are compared.
EDGE_PUNCTUATION = r"(?:^|\s)[^\w\s]+|[^\w\s]+(?:\s|$)"
#: Answers that are structured output (JSON, code, markup) share their shape by design.
STRUCTURED = r"^\s*(?:[{\[<]|```)"


class Phrase(NamedTuple):
    side: str  # "opener" or "closer"
    key: str  # normalized words
    answers: int
    spelling: str  # the most common spelling in the data


def edge_words(side: str, longest: int) -> pl.Expr:
    """The first (opener) or last (closer) `longest` words of `text` as written: spaces
    collapsed, words that are only punctuation dropped."""
    if side == "opener":
        edge = (
            pl.col("text")
            .str.slice(0, 400)
            .str.extract(rf"^\s*(\S+(?:\s+\S+){{0,{longest - 1}}})", 1)
        )
    else:
        edge = (
            pl.col("text")
            .str.slice(-400)
            .str.extract(rf"(\S+(?:\s+\S+){{0,{longest - 1}}})\s*\z", 1)
        )
    spaced = edge.str.replace_all(SPACE_RUN, " ")
    return spaced.str.replace_all(r"(^|\s)[^\w\s]+(\s|$)", "$1").str.strip_chars()


def normalized_words(column: str) -> pl.Expr:
    """Lower case, each word's edge punctuation trimmed: the key phrases are counted by."""
    return (
        pl.col(column)
        .str.to_lowercase()
        .str.replace_all(EDGE_PUNCTUATION, " ")
        .str.replace_all(SPACE_RUN, " ")
        .str.strip_chars()
    )


def first_words(side: str, k: int, column: str) -> pl.Expr:
    """The first (opener) or last (closer) k space-separated words; null if fewer."""
    words = rf"(?:\S+ ){{{k - 1}}}\S+"
    return pl.col(column).str.extract(f"^({words})" if side == "opener" else f"({words})$", 1)


#: Phrases shorter than this are boilerplate only as a unit of their own (see `is_unit`).
UNIT_WORDS = 3


def is_unit(side: str, k: int) -> pl.Expr:
    """Whether the k-word opener (closer) of `written` stands on its own: an opener that
    ends in punctuation ("Great question!", "Of course,"; a single word only with "!":
    "Certainly!"), a closer that starts a sentence ("… cable. Good luck!"). So "You can"
    or "The" (the natural start of many answers) is never boilerplate by itself."""
    if side == "opener":
        return first_words(side, k, "written").str.contains("!$" if k == 1 else r"[!.,:;?…]$")
    last = r"\S+!$" if k == 1 else rf"(?:\S+ ){{{k - 1}}}\S+$"
    return pl.col("written").str.contains(rf"[.!?…] {last}")


class SharedPhrases(NamedTuple):
    phrases: list[Phrase]  # every length that holds, before `longest_phrases`
    holders: pl.DataFrame  # row, file, line, path, side, key: the answers that hold one
    top: Phrase | None  # the most shared phrase of the shortest length, held or not


def shared_phrases(answers: pl.DataFrame, words: range, floor: float) -> SharedPhrases:
    """Openers and closers of at least `floor` answers, of every length in `words`.

    A phrase can only hold as many answers as its shorter prefix (suffix) does, so each
    length counts only the answers whose shorter phrase held: past the first length
    this is a handful of answers, or none and the search stops.
    """
    phrases: list[Phrase] = []
    holders = []
    tops: list[Phrase] = []
    for side in ("opener", "closer"):
        pool = answers.select(
            "row", "file", "line", "path", edge_words(side, words.stop - 1).alias("written")
        ).with_columns(normalized_words("written").alias("key"))
        for k in words:
            at_k = pool.with_columns(first_words(side, k, "key").alias("phrase")).filter(
                pl.col("phrase").is_not_null()
            )
            counts = at_k.group_by("phrase").len("answers")
            if k == words.start and not counts.is_empty():
                phrase, n = counts.sort("answers", "phrase", descending=[True, False]).row(0)
                tops.append(Phrase(side, phrase, n, phrase))
            held = counts.filter(pl.col("answers") >= floor)
            if held.is_empty():
                break
            pool = at_k.filter(pl.col("phrase").is_in(held["phrase"].to_list()))
            # The usual spelling, computed for the few phrases that hold.
            spelled = (
                pool.group_by("phrase")
                .agg(
                    pl.len().alias("answers"),
                    first_words(side, k, "written").mode().sort().first().alias("spelling"),
                    is_unit(side, k).mean().alias("unit"),
                )
                # A short phrase counts only as a unit of its own; its longer forms are
                # still searched (pruning needs every phrase that holds).
                .filter((k >= UNIT_WORDS) | (pl.col("unit") >= 0.5))
                .sort("phrase")
            )
            phrases += [Phrase(side, p, n, w or p) for p, n, w, _ in spelled.iter_rows()]
            holders.append(
                pool.select("row", "file", "line", "path", side=pl.lit(side), key="phrase")
            )
            pool = pool.drop("phrase")
    schema = {"row": pl.UInt32, "file": pl.String, "line": pl.Int64, "path": pl.String}
    empty = pl.DataFrame(schema={**schema, "side": pl.String, "key": pl.String})
    top = max(tops, key=lambda p: (p.answers, p.side == "opener"), default=None)
    return SharedPhrases(phrases, pl.concat([empty, *holders], how="vertical_relaxed"), top)


def longest_phrases(shared: list[Phrase], keep: float = 0.9) -> list[Phrase]:
    """The longest form of each shared phrase: a phrase gives way to an extension that
    keeps at least `keep` of its answers ("certainly here is" over "certainly"), and an
    extension that loses more than that is left to the shorter phrase that was kept."""

    def extends(longer: Phrase, shorter: Phrase) -> bool:
        if longer.side != shorter.side or len(longer.key) <= len(shorter.key):
            return False
        if longer.side == "opener":
            return longer.key.startswith(shorter.key + " ")
        return longer.key.endswith(" " + shorter.key)

    ranked = sorted(shared, key=lambda p: (p.key.count(" "), -p.answers, p.key))
    subsumed = {
        p for p in ranked if any(extends(q, p) and q.answers >= keep * p.answers for q in ranked)
    }
    kept: list[Phrase] = []
    for p in ranked:
        if p not in subsumed and not any(extends(p, q) for q in kept):
            kept.append(p)
    return sorted(kept, key=lambda p: (-p.answers, p.side, p.key))


class RepeatedBoilerplate(RowShareCheck):
    """An opener or closer that a large share of the answers repeat.

    What it checks: the first and the last `words` words (default 1 to 6) of every
    trained answer of at least `min_words` words (lower-cased, punctuation trimmed from
    each word), counted across answers with a polars group-by per length. A phrase that
    at least `share` of those answers share is reported in its longest form that keeps
    (90% of) its answers ("certainly here is", not "certainly"), with its share, the
    usual spelling and a few example lines: one finding per phrase. A phrase of one or
    two words counts only as a unit of its own — an opener ending in punctuation ("Great
    question!", "Of course,"; one word only with "!": "Certainly!"), a closer that starts
    a sentence ("Good luck!") — since "You can" or "The" naturally start many answers.
    Short answers (labels, values) and structured ones (JSON, code, markup) share their
    wording by design and are left out; with fewer than `min_answers` long answers, or
    when most answers are short or structured (a classification or extraction set), the
    check does not apply.
    Why it matters: the fine-tune learns the phrase as part of every answer — a verbal
    tic ("Certainly! Here is…", "I hope this helps!") that users notice at once and that
    costs tokens on every reply. It usually means one generator's house style, or one
    prompt template, produced the answers.
    Example: 412 of 980 answers start with "Certainly! Here is".
    Options: `share` (default 0.2: one answer in five — in varied prose even the most
    common three-word opener covers a few percent); `fail_share` (default 1.0: never
    fails — a tic is a style defect, not broken data, and a brand greeting may be
    wanted; set e.g. 0.6 to block); `min_answers` (default 20: below it a share is a
    handful of rows); `min_words` (default 8: shorter answers are labels or one-liners);
    `words` (default [1, 6]: "Certainly!" is one word, a sign-off rarely more than six).
    """

    code = "FT605"
    name = "repeated-boilerplate"
    family = "hygiene"
    severity = Severity.WARNING

    class Options(CheckOptions):
        share: float = Field(
            0.2, gt=0.0, le=1.0, description="warn when a phrase starts/ends this share"
        )
        fail_share: float = Field(
            1.0, gt=0.0, le=1.0, description="fail when a phrase's share exceeds this"
        )
        min_answers: int = Field(20, ge=2, description="fewest long answers to judge")
        min_words: int = Field(8, ge=1, description="shortest answer (in words) compared")
        words: tuple[int, int] = Field((1, 6), description="phrase lengths in words: [min, max]")

        @model_validator(mode="after")
        def _ordered(self) -> Self:
            low, high = self.words
            if not 1 <= low <= high <= 12:
                raise ValueError("words must be [min, max] with 1 <= min <= max <= 12")
            if self.fail_share < self.share:
                raise ValueError("fail_share must be at least share")
            return self

    def run(self, ctx: AuditContext) -> CheckResult:
        options = self.options
        assert isinstance(options, RepeatedBoilerplate.Options)
        answers = trained_answers(ctx)
        if answers.is_empty():
            return self.not_applicable("no trained answers")
        # An anchored "at least n words" regex stops at the n-th word; counting every
        # word of every answer costs twice as much as the whole check.
        at_least = rf"^\s*(?:\S+\s+){{{options.min_words - 1}}}\S"
        prose = answers.filter(
            pl.col("text").str.contains(at_least) & ~pl.col("text").str.contains(STRUCTURED)
        )
        if prose.height < answers.height / 2:
            return self.not_applicable(
                f"most answers are short or structured ({answers.height - prose.height:,} of "
                f"{answers.height:,}): labels and formats share their wording by design"
            )
        # Distinct answers: a repeated answer is a duplicate (FT301–FT303), not a tic.
        long = prose.unique("text", keep="first", maintain_order=True)
        if long.height < options.min_answers:
            return self.not_applicable(
                f"{long.height} distinct answer(s) in prose of at least {options.min_words} "
                f"words, fewer than min_answers={options.min_answers}"
            )
        low, high = options.words
        found = shared_phrases(long, range(low, high + 1), options.share * long.height)
        return self.report(found, long.height, answers.height)

    def report(self, found: SharedPhrases, long: int, total: int) -> CheckResult:
        options = self.options
        assert isinstance(options, RepeatedBoilerplate.Options)
        shared = longest_phrases(found.phrases)
        chosen = pl.DataFrame(
            {"side": [p.side for p in shared], "key": [p.key for p in shared]},
            schema={"side": pl.String, "key": pl.String},
        )
        hits = found.holders.join(chosen, on=["side", "key"]).sort("row", "path")
        findings: list[Finding] = []
        for phrase in shared:
            holding = hits.filter((pl.col("side") == phrase.side) & (pl.col("key") == phrase.key))
            first = holding.row(0, named=True)
            # A few examples from the first one's file: the row count is in the message.
            lines = (
                holding.filter(pl.col("file") == first["file"])
                .unique("line", keep="first", maintain_order=True)
                .head(6)
            )
            share = phrase.answers / long
            verb = "starts" if phrase.side == "opener" else "ends"
            findings.append(
                self.finding(
                    first["file"],
                    first["line"],
                    f'{phrase.side} "{phrase.spelling}" {verb} {phrase.answers:,} of '
                    f"{long:,} distinct answers ({share:.0%})",
                    path=first["path"],
                    related_lines=lines["line"].to_list()[1:],
                    excerpt=phrase.spelling,
                    category=phrase.side,
                    hint="vary or remove the phrase (regenerate, or strip it from the answers): "
                    "the fine-tune would say it every time",
                )
            )
        # Below the share, the most shared phrase still says how repetitive the set is.
        leader = shared[0] if shared else found.top
        top = leader.answers / long if leader is not None else 0.0
        status = Status.FAIL if top > options.fail_share else Status.WARN if shared else Status.PASS
        rows = hits["row"].n_unique()
        if shared:
            best = shared[0]
            summary = (
                f"{len(shared)} boilerplate phrase(s); most shared: {best.side} "
                f'"{best.spelling}" in {best.answers / long:.0%} of {long:,} distinct answers'
            )
        else:
            summary = (
                f"no opener or closer shared by {options.share:.0%} of {long:,} distinct answers"
            )
        metrics = [
            Metric(
                name="top_phrase_share",
                value=round(top, 4),
                warn_at=options.share,
                fail_at=options.fail_share,
                note=f'{leader.side} "{leader.key}"' if leader is not None else None,
            ),
            Metric(
                name="phrases",
                value="; ".join(f'{p.side} "{p.key}" {p.answers / long:.1%}' for p in shared)
                or None,
            ),
            Metric(name="affected_rows", value=rows),
            Metric(
                name="compared_answers",
                value=long,
                note=f"distinct answers in prose of at least {options.min_words} words, "
                f"of {total:,} trained answers",
            ),
        ]
        return self.result(status, 1.0 - top if shared else 1.0, summary, metrics, findings)
