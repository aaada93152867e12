"""Public-benchmark contamination without an eval file: shipped n-gram fingerprints (FT507).

The rule is FT504's (auditor.ngrams): a train text is contaminated by a benchmark when it
shares a word 13-gram with one of the benchmark's texts; a benchmark text of 8–12 words is
one n-gram of all its words, a shorter one is left out. The benchmark text itself is never
shipped: `auditor/fingerprints/` holds, per benchmark, the sorted distinct 64-bit hashes
of its n-grams, each with the number of the first benchmark row that has it, and
`manifest.json` says where every set came from (scripts/build_fingerprints.py builds them).

A stable hash. The fingerprints outlive library versions, so no word is hashed with
polars' seeded hash (its values may change between polars versions). A word's hash is a
polynomial hash of its UTF-8 bytes modulo 2**64 (auditor.word_hashes.RollingHashes over
bytes), passed through the splitmix64 finalizer: it depends on the bytes and on nothing
installed. Each distinct word of a batch is hashed once (a local categorical numbers
them) and the hashes are gathered back. The n-gram hash is then RollingHashes' window hash
over the word hashes, as FT504's. A polynomial hash with a power-of-two modulus can be
forced to collide (Thue–Morse strings of 2**11 bytes and more); that takes a crafted word
of kilobytes, never text.

Words. Lower case, split at whitespace and ASCII punctuation as auditor.minhash's
`word_tokens`, and also at typographic quotes, dashes, the ellipsis and non-breaking
spaces: benchmark files use `’` where a copy pasted into a training set often has `'`,
and a split that told them apart would break every n-gram across the apostrophe. The
breaks are literal replacements (one Aho–Corasick pass: 0.24 s on 88 MB of chat text,
where `word_tokens`' regex takes 0.86 s); case is folded on the distinct words only.

Lookup. The train texts stream past in batches; every window of every text is hashed
from prefix sums (slices, no gathers) and looked up in a bitmap-fronted sorted array
(auditor.ngrams.HashSet). Two window sizes are scanned, whatever the benchmarks hold: n
(13) against the n-grams, and min_n (8) against the n-grams of exactly 8 words and the
*prefix keys* of the other short texts (their first 8 words), whose hits are then checked
against the whole short text's hash. Only the hits are located and joined back to
benchmarks and rows.

Cost (benchmarks/bench_fingerprints.py, 100k generated chat rows, 88 MB of text, 2
vCPUs): ~2.5 s cold, of which the word split is ~1.0 s, numbering and hashing the words
~0.45 s, the rolling hash and the two lookups ~0.8 s; a warm run (artifact cache, each
text's verdict kept) ~0.1 s. The compiled kernel (`stable_tokens`) splits, lower-cases
and hashes in one pass: FT507 on 100k chat rows took 0.98 s with it, 1.71 s without
(2026-12-02).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import polars as pl

from auditor.batch_engine import LOCAL, BatchEngine, joined_frames
from auditor.ngrams import HashSet
from auditor.word_hashes import WORD_BASE, RollingHashes, stable_hashes_once, utf8_pieces

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]

#: Bumped when the word split, the hash or the file layout changes: older sets are refused.
FINGERPRINT_FORMAT = 1
#: One line of text for manifests and docs: how a fingerprint's n-grams are made.
RULE = (
    "words: lower case, split at whitespace, ASCII punctuation, typographic quotes, dashes "
    "and the ellipsis; word hash: splitmix64(polynomial hash of the UTF-8 bytes, base "
    "0x100000001B3, mod 2**64, xor byte length); n-gram hash: sum of word hashes times "
    "0x100000001B3**k mod 2**64; n-grams of n words, a text of min_n..n-1 words is one "
    "n-gram of all its words, shorter texts are skipped"
)
#: What separates words (each replaced by a space, then split at spaces).
BREAKS: list[str] = [
    *(chr(c) for c in (*range(33, 48), *range(58, 65), *range(91, 97), *range(123, 127))),
    *"\t\n\r\f\v\u00a0\u2009\u200a\u200b\u202f\u3000",
    *"\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u2013\u2014\u2015\u2026\u00ab\u00bb",
]
_BREAK_PATTERN = re.compile("[" + re.escape("".join(BREAKS)) + r"\s]+")
_WORD_PATTERN = re.compile("[^" + re.escape("".join(BREAKS)) + r"\s]+")
#: The structured record of a fingerprint file (`.npy`): sorted distinct hashes.
RECORD = np.dtype([("hash", "<u8"), ("item", "<u4"), ("size", "u1")])
#: Where the shipped sets live: package data of `auditor` (no package of their own).
SHIPPED_FOLDER = "fingerprints"
MANIFEST = "manifest.json"


class FingerprintError(Exception):
    """A fingerprint set that cannot be used: missing, damaged, or of another format."""


# --- stable word and n-gram hashes ----------------------------------------------------------


def word_split(texts: pl.Series) -> tuple[pl.Series, I64]:
    """(flat words of every text in order, as written; words per text), split as the
    module says. Case is folded later, on the distinct words only (`stable_tokens`): no
    break character has case, so the split is the same."""
    spaced = texts.cast(pl.String).fill_null("").str.replace_many(BREAKS, [" "] * len(BREAKS))
    split = spaced.str.split(" ")
    raw = split.list.len().to_numpy().astype(np.int64)
    flat = split.explode()
    keep = (flat != "").fill_null(False).to_numpy()
    # Words per text: the kept pieces of each text's run of pieces (every text has one).
    starts = np.cumsum(raw) - raw
    lengths = np.add.reduceat(keep.astype(np.int64), starts) if raw.size else raw
    return flat.filter(pl.Series(keep)), lengths.astype(np.int64)


def stable_tokens(texts: pl.Series) -> tuple[U64, I64]:
    """(flat stable hashes of the lower-cased words, words per text) of a String Series.

    The compiled kernel (auditor.native) splits, lower-cases and hashes in one pass over
    the bytes where it is built; it lower-cases ASCII only, and the words with other
    characters are lower-cased by polars and hashed here, as `word_split` and
    `stable_hashes_once` would: the same hashes either way.
    """
    from auditor.native import break_word_kernel

    kernel = break_word_kernel()
    if kernel is None:
        words, lengths = word_split(texts)
        return stable_hashes_once(words, lower=True), lengths
    data, offsets = utf8_pieces(texts)
    hashes, lengths, wide = kernel(data, offsets, int(WORD_BASE))
    if len(wide):
        spelled = [data[start : start + size].decode() for _, start, size in wide.tolist()]
        hashes[wide[:, 0]] = stable_hashes_once(pl.Series(spelled, dtype=pl.String), lower=True)
    return hashes, lengths


def words_of(text: str) -> list[str]:
    """One text's words, split as `word_split` does (for showing a span)."""
    return [w for w in _BREAK_PATTERN.split(text.lower()) if w]


