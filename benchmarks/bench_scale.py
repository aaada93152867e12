"""Scale benchmarks: the whole non-neural audit, the duplicate family, and 1M rows.

    python benchmarks/bench_scale.py --scenarios audit100k,dup,scale --repeat 3

Every measurement is one fresh `python` subprocess (this script with --child), so its
peak RSS is its own high-water mark (VmHWM, read as in bench_load.py) and no run warms
another. Times are taken inside the child around the work only, after its imports;
`process s` is the child's whole life. Each file is read once before its first run, so
every run finds it in the page cache. Repeats are interleaved (a, b, c, a, b, c, ...)
so a change in machine load hits every route alike; tables show medians.

Scenarios (pick with --scenarios, run in that order):

  audit100k  (a) a stdlib `json.loads` loop over every line, the parsed list kept
             (bench_load's `json`), against the whole non-neural audit:
             `audit([path], config=AuditConfig(select=NON_NEURAL, embed=False,
             cache=False))` on generate.py's 100k chat rows. Target: ≤ 5× (a).

  dup        the duplicate family end to end against plain datasketch, on a file with
             planted near-copies: generate.py's rows with `--planted-share` of them
             replaced by copies of earlier rows whose user and assistant texts have
             5–10 % of their words substituted, inserted or deleted (bench_leakage's
             edit), seeded; the (original line, copy line) pairs are written beside it.
             (a) ftaudit: `audit(select=["FT3"], embed=False, cache=False,
                 max-findings=0)` (FT0 is always on; FT301–FT304), recall read off the
                 FT302 findings: a planted pair is found when both lines are in one
                 cluster (a finding's line plus its related lines).
             (b1) datasketch, one view: json.loads each line; the text is every
                 non-system turn's content plus its tool calls, lower-cased and split
                 into words like ftaudit (ASCII punctuation, whitespace); word 2-gram
                 shingles; one MinHash(num_perm=128) per text via update_batch;
                 MinHashLSH(threshold=0.6, num_perm=128): insert all, query each,
                 verify candidates with MinHash.jaccard ≥ 0.6; exact duplicates by a
                 blake2b hash of the text; clusters = connected pairs.
             (b3) the same for three views, as FT302 computes them: prompt (turns before
                 the final assistant turn), response (the final assistant turn) and
                 example (all turns). Recall for both is on the example view.
             `--baseline-rows N` runs (b1)/(b3) on the first N rows and scales their
             time by rows / N (the tables say so). Targets: ftaudit ≥ 10× faster, recall
             ≥ 0.98.

  scale      the whole non-neural audit and the json loop at each of `--rows-list`
             (default 125k, 250k, 500k, 1M), one run each per `--repeat`: the first n
             rows of generate.py's 1M-row file (its prefix property: the same bytes as
             `generate.py --rows n`), written to benchmarks/data/ on first use. Peak RSS
             and time at each size, a least-squares MB-per-100k-rows slope and its
             extrapolation to 10M rows. Targets at 1M: ≤ 120 s and ≤ 4 GB (4,096 MiB).

The non-neural selection is FT0, FT1, FT2, FT3, FT501–FT504, FT507, FT6 with embeddings
and the artifact cache off; without an eval file FT502–FT504 report `skipped`. Inside an
audit child, `on_check` marks when each check starts (and auditor.api.run_checks is
wrapped to mark when the last one ends), which gives each check's time and how far it
raised the peak; shared artifacts are charged to the first check that uses them.

`load avg` in the tables is the 1-minute load average when each run started (median):
on a shared machine it says how busy it was; this benchmark's previous child counts in
it (up to ~2 on two cores).

Children run with polars' allocator set as the `ftaudit` command sets it for their file
(freed pages returned at once from 512 MB of input, auditor.allocator);
`--polars-allocator polars` keeps polars' own defaults, `at-once` returns freed pages at
once whatever the size.

Results go to benchmarks/results/scale.json (one key per scenario, so scenarios run
separately add up); the markdown tables are printed.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_load import (  # noqa: E402
    machine_info,
    package_version,
    parse_with,
    peak_rss_mb,
    warm_page_cache,
)

DATA = HERE / "data"
DEFAULT_RESULTS = HERE / "results" / "scale.json"
RESULT_MARK = "@@BENCH_SCALE "
SCENARIOS = ("audit100k", "dup", "scale")
NON_NEURAL = ["FT0", "FT1", "FT2", "FT3", "FT501", "FT502", "FT503", "FT504", "FT507", "FT6"]
AUDIT_RATIO_TARGET = 5.0
DUP_SPEEDUP_TARGET = 10.0
RECALL_TARGET = 0.98
SCALE_SECONDS_TARGET = 120.0
SCALE_RSS_TARGET_MB = 4096.0
NUM_PERM = 128
THRESHOLD = 0.6
NGRAM = 2
#: ftaudit's word split (auditor.minhash.shingle_groups): ASCII punctuation and whitespace.
SPLIT = re.compile(r"[!-/:-@\[-`{-~\s]+")


def status_hwm_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MiB, from /proc/self/status (0, 0 elsewhere)."""
    rss = hwm = 0.0
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, hwm


