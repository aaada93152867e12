"""The artifact cache: cached audits equal uncached ones, edits recompute only the edited
rows, and kills, concurrent runs and damaged files never make a run fail or go wrong."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from auditor.api import audit
from auditor.artifact_cache import ArtifactCache, KindStats, namespace_name, package_version
from auditor.cli import main
from auditor.config import AuditConfig
from auditor.dataset import load_dataset
from auditor.plain_lines import plain_chat_lines
from tests.checkutil import REPORT_FILES, comparable

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).parent / "fixtures"

FILES = REPORT_FILES


def config(cache_dir: Path | None) -> AuditConfig:
    if cache_dir is None:
        return AuditConfig(cache=False)
    return AuditConfig(cache=True, **{"cache-dir": str(cache_dir)})


def chat_rows(count: int, tag: str = "", *, ids: bool = False) -> list[str]:
    """Chat rows; with `ids` each carries an `id` too, which makes it not plain chat (the
    rows cache keeps only those: auditor.row_cache)."""
    rows = []
    for i in range(count):
        messages = [
            {"role": "system", "content": "You answer questions about the shop's orders."},
            {"role": "user", "content": f"Where is order {i}{tag}? It was placed on day {i % 28}."},
            {
                "role": "assistant",
                "content": f"Order {i}{tag} left the warehouse on day {(i % 28) + 1}; "
                f"track it with code TRK{i * 7919 % 100000:05d}.",
            },
        ]
        rows.append(json.dumps({"messages": messages, **({"id": i} if ids else {})}))
    return rows


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_cached_audit_equals_an_uncached_one(path: Path, tmp_path: Path) -> None:
    plain = comparable(audit([path], config=config(None)))
    cold = audit([path], config=config(tmp_path))
    warm = audit([path], config=config(tmp_path))
    assert comparable(cold) == plain
    assert comparable(warm) == plain
    assert cold.cache is not None and warm.cache is not None
    # The warm run recomputed nothing the cold one stored.
    assert all(stats.computed == 0 for kind, stats in warm.cache.kinds.items() if kind != "rows")
    rows = warm.cache.kinds.get("rows")
    assert rows is None or rows.reused >= cold.cache.kinds["rows"].computed - _flagged(cold)


def _flagged(report: Any) -> int:
    """Rows with a loading finding: they are never stored, so they are read again."""
    return len({(f.file, f.line) for c in report.checks for f in c.findings if f.line})


@pytest.mark.parametrize(
    "path", sorted((SAMPLES / "formats").glob("*.jsonl")), ids=lambda p: p.name
)
def test_cached_rows_are_the_same_frame(path: Path, tmp_path: Path) -> None:
    plain = load_dataset([path])
    store = ArtifactCache(tmp_path / "artifacts.sqlite3")
    load_dataset([path], cache=store)
    again = load_dataset([path], cache=store)
    assert store.counts.get("rows", KindStats()).reused == plain.train.height - plain_lines(path)
    assert again.train.equals(plain.train)
    assert again.load_findings == plain.load_findings


def plain_lines(path: Path) -> int:
    """Lines of `path` the plain-chat kernel takes (never looked up in the rows cache)."""
    lines = list(enumerate(path.read_bytes().splitlines(), start=1))
    flags = plain_chat_lines(lines)
    return 0 if flags is None else int(flags.sum())


def test_plain_chat_rows_are_not_stored(tmp_path: Path) -> None:
    data = write(tmp_path / "train.jsonl", chat_rows(50))
    cold = audit([data], config=config(tmp_path / "cache"))
    assert cold.cache is not None
    assert "rows" not in cold.cache.kinds or plain_lines(data) == 0
    warm = audit([data], config=config(tmp_path / "cache"))
    assert comparable(warm) == comparable(audit([data], config=config(None)))


def test_an_edit_recomputes_only_the_edited_rows(tmp_path: Path) -> None:
    rows = chat_rows(400, ids=True)
    data = write(tmp_path / "train.jsonl", rows)
    cache = tmp_path / "cache"
    audit([data], config=config(cache))
    rows[10] = chat_rows(1, " (edited)", ids=True)[0]
    rows[200] = chat_rows(1, " (changed too)", ids=True)[0]
    rows.insert(0, chat_rows(1, " (new at the top)", ids=True)[0])
    write(data, rows)
    warm = audit([data], config=config(cache))
    assert warm.cache is not None
    assert warm.cache.kinds["rows"].computed == 3
    assert warm.cache.kinds["rows"].reused == 398
    # Two views of each new row are new texts; the system prompt is not.
    assert 0 < warm.cache.kinds["MinHash signatures"].computed <= 9
    assert 0 < warm.cache.kinds["token counts"].computed <= 6
    assert comparable(warm) == comparable(audit([data], config=config(None)))


def test_the_namespace_names_every_version_that_changes_values() -> None:
    import polars as pl

    name = namespace_name("minhash/1", settings="128,2", polars=pl.__version__)
    assert f"ftaudit={package_version('ftaudit')}" in name
    assert f"polars={pl.__version__}" in name and "settings=128,2" in name
    assert namespace_name("x", a=1, b=2) == namespace_name("x", b=2, a=1)


def test_other_minhash_settings_and_tokenizers_do_not_share_entries(tmp_path: Path) -> None:
    data = write(tmp_path / "train.jsonl", chat_rows(60))
    cache = tmp_path / "cache"
    audit([data], config=config(cache))
    other = config(cache).model_copy(update={"checks": {"FT302": {"ngram": 3}}})
    report = audit([data], config=other)
    assert report.cache is not None and report.cache.kinds["MinHash signatures"].computed > 0
    assert report.cache.kinds["token counts"].computed == 0


def test_a_damaged_cache_is_rebuilt_with_one_warning(tmp_path: Path) -> None:
    data = write(tmp_path / "train.jsonl", chat_rows(50))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "artifacts.sqlite3").write_bytes(b"not a database at all" * 500)
    with pytest.warns(UserWarning, match="damaged"):
        report = audit([data], config=config(cache))
    assert comparable(report) == comparable(audit([data], config=config(None)))
    assert list(cache.glob("artifacts.sqlite3.broken-*"))


def test_a_foreign_database_is_rebuilt_not_used(tmp_path: Path) -> None:
    data = write(tmp_path / "train.jsonl", chat_rows(50))
    cache = tmp_path / "cache"
    cache.mkdir()
    foreign = sqlite3.connect(cache / "artifacts.sqlite3")
    foreign.execute("CREATE TABLE artifacts (name TEXT, payload TEXT)")
    foreign.execute("INSERT INTO artifacts VALUES ('x', 'y')")
    foreign.commit()
    foreign.close()
    with pytest.warns(UserWarning, match="damaged"):
        report = audit([data], config=config(cache))
    assert comparable(report) == comparable(audit([data], config=config(None)))


def test_an_unusable_cache_folder_means_no_cache_not_a_failure(tmp_path: Path) -> None:
    data = write(tmp_path / "train.jsonl", chat_rows(30))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="artifact cache not used"):
        report = audit([data], config=config(blocker / "cache"))
    assert report.cache is None
    assert comparable(report) == comparable(audit([data], config=config(None)))


def test_damaged_blocks_are_computed_again(tmp_path: Path) -> None:
    data = write(tmp_path / "train.jsonl", chat_rows(40))
    cache = tmp_path / "cache"
    audit([data], config=config(cache))
    connection = sqlite3.connect(cache / "artifacts.sqlite3")
    connection.execute(
        "UPDATE blocks SET value = x'00' WHERE ns IN "
        "(SELECT id FROM namespaces WHERE name LIKE 'minhash/%' OR name LIKE 'tokens/%')"
    )
    connection.commit()
    connection.close()
    report = audit([data], config=config(cache))
    assert report.cache is not None and report.cache.kinds["MinHash signatures"].reused == 0
    assert comparable(report) == comparable(audit([data], config=config(None)))


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from auditor import artifact_cache
    from auditor.api import audit
    from auditor.config import AuditConfig

    real_write = artifact_cache.ArtifactCache.write_block
    writes = 0

    def write_then_die(self, ns, scope, block, replaced):
        global writes
        writes += 1
        if writes == {after}:
            # The block lands, then the kill comes inside the manifest's transaction.
            with self.connection:
                self.connection.execute("BEGIN IMMEDIATE")
                self.connection.execute(
                    "INSERT INTO blocks (ns, id, value) VALUES (?, 7, ?)",
                    (ns, artifact_cache._block_bytes(block)),
                )
            self.connection.execute("BEGIN IMMEDIATE")
            self.connection.execute(
                "INSERT OR REPLACE INTO manifests (ns, scope, blocks) VALUES (?, ?, '[[7, 1]]')",
                (ns, scope),
            )
            os.kill(os.getpid(), signal.SIGKILL)
        real_write(self, ns, scope, block, replaced)

    artifact_cache.ArtifactCache.write_block = write_then_die
    audit([{data!r}], config=AuditConfig(cache=True, **{{"cache-dir": {cache!r}}}))
    print("finished without being killed")
    """
)


