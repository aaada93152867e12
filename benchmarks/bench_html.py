"""Benchmark the HTML report on a 100k-row audit with an eval split: size, charts, render time.

    python benchmarks/bench_html.py --repeat 3

Data: bench_leakage.py's files (benchmarks/data/leak_train_100k.jsonl and
leak_eval_10k.jsonl, written by `python benchmarks/bench_leakage.py` on its first run).
The audit runs once, every check, default embedding budget (a warm cache after the first
run); then the Report is rendered `--repeat` times as HTML and, for scale, as JSON (the
obvious alternative a reviewer would otherwise be sent). Prints medians and sizes; the
issue's budget is < 2 MB with at least three charts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "benchmarks" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/ftaudit-bench-report.html"))
    args = parser.parse_args(argv)
    train, held_out = DATA / "leak_train_100k.jsonl", DATA / "leak_eval_10k.jsonl"
    if not (train.exists() and held_out.exists()):
        print("run benchmarks/bench_leakage.py once first: it writes the data", file=sys.stderr)
        return 2

    from auditor import AuditConfig, audit
    from reports.html import render_html
    from reports.json_report import render_json

    started = time.perf_counter()
    report = audit([train], [held_out], AuditConfig())
    audit_s = time.perf_counter() - started
    timings: dict[str, list[float]] = {"html": [], "json": []}
    outputs: dict[str, str] = {}
    for _ in range(args.repeat):
        for name, render in (("html", render_html), ("json", render_json)):
            started = time.perf_counter()
            outputs[name] = render(report)
            timings[name].append(time.perf_counter() - started)
    args.out.write_text(outputs["html"], encoding="utf-8")
    html_mb = len(outputs["html"].encode()) / 1e6
    json_mb = len(outputs["json"].encode()) / 1e6
    charts = outputs["html"].count('<figure class="chart">')
    print(f"audit (once): {audit_s:.1f} s, verdict {report.verdict.status.value}")
    print(
        f"html: {statistics.median(timings['html']):.3f} s median render, {html_mb:.2f} MB, "
        f"{charts} charts -> {args.out}"
    )
    print(f"json: {statistics.median(timings['json']):.3f} s median render, {json_mb:.2f} MB")
    print(f"html / json: {html_mb / json_mb:.2f}× the size")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
