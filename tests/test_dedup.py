"""auditor.dedup: `ftaudit dedup` keeps one row per duplicate group, byte for byte."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.config import ConfigError
from auditor.dedup import dedup_file, format_summary, merge_clusters


def chat(question: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def line(row: dict[str, Any], *, spaced: bool = False) -> bytes:
    # Varied key spacing and escapes: kept lines must come back exactly as written.
    if spaced:
        return json.dumps(row, indent=None, separators=(" , ", " : ")).encode() + b"\n"
    return json.dumps(row, ensure_ascii=False).encode() + b"\n"


ROWS = [
    line(chat("Where is my order?", "It ships tomorrow.")),  # 1
    line(chat("Refund policy?", "30 days."), spaced=True),  # 2
    line(chat("where is my  ORDER?", "It ships tomorrow.")),  # 3 duplicates 1
    line(chat("Café hours?", "9–17 on weekdays.")),  # 4
    line(chat("Refund policy?", "30 days.")),  # 5 duplicates 2
    line(chat("Where is my order?", "It ships tomorrow.")),  # 6 duplicates 1
]


def write(path: Path, lines: Sequence[bytes]) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_keeps_first_and_copies_lines_byte_for_byte(tmp_path: Path) -> None:
    source = write(tmp_path / "data.jsonl", ROWS)
    before = sha256(source)
    summary = dedup_file(source, tmp_path / "clean.jsonl", near=False)
    assert (tmp_path / "clean.jsonl").read_bytes() == ROWS[0] + ROWS[1] + ROWS[3]
    assert summary.removed == [(3, 1), (5, 2), (6, 1)]
    assert (summary.rows_read, summary.rows_kept, summary.groups) == (6, 3, 2)
    assert sha256(source) == before


def test_keep_longest_keeps_the_longest_response(tmp_path: Path) -> None:
    rows = [
        line(chat("Reset password?", "Use Settings.")),
        line(chat("Other question?", "Other answer.")),
        line(chat("Reset password?", "Use Settings.")),
    ]
    # Extra whitespace makes the raw answer longer while it normalizes the same.
    rows.append(line(chat("Reset password?", "use   settings.")))
    summary = dedup_file(write(tmp_path / "d.jsonl", rows), tmp_path / "o.jsonl", keep="longest")
    assert (tmp_path / "o.jsonl").read_bytes() == rows[1] + rows[3]
    assert summary.removed == [(1, 4), (3, 4)]


def test_input_is_never_overwritten(tmp_path: Path) -> None:
    source = write(tmp_path / "data.jsonl", ROWS)
    before = sha256(source)
    with pytest.raises(ConfigError):
        dedup_file(source, source)
    with pytest.raises(ConfigError):
        dedup_file(source, tmp_path / "sub" / ".." / "data.jsonl")
    assert sha256(source) == before


def test_gzip_input(tmp_path: Path) -> None:
    source = tmp_path / "data.jsonl.gz"
    source.write_bytes(gzip.compress(b"".join(ROWS)))
    summary = dedup_file(source, tmp_path / "clean.jsonl", near=False)
    assert (tmp_path / "clean.jsonl").read_bytes() == ROWS[0] + ROWS[1] + ROWS[3]
    assert summary.rows_kept == 3


def test_gzip_output(tmp_path: Path) -> None:
    source = write(tmp_path / "data.jsonl", ROWS)
    dedup_file(source, tmp_path / "clean.jsonl.gz", near=False)
    assert gzip.decompress((tmp_path / "clean.jsonl.gz").read_bytes()) == b"".join(
        ROWS[i] for i in (0, 1, 3)
    )


def test_json_array_input_becomes_jsonl(tmp_path: Path) -> None:
    records = [chat("A?", "a."), chat("B?", "b."), chat("a?", "A.")]
    source = tmp_path / "data.json"
    source.write_text(json.dumps(records, indent=2))
    summary = dedup_file(source, tmp_path / "clean.jsonl", near=False)
    kept = [json.loads(x) for x in (tmp_path / "clean.jsonl").read_text().splitlines()]
    assert kept == records[:2]
    assert len(summary.removed) == 1


def test_bad_lines_are_left_out_and_counted(tmp_path: Path) -> None:
    rows = [ROWS[0], b'{"messages": [broken\n', b"\n", b"[1, 2]\n", ROWS[2], ROWS[3]]
    summary = dedup_file(write(tmp_path / "d.jsonl", rows), tmp_path / "o.jsonl")
    assert (tmp_path / "o.jsonl").read_bytes() == ROWS[0] + ROWS[3]
    assert summary.unreadable == 3
    assert summary.removed == [(5, 1)]
    assert "3 unreadable" in format_summary(summary)


def test_last_line_without_newline(tmp_path: Path) -> None:
    source = write(tmp_path / "d.jsonl", [ROWS[0], ROWS[3].rstrip(b"\n")])
    dedup_file(source, tmp_path / "o.jsonl")
    assert (tmp_path / "o.jsonl").read_bytes() == ROWS[0] + ROWS[3]


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dedup_file(write(tmp_path / "d.jsonl", ROWS), out / "clean.jsonl")
    assert [p.name for p in out.iterdir()] == ["clean.jsonl"]


ANSWER = (
    "Open the app, go to Settings, choose Security, then press Reset password and follow "
    "the link we email you; the link works for one hour and only once, so use it soon."
)
NEAR_ROWS = [
    line(chat("How do I reset my password?", ANSWER)),  # 1
    line(chat("Refund policy?", "30 days.")),  # 2
    line(chat("How do I reset my password?", ANSWER.replace("soon", "quickly"))),  # 3 near 1
    line(chat("Café hours?", "9–17 on weekdays.")),  # 4
    line(chat("Refund policy?", "30 days.")),  # 5 duplicates 2
]


def test_near_copies_are_removed_with_exact_ones(tmp_path: Path) -> None:
    summary = dedup_file(write(tmp_path / "d.jsonl", NEAR_ROWS), tmp_path / "o.jsonl")
    assert (tmp_path / "o.jsonl").read_bytes() == b"".join(NEAR_ROWS[i] for i in (0, 1, 3))
    assert summary.removed == [(3, 1), (5, 2)]
    assert (summary.exact_groups, summary.near_clusters, summary.groups) == (1, 2, 2)
    exact = dedup_file(write(tmp_path / "d.jsonl", NEAR_ROWS), tmp_path / "e.jsonl", near=False)
    assert exact.removed == [(5, 2)]


def test_cli_dedup_uses_the_configured_near_duplicate_threshold(tmp_path: Path) -> None:
    source = write(tmp_path / "d.jsonl", NEAR_ROWS)
    config = tmp_path / "ftaudit.toml"
    config.write_text("[checks.FT302]\nthreshold = 0.99\n")
    args = ["dedup", str(source), "-o", str(tmp_path / "o.jsonl"), "--config", str(config)]
    assert main(args) == 0
    # At 0.99 the edited copy is not a near-duplicate; the exact copy still goes.
    assert (tmp_path / "o.jsonl").read_bytes() == b"".join(NEAR_ROWS[:4])
    config.write_text("[checks.FT302]\nthreshold = 2\n")
    assert main(args) == 2  # an invalid option is a config error, not a traceback


def test_merge_clusters_unions_overlaps() -> None:
    assert merge_clusters([[0, 4], [4, 7], [2, 3], [9]]) == [[0, 4, 7], [2, 3]]


def test_format_summary_lists_the_first_removals(tmp_path: Path) -> None:
    rows = [line(chat("Same?", "Same.")) for _ in range(30)]
    summary = dedup_file(write(tmp_path / "d.jsonl", rows), tmp_path / "o.jsonl", near=False)
    text = format_summary(summary)
    assert "removed 29 duplicate row(s) in 1 group(s)" in text
    assert "line 2: duplicate of line 1" in text
    assert "line 21: duplicate of line 1" in text
    assert "line 22:" not in text
    assert "and 9 more" in text


def test_unknown_format_rows_are_kept_unchanged(tmp_path: Path) -> None:
    odd = b'{"q": "Where is my order?", "a": "It ships tomorrow."}\n'
    rows = [ROWS[0], odd, odd, ROWS[2]]
    summary = dedup_file(write(tmp_path / "d.jsonl", rows), tmp_path / "o.jsonl", near=False)
    assert (tmp_path / "o.jsonl").read_bytes() == ROWS[0] + odd + odd
    assert (summary.rows_read, summary.lines_written, summary.unreadable) == (2, 3, 0)


def test_missing_output_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        dedup_file(write(tmp_path / "d.jsonl", ROWS), tmp_path / "nope" / "o.jsonl")
