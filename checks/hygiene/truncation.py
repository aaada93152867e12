"""FT604: answers cut off mid-sentence, mid-word or inside a code block."""

from __future__ import annotations

import re

import polars as pl
from pydantic import Field

from auditor.check import CheckResult, Metric, Severity
from auditor.context import AuditContext
from checks.common import (
    INVISIBLE,
    QualityOptions,
    RowShareCheck,
    counted,
)
from checks.hygiene.answers import tail_excerpt, trained_answers

#: Characters an answer may end on: sentence ends, closing brackets and quotes, markdown
#: emphasis and code (`*`, `_`, `` ` ``), a closing tag (`>`), a table row (`|`), math
#: (`$`), CJK marks. `:` counts as closed (a lead-in the turn need not follow up).
CLOSING = set(".!?…:)]}\"'`*_>|$。！？」』）》”’»")
#: Last words that cannot end an English sentence: articles, conjunctions, possessives
#: and prepositions that rarely strand in writing ("for", "from", "about" often do:
#: "where it comes from"). "a" counts only in lower case: "The answer is A" is a label.
DANGLING_WORDS = frozenset(
    {"the", "an", "and", "or", "but", "nor", "because", "although", "though", "unless"}
    | {"whereas", "whether", "if", "than", "of", "to", "with", "into", "onto", "including"}
    | {"my", "your", "our", "their", "its"}
)
#: Rules other than the punctuation one apply from this many words: one- and two-word
#: outputs are labels, names or values whatever their last word.
SHORT_ANSWER_WORDS = 3
#: A last line this short (a sign-off, a name, `#### 42`) is not running prose.
SHORT_LAST_LINE_WORDS = 5
#: CJK has no spaces: each character counts as a word (roughly a token).
WORDS = r"[\p{Han}\p{Hiragana}\p{Katakana}]|[^\s\p{Han}\p{Hiragana}\p{Katakana}]+"
#: Smileys whose brackets are not brackets, removed before counting: ":(", ":-[", ";(".
SMILEY = r"[:;=8]'?-?[(\[{]"
#: Code, whose brackets and quotes are its own business: fences (closed or not), inline.
CODE = r"(?s)```.*?(?:```|\z)|`[^`\n]*`"
#: Endings that are complete without punctuation: a URL, an emoji, a digit (a result
#: such as `#### 42`), a sign-off and a name ("Best regards, Jordan Lee"), a list item
#: or table row as the last line.
COMPLETE_ENDING = (
    r"(?:(?:https?://|www\.)\S+|\p{Extended_Pictographic}\x{FE0F}?|\d%?)\z"
    r"|(?i:regards|sincerely|best|thanks|thank you|cheers|cordially|warmly|respectfully"
    r"|yours|best wishes)[,!.]?\s+(?:\p{Lu}[\p{L}.'-]*\s*){1,4}\z"
    r"|(?m:^[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+[^\n]*\z)"
    r"|(?m:^[ \t]*\|[^\n]*\z)"
)
BRACKETS = {"(": ")", "[": "]", "{": "}"}
#: A sentence end inside the text: prose has one every ~20 words, so a long text without
#: any (SQL, code, keyword lists, verse) does not use punctuation and lacks none.
SENTENCE_END = r"[.!?。！？](?:\s|\z)"
#: A line of prose (not a heading, list item, table row or quote) that ends open: beyond
#: the last line, two of them mean a style without final punctuation (verse, notes).
OPEN_PROSE_LINE = r"(?m)^[ \t]*[^\s#|>*+•\-][^\n]*[^\s.!?…:;,)\]}\"'`*_>|$。！？」』）》”’»]$"

#: The signals in the order a finding names them (the first is its category).
TRUNCATION_SIGNALS = {
    "unclosed-code-fence": "an unclosed ``` code fence",
    "unclosed-bracket": "an unclosed bracket",
    "unclosed-quote": "an unclosed quotation mark",
    "dangling-word": "ends on a word that cannot end a sentence",
    "cut-word": "ends on a hyphen-cut word",
    "trailing-comma": "ends on a comma or semicolon",
    "no-end-punctuation": "a long answer without closing punctuation",
}


def unclosed(text: pl.Expr, opener: str, closer: str) -> pl.Expr:
    """More `opener`s than `closer`s, and the last opener is never closed."""
    o, c = re.escape(opener), re.escape(closer)
    return (text.str.count_matches(o) > text.str.count_matches(c)) & text.str.contains(
        f"{o}[^{c}]*\\z"
    )