# --- the children -------------------------------------------------------------------------


def audit_config(select: list[str], **extra: Any) -> Any:
    from auditor.config import AuditConfig

    return AuditConfig.model_validate({"select": select, "embed": False, "cache": False, **extra})


def audit_work(path: Path, select: list[str], **extra: Any) -> Callable[[], dict[str, Any]]:
    """An audit of `path`; imports and check discovery happen here, before the clock."""
    import auditor.api as api
    from auditor.registry import discover

    discover()  # entry points load before timing, like a warm CLI
    config = audit_config(select, **extra)
    marks: list[tuple[str, float, float]] = []  # (what starts, when, VmHWM so far)

    def mark(name: str) -> None:
        marks.append((name, time.perf_counter(), status_hwm_mb()[1]))

    inner = api.run_checks

    def timed_run_checks(*args: Any, **kwargs: Any) -> Any:
        results = inner(*args, **kwargs)
        mark("report")  # the checks are done; what follows builds the Report
        return results

    api.run_checks = timed_run_checks

    def work() -> dict[str, Any]:
        mark("load")
        report = api.audit([path], config=config, on_check=lambda check: mark(check.code))
        mark("end")
        steps = [
            {"step": name, "s": later[1] - at, "hwm_before_mb": hwm, "hwm_after_mb": later[2]}
            for (name, at, hwm), later in itertools.pairwise(marks)
        ]
        out: dict[str, Any] = {
            "rows": sum(d.rows for d in report.datasets),
            "verdict": str(report.verdict.status),
            "checks": {r.code: str(r.status) for r in report.checks},
            "steps": steps,
        }
        ft302 = next((r for r in report.checks if r.code == "FT302"), None)
        if ft302 is not None and "FT3" in select:
            out["clusters"] = [
                [f.line, *f.related_lines] for f in ft302.findings if f.line is not None
            ]
            out["ft301_findings"] = next(
                (r.findings_total for r in report.checks if r.code == "FT301"), 0
            )
        return out

    return work


def lines_of(path: Path, limit: int) -> Iterator[bytes]:
    """The non-blank lines of `path`, the first `limit` only when limit > 0."""
    with path.open("rb") as handle:
        for count, line in enumerate(handle):
            if limit and count >= limit:
                return
            if line.strip():
                yield line


def turn_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    parts = [content] if isinstance(content, str) and content else []
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        parts.append(f"{function.get('name')}({function.get('arguments')})")
    return "\n".join(parts)


def row_views(row: Any) -> tuple[str, str, str]:
    """(prompt, response, example) of a chat row, system turns left out, lower case."""
    messages = row.get("messages") if isinstance(row, dict) else None
    turns = [m for m in messages or () if isinstance(m, dict) and m.get("role") != "system"]
    texts = [turn_text(m) for m in turns]
    last = max((i for i, m in enumerate(turns) if m.get("role") == "assistant"), default=None)
    prompt = "\n".join(texts if last is None else texts[:last])
    response = "" if last is None else texts[last]
    return prompt.lower(), response.lower(), "\n".join(texts).lower()


def shingles(text: str) -> list[bytes]:
    words = [w for w in SPLIT.split(text) if w]
    return [" ".join(words[i : i + NGRAM]).encode() for i in range(len(words) - NGRAM + 1)]


