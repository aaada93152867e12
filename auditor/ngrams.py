"""Long word n-grams shared between eval texts and train examples (FT504).

GPT-3's decontamination and lm-evaluation-harness call an eval example contaminated
when it shares a 13-word n-gram with the training data. Here the eval side's prompts and
answers are cut into n-grams (13 words; an eval text of 8–12 words is one n-gram of all
its words), their 64-bit hashes go into a sorted array behind a bitmap, and the distinct
train texts stream past in batches: every window of every train text is hashed with a
rolling hash and looked up. Memory follows the eval side, time is linear in the train
side, and no string is compared in a Python loop.

Template wording. Templated data shares wording on purpose ("Classify the sentiment of
the following review…"), and so does boilerplate (a tool-call frame, a signature). A
word is *boilerplate* when an 8-word window around it recurs: `template_texts` (5) or
more distinct train texts, or as many distinct eval texts, contain that window. A shared
n-gram counts as a **verbatim** copy only when at least half of its words are not
boilerplate; otherwise it is a **template overlap**. So the fixed part of a template,
and the seam where it meets a question's first word, are template overlaps, while a
copied question has n-grams of its own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt
import polars as pl

from auditor.batch_engine import LOCAL, BatchEngine
from auditor.comparison import ROLE_PREFIX, without_roles
from auditor.minhash import distinct_texts, word_tokens
from auditor.word_hashes import RollingHashes

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

#: The eval sides n-grams come from, by their code in the `side` column.
SIDES = ("prompt", "response")
GRAM_SCHEMA = {
    "hash": pl.UInt64,
    "eval_row": pl.UInt32,
    "side": pl.UInt8,
    "pos": pl.Int32,
    "n": pl.Int32,
    "match": pl.Boolean,
    "text_id": pl.UInt32,
}


@dataclass(frozen=True)
class NgramParams:
    """`n` words per n-gram (13), down to `min_n` (8) for short eval texts; a window that
    `template_texts` (5) distinct texts contain marks boilerplate."""

    n: int = 13
    min_n: int = 8
    template_texts: int = 5
    batch_texts: int = 4096


@dataclass(frozen=True)
class NgramHits:
    """What the n-gram pass found.

    `rows`: one row per eval row and side with a shared n-gram — eval_row, side, kind
    (`verbatim` when any shared n-gram is a verbatim copy, else `template`), span (the
    longest run of shared words of that kind), start (its first word), n.
    `pairs`: eval_row, side, kind, train_row — the train rows that share that kind of
    n-gram with the eval row (at most `template_texts` distinct texts per n-gram).
    """

    rows: pl.DataFrame
    pairs: pl.DataFrame


def window_hashes(tokens: U64, lengths: I64, n: int) -> tuple[U64, I64, I64]:
    """Hashes of every n-word window of each text: (hash, text, first word of the window)."""
    return RollingHashes(tokens, lengths).windows(n)


class HashSet:
    """Membership of 64-bit hashes: a bitmap on the top bits, then a sorted array.

    The bitmap (about 16 slots per member) turns away ~94% of the train windows with one
    gather; only the rest pay for a binary search.
    """

    def __init__(self, hashes: U64) -> None:
        # Sort and drop repeats: several times faster than np.unique's hash route here.
        ordered = np.sort(hashes)
        self.sorted = ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if ordered.size else ordered
        self.bits = int(np.clip(np.ceil(np.log2(max(self.sorted.size, 1) * 16)), 10, 28))
        self.shift = np.uint64(64 - self.bits)
        self.present = np.zeros(1 << self.bits, dtype=bool)
        self.present[self.sorted >> self.shift] = True

    def contains(self, hashes: U64) -> npt.NDArray[np.bool_]:
        maybe = np.flatnonzero(self.present[hashes >> self.shift])
        found = np.zeros(hashes.size, dtype=bool)
        if maybe.size and self.sorted.size:
            at = np.searchsorted(self.sorted, hashes[maybe])
            at[at == self.sorted.size] = 0
            found[maybe] = self.sorted[at] == hashes[maybe]
        return found


def content_of(texts: pl.Series) -> pl.Series:
    """Texts without role prefixes: "user" must not join the words of a short question."""
    return texts.to_frame("t").select(without_roles(pl.col("t"))).to_series()


def eval_ngrams(evals: pl.DataFrame, params: NgramParams) -> tuple[pl.DataFrame, list[I64]]:
    """Every n-gram of every eval prompt and answer (GRAM_SCHEMA; `side` is its index in
    SIDES, `text_id` numbers distinct texts, so duplicated eval rows count once), and the
    words per text of each side.

    `match`: the n-gram is of the text's own size, min(n, words), and can be a copy; the
    `min_n`-word windows of longer texts are there to find boilerplate words.
    """
    texts = pl.concat([evals.get_column(side) for side in SIDES])
    text_ids = texts.rank("dense").cast(pl.UInt32).to_numpy().reshape(len(SIDES), -1)
    parts = []
    side_lengths = []
    for code, side in enumerate(SIDES):
        tokens, lengths = word_tokens(content_of(evals.get_column(side)))
        side_lengths.append(lengths)
        rolling = RollingHashes(tokens, lengths)
        sizes = np.minimum(lengths, params.n)
        for n in sorted({*np.unique(sizes[sizes >= params.min_n]).tolist(), params.min_n}):
            hashes, doc, pos = rolling.windows(n)
            match = sizes[doc] == n
            keep = match | (n == params.min_n)
            count = int(keep.sum())
            parts.append(
                pl.DataFrame(
                    {
                        "hash": hashes[keep],
                        "eval_row": doc[keep].astype(np.uint32),
                        "side": np.full(count, code, dtype=np.uint8),
                        "pos": pos[keep].astype(np.int32),
                        "n": np.full(count, n, dtype=np.int32),
                        "match": match[keep],
                        "text_id": text_ids[code][doc[keep]],
                    },
                    schema=GRAM_SCHEMA,
                )
            )
    grams = pl.concat(parts) if parts else pl.DataFrame(schema=GRAM_SCHEMA)
    return grams, side_lengths


def train_hits(
    texts: pl.Series,
    distinct: I64,
    wanted: dict[int, U64],
    params: NgramParams,
    engine: BatchEngine = LOCAL,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One pass over the distinct train texts (`texts` at rows `distinct`): for each
    wanted (n, hash), how many of them contain it (`counts`: n, hash, texts) and the first
    `template_texts` of them (`pairs`: n, hash, train_text, an index into `distinct`).

    Batches are matched on `engine` and reduced here, whichever engine ran them."""
    sets = {n: HashSet(hashes) for n, hashes in wanted.items()}
    batches = engine.map_texts(
        partial(_batch_train_hits, sets, params.template_texts),
        texts,
        distinct,
        batch=params.batch_texts,
    )
    counts_parts: list[pl.DataFrame] = []
    pair_parts: list[pl.DataFrame] = []
    for lo, (batch_counts, batch_pairs) in batches:
        counts_parts.extend(batch_counts)
        pair_parts.extend(p.with_columns(pl.col("train_text") + lo) for p in batch_pairs)
    if not counts_parts:
        return (
            pl.DataFrame(schema={"n": pl.Int32, "hash": pl.UInt64, "texts": pl.UInt32}),
            pl.DataFrame(schema={"hash": pl.UInt64, "train_text": pl.Int64, "n": pl.Int32}),
        )
    counts = pl.concat(counts_parts).group_by("n", "hash").agg(pl.col("texts").sum())
    pairs = (
        pl.concat(pair_parts)
        .sort("train_text")
        .filter(pl.int_range(pl.len()).over("n", "hash") < params.template_texts)
    )
    return counts.cast({"n": pl.Int32, "texts": pl.UInt32}), pairs.cast({"n": pl.Int32})


