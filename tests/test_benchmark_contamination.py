"""FT507: planted benchmark items are found (verbatim and edited), the build is reproducible,
and the shipped fingerprints are what their manifest says. No benchmark text is used: the
planted items come from a synthetic benchmark fingerprinted in the test."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from auditor import AuditConfig, audit
from auditor.benchmark_ngrams import (
    RECORD,
    FingerprintError,
    FingerprintIndex,
    load_folder,
    load_shipped,
    shipped_manifest,
    span_text,
    stable_tokens,
    text_ngrams,
)
from auditor.check import Status
from auditor.config import ConfigError, load_config
from auditor.report import Report
from auditor.word_hashes import stable_word_hashes
from tests.fixtures.make_benchmark_fixtures import (
    EDITS,
    chat,
    synthetic_benchmark,
    synthetic_question,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_fingerprints  # noqa: E402

SHIPPED = ROOT / "auditor" / "fingerprints"


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def fingerprint(tmp: Path, rows: list[dict[str, Any]], name: str = "synthetic") -> Path:
    """Build fingerprints of `rows` into tmp/fp with the repository's script."""
    source = write_jsonl(tmp / f"{name}.jsonl", rows)
    out = tmp / "fp"
    build_fingerprints.build([(name, str(source))], out, date="2026-01-01")
    return out


def run_ft507(train: Path, options: dict[str, Any], evals: tuple[Path, ...] = ()) -> Report:
    config = load_config(None, {"select": ["FT507"], "checks": {"FT507": options}})
    return audit([train], list(evals), config=config)


def found_lines(report: Report) -> dict[int, str]:
    result = report.result("FT507")
    assert result is not None
    return {f.line: f.category or "" for f in result.findings if f.line is not None}


# --- the stable hash -------------------------------------------------------------------------


def test_word_hash_is_pinned_and_independent_of_the_batch() -> None:
    """Shipped fingerprints depend on these values: they must never change."""
    alone = stable_word_hashes(pl.Series(["janet"]))
    among = stable_word_hashes(pl.Series(["ducks", "janet", "eggs"]))
    assert alone[0] == among[1]
    assert int(alone[0]) == 0x1CEB5701C3503933
    tokens, lengths = stable_tokens(pl.Series(["Janet's DUCKS", "", None, "janet’s ducks"]))
    assert lengths.tolist() == [3, 0, 0, 3]
    assert tokens[:3].tolist() == tokens[3:].tolist()  # curly and straight quotes alike


def test_span_is_shown_as_the_train_row_wrote_it() -> None:
    text = "user: Solve this — Janet’s ducks lay 16 eggs, she said."
    assert span_text(text, 3, 5) == "Janet’s ducks lay 16"
    assert span_text(text, 3, 6) == "Janet’s ducks lay 16 eggs"


def test_short_texts_follow_the_ft504_rule() -> None:
    texts = pl.Series(["one two three four five six seven", "a b c d e f g h i j", "x " * 20])
    grams = text_ngrams(texts, 13, 8)
    by_text = {t: sorted(set(grams.size[grams.text == t].tolist())) for t in range(3)}
    assert by_text[0] == []  # 7 words: skipped
    assert by_text[1] == [0, 10]  # 10 words: one n-gram of all of them, plus its prefix key
    assert by_text[2] == [13]


# --- building --------------------------------------------------------------------------------


def test_build_is_byte_identical_and_checks_its_source(tmp_path: Path) -> None:
    rows = synthetic_benchmark(30, seed=1)
    out = fingerprint(tmp_path, rows)
    first = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    build_fingerprints.build([("synthetic", str(tmp_path / "synthetic.jsonl"))], out)
    again = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert first == again  # the same fingerprints keep their build date: no byte changes
    manifest = json.loads(again["manifest.json"])
    (entry,) = manifest["benchmarks"]
    assert entry["fingerprint_sha256"] == hashlib.sha256(again["synthetic.npy"]).hexdigest()
    assert (
        entry["source_sha256"]
        == hashlib.sha256((tmp_path / "synthetic.jsonl").read_bytes()).hexdigest()
    )
    assert entry["rows"] == 30 and entry["built"] == "2026-01-01"
    # A different source file under the same name is refused, unless accepted.
    write_jsonl(tmp_path / "synthetic.jsonl", rows[:10])
    with pytest.raises(build_fingerprints.BuildError, match="differs from the manifest"):
        build_fingerprints.build([("synthetic", str(tmp_path / "synthetic.jsonl"))], out)
    code = build_fingerprints.main([f"synthetic={tmp_path / 'synthetic.jsonl'}", "--out", str(out)])
    assert code == 2
    assert (out / "synthetic.npy").read_bytes() == first["synthetic.npy"]


