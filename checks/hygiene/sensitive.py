"""FT601, FT602: personal data and secrets in the texts a model sees or learns."""

from __future__ import annotations

from dataclasses import fields
from typing import ClassVar, get_args

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import Field, field_validator

from auditor.artifact_cache import cached_flags, namespace_name, package_version
from auditor.check import CheckResult, Finding, Metric, Severity
from auditor.context import AuditContext
from auditor.sensitive import (
    ALL_KINDS,
    KIND_LABELS,
    PII_KINDS,
    SECRET_KINDS,
    SPAN_SCHEMA,
    DetectOptions,
    check_region,
    find_spans,
    find_spans_on,
    masked_excerpt,
    prefilter,
)
from auditor.sensitive.credentials import SecretKind
from auditor.sensitive.pii import PiiKind
from checks.common import RowShareCheck, ShareOptions, content_texts, counted, tool_call_table

#: Roles reported as metrics (`in_user` …): rows with a finding in that role.
ROLES = ("system", "user", "assistant", "tool", "text")


def texts_to_scan(frame: pl.DataFrame, pattern: str) -> pl.DataFrame:
    """Every text the model sees or learns, as (row, file, line, path, role, text).

    Messages (by role), tool-call arguments, declared tools, a plain row's `text` and a
    preference pair's answers; only texts the cheap `pattern` matches are kept (the
    filter runs in polars, before any row is exploded).
    """
    messages, others = content_texts(frame, pattern)
    arguments = pl.element().struct.field("arguments").str.contains(pattern)
    calls = tool_call_table(
        frame, where=lambda m: m("tool_calls").list.eval(arguments).list.any()
    ).select(
        "row",
        "file",
        "line",
        pl.format("messages[{}].tool_calls[{}].arguments", "pos", "call").alias("path"),
        pl.lit("assistant").alias("role"),
        pl.col("arguments").alias("text"),
    )
    indexed = frame.with_row_index("row")
    tools = (
        indexed.filter(pl.col("tools").list.eval(pl.element().str.contains(pattern)).list.any())
        .select("row", "file", "line", "tools")
        .explode("tools")
        .with_columns(pos=pl.int_range(pl.len()).over("row"))
        .select(
            "row",
            "file",
            "line",
            pl.format("tools[{}]", "pos").alias("path"),
            pl.lit("system").alias("role"),
            pl.col("tools").alias("text"),
        )
    )
    return (
        pl.concat([messages, calls, tools, others], how="vertical_relaxed")
        .filter(pl.col("text").str.contains(pattern))
        .sort("row", maintain_order=True)
    )


def role_label(role: str, path: str) -> str:
    if path == "text":
        return "the text"
    if ".tool_calls[" in path:
        return "an assistant tool call's arguments"
    if path.startswith("tools["):
        return "a tool declaration"
    if path in ("chosen", "rejected"):
        return f"the {path} answer"
    # "a user", "an assistant": the article follows the sound, not the letter.
    return f"{'an' if role[:1] in 'aeio' else 'a'} {role} message"