def _batch_train_hits(
    sets: dict[int, HashSet], template_texts: int, batch: pl.Series
) -> tuple[list[pl.DataFrame], list[pl.DataFrame]]:
    """train_hits of one batch of texts, numbered from 0 within it."""
    counts_parts: list[pl.DataFrame] = []
    pair_parts: list[pl.DataFrame] = []
    rolling = RollingHashes(*word_tokens(content_of(batch)))
    for n, members in sets.items():
        hashes, doc, _ = rolling.windows(n)
        hit = members.contains(hashes)
        if not hit.any():
            continue
        found = pl.DataFrame({"hash": hashes[hit], "train_text": doc[hit].astype(np.int64)})
        found = found.unique()
        counts_parts.append(found.group_by("hash").len("texts").with_columns(n=pl.lit(n)))
        pair_parts.append(
            found.sort("train_text")
            .filter(pl.int_range(pl.len()).over("hash") < template_texts)
            .with_columns(n=pl.lit(n))
        )
    return counts_parts, pair_parts


def ngram_hits(
    train: pl.DataFrame, evals: pl.DataFrame, params: NgramParams, engine: BatchEngine = LOCAL
) -> NgramHits:
    """Long word n-grams shared between eval prompts/answers and whole train examples.

    `train` and `evals` are comparison tables (auditor.comparison); the train side is
    compared by its `example` view, so a span anywhere in a train row counts.
    """
    grams, side_lengths = eval_ngrams(evals, params)
    # Distinct train texts: identical rows are one text (they share every n-gram).
    examples = train.get_column("example")
    first, inverse = distinct_texts(examples)
    row_map = pl.DataFrame({"train_text": inverse, "train_row": train.get_column("row").to_numpy()})
    hashes, sizes = grams.get_column("hash").to_numpy(), grams.get_column("n").to_numpy()
    wanted = {int(n): hashes[sizes == n] for n in np.unique(sizes)}
    counts, pairs = train_hits(examples, first, wanted, params, engine)
    windows = grams.filter(pl.col("n") == params.min_n)
    # Boilerplate: min_n-word windows that recur in eval or in train. A longer shared
    # n-gram that recurs is made of such windows, so they cover it too.
    recurring = pl.concat(
        [
            windows.select("hash", "text_id")
            .unique()
            .group_by("hash")
            .len("evals")
            .filter(pl.col("evals") >= params.template_texts)
            .select("hash"),
            counts.filter(
                (pl.col("n") == params.min_n) & (pl.col("texts") >= params.template_texts)
            ).select("hash"),
        ]
    )
    covered = _boilerplate_words(
        windows.join(recurring, on="hash", how="semi"), side_lengths, params
    )
    shared = _judged(grams.filter(pl.col("match")).join(counts, on=["n", "hash"]), covered)
    side_name = pl.col("side").replace_strict(dict(enumerate(SIDES)), return_dtype=pl.String)
    hit_pairs = (
        shared.select("eval_row", "side", "kind", "n", "hash")
        .unique()
        .join(pairs, on=["n", "hash"])
        .join(row_map, on="train_text")
        .select("eval_row", side_name, "kind", "train_row")
        .unique()
        .sort("eval_row", "side", "train_row")
    )
    return NgramHits(rows=_longest_runs(shared).with_columns(side_name), pairs=hit_pairs)