@pytest.mark.parametrize("after", [1, 3, 6])
def test_a_run_killed_mid_write_leaves_a_correct_cache(tmp_path: Path, after: int) -> None:
    data = write(tmp_path / "train.jsonl", chat_rows(6000))
    cache = tmp_path / "cache"
    script = KILLER.format(root=str(ROOT), after=after, data=str(data), cache=str(cache))
    env = {**os.environ, "FTAUDIT_EMBED": "0"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    connection = sqlite3.connect(cache / "artifacts.sqlite3")
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
    report = audit([data], config=config(cache))
    assert report.cache is not None
    if after > 1:  # the first write is the rows' block
        assert sum(s.reused for s in report.cache.kinds.values()) > 0
    assert comparable(report) == comparable(audit([data], config=config(None)))
    again = audit([data], config=config(cache))
    assert again.cache is not None
    assert all(s.computed == 0 for s in again.cache.kinds.values())


def _audit_into(data: str, cache: str, out: str) -> None:
    os.environ["FTAUDIT_EMBED"] = "0"
    report = audit([Path(data)], config=config(Path(cache)))
    Path(out).write_text(json.dumps(comparable(report)), encoding="utf-8")


def test_two_audits_at_once_share_one_cache(tmp_path: Path) -> None:
    first = write(tmp_path / "a.jsonl", chat_rows(3000))
    second = write(tmp_path / "b.jsonl", chat_rows(2500) + chat_rows(500, " b"))
    cache = tmp_path / "cache"
    jobs = [
        (first, tmp_path / "a.json"),
        (second, tmp_path / "b.json"),
        (first, tmp_path / "c.json"),
    ]
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_audit_into, args=(str(data), str(cache), str(out)))
        for data, out in jobs
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(240)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    for data, out in jobs:
        expected = comparable(audit([data], config=config(None)))
        assert json.loads(out.read_text(encoding="utf-8")) == expected
        warm = audit([data], config=config(cache))
        assert comparable(warm) == expected
        assert warm.cache is not None and all(s.computed == 0 for s in warm.cache.kinds.values())


