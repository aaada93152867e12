"""`ftaudit split` and `ftaudit decontaminate`: leak-free by construction, byte for byte."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from auditor import AuditConfig, audit
from auditor.check import Status
from auditor.cli import main
from auditor.config import ConfigError
from auditor.heldout import decontaminate_file, split_file
from tests.test_leakage import Corpus, chat, sentiment_rows, write
from tests.test_minhash import edited


def leaky_dataset(seed: int = 6) -> list[dict[str, Any]]:
    """Distinct rows plus what makes a naive split leak: exact copies, edited copies, a
    shared prompt with another answer, a span shared inside a longer answer."""
    corpus = Corpus(seed)
    rows = [corpus.row() for _ in range(150)]
    for i in range(0, 20, 2):
        rows.append(rows[i])  # exact copies
    for i in range(20, 40, 2):
        question = rows[i]["messages"][1]["content"].split()
        answer = rows[i]["messages"][2]["content"].split()
        rows.append(
            chat(
                " ".join(edited(corpus.rng, question, corpus.vocab, 0.05)),
                " ".join(edited(corpus.rng, answer, corpus.vocab, 0.05)),
            )
        )
    for i in range(40, 50):
        rows.append(chat(rows[i]["messages"][1]["content"], " ".join(corpus.words(30, 50))))
    for i in range(50, 60):
        span = rows[i]["messages"][2]["content"]
        rows.append(chat(" ".join(corpus.words(12, 20)), " ".join(corpus.words(20, 30)) + span))
    return rows


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_split_is_leak_free_and_complete(tmp_path: Path) -> None:
    source = write(tmp_path / "data.jsonl", leaky_dataset())
    summary = split_file(source, tmp_path / "out", eval_fraction=0.2, seed=0, config=AuditConfig())
    train, evals = Path(summary.train_output), Path(summary.eval_output)
    # Every input row lands in exactly one file, byte for byte.
    assert Counter(lines_of(train) + lines_of(evals)) == Counter(lines_of(source))
    assert summary.eval_rows == len(lines_of(evals)) > 0.15 * summary.rows
    assert summary.groups >= 20  # the planted copies were kept together
    report = audit([train], [evals])
    for code in ("FT502", "FT503", "FT504"):
        result = report.result(code)
        assert result is not None and result.status is Status.PASS, (code, result.summary)


def test_a_templated_split_has_no_leak_failure(tmp_path: Path) -> None:
    source = write(tmp_path / "reviews.jsonl", sentiment_rows(9, 300))
    summary = split_file(source, tmp_path / "out", eval_fraction=0.1, seed=3, config=AuditConfig())
    report = audit([Path(summary.train_output)], [Path(summary.eval_output)])
    for code in ("FT502", "FT503", "FT504"):
        result = report.result(code)
        assert result is not None and result.status is not Status.FAIL, (code, result.summary)
    assert 20 <= summary.eval_rows <= 40


def test_split_is_reproducible_for_a_seed(tmp_path: Path) -> None:
    source = write(tmp_path / "data.jsonl", leaky_dataset())
    outputs = []
    for run, seed in enumerate((5, 5, 6)):
        summary = split_file(
            source, tmp_path / f"run{run}", eval_fraction=0.1, seed=seed, config=AuditConfig()
        )
        outputs.append(
            (Path(summary.train_output).read_bytes(), Path(summary.eval_output).read_bytes())
        )
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]


def test_split_refuses_bad_arguments(tmp_path: Path) -> None:
    source = write(tmp_path / "train.jsonl", leaky_dataset()[:10])
    with pytest.raises(ConfigError, match="eval-fraction"):
        split_file(source, tmp_path, eval_fraction=1.5, seed=0, config=AuditConfig())
    with pytest.raises(ConfigError, match="overwrite the input"):
        split_file(source, tmp_path, eval_fraction=0.5, seed=0, config=AuditConfig())


def test_split_cli_prints_the_leakage_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path / "data.jsonl", leaky_dataset())
    code = main(["split", str(source), "-o", str(tmp_path / "out"), "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "leakage audit of the result:" in out
    assert "FT502 exact-overlap: pass" in out and "FT503 near-duplicate-overlap: pass" in out


def test_decontaminate_removes_exactly_the_leaked_rows(tmp_path: Path) -> None:
    corpus = Corpus(12)
    train_rows = [corpus.row() for _ in range(60)]
    eval_rows = [corpus.row() for _ in range(20)] + [train_rows[3], train_rows[7]]
    train_rows[40]["messages"][2]["content"] = (
        " ".join(corpus.words(30, 31)) + " " + eval_rows[0]["messages"][2]["content"]
    )
    train = write(tmp_path / "train.jsonl", train_rows)
    evals = write(tmp_path / "eval.jsonl", eval_rows)
    clean = tmp_path / "clean.jsonl"
    summary = decontaminate_file(
        train, [evals], clean, methods=["exact", "near", "ngram"], config=AuditConfig()
    )
    assert sorted(summary.removed) == [4, 8, 41]
    kept = lines_of(clean)
    assert kept == [line for i, line in enumerate(lines_of(train), 1) if i not in (4, 8, 41)]
    report = audit([clean], [evals])
    for code in ("FT502", "FT503", "FT504"):
        result = report.result(code)
        assert result is not None and result.status is Status.PASS, (code, result.summary)
    # Only the exact method: the row that merely contains an eval answer stays.
    only_exact = decontaminate_file(
        train, [evals], tmp_path / "exact.jsonl", methods=["exact"], config=AuditConfig()
    )
    assert sorted(only_exact.removed) == [4, 8]
    with pytest.raises(ConfigError, match="unknown method"):
        decontaminate_file(train, [evals], clean, methods=["fuzzy"], config=AuditConfig())


def test_decontaminate_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = Corpus(13)
    train_rows = [corpus.row() for _ in range(30)]
    train = write(tmp_path / "train.jsonl", train_rows)
    evals = write(tmp_path / "eval.jsonl", [train_rows[2], corpus.row()])
    code = main(
        ["decontaminate", str(train), "--eval", str(evals), "-o", str(tmp_path / "c.jsonl")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "removed 1 train row(s)" in out and "line 3: FT502" in out
    assert json.loads(lines_of(tmp_path / "c.jsonl")[0]) == train_rows[0]


def test_split_of_near_copies_is_a_clear_error(tmp_path: Path) -> None:
    answer = "Open Settings, choose Security and click Reset password to get a new link."
    rows = [
        chat(f"Reset password question {i}?", answer.replace("new", f"new {i}")) for i in range(2)
    ]
    rows += [chat("How do I reset my password please?", answer) for _ in range(2)]
    source = write(tmp_path / "data.jsonl", rows[:3])
    with pytest.raises(ConfigError, match="no leak-free eval split"):
        split_file(source, tmp_path / "out", eval_fraction=0.3, seed=0, config=AuditConfig())
    assert not (tmp_path / "out" / "eval.jsonl").exists()


def test_decontaminate_leaves_out_unreadable_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    corpus = Corpus(19)
    rows = [corpus.row() for _ in range(10)]
    train = tmp_path / "train.jsonl"
    lines = [json.dumps(row) for row in rows]
    lines.insert(4, "{not json")
    train.write_text("\n".join(lines) + "\n")
    evals = write(tmp_path / "eval.jsonl", [rows[0]])
    summary = decontaminate_file(
        train, [evals], tmp_path / "c.jsonl", methods=["exact"], config=AuditConfig()
    )
    assert sorted(summary.removed) == [1] and summary.unreadable == 1
    kept = [json.loads(line) for line in lines_of(tmp_path / "c.jsonl")]
    assert kept == rows[1:]


def test_remedies_refuse_a_json_array_on_one_line(tmp_path: Path) -> None:
    corpus = Corpus(24)
    source = tmp_path / "arr.json"
    source.write_text(json.dumps([corpus.row() for _ in range(6)]))
    evals = write(tmp_path / "e.jsonl", [corpus.row()])
    for args in (
        ["split", str(source), "-o", str(tmp_path / "out")],
        ["decontaminate", str(source), "--eval", str(evals), "-o", str(tmp_path / "c.jsonl")],
        ["dedup", str(source), "-o", str(tmp_path / "d.jsonl")],
    ):
        assert main(args) == 2, args
    assert not (tmp_path / "c.jsonl").exists() and not (tmp_path / "d.jsonl").exists()


def test_split_keeps_a_train_row_and_names_groups_too_big(tmp_path: Path) -> None:
    corpus = Corpus(25)
    rows = [corpus.row() for _ in range(10)]
    summary = split_file(
        write(tmp_path / "a.jsonl", rows),
        tmp_path / "o1",
        eval_fraction=0.99,
        seed=0,
        config=AuditConfig(),
    )
    assert summary.train_rows >= 1 and summary.eval_rows >= 1
    copies = [row for row in rows[:2] for _ in range(10)]
    with pytest.raises(ConfigError, match="smallest group of duplicates holds 10 rows"):
        split_file(
            write(tmp_path / "b.jsonl", copies),
            tmp_path / "o2",
            eval_fraction=0.05,
            seed=0,
            config=AuditConfig(),
        )


def test_outputs_are_readable_like_plain_files(tmp_path: Path) -> None:
    source = write(tmp_path / "data.jsonl", leaky_dataset()[:40])
    summary = split_file(source, tmp_path / "out", eval_fraction=0.2, seed=0, config=AuditConfig())
    umask = os.umask(0)
    os.umask(umask)
    assert Path(summary.eval_output).stat().st_mode & 0o777 == 0o666 & ~umask
