"""Build FT507's benchmark fingerprints (hashed n-grams, no text) from public sources.

    python scripts/build_fingerprints.py \\
        gsm8k=MIRROR/openai+grade-school-math/repo@3101c7d5072418e28b9008a6636bde82a006892c \\
        humaneval=/path/to/HumanEval.jsonl.gz

Each SOURCE is `NAME=LOCATION`. LOCATION is a git directory and a commit (`GITDIR@COMMIT`:
the benchmark's file is read at the path its spec below records), or a plain file. A NAME
not in BENCHMARKS is a custom set (a private eval file, JSON Lines, optionally gzipped):
every string value of every record is one text, and `--title` / `--license` describe it.

Output (`--out`, default the package's auditor/fingerprints/): per benchmark
`<name>.npy`, a sorted array of (hash uint64, item uint32, size uint8) records, one per
distinct n-gram, `item` the first 0-based source row that has it, `size` its words (0: a
short text's prefix key, see auditor.benchmark_ngrams); and `manifest.json`. Both are
written atomically, fingerprint files first. The same sources always give the same
fingerprint bytes (sorted records, no timestamp inside); the build date lives in the
manifest only, and stays that of the earlier build when the fingerprints come out
identical, so a rebuild from the same sources changes no byte at all.

Rebuilding checks each source file's sha256 against the manifest's record and refuses a
different file unless `--accept-new-source` is given. N-grams that `--common-rows` (5) or
more rows of one benchmark share (HumanEval's docstring frames, a prompt template) are
dropped: they say nothing about one benchmark item, and the manifest counts them.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from auditor.atomic import write_atomic  # noqa: E402
from auditor.benchmark_ngrams import (  # noqa: E402
    FINGERPRINT_FORMAT,
    MANIFEST,
    RECORD,
    RULE,
    fingerprint_bytes,
    sha256,
    text_ngrams,
)

DEFAULT_OUT = ROOT / "auditor" / "fingerprints"


@dataclass(frozen=True)
class Spec:
    """A public benchmark: where its test split lives and which fields are its text."""

    title: str
    repo: str
    path: str
    license: str
    split: str
    fields: tuple[str, ...]
    family: str


BENCHMARKS: dict[str, Spec] = {
    "gsm8k": Spec(
        "GSM8K grade-school math (test)",
        "openai/grade-school-math",
        "grade_school_math/data/test.jsonl",
        "MIT",
        "test",
        ("question", "answer"),
        "math",
    ),
    "humaneval": Spec(
        "HumanEval code generation",
        "openai/human-eval",
        "data/HumanEval.jsonl.gz",
        "MIT",
        "test",
        ("prompt", "canonical_solution"),
        "code",
    ),
    "mt-bench": Spec(
        "MT-Bench chat-judge questions",
        "lm-sys/FastChat",
        "fastchat/llm_judge/data/mt_bench/question.jsonl",
        "Apache-2.0",
        "test",
        ("turns", "reference"),
        "chat-judge",
    ),
    "arena-hard-v0.1": Spec(
        "Arena-Hard-Auto v0.1 prompts",
        "lmarena/arena-hard-auto",
        "data/arena-hard-v0.1/question.jsonl",
        "Apache-2.0",
        "test",
        ("prompt",),
        "chat-judge",
    ),
    "arena-hard-v2.0": Spec(
        "Arena-Hard-Auto v2.0 prompts",
        "lmarena/arena-hard-auto",
        "data/arena-hard-v2.0/question.jsonl",
        "Apache-2.0",
        "test",
        ("prompt",),
        "chat-judge",
    ),
}


class BuildError(Exception):
    """A source that cannot be read or does not match its recorded sha256."""


@dataclass(frozen=True)
class Source:
    name: str
    data: bytes
    where: dict[str, str]


def read_source(name: str, location: str) -> Source:
    """The bytes of benchmark `name` from `GITDIR@COMMIT` or a plain file."""
    git_dir, _, commit = location.rpartition("@")
    if git_dir and Path(git_dir).is_dir():
        spec = BENCHMARKS.get(name)
        if spec is None:
            raise BuildError(f"{name}: a custom set is read from a file, not from git")
        try:
            data = subprocess.run(
                ["git", f"--git-dir={git_dir}", "show", f"{commit}:{spec.path}"],
                check=True,
                capture_output=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", b"") or str(exc).encode()
            raise BuildError(f"{name}: cannot read {spec.path} at {commit}: {detail!r}") from None
        return Source(name, data, {"repo": spec.repo, "path": spec.path, "commit": commit})
    path = Path(location)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BuildError(f"{name}: cannot read {location}: {exc.strerror}") from None
    spec = BENCHMARKS.get(name)
    where = {"file": path.name}
    if spec is not None:
        where = {"repo": spec.repo, "path": spec.path, "commit": "unknown (plain file)"}
    return Source(name, data, where)


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value, depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def source_texts(source: Source) -> tuple[pl.DataFrame, int]:
    """(one row per text: item, text), row count) of a JSON Lines source."""
    raw = gzip.decompress(source.data) if source.data[:2] == b"\x1f\x8b" else source.data
    spec = BENCHMARKS.get(source.name)
    items: list[int] = []
    texts: list[str] = []
    rows = 0
    for number, line in enumerate(raw.splitlines()):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise BuildError(f"{source.name}: line {number + 1} is not JSON: {exc}") from None
        if spec is not None:
            if not isinstance(record, dict):
                raise BuildError(f"{source.name}: line {number + 1} is not an object")
            values: list[str] = [s for field in spec.fields for s in _strings(record.get(field))]
        else:
            values = list(_strings(record))
        items.extend([rows] * len(values))
        texts.extend(values)
        rows += 1
    if rows == 0:
        raise BuildError(f"{source.name}: no records")
    frame = pl.DataFrame(
        {"item": pl.Series(items, dtype=pl.UInt32), "text": pl.Series(texts, dtype=pl.String)}
    )
    return frame, rows


@dataclass(frozen=True)
class Built:
    records: np.ndarray[Any, np.dtype[np.void]]
    ngrams: int
    dropped_common: int
    skipped_short: int
    sizes: list[int]


def build_records(frame: pl.DataFrame, n: int, min_n: int, common_rows: int) -> Built:
    """Sorted distinct n-gram hashes with their first item, common n-grams dropped."""
    grams = text_ngrams(frame.get_column("text"), n, min_n)
    text_items = frame.get_column("item").to_numpy()
    table = pl.DataFrame({"hash": grams.hashes, "item": text_items[grams.text], "size": grams.size})
    per_hash = table.group_by("hash").agg(
        pl.col("item").n_unique().alias("rows"),
        pl.col("item").min().alias("item"),
        pl.col("size").min().alias("size"),
    )
    # A prefix key (size 0) only points at short texts to check in full: never dropped.
    common = (pl.col("rows") >= common_rows) & (pl.col("size") > 0)
    kept = per_hash.filter(~common).sort("hash")
    records = np.zeros(kept.height, dtype=RECORD)
    records["hash"] = kept.get_column("hash").to_numpy()
    records["item"] = kept.get_column("item").to_numpy()
    records["size"] = kept.get_column("size").to_numpy()
    words = grams.lengths
    sizes = kept.get_column("size")
    return Built(
        records=records,
        ngrams=int((sizes > 0).sum()),
        dropped_common=per_hash.height - kept.height,
        skipped_short=int(((words > 0) & (words < min_n)).sum()),
        sizes=sorted(int(s) for s in sizes.unique() if s > 0),
    )


def read_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    if not path.is_file():
        return {"format": FINGERPRINT_FORMAT, "benchmarks": []}
    manifest: dict[str, Any] = orjson.loads(path.read_bytes())
    if manifest.get("format") != FINGERPRINT_FORMAT:
        raise BuildError(f"{path}: format {manifest.get('format')!r}; remove it to rebuild")
    return manifest


def build(
    sources: Sequence[tuple[str, str]],
    out: Path,
    *,
    n: int = 13,
    min_n: int = 8,
    common_rows: int = 5,
    date: str | None = None,
    accept_new_source: bool = False,
    title: str | None = None,
    license: str | None = None,
) -> dict[str, Any]:
    """Build every source's fingerprints into `out` and update its manifest; returns it."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(out)
    entries = {str(e["name"]): e for e in manifest["benchmarks"]}
    today = date or datetime.now(UTC).date().isoformat()
    for name, location in sources:
        source = read_source(name, location)
        digest = sha256(source.data)
        earlier = entries.get(name, {})
        recorded = earlier.get("source_sha256")
        if recorded and recorded != digest and not accept_new_source:
            raise BuildError(
                f"{name}: source sha256 {digest} differs from the manifest's {recorded} "
                "(pass --accept-new-source to build from the new file)"
            )
        frame, rows = source_texts(source)
        built = build_records(frame, n, min_n, common_rows)
        data = fingerprint_bytes(built.records)
        file_name = f"{name}.npy"
        write_atomic(out / file_name, data)
        spec = BENCHMARKS.get(name)
        fingerprint_digest = sha256(data)
        same = earlier.get("fingerprint_sha256") == fingerprint_digest
        entries[name] = {
            "name": name,
            "title": spec.title if spec else (title or name),
            "family": spec.family if spec else "custom",
            "source": source.where,
            "license": spec.license if spec else (license or "unknown (private set)"),
            "split": spec.split if spec else "eval",
            "fields": list(spec.fields) if spec else ["every string value"],
            "rows": rows,
            "texts": frame.height,
            "ngrams": built.ngrams,
            "n": n,
            "min_n": min_n,
            "sizes": built.sizes,
            "skipped_short_texts": built.skipped_short,
            "common_rows": common_rows,
            "dropped_common_ngrams": built.dropped_common,
            "source_sha256": digest,
            "fingerprint_file": file_name,
            "fingerprint_sha256": fingerprint_digest,
            "fingerprint_bytes": len(data),
            "built": earlier.get("built", today) if same else today,
        }
    manifest = {
        "format": FINGERPRINT_FORMAT,
        "rule": RULE,
        "record": "numpy .npy of (hash <u8, item <u4, size u1) sorted by hash, distinct "
        "hashes; item is the first 0-based source row with that n-gram, size its words "
        "(0: the first min_n words of a short text, a key to check the whole text by)",
        "dropped": "n-grams that common_rows or more rows of one benchmark share "
        "(boilerplate such as docstring frames) are left out",
        "text": "no benchmark text is stored, only 64-bit hashes of its n-grams",
        "benchmarks": [entries[k] for k in sorted(entries)],
    }
    write_atomic(
        out / MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    )
    return manifest


