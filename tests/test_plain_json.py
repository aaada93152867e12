"""The plain-chat kernel (auditor/_plain_json.c) says "plain" only of lines the per-row
path also reads as plain chat, and the rows and findings of a chunk are the same with the
kernel as without it."""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from auditor import native
from auditor.formats import normalize_chunk
from auditor.formats.columnar import plain_chat
from auditor.io import FileRead, parse_lines
from auditor.plain_lines import normalize_lines, plain_chat_lines

pytestmark = pytest.mark.skipif(
    native.plain_chat_kernel() is None, reason="the compiled kernels are not built here"
)

WORDS = ["hi", "Grüße", "naïve", "", "line\nbreak", 'say "x"', "🙂", "a\tb", "\\", "\u0000", "é"]
ROLES = ["system", "user", "assistant", "tool", "function", "bot", "System"]


def per_row_plain(line: bytes) -> bool:
    """What the per-row path makes of the line: a record that plain_chat takes."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return isinstance(record, dict) and plain_chat(record)


def kernel_plain(lines: list[bytes]) -> list[bool]:
    flags = plain_chat_lines([(i + 1, raw) for i, raw in enumerate(lines)])
    assert flags is not None
    return flags.tolist()


def message(draw: st.DrawFn) -> dict[str, Any]:
    role = draw(st.sampled_from(ROLES[:4] * 3 + ROLES[4:]))
    out: dict[str, Any] = {"role": role, "content": draw(st.sampled_from(WORDS))}
    if draw(st.integers(0, 9)) == 0:
        out["content"] = draw(st.sampled_from([None, 3, ["part"], {"text": "x"}]))
    if role == "assistant" and draw(st.booleans()):
        out["tool_calls"] = draw(st.lists(call(), max_size=2))
        if draw(st.booleans()):
            out["content"] = None
    if draw(st.integers(0, 5)) == 0:
        out[draw(st.sampled_from(["name", "tool_call_id", "weight", "extra"]))] = draw(
            st.sampled_from(["n", None, 1, 0.5, True])
        )
    return out


@st.composite
def call(draw: st.DrawFn) -> Any:
    function: dict[str, Any] = {
        "name": draw(st.sampled_from(["lookup", "f", None, 7])),
        "arguments": draw(st.sampled_from(['{"q": "tent"}', "{}", "", None, {"q": 1}])),
    }
    if draw(st.booleans()):
        function["description"] = draw(st.sampled_from(["d", 1e5, [1, 2], {"a": None}]))
    made: dict[str, Any] = {"type": "function", "function": function}
    if draw(st.booleans()):
        made["id"] = draw(st.sampled_from(["call_1", None, 5]))
    return made if draw(st.integers(0, 20)) else draw(st.sampled_from(["call", [], None]))


@st.composite
def record(draw: st.DrawFn) -> dict[str, Any]:
    made: dict[str, Any] = {"messages": [message(draw) for _ in range(draw(st.integers(0, 5)))]}
    if draw(st.integers(0, 3)) == 0:
        made["tools"] = draw(
            st.lists(
                st.sampled_from(
                    [
                        {"type": "function", "function": {"name": "lookup"}},
                        {"function": {"name": "f", "parameters": {"type": "object", "x": 1}}},
                        {"function": {"name": 3}},
                        {"name": "f"},
                        "f",
                    ]
                ),
                max_size=3,
            )
        )
    if draw(st.integers(0, 10)) == 0:
        made[draw(st.sampled_from(["id", "chosen", "metadata"]))] = 1
    return made


@st.composite
def line(draw: st.DrawFn) -> bytes:
    """A record written as JSON in one of several ways, now and then damaged."""
    value = draw(record())
    style = draw(st.integers(0, 3))
    if style == 0:
        text = orjson.dumps(value)
    elif style == 1:
        text = json.dumps(value, ensure_ascii=True).encode()  # \u escapes, surrogate pairs
    elif style == 2:
        text = json.dumps(value, separators=(" , ", " : "), ensure_ascii=False).encode()
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False).encode() + b" \r\n"
    if draw(st.integers(0, 3)) == 0 and text:
        at = draw(st.integers(0, len(text) - 1))
        byte = draw(st.sampled_from([b"", b",", b"}", b'"', b"\\", b"\xff", b"\xc3", b"\x01"]))
        text = text[:at] + byte + text[at + draw(st.integers(0, 2)) :]
    return text


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(line(), min_size=1, max_size=20))
def test_the_kernel_says_plain_only_of_plain_chat(lines: list[bytes]) -> None:
    for raw, plain in zip(lines, kernel_plain(lines), strict=True):
        if plain:
            assert per_row_plain(raw), raw


def test_it_takes_the_plain_rows_orjson_writes() -> None:
    """Sound is not enough: on well-formed plain chat the kernel must say plain, or loading
    gains nothing."""
    rng = random.Random(5)
    lines = []
    for _ in range(2000):
        messages = [
            {"role": rng.choice(ROLES[:4]), "content": rng.choice(WORDS)}
            for _ in range(rng.randint(1, 6))
        ]
        made: dict[str, Any] = {"messages": messages}
        if rng.random() < 0.3:
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                }
            )
            made["tools"] = [
                {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
            ]
        lines.append(orjson.dumps(made))
    assert all(per_row_plain(raw) for raw in lines)
    assert all(kernel_plain(lines))


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        (b'{"messages":[{"role":"user","content":"hi"}]}', True),
        (b' {"messages" : [ {"content":"hi" , "role":"user"} ] } \r\n', True),
        (b'{"messages":[{"role":"user","content":"caf\\u00e9 \\/ \\n"}]}', True),
        (b'{"messages":[]}', False),  # empty
        (b'{"messages":[{"role":"user","content":"hi"}],}', False),  # trailing comma
        (b'{"messages":[{"role":"user","content":"hi"}]} x', False),  # trailing text
        (b'{"messages":[{"role":"user","content":"hi"}], "messages": []}', False),  # twice
        (b'{"messages":[{"ro\\u006ce":"user","content":"hi"}]}', False),  # an escaped key
        (b'{"messages":[{"role":"us\\u0065r","content":"hi"}]}', False),  # an escaped role
        (b'{"messages":[{"role":"user","content":"\\ud83d\\ude00"}]}', False),  # surrogates
        (b'{"messages":[{"role":"user","content":"a\x01b"}]}', False),  # raw control byte
        (b'{"messages":[{"role":"user","content":"\xc3\x28"}]}', False),  # bad UTF-8
        (b'{"messages":[{"role":"user","content":"\xed\xa0\x80"}]}', False),  # UTF-8 surrogate
        (b'{"messages":[{"role":"user","content":"\xc0\xaf"}]}', False),  # overlong
        (b'{"messages":[{"role":"user","content":"hi","weight":1}]}', False),
        (b'{"messages":[{"role":"assistant","content":"x","tool_calls":null}]}', False),
        (b'{"messages":[{"role":"assistant","tool_calls":[]}]}', True),
        (b'{"messages":[{"role":"assistant","content":null}]}', False),
        (
            b'{"messages":[{"role":"user","content":"hi"}],"tools":[{"function":{"name":"f",'
            b'"parameters":{"n":-1.5e-3,"b":[true,false,null],"o":{}}}}]}',
            True,
        ),
        (
            b'{"messages":[{"role":"user","content":"hi"}],"tools":[{"function":{"name":"f",'
            b'"parameters":{"n":1234567890123456789012}}}]}',
            False,
        ),  # a long number
        (
            b'{"messages":[{"role":"user","content":"hi"}],"tools":[{"function":{"x":NaN,'
            b'"name":"f"}}]}',
            False,
        ),
        (
            b'{"messages":[{"role":"user","content":"hi"}],"tools":[{"function":{"name":"f",'
            b'"p":' + b"[" * 80 + b"]" * 80 + b"}}]}",
            False,
        ),  # nested past the limit
        (b'[{"messages":[]}]', False),
        (b"", False),
    ],
)
def test_lines_at_the_edges(raw: bytes, plain: bool) -> None:
    assert kernel_plain([raw]) == [plain]
    if plain:
        assert per_row_plain(raw)


def lines_of(raws: list[bytes]) -> list[tuple[int, bytes]]:
    return [(i + 1, raw) for i, raw in enumerate(raws)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raws=st.lists(line(), min_size=1, max_size=30))
def test_rows_and_findings_are_those_of_the_per_row_path(raws: list[bytes]) -> None:
    with_kernel, without = FileRead("f.jsonl"), FileRead("f.jsonl")
    fast = normalize_lines(lines_of(raws), with_kernel, "f.jsonl", None, False)
    slow = normalize_chunk(parse_lines(lines_of(raws), without), "f.jsonl")
    assert_frame_equal(fast.rows, slow.rows)
    assert fast.findings == slow.findings
    assert with_kernel.findings == without.findings
    assert with_kernel.records == without.records


def test_offsets_that_do_not_fit_the_data_are_refused() -> None:
    kernel = native.plain_chat_kernel()
    assert kernel is not None
    with pytest.raises(ValueError):
        kernel(b"{}", np.array([0, 5], dtype=np.int64))
    with pytest.raises(ValueError):
        kernel(b"{}{}", np.array([0, 3, 2, 4], dtype=np.int64))


def test_custom_keys_and_a_missing_kernel_take_the_per_row_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from auditor.formats import KeyMapping

    raws = [b'{"messages":[{"role":"user","content":"hi"}]}']
    keys = KeyMapping(prompt="q", response="a")
    read = FileRead("f.jsonl")
    normalize_lines(lines_of(raws), read, "f.jsonl", keys, False)
    assert read.records == 1
    monkeypatch.setenv(native.NATIVE_ENV, "0")
    native.clear()
    try:
        assert plain_chat_lines(lines_of(raws)) is None
    finally:
        monkeypatch.delenv(native.NATIVE_ENV)
        native.clear()


def test_a_chunk_decoded_in_parts_is_the_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor import plain_lines

    monkeypatch.setattr(plain_lines, "MIN_PART", 7)  # parts of a 50-line chunk, on threads
    rng = random.Random(3)
    raws = []
    for i in range(50):
        messages = [{"role": "user", "content": f"question {i} {rng.choice(WORDS)}"}]
        messages.append({"role": "assistant", "content": f"answer {i}"})
        raws.append(orjson.dumps({"messages": messages}))
    raws[20] = b'{"messages": [{"role": "bot", "content": "odd"}]}'  # the per-row path
    read, plain_read = FileRead("f.jsonl"), FileRead("f.jsonl")
    fast = normalize_lines(lines_of(raws), read, "f.jsonl", None, False)
    slow = normalize_chunk(parse_lines(lines_of(raws), plain_read), "f.jsonl")
    assert_frame_equal(fast.rows, slow.rows)
    assert fast.rows["line"].to_list() == list(range(1, 51))
    assert read.records == plain_read.records == 50