class SensitiveCheck(RowShareCheck):
    """Shared run(): scan, mask, count per kind and per role, judge by row share."""

    family: ClassVar[str] = "hygiene"
    kinds: ClassVar[tuple[str, ...]] = ()
    hints: ClassVar[dict[str, str]] = {}
    noun: ClassVar[str] = ""

    def detect_options(self) -> DetectOptions:
        """The detector settings of this check's options (`ftaudit redact` uses them): its
        kinds, and every other DetectOptions field its Options have."""
        options = self.options.model_dump()
        names = {f.name for f in fields(DetectOptions)} & options.keys()
        return DetectOptions(
            **{name: options[name] for name in names - {"kinds"}}, kinds=frozenset(options["kinds"])
        )

    def run(self, ctx: AuditContext) -> CheckResult:
        frame = ctx.train
        if frame.is_empty():
            return self.not_applicable("no rows")
        options = self.detect_options()
        pattern = prefilter(options)
        if pattern is None:
            return self.not_applicable("no kinds selected")
        texts = texts_to_scan(frame, pattern)
        spans = self.spans(ctx, texts["text"], options)
        findings = self.findings(texts, spans)
        located = spans.join(
            texts.with_row_index("index").select("index", "row", "role"), on="index"
        )
        per_kind = dict(located["kind"].value_counts().iter_rows())
        metrics = [Metric(name="kinds", value=counted(per_kind, top=len(per_kind)) or None)]
        metrics += [
            Metric(name=f"{kind.lower()}_count", value=per_kind.get(kind, 0))
            for kind in self.kinds
            if kind in options.kinds
        ]
        by_role = located.with_columns(
            role=pl.when(pl.col("role").is_in(ROLES)).then("role").otherwise(pl.lit("other"))
        )
        rows_per_role = dict(by_role.group_by("role").agg(pl.col("row").n_unique()).iter_rows())
        metrics += [
            Metric(name=f"in_{role}", value=int(rows_per_role.get(role, 0)), unit="rows")
            for role in (*ROLES, "other")
            if role != "other" or role in rows_per_role
        ]
        return self.judge(
            findings,
            located["row"].n_unique(),
            frame.height,
            rows="rows",
            problem=f"contain {self.noun}",
            clean=f"no {self.noun} found",
            metrics=metrics,
        )

    def spans(self, ctx: AuditContext, texts: pl.Series, options: DetectOptions) -> pl.DataFrame:
        """`find_spans(texts)`, with each distinct text's "has a span" kept in the artifact
        cache: a warm re-run (the pre-commit hook) validates only new texts and the few
        that hold something. The cache keeps no value, only the yes/no."""
        store = ctx.artifact_cache
        if store is None:
            return find_spans_on(ctx.engine, texts, options)

        def hit_index(fresh: pl.Series) -> npt.NDArray[np.integer]:
            return find_spans_on(ctx.engine, fresh, options).get_column("index").to_numpy()

        name = namespace_name(
            "sensitive-spans",
            **vars(options),
            # Its metadata decides which numbers are valid (read without importing it).
            phonenumbers=package_version("phonenumberslite"),
            polars=pl.__version__,
        )
        scope = ctx.cache_scope("train")
        kind = f"{self.noun} spans"  # one per check: a kind keeps one namespace per scope
        keep = np.flatnonzero(cached_flags(store, kind, name, scope, texts, hit_index))
        spans = find_spans(texts.gather(keep), options)
        where = keep[spans.get_column("index").to_numpy()]
        return spans.with_columns(pl.Series("index", where, dtype=SPAN_SCHEMA["index"]))

    def findings(self, texts: pl.DataFrame, spans: pl.DataFrame) -> list[Finding]:
        """One finding per span; the excerpt masks every sensitive value in view, of any
        kind (FT601's excerpt must not show a key that sits beside an address)."""
        found: list[Finding] = []
        rows = texts.select("file", "line", "path", "role", "text").rows()
        others = other_spans(texts, spans, self.kinds)
        for (index,), group in spans.group_by("index", maintain_order=True):
            file, line, path, role, text = rows[int(index)]
            kinds = group["kind"].to_list()
            own = list(zip(group["start"].to_list(), group["end"].to_list(), strict=True))
            shown = merged([*own, *others.get(int(index), [])])
            for (start, _), kind in zip(own, kinds, strict=True):
                focus = next(i for i, (s, e) in enumerate(shown) if s <= start < e)
                found.append(
                    self.finding(
                        file,
                        line,
                        f"{KIND_LABELS[kind]} in {role_label(role, path)}",
                        path=path,
                        excerpt=masked_excerpt(text, shown, focus),
                        hint=self.hints.get(role, self.hints["default"]),
                    )
                )
        return found


def other_spans(
    texts: pl.DataFrame, spans: pl.DataFrame, own: tuple[str, ...]
) -> dict[int, list[tuple[int, int]]]:
    """Spans of the kinds a check does not report, in the texts it reports on."""
    indexes = spans["index"].unique(maintain_order=True)
    kinds = frozenset(ALL_KINDS) - set(own)
    if indexes.is_empty() or not kinds:
        return {}
    extra = find_spans(texts["text"].gather(indexes), DetectOptions(kinds=kinds))
    positions = indexes.to_list()
    out: dict[int, list[tuple[int, int]]] = {}
    for index, start, end in extra.select("index", "start", "end").iter_rows():
        out.setdefault(positions[index], []).append((start, end))
    return out


