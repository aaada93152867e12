"""tiktoken counts on a second core: a worker process and the pool that feeds it.

tiktoken encodes with the GIL effectively held (two threads in one process are slower
than one), so the only way to use a second core for token counts is a second process.
`python -m auditor.token_worker ENCODING` reads pickled batches of texts from stdin and
writes their counts back; it imports tiktoken and nothing else of ftaudit, so it is
ready in ~0.2 s. A plain subprocess rather than multiprocessing: spawn would re-import
the caller's `__main__` (a user's script calling `audit()` at import time would recurse),
and fork after polars has started its threads is unsafe.

The caller counts batches itself while the workers start and keeps taking batches from
the same queue, so a slow or late worker costs nothing: counts come back in order, and
a worker that fails (or a batch that does not pickle) is counted in this process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
import threading
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import tiktoken

    Counts = Sequence[int] | npt.NDArray[np.int64]

_HEADER = struct.Struct("<Q")


def count_texts(encoding: tiktoken.Encoding, texts: Sequence[str]) -> array[int]:
    """Token count of each text, special tokens counted as plain text (training text is
    data, not control); lone surrogates are repaired as tiktoken does, never an error."""
    return array("q", [len(encoding.encode_ordinary(text)) for text in texts])


def _read_message(stream: IO[bytes]) -> bytes | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    body = stream.read(size)
    return body if len(body) == size else None


def _write_message(stream: IO[bytes], body: bytes) -> None:
    stream.write(_HEADER.pack(len(body)))
    stream.write(body)
    stream.flush()


def main(argv: list[str]) -> int:
    """The worker: counts each batch read from stdin until stdin closes."""
    import tiktoken

    encoding = tiktoken.get_encoding(argv[0])
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while (message := _read_message(stdin)) is not None:
        texts: list[str] = pickle.loads(message)
        _write_message(stdout, count_texts(encoding, texts).tobytes())
    return 0


class WorkerFailed(Exception):
    """The worker process died or answered something that is not a batch's counts."""


class Worker:
    """One worker process; `count` sends it a batch and waits for the counts."""

    def __init__(self, encoding_name: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "auditor.token_worker", encoding_name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def count(self, texts: list[str]) -> array[int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            _write_message(self.process.stdin, pickle.dumps(texts, pickle.HIGHEST_PROTOCOL))
            answer = _read_message(self.process.stdout)
        except (OSError, ValueError) as exc:
            raise WorkerFailed(str(exc)) from exc
        counts = array("q")
        if answer is None or len(answer) != len(texts) * counts.itemsize:
            raise WorkerFailed("no counts came back")
        counts.frombytes(answer)
        return counts

    def close(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def spare_cores() -> int:
    """Cores this process may use beyond its own."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(0, cores - 1)


def counted_with_workers(
    encoding_name: str,
    count_here: Callable[[list[str]], Counts],
    batches: Iterator[tuple[int, list[str]]],
    workers: int,
) -> dict[int, Counts]:
    """{start: counts} of every batch, counted here (`count_here`) and on `workers`
    worker processes at once, each taking the next batch when it is free."""
    lock = threading.Lock()
    done: dict[int, Counts] = {}
    errors: list[BaseException] = []

    def next_batch() -> tuple[int, list[str]] | None:
        with lock:
            return next(batches, None)

    def feed(worker: Worker) -> None:
        try:
            while (item := next_batch()) is not None:
                start, texts = item
                try:
                    done[start] = worker.count(texts)
                except WorkerFailed:
                    done[start] = count_here(texts)
                    return  # this worker is no longer trusted; the others go on
        except BaseException as exc:  # re-raised by the caller's thread
            errors.append(exc)
        finally:
            worker.close()

    feeders = []
    try:
        for _ in range(workers):
            thread = threading.Thread(target=feed, args=(Worker(encoding_name),), daemon=True)
            thread.start()
            feeders.append(thread)
    except OSError:
        pass  # no process could start: this one counts whatever is left
    while (item := next_batch()) is not None:
        start, texts = item
        done[start] = count_here(texts)
    for thread in feeders:
        thread.join()
    if errors:
        raise errors[0]
    return done


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