def span_text(text: str, start: int, words: int) -> str:
    """The part of `text` (as written, case and punctuation kept) from word `start` to
    word `start + words - 1`, words counted as `word_split` counts them."""
    found = list(_WORD_PATTERN.finditer(text))[start : start + words]
    return text[found[0].start() : found[-1].end()] if found else ""


@dataclass(frozen=True)
class TextNgrams:
    """Every matchable n-gram of a set of texts: hash, text, first word, size (words; 0
    for the `min_n`-word prefix key of a short text, see `text_ngrams`); and the words of
    each text."""

    hashes: U64
    text: I64
    pos: I64
    size: I64
    lengths: I64


def text_ngrams(texts: pl.Series, n: int, min_n: int) -> TextNgrams:
    """The n-grams the rule matches: each n-word window; a text of min_n..n-1 words as one
    n-gram of all its words; shorter texts give none.

    A short text of more than `min_n` words also gives its first `min_n` words as a
    *prefix key* (size 0): a lookup then scans train windows of two sizes only, n and
    min_n, and checks the few prefix hits for the whole short text.
    """
    tokens, lengths = stable_tokens(texts)
    rolling = RollingHashes(tokens, lengths)
    hashes, doc, pos = rolling.windows(n)
    short = np.flatnonzero((lengths >= min_n) & (lengths < n)).astype(np.int64)
    whole = rolling.spans(rolling.starts[short], lengths[short])
    keyed = short[lengths[short] > min_n]
    keys = rolling.spans(rolling.starts[keyed], np.full(keyed.size, min_n, dtype=np.int64))
    zeros = np.zeros(short.size + keyed.size, dtype=np.int64)
    return TextNgrams(
        hashes=np.concatenate([hashes, whole, keys]),
        text=np.concatenate([doc, short, keyed]),
        pos=np.concatenate([pos, zeros]),
        size=np.concatenate(
            [np.full(hashes.size, n, dtype=np.int64), lengths[short], zeros[: keyed.size]]
        ),
        lengths=lengths,
    )


