"""The embedding checks end to end with the real, shipped MiniLM model, offline: the GO
sample stays GO, the cache serves a second run without loading the model, and a run
killed midway leaves a cache the next run finishes from."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from auditor import audit
from auditor.check import Status
from auditor.config import load_config

pytestmark = pytest.mark.embed
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "chat_clean.jsonl"
CODES = ("FT401", "FT402", "FT403", "FT404", "FT505")


def cli(*args: str, cache: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FTAUDIT_CACHE_DIR": str(cache)}
    env.pop("FTAUDIT_EMBED", None)
    program = Path(sys.executable).with_name("ftaudit")
    return subprocess.run(
        [str(program), *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def test_the_go_sample_stays_go_with_the_real_model() -> None:
    report = audit([SAMPLE], config=load_config(None, {}))
    assert report.verdict.status.value == "GO", report.verdict
    for code in CODES:
        assert report.result(code).status is Status.PASS, report.result(code).summary
    info = report.embeddings
    assert (
        info is not None and info.model.startswith("all-MiniLM-L6-v2@") and info.max_tokens == 128
    )
    assert (info.train_sampled, info.eval_sampled) == (160, 120)
    assert info.texts == info.embedded + info.cached > 0


def test_a_warm_run_embeds_nothing_and_never_loads_the_model(tmp_path: Path) -> None:
    first = cli(str(SAMPLE), "-f", "json", cache=tmp_path)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["embeddings"]["cached"] == 0
    probe = (
        "import sys, json; from auditor import audit; from auditor.config import load_config;"
        f"r = audit([{str(SAMPLE)!r}], config=load_config(None, {{}}));"
        "print(json.dumps([r.embeddings.embedded, r.embeddings.cached, 'torch' in sys.modules]))"
    )
    env = {**os.environ, "FTAUDIT_CACHE_DIR": str(tmp_path)}
    env.pop("FTAUDIT_EMBED", None)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    embedded, cached, torch_loaded = json.loads(done.stdout)
    assert embedded == 0 and cached > 0 and not torch_loaded


def test_the_terminal_says_what_was_embedded(tmp_path: Path) -> None:
    done = cli(str(SAMPLE), cache=tmp_path)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "embeddings by all-MiniLM-L6-v2@" in text and "at 128 tokens" in text
    assert "from cache" in text and "train 160 of 160 rows" in text


def long_file(path: Path, rows: int) -> Path:
    lines = []
    for i in range(rows):
        prompt = f"Question {i}: how should team {i % 97} plan sprint {i} for project {i * 7}?"
        answer = f"Plan sprint {i} around goal {i % 13}, with review {i % 5} on day {i % 9}."
        lines.append(
            orjson.dumps(
                {
                    "messages": [
                        {"role": "user", "content": prompt},
                        {"role": "assistant", "content": answer},
                    ]
                }
            )
        )
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def cached_rows(cache: Path) -> int:
    database = cache / "embeddings.sqlite3"
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(database, timeout=5) as connection:
            return int(connection.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_a_run_killed_midway_leaves_a_cache_the_next_run_finishes(tmp_path: Path) -> None:
    data = long_file(tmp_path / "train.jsonl", 2500)
    cache = tmp_path / "cache"
    env = {**os.environ, "FTAUDIT_CACHE_DIR": str(cache)}
    env.pop("FTAUDIT_EMBED", None)
    program = Path(sys.executable).with_name("ftaudit")
    child = subprocess.Popen(
        [str(program), str(data), "--select", "FT401", "--embed-all", "-q"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while cached_rows(cache) < 256 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.wait()
    kept = cached_rows(cache)
    assert 256 <= kept < 5000, kept  # killed after the first chunks, before the end
    done = cli(str(data), "--select", "FT401", "--embed-all", "-f", "json", cache=cache)
    assert done.returncode in (0, 1), done.stderr
    info = json.loads(done.stdout)["embeddings"]
    assert info["cached"] == kept and info["embedded"] == info["texts"] - kept
    assert cached_rows(cache) == info["texts"]