def truncation_signals(answers: pl.DataFrame, min_words: int) -> pl.DataFrame:
    """`answers` (with `text`) plus one boolean column per signal, only the rows where one
    fires. The cheap end-character test gates the regexes: most answers end closed."""
    text = pl.col("text").str.strip_chars_end(INVISIBLE)
    measured = answers.with_columns(text.alias("end_text")).with_columns(
        pl.col("end_text").str.slice(-1).is_in(sorted(CLOSING)).alias("closed"),
        pl.col("end_text").str.contains("```", literal=True).alias("has_fence"),
    )
    candidates = measured.filter(~pl.col("closed") | pl.col("has_fence"))
    end = pl.col("end_text")
    tail = end.str.slice(-300)  # bounded work for the end-anchored patterns
    prose = end.str.replace_all(CODE, " ").str.replace_all(SMILEY, " ")
    last_word = tail.str.extract(r"(\p{L}+)\z", 1)
    last_line = tail.str.extract(r"([^\n]*)\z", 1)
    words = end.str.count_matches(WORDS)
    open_end = ~pl.col("closed") & (words >= SHORT_ANSWER_WORDS)
    quoted = prose.str.count_matches('"') % 2 == 1
    signals = {
        "unclosed-code-fence": (end.str.count_matches(r"(?m)^[ \t]*```") % 2 == 1),
        "unclosed-bracket": open_end
        & pl.any_horizontal(unclosed(prose, o, c) for o, c in BRACKETS.items()),
        "unclosed-quote": open_end
        & (
            (quoted & prose.str.contains(r'(?:^|[\s(\[])"[^\s"][^"]*\z'))
            | unclosed(prose, "“", "”")
        ),
        "dangling-word": open_end
        & (last_word.str.to_lowercase().is_in(sorted(DANGLING_WORDS)) | (last_word == "a")),
        "cut-word": open_end & tail.str.contains(r"\p{L}[-‐]\z"),
        "trailing-comma": open_end & tail.str.contains(r"[,;，；、]\z"),
        "no-end-punctuation": ~pl.col("closed")
        & (words >= min_words)
        & ~tail.str.contains(COMPLETE_ENDING)
        & ~(
            end.str.contains("\n", literal=True)
            & (last_line.str.count_matches(r"\S+") < SHORT_LAST_LINE_WORDS)
        )
        & prose.str.contains(SENTENCE_END)
        & (prose.str.count_matches(OPEN_PROSE_LINE) <= 1),
    }
    return candidates.with_columns(
        expr.fill_null(False).alias(name) for name, expr in signals.items()
    ).filter(pl.any_horizontal(*TRUNCATION_SIGNALS))


class TruncatedAnswers(RowShareCheck):
    """Final answers that stop mid-sentence: a generator's max_tokens cut.

    What it checks: each row's final trained answer (its last trained assistant turn;
    a preference pair's chosen answer; a turn that makes tool calls is skipped) for
    signs it was cut off, each a vectorized test, named in the finding's category:
    `unclosed-code-fence` (an odd number of ``` lines); `unclosed-bracket` /
    `unclosed-quote` (outside code and smileys, more openers than closers and the last
    opener never closed — only in answers that do not end closed, so "1)" list markers,
    ":)" or a stray bracket in a finished sentence do not count); `dangling-word` (the
    last word is an article, conjunction or a preposition that never strands: "and",
    "the", "to", "with", "because"…); `cut-word` (ends on `exam-`); `trailing-comma`
    (ends on `,` or `;`); `no-end-punctuation` (at least `min_words` words and no closing
    punctuation: `. ! ? … : ) ] } " ' ` * _ > $` or CJK `。！？`). The last rule spares
    endings that are complete without it (a code block, a URL, an emoji, a number such
    as `#### 42`, "Best regards, Jordan Lee", a list item, a table row, a short last
    line) and texts that do not punctuate: no sentence end anywhere (SQL, code, keyword
    lists) or another prose line that ends open too (verse, notes). Rules other than
    the punctuation one need three words, so labels ("positive", "B") and values never
    count. Findings show the answer's last ~60 characters.
    Why it matters: the model learns to stop mid-thought. When a generator hits its
    max_tokens (finish_reason "length") the cut falls on a whole slice of the data,
    and the examples still look fine at a glance.
    Example: `{"role": "assistant", "content": "…then restart the router and"}`.
    Options: `min_words` (default 40: two or three sentences; shorter answers end
    without a period by style — one-liners, names, values — far more often than by
    being cut); `warn_above` / `fail_above` (share of final answers, default 0.0 / 0.05:
    any cut warns; above 5% a generator limit cut a whole slice, so the check fails).
    """

    code = "FT604"
    name = "truncated-answers"
    family = "hygiene"
    severity = Severity.WARNING

    class Options(QualityOptions):
        min_words: int = Field(
            40, ge=1, description="fewest words for the no-closing-punctuation rule"
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        options = self.options
        assert isinstance(options, TruncatedAnswers.Options)
        answers = trained_answers(ctx, final_only=True).filter(
            pl.col("tool_calls").list.len().fill_null(0) == 0
        )
        if answers.is_empty():
            return self.not_applicable("no final trained answers")
        cut = truncation_signals(answers, options.min_words)
        names = list(TRUNCATION_SIGNALS)
        findings = []
        for file, line, path, end, *fired in cut.select(
            "file", "line", "path", "end_text", *names
        ).iter_rows():
            found = [name for name, on in zip(names, fired, strict=True) if on]
            findings.append(
                self.finding(
                    file,
                    line,
                    "truncated answer: " + "; ".join(TRUNCATION_SIGNALS[n] for n in found),
                    path=path,
                    excerpt=tail_excerpt(end),
                    hint="regenerate the answer with a higher max_tokens (or finish it), "
                    "or drop the row",
                    category=found[0],
                )
            )
        by_signal = {name: int(cut[name].sum()) for name in names}
        return self.judge(
            findings,
            cut.height,
            answers.height,
            rows="final answers",
            problem="look truncated",
            clean="no truncated answers",
            metrics=[Metric(name="signals", value=counted(by_signal) if cut.height else None)]
            + [Metric(name=f"{name}_answers", value=n) for name, n in by_signal.items()],
        )
