"""Benchmark loading and auditing one JSONL file against a plain `json.loads` loop.

    python benchmarks/bench_load.py benchmarks/data/chat_100k.jsonl --repeat 3

Every scenario runs in a fresh subprocess, so its peak RSS (the child's own high-water
mark, VmHWM) is not inflated by earlier runs; the repeats are interleaved (a, b, c, a, b,
c, ...) so a change in machine load hits every scenario alike. Times are the work inside
the child, after its imports; the child's whole lifetime (interpreter start and imports
included) is reported as `process s`. The file is read once first so every run finds it
in page cache.

Scenarios (pick with --scenarios):
  json       (a) stdlib json.loads over every line, keeping the parsed list
  orjson         the same loop with orjson.loads: the parse floor ftaudit builds on
  load       (b) ftaudit read + normalize only: auditor.dataset.load_dataset
  audit-ft0      audit() with the input checks only (FT0 is always on)
  audit-ft1  (d) audit() with format checks: select=["FT1"]
  audit-ft2  (d) audit() with size checks: select=["FT2"]
  audit      (c) audit() end to end: select=["FT0", "FT1", "FT2"]
  audit-ft3  (d) audit() with duplicate checks: select=["FT3"]
  audit-all      audit() with every built-in check (the default selection)

`--profile` runs each chosen scenario once under cProfile instead, writes
benchmarks/results/<scenario>.prof and prints the top functions.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.config import AuditConfig

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "data" / "chat_100k.jsonl"
DEFAULT_RESULTS = HERE / "results" / "load.json"
RESULT_MARK = "BENCH-RESULT "
BASELINE = "json"


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    description: str
    select: tuple[str, ...] | None = None  # an audit() scenario when set

    @property
    def is_audit(self) -> bool:
        return self.select is not None


SCENARIOS = {
    s.name: s
    for s in [
        Scenario("json", "(a)", "stdlib json.loads per line, list kept"),
        Scenario("orjson", "", "orjson.loads per line, list kept"),
        Scenario("load", "(b)", "ftaudit load_dataset (read + normalize)"),
        Scenario("audit-ft0", "", 'audit(select=["FT0"])', ("FT0",)),
        Scenario("audit-ft1", "(d)", 'audit(select=["FT1"]) (+FT0)', ("FT1",)),
        Scenario("audit-ft2", "(d)", 'audit(select=["FT2"]) (+FT0)', ("FT2",)),
        Scenario("audit", "(c)", 'audit(select=["FT0", "FT1", "FT2"])', ("FT0", "FT1", "FT2")),
        Scenario("audit-ft3", "(d)", 'audit(select=["FT3"]) (+FT0)', ("FT3",)),
        Scenario("audit-all", "", "audit() with every built-in check", ("FT",)),
    ]
}


# --- the child: one scenario, once, in its own process ------------------------------------


def peak_rss_mb() -> float:
    """This process's own peak resident set size, in MiB.

    On Linux this is VmHWM from /proc/self/status: ru_maxrss survives exec, so a child
    forked from a parent holding 80 MB would report at least 80 MB before doing anything.
    Elsewhere ru_maxrss (KiB on Linux, bytes on macOS) is the best there is.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def parse_with(loads: Callable[[bytes], Any], path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        rows = [loads(line) for line in handle if line.strip()]
    return {"rows": len(rows)}


def run_load(path: Path) -> dict[str, Any]:
    from auditor.dataset import load_dataset

    dataset = load_dataset([path])
    return {"rows": dataset.train.height, "load_findings": len(dataset.load_findings)}


def config_selecting(select: tuple[str, ...]) -> AuditConfig:
    from auditor.config import AuditConfig

    return AuditConfig.model_validate({"select": list(select)})


def run_audit(path: Path, select: tuple[str, ...]) -> dict[str, Any]:
    from auditor.api import audit

    report = audit([path], config=config_selecting(select))
    return {
        "rows": sum(d.rows for d in report.datasets),
        "verdict": str(report.verdict.status),
        "checks": {r.code: str(r.status) for r in report.checks},
    }


def scenario_work(scenario: Scenario, path: Path) -> Callable[[], dict[str, Any]]:
    """The timed work of a scenario; its imports happen here, before the clock starts."""
    if scenario.name == "json":
        return lambda: parse_with(json.loads, path)
    if scenario.name == "orjson":
        import orjson

        return lambda: parse_with(orjson.loads, path)
    # polars, pydantic and the core load before the clock starts.
    import auditor.api
    import auditor.dataset  # noqa: F401

    if scenario.select is not None:
        from auditor.registry import discover

        discover()  # entry points load before timing, like a warm CLI
        select = scenario.select
        return lambda: run_audit(path, select)
    return lambda: run_load(path)


def child_main(name: str, path: Path, profile_to: Path | None) -> int:
    scenario = SCENARIOS[name]
    work = scenario_work(scenario, path)
    rss_after_imports = peak_rss_mb()
    started = time.perf_counter()
    if profile_to is None:
        out = work()
    else:
        import cProfile

        profiler = cProfile.Profile()
        out = profiler.runcall(work)
        profiler.dump_stats(profile_to)
    seconds = time.perf_counter() - started
    out.update(seconds=seconds, peak_rss_mb=peak_rss_mb(), rss_after_imports_mb=rss_after_imports)
    print(RESULT_MARK + json.dumps(out), flush=True)
    return 0


# --- the parent: runs children, reports ---------------------------------------------------


class BenchError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


@dataclass
class Run:
    seconds: float
    process_seconds: float
    peak_rss_mb: float
    rss_after_imports_mb: float
    rows: int
    extra: dict[str, Any] = field(default_factory=dict)


def run_child(scenario: Scenario, path: Path, profile_to: Path | None = None) -> Run:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", scenario.name, str(path)]
    if profile_to is not None:
        command += ["--profile-to", str(profile_to)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    process_seconds = time.perf_counter() - started
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise BenchError(f"scenario {scenario.name} failed (exit {done.returncode}):\n{tail}")
    out = json.loads(lines[-1][len(RESULT_MARK) :])
    return Run(
        seconds=out.pop("seconds"),
        process_seconds=process_seconds,
        peak_rss_mb=out.pop("peak_rss_mb"),
        rss_after_imports_mb=out.pop("rss_after_imports_mb"),
        rows=out.pop("rows"),
        extra=out,
    )


def preflight(scenarios: list[Scenario]) -> None:
    """Fail with one clear line when the audit scenarios cannot run (checks not written yet)."""
    try:
        import auditor.dataset  # noqa: F401
    except Exception as exc:  # any import failure of a package under construction
        raise BenchError(f"cannot import auditor: {type(exc).__name__}: {exc}") from None
    audits = [s for s in scenarios if s.select is not None]
    if not audits:
        return
    try:
        from auditor.registry import select_checks

        for scenario in audits:
            select_checks(config_selecting(scenario.select or ()))
    except Exception as exc:
        raise BenchError(
            f"the audit scenarios cannot run yet: {type(exc).__name__}: {exc}\n"
            "(are the check modules still being written?) Measure loading only with:\n"
            f"  python {Path(__file__).relative_to(Path.cwd()) if _under_cwd() else __file__}"
            " --scenarios json,orjson,load"
        ) from None


def _under_cwd() -> bool:
    return Path(__file__).resolve().is_relative_to(Path.cwd())


def warm_page_cache(path: Path) -> int:
    """Read the file once so no run pays for the disk; return its size."""
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            size += len(block)
    return size


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_revision(folder: Path) -> str:
    """The commit of the checkout at `folder`, +dirty for uncommitted changes to tracked files."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=folder)
        return done.stdout.strip() if done.returncode == 0 else ""

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except OSError:
        return "unknown"
    return f"{head}{'+dirty' if dirty else ''}" if head else "unknown (not a git checkout)"


def machine_info() -> dict[str, Any]:
    where = auditor_location()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "polars": package_version("polars"),
        "orjson": package_version("orjson"),
        "numpy": package_version("numpy"),
        "ftaudit": package_version("ftaudit"),
        "auditor_from": where,
        "git": git_revision(Path(where).parent) if Path(where).is_dir() else "unknown",
    }


def auditor_location() -> str:
    """Where the children import auditor from (a PYTHONPATH snapshot or the checkout)."""
    spec = importlib.util.find_spec("auditor")
    origin = spec.origin if spec is not None else None
    return str(Path(origin).parent) if origin else "not importable"


def summarize(scenario: Scenario, runs: list[Run]) -> dict[str, Any]:
    seconds = statistics.median(r.seconds for r in runs)
    rows = runs[0].rows
    return {
        "name": scenario.name,
        "label": scenario.label,
        "description": scenario.description,
        "median_s": seconds,
        "min_s": min(r.seconds for r in runs),
        "max_s": max(r.seconds for r in runs),
        "rows_per_s": rows / seconds if seconds else None,
        "peak_rss_mb": statistics.median(r.peak_rss_mb for r in runs),
        "rss_after_imports_mb": statistics.median(r.rss_after_imports_mb for r in runs),
        "median_process_s": statistics.median(r.process_seconds for r in runs),
        "rows": rows,
        "runs": [asdict(r) for r in runs],
    }


def add_ratios(summaries: list[dict[str, Any]]) -> None:
    base = next((s for s in summaries if s["name"] == BASELINE), None)
    for summary in summaries:
        summary["time_vs_json"] = summary["median_s"] / base["median_s"] if base else None
        summary["rss_vs_json"] = summary["peak_rss_mb"] / base["peak_rss_mb"] if base else None


def format_table(summaries: list[dict[str, Any]]) -> str:
    header = (
        f"{'scenario':<14}{'median s':>10}{'min-max s':>13}{'rows/s':>11}{'peak RSS MB':>13}"
        f"{'x json time':>13}{'x json RSS':>12}{'process s':>11}"
    )
    lines = [header, "-" * len(header)]
    for s in summaries:
        ratio = f"{s['time_vs_json']:.2f}" if s["time_vs_json"] else "-"
        rss_ratio = f"{s['rss_vs_json']:.2f}" if s["rss_vs_json"] else "-"
        name = f"{s['label']} {s['name']}".strip()
        spread = f"{s['min_s']:.1f}-{s['max_s']:.1f}"
        lines.append(
            f"{name:<14}{s['median_s']:>10.2f}{spread:>13}{s['rows_per_s']:>11,.0f}{s['peak_rss_mb']:>13,.0f}"
            f"{ratio:>13}{rss_ratio:>12}{s['median_process_s']:>11.2f}"
        )
    return "\n".join(lines)


def check_statuses(summary: dict[str, Any]) -> list[str]:
    """Warnings for checks that crashed: their time is then missing from the measurement."""
    checks: dict[str, str] = summary["runs"][0]["extra"].get("checks", {})
    return [
        f"{summary['name']}: {code} ended in error" for code, s in checks.items() if s == "error"
    ]


def benchmark(scenarios: list[Scenario], path: Path, repeat: int) -> list[dict[str, Any]]:
    runs: dict[str, list[Run]] = {s.name: [] for s in scenarios}
    for round_ in range(1, repeat + 1):
        for scenario in scenarios:
            run = run_child(scenario, path)
            runs[scenario.name].append(run)
            print(
                f"  round {round_}/{repeat} {scenario.name:<10} {run.seconds:7.2f} s "
                f"{run.peak_rss_mb:8,.0f} MB",
                file=sys.stderr,
                flush=True,
            )
    summaries = [summarize(s, runs[s.name]) for s in scenarios]
    add_ratios(summaries)
    return summaries


def profile(scenarios: list[Scenario], path: Path, out_dir: Path, top: int) -> None:
    import pstats

    out_dir.mkdir(parents=True, exist_ok=True)
    for scenario in scenarios:
        target = out_dir / f"{scenario.name}.prof"
        run = run_child(scenario, path, profile_to=target)
        print(f"\n=== {scenario.name}: {run.seconds:.2f} s under cProfile -> {target}")
        for key in ("tottime", "cumulative"):
            print(f"--- top {top} by {key}")
            pstats.Stats(str(target)).sort_stats(key).print_stats(top)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time and peak memory of loading/auditing a JSONL file vs json.loads.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 2)[2],
    )
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (median)")
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help="comma-separated, in run order"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_RESULTS, help="JSON results file")
    parser.add_argument("--profile", action="store_true", help="cProfile each scenario once")
    parser.add_argument("--top", type=int, default=25, help="functions shown with --profile")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def chosen_scenarios(spec: str) -> list[Scenario]:
    names = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names:
        raise BenchError(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)}")
    return [SCENARIOS[n] for n in names]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args.child, args.path, args.profile_to)
    try:
        return run_benchmark(args)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def run_benchmark(args: argparse.Namespace) -> int:
    scenarios = chosen_scenarios(args.scenarios)
    if args.repeat < 1:
        raise BenchError("--repeat must be at least 1")
    if not args.path.is_file():
        raise BenchError(
            f"{args.path} not found; generate it first:\n"
            f"  python benchmarks/generate.py --rows 100000 --out {args.path}"
        )
    preflight(scenarios)
    size = warm_page_cache(args.path)
    machine = machine_info()
    print(
        f"ftaudit load benchmark — {machine['date']}\n"
        f"machine: {machine['cpu_count']} CPUs ({machine['cpu_model']}), "
        f"Python {machine['python']}, polars {machine['polars']}, orjson {machine['orjson']}, "
        f"git {machine['git']}\n"
        f"auditor imported from {machine['auditor_from']}\n"
        f"file: {args.path} ({size / 1e6:.1f} MB); median of {args.repeat} runs, "
        "each in a fresh process\n"
    )
    if args.profile:
        profile(scenarios, args.path, args.out.parent, args.top)
        return 0
    summaries = benchmark(scenarios, args.path, args.repeat)
    print(format_table(summaries))
    for warning in [w for s in summaries for w in check_statuses(s)]:
        print(f"warning: {warning}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "machine": machine,
        "file": {"path": str(args.path), "bytes": size},
        "repeat": args.repeat,
        "scenarios": summaries,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
