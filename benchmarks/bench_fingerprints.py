"""Benchmark FT507: shipped fingerprint sizes, and the check's time on 100k rows.

    python benchmarks/bench_fingerprints.py --repeat 3 [--mirror /work/.mirror]

Data: generate.py's 100k-row chat file (`benchmarks/data/leak_train_100k.jsonl`, the same
bytes as `generate.py --rows 100000`; written on first use), loaded once with
`load_dataset`; loading is not part of any time below.

Routes, each timed `--repeat` times in this process, interleaved, medians reported:

  ft507-cold   BenchmarkContamination().run(ctx) on a fresh AuditContext without the
               artifact cache: every distinct train text split, hashed and looked up in
               all shipped fingerprints.
  ft507-warm   the same with an artifact cache that a first (untimed) run filled: what a
               pre-commit re-run of an unchanged file pays.
  python-set   the obvious alternative: a Python set of 13-word tuples of the benchmark
               texts, and per train text a Python loop over its windows (the same word
               split, `words_of`). Its set holds the benchmark text, which ftaudit does not
               ship: it is read from `--mirror` when given, else it is a same-size synthetic
               set (lookup time hardly depends on what the set holds).

`stages` splits one cold run's work into the word split, numbering and hashing the
distinct words, and the rolling hash plus lookups. Writes benchmarks/results/fingerprints.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from auditor.artifact_cache import ArtifactCache  # noqa: E402
from auditor.benchmark_ngrams import (  # noqa: E402
    FingerprintIndex,
    load_shipped,
    shipped_manifest,
    stable_tokens,
    word_split,
    words_of,
)
from auditor.config import AuditConfig  # noqa: E402
from auditor.context import AuditContext  # noqa: E402
from auditor.dataset import Dataset, load_dataset  # noqa: E402
from auditor.word_hashes import RollingHashes  # noqa: E402
from checks.benchmark_contamination import BenchmarkContamination  # noqa: E402

DEFAULT_TRAIN = ROOT / "benchmarks" / "data" / "leak_train_100k.jsonl"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "fingerprints.json"
N = 13


def ensure_train(path: Path, rows: int, seed: int) -> Path:
    if not path.exists():
        import generate

        path.parent.mkdir(parents=True, exist_ok=True)
        generate.generate(rows, path, seed)
    return path


def benchmark_texts(mirror: Path | None) -> tuple[list[str], str]:
    """The shipped benchmarks' texts from the mirror, else a synthetic set of the same
    number of n-grams."""
    if mirror is not None:
        sys.path.insert(0, str(ROOT / "scripts"))
        import build_fingerprints as build

        texts: list[str] = []
        for entry in shipped_manifest()["benchmarks"]:
            repo = mirror / entry["source"]["repo"].replace("/", "+") / "repo"
            git_dir = repo / ".git" if (repo / ".git").is_dir() else repo
            source = build.read_source(entry["name"], f"{git_dir}@{entry['source']['commit']}")
            frame, _ = build.source_texts(source)
            texts += frame.get_column("text").to_list()
        return texts, "benchmark text from the mirror"
    rng = np.random.default_rng(0)
    total = sum(int(e["ngrams"]) for e in shipped_manifest()["benchmarks"])
    vocab = [f"w{i}" for i in range(20_000)]
    texts = [" ".join(rng.choice(vocab, 112)) for _ in range(total // 100)]  # ~100 13-grams each
    return texts, "synthetic set of the same n-gram count"


def python_set_route(train: list[str], bench: list[str]) -> int:
    """Rows sharing a 13-word tuple with the benchmark set, in plain Python."""
    grams: set[tuple[str, ...]] = set()
    for text in bench:
        words = words_of(text)
        grams.update(tuple(words[i : i + N]) for i in range(len(words) - N + 1))
    hit = 0
    for text in train:
        words = words_of(text)
        if any(tuple(words[i : i + N]) in grams for i in range(len(words) - N + 1)):
            hit += 1
    return hit


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


def stages(texts: pl.Series) -> dict[str, float]:
    """Where a cold run's time goes, per stage, over the same batches as the check."""
    index = FingerprintIndex(load_shipped())
    out = {"word split": 0.0, "number + hash words": 0.0, "rolling hash + lookup": 0.0}
    for lo in range(0, texts.len(), 8192):
        batch = texts.slice(lo, 8192)
        start = time.perf_counter()
        word_split(batch)
        out["word split"] += time.perf_counter() - start
        start = time.perf_counter()
        tokens, lengths = stable_tokens(batch)
        out["number + hash words"] += time.perf_counter() - start
        start = time.perf_counter()
        rolling = RollingHashes(tokens, lengths)
        for size in index.scans:
            index.members[size].contains(rolling.flat_windows(size))
        out["rolling hash + lookup"] += time.perf_counter() - start
    # stable_tokens repeats the split: what numbering and hashing add is the difference.
    out["number + hash words"] -= out["word split"]
    return {k: round(v, 3) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=DEFAULT_TRAIN)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mirror", type=Path, default=None)
    parser.add_argument("--skip-python", action="store_true")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    manifest = shipped_manifest()
    sizes = [
        {
            "name": e["name"],
            "rows": e["rows"],
            "ngrams": e["ngrams"],
            "bytes": e["fingerprint_bytes"],
            "license": e["license"],
        }
        for e in manifest["benchmarks"]
    ]
    total_bytes = sum(s["bytes"] for s in sizes)
    print(f"{'benchmark':<18} {'rows':>6} {'n-grams':>9} {'MB':>6}")
    for s in sizes:
        print(f"{s['name']:<18} {s['rows']:>6,} {s['ngrams']:>9,} {s['bytes'] / 1e6:6.2f}")
    print(f"{'total':<18} {'':>6} {sum(s['ngrams'] for s in sizes):>9,} {total_bytes / 1e6:6.2f}")

    train_path = ensure_train(args.train, args.rows, args.seed)
    load_s, dataset = timed(lambda: load_dataset([train_path]))
    assert isinstance(dataset, Dataset)
    texts = dataset.train.get_column("text")
    print(f"loaded {dataset.train.height:,} rows in {load_s:.1f} s (not timed below)")
    config = AuditConfig(select=["FT507"])
    check = BenchmarkContamination()
    bench, bench_kind = benchmark_texts(args.mirror) if not args.skip_python else ([], "")
    train_list = texts.to_list() if not args.skip_python else []

    runs: dict[str, list[float]] = {"ft507-cold": [], "ft507-warm": [], "python-set": []}
    statuses: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = ArtifactCache(Path(tmp) / "artifacts.sqlite3")
        check.run(AuditContext(dataset, config, artifact_cache=store))  # fill the cache
        for _ in range(args.repeat):
            seconds, result = timed(lambda: check.run(AuditContext(dataset, config)))
            runs["ft507-cold"].append(seconds)
            statuses["ft507-cold"] = f"{result.status} ({result.summary})"
            seconds, result = timed(
                lambda: check.run(AuditContext(dataset, config, artifact_cache=store))
            )
            runs["ft507-warm"].append(seconds)
            statuses["ft507-warm"] = str(result.status)
            if not args.skip_python:
                seconds, hit = timed(lambda: python_set_route(train_list, bench))
                runs["python-set"].append(seconds)
                statuses["python-set"] = f"{hit} rows hit"
    breakdown = stages(texts)
    medians = {k: statistics.median(v) for k, v in runs.items() if v}
    print(f"\n{'route':<12} {'median s':>9}  runs")
    for name, values in runs.items():
        if values:
            shown = ", ".join(f"{v:.2f}" for v in values)
            print(f"{name:<12} {medians[name]:>9.3f}  {shown}  {statuses.get(name, '')}")
    if "python-set" in medians:
        print(f"python-set / ft507-cold: {medians['python-set'] / medians['ft507-cold']:.1f}x")
    print(f"cold stages (s): {breakdown}")
    try:
        git = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
    except OSError:
        git = ""
    record = {
        "machine": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpu_count": os.cpu_count(),
            # Other work on the machine moves the numbers: the load is recorded with them.
            "load_average_1m": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
            "polars": pl.__version__,
            "numpy": np.__version__,
            "git": git,
        },
        "settings": {**{k: str(v) for k, v in vars(args).items()}, "python_set": bench_kind},
        "fingerprints": {"benchmarks": sizes, "total_bytes": total_bytes},
        "train": {"rows": dataset.train.height, "text_bytes": int(texts.str.len_bytes().sum())},
        "runs": runs,
        "median_s": medians,
        "statuses": statuses,
        "cold_stages_s": breakdown,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