# --- fingerprint sets -----------------------------------------------------------------------


@dataclass(frozen=True)
class Fingerprints:
    """One benchmark's fingerprints: sorted distinct n-gram hashes, per hash the first
    benchmark row (0-based) that has it and the n-gram's size in words (0: a short
    text's prefix key); `entry` is its manifest record."""

    name: str
    hashes: U64
    items: U32
    sizes: npt.NDArray[np.uint8]
    entry: dict[str, Any]
    origin: str

    @property
    def title(self) -> str:
        return str(self.entry.get("title") or self.name)

    @property
    def rows(self) -> int:
        return int(self.entry.get("rows", 0))

    @property
    def n(self) -> int:
        return int(self.entry.get("n", 13))

    @property
    def min_n(self) -> int:
        return int(self.entry.get("min_n", 8))


def fingerprint_bytes(records: npt.NDArray[np.void]) -> bytes:
    """The `.npy` bytes of a record array: no timestamp, so the same records give the
    same bytes."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(records, dtype=RECORD), allow_pickle=False)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_fingerprints(name: str, data: bytes, entry: dict[str, Any], origin: str) -> Fingerprints:
    """A fingerprint file's records, checked against its manifest entry."""
    expected = entry.get("fingerprint_sha256")
    if expected and sha256(data) != expected:
        raise FingerprintError(
            f"{origin}: fingerprints of `{name}` do not match the manifest's sha256 "
            "(damaged or rebuilt without its manifest)"
        )
    try:
        records = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise FingerprintError(f"{origin}: `{name}` is not a fingerprint file: {exc}") from None
    if records.dtype != RECORD or records.ndim != 1:
        raise FingerprintError(f"{origin}: `{name}` has records of {records.dtype}, not {RECORD}")
    hashes = np.ascontiguousarray(records["hash"]).astype(np.uint64)
    if hashes.size > 1 and not bool(np.all(hashes[1:] > hashes[:-1])):
        raise FingerprintError(f"{origin}: `{name}` hashes are not sorted and distinct")
    items = np.ascontiguousarray(records["item"]).astype(np.uint32)
    sizes = np.ascontiguousarray(records["size"]).astype(np.uint8)
    return Fingerprints(name, hashes, items, sizes, entry, origin)