def merged(bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted intervals with overlapping ones joined."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(bounds):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


class PersonalData(SensitiveCheck):
    """Personal data: emails, phone numbers, payment cards, IBANs, US SSNs, IP addresses.

    What it checks: every text a model sees or learns (messages by role, tool-call
    arguments, tool declarations, a plain row's text, preference answers) for personal
    data, each kind validated so that look-alikes stay quiet: an email needs a real
    domain (RFC 2606 documentation domains such as example.com are skipped); a phone number
    must parse as a valid number with libphonenumber (a bare digit run counts only after
    "phone", "call" …); a card number must pass Luhn and carry a card network's prefix; an
    IBAN must have its country's length and pass mod-97; an SSN must be in the issued
    ranges; an IP address must be public (private, loopback, documentation and reserved
    ranges are skipped, and so is `version 1.2.3.4`). Findings name the kind and the role
    it sits in, with the value masked; metrics count each kind and the rows per role
    (`in_user`, `in_assistant` …).
    Why it matters: personal data in the assistant's answers is what the model learns to
    emit, to anyone; in the user's prompts it is data the team may have no right to train
    on. Both are a data-protection question (GDPR, CCPA) before they are a quality one.
    Example: `{"role": "assistant", "content": "Sure, Jane's card is 4539 1488 …"}`.
    Options: `kinds` (default: all six); `include_private_ips` (default false);
    `include_example_domains` (default false); `phone_region` (default "US": the region
    numbers without a country code are read in; null: only `+…` numbers);
    `warn_above` / `fail_above` (share of rows, default 0.0 / 0.01). Any personal data
    warns: a few addresses in support transcripts are common and `ftaudit redact` fixes
    them. Above one row in a hundred the set was built from raw customer data, which needs
    a data-protection review before anyone trains on it, so the check fails.
    """

    code = "FT601"
    name = "personal-data"
    severity = Severity.WARNING
    kinds = PII_KINDS
    noun = "personal data"
    hints: ClassVar[dict[str, str]] = {
        "assistant": "the model learns to repeat this: replace it (`ftaudit redact`) or drop "
        "the row",
        "user": "personal data in a prompt: redact it (`ftaudit redact`) unless the "
        "people consented to training use",
        "default": "redact it with `ftaudit redact`, or drop the row",
    }

    class Options(ShareOptions):
        kinds: list[PiiKind] = Field(
            default_factory=lambda: list(get_args(PiiKind)), description="kinds of personal data"
        )
        include_private_ips: bool = False
        include_example_domains: bool = False
        phone_region: str | None = "US"
        fail_above: float = Field(0.01, ge=0.0, le=1.0, description="fail above this share")

        @field_validator("phone_region")
        @classmethod
        def _known_region(cls, value: str | None) -> str | None:
            return check_region(value)


class Secrets(SensitiveCheck):
    """Secrets: provider API keys, private keys, JWTs, passwords, high-entropy tokens.

    What it checks: the same texts as FT601 for credentials: AWS access key ids and secret
    keys, GitHub tokens, OpenAI and Anthropic API keys, Slack tokens and webhooks, Stripe
    live keys, Google API keys, private key blocks (with a body), JSON Web Tokens (whose
    header decodes), `password=`-style assignments, and random-looking tokens assigned to
    a key-like name (`api_key = "…"`, `"token": "…"`, `Bearer …`) whose Shannon entropy
    exceeds detect-secrets' limits (4.5 bits/char for base64, 3.0 for hex, at least 20
    characters). Documentation values are skipped: AWS's `…EXAMPLE` keys, `sk-xxxx` and
    `your-key-here` fillers, jwt.io's sample token, UUIDs. Findings never show a secret:
    a four-character prefix and the length at most.
    Why it matters: a model trained on a live key can print it to anyone who asks in the
    right way, and a key in a training file is already leaked to everyone with the file.
    Example: `{"role": "user", "content": "my key is sk-proj-…, why does it fail?"}`.
    Options: `kinds` (default: all); `entropy_base64` / `entropy_hex` / `entropy_min_length`
    (defaults 4.5 / 3.0 / 20, detect-secrets' defaults); `warn_above` / `fail_above`
    (default 0.0 / 0.0: any secret fails, since one leaked key is an incident: revoke it,
    then redact).
    """

    code = "FT602"
    name = "secrets"
    kinds = SECRET_KINDS
    noun = "secrets"
    hints: ClassVar[dict[str, str]] = {
        "default": "revoke or rotate the credential (it is leaked already), then replace it "
        "with `ftaudit redact`",
    }

    class Options(ShareOptions):
        kinds: list[SecretKind] = Field(
            default_factory=lambda: list(get_args(SecretKind)), description="kinds of secrets"
        )
        entropy_base64: float = Field(4.5, gt=0.0, le=6.0)
        entropy_hex: float = Field(3.0, gt=0.0, le=4.0)
        entropy_min_length: int = Field(20, ge=16, le=256)
