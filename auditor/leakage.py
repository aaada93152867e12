"""Train/eval leakage: exact and near-duplicate (MinHash LSH) overlap; n-grams: auditor.ngrams.

Batch functions over the comparison tables of auditor.comparison (normalized views; a
template system prompt left out on both sides), returning polars frames of matches
between eval rows and train rows: `eval_row` and `train_row` index the two tables,
`side` says which text matched (`prompt`, `response` or `example`).

What is not a leak. A text too short to be told from a coincidence (under `min_words`
words of content), and a *generic* text: one that, with its near-copies, `generic_at`
or more different counterparts share in train — a label ("positive") that many prompts
map to, a canned answer, an answer template that differs only in an order number, a
stock instruction ("Write a poem.") with many answers. Matching one of those
says nothing about this eval row. An n-gram that recurs across many train texts or many
eval texts is a template (a templated question's fixed wording), reported apart from a
verbatim copy.

Scale. The train side is indexed once per audit (the LSH index: each band's keys sorted;
auditor.ngrams: one streaming pass over the distinct train texts against the eval
side's n-gram hashes). Every step is an array or polars operation;
nothing compares strings in a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from auditor.comparison import without_roles
from auditor.minhash import (
    MinHashParams,
    TextSignatures,
    band_key,
    live_rows,
)

U16 = npt.NDArray[np.uint16]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: The sides an exact or near match can be on, in report order.
SIDES = ("prompt", "response", "example")
#: What `formats.render` puts before each turn; not content when counting words.
MATCH_SCHEMA = {
    "eval_row": pl.UInt32,
    "train_row": pl.UInt32,
    "side": pl.String,
    "similarity": pl.Float64,
}


@dataclass(frozen=True)
class LeakFilter:
    """What counts as a leak at all (see the module docstring)."""

    min_words: int = 3
    generic_at: int = 3


def content_words(expr: pl.Expr) -> pl.Expr:
    """Words of content in a normalized view: role prefixes are not content, and a script
    written without spaces (Chinese, Japanese, Thai) counts four characters as a word."""
    content = without_roles(expr)
    characters = content.str.replace_all(r"\s+", "").str.len_chars()
    return pl.max_horizontal(content.str.count_matches(r"\w+"), characters // 4)


#: A prompt this short can be a stock instruction ("Write a poem."); a longer one that
#: several answers share is one question sampled several times, and still a leak.
STOCK_PROMPT_WORDS = 12


def generic_rows(
    train: pl.DataFrame,
    side: str,
    generic_at: int,
    labels: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.bool_]:
    """Train rows whose `side` text is generic: the text (with its near-copies, when
    `labels` gives each row's near-duplicate cluster on that view, -1 for none) goes
    with `generic_at` or more different counterparts. On the answer side: a label
    ("positive"), a canned answer, an answer template that differs only in an order
    number. On the prompt side, only a short one (STOCK_PROMPT_WORDS): a stock
    instruction ("Write a poem.") with many answers."""
    if side not in ("prompt", "response"):
        return np.zeros(train.height, dtype=bool)
    other = "response" if side == "prompt" else "prompt"
    text = pl.col(side)
    group = text.rank("dense").cast(pl.Int64) + (0 if labels is None else len(labels))
    if labels is not None:
        # Rows in no cluster group with their identical texts only.
        group = pl.when(pl.col("label") >= 0).then(pl.col("label")).otherwise(group)
    columns: list[pl.Expr | pl.Series] = [text, pl.col(other)]
    if labels is not None:
        columns.append(pl.Series("label", labels))
    generic = (text != "") & (pl.col(other).n_unique().over(group) >= generic_at)
    if side == "prompt":
        generic = generic & (content_words(text) < STOCK_PROMPT_WORDS)
    return train.select(*columns).select(generic).to_series().to_numpy()


def template_rows(
    labels: npt.NDArray[np.int64], inverse: npt.NDArray[np.int64], at: int
) -> npt.NDArray[np.bool_]:
    """Rows whose near-duplicate cluster holds `at` or more distinct texts: one template
    filled with many different contents, not one example copied."""
    if labels.size == 0:
        return np.zeros(0, dtype=bool)
    frame = pl.DataFrame({"label": labels, "text": inverse})
    distinct = pl.col("text").n_unique().over("label")
    return frame.select((pl.col("label") >= 0) & (distinct >= at)).to_series().to_numpy()


def _comparable(table: pl.DataFrame, side: str, leak: LeakFilter) -> pl.Expr:
    """Eval rows whose `side` text can leak: long enough, and (for the whole example) a
    row with an answer — a prompt-only row is checked on its prompt alone."""
    text = pl.col(side)
    usable = (text != "") & (content_words(text) >= leak.min_words)
    if side == "example":
        usable = usable & (pl.col("response") != "")
    return usable


def _empty_matches() -> pl.DataFrame:
    return pl.DataFrame(schema=MATCH_SCHEMA)


# --- exact --------------------------------------------------------------------------------


def exact_matches(
    train: pl.DataFrame,
    evals: pl.DataFrame,
    leak: LeakFilter,
    generic: dict[str, npt.NDArray[np.bool_]],
) -> pl.DataFrame:
    """Eval rows whose normalized prompt, answer or whole example equals a train row's, per
    side; train rows whose text on that side is generic (`generic`, see generic_rows)
    never match. An identical whole example is always a leak.

    A hash join on the text itself (polars compares the strings of equal hashes), so a
    hash collision can never make a match.
    """
    found = []
    for side in SIDES:
        queries = evals.filter(_comparable(evals, side, leak)).select(
            pl.col("row").alias("eval_row"), pl.col(side).alias("text")
        )
        specific = pl.Series(~generic.get(side, np.zeros(train.height, dtype=bool)))
        specific = specific & (train.get_column(side) != "")
        targets = train.filter(specific).select(
            pl.col("row").alias("train_row"), pl.col(side).alias("text")
        )
        matched = queries.join(targets, on="text").select(
            "eval_row",
            "train_row",
            pl.lit(side).alias("side"),
            pl.lit(1.0).alias("similarity"),
        )
        found.append(matched)
    return pl.concat(found).cast(MATCH_SCHEMA).sort("eval_row", "side", "train_row")  # type: ignore[arg-type]


# --- near duplicates: one LSH index over train, many queries ------------------------------


@dataclass(frozen=True)
class TrainIndex:
    """LSH index of the train side's distinct texts: per band, the keys sorted."""

    signed: TextSignatures
    params: MinHashParams
    #: Per band: (sorted band keys, the distinct-text index of each key).
    bands: tuple[tuple[U64, I64], ...]

    @classmethod
    def build(cls, signed: TextSignatures, params: MinHashParams) -> TrainIndex:
        live = np.flatnonzero(live_rows(signed.sigs) & signed.nonempty).astype(np.int64)
        bands = []
        for band in range(params.bands()[0]):
            keys = band_key(signed.sigs[live], band, params)
            order = np.argsort(keys, kind="stable")
            bands.append((keys[order], live[order]))
        return cls(signed, params, tuple(bands))

    def query(self, sigs: U16, max_bucket: int | None = None) -> tuple[I64, I64, F64]:
        """(query index, distinct train text, estimated Jaccard) of every verified match.

        A query meets the train texts sharing one of its band keys (at most `max_bucket`
        per band, the params' default: a huge bucket of templated texts costs linear
        work, and a true near-copy shares other bands too); each candidate counts only
        when its estimated Jaccard reaches the threshold.
        """
        limit = self.params.max_bucket if max_bucket is None else max_bucket
        live = np.flatnonzero(live_rows(sigs)).astype(np.int64)
        found: list[tuple[I64, I64]] = []
        for band, (keys, ids) in enumerate(self.bands):
            if live.size == 0 or keys.size == 0:
                break
            query_keys = band_key(sigs[live], band, self.params)
            lo = np.searchsorted(keys, query_keys, side="left")
            hi = np.searchsorted(keys, query_keys, side="right")
            counts = np.minimum(hi - lo, limit)
            if not counts.any():
                continue
            queries = np.repeat(live, counts)
            # Positions lo, lo+1, … within each query's bucket, without a Python loop.
            starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
            found.append((queries, ids[starts + np.arange(counts.sum())]))
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=np.float64)
        q = np.concatenate([f[0] for f in found])
        t = np.concatenate([f[1] for f in found])
        codes = np.unique(q * np.int64(self.signed.sigs.shape[0] + 1) + t)
        q, t = codes // (self.signed.sigs.shape[0] + 1), codes % (self.signed.sigs.shape[0] + 1)
        equal = sigs[q] == self.signed.sigs[t]
        similarity = np.count_nonzero(equal, axis=1) / sigs.shape[1]
        keep = similarity >= self.params.threshold
        return q[keep], t[keep], similarity[keep]


