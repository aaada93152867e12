"""FT603: canned refusals and AI disclaimers in trained answers."""

from __future__ import annotations

import re

import polars as pl
from pydantic import Field

from auditor.check import CheckResult, Finding, Metric, Severity
from auditor.context import AuditContext
from checks.common import (
    QualityOptions,
    RowShareCheck,
    clip,
    counted,
    has_messages,
    is_blank,
)
from checks.hygiene.answers import apostrophes, trained_answers

#: Phrases that mark a generator's voice rather than the answer a fine-tune should give,
#: written as regex fragments (`'` is any apostrophe, a space any whitespace run). The
#: disclaimers are the ones filtered out of ShareGPT/Alpaca-GPT4 derivatives ("unfiltered"
#: Vicuna and WizardLM sets removed answers with "as an AI language model", "my knowledge
#: cutoff", "I cannot browse"); the refusals are the stock openers of chat-model refusals.
#: Each needs a first-person or model-reference context, so "an AI engineer" or "I'm sorry
#: for the delay" do not match.
CANNED_PHRASES: dict[str, tuple[str, ...]] = {
    "disclaimer": (
        r"as an (?:ai|artificial intelligence)(?: (?:language model|assistant|model|chatbot|"
        r"system)| developed by|,? i\b)",
        r"as an? (?:large )?language model",
        r"i'm (?:just|only|merely) an? (?:ai|language model|computer program|machine|bot)\b",
        r"i am (?:just|only|merely) an? (?:ai|language model|computer program|machine|bot)\b",
        r"i(?:'m| am) an? (?:ai |large )?language model",
        r"i (?:don't|do not) have (?:personal (?:opinions|feelings|emotions|beliefs|"
        r"preferences|experiences)|feelings|emotions|consciousness)",
        r"my (?:knowledge|training) cut-?off",
        r"knowledge cut-?off (?:date|of)",
        r"as of my (?:last|latest) (?:update|training|knowledge update)",
        r"my training data (?:only )?(?:goes|extends|includes information) up to",
        r"i(?: cannot| can't| can not| am unable to|'m unable to| am not able to|'m not able to"
        r"| don't have the ability to| do not have the ability to) (?:browse|access|search) "
        r"the (?:internet|web)",
        r"i(?: cannot| can't| am unable to|'m unable to) browse",
        r"i (?:don't|do not) have (?:access to )?real-time (?:information|data|access)",
    ),
    "refusal": (
        r"(?:i'm|i am) sorry,? but i(?: can't| cannot| can not| won't| am unable|'m unable"
        r"| am not able|'m not able)",
        r"i apologi[sz]e,? but i(?: can't| cannot| can not| won't| am unable|'m unable"
        r"| am not able|'m not able)",
        r"i'm sorry,? i (?:can't|cannot) (?:help|assist|do|provide|fulfill|comply)",
        r"i (?:cannot|can not) assist with",
        r"i(?: can't| cannot| won't| am unable to|'m unable to| am not able to|'m not able to) "
        r"(?:help|assist)(?: you)? with (?:that|this|your request|such requests?|"
        r"requests? like this)\b",
        r"i(?:'m| am) (?:unable|not able) to (?:provide|fulfill|fulfil|comply|complete|"
        r"generate|create) (?:that|this|your request|the requested|such|assistance|help|"
        r"a response|an answer|with)",
        r"i (?:can't|cannot|won't) (?:fulfill|fulfil|comply with) (?:that|this|your)",
        r"i must (?:respectfully )?decline",
        r"it(?:'s| is) not appropriate for me to",
        r"i(?:'m| am) not comfortable (?:providing|helping|writing|creating|generating)",
        r"against my (?:programming|guidelines|policies|principles)",
        r"violates? (?:my|openai's|the) (?:guidelines|content polic(?:y|ies)|usage polic(?:y|ies))",
    ),
}
CANNED_ALTERNATIVES = {
    category: "|".join(apostrophes(p) for p in phrases)
    for category, phrases in CANNED_PHRASES.items()
}
# `\b` first: "has an AI language model" is not "as an AI language model".
CATEGORY_PATTERNS = {c: rf"(?i)(?-u:\b)({alt})" for c, alt in CANNED_ALTERNATIVES.items()}
#: One pass over every answer; only the few texts it holds for are matched per category.
ANY_CANNED = r"(?i)(?-u:\b)(?:" + "|".join(CANNED_ALTERNATIVES.values()) + ")"

CATEGORY_LABELS = {"disclaimer": "AI disclaimer", "refusal": "canned refusal"}
CANNED_HINTS = {
    "disclaimer": "drop the answer or regenerate it without the disclaimer: the fine-tune "
    "learns to talk about being an AI instead of answering",
    "refusal": "drop the row or regenerate the answer; if the set is meant to teach "
    "refusals, set `allow_refusals = true`",
}


