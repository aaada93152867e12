"""`ftaudit redact`: typed placeholders, every other byte unchanged, atomic, never the input."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from auditor import audit
from auditor.check import Status
from auditor.cli import main as cli_main
from auditor.config import ConfigError, load_config
from auditor.redact import redact_file, redact_lines
from auditor.sensitive import ALL_KINDS, DetectOptions
from tests.fixtures.make_hygiene_fixtures import (
    iban,
    luhn_complete,
    secret_sentence,
    secrets_by_kind,
)

FIXTURES = Path(__file__).parent / "fixtures"
PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
SECRETS = secrets_by_kind(random.Random(5))


def main(argv: list[str]) -> int:
    """`ftaudit redact ARGS`, through the real command line."""
    return cli_main(["redact", *argv])


def qa(question: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def audit_codes(path: Path) -> dict[str, Status]:
    report = audit([path], config=load_config(None, {"select": ["FT601", "FT602"]}))
    return {code: report.result(code).status for code in ("FT601", "FT602")}  # type: ignore[union-attr]


def same_outside_placeholders(before: bytes, after: bytes) -> bool:
    """Whether `after` is `before` with some spans replaced by placeholders, nothing else:
    the text between placeholders appears in `before`, in order, with only the replaced
    spans between."""
    if before == after:
        return True
    parts = PLACEHOLDER.split(after.decode())
    pos = 0
    text = before.decode()
    if not text.startswith(parts[0]):
        return False
    pos = len(parts[0])
    for part in parts[1:-1]:
        at = text.find(part, pos + 1)
        if at < 0:
            return False
        pos = at + len(part)
    return text.endswith(parts[-1]) and len(text) - len(parts[-1]) >= pos


@pytest.mark.parametrize("code", ["FT601", "FT602"])
def test_round_trip_audits_clean_and_changes_only_the_spans(tmp_path: Path, code: str) -> None:
    source = FIXTURES / code / "bad.jsonl"
    before = source.read_bytes()
    output = tmp_path / "clean.jsonl"
    summary = redact_file(source, output)
    assert source.read_bytes() == before  # the input is untouched
    assert audit_codes(source)[code] is not Status.PASS
    assert set(audit_codes(output).values()) == {Status.PASS}
    old_lines, new_lines = before.splitlines(), output.read_bytes().splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [i + 1 for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert changed == summary.changed_lines
    for a, b in zip(old_lines, new_lines, strict=True):
        assert same_outside_placeholders(a, b), (a, b)
        json.loads(b)  # still valid JSON
    assert sum(summary.counts.values()) == len(PLACEHOLDER.findall(output.read_text()))


def test_each_kind_becomes_its_placeholder(tmp_path: Path) -> None:
    lines = [json.dumps(qa("x", secret_sentence(k, v))) + "\n" for k, v in SECRETS.items()]
    options = DetectOptions(kinds=frozenset(ALL_KINDS))
    out = redact_lines(lines, options)
    expected = {"HIGH_ENTROPY": "[SECRET]"}
    for kind, line in zip(SECRETS, out, strict=True):
        assert expected.get(kind, f"[{kind}]") in line
        assert SECRETS[kind] not in line


def test_escaped_values_are_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    key = SECRETS["AWS_SECRET"]
    # `\/` and `\u0040` escapes, and non-ASCII written as \u escapes (ensure_ascii).
    value = f"aws_secret_access_key = {key} and mail jane.doe@acme-corp.io, café ☕"
    raw = json.dumps(qa("hi", value)).replace("/", "\\/").replace("@", "\\u0040")
    path = tmp_path / "escaped.jsonl"
    path.write_text(raw + "\n")
    output = tmp_path / "out.jsonl"
    summary = redact_file(path, output)
    text = output.read_text()
    assert summary.escaped_lines == [1]
    assert summary.counts == {"AWS_SECRET": 1, "EMAIL": 1}
    decoded = json.loads(text)["messages"][1]["content"]
    assert decoded == "aws_secret_access_key = [AWS_SECRET] and mail [EMAIL], café ☕"
    assert text.startswith(raw.split("aws_secret")[0])  # untouched bytes before the span
    assert "caf\\u00e9 \\u2615" in text  # the escapes outside the spans are kept


def test_clean_lines_and_unusual_bytes_are_kept(tmp_path: Path) -> None:
    card = luhn_complete(random.Random(3), "4539")
    body = (
        '{"messages":[{"role":"user","content":"plain"},{"role":"assistant","content":"ok"}]}\r\n'
        + json.dumps(qa("card?", f"Card {card}."), indent=None, separators=(", ", " : "))
        + "\n"
        + '{"text": "no newline at the end, IBAN '
        + iban(random.Random(4))
        + '"}'
    )
    path = tmp_path / "odd.jsonl"
    path.write_bytes(body.encode())
    output = tmp_path / "out.jsonl"
    summary = redact_file(path, output)
    lines = output.read_bytes().splitlines(keepends=True)
    assert lines[0] == body.encode().splitlines(keepends=True)[0]  # CRLF line unchanged
    assert b"[CARD]" in lines[1] and b'"content" : ' in lines[1]
    assert lines[2].endswith(b'[IBAN]"}\n')  # newline added, as every remedy does
    assert summary.changed_lines == [2, 3]


def test_keys_are_not_redacted_and_other_fields_are(tmp_path: Path) -> None:
    row = {"jane.doe@acme-corp.io": 1, "meta": {"owner": "jane.doe@acme-corp.io"}, "text": "hi"}
    out = redact_lines([json.dumps(row) + "\n"], DetectOptions(kinds=frozenset({"EMAIL"})))
    assert json.loads(out[0]) == {
        "jane.doe@acme-corp.io": 1,
        "meta": {"owner": "[EMAIL]"},
        "text": "hi",
    }


def test_unreadable_lines_are_left_out_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(qa("mail", "jane.doe@acme-corp.io")) + "\n{broken\n\n")
    summary = redact_file(path, tmp_path / "out.jsonl")
    assert summary.unreadable == 2
    assert summary.lines_written == 1


def test_json_array_and_gzip(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps([qa("mail", "jane.doe@acme-corp.io"), qa("a", "b")], indent=2))
    output = tmp_path / "out.jsonl.gz"
    summary = redact_file(path, output)
    lines = gzip.decompress(output.read_bytes()).decode().splitlines()
    assert len(lines) == 2 and "[EMAIL]" in lines[0]
    assert summary.notes  # says the array became JSON Lines


def test_a_json_array_with_line_separators_in_its_strings(tmp_path: Path) -> None:
    """U+2028 and U+0085 are written raw inside strings: each still ends no element."""
    path = tmp_path / "data.json"
    rows = [qa("mail\u2028me", "jane.doe@acme-corp.io"), qa("b\x85", "max@beispiel.de")]
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    output = tmp_path / "out.jsonl"
    summary = redact_file(path, output)
    assert summary.lines_written == 2
    assert summary.counts["EMAIL"] == 2
    assert output.read_text(encoding="utf-8").count("[EMAIL]") == 2


def test_refuses_to_overwrite_the_input(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps(qa("a", "b")) + "\n")
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        redact_file(path, path)


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps(qa("mail", "jane.doe@acme-corp.io")) + "\n")
    output = tmp_path / "out.jsonl"
    output.write_text("previous\n")

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("auditor.atomic.os.replace", fail)
    with pytest.raises(OSError):
        redact_file(path, output)
    assert output.read_text() == "previous\n"  # old copy intact, no temporary left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl", "out.jsonl"]


def test_cli_prints_counts_per_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "clean.jsonl"
    assert main([str(FIXTURES / "FT601" / "bad.jsonl"), "-o", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "replaced 9 value(s) in 7 line(s)" in printed
    assert re.search(r"\[PHONE\]\s+3", printed) and re.search(r"\[EMAIL\]\s+2", printed)
    assert "jane.doe" not in printed


def test_cli_kind_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "clean.jsonl"
    source = str(FIXTURES / "FT601" / "bad.jsonl")
    assert (
        main([source, "-o", str(output), "--kinds", "email,phone", "--ignore-kinds", "PHONE"]) == 0
    )
    assert "[EMAIL]" in output.read_text() and "[PHONE]" not in output.read_text()
    assert "[CARD]" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl", "-o", "{out}"], "missing.jsonl: no such file"),
        (["{src}", "-o", "{src}"], "refusing to overwrite the input"),
        (["{src}", "-o", "{out}", "--kinds", "NOPE"], "unknown kind(s) NOPE"),
        (["{src}", "-o", "{tmp}/no/such/folder/x.jsonl"], "its folder does not exist"),
        (["{src}"], "Missing option"),
    ],
)
def test_cli_errors_exit_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    src = tmp_path / "data.jsonl"
    src.write_text(json.dumps(qa("a", "b")) + "\n")
    values = {"src": str(src), "out": str(tmp_path / "out.jsonl"), "tmp": str(tmp_path)}
    argv = [a.format(**values) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_names_the_bad_line_of_an_unreadable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "data.jsonl"
    src.write_text("{broken\nnot json either\n")
    assert main([str(src), "-o", str(tmp_path / "out.jsonl")]) == 2
    err = capsys.readouterr().err
    assert f"{src}:" in err and "line 1" in err