def _manifest(data: bytes, origin: str) -> dict[str, Any]:
    try:
        manifest = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FingerprintError(f"{origin}: manifest is not JSON: {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("benchmarks"), list):
        raise FingerprintError(f"{origin}: manifest has no `benchmarks` list")
    if manifest.get("format") != FINGERPRINT_FORMAT:
        raise FingerprintError(
            f"{origin}: fingerprint format {manifest.get('format')!r}, this ftaudit reads "
            f"format {FINGERPRINT_FORMAT}; rebuild with scripts/build_fingerprints.py"
        )
    return manifest


def shipped_manifest() -> dict[str, Any]:
    """The manifest of the fingerprints shipped in the package."""
    origin = f"auditor/{SHIPPED_FOLDER}/{MANIFEST}"
    try:
        data = resources.files("auditor").joinpath(SHIPPED_FOLDER, MANIFEST).read_bytes()
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise FingerprintError(f"{origin}: shipped fingerprints missing: {exc}") from None
    return _manifest(data, origin)


def shipped_names() -> list[str]:
    """The names of the shipped benchmarks, in manifest order ([] when none ship)."""
    try:
        return [str(b["name"]) for b in shipped_manifest()["benchmarks"]]
    except FingerprintError:
        return []


def load_shipped(names: Sequence[str] | None = None) -> list[Fingerprints]:
    """The shipped fingerprints (all of them, or those `names` in that order)."""
    manifest = shipped_manifest()
    entries = {str(b["name"]): b for b in manifest["benchmarks"]}
    wanted = list(entries) if names is None else list(names)
    unknown = [n for n in wanted if n not in entries]
    if unknown:
        raise FingerprintError(
            f"unknown benchmark(s) {', '.join(unknown)}; shipped: {', '.join(entries)}"
        )
    root = resources.files("auditor").joinpath(SHIPPED_FOLDER)
    out = []
    for name in wanted:
        entry = entries[name]
        data = root.joinpath(str(entry["fingerprint_file"])).read_bytes()
        out.append(parse_fingerprints(name, data, entry, f"auditor/{SHIPPED_FOLDER}/{name}"))
    return out


def load_folder(path: Path) -> list[Fingerprints]:
    """Fingerprint sets built by scripts/build_fingerprints.py: a folder holding its
    manifest.json, or the manifest itself."""
    manifest_path = path / MANIFEST if path.is_dir() else path
    try:
        manifest = _manifest(manifest_path.read_bytes(), str(manifest_path))
        out = []
        for entry in manifest["benchmarks"]:
            name = str(entry["name"])
            data = (manifest_path.parent / str(entry["fingerprint_file"])).read_bytes()
            out.append(parse_fingerprints(name, data, entry, str(manifest_path)))
    except OSError as exc:
        raise FingerprintError(f"cannot read fingerprints at {path}: {exc.strerror}") from None
    except (KeyError, TypeError) as exc:
        raise FingerprintError(f"{manifest_path}: manifest entry lacks {exc}") from None
    return out


# --- lookup ---------------------------------------------------------------------------------


HIT_SCHEMA = pl.Schema(
    {
        "text": pl.Int64(),
        "benchmark": pl.String(),
        "start": pl.Int64(),
        "span": pl.Int64(),
        "items": pl.List(pl.UInt32()),
    }
)


class FingerprintIndex:
    """Every selected benchmark's hashes in one lookup; hits map back to (benchmark, row)."""

    def __init__(self, sets: Sequence[Fingerprints]) -> None:
        self.sets = list(sets)
        self.names = [s.name for s in self.sets]
        #: The train window sizes to scan: each set's n, and its min_n for short texts.
        self.scans = sorted({s.n for s in self.sets} | {s.min_n for s in self.sets})
        self.table = pl.DataFrame(
            {
                "hash": _joined([s.hashes for s in self.sets], np.uint64),
                "bench": _joined(
                    [np.full(s.hashes.size, i, np.uint16) for i, s in enumerate(self.sets)],
                    np.uint16,
                ),
                "item": _joined([s.items for s in self.sets], np.uint32),
                "size": _joined([s.sizes for s in self.sets], np.uint8).astype(np.int64),
            }
        )
        # One set per scanned size: the short-text keys and the min_n-word n-grams are a
        # few hundred, and a set that small turns nearly every window away at its bitmap.
        self.members = {size: self._members(size) for size in self.scans}
        #: Sizes of the whole short texts that a prefix key can stand for.
        self.short_sizes = sorted(
            int(v)
            for v in np.unique(self.table.get_column("size").to_numpy())
            if v > 0 and v not in self.scans
        )

    def _members(self, size: int) -> HashSet:
        """The hashes a `size`-word window can be: n-grams of that size, and the prefix
        keys of sets whose min_n it is."""
        keyed = [i for i, s in enumerate(self.sets) if s.min_n == size]
        wanted = (pl.col("size") == size) | (
            (pl.col("size") == 0)
            & pl.col("bench").is_in(pl.Series(keyed, dtype=pl.UInt16).implode())
        )
        return HashSet(self.table.filter(wanted).get_column("hash").to_numpy())

    def hits(
        self,
        texts: pl.Series,
        batch_texts: int = 4096,
        engine: BatchEngine = LOCAL,
        rows: I64 | None = None,
    ) -> pl.DataFrame:
        """Per text (its index in `texts`, or in `rows` when given: the texts at those
        positions, gathered batch by batch) and benchmark: the longest run of shared words
        (start word, span in words) and the benchmark rows it shares n-grams with.

        Batches of 4,096 texts: on 100k chat rows FT507 raised the audit's peak by ~160 MB
        against ~230 MB at 8,192 (two batches in flight), in the same time.

        Each batch of texts is matched on its own (on `engine`); a text's runs depend on
        that text alone, so the batches' results only need their offsets back.
        """
        parts = engine.map_texts(self.batch_hits, texts, rows, batch=batch_texts)
        return joined_frames(parts, "text", HIT_SCHEMA).sort("text", "benchmark")

    def batch_hits(self, texts: pl.Series) -> pl.DataFrame:
        """`hits` of one batch, texts numbered from 0 within it."""
        tokens, lengths = stable_tokens(texts)
        rolling = RollingHashes(tokens, lengths)
        found: list[pl.DataFrame] = []
        for size in self.scans:
            window = rolling.flat_windows(size)
            flat = np.flatnonzero(self.members[size].contains(window)).astype(np.int64)
            if flat.size:
                found.append(self._windows(rolling, lengths, flat, window[flat], size))
        hits = [f for f in found if f.height]
        if not hits:
            return pl.DataFrame(schema=HIT_SCHEMA)
        names = pl.DataFrame(
            {"bench": np.arange(len(self.names), dtype=np.uint16), "benchmark": self.names}
        )
        runs = _longest_runs(pl.concat(hits)).join(names, on="bench")
        return runs.select(list(HIT_SCHEMA)).cast(HIT_SCHEMA)

    def _windows(
        self, rolling: RollingHashes, lengths: I64, flat: I64, hashes: U64, size: int
    ) -> pl.DataFrame:
        """The benchmark n-grams that the `size`-word windows at `flat` are: direct hits,
        and the whole short texts behind prefix keys."""
        doc, pos = rolling.locate(flat)
        # A window that runs from one text into the next is an n-gram of neither.
        fits = pos + size <= lengths[doc]
        frame = pl.DataFrame(
            {"hash": hashes[fits], "flat": flat[fits], "text": doc[fits], "pos": pos[fits]}
        ).join(self.table, on="hash")
        direct = frame.filter(pl.col("size") == size)
        parts = [direct]
        keys = frame.filter(pl.col("size") == 0)
        for whole in self.short_sizes if keys.height else []:
            start = keys.get_column("flat").to_numpy()
            text = keys.get_column("text").to_numpy()
            room = keys.get_column("pos").to_numpy() + whole <= lengths[text]
            if not room.any():
                continue
            candidate = keys.filter(pl.Series(room)).drop("bench", "item", "size")
            candidate = candidate.with_columns(
                hash=pl.Series(rolling.spans(start[room], np.full(int(room.sum()), whole)))
            ).join(self.table.filter(pl.col("size") == whole), on="hash")
            parts.append(candidate.select(direct.columns))
        return pl.concat(parts).select("text", "bench", "item", "pos", "size")


def _joined(arrays: list[npt.NDArray[Any]], dtype: type[np.generic]) -> npt.NDArray[Any]:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)


