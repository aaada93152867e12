"""Benchmark ftaudit's train/eval leakage checks against the plain datasketch route.

    python benchmarks/bench_leakage.py --repeat 3

Data (written to benchmarks/data/ on the first run, seeded, reused afterwards):
`leak_train_100k.jsonl` is generate.py's 100k-row chat file (the same bytes as
`generate.py --rows 100000`); `leak_eval_10k.jsonl` is the next 10,000 rows of the same
generator stream (unrelated to train, same distribution) with `--planted` of them
replaced by copies of random train rows whose user and assistant texts have 5–10 % of
their words edited (random substitutions, insertions and deletions with words of the
generator's vocabulary). `leak_planted.json` records which eval row copies which train
row.

Scenarios, each run `--repeat` times in a fresh process, interleaved (a, b, …, a, b, …):

  datasketch  the plain route: one `MinHash(num_perm=128)` per train `example` text fed
              with `update_batch` of its word 2-grams, `MinHashLSH(threshold=0.6)`,
              every train text inserted, every eval text queried, each candidate
              verified with `MinHash.jaccard >= 0.6` (verification included). The texts
              are ftaudit's own normalized `example` views (ctx.comparison /
              ctx.eval_comparison), computed before the clock starts: this route gets
              them for free.
  ft503       NearDuplicateOverlap().run(ctx) on a fresh AuditContext: comparison views,
              train signatures of the prompt / response / example views, one LSH index
              per view, eval queries, findings.
  ft503-example  FT503's own functions (ctx.signatures, ctx.lsh_index, near_matches) on
              the `example` view alone, fresh context: the same work as datasketch's.
  ft502       ExactOverlap().run(ctx) on a fresh context.
  ft504       NgramContamination().run(ctx) (13-gram pass) on a fresh context.
  leakage     FT502 + FT503 + FT504 on one fresh context (views and artifacts shared).

Loading (`load_dataset([train], [eval])`) is timed apart and is not part of a check's
time. A check's time starts with a fresh context, so it includes building the
comparison views (shown apart in the `views s` column). Recall is the share of planted
eval rows the route reports as matching their source train row (for FT503 and
datasketch: on the whole-example side); `false` counts unrelated eval rows reported as
matching any train row. Peak RSS is the child's VmHWM (see bench_load.py), loading
included.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

RESULT_MARK = "@@BENCH_LEAKAGE "
DEFAULT_DATA = ROOT / "benchmarks" / "data"
DEFAULT_RESULTS = ROOT / "benchmarks" / "results" / "leakage.json"
BASELINE = "datasketch"
SCENARIOS = {
    "datasketch": "datasketch MinHashLSH, insert train, query eval, verified",
    "ft503": "NearDuplicateOverlap().run(ctx) (3 views)",
    "ft503-example": "FT503's matching on the example view only",
    "ft502": "ExactOverlap().run(ctx)",
    "ft504": "NgramContamination().run(ctx) (13-grams)",
    "leakage": "FT502 + FT503 + FT504, one context",
    "ft503-after-ft302": "FT503 in a default audit: FT302 ran first (in 'views s')",
}
NUM_PERM = 128
THRESHOLD = 0.6
NGRAM = 2
#: ftaudit's word split (auditor.minhash.shingle_groups): ASCII punctuation and whitespace.
SPLIT = re.compile(r"[!-/:-@\[-`{-~\s]+")


# --- data ---------------------------------------------------------------------------------


def data_paths(folder: Path, train_rows: int, eval_rows: int) -> tuple[Path, Path, Path]:
    tag = f"{train_rows // 1000}k" if train_rows % 1000 == 0 else str(train_rows)
    etag = f"{eval_rows // 1000}k" if eval_rows % 1000 == 0 else str(eval_rows)
    return (
        folder / f"leak_train_{tag}.jsonl",
        folder / f"leak_eval_{etag}.jsonl",
        folder / f"leak_planted_{tag}_{etag}.json",
    )


def edit_words(text: str, rate: float, rng: np.random.Generator, vocab: Any) -> str:
    """Substitute, insert or delete about `rate` of the words of `text`, at random."""
    words = text.split()
    if not words:
        return text
    plain = vocab.spellings[0]
    for _ in range(max(1, round(rate * len(words)))):
        kind, at = int(rng.integers(3)), int(rng.integers(len(words)))
        if kind == 0:
            words[at] = str(plain[int(rng.integers(vocab.size))])
        elif kind == 1:
            words.insert(at, str(plain[int(rng.integers(vocab.size))]))
        elif len(words) > 1:
            del words[at]
    return " ".join(words)


def edited_copy(line: str, rate: float, rng: np.random.Generator, vocab: Any) -> str:
    """A train row with its user and assistant texts edited (system prompt, tools kept)."""
    row = json.loads(line)
    for message in row["messages"]:
        if message["role"] in ("user", "assistant") and isinstance(message.get("content"), str):
            message["content"] = edit_words(message["content"], rate, rng, vocab)
    return json.dumps(row, ensure_ascii=False)


def make_data(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """Write (or reuse) the train file, the eval file with planted copies, the manifest."""
    import generate as gen

    train, evals, manifest = data_paths(args.data, args.train_rows, args.eval_rows)
    settings = {
        "train_rows": args.train_rows,
        "eval_rows": args.eval_rows,
        "planted": args.planted,
        "edit_rate": [args.edit_min, args.edit_max],
        "seed": args.seed,
    }
    ready = manifest.is_file() and train.is_file() and evals.is_file()
    if ready and json.loads(manifest.read_text()).get("settings") == settings:
        return train, evals, manifest
    started = time.perf_counter()
    gen.generate(args.train_rows, train, args.seed)
    train_lines = train.read_text(encoding="utf-8").splitlines()
    vocab = gen.build_vocabulary(seed=args.seed)
    # The eval rows continue the generator's stream after the train rows: same
    # distribution, unrelated texts.
    first_block = args.train_rows // gen.BLOCK_ROWS
    lines: list[str] = []
    block = first_block
    skip = args.train_rows - first_block * gen.BLOCK_ROWS
    while len(lines) < args.eval_rows + skip:
        lines += gen.generate_block(args.seed, block, gen.BLOCK_ROWS, vocab)
        block += 1
    eval_lines = lines[skip : skip + args.eval_rows]
    rng = np.random.default_rng([args.seed, 503])
    eval_at = np.sort(rng.choice(args.eval_rows, size=args.planted, replace=False))
    train_at = rng.choice(args.train_rows, size=args.planted, replace=False)
    rates = rng.uniform(args.edit_min, args.edit_max, size=args.planted)
    pairs = []
    for e, t, rate in zip(eval_at.tolist(), train_at.tolist(), rates.tolist(), strict=True):
        eval_lines[e] = edited_copy(train_lines[t], rate, rng, vocab)
        pairs.append([e, t, round(rate, 4)])
    evals.write_text("\n".join(eval_lines) + "\n", encoding="utf-8")
    manifest.write_text(json.dumps({"settings": settings, "planted": pairs}) + "\n")
    print(
        f"wrote {train} ({args.train_rows:,} rows), {evals} ({args.eval_rows:,} rows, "
        f"{args.planted} planted) in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return train, evals, manifest


# --- the child: one scenario, once, in its own process ------------------------------------


def peak_rss_mb() -> float:
    """This process's own peak RSS in MiB (bench_load's reading: VmHWM on Linux)."""
    from bench_load import peak_rss_mb as reading

    return reading()


def shingles(text: str) -> list[bytes]:
    words = [w for w in SPLIT.split(text.lower()) if w]
    return [" ".join(words[i : i + NGRAM]).encode() for i in range(len(words) - NGRAM + 1)]


def datasketch_route(train: list[str], evals: list[str]) -> set[tuple[int, int]]:
    """(eval_row, train_row) of every verified match, the plain datasketch way."""
    from datasketch import MinHash, MinHashLSH

    def sketch(text: str) -> MinHash:
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch(shingles(text))
        return m

    sketches = [sketch(t) for t in train]
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for i, m in enumerate(sketches):
        lsh.insert(i, m)
    found = set()
    for e, text in enumerate(evals):
        m = sketch(text)
        for t in lsh.query(m):
            if m.jaccard(sketches[t]) >= THRESHOLD:
                found.add((e, t))
    return found


def frame_pairs(frame: Any) -> set[tuple[int, int]]:
    return {(int(e), int(t)) for e, t in frame.select("eval_row", "train_row").iter_rows()}


Work = Callable[[Any], dict[str, str]]
Reader = Callable[[Any], dict[str, set[tuple[int, int]]]]


def ftaudit_work(name: str) -> tuple[Work, Reader]:
    """What a scenario runs on the context (timed), and how to read its matches after."""
    import polars as pl

    from auditor.leakage import near_matches
    from checks.leakage import (
        ExactOverlap,
        NearDuplicateOverlap,
        NgramContamination,
        near_duplicate_params,
    )

    def near(ctx: Any) -> dict[str, set[tuple[int, int]]]:
        matches = NearDuplicateOverlap().matches(ctx)  # signatures and index are cached
        example = matches.filter(pl.col("side") == "example")
        return {"example": frame_pairs(example), "any": frame_pairs(matches)}

    def exact(ctx: Any) -> set[tuple[int, int]]:
        return frame_pairs(ExactOverlap().matches(ctx))

    def ngram(ctx: Any) -> set[tuple[int, int]]:
        hits = ctx.ngram_hits(NgramContamination().options.params())
        return frame_pairs(hits.pairs.filter(pl.col("kind") == "verbatim"))

    def run(*checks: Any) -> Work:
        return lambda ctx: {c.code: str(c.run(ctx).status) for c in checks}

    if name == "ft503-example":
        # FT503's own functions on the example view alone: the datasketch route's work.
        found: dict[str, Any] = {}

        def example_only(ctx: Any) -> dict[str, str]:
            params = near_duplicate_params(ctx)
            leak = NearDuplicateOverlap().thresholds.leak_filter()
            found["matches"] = near_matches(
                "example",
                ctx.lsh_index("example", params),
                ctx.signatures("example", params, split="eval"),
                ctx.comparison,
                ctx.eval_comparison,
                leak,
                np.zeros(ctx.train.height, dtype=bool),  # no generic whole rows
            )
            return {}

        pairs: Reader = lambda ctx: dict.fromkeys(("example", "any"), frame_pairs(found["matches"]))  # noqa: E731
        return example_only, pairs
    if name in ("ft503", "ft503-after-ft302"):
        return run(NearDuplicateOverlap()), near
    if name == "ft502":
        return run(ExactOverlap()), lambda ctx: {"any": exact(ctx)}
    if name == "ft504":
        return run(NgramContamination()), lambda ctx: {"any": ngram(ctx)}

    def everything(ctx: Any) -> dict[str, set[tuple[int, int]]]:
        near_pairs = near(ctx)
        return {
            "example": near_pairs["example"],
            "any": exact(ctx) | near_pairs["any"] | ngram(ctx),
        }

    return run(ExactOverlap(), NearDuplicateOverlap(), NgramContamination()), everything


def child_main(name: str, train: Path, evals: Path, profile_to: Path | None) -> int:
    # Imports before the clock: polars, pydantic, the core, the checks, datasketch.
    from auditor.config import AuditConfig
    from auditor.context import AuditContext
    from auditor.dataset import load_dataset

    if name == BASELINE:
        import datasketch  # noqa: F401
    else:
        work, read_matches = ftaudit_work(name)
    rss_imports = peak_rss_mb()
    started = time.perf_counter()
    dataset = load_dataset([train], [evals])
    load_s = time.perf_counter() - started
    rss_loaded = peak_rss_mb()
    ctx = AuditContext(dataset, AuditConfig())
    out: dict[str, Any] = {"load_s": load_s, "rss_loaded_mb": rss_loaded}
    profiler = None
    if profile_to is not None:
        import cProfile

        profiler = cProfile.Profile()
    if name == BASELINE:
        started = time.perf_counter()
        train_texts = ctx.comparison.get_column("example").to_list()
        eval_texts = ctx.eval_comparison.get_column("example").to_list()
        out["views_s"] = time.perf_counter() - started
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        found = datasketch_route(train_texts, eval_texts)
        out["check_s"] = time.perf_counter() - started
        out["total_s"] = out["check_s"]  # the views are given to this route
        matches = {"example": found, "any": found}
    else:
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        ctx.comparison  # noqa: B018 - the views, timed apart (a fresh context builds them)
        ctx.eval_comparison  # noqa: B018
        if name == "ft503-after-ft302":
            # A default audit runs FT302 first; FT503 then reuses its train signatures.
            from checks.near_duplicates import NearDuplicates

            NearDuplicates().run(ctx)
        views_s = time.perf_counter() - started
        statuses = work(ctx)
        out["total_s"] = time.perf_counter() - started
        out.update(views_s=views_s, check_s=out["total_s"] - views_s, statuses=statuses)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile_to)
    if name != BASELINE:
        matches = read_matches(ctx)  # cached artifacts: cheap, and not timed
    out["peak_rss_mb"] = peak_rss_mb()
    out["rss_imports_mb"] = rss_imports
    out["matches"] = {side: sorted(pairs) for side, pairs in matches.items()}
    print(RESULT_MARK + json.dumps(out), flush=True)
    return 0


# --- the parent ---------------------------------------------------------------------------


def run_child(
    name: str, train: Path, evals: Path, profile_to: Path | None = None
) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name]
    command += ["--train", str(train), "--eval", str(evals)]
    if profile_to is not None:
        command += ["--profile-to", str(profile_to)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    process_s = time.perf_counter() - started
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        tail = "\n".join(done.stderr.strip().splitlines()[-20:])
        raise SystemExit(f"error: scenario {name} failed (exit {done.returncode}):\n{tail}")
    out: dict[str, Any] = json.loads(lines[-1][len(RESULT_MARK) :])
    out["process_s"] = process_s
    return out


def score(run: dict[str, Any], planted: dict[int, int], eval_rows: int) -> dict[str, Any]:
    """Recall of the planted pairs (example side where the route has one) and false rows."""
    side = "example" if "example" in run["matches"] else "any"
    hits = {(e, t) for e, t in run["matches"][side]}
    found = sum(1 for e, t in planted.items() if (e, t) in hits)
    flagged = {e for e, _ in run["matches"]["any"]}
    any_hits = {(e, t) for e, t in run["matches"]["any"]}
    return {
        "recall": found / len(planted) if planted else None,
        "recall_any_side": sum(1 for p in planted.items() if p in any_hits) / len(planted)
        if planted
        else None,
        "false_rows": len(flagged - planted.keys()),
        "unrelated_rows": eval_rows - len(planted),
    }


def summarize(name: str, runs: list[dict[str, Any]], planted: dict[int, int], rows: int):
    med = {
        key: statistics.median(r[key] for r in runs)
        for key in ("total_s", "check_s", "views_s", "load_s", "peak_rss_mb", "rss_loaded_mb")
    }
    totals = [r["total_s"] for r in runs]
    return {
        "name": name,
        "description": SCENARIOS[name],
        **{f"median_{k}": v for k, v in med.items()},
        "min_s": min(totals),
        "max_s": max(totals),
        "statuses": runs[0].get("statuses", {}),
        **score(runs[0], planted, rows),
        "runs": [{k: v for k, v in r.items() if k != "matches"} for r in runs],
    }


def format_table(summaries: list[dict[str, Any]]) -> str:
    base = next((s for s in summaries if s["name"] == BASELINE), None)
    lines = [
        "| scenario | check s | min–max s | views s | without views s | peak RSS MB "
        "| recall (planted) | false rows | × datasketch time | speed-up | speed-up without views |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    nan = float("nan")
    for s in summaries:
        given = s["name"] == BASELINE
        base_s = base["median_total_s"] if base else nan
        views = "(given)" if given else f"{s['median_views_s']:.2f}"
        recall = f"{s['recall']:.3f}" if s["recall"] is not None else "-"
        lines.append(
            f"| {s['name']} | {s['median_total_s']:.2f} | {s['min_s']:.1f}–{s['max_s']:.1f} "
            f"| {views} | {s['median_check_s']:.2f} | {s['median_peak_rss_mb']:,.0f} "
            f"| {recall} | {s['false_rows']} of {s['unrelated_rows']:,} "
            f"| {s['median_total_s'] / base_s:.3f} | {base_s / s['median_total_s']:.1f}× "
            f"| {base_s / s['median_check_s']:.1f}× |"
        )
    return "\n".join(lines)


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def git_revision() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{head}{'+dirty' if dirty else ''}" if head else "unknown"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder for the data")
    parser.add_argument("--train-rows", type=int, default=100_000)
    parser.add_argument("--eval-rows", type=int, default=10_000)
    parser.add_argument("--planted", type=int, default=500)
    parser.add_argument("--edit-min", type=float, default=0.05)
    parser.add_argument("--edit-max", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (median)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--out", type=Path, default=DEFAULT_RESULTS, help="JSON results")
    parser.add_argument("--profile", action="store_true", help="cProfile each scenario once")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--train", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--eval", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args.child, args.train, args.eval, args.profile_to)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names or args.repeat < 1:
        print(f"error: unknown scenario(s) {unknown} or bad --repeat", file=sys.stderr)
        return 2
    if not 0 < args.planted <= args.eval_rows:
        print("error: --planted must be between 1 and --eval-rows", file=sys.stderr)
        return 2
    train, evals, manifest = make_data(args)
    planted = {int(e): int(t) for e, t, _ in json.loads(manifest.read_text())["planted"]}
    for path in (train, evals):
        path.read_bytes()  # page cache: no run pays for the disk
    info = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "polars": package_version("polars"),
        "numpy": package_version("numpy"),
        "datasketch": package_version("datasketch"),
        "git": git_revision(),
    }
    print(
        f"ftaudit leakage benchmark — {info['date']}\n"
        f"machine: {info['cpu_count']} CPUs, Python {info['python']}, polars {info['polars']}, "
        f"numpy {info['numpy']}, datasketch {info['datasketch']}, git {info['git']}\n"
        f"train {train.name} ({args.train_rows:,} rows), eval {evals.name} "
        f"({args.eval_rows:,} rows, {len(planted)} planted copies with "
        f"{args.edit_min:.0%}–{args.edit_max:.0%} of words edited)\n"
        f"settings: word {NGRAM}-grams, {NUM_PERM} permutations, Jaccard ≥ {THRESHOLD}, "
        "candidates verified in both routes; median of "
        f"{args.repeat} runs, each in a fresh process\n"
    )
    if args.profile:
        import pstats

        args.out.parent.mkdir(parents=True, exist_ok=True)
        for name in names:
            target = args.out.parent / f"leakage-{name}.prof"
            run = run_child(name, train, evals, profile_to=target)
            print(f"\n=== {name}: {run['total_s']:.2f} s under cProfile -> {target}")
            for key in ("tottime", "cumulative"):
                print(f"--- top {args.top} by {key}")
                pstats.Stats(str(target)).sort_stats(key).print_stats(args.top)
        return 0
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    for round_ in range(1, args.repeat + 1):
        for name in names:
            run = run_child(name, train, evals)
            runs[name].append(run)
            print(
                f"  round {round_}/{args.repeat} {name:<10} check {run['total_s']:7.2f} s "
                f"(views {run['views_s']:.2f} s, load {run['load_s']:.2f} s) "
                f"{run['peak_rss_mb']:7,.0f} MB",
                file=sys.stderr,
                flush=True,
            )
    summaries = [summarize(n, runs[n], planted, args.eval_rows) for n in names]
    print(format_table(summaries))
    print(
        "\nload_dataset (not in the check times), median s: "
        + ", ".join(f"{s['name']} {s['median_load_s']:.2f}" for s in summaries)
    )
    for s in summaries:
        bad = [code for code, status in s["statuses"].items() if status == "error"]
        if bad:
            print(f"warning: {s['name']}: {', '.join(bad)} ended in error", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"machine": info, "settings": vars(args) | {"planted": len(planted)}}
    result["scenarios"] = summaries
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