def test_cache_info_and_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    data = write(tmp_path / "train.jsonl", chat_rows(30))
    monkeypatch.setenv("FTAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    assert main(["cache", "info"]) == 0
    assert "nothing cached yet" in capsys.readouterr().out
    assert main([str(data), "--quiet"]) in (0, 1)  # a small set: NO-GO on size
    capsys.readouterr()
    assert main(["cache", "info"]) == 0
    shown = capsys.readouterr().out
    assert "rows/" in shown and "minhash/" in shown and "tokens/" in shown
    assert f"ftaudit={package_version('ftaudit')}" in shown
    assert main(["cache", "clear"]) == 0
    assert "cleared" in capsys.readouterr().out
    assert not list((tmp_path / "cache").glob("*.sqlite3*"))


def test_no_cache_flag_and_cache_dir_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = write(tmp_path / "train.jsonl", chat_rows(30))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FTAUDIT_CACHE_DIR", str(tmp_path / "default"))
    out = tmp_path / "report.json"
    assert main([str(data), "--no-cache", "-f", "json", "-o", str(out), "-q"]) in (0, 1)
    assert json.loads(out.read_text())["cache"] is None
    assert not (tmp_path / "default").exists()
    assert main([str(data), "--cache-dir", "here", "-f", "json", "-o", str(out), "-q"]) in (0, 1)
    assert json.loads(out.read_text())["cache"]["path"].endswith("artifacts.sqlite3")
    assert (tmp_path / "here" / "artifacts.sqlite3").is_file()


def test_a_new_process_reuses_every_kind(tmp_path: Path) -> None:
    """Namespaces must not depend on the process: str hashing is seeded per process, so
    anything built from a set's order would miss the cache on every run."""
    data = tmp_path / "train.jsonl"
    data.write_bytes((FIXTURES / "FT601" / "bad.jsonl").read_bytes())
    argv = [str(data), "--no-embed", "--cache-dir", str(tmp_path / "cache"), "--format", "json"]
    script = "import sys; from auditor.cli import main; sys.exit(main(sys.argv[1:]))"
    reports = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "HF_HUB_OFFLINE": "1"}
        done = subprocess.run(
            [sys.executable, "-c", script, *argv], env=env, capture_output=True, text=True
        )
        assert done.returncode in (0, 1), done.stderr
        reports.append(json.loads(done.stdout))
    kinds = reports[1]["cache"]["kinds"]
    assert "personal data spans" in kinds
    assert {kind: stats["computed"] for kind, stats in kinds.items() if kind != "rows"} == {
        kind: 0 for kind in kinds if kind != "rows"
    }