def _longest_runs(matched: pl.DataFrame) -> pl.DataFrame:
    """Per text and benchmark: the longest run of consecutive shared n-grams, in words,
    and every benchmark row seen."""
    items = matched.group_by("text", "bench").agg(pl.col("item").unique().sort().alias("items"))
    runs = (
        matched.select("text", "bench", "pos", "size")
        .unique()
        .sort("text", "bench", "pos", "size")
        .with_columns(
            # A run of 13-grams continues where the next one starts one word later; a short
            # text's n-gram is a run of its own.
            (
                (pl.col("pos") - pl.col("pos").shift(1) != 1)
                | (pl.col("size") != pl.col("size").shift(1))
                | (pl.col("text") != pl.col("text").shift(1))
                | (pl.col("bench") != pl.col("bench").shift(1))
            )
            .fill_null(True)
            .cum_sum()
            .alias("run")
        )
        .group_by("text", "bench", "run")
        .agg(
            pl.col("pos").min().alias("start"),
            (pl.len() + pl.col("size").first() - 1).cast(pl.Int64).alias("span"),
        )
        .sort(["text", "bench", "span", "start"], descending=[False, False, True, False])
        .group_by("text", "bench", maintain_order=True)
        .first()
    )
    return runs.join(items, on=["text", "bench"]).sort("text", "bench")


def manifest_digest(sets: Iterable[Fingerprints]) -> str:
    """What identifies the selected fingerprints (for a cache namespace)."""
    parts = [f"{s.name}:{s.entry.get('fingerprint_sha256', '')}" for s in sets]
    return sha256("|".join(parts).encode())[:16]
