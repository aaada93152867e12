"""Reading: every unreadable line is a finding with its line; unreadable files are errors."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from auditor.io import FileRead, InputError, iter_record_chunks

FIXTURES = Path(__file__).parent / "fixtures"


def read_all(path: Path, **kwargs: int) -> tuple[list[int], FileRead]:
    read = FileRead(str(path))
    lines = [line for chunk in iter_record_chunks(path, read, **kwargs) for line, _ in chunk]
    return lines, read


@pytest.mark.parametrize(
    ("code", "bad_lines", "good_lines", "options"),
    [
        ("FT001", [2, 4], [1, 3, 5], {}),
        ("FT002", [2, 4], [1, 3], {}),
        ("FT003", [3], [1, 2, 4, 5], {}),
        ("FT004", [1], [1, 2, 3, 4], {}),
        ("FT005", [2], [1, 3, 4, 5], {}),
        ("FT006", [3], [1, 2, 4, 5], {"max_line_bytes": 600}),
        ("FT007", [3, 4, 7], [1, 2, 5, 6], {}),
    ],
)
def test_bad_lines_become_findings_and_the_rest_is_read(
    code: str, bad_lines: list[int], good_lines: list[int], options: dict[str, int]
) -> None:
    lines, read = read_all(FIXTURES / code / "bad.jsonl", **options)
    assert [f.line for f in read.findings if f.code == code] == bad_lines
    assert lines == good_lines
    assert all(f.file == str(FIXTURES / code / "bad.jsonl") for f in read.findings)


def test_invalid_json_messages_are_specific() -> None:
    _, read = read_all(FIXTURES / "FT001" / "bad.jsonl")
    by_line = {f.line: f for f in read.findings}
    assert "single quotes" in (by_line[2].hint or "")
    assert "truncated" in (by_line[4].hint or "")
    assert "column" in by_line[2].message


def test_a_raw_tab_inside_a_string_is_named_once(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    good = b'{"messages": [{"role": "user", "content": "a b"}]}\n'
    path.write_bytes(good + b'{"messages": [{"role": "user", "content": "a\tb"}]}\n')
    _, read = read_all(path)
    assert read.findings[0].message == "invalid JSON: Invalid control character at column 45"


def test_invalid_utf8_names_the_byte() -> None:
    _, read = read_all(FIXTURES / "FT003" / "bad.jsonl")
    assert "0xe9" in read.findings[0].message


def test_gzip_and_sha256(tmp_path: Path) -> None:
    source = FIXTURES / "FT001" / "good.jsonl"
    packed = tmp_path / "data.jsonl.gz"
    packed.write_bytes(gzip.compress(source.read_bytes()))
    lines, read = read_all(packed)
    assert lines == [1, 2, 3, 4]
    import hashlib

    assert read.sha256 == hashlib.sha256(packed.read_bytes()).hexdigest()
    _, plain = read_all(source)
    assert plain.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()


def gzip_rows(rows: int) -> bytes:
    """A gzip stream of distinct chat rows that compresses poorly enough to cut mid-way."""
    lines = (
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"Question {i}: {i * 7919 % 104729} + {i}?"},
                    {"role": "assistant", "content": f"{i * 7919 % 104729 + i}"},
                ]
            }
        )
        + "\n"
        for i in range(rows)
    )
    return gzip.compress("".join(lines).encode())


def truncated(tmp_path: Path, name: str = "data.jsonl.gz", rows: int = 2000) -> Path:
    """The first 60% of a gzip file's bytes, as an interrupted download leaves it."""
    packed = gzip_rows(rows)
    path = tmp_path / name
    path.write_bytes(packed[: len(packed) * 6 // 10])
    return path


def test_truncated_gzip_is_an_input_error(tmp_path: Path) -> None:
    path = truncated(tmp_path)
    with pytest.raises(InputError) as caught:
        read_all(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: truncated gzip stream")
    assert "\n" not in message
    found = re.search(r"the last complete line read is line ([\d,]+);", message)
    assert found is not None and 0 < int(found[1].replace(",", "")) < 2000


def test_tiny_truncated_gzip_names_no_line(tmp_path: Path) -> None:
    path = truncated(tmp_path, rows=2)
    with pytest.raises(InputError, match=r"truncated gzip stream.*not one complete line"):
        read_all(path)


def test_corrupt_gzip_is_an_input_error(tmp_path: Path) -> None:
    packed = bytearray(gzip_rows(500))
    packed[len(packed) // 2 : len(packed) // 2 + 8] = b"\xff" * 8
    path = tmp_path / "data.jsonl.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(InputError, match=r"data.jsonl.gz: (corrupt|truncated) gzip stream"):
        read_all(path)


def test_truncated_gzip_json_array_is_an_input_error(tmp_path: Path) -> None:
    rows = [{"text": f"row {i}: {i * 7919 % 104729}"} for i in range(2000)]
    packed = gzip.compress(json.dumps(rows, indent=1).encode())
    path = tmp_path / "data.json.gz"
    path.write_bytes(packed[: len(packed) * 6 // 10])
    with pytest.raises(InputError, match=r"data.json.gz: truncated gzip stream"):
        read_all(path)


def test_truncated_gzip_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from auditor.cli import main

    path = truncated(tmp_path)
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert str(path) in err and "truncated gzip stream" in err


def test_json_array_keeps_real_line_numbers(tmp_path: Path) -> None:
    rows = [{"text": "first"}, {"text": "second"}, 5, {"text": "fourth"}]
    path = tmp_path / "data.json"
    path.write_text(json.dumps(rows, indent=2))
    read = FileRead(str(path))
    records = [r for chunk in iter_record_chunks(path, read) for r in chunk]
    text = path.read_text().splitlines()
    for line, record in records:
        assert text[line - 1].strip() == "{", (line, record)
    assert [r["text"] for _, r in records] == ["first", "second", "fourth"]
    assert [f.code for f in read.findings] == ["FT002"]


def test_compact_json_array(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text('[{"text": "a"},{"text": "b"}]')
    lines, _ = read_all(path)
    assert lines == [1, 1]


def test_broken_json_array_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text('[\n{"text": "a"},\n{"text": "b",\n]')
    with pytest.raises(InputError, match=r"data.json:4"):
        read_all(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"\n\n  \n", "file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10", "binary file"),
        (b"id,text\n1,hello\n2,world\n", "none of its 3 lines holds a JSON object"),
    ],
)
def test_unreadable_files_are_input_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_all(path)


def test_empty_array(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text("[]")
    with pytest.raises(InputError, match="holds no records"):
        read_all(path)


def test_pretty_array_named_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps([{"text": "a"}, {"text": "b"}], indent=2))
    lines, _ = read_all(path)
    assert lines == [2, 5]


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_all(tmp_path / "absent.jsonl")
    with pytest.raises(InputError, match="is a directory"):
        read_all(tmp_path)


def test_chunks_bound_memory(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps({"text": f"row {i}"}) + "\n" for i in range(25)))
    read = FileRead(str(path))
    sizes = [len(chunk) for chunk in iter_record_chunks(path, read, chunk_rows=10)]
    assert sizes == [10, 10, 5]
    assert read.records == 25 and read.lines == 25
