"""`--engine ray` on a local Ray (2 CPUs) gives the local engine's report, exactly.

The file is generated here: train rows in two shards with planted exact and near
duplicates, personal data and secrets, and an eval file with planted exact, near and
n-gram leaks. Ray's blocks are cut small (a spy on RayEngine.map_texts) so that every stage runs
as many batches and the offsets of their results are exercised.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from auditor.cli import main

ROWS = 3000


def _words(rng: np.random.Generator, vocab: list[str], n: int) -> str:
    return " ".join(vocab[int(i)] for i in rng.zipf(1.3, n) % len(vocab))


def _row(user: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You answer questions about the warehouse tools."},
            {"role": "user", "content": user},
            {"role": "assistant", "content": answer},
        ]
    }


def _edited(rng: np.random.Generator, text: str, vocab: list[str], rate: float) -> str:
    words = text.split()
    for _ in range(max(1, round(rate * len(words)))):
        words[int(rng.integers(len(words)))] = vocab[int(rng.integers(len(vocab)))]
    return " ".join(words)


def write_planted(folder: Path) -> tuple[list[Path], Path]:
    """Two train shards and an eval file, with every planted problem the checks look for."""
    rng = np.random.default_rng(20261201)
    vocab = [f"w{i}{chr(97 + i % 26)}" for i in range(3000)]
    rows = [
        _row(_words(rng, vocab, 18) + "?", _words(rng, vocab, int(rng.integers(30, 80))) + ".")
        for _ in range(ROWS)
    ]
    for k in range(40):  # exact duplicates
        rows[1000 + k] = rows[k]
    for k in range(60):  # near duplicates: 8% of the answer's words changed
        source = rows[100 + k]["messages"]
        rows[1100 + k] = _row(source[1]["content"], _edited(rng, source[2]["content"], vocab, 0.08))
    for k in range(12):  # personal data and secrets in answers
        answer = rows[2000 + k]["messages"][2]
        answer["content"] += f" Write to dana.{k}@example.com or call +1 415 555 01{k:02d}."
    for k in range(3):
        key = "AKIA" + "".join(chr(65 + int(c)) for c in rng.integers(0, 26, 16))
        rows[2100 + k]["messages"][2]["content"] += f" aws_access_key_id = {key}"
    evals = [_row(_words(rng, vocab, 18) + "?", _words(rng, vocab, 50) + ".") for _ in range(300)]
    for k in range(20):  # exact leaks
        evals[k] = rows[300 + k]
    for k in range(20):  # near leaks
        source = rows[400 + k]["messages"]
        evals[20 + k] = _row(
            _edited(rng, source[1]["content"], vocab, 0.05),
            _edited(rng, source[2]["content"], vocab, 0.05),
        )
    for k in range(20):  # a long span of a train answer inside a new answer
        span = " ".join(rows[500 + k]["messages"][2]["content"].split()[:25])
        evals[40 + k]["messages"][2]["content"] = _words(rng, vocab, 10) + " " + span
    shards = [folder / "train-000.jsonl", folder / "train-001.jsonl"]
    half = len(rows) // 2
    for path, part in zip(shards, (rows[:half], rows[half:]), strict=True):
        path.write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
    eval_path = folder / "heldout.jsonl"
    eval_path.write_text("".join(json.dumps(r) + "\n" for r in evals), encoding="utf-8")
    return shards, eval_path


def report_of(tmp: Path, shards: list[Path], eval_path: Path, *engine: str) -> dict[str, Any]:
    out = tmp / f"report-{'-'.join(engine) or 'local'}.json"
    args = ["audit", *map(str, shards), "--eval", str(eval_path), "--no-cache"]
    args += ["--max-findings", "0", "--format", "json", "-o", str(out), *engine]
    assert main(args) in (0, 1)
    report = json.loads(out.read_text(encoding="utf-8"))
    for moment in ("created", "config", "command"):
        report.pop(moment, None)
    return report


@pytest.fixture
def spied_ray(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, int]]]:
    """Small Ray blocks, and a record of (stage function, batches) of every Ray map."""
    from auditor.ray_engine import RayEngine

    calls: list[tuple[str, int]] = []
    original = RayEngine.map_texts

    def spy(
        self: RayEngine, fn: Callable[..., Any], texts: Any, rows: Any = None, *, batch: int
    ) -> Any:
        done = original(self, fn, texts, rows, batch=min(batch, 400))  # many small blocks
        target = getattr(fn, "func", fn)
        calls.append((getattr(target, "__name__", type(target).__name__), len(done)))
        return done

    read = RayEngine.map_items

    def spy_items(self: RayEngine, fn: Callable[..., Any], items: Any) -> Any:
        calls.append(("map_items", len(items)))
        return read(self, fn, items)

    monkeypatch.setattr(RayEngine, "map_texts", spy)
    monkeypatch.setattr(RayEngine, "map_items", spy_items)
    yield calls


@pytest.mark.slow
def test_ray_engine_gives_the_local_report(
    tmp_path: Path, spied_ray: list[tuple[str, int]]
) -> None:
    shards, eval_path = write_planted(tmp_path)
    local = report_of(tmp_path, shards, eval_path)
    on_ray = report_of(tmp_path, shards, eval_path, "--engine", "ray")

    found = {c["code"]: c for c in local["checks"]}
    # The planted problems are there, so the comparison compares something.
    for code in ("FT301", "FT302", "FT502", "FT503", "FT504", "FT601", "FT602"):
        assert found[code]["findings_total"] > 0, code
    assert on_ray == local
    # Every batch stage ran on Ray, cut into many blocks.
    most: dict[str, int] = {}
    for stage, batches in spied_ray:
        most[stage] = max(batches, most.get(stage, 0))
    assert ("map_items", 3) in spied_ray  # two train shards and the eval file, in parallel
    stages = {"signatures", "_series_counts", "_batch_train_hits", "find_spans", "batch_hits"}
    assert stages <= set(most)
    # Only the few texts the prefilter shortlists reach find_spans: one block is right.
    assert all(most[stage] >= 2 for stage in stages - {"find_spans"}), most


def test_engine_ray_without_ray_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(_row("hi?", "hello.")) + "\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if not installed
    assert main(["audit", str(path), "--engine", "ray"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert 'pip install "ftaudit[ray]"' in err
    assert "Traceback" not in err


def test_an_unknown_engine_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(_row("hi?", "hello.")) + "\n", encoding="utf-8")
    assert main(["audit", str(path), "--engine", "spark"]) == 2
    assert "engine" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.embed
def test_ray_workers_embed_like_the_local_engine(tmp_path: Path) -> None:
    """The shipped MiniLM, loaded by Ray's workers: the same vectors, the same FT4xx and
    FT505 results."""
    samples = Path(__file__).parent.parent / "samples"
    shards = [samples / "chat_clean.jsonl"]
    eval_path = samples / "chat_clean.eval.jsonl"
    select = ["--select", "FT4", "--select", "FT505", "--embed-budget", "120", "--embed"]
    local = report_of(tmp_path, shards, eval_path, *select)
    on_ray = report_of(tmp_path, shards, eval_path, *select, "--engine", "ray")
    for report in (local, on_ray):
        report["embeddings"].pop("seconds")  # wall time
    assert local["embeddings"]["embedded"] > 0
    assert {c["code"]: c["status"] for c in local["checks"]}["FT403"] != "skipped"
    assert on_ray == local
