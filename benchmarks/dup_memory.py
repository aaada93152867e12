"""Memory of the duplicate checks (FT3xx) beyond the loaded data, on a generated file.

    python benchmarks/dup_memory.py benchmarks/data/chat_100k.jsonl

Prints resident memory after loading, the high-water mark while the FT3xx checks run
(Linux /proc/self/status; the mark is reset after loading), and the time they take.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from auditor.config import AuditConfig
from auditor.context import AuditContext
from auditor.dataset import load_dataset
from auditor.engine import run_checks
from auditor.registry import select_checks


def status_mb(key: str) -> int:
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith(key))
    return int(line.split()[1]) // 1024


def main(path: str) -> None:
    dataset = load_dataset([Path(path)])
    loaded = status_mb("VmRSS")
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset VmHWM: measure the checks' peak only
    checks = [c for c in select_checks(AuditConfig(select=["FT3"])) if c.code.startswith("FT3")]
    ctx = AuditContext(dataset, AuditConfig(), checks=checks)
    start = time.perf_counter()
    results = run_checks(ctx, checks)
    elapsed = time.perf_counter() - start
    peak = status_mb("VmHWM")
    print(f"rows {dataset.train.height:,}; resident after loading {loaded} MB")
    print(f"FT3xx checks: {elapsed:.2f} s; peak {peak} MB = {peak - loaded} MB beyond the data")
    for result in results:
        print(f"  {result.code} {result.status.value}: {result.summary}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/data/chat_100k.jsonl")
