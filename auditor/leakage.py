"""Train/eval leakage: exact, near-duplicate (MinHash LSH) and long n-gram overlap.

Batch functions over the comparison tables of auditor.comparison (normalized views; a
template system prompt left out on both sides), returning polars frames of matches
between eval rows and train rows: `eval_row` and `train_row` index the two tables,
`side` says which text matched (`prompt`, `response` or `example`).

What is not a leak. A text too short to be told from a coincidence (under `min_words`
words of content), and a *generic* text: one that `generic_at` or more different
counterparts share in train — a label ("positive") that many prompts map to, a canned
answer, a stock instruction ("Write a poem.") with many answers. Matching one of those
says nothing about this eval row. An n-gram that recurs across many train texts or many
eval texts is a template (a templated question's fixed wording), reported apart from a
verbatim copy.

Scale. The train side is indexed once per audit (the LSH index: each band's keys sorted;
the n-gram pass: one streaming pass over the distinct train texts against a sorted
array of the eval side's n-gram hashes). Every step is an array or polars operation;
nothing compares strings in a Python loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from auditor.minhash import (
    MinHashParams,
    TextSignatures,
    band_key,
    live_rows,
    mix64,
    word_tokens,
)

U16 = npt.NDArray[np.uint16]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: The sides an exact or near match can be on, in report order.
SIDES = ("prompt", "response", "example")
#: What `formats.render` puts before each turn; not content when counting words.
_ROLE_PREFIX = r"(?m)^(?:system|user|assistant|tool): "
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
    """Words of content in a normalized view (role prefixes are not content)."""
    return expr.str.replace_all(_ROLE_PREFIX, "").str.count_matches(r"\w+")


def generic_texts(train: pl.DataFrame, side: str, generic_at: int) -> pl.Series:
    """Train texts of `side` that `generic_at` or more different counterparts share (the
    answers of a prompt, the prompts of an answer): labels, canned answers, instructions."""
    if side not in ("prompt", "response"):
        return pl.Series(side, [], dtype=pl.String)
    other = "response" if side == "prompt" else "prompt"
    counts = (
        train.filter(pl.col(side) != "")
        .group_by(side)
        .agg(pl.col(other).n_unique().alias("others"))
        .filter(pl.col("others") >= generic_at)
    )
    return counts.get_column(side)


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


def exact_matches(train: pl.DataFrame, evals: pl.DataFrame, leak: LeakFilter) -> pl.DataFrame:
    """Eval rows whose normalized prompt or answer equals a train row's, per side.

    A hash join on the text itself (polars compares the strings of equal hashes), so a
    hash collision can never make a match.
    """
    found = []
    for side in ("prompt", "response"):
        generic = generic_texts(train, side, leak.generic_at)
        queries = evals.filter(_comparable(evals, side, leak)).select(
            pl.col("row").alias("eval_row"), pl.col(side).alias("text")
        )
        targets = train.filter(pl.col(side) != "").select(
            pl.col("row").alias("train_row"), pl.col(side).alias("text")
        )
        matched = (
            queries.filter(~pl.col("text").is_in(generic.implode()))
            .join(targets, on="text")
            .select(
                "eval_row",
                "train_row",
                pl.lit(side).alias("side"),
                pl.lit(1.0).alias("similarity"),
            )
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
) -> pl.DataFrame:
    """Eval rows whose `side` text is a near-copy of a train row's (estimated Jaccard at
    least the threshold), found by querying the train LSH index with the eval signatures.

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
    generic = generic_texts(train, side, leak.generic_at)
    if generic.len():
        texts = train.get_column(side).gather(index.signed.first[t])
        pairs = pairs.filter(~texts.is_in(generic.implode()))
    matched = (
        pairs.join(_rows_of(queries, "eval_row", "eval_text"), on="eval_text")
        .join(_rows_of(index.signed, "train_row", "train_text"), on="train_text")
        .filter(
            pl.col("eval_row").is_in(pl.Series(np.flatnonzero(usable), dtype=pl.UInt32).implode())
        )
        .select("eval_row", "train_row", pl.lit(side).alias("side"), "similarity")
    )
    return matched.cast(MATCH_SCHEMA).sort("eval_row", "train_row")  # type: ignore[arg-type]