def parse_source(text: str) -> tuple[str, str]:
    name, sep, location = text.partition("=")
    if not sep or not name or not location:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=GITDIR@COMMIT or NAME=FILE")
    return name, location


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", type=parse_source, metavar="NAME=LOCATION")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--n", type=int, default=13)
    parser.add_argument("--min-n", type=int, default=8)
    parser.add_argument("--common-rows", type=int, default=5)
    parser.add_argument("--date", help="build date for the manifest (default: today, UTC)")
    parser.add_argument("--title", help="title of a custom set")
    parser.add_argument("--license", help="license of a custom set")
    parser.add_argument("--accept-new-source", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.min_n <= args.n:
        parser.error("--min-n must be between 1 and --n")
    try:
        manifest = build(
            args.sources,
            args.out,
            n=args.n,
            min_n=args.min_n,
            common_rows=args.common_rows,
            date=args.date,
            accept_new_source=args.accept_new_source,
            title=args.title,
            license=args.license,
        )
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for entry in manifest["benchmarks"]:
        size = entry["fingerprint_bytes"] / 1e6
        print(
            f"{entry['name']:<18} {entry['rows']:>6,} rows {entry['ngrams']:>8,} n-grams "
            f"{size:6.2f} MB  dropped {entry['dropped_common_ngrams']:,}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