def canned_hits(frame: pl.DataFrame, answers: pl.DataFrame) -> pl.DataFrame:
    """The `answers` (see `answer_table`) and plain `text` rows of `frame` with a canned
    phrase: row, file, line, path, text, and the first `disclaimer` / `refusal` phrase
    each holds (null where none)."""
    # Filtering the answer table beats a `where` prefilter here: that would run the regex
    # on every user, system and tool message too.
    answers = answers.filter(pl.col("text").str.contains(ANY_CANNED))
    texts = (
        frame.with_row_index("row")
        .filter(~has_messages() & (pl.col("format") == "text"))
        # Separately: in one filter the regex would also scan every chat row's rendering.
        .filter(pl.col("text").str.contains(ANY_CANNED))
        # Row numbers index a different frame than the answers': keep them apart.
        .select((pl.col("row") + frame.height).alias("row"), "file", "line", "text")
        .with_columns(path=pl.lit("text"))
    )
    columns = ["row", "file", "line", "path", "text"]
    found = pl.concat([answers.select(columns), texts.select(columns)], how="vertical_relaxed")
    return found.with_columns(
        pl.col("text").str.extract(pattern, 1).alias(category)
        for category, pattern in CATEGORY_PATTERNS.items()
    ).sort("row", "path", maintain_order=True)


def phrase_excerpt(text: str, phrase: str, context: int = 30) -> str | None:
    at = max(0, text.find(phrase))
    start = max(0, at - context)
    end = at + len(phrase) + context
    return clip(("…" if start else "") + text[start:end] + ("…" if end < len(text) else ""))


class CannedRefusals(RowShareCheck):
    """Canned refusals and AI disclaimers in the trained answers.

    What it checks: every trained answer — each assistant turn of a chat row (except
    `weight: 0` turns), the chosen answer of a preference pair (not `rejected`: a
    refusal there is the point of the pair), a desirable KTO completion, and a plain
    `text` row — against a catalogue of generator phrases, matched case-insensitively
    with straight or curly apostrophes, in one regex pass. Two categories:
    `disclaimer` ("As an AI language model", "I don't have personal opinions", "my
    knowledge cutoff", "I cannot browse the internet", "as of my last update") and
    `refusal` ("I'm sorry, but I can't", "I cannot assist with", "I can't help with
    that", "I'm unable to provide that"). Each finding names the field
    (`messages[3].content`), the category and the phrase in context.
    Why it matters: answers distilled from a chat model carry its voice. A fine-tune
    learns the disclaimer as part of the answer and refuses harmless requests it has
    seen refused; the Vicuna/WizardLM "unfiltered" sets were built by removing exactly
    these phrases. A safety set meant to teach refusals is the exception
    (`allow_refusals`); disclaimers are never the intended target.
    Example: `{"role": "assistant", "content": "As an AI language model, I cannot
    predict stock prices, but…"}`.
    Options: `allow_refusals` (default false: refusals then pass, disclaimers still
    count); `warn_above` / `fail_above` (share of rows with a trained answer, default
    0.0 / 0.05: any such answer warns; above 5% a generator's refusals leaked in bulk —
    a filtering step that never ran — and the check fails).
    """

    code = "FT603"
    name = "canned-refusals"
    family = "hygiene"
    severity = Severity.WARNING

    class Options(QualityOptions):
        allow_refusals: bool = Field(
            False, description="a set meant to teach refusals: refusals pass, disclaimers warn"
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        options = self.options
        assert isinstance(options, CannedRefusals.Options)
        frame = ctx.train
        texts = int(
            frame.select(
                (~has_messages() & (pl.col("format") == "text") & ~is_blank("text")).sum()
            ).item()
        )
        answers = trained_answers(ctx)
        applicable = answers["row"].n_unique() + texts
        if not applicable:
            return self.not_applicable("no trained answers")
        hits = canned_hits(frame, answers)
        counted_categories = ["disclaimer"] if options.allow_refusals else list(CANNED_PHRASES)
        findings: list[Finding] = []
        phrases: dict[str, int] = {}
        for file, line, path, text, *matched in hits.select(
            "file", "line", "path", "text", *counted_categories
        ).iter_rows():
            for category, phrase in zip(counted_categories, matched, strict=True):
                if phrase is None:
                    continue
                key = re.sub(r"\s+", " ", re.sub("[’‘ʼ]", "'", phrase.lower()))
                phrases[key] = phrases.get(key, 0) + 1
                findings.append(
                    self.finding(
                        file,
                        line,
                        f'{CATEGORY_LABELS[category]} "{phrase}"',
                        path=path,
                        excerpt=phrase_excerpt(text, phrase),
                        category=category,
                        hint=CANNED_HINTS[category],
                    )
                )
        rows_of = {
            c: hits.filter(pl.col(c).is_not_null())["row"].n_unique() for c in CANNED_PHRASES
        }
        affected = hits.filter(
            pl.any_horizontal(pl.col(c).is_not_null() for c in counted_categories)
        )["row"].n_unique()
        refusal_note = "allowed: allow_refusals = true" if options.allow_refusals else None
        problem = (
            "contain AI disclaimers"
            if options.allow_refusals
            else "contain canned refusals or AI disclaimers"
        )
        return self.judge(
            findings,
            affected,
            applicable,
            rows="rows with trained answers",
            problem=problem,
            clean="no canned refusals or AI disclaimers",
            metrics=[
                Metric(name="disclaimer_rows", value=rows_of["disclaimer"]),
                Metric(name="refusal_rows", value=rows_of["refusal"], note=refusal_note),
                Metric(name="phrases", value=counted(phrases) or None),
            ],
        )