# --- long n-grams -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NgramParams:
    """GPT-3 / lm-eval style contamination: shared word n-grams.

    `n` words (13, as in GPT-3's decontamination and lm-evaluation-harness); an eval text
    shorter than `n` words uses all its words, down to `min_n` (8); shorter texts are
    left to the exact check. An n-gram that `template_texts` or more distinct train texts,
    or as many eval texts, contain is a template.
    """

    n: int = 13
    min_n: int = 8
    template_texts: int = 5
    batch_texts: int = 4096


@dataclass(frozen=True)
class NgramHits:
    """What the n-gram pass found.

    `rows`: one row per eval row and side with a hit — eval_row, side, kind (`verbatim`
    when any shared n-gram is not a template, else `template`), span (the longest run of
    shared words of that kind), start (its first word in the eval text), n.
    `pairs`: eval_row, side, kind, train_row — the train rows that share that kind of
    n-gram with the eval row (for a template, at most `template_texts` distinct texts).
    """

    rows: pl.DataFrame
    pairs: pl.DataFrame


_BASE = np.uint64(0x100000001B3)  # odd, so it has an inverse modulo 2**64


def _inverse_mod64(a: int) -> int:
    return pow(a, -1, 1 << 64)


def window_hashes(tokens: U64, lengths: I64, n: int) -> tuple[U64, I64, I64]:
    """Hashes of every n-word window of each text: (hash, text, first word of the window).

    A polynomial rolling hash over the flat token array (one cumulative sum, whatever n),
    finished with a 64-bit mixer; windows never cross from one text into the next.
    """
    total = tokens.size
    ends = np.cumsum(lengths)
    starts = ends - lengths
    counts = np.maximum(lengths - (n - 1), 0)
    if total == 0 or counts.sum() == 0:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0, dtype=np.uint64), empty, empty
    with np.errstate(over="ignore"):
        powers = _power_table(_BASE, total + 1)
        inverse = _power_table(np.uint64(_inverse_mod64(int(_BASE))), total + 1)
        prefix = np.zeros(total + 1, dtype=np.uint64)
        np.cumsum(tokens * powers[:total], out=prefix[1:])
        doc = np.repeat(np.arange(len(lengths), dtype=np.int64), counts)
        offset = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        first = starts[doc] + offset
        window = (prefix[first + n] - prefix[first]) * inverse[first]
    return mix64(window), doc, offset


def _power_table(base: np.uint64, count: int) -> U64:
    """base**0 … base**(count-1) modulo 2**64, by repeated doubling of a block."""
    out = np.empty(count, dtype=np.uint64)
    out[0] = 1
    filled = 1
    with np.errstate(over="ignore"):
        while filled < count:
            take = min(filled, count - filled)
            out[filled : filled + take] = out[:take] * _power(base, filled)
            filled += take
    return out


def _power(base: np.uint64, exponent: int) -> np.uint64:
    return np.uint64(pow(int(base), exponent, 1 << 64))


def _eval_ngrams(evals: pl.DataFrame, params: NgramParams) -> pl.DataFrame:
    """Every n-gram of every eval prompt and answer: hash, eval_row, side, pos, n."""
    parts = []
    for side in ("prompt", "response"):
        tokens, lengths = word_tokens(evals.get_column(side))
        sizes = np.minimum(lengths, params.n)
        for n in np.unique(sizes[sizes >= params.min_n]).tolist():
            chosen = sizes == n
            # Tokens of the chosen texts only: the flat array is cut text by text.
            keep = np.repeat(chosen, lengths)
            hashes, doc, pos = window_hashes(tokens[keep], lengths[chosen], n)
            rows = np.flatnonzero(chosen)[doc]
            parts.append(
                pl.DataFrame(
                    {
                        "hash": hashes,
                        "eval_row": rows.astype(np.uint32),
                        "side": side,
                        "pos": pos.astype(np.int32),
                        "n": np.full(hashes.size, n, dtype=np.int32),
                    }
                )
            )
    if not parts:
        return pl.DataFrame(
            schema={
                "hash": pl.UInt64,
                "eval_row": pl.UInt32,
                "side": pl.String,
                "pos": pl.Int32,
                "n": pl.Int32,
            }
        )
    return pl.concat(parts)


