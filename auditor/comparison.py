"""The texts duplicate and leakage checks compare: normalized, role-aware views of each row.

Three views per row, reported separately by the checks:
- `prompt`: what the model is asked — the conversation before the final answer, with a
  template system prompt left out (templated data would otherwise look like one big
  cluster of near-copies);
- `response`: the final answer (for preference rows, the chosen one);
- `example`: the whole row as rendered (every turn, template system prompt left out).

A template is a system prompt that recurs: carried by two rows or more. A rule of
"the one most rows share" misses data built from a few templates: on the benchmark's
100k rows (six personas, about 15% of rows each) it left every persona in, and the
prompt view had 253k verified near-duplicate pairs in 50 clusters, against 4 clusters
with templates left out. Rows sharing a system prompt still compare on everything else
they say; a system prompt only one row carries is that row's content and stays in.

Normalization is what makes "the same" mean the same to a person: Unicode NFKC,
lower case, and runs of whitespace collapsed to one space.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from auditor.batch_engine import on_threads

if TYPE_CHECKING:
    from auditor.artifact_cache import ArtifactCache

#: A system prompt carried by at least this many rows is a template, not content.
TEMPLATE_MIN_ROWS = 2


#: The "role: " that formats.render puts before each turn; normalizing turns the line
#: breaks between turns into spaces, so a prefix follows the start or a space.
ROLE_PREFIX = r"(?:^|\s)(?:system|user|assistant|tool): "


#: A role prefix left bare at the end: an empty last turn renders as "user: ", and the
#: trailing space goes when whitespace is trimmed.
BARE_ROLE = r"(?:^|\s)(?:system|user|assistant|tool):$"


def without_roles(expr: pl.Expr) -> pl.Expr:
    """A rendered view without its role prefixes (they are markup, not content); a view
    of nothing but markup is empty."""
    return expr.str.replace_all(ROLE_PREFIX, " ").str.replace(BARE_ROLE, "").str.strip_chars()


#: A run of whitespace that is not already one space: rewriting only these to " " gives
#: what rewriting every `\s+` would, 4x faster (most runs are a single space).
SPACE_RUN = r"\s{2,}|[^\S ]"


def _collapsed(expr: pl.Expr) -> pl.Expr:
    """Lower case, whitespace runs as one space, trimmed."""
    return expr.str.to_lowercase().str.replace_all(SPACE_RUN, " ").str.strip_chars()


def normalized(expr: pl.Expr) -> pl.Expr:
    """NFKC, lower case, whitespace collapsed, trimmed; null becomes ""."""
    return _collapsed(expr.fill_null("").str.normalize("NFKC"))


#: Texts normalized at a time: each step of `normalized` makes a whole new column, so
#: batches keep those copies small (a million rows' views are gigabytes of text). A batch
#: per core is in flight (polars' string passes release the GIL): 100k chat rows' three
#: views took 1.06 s one batch of 65,536 at a time.
NORMALIZE_BATCH = 32_768


def normalized_texts(texts: pl.Series) -> pl.Series:
    """`normalized` of a column, NFKC applied only to the texts that are not ASCII (NFKC
    leaves ASCII as it is): on 100k rendered chat rows (93 MB, 12% not ASCII) 0.48 s
    against 0.94 s, with the faster whitespace pass. Batch by batch (NORMALIZE_BATCH)."""
    if len(texts) <= NORMALIZE_BATCH:
        return _normalized_batch(texts)
    starts = range(0, len(texts), NORMALIZE_BATCH)
    return pl.concat(
        on_threads(lambda s: _normalized_batch(texts.slice(s, NORMALIZE_BATCH)), starts)
    )


def _normalized_batch(texts: pl.Series) -> pl.Series:
    name = texts.name
    texts = texts.fill_null("")
    wide = (texts.str.len_bytes() != texts.str.len_chars()).arg_true()
    if len(wide):
        texts = texts.scatter(wide, texts.gather(wide).str.normalize("NFKC"))
    return texts.to_frame(name).select(_collapsed(pl.col(name))).to_series()


def template_prompts(frame: pl.DataFrame, templates: bool = True) -> pl.Series:
    """The system prompts of `frame` that are templates (carried by TEMPLATE_MIN_ROWS
    rows), or with `templates=False` the ones that are not."""
    counts = frame.filter(pl.col("system").is_not_null() & (pl.col("system") != ""))
    recurring = pl.col("len") >= TEMPLATE_MIN_ROWS
    return counts.group_by("system").len().filter(recurring if templates else ~recurring)["system"]


def comparison_views(
    frame: pl.DataFrame,
    templates: pl.Series | None = None,
    kept: pl.Series | None = None,
    cache: ArtifactCache | None = None,
    scope: str = "",
) -> pl.DataFrame:
    """One row per input row: `template`, then `prompt`, `response`, `example` normalized.

    `template` numbers the row's system prompt when it is a template (carried by at least
    TEMPLATE_MIN_ROWS rows, or one of `templates`; left out of the views) and is null
    otherwise. Exact-duplicate grouping keeps rows of different templates apart;
    near-duplicate comparison looks at the content alone. An eval split passes the train
    split's templates, so a system prompt left out of train is left out of eval too, and
    the train split's other system prompts as `kept`: one that train keeps as content
    stays in eval's views however often eval repeats it, so the two sides still match.
    With a `cache`, a text normalized in an earlier run is not normalized again.
    """
    system = pl.col("system")
    recurring = pl.len().over("system") >= TEMPLATE_MIN_ROWS
    if kept is not None:
        recurring = recurring & ~system.is_in(kept.implode())
    if templates is not None:
        recurring = recurring | system.is_in(templates.implode())
    is_template = system.is_not_null() & (system != "") & recurring
    numbered = frame.select(
        pl.when(is_template).then(system.rank("dense")).cast(pl.UInt32).alias("template")
    )
    template = pl.col("template").is_not_null()
    source = frame.select("system", "prompt", "response", "text", "chosen").with_columns(numbered)
    views = {
        "prompt": _without_template(pl.col("prompt"), template),
        "response": pl.coalesce(pl.col("chosen"), pl.col("response"), pl.col("text")),
        # The whole rendered row, so turns after the final answer still count.
        "example": _without_template(pl.coalesce(pl.col("text"), pl.col("prompt")), template),
    }
    # One view per select: all three at once held every intermediate string column at the
    # same time (peak 400 MB on 100k chat rows, against 190 MB this way, and 3.1 s vs 2.2 s).
    columns = [_normalized_view(source, expr, name, cache, scope) for name, expr in views.items()]
    return pl.concat([numbered, *columns], how="horizontal")


def _normalized_view(
    source: pl.DataFrame, expr: pl.Expr, name: str, cache: ArtifactCache | None, scope: str
) -> pl.DataFrame:
    """One normalized view; through the cache, keyed by the seeded hash of the text before
    normalizing (NFKC and the whitespace pass are most of the cost of this table).
    Without a cache, the view is built and normalized batch by batch of rows, so that no
    whole un-normalized copy of it exists (1M chat rows: ~0.9 GB for the example view)."""
    if cache is None:

        def batch(start: int) -> pl.Series:
            raw = source.slice(start, NORMALIZE_BATCH).select(expr.alias(name)).to_series()
            return _normalized_batch(raw)

        parts = on_threads(batch, range(0, source.height, NORMALIZE_BATCH))
        return (pl.concat(parts) if parts else pl.Series(name, [], pl.String)).to_frame()
    raw = source.select(expr.fill_null("").alias(name)).to_series()
    from auditor.artifact_cache import cached_per_text, namespace_name

    space = namespace_name("normalized/2", polars=pl.__version__)
    kind, where = "normalized texts", f"{scope}:{name}"
    values = cached_per_text(cache, kind, space, where, raw, normalized_texts, pl.String())
    return values.alias(name).to_frame()


def _without_template(rendered: pl.Expr, template: pl.Expr) -> pl.Expr:
    """Drop the leading "system: <prompt>" line formats.render writes, for template rows."""
    rendered = rendered.fill_null("")
    prefix = pl.concat_str(pl.lit("system: "), pl.col("system"), pl.lit("\n"))
    return (
        pl.when(template & rendered.str.starts_with(prefix))
        .then(rendered.str.slice(prefix.str.len_chars()))
        .otherwise(rendered)
    )


#: Separates the parts of a composite key; it cannot occur in normalized text by accident
#: often enough to matter, and a collision would still need every other part to match.
SEPARATOR = "\x1f"


def comparison_table(
    frame: pl.DataFrame,
    templates: pl.Series | None = None,
    kept: pl.Series | None = None,
    cache: ArtifactCache | None = None,
    scope: str = "",
) -> pl.DataFrame:
    """Per row: row (index), file, line, the normalized views, and a duplicate `key`.

    The key is the `example` view; a preference row adds its rejected answer (the same
    prompt + chosen with another rejected is a different pair), a KTO row its label. Rows
    with an empty example get an empty key and are never duplicates.
    """
    preference = pl.col("chosen").is_not_null() & pl.col("rejected").is_not_null()
    kto = pl.col("label").is_not_null()
    base = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
        "file",
        "line",
        preference.alias("preference"),
        (kto & ~preference).alias("kto"),
        normalized(pl.col("rejected")).alias("rejected"),
        pl.col("label").cast(pl.String).fill_null("").alias("label"),
        pl.coalesce(pl.col("chosen"), pl.col("response"), pl.col("text"))
        .fill_null("")
        .str.len_chars()
        .alias("response_chars"),
    )
    views = comparison_views(frame, templates, kept, cache, scope)
    table = pl.concat([base, views], how="horizontal")
    example = pl.col("example")
    # Only rows whose key is not their example hold one: a full copy of every example
    # would cost as much memory as the example view itself (~90 MB per 100k chat rows).
    key = (
        pl.when(example == "")
        .then(pl.lit(""))
        .when(pl.col("preference"))
        .then(pl.concat_str(example, pl.lit(SEPARATOR), pl.col("rejected")))
        .when(pl.col("kto"))
        .then(pl.concat_str(example, pl.lit(SEPARATOR), pl.col("label")))
    )
    return table.with_columns(key.alias("key"))


#: The duplicate key of a comparison_table row: its example, plus the rejected answer of
#: a preference pair or the label of a KTO row.
DUPLICATE_KEY = pl.coalesce(pl.col("key"), pl.col("example"))