def union_clusters(n: int, groups: Iterable[Iterable[int]]) -> list[list[int]]:
    """Connected components (of size ≥ 2) of the pairs and groups given, as index lists."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for group in groups:
        members = list(group)
        for other in members[1:]:
            a, b = find(members[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    components: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        components[find(i)].append(i)
    return [c for c in components.values() if len(c) > 1]


def datasketch_view(texts: list[str]) -> dict[str, Any]:
    """The plain route on one view: exact hashing, MinHash, LSH insert + query, verify."""
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    exact: dict[bytes, list[int]] = defaultdict(list)
    for i, text in enumerate(texts):
        if text:
            exact[hashlib.blake2b(text.encode(), digest_size=16).digest()].append(i)
    exact_groups = [g for g in exact.values() if len(g) > 1]
    sketches: dict[int, MinHash] = {}
    for i, text in enumerate(texts):
        grams = shingles(text)
        if grams:  # a text without a 2-gram has nothing to compare
            m = MinHash(num_perm=NUM_PERM)
            m.update_batch(grams)
            sketches[i] = m
    sketch_s = time.perf_counter() - started
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for i, m in sketches.items():
        lsh.insert(i, m)
    pairs = set()
    for i, m in sketches.items():
        for j in lsh.query(m):
            if j > i and m.jaccard(sketches[j]) >= THRESHOLD:
                pairs.add((i, j))
    clusters = union_clusters(len(texts), [*exact_groups, *pairs])
    return {
        "s": time.perf_counter() - started,
        "sketch_s": sketch_s,
        "exact_groups": len(exact_groups),
        "verified_pairs": len(pairs),
        "clusters": clusters,
    }


def datasketch_work(path: Path, rows: int, views: tuple[str, ...]) -> Callable[[], dict[str, Any]]:
    import datasketch  # noqa: F401 - imported before the clock

    def work() -> dict[str, Any]:
        started = time.perf_counter()
        parsed = [row_views(json.loads(line)) for line in lines_of(path, rows)]
        parse_s = time.perf_counter() - started
        index = {"prompt": 0, "response": 1, "example": 2}
        per_view = {}
        for view in views:
            texts = [p[index[view]] for p in parsed]
            per_view[view] = datasketch_view(texts)
        example = per_view["example"]
        return {
            "rows": len(parsed),
            "parse_s": parse_s,
            "views": {
                v: {k: x for k, x in r.items() if k != "clusters"} for v, r in per_view.items()
            },
            # 1-based line numbers, as the report gives them (no blank lines in this data)
            "clusters": [[i + 1 for i in c] for c in example["clusters"]],
        }

    return work


def child_main(kind: str, path: Path, rows: int) -> int:
    work: Callable[[], dict[str, Any]]
    if kind == "json":
        work = lambda: parse_with(json.loads, path)  # noqa: E731
    elif kind == "audit":
        work = audit_work(path, NON_NEURAL)
    elif kind == "ft3":
        work = audit_work(path, ["FT3"], **{"max-findings": 0})
    elif kind == "ds1":
        work = datasketch_work(path, rows, ("example",))
    elif kind == "ds3":
        work = datasketch_work(path, rows, ("prompt", "response", "example"))
    else:
        raise SystemExit(f"unknown child {kind}")
    rss_imports = peak_rss_mb()
    started = time.perf_counter()
    out = work()
    out.update(
        seconds=time.perf_counter() - started,
        peak_rss_mb=peak_rss_mb(),
        rss_after_imports_mb=rss_imports,
    )
    print(RESULT_MARK + json.dumps(out), flush=True)
    return 0


# --- the parent ---------------------------------------------------------------------------


class BenchError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def child_env(path: Path, allocator: str) -> dict[str, str]:
    """A child's environment for polars' allocator: "ftaudit" as the `ftaudit` command
    sets it for the file at hand (freed pages returned at once for large inputs,
    auditor.allocator), "polars" polars' own defaults, "at-once" freed pages returned at
    once whatever the size."""
    from auditor.allocator import HAND_BACK_AT_ONCE, JEMALLOC_CONF, large_input

    env = {k: v for k, v in os.environ.items() if k != JEMALLOC_CONF}
    if allocator == "at-once" or (allocator == "ftaudit" and large_input([str(path)])):
        env[JEMALLOC_CONF] = HAND_BACK_AT_ONCE
    return env


def run_child(
    kind: str, path: Path, rows: int = 0, timeout: float = 3600, allocator: str = "ftaudit"
) -> dict[str, Any]:
    """One measurement in a fresh process; a failure (crash, OOM kill, timeout) is recorded."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(path)]
    command += ["--child-rows", str(rows)]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=child_env(path, allocator)
        )
    except subprocess.TimeoutExpired:
        return {
            "failed": f"timed out after {timeout:.0f} s",
            "process_s": time.perf_counter() - started,
            "load_before": load_before,
        }
    process_s = time.perf_counter() - started
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        why = "killed (SIGKILL: out of memory?)" if done.returncode == -9 else "failed"
        tail = " | ".join(done.stderr.strip().splitlines()[-5:])
        return {
            "failed": f"{why}, exit {done.returncode}: {tail}",
            "process_s": process_s,
            "load_before": load_before,
        }
    out: dict[str, Any] = json.loads(lines[-1][len(RESULT_MARK) :])
    out.update(process_s=process_s, load_before=load_before, load_after=os.getloadavg()[0])
    return out