def _train_hits(
    train: pl.DataFrame, wanted: dict[int, U64], params: NgramParams
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One pass over the distinct train texts: for each wanted (n, hash), how many distinct
    train texts contain it, and the first `template_texts` of them.

    Returns (counts: n, hash, texts) and (pairs: n, hash, train_text); `train_text` is
    the row of `train`.
    """
    texts = train.get_column("example")
    counts_parts: list[pl.DataFrame] = []
    pair_parts: list[pl.DataFrame] = []
    for lo in range(0, len(texts), params.batch_texts):
        tokens, lengths = word_tokens(texts.slice(lo, params.batch_texts))
        for n, sorted_hashes in wanted.items():
            hashes, doc, _ = window_hashes(tokens, lengths, n)
            if hashes.size == 0:
                continue
            at = np.searchsorted(sorted_hashes, hashes)
            at[at == sorted_hashes.size] = 0
            hit = sorted_hashes[at] == hashes
            if not hit.any():
                continue
            found = pl.DataFrame(
                {"hash": hashes[hit], "train_text": (doc[hit] + lo).astype(np.int64)}
            ).unique()
            counts_parts.append(found.group_by("hash").len("texts").with_columns(n=pl.lit(n)))
            pair_parts.append(
                found.sort("train_text")
                .filter(pl.int_range(pl.len()).over("hash") < params.template_texts)
                .with_columns(n=pl.lit(n))
            )
    counts = (
        pl.concat(counts_parts).group_by("n", "hash").agg(pl.col("texts").sum())
        if counts_parts
        else pl.DataFrame(schema={"n": pl.Int32, "hash": pl.UInt64, "texts": pl.UInt32})
    )
    pairs = (
        pl.concat(pair_parts)
        .sort("train_text")
        .filter(pl.int_range(pl.len()).over("n", "hash") < params.template_texts)
        if pair_parts
        else pl.DataFrame(schema={"hash": pl.UInt64, "train_text": pl.Int64, "n": pl.Int32})
    )
    return counts.cast({"n": pl.Int32, "texts": pl.UInt32}), pairs.cast({"n": pl.Int32})


def ngram_hits(train: pl.DataFrame, evals: pl.DataFrame, params: NgramParams) -> NgramHits:
    """Long word n-grams shared between eval prompts/answers and whole train examples."""
    grams = _eval_ngrams(evals, params)
    # Distinct train texts: identical rows are one text (they share every n-gram).
    distinct = (
        train.select(pl.col("row").alias("train_row"), "example")
        .with_columns(pl.col("example").rank("dense").alias("_key"))
        .with_columns(pl.col("train_row").min().over("_key").alias("_first"))
    )
    unique_texts = (
        distinct.filter(pl.col("train_row") == pl.col("_first"))
        .sort("train_row")
        .with_row_index("train_text")
    )
    row_map = distinct.join(
        unique_texts.select("train_text", "_first"), on="_first", how="left"
    ).select(pl.col("train_text").cast(pl.Int64), "train_row")
    wanted = {
        int(n): np.unique(group.get_column("hash").to_numpy())
        for (n,), group in grams.group_by("n")
    }
    counts, pairs = _train_hits(unique_texts.select("example"), wanted, params)
    eval_texts = grams.select("n", "hash", "eval_row").unique().group_by("n", "hash").len("evals")
    shared = grams.join(counts, on=["n", "hash"]).join(eval_texts, on=["n", "hash"])
    shared = shared.with_columns(
        pl.when(
            (pl.col("texts") >= params.template_texts) | (pl.col("evals") >= params.template_texts)
        )
        .then(pl.lit("template"))
        .otherwise(pl.lit("verbatim"))
        .alias("kind")
    )
    shared = _demote_template_edges(shared, grams, eval_texts, evals, params)
    # Per eval text and side: an eval row is verbatim when any shared n-gram is.
    kind = shared.group_by("eval_row", "side").agg(
        pl.when((pl.col("kind") == "verbatim").any())
        .then(pl.lit("verbatim"))
        .otherwise(pl.lit("template"))
        .alias("row_kind")
    )
    shared = shared.join(kind, on=["eval_row", "side"]).filter(pl.col("kind") == pl.col("row_kind"))
    rows = _longest_runs(shared)
    hit_pairs = (
        shared.select("eval_row", "side", "kind", "n", "hash")
        .unique()
        .join(pairs, on=["n", "hash"])
        .join(row_map, on="train_text")
        .select("eval_row", "side", "kind", "train_row")
        .unique()
        .sort("eval_row", "side", "train_row")
    )
    return NgramHits(rows=rows, pairs=hit_pairs)


def _demote_template_edges(
    shared: pl.DataFrame,
    grams: pl.DataFrame,
    eval_texts: pl.DataFrame,
    evals: pl.DataFrame,
    params: NgramParams,
) -> pl.DataFrame:
    """Call a shared n-gram template wording too when most of its words are template words.

    Template words are those that template n-grams cover: shared with `template_texts`
    train texts, or recurring across as many eval texts. An n-gram of 12 instruction
    words and the first word of the question (a common word two questions may share) is
    the template's edge, not a copy; a copied question has n-grams of its own words.
    """
    recurring = grams.join(eval_texts, on=["n", "hash"]).filter(
        pl.col("evals") >= params.template_texts
    )
    template = pl.concat(
        [
            recurring.select("eval_row", "side", "pos", "n"),
            shared.filter(pl.col("kind") == "template").select("eval_row", "side", "pos", "n"),
        ]
    )
    verbatim = shared.filter(pl.col("kind") == "verbatim")
    if template.is_empty() or verbatim.is_empty():
        return shared
    novel_parts = []
    for side in ("prompt", "response"):
        lengths = word_tokens(evals.get_column(side))[1]
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        mine = template.filter(pl.col("side") == side)
        covered = np.zeros(offsets[-1] + 1, dtype=np.int64)
        starts = offsets[mine["eval_row"].to_numpy()] + mine["pos"].to_numpy()
        np.add.at(covered, starts, 1)
        np.add.at(covered, starts + mine["n"].to_numpy(), -1)
        is_template_word = np.cumsum(covered)[:-1] > 0
        template_words = np.concatenate([[0], np.cumsum(is_template_word)])
        hits = verbatim.filter(pl.col("side") == side)
        first = offsets[hits["eval_row"].to_numpy()] + hits["pos"].to_numpy()
        n = hits["n"].to_numpy()
        novel = n - (template_words[first + n] - template_words[first])
        novel_parts.append(hits.with_columns(novel=pl.Series(novel, dtype=pl.Int64)))
    checked = pl.concat(novel_parts).with_columns(
        pl.when(pl.col("novel") * 2 >= pl.col("n"))
        .then(pl.lit("verbatim"))
        .otherwise(pl.lit("template"))
        .alias("kind")
    )
    return pl.concat([shared.filter(pl.col("kind") == "template"), checked.drop("novel")])


def _longest_runs(shared: pl.DataFrame) -> pl.DataFrame:
    """The longest run of consecutive shared n-grams per eval row and side, as words."""
    if shared.is_empty():
        return pl.DataFrame(
            schema={
                "eval_row": pl.UInt32,
                "side": pl.String,
                "kind": pl.String,
                "span": pl.Int64,
                "start": pl.Int32,
                "n": pl.Int32,
            }
        )
    runs = (
        shared.select("eval_row", "side", "kind", "pos", "n")
        .unique()
        .sort("eval_row", "side", "pos")
        .with_columns(
            # A new run starts where the previous shared n-gram is not the previous word.
            (pl.col("pos") - pl.col("pos").shift(1).over("eval_row", "side") != 1)
            .fill_null(True)
            .cum_sum()
            .over("eval_row", "side")
            .alias("run")
        )
        .group_by("eval_row", "side", "kind", "run")
        .agg(
            pl.col("pos").min().alias("start"),
            (pl.len() + pl.col("n").first() - 1).alias("span"),
            pl.col("n").first(),
        )
    )
    return (
        runs.sort(["span", "start"], descending=[True, False])
        .group_by("eval_row", "side", maintain_order=True)
        .first()
        .select("eval_row", "side", "kind", pl.col("span").cast(pl.Int64), "start", "n")
        .sort("eval_row", "side")
    )


def span_text(text: str, start: int, words: int) -> str:
    """The words [start, start + words) of a normalized text, split as word_tokens does."""
    tokens = [t for t in re.split(r"[!-/:-@\[-`{-~\s]+", text.lower()) if t]
    return " ".join(tokens[start : start + words])