def _boilerplate_words(
    recurring: pl.DataFrame, side_lengths: list[I64], params: NgramParams
) -> dict[int, tuple[I64, I64]]:
    """Per side code, from the recurring `min_n`-word windows: (each eval row's first word
    in the flat word array of the side, the running count of boilerplate words)."""
    out: dict[int, tuple[I64, I64]] = {}
    for code, lengths in enumerate(side_lengths):
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        mine = recurring.filter(pl.col("side") == code)
        marks = np.zeros(int(offsets[-1]) + 1, dtype=np.int64)
        rows, pos = mine.get_column("eval_row").to_numpy(), mine.get_column("pos").to_numpy()
        starts = offsets[rows] + pos
        np.add.at(marks, starts, 1)
        np.add.at(marks, starts + params.min_n, -1)
        boilerplate = np.cumsum(marks)[:-1] > 0
        out[code] = (offsets, np.concatenate([[0], np.cumsum(boilerplate)]))
    return out


def _judged(shared: pl.DataFrame, covered: dict[int, tuple[I64, I64]]) -> pl.DataFrame:
    """Each shared n-gram as `verbatim` (half its words or more are not boilerplate) or
    `template`; then every eval row and side keeps the n-grams of its strongest kind."""
    parts = []
    for code in range(len(SIDES)):
        mine = shared.filter(pl.col("side") == code)
        offsets, running = covered[code]
        rows, pos = mine.get_column("eval_row").to_numpy(), mine.get_column("pos").to_numpy()
        first = offsets[rows] + pos
        n = mine.get_column("n").to_numpy()
        novel = n - (running[first + n] - running[first])
        parts.append(
            mine.with_columns(
                pl.when(pl.Series(novel * 2 >= n, dtype=pl.Boolean))
                .then(pl.lit("verbatim"))
                .otherwise(pl.lit("template"))
                .alias("kind")
            )
        )
    judged = pl.concat(parts)
    strongest = judged.group_by("eval_row", "side").agg(
        pl.when((pl.col("kind") == "verbatim").any())
        .then(pl.lit("verbatim"))
        .otherwise(pl.lit("template"))
        .alias("row_kind")
    )
    return (
        judged.join(strongest, on=["eval_row", "side"])
        .filter(pl.col("kind") == pl.col("row_kind"))
        .drop("row_kind")
    )


def _longest_runs(shared: pl.DataFrame) -> pl.DataFrame:
    """The longest run of consecutive shared n-grams per eval row and side, as words."""
    schema = {
        "eval_row": pl.UInt32,
        "side": pl.UInt8,
        "kind": pl.String,
        "span": pl.Int64,
        "start": pl.Int32,
        "n": pl.Int32,
    }
    if shared.is_empty():
        return pl.DataFrame(schema=schema)
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
        .cast(schema)  # type: ignore[arg-type]
    )


def span_text(text: str, start: int, words: int) -> str:
    """The words [start, start + words) of a normalized text, split as word_tokens does."""
    content = re.sub(ROLE_PREFIX, " ", text)
    tokens = [t for t in re.split(r"[!-/:-@\[-`{-~\s]+", content.lower()) if t]
    return " ".join(tokens[start : start + words])