def _rows_of(signed: TextSignatures, name: str, distinct: str) -> pl.DataFrame:
    """Row ↔ distinct-text map of a signed column."""
    return pl.DataFrame(
        {
            name: np.arange(signed.rows, dtype=np.uint32),
            distinct: signed.inverse.astype(np.int64),
        }
    )


def near_matches(
    side: str,
    index: TrainIndex,
    queries: TextSignatures,
    train: pl.DataFrame,
    evals: pl.DataFrame,
    leak: LeakFilter,
    generic: npt.NDArray[np.bool_],
) -> pl.DataFrame:
    """Eval rows whose `side` text is a near-copy of a train row's (estimated Jaccard at
    least the threshold), found by querying the train LSH index with the eval signatures;
    train rows whose `side` text is generic (see generic_rows) never match.

    `queries` are the eval signatures of `side` (one per distinct eval text); identical
    train or eval texts share one signature, and the matches are expanded to rows here.
    """
    usable = evals.select(_comparable(evals, side, leak)).to_series().to_numpy()
    wanted = np.zeros(len(queries.first), dtype=bool)
    wanted[queries.inverse[usable]] = True
    wanted &= queries.nonempty
    sigs = queries.sigs.copy()
    sigs[~wanted] = np.uint16(0xFFFF)  # EMPTY: such texts are not queried
    q, t, similarity = index.query(sigs)
    if q.size == 0:
        return _empty_matches()
    pairs = pl.DataFrame({"eval_text": q, "train_text": t, "similarity": similarity})
    specific = np.flatnonzero(~generic).astype(np.uint32)
    matched = (
        pairs.join(_rows_of(queries, "eval_row", "eval_text"), on="eval_text")
        .join(_rows_of(index.signed, "train_row", "train_text"), on="train_text")
        .filter(
            pl.col("eval_row").is_in(pl.Series(np.flatnonzero(usable), dtype=pl.UInt32).implode())
            & pl.col("train_row").is_in(pl.Series(specific, dtype=pl.UInt32).implode())
        )
        .select("eval_row", "train_row", pl.lit(side).alias("side"), "similarity")
    )
    return matched.cast(MATCH_SCHEMA).sort("eval_row", "train_row")  # type: ignore[arg-type]
