"""FT116, FT117: does the dataset say the same thing the same way across rows?

Both checks look for a dominant pattern first and report the rows that break it. When
no pattern dominates, variation is taken to be deliberate and the check passes: a
dataset of per-persona prompts or free-form answers has nothing to drift from.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import orjson
import polars as pl
from pydantic import Field

from auditor.check import CheckResult, Metric, Severity
from auditor.comparison import SPACE_RUN
from auditor.context import AuditContext
from checks.common import (
    QualityOptions,
    RowShareCheck,
    ShareOptions,
    clip,
    has_messages,
    role_codes,
)


def first_difference(a: str, b: str) -> int:
    """The index of the first character where two strings differ."""
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


class InconsistentSystemPrompt(RowShareCheck):
    """Rows whose system prompt differs from the one most rows share.

    What it checks: among chat rows, the system prompts (compared with whitespace
    collapsed; a blank prompt counts as none). When one prompt — or having none — covers
    at least `dominant_share` of the rows, every row that differs is reported with the
    majority prompt as excerpt: a different prompt, a missing one, or a prompt where most
    rows have none. Below that share the prompts vary by design (per-task or per-persona
    prompts) and the check passes.
    Why it matters: a fine-tune learns the behaviour *given* its prompt; rows with a
    stray prompt teach the behaviour under conditions inference will not reproduce,
    and a prompt that comes and goes makes the model depend on it unpredictably. Use
    the training prompt verbatim at inference.
    Example: 950 rows start with "You are Acme's support assistant…", 40 have no system
    message, 10 say "You are a helpful assistant."
    Options: `dominant_share` (default 0.7: "most rows" — below it the prompts look
    deliberately varied); `warn_above` / `fail_above` (share of chat rows, default
    0.0 / 1.0: any deviating row warns, never fails — the rows still train, a person
    should decide whether the variation is intended).
    """

    code = "FT116"
    name = "inconsistent-system-prompt"
    severity = Severity.WARNING

    class Options(ShareOptions):
        fail_above: float = Field(1.0, ge=0.0, le=1.0, description="fail above this row share")
        dominant_share: float = Field(
            0.7, gt=0.5, le=1.0, description="share the most common prompt must cover"
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        assert isinstance(self.options, InconsistentSystemPrompt.Options)
        normalized = pl.col("system").str.replace_all(SPACE_RUN, " ").str.strip_chars()
        chat = ctx.train.filter(has_messages()).select(
            "file",
            "line",
            "system",
            pl.when(normalized != "").then(normalized).alias("key"),
            role_codes().str.find("s", literal=True).alias("system_pos"),
        )
        if chat.is_empty():
            return self.not_applicable("no chat rows")
        counts = chat.group_by("key").len().sort("len", "key", descending=True, nulls_last=True)
        top_key, top_rows = counts.row(0)
        share = top_rows / chat.height
        dominant = Metric(
            name="dominant_prompt_share",
            value=round(share, 4),
            note=f"deviations are reported when this is at least {self.options.dominant_share}",
        )
        distinct = Metric(name="distinct_system_prompts", value=counts["key"].drop_nulls().len())
        if counts.height == 1 or share < self.options.dominant_share:
            return self.judge(
                [],
                0,
                chat.height,
                rows="chat rows",
                problem="",
                clean=self.no_deviation(counts.height, top_key, share),
                metrics=[dominant, distinct],
            )
        deviants = chat.filter(pl.col("key").ne_missing(top_key))
        majority = chat.filter(pl.col("key") == top_key).item(0, "system") if top_key else None
        findings = [
            self.finding(
                file,
                line,
                self.deviation(key, top_key, share),
                path=f"messages[{pos}].content" if pos is not None else None,
                excerpt=clip(majority if top_key is not None else system),
                hint="give every row the same system prompt (the one in the excerpt) and use "
                "it verbatim at inference, or drop the odd rows"
                if top_key is not None
                else "drop the system prompt from these rows, or give every row one",
            )
            for file, line, system, key, pos in deviants.iter_rows()
        ]
        return self.judge(
            findings,
            deviants.height,
            chat.height,
            rows="chat rows",
            problem=f"deviate from the system prompt setup {share:.0%} of rows share",
            clean="every chat row follows the majority system prompt",
            metrics=[dominant, distinct],
        )

    def no_deviation(self, prompts: int, top: str | None, share: float) -> str:
        """The summary when nothing is reported."""
        assert isinstance(self.options, InconsistentSystemPrompt.Options)
        if prompts > 1:
            return (
                f"no dominant system prompt: the most common covers {share:.0%} of chat rows "
                f"(below {self.options.dominant_share:.0%}), so the variation looks deliberate"
            )
        if top is None:
            return "no chat row has a system prompt"
        return "every chat row has the same system prompt"

    @staticmethod
    def deviation(key: str | None, top: str | None, share: float) -> str:
        if top is None:
            return f"has a system prompt, while {share:.0%} of chat rows have none"
        if key is None:
            return f"no system prompt, while {share:.0%} of chat rows share one"
        at = first_difference(key, top)
        return (
            f"system prompt differs from the one {share:.0%} of chat rows share, "
            f"from character {at}: {clip(key[max(0, at - 20) :], 60)!r}"
        )


# --- FT117 output format drift -------------------------------------------------------------

FENCED_JSON = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)\n?```", re.S)
#: Markdown block kinds an output may be built from, as multi-line regexes.
BLOCK_KINDS = {
    "headings": r"(?m)^#{1,6}[ \t]+\S",
    "a bulleted list": r"(?m)^[ \t]*[-*+][ \t]+\S",
    "a numbered list": r"(?m)^[ \t]*\d+[.)][ \t]+\S",
    "a table": r"(?m)^[ \t]*\|.*\|[ \t]*$",
    "a code block": r"(?m)^[ \t]*```",
}


@dataclass
class Drift:
    """The structure most outputs share, and why each deviating output breaks it."""

    expected: str
    share: float
    deviants: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JsonOutput:
    form: str | None  # "bare" or "fenced"; None when not JSON
    keys: frozenset[str] | None  # an object's keys; None for an array
    error: str | None  # why text that starts like JSON does not parse


def parse_json_output(text: str) -> JsonOutput:
    fenced = FENCED_JSON.fullmatch(text)
    body, form = (fenced.group(1).strip(), "fenced") if fenced else (text, "bare")
    if not body.startswith(("{", "[")):
        return JsonOutput(None, None, None)
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return JsonOutput(None, None, str(exc))
    return JsonOutput(form, frozenset(value) if isinstance(value, dict) else None, None)


def describe_keys(keys: frozenset[str] | None) -> str:
    return "a JSON array" if keys is None else "{" + ", ".join(sorted(keys)) + "}"


def json_drift(outputs: pl.DataFrame, dominant: float) -> Drift | None:
    """Outputs that break a dominant JSON form (bare or fenced) and key set."""
    looks_like_json = outputs["text"].str.contains(r"^(?:[\[{]|```)")
    if int(looks_like_json.sum()) < dominant * outputs.height:
        return None  # skip parsing: not enough candidates for JSON to dominate
    not_json = JsonOutput(None, None, None)
    parsed = [
        parse_json_output(text) if candidate else not_json
        for text, candidate in zip(outputs["text"], looks_like_json, strict=True)
    ]
    json_rows = [i for i, p in enumerate(parsed) if p.form]
    share = len(json_rows) / outputs.height
    if share < dominant:
        return None
    forms = Counter(parsed[i].form for i in json_rows)
    form, form_rows = forms.most_common(1)[0]
    keysets = Counter(parsed[i].keys for i in json_rows)
    keys, key_rows = keysets.most_common(1)[0]
    judge_form = form_rows / len(json_rows) >= dominant
    judge_keys = key_rows / len(json_rows) >= dominant
    expected = "JSON"
    if judge_keys:
        expected = (
            "a JSON array" if keys is None else f"a JSON object with keys {describe_keys(keys)}"
        )
    if judge_form:
        expected += " in a ```json fence" if form == "fenced" else " (bare, no code fence)"
    drift = Drift(expected, share)
    for i, p in enumerate(parsed):
        if p.form is None:
            what = f"not valid JSON ({p.error})" if p.error else "not JSON"
            drift.deviants[i] = f"{what}, while {share:.0%} of outputs are JSON"
        elif judge_form and p.form != form:
            drift.deviants[i] = (
                "JSON wrapped in a code fence, while most outputs are bare JSON"
                if p.form == "fenced"
                else "bare JSON, while most outputs wrap it in a ```json fence"
            )
        elif judge_keys and p.keys != keys:
            drift.deviants[i] = key_difference(p.keys, keys)
    return drift


def key_difference(found: frozenset[str] | None, expected: frozenset[str] | None) -> str:
    if found is None or expected is None:
        return f"{describe_keys(found)} where most outputs are {describe_keys(expected)}"
    missing = ", ".join(f"`{k}`" for k in sorted(expected - found))
    extra = ", ".join(f"`{k}`" for k in sorted(found - expected))
    parts = [f"missing {missing}" if missing else "", f"extra {extra}" if extra else ""]
    return f"JSON keys differ from the usual {describe_keys(expected)}: " + "; ".join(
        p for p in parts if p
    )


def label_drift(
    outputs: pl.DataFrame, dominant: float, max_words: int, max_labels: int
) -> Drift | None:
    """Outputs off a small label vocabulary, or a label spelled another way.

    A label is a short output (at most `max_words` words) that at least two rows give;
    outputs are labels when at most `max_labels` of them cover the dominant share.
    """
    # A cheap gate first: labels are short, and most outputs must be labels.
    longest = max_words * 24  # characters: generous for a word, a space and punctuation
    if int((outputs["text"].str.len_chars() <= longest).sum()) < dominant * outputs.height:
        return None
    keyed = outputs.select(
        pl.int_range(pl.len()).alias("i"),
        "text",
        pl.col("text").str.to_lowercase().str.strip_chars(" .!?\"'`*").alias("key"),
        (pl.col("text").str.count_matches(r"\S+") <= max_words).alias("short"),
    )
    spellings = keyed.filter(pl.col("short")).group_by("key", "text").len()
    counts = spellings.group_by("key").agg(pl.sum("len")).filter(pl.col("len") >= 2)
    if counts.is_empty() or counts.height > max_labels:
        return None
    share = int(counts["len"].sum()) / outputs.height
    if share < dominant:
        return None
    # The most common spelling of each label is its canonical form.
    canonical = (
        spellings.join(counts.select("key"), on="key")
        .sort("len", "text", descending=[True, False])
        .unique("key", keep="first", maintain_order=True)
        .select("key", pl.col("text").alias("label"), pl.col("len").alias("label_rows"))
    )
    labels = sorted(canonical["label"].to_list())
    shown = ", ".join(f"`{label}`" for label in labels[:8]) + (", …" if len(labels) > 8 else "")
    drift = Drift(f"one of {len(labels)} labels ({shown})", share)
    off = keyed.join(canonical, on="key", how="left").filter(
        ~pl.col("short") | pl.col("label").is_null() | (pl.col("text") != pl.col("label"))
    )
    for i, text, label, label_rows, short in off.select(
        "i", "text", "label", "label_rows", "short"
    ).iter_rows():
        drift.deviants[i] = (
            f"label `{text}` is spelled differently from `{label}` ({label_rows} rows)"
            if short and label is not None
            else f"not one of the {len(labels)} labels {share:.0%} of outputs use ({shown})"
        )
    return drift


def heading_drift(outputs: pl.DataFrame, dominant: float) -> Drift | None:
    """Outputs whose markdown headings differ from the heading skeleton most share."""
    skeletons = outputs.select(
        pl.int_range(pl.len()).alias("i"),
        pl.col("text")
        .str.extract_all(r"(?m)^#{1,6}[ \t]+.*$")
        .list.eval(pl.element().str.strip_chars())
        .list.join(" / ")
        .alias("skeleton"),
    )
    top, rows = skeletons.group_by("skeleton").len().sort("len", descending=True).row(0)
    share = rows / outputs.height
    if not top or share < dominant:
        return None
    usual = clip(top, 60)
    drift = Drift(f"markdown with the headings `{usual}`", share)
    for i, skeleton in skeletons.filter(pl.col("skeleton") != top).iter_rows():
        drift.deviants[i] = (
            f"headings `{clip(skeleton, 60)}` differ from the `{usual}` {share:.0%} of outputs use"
            if skeleton
            else f"no markdown headings, while {share:.0%} of outputs use `{usual}`"
        )
    return drift


def block_drift(outputs: pl.DataFrame, dominant: float) -> Drift | None:
    """Outputs that lack a markdown block kind (table, list, …) most outputs contain."""
    present = outputs.select(
        pl.col("text").str.contains(pattern).alias(kind) for kind, pattern in BLOCK_KINDS.items()
    )
    shares = {kind: int(present[kind].sum()) / outputs.height for kind in BLOCK_KINDS}
    expected = [kind for kind, share in shares.items() if share >= dominant]
    if not expected:
        return None
    lacking = present.with_row_index("i").filter(~pl.all_horizontal(expected))
    drift = Drift(" and ".join(expected), 1.0 - lacking.height / outputs.height)
    for i, *has in lacking.select("i", *expected).iter_rows():
        missing = [kind for kind, there in zip(expected, has, strict=True) if not there]
        names = " or ".join(kind.removeprefix("a ") for kind in missing)
        most = min(shares[kind] for kind in missing)
        drift.deviants[i] = f"no {names}, while {most:.0%} of outputs have one"
    return drift


class OutputFormatDrift(RowShareCheck):
    """Final outputs that break the structure most outputs share.

    What it checks: the final assistant output of each chat row (tool calls excluded).
    It looks for a dominant structure, in this order, and reports the rows that break
    the first one found: (1) JSON — valid JSON objects/arrays, then the same form (bare
    or in a ```json fence) and the same top-level key set; (2) labels — short outputs
    (at most `max_label_words` words) from a small vocabulary (at most `max_labels`
    values, each given by two or more rows), where an output off the vocabulary or a
    label spelled another way (`Positive.` for `positive`) breaks it; (3) a markdown
    heading skeleton (the same headings in the same order); (4) markdown blocks (a table,
    a numbered or bulleted list, headings, a code block) that most outputs contain. A
    structure is dominant when at least `dominant_share` of outputs follow it; with
    fewer than `min_rows` outputs the check does not apply.
    Why it matters: fine-tuning for format adherence works only if the data adheres;
    each deviating example teaches the deviation as a real option, and parsers
    downstream break on exactly those outputs.
    Example: 480 outputs are `{"category": …, "priority": …}`, 15 are prose and 5 wrap
    the JSON in a code fence.
    Options: `dominant_share` (default 0.8: four in five outputs make a format the
    dataset's), `min_rows` (default 10), `max_label_words` (default 4), `max_labels`
    (default 30); `warn_above` / `fail_above` (share of outputs, default 0.0 / 0.05:
    any drift warns; above 5% the model will often produce the other format).
    """

    code = "FT117"
    name = "output-format-drift"
    severity = Severity.WARNING

    class Options(QualityOptions):
        dominant_share: float = Field(
            0.8, gt=0.5, le=1.0, description="share of outputs that makes a structure dominant"
        )
        min_rows: int = Field(10, ge=2, description="fewest outputs to judge a structure on")
        max_label_words: int = Field(4, ge=1, description="longest output read as a label")
        max_labels: int = Field(30, ge=2, description="largest label vocabulary")

    def run(self, ctx: AuditContext) -> CheckResult:
        options = self.options
        assert isinstance(options, OutputFormatDrift.Options)
        outputs = (
            ctx.train.select(
                "file", "line", role_codes(), pl.col("response").str.strip_chars().alias("text")
            )
            # The last assistant turn is a plain answer, not a tool call.
            .filter(
                pl.col("codes").str.contains(r"a[^ac]*$") & (pl.col("text").str.len_bytes() > 0)
            )
        )
        if outputs.height < options.min_rows:
            return self.not_applicable(
                f"{outputs.height} final assistant output(s), fewer than "
                f"min_rows={options.min_rows}"
            )
        dominant = options.dominant_share
        drift = (
            json_drift(outputs, dominant)
            or label_drift(outputs, dominant, options.max_label_words, options.max_labels)
            or heading_drift(outputs, dominant)
            or block_drift(outputs, dominant)
        )
        if drift is None:
            return self.judge(
                [],
                0,
                outputs.height,
                rows="outputs",
                problem="",
                clean="no dominant output structure (free-form outputs): nothing to drift from",
            )
        deviants = outputs.with_row_index("i").filter(pl.col("i").is_in(list(drift.deviants)))
        findings = [
            self.finding(
                file,
                line,
                drift.deviants[i],
                path=f"messages[{codes.rfind('a')}].content",
                excerpt=clip(text),
                hint=f"rewrite the output as {drift.expected}, or drop the row",
            )
            for i, file, line, codes, text in deviants.iter_rows()
        ]
        return self.judge(
            findings,
            len(findings),
            outputs.height,
            rows="outputs",
            problem=f"break the format most outputs share: {drift.expected}",
            clean=f"every output follows {drift.expected}",
            metrics=[
                Metric(name="expected_format", value=drift.expected),
                Metric(
                    name="dominant_format_share",
                    value=round(drift.share, 4),
                    note=f"a structure is judged when at least {dominant} of outputs follow it",
                ),
            ],
        )