def test_build_drops_ngrams_many_rows_share(tmp_path: Path) -> None:
    frame = "please answer the following question carefully and show every step of your work"
    rows = [
        {"question": f"{frame} {synthetic_question(__import__('random').Random(i))}"}
        for i in range(8)
    ]
    out = fingerprint(tmp_path, rows)
    (entry,) = json.loads((out / "manifest.json").read_text())["benchmarks"]
    assert entry["dropped_common_ngrams"] >= 1
    train = write_jsonl(tmp_path / "train.jsonl", [chat(frame + " about trains", "ok")])
    assert found_lines(run_ft507(train, {"benchmarks": [], "extra_fingerprints": [str(out)]})) == {}


def test_build_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    assert build_fingerprints.main([f"x={bad}", "--out", str(tmp_path / "o")]) == 2
    assert build_fingerprints.main([f"x={tmp_path / 'missing.jsonl'}", "--out", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err


# --- detection -------------------------------------------------------------------------------


def test_planted_items_are_found_verbatim_and_edited(tmp_path: Path) -> None:
    benchmark = synthetic_benchmark(50, seed=7)
    short = "rewrite the whole answer as a short poem about ducks"  # 10 words
    benchmark.append({"question": short, "answer": "-"})
    out = fingerprint(tmp_path, benchmark)
    import random

    rng = random.Random(99)
    rows = [chat(synthetic_question(rng), "Here is how to think about it.") for _ in range(60)]
    planted: dict[int, int] = {}
    for k, edit in enumerate(EDITS.values()):
        for j in range(3):
            item = k * 3 + j
            line = 1 + item * 4
            question = edit(str(benchmark[item]["question"]))
            # Inside a longer answer, as a copy usually arrives.
            rows[line - 1] = chat("Give me a practice problem.", f"Sure! {question} Good luck.")
            planted[line] = item
    rows[49] = chat("Please " + short + ".", "Quack.")  # the short item, whole
    rows[50] = chat("rewrite the whole answer as a short poem", "no")  # a part: not a match
    # Half a question at the end of one row and half at the start of the next: no n-gram.
    words = str(benchmark[40]["question"]).split()
    rows[51] = chat("a", " ".join(words[:10]))
    rows[52] = chat(" ".join(words[10:20]), "b")
    train = write_jsonl(tmp_path / "train.jsonl", rows)
    report = run_ft507(train, {"benchmarks": [], "extra_fingerprints": [str(out)]})
    result = report.result("FT507")
    assert result is not None
    assert set(found_lines(report)) == {*planted, 50}
    assert set(found_lines(report).values()) == {"synthetic"}
    by_line = {f.line: f for f in result.findings}
    for line, item in planted.items():
        assert f"row {item + 1} of 51" in by_line[line].message
        shown = str(by_line[line].excerpt).rstrip("…")  # the train row's own words
        assert len(shown) > 60 and shown in rows[line - 1]["messages"][2]["content"]
    assert result.status is Status.FAIL  # 13 of 60 rows, 13 of 51 items
    items = result.metric("items_share[synthetic]")
    assert items is not None and items.note == "13 of 51 eval items found in train"


def test_runs_without_and_with_an_eval_file(tmp_path: Path) -> None:
    out = fingerprint(tmp_path, synthetic_benchmark(10, seed=3))
    question = str(synthetic_benchmark(10, seed=3)[2]["question"])
    import random

    rng = random.Random(5)
    rows = [chat(synthetic_question(rng), "ok") for _ in range(300)]
    rows[7] = chat(question, "42")
    train = write_jsonl(tmp_path / "train.jsonl", rows)
    evals = write_jsonl(tmp_path / "eval.jsonl", [chat(synthetic_question(rng), "ok")])
    # One of ten items found fails by default (10% of the benchmark); here only the row
    # share (1 of 300, under 1%) judges, so it warns.
    options = {"benchmarks": [], "extra_fingerprints": [str(out)], "fail_items_above": 0.5}
    for given in ((), (evals,)):
        report = run_ft507(train, options, given)
        result = report.result("FT507")
        assert result is not None and result.status is Status.WARN, result.summary
        assert set(found_lines(report)) == {8}
    # A warm run looks the texts up in the artifact cache, and reports the same.
    warm = run_ft507(train, options)
    assert set(found_lines(warm)) == {8}
    assert warm.cache is not None
    stats = warm.cache.kinds["benchmark n-grams"]
    assert stats.reused == 300 and stats.computed == 0


def test_bad_settings_are_clear_errors(tmp_path: Path) -> None:
    train = write_jsonl(tmp_path / "train.jsonl", [chat("hello there", "hi")])
    with pytest.raises(ConfigError, match="unknown benchmark"):
        run_ft507(train, {"benchmarks": ["no-such-bench"]})
    report = run_ft507(train, {"extra_fingerprints": [str(tmp_path / "nowhere")]})
    result = report.result("FT507")
    assert result is not None and result.status is Status.ERROR
    assert "cannot read fingerprints" in result.summary
    out = fingerprint(tmp_path, synthetic_benchmark(5))
    (out / "synthetic.npy").write_bytes(b"\x93NUMPY damaged")
    result = run_ft507(train, {"extra_fingerprints": [str(out)]}).result("FT507")
    assert result is not None and result.status is Status.ERROR
    assert "sha256" in result.summary
    skipped = run_ft507(train, {"benchmarks": []}).result("FT507")
    assert skipped is not None and skipped.status is Status.SKIPPED


# --- the shipped fingerprints ---------------------------------------------------------------


def test_shipped_fingerprints_match_their_manifest() -> None:
    manifest = shipped_manifest()
    entries = manifest["benchmarks"]
    assert len(entries) >= 4
    total = 0
    for entry in entries:
        data = (SHIPPED / entry["fingerprint_file"]).read_bytes()
        total += len(data)
        assert hashlib.sha256(data).hexdigest() == entry["fingerprint_sha256"]
        assert len(data) == entry["fingerprint_bytes"]
        records = np.load(SHIPPED / entry["fingerprint_file"], allow_pickle=False)
        assert records.dtype == RECORD
        hashes = records["hash"]
        assert np.all(hashes[1:] > hashes[:-1])  # sorted, distinct
        assert int((records["size"] > 0).sum()) == entry["ngrams"]
        assert int(records["item"].max()) < entry["rows"]
        assert entry["license"] and entry["source"]["repo"] and entry["source"]["commit"]
        assert len(entry["source_sha256"]) == 64 and entry["split"]
        assert entry["n"] == 13 and entry["min_n"] == 8
        # No text: past the .npy header, no run of 12 printable bytes.
        body = data[data.index(b"\n") + 1 :]
        assert not re.search(rb"[a-z ]{12}", body)
    assert total < 5_000_000
    sets = load_shipped()
    assert [s.name for s in sets] == [e["name"] for e in entries]


def test_shipped_index_finds_hashes_it_holds() -> None:
    """End to end over the shipped sets with a text whose n-gram we plant in a copy of
    one set: the lookup, not only the files, works on the shipped data."""
    (gsm8k,) = load_shipped(["gsm8k"])
    text = "one two three four five six seven eight nine ten eleven twelve thirteen"
    planted_hash = text_ngrams(pl.Series([text]), 13, 8).hashes
    from dataclasses import replace

    merged = np.concatenate([gsm8k.hashes, planted_hash])
    order = np.argsort(merged)
    with_planted = replace(
        gsm8k,
        hashes=merged[order],
        items=np.concatenate([gsm8k.items, np.array([7], np.uint32)])[order],
        sizes=np.concatenate([gsm8k.sizes, np.array([13], np.uint8)])[order],
    )
    hits = FingerprintIndex([with_planted]).hits(pl.Series(["nothing here", "x " + text]))
    assert hits.select("text", "benchmark", "span").rows() == [(1, "gsm8k", 13)]
    assert hits.get_column("items").to_list() == [[7]]


def test_custom_folder_accepts_the_manifest_path(tmp_path: Path) -> None:
    out = fingerprint(tmp_path, synthetic_benchmark(5))
    assert [s.name for s in load_folder(out / "manifest.json")] == ["synthetic"]
    (out / "manifest.json").write_text('{"format": 99, "benchmarks": []}')
    with pytest.raises(FingerprintError, match="format 99"):
        load_folder(out)


def test_default_config_has_all_shipped(tmp_path: Path) -> None:
    train = write_jsonl(
        tmp_path / "train.jsonl", [chat(synthetic_question(__import__("random").Random(1)), "ok")]
    )
    report = audit([train], config=AuditConfig(select=["FT507"]))
    result = report.result("FT507")
    assert result is not None and result.status is Status.PASS
    names = result.metric("fingerprints")
    assert names is not None and "gsm8k" in str(names.value)