def progress(label: str, run: dict[str, Any]) -> None:
    if "failed" in run:
        text = f"FAILED: {run['failed']}"
    else:
        text = f"{run['seconds']:8.2f} s {run['peak_rss_mb']:9,.0f} MB"
    print(f"  {label:<34} {text}  (load {run['load_before']:.1f})", file=sys.stderr, flush=True)


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if "failed" not in r]
    return statistics.median(values) if values else None


def spread(runs: list[dict[str, Any]]) -> str:
    values = [r["seconds"] for r in runs if "failed" not in r]
    return f"{min(values):.2f}–{max(values):.2f}" if values else "—"


def errors_in(runs: list[dict[str, Any]]) -> list[str]:
    return sorted({c for r in runs for c, s in r.get("checks", {}).items() if s == "error"})


def verdict_line(met: bool, text: str) -> str:
    return f"MET: {text}" if met else f"MISSED: {text}"


def steps_by_family(run: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Seconds and peak increase per part of an audit: load, FT1xx, FT2xx, ..., report."""
    parts: dict[str, dict[str, float]] = {}
    for step in run.get("steps", []):
        name = step["step"]
        part = f"{name[:3]}xx" if name.startswith("FT") else name
        if name == "FT507":
            part = "FT507"
        entry = parts.setdefault(part, {"s": 0.0, "peak_raise_mb": 0.0})
        entry["s"] += step["s"]
        entry["peak_raise_mb"] += step["hwm_after_mb"] - step["hwm_before_mb"]
    return parts


def slowest_steps(run: dict[str, Any], top: int = 6) -> str:
    steps = sorted(run.get("steps", []), key=lambda s: -s["s"])[:top]
    return ", ".join(f"{s['step']} {s['s']:.1f} s" for s in steps)


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = sorted((r for r in runs if "failed" not in r), key=lambda r: r["seconds"])
    return ok[len(ok) // 2] if ok else {}


# --- data ---------------------------------------------------------------------------------


def rows_tag(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}m"
    return f"{rows // 1000}k" if rows % 1000 == 0 else str(rows)


def chat_file(rows: int, seed: int) -> Path:
    """generate.py's `rows`-row file in benchmarks/data/, made on first use.

    A prefix of a longer file already there is the same bytes (generate.py's prefix
    property), so it is copied from that file instead of generated again.
    """
    import generate as gen

    suffix = "" if seed == gen.DEFAULT_SEED else f"_s{seed}"
    path = DATA / f"chat_{rows_tag(rows)}{suffix}.jsonl"
    if path.is_file():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    longer = sorted(
        (n, p)
        for p in DATA.glob(f"chat_*{suffix}.jsonl")
        if (n := tag_rows(p.stem.removeprefix("chat_").removesuffix(suffix))) and n > rows
    )
    started = time.perf_counter()
    if longer:
        source = longer[0][1]
        partial = path.with_suffix(".part")
        with source.open("rb") as src, partial.open("wb") as dst:
            for count, line in enumerate(src):
                if count >= rows:
                    break
                dst.write(line)
        partial.replace(path)
        how = f"copied the first {rows:,} rows of {source.name}"
    else:
        gen.generate(rows, path, seed)
        how = "generated"
    print(f"{path}: {how} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def tag_rows(tag: str) -> int:
    try:
        if tag.endswith("m"):
            return int(tag[:-1]) * 1_000_000
        if tag.endswith("k"):
            return int(tag[:-1]) * 1000
        return int(tag)
    except ValueError:
        return 0


def dup_data(args: argparse.Namespace) -> tuple[Path, list[tuple[int, int, float]]]:
    """The planted-duplicates file and its (original line, copy line, edit rate) pairs."""
    import generate as gen
    import numpy as np
    from bench_leakage import edited_copy

    tag = rows_tag(args.dup_rows)
    path = DATA / f"dup_{tag}.jsonl"
    manifest = DATA / f"dup_{tag}_planted.json"
    settings = {
        "rows": args.dup_rows,
        "planted_share": args.planted_share,
        "edit_rate": [0.05, 0.10],
        "seed": args.seed,
    }
    if path.is_file() and manifest.is_file():
        saved = json.loads(manifest.read_text())
        if saved.get("settings") == settings:
            return path, [(int(a), int(b), float(r)) for a, b, r in saved["planted"]]
    started = time.perf_counter()
    lines = chat_file(args.dup_rows, args.seed).read_text(encoding="utf-8").splitlines()
    vocab = gen.build_vocabulary(seed=args.seed)
    rng = np.random.default_rng([args.seed, 302])
    count = round(args.planted_share * len(lines))
    picks = rng.choice(len(lines), size=2 * count, replace=False).reshape(count, 2)
    rates = rng.uniform(0.05, 0.10, size=count)
    planted = []
    for (a, b), rate in sorted(zip(picks.tolist(), rates.tolist(), strict=True)):
        source, copy = min(a, b), max(a, b)  # a copy of an earlier row
        lines[copy] = edited_copy(lines[source], rate, rng, vocab)
        planted.append((source + 1, copy + 1, round(rate, 4)))  # 1-based lines
    planted.sort()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest.write_text(json.dumps({"settings": settings, "planted": planted}) + "\n")
    print(
        f"wrote {path} ({len(lines):,} rows, {count:,} planted copies) and {manifest.name} "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return path, planted


# --- scenarios ----------------------------------------------------------------------------


def scenario_audit100k(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    path = chat_file(args.rows, args.seed)
    size = warm_page_cache(path)
    routes = {"json": "(a) json.loads loop, list kept", "audit": "whole non-neural audit"}
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in routes}
    for round_ in range(1, args.repeat + 1):
        for kind in routes:
            run = run_child(kind, path, timeout=args.timeout, allocator=args.polars_allocator)
            runs[kind].append(run)
            progress(f"round {round_}/{args.repeat} {kind}", run)
    base_s, base_rss = median_of(runs["json"], "seconds"), median_of(runs["json"], "peak_rss_mb")
    audit_s = median_of(runs["audit"], "seconds")
    lines = [
        f"{path.name}: {args.rows:,} rows, {size / 1e6:.1f} MB; medians of {args.repeat} runs, "
        "each in a fresh process",
        "",
        "| route | median s | min–max s | rows/s | peak RSS MB | × (a) time | × (a) RSS "
        "| process s | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    summaries = {}
    for kind, label in routes.items():
        s, rss = median_of(runs[kind], "seconds"), median_of(runs[kind], "peak_rss_mb")
        proc = median_of(runs[kind], "process_s")
        summaries[kind] = {"label": label, "median_s": s, "peak_rss_mb": rss, "runs": runs[kind]}
        if s is None or rss is None or not base_s or not base_rss:
            lines.append(f"| {label} | failed | | | | | | | |")
            continue
        lines.append(
            f"| {label} | {s:.2f} | {spread(runs[kind])} | {args.rows / s:,.0f} | {rss:,.0f} "
            f"| {s / base_s:.2f} | {rss / base_rss:.2f} | {proc or 0:.2f} "
            f"| {median_of(runs[kind], 'load_before') or 0:.1f} |"
        )
    result: dict[str, Any] = {"file": str(path), "bytes": size, "routes": summaries}
    if audit_s and base_s:
        ratio = audit_s / base_s
        target = verdict_line(
            ratio <= AUDIT_RATIO_TARGET,
            f"{audit_s:.1f} s = {ratio:.1f}× {'≤' if ratio <= AUDIT_RATIO_TARGET else '>'} "
            f"{AUDIT_RATIO_TARGET:g}× the json.loads loop ({base_s:.2f} s)",
        )
        result.update(ratio=ratio, target=target)
        lines += ["", f"Target ≤ {AUDIT_RATIO_TARGET:g}× (a): **{target}**"]
        lines += ["", *family_table(median_run(runs["audit"]))]
    for code in errors_in(runs["audit"]):
        lines.append(f"warning: {code} ended in error (its time is missing)")
    return result, "\n".join(lines)


def family_table(run: dict[str, Any]) -> list[str]:
    if not run:
        return []
    parts = steps_by_family(run)
    lines = [
        f"Where the audit's time goes (the median run, {run['seconds']:.1f} s; artifacts "
        "charged to the first check that uses them):",
        "",
        "| part | s | share | raised peak RSS by MB |",
        "|---|---:|---:|---:|",
    ]
    for part, entry in parts.items():
        share = entry["s"] / run["seconds"] if run["seconds"] else 0
        lines.append(f"| {part} | {entry['s']:.2f} | {share:.0%} | {entry['peak_raise_mb']:,.0f} |")
    lines += ["", f"Slowest steps: {slowest_steps(run)}"]
    return lines


def recall_of(clusters: list[list[int]], planted: list[tuple[int, int, float]]) -> dict[str, Any]:
    """Planted pairs with both lines in one cluster, and clustered lines that were not planted."""
    cluster_of = {line: k for k, members in enumerate(clusters) for line in members}
    found = sum(
        1 for a, b, _ in planted if a in cluster_of and cluster_of.get(a) == cluster_of.get(b)
    )
    planted_lines = {line for a, b, _ in planted for line in (a, b)}
    return {
        "planted": len(planted),
        "found": found,
        "recall": found / len(planted) if planted else None,
        "unplanted_lines_in_clusters": len(cluster_of.keys() - planted_lines),
        "clusters": len(clusters),
    }


def scenario_dup(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    path, planted = dup_data(args)
    size = warm_page_cache(path)
    rows = args.dup_rows
    b_rows = min(args.baseline_rows or rows, rows)
    b_planted = [p for p in planted if p[1] <= b_rows]  # copies of earlier rows: both inside
    routes = {
        "ft3": ("(a) ftaudit", "audit(select=[FT3]): FT0 + FT301–FT304, 3 views", rows),
        "ds1": ("(b1) datasketch, 1 view", "example view: exact hash + MinHash LSH", b_rows),
        "ds3": ("(b3) datasketch, 3 views", "prompt, response, example (FT302's work)", b_rows),
    }
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in routes}
    for round_ in range(1, args.repeat + 1):
        for kind, (_, _, n) in routes.items():
            run = run_child(
                kind,
                path,
                rows=0 if n == rows else n,
                timeout=args.timeout,
                allocator=args.polars_allocator,
            )
            runs[kind].append(run)
            progress(f"round {round_}/{args.repeat} {kind} ({n:,} rows)", run)
    scale = rows / b_rows
    a_s = median_of(runs["ft3"], "seconds")
    note = (
        "" if b_rows == rows else f"; (b) measured on the first {b_rows:,} rows, time ×{scale:.2f}"
    )
    lines = [
        f"{path.name}: {rows:,} rows, {size / 1e6:.1f} MB, {len(planted):,} planted near-copies "
        f"(5–10 % of words edited); medians of {args.repeat} runs, each in a fresh process{note}",
        "",
        f"| route | computes | rows run | median s | min–max s | s for {rows_tag(rows)} rows "
        "| peak RSS MB | recall | unplanted lines in clusters | × ftaudit time | load avg |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    summaries: dict[str, Any] = {}
    for kind, (label, what, n) in routes.items():
        s = median_of(runs[kind], "seconds")
        rss = median_of(runs[kind], "peak_rss_mb")
        first = next((r for r in runs[kind] if "failed" not in r), None)
        score = recall_of(first["clusters"], planted if n == rows else b_planted) if first else {}
        scaled = s * rows / n if s is not None else None
        summaries[kind] = {
            "label": label,
            "computes": what,
            "rows_run": n,
            "median_s": s,
            "scaled_s": scaled,
            "peak_rss_mb": rss,
            **score,
            "runs": [{k: v for k, v in r.items() if k != "clusters"} for r in runs[kind]],
        }
        if s is None or scaled is None or rss is None or not a_s:
            lines.append(f"| {label} | {what} | {n:,} | failed | | | | | | | |")
            continue
        scaled_text = f"{scaled:.2f}" if n == rows else f"{scaled:.1f} (scaled)"
        lines.append(
            f"| {label} | {what} | {n:,} | {s:.2f} | {spread(runs[kind])} | {scaled_text} "
            f"| {rss:,.0f} | {score['recall']:.3f} ({score['found']}/{score['planted']}) "
            f"| {score['unplanted_lines_in_clusters']} | {scaled / a_s:.1f} "
            f"| {median_of(runs[kind], 'load_before') or 0:.1f} |"
        )
    targets = []
    if a_s:
        for kind in ("ds3", "ds1"):
            scaled = summaries[kind]["scaled_s"]
            if scaled is None:
                continue
            speedup = scaled / a_s
            sign = "≥" if speedup >= DUP_SPEEDUP_TARGET else "<"
            targets.append(
                f"vs {routes[kind][0]}: "
                + verdict_line(
                    speedup >= DUP_SPEEDUP_TARGET,
                    f"{scaled:.1f} s / {a_s:.2f} s = {speedup:.1f}× {sign} {DUP_SPEEDUP_TARGET:g}×",
                )
            )
        recall = summaries["ft3"].get("recall")
        if recall is not None:
            targets.append(
                "ftaudit recall: "
                + verdict_line(
                    recall >= RECALL_TARGET,
                    f"{recall:.3f} {'≥' if recall >= RECALL_TARGET else '<'} {RECALL_TARGET}",
                )
            )
    lines += ["", *(f"- {t}" for t in targets)]
    ft3 = median_run(runs["ft3"])
    if ft3:
        lines += ["", f"ftaudit's steps (median run): {slowest_steps(ft3)}"]
    for kind in ("ds1", "ds3"):
        run = median_run(runs[kind])
        if run:
            views = ", ".join(
                f"{v} {r['s']:.1f} s ({r['verified_pairs']} pairs, {r['exact_groups']} exact)"
                for v, r in run["views"].items()
            )
            lines.append(f"{routes[kind][0]} (median run): parse {run['parse_s']:.1f} s, {views}")
    for code in errors_in(runs["ft3"]):
        lines.append(f"warning: {code} ended in error")
    result = {
        "file": str(path),
        "bytes": size,
        "planted": len(planted),
        "baseline_rows": b_rows,
        "routes": summaries,
        "targets": targets,
    }
    return result, "\n".join(lines)


def fit(xs: list[float], ys: list[float]) -> tuple[float, float] | None:
    """Least-squares (slope, intercept) of ys on xs; None with fewer than two points."""
    if len(xs) < 2:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return slope, my - slope * mx


def scenario_scale(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    sizes = sorted({tag_rows(t.strip()) or int(t) for t in args.rows_list.split(",") if t.strip()})
    chat_file(sizes[-1], args.seed)  # the longest first: the others are its prefixes
    files = {n: chat_file(n, args.seed) for n in sizes}
    runs: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for round_ in range(1, args.repeat + 1):
        for n in sizes:
            warm_page_cache(files[n])
            for kind in ("json", "audit"):
                run = run_child(
                    kind, files[n], timeout=args.timeout, allocator=args.polars_allocator
                )
                runs[n, kind].append(run)
                progress(f"round {round_}/{args.repeat} {kind} {rows_tag(n)}", run)
    lines = [
        f"generate.py's chat rows, first n of the 1M-row file; {args.repeat} run(s) per size "
        "(median), each in a fresh process",
        "",
        "| rows | file MB | audit s | audit peak RSS MB | json s | json peak RSS MB "
        "| × json time | × json RSS | audit rows/s | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    table = []
    for n in sizes:
        a_s, a_rss = (
            median_of(runs[n, "audit"], "seconds"),
            median_of(runs[n, "audit"], "peak_rss_mb"),
        )
        j_s, j_rss = (
            median_of(runs[n, "json"], "seconds"),
            median_of(runs[n, "json"], "peak_rss_mb"),
        )
        mb = files[n].stat().st_size / 1e6
        entry: dict[str, Any] = {"rows": n, "file_mb": mb, "audit_s": a_s, "audit_rss_mb": a_rss}
        entry.update(json_s=j_s, json_rss_mb=j_rss)
        entry["failures"] = [
            r["failed"] for k in ("audit", "json") for r in runs[n, k] if "failed" in r
        ]
        table.append(entry)

        def cell(v: float | None, fmt: str) -> str:
            return format(v, fmt) if v is not None else "failed"

        ratio_t = f"{a_s / j_s:.1f}" if a_s and j_s else "—"
        ratio_m = f"{a_rss / j_rss:.1f}" if a_rss and j_rss else "—"
        rate = f"{n / a_s:,.0f}" if a_s else "—"
        lines.append(
            f"| {n:,} | {mb:,.0f} | {cell(a_s, '.1f')} | {cell(a_rss, ',.0f')} "
            f"| {cell(j_s, '.1f')} | {cell(j_rss, ',.0f')} | {ratio_t} | {ratio_m} | {rate} "
            f"| {cell(median_of(runs[n, 'audit'], 'load_before'), '.1f')} |"
        )
    result: dict[str, Any] = {"sizes": table, "runs": {f"{n}/{k}": v for (n, k), v in runs.items()}}
    lines.append("")
    for what, key in (("audit", "audit"), ("json loop", "json")):
        points: list[tuple[float, float, float]] = [
            (e["rows"] / 1e5, e[f"{key}_rss_mb"], e[f"{key}_s"])
            for e in table
            if e[f"{key}_rss_mb"] is not None and e[f"{key}_s"] is not None
        ]
        memory = fit([p[0] for p in points], [p[1] for p in points])
        seconds = fit([p[0] for p in points], [p[2] for p in points])
        if memory is None or seconds is None:
            continue
        at_10m = memory[1] + memory[0] * 100
        s_10m = seconds[1] + seconds[0] * 100
        result[f"{key}_fit"] = {
            "mb_per_100k": memory[0],
            "mb_intercept": memory[1],
            "s_per_100k": seconds[0],
            "s_intercept": seconds[1],
            "extrapolated_10m_mb": at_10m,
            "extrapolated_10m_s": s_10m,
        }
        lines.append(
            f"- {what}: peak RSS ≈ {memory[1]:,.0f} MB + {memory[0]:,.0f} MB per 100k rows, "
            f"time ≈ {seconds[1]:.1f} s + {seconds[0]:.2f} s per 100k rows (least squares over "
            f"{len(points)} sizes). Extrapolated, not measured: 10M rows ≈ "
            f"{at_10m / 1024:,.1f} GiB peak, ≈ {s_10m / 60:,.1f} min."
        )
    top = next((e for e in table if e["rows"] == 1_000_000), None)
    if top is not None:
        a_s, a_rss = top["audit_s"], top["audit_rss_mb"]
        if a_s is None or a_rss is None:
            result["targets"] = [
                f"MISSED: the 1M audit did not finish ({'; '.join(top['failures'])})"
            ]
        else:
            ok_t, ok_m = a_s <= SCALE_SECONDS_TARGET, a_rss <= SCALE_RSS_TARGET_MB
            result["targets"] = [
                "1M rows time: "
                + verdict_line(
                    ok_t, f"{a_s:.1f} s {'≤' if ok_t else '>'} {SCALE_SECONDS_TARGET:g} s"
                ),
                "1M rows peak RSS: "
                + verdict_line(
                    ok_m, f"{a_rss:,.0f} MiB {'≤' if ok_m else '>'} {SCALE_RSS_TARGET_MB:,.0f} MiB"
                ),
            ]
        lines += [f"- {t}" for t in result["targets"]]
        run = median_run(runs[1_000_000, "audit"])
        if run:
            lines += ["", "At 1M rows:", "", *family_table(run)]
    for n in sizes:
        for code in errors_in(runs[n, "audit"]):
            lines.append(f"warning: {rows_tag(n)}: {code} ended in error")
    return result, "\n".join(lines)


# --- main ---------------------------------------------------------------------------------


def header() -> tuple[dict[str, Any], str]:
    machine = machine_info()
    machine["datasketch"] = package_version("datasketch")
    meminfo = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, value = line.split(":", 1)
            meminfo[key] = int(value.split()[0]) / 1024**2
    except (OSError, ValueError):
        pass
    machine["mem_total_gib"] = meminfo.get("MemTotal")
    machine["mem_available_gib"] = meminfo.get("MemAvailable")
    machine["loadavg"] = os.getloadavg()
    text = (
        f"ftaudit scale benchmark — {machine['date']}\n"
        f"machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), "
        f"{machine['mem_total_gib'] or 0:.1f} GiB RAM ({machine['mem_available_gib'] or 0:.1f} "
        f"available), load {machine['loadavg'][0]:.2f}; Python {machine['python']}, "
        f"polars {machine['polars']}, numpy {machine['numpy']}, datasketch "
        f"{machine['datasketch']}; git {machine['git']}\n"
        f"auditor imported from {machine['auditor_from']}"
    )
    return machine, text


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 2)[2],
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per route (median)")
    parser.add_argument("--rows", type=int, default=100_000, help="rows for audit100k")
    parser.add_argument("--dup-rows", type=int, default=100_000, help="rows of the dup file")
    parser.add_argument("--planted-share", type=float, default=0.015, help="dup: copies/rows")
    parser.add_argument(
        "--baseline-rows", type=int, default=0, help="dup: run datasketch on a prefix (0: all)"
    )
    parser.add_argument("--rows-list", default="125k,250k,500k,1m", help="scale: the sizes")
    parser.add_argument("--seed", type=int, default=20240601, help="generate.py's seed")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per child run")
    parser.add_argument("--out", type=Path, default=DEFAULT_RESULTS, help="JSON results file")
    parser.add_argument(
        "--polars-allocator",
        choices=("ftaudit", "polars", "at-once"),
        default="ftaudit",
        help="ftaudit: as the ftaudit command sets it for the file (freed pages returned at "
        "once from 512 MB of input, auditor.allocator); polars: polars' own defaults; "
        "at-once: freed pages returned at once whatever the size",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-rows", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args.child, args.path, args.child_rows)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names or args.repeat < 1:
        print(f"error: scenarios from {', '.join(SCENARIOS)}; --repeat ≥ 1", file=sys.stderr)
        return 2
    machine, text = header()
    print(text + f"\npolars allocator: {args.polars_allocator}\n")
    previous = json.loads(args.out.read_text()) if args.out.is_file() else {}
    runners = {"audit100k": scenario_audit100k, "dup": scenario_dup, "scale": scenario_scale}
    for name in names:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        result, table = runners[name](args)
        print(f"## {name} (started {started})\n\n{table}\n", flush=True)
        previous[name] = {
            "machine": machine,
            "started": started,
            "repeat": args.repeat,
            "polars_allocator": args.polars_allocator,
            **result,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(previous, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
