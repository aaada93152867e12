"""Format detection and normalization: one hand-written row per format, checked exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.formats import (
    CANONICAL_SCHEMA,
    NORMALIZERS,
    PROMPT_ONLY_FORMATS,
    KeyMapping,
    Row,
    detect_format,
    normalize_chunk,
    normalize_record,
)
from auditor.schemas import schema_findings


def msg(role: str, content: str = "", **fields: Any) -> dict[str, Any]:
    """A canonical message, with every unset field None."""
    base: dict[str, Any] = {
        "role": role,
        "content": content,
        "weight": None,
        "name": None,
        "tool_call_id": None,
        "tool_calls": None,
    }
    return base | fields


def tool_call(name: str, arguments: str, call_id: str | None = None) -> dict[str, Any]:
    return {"id": call_id, "name": name, "arguments": arguments}


def one(
    record: dict[str, Any], keys: KeyMapping | None = None, *, eval_shapes: bool = False
) -> dict[str, Any]:
    """Normalize one record that must be clean; its canonical row as a dict."""
    chunk = normalize_chunk([(1, record)], "f.jsonl", keys, eval_shapes=eval_shapes)
    assert chunk.findings == []
    assert chunk.rows.height == 1
    return chunk.rows.row(0, named=True)


def findings_of(record: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(f.code, f.path) for f in normalize_chunk([(7, record)], "f.jsonl").findings]


# --- OpenAI chat ---------------------------------------------------------------------------


def test_openai_chat_with_tools_weights_and_parts() -> None:
    record = {
        "messages": [
            {"role": "system", "content": "You are a travel desk assistant."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Which train should I take to Lyon?"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/t.png"}},
                ],
            },
            {"role": "assistant", "content": "Let me check.", "weight": 0},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_7",
                        "type": "function",
                        "function": {
                            "name": "find_trains",
                            "arguments": '{"to": "Lyon", "date": "2024-05-02"}',
                        },
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_7", "content": "TGV 6605 08:04, TGV 6611 10:04"},
            {"role": "assistant", "content": "Take the 08:04 TGV 6605.", "weight": 1},
        ],
        "tools": [{"type": "function", "function": {"name": "find_trains", "parameters": {}}}],
    }
    row = one(record)
    assert row["format"] == "openai-chat"
    assert row["messages"] == [
        msg("system", "You are a travel desk assistant."),
        msg("user", "Which train should I take to Lyon?\n[image_url]"),
        msg("assistant", "Let me check.", weight=0.0),
        msg(
            "assistant",
            tool_calls=[tool_call("find_trains", '{"to": "Lyon", "date": "2024-05-02"}', "call_7")],
        ),
        msg("tool", "TGV 6605 08:04, TGV 6611 10:04", tool_call_id="call_7"),
        msg("assistant", "Take the 08:04 TGV 6605.", weight=1.0),
    ]
    assert row["system"] == "You are a travel desk assistant."
    assert row["tools"] == ["find_trains"]
    assert row["response"] == "Take the 08:04 TGV 6605."
    assert row["prompt"] == (
        "system: You are a travel desk assistant.\n"
        "user: Which train should I take to Lyon?\n[image_url]\n"
        "assistant: Let me check.\n"
        'assistant: \nfind_trains({"to": "Lyon", "date": "2024-05-02"})\n'
        "tool: TGV 6605 08:04, TGV 6611 10:04"
    )
    assert row["text"] == row["prompt"] + "\nassistant: Take the 08:04 TGV 6605."
    assert (row["chosen"], row["rejected"], row["label"]) == (None, None, None)


def test_openai_chat_legacy_function_call() -> None:
    record = {
        "messages": [
            {"role": "user", "content": "Convert 20 EUR to SEK."},
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "convert", "arguments": '{"amount": 20}'},
            },
            {"role": "function", "name": "convert", "content": "231.40"},
            {"role": "assistant", "content": "20 EUR is about 231 SEK."},
        ],
        "functions": [{"name": "convert", "parameters": {"type": "object"}}],
    }
    row = one(record)
    assert row["messages"] == [
        msg("user", "Convert 20 EUR to SEK."),
        msg("assistant", tool_calls=[tool_call("convert", '{"amount": 20}')]),
        msg("tool", "231.40", name="convert"),
        msg("assistant", "20 EUR is about 231 SEK."),
    ]
    assert row["tools"] == ["convert"]


def test_unknown_role_is_kept_as_given() -> None:
    row = one({"messages": [{"role": "user", "content": "hi"}, {"role": "bot", "content": "yo"}]})
    assert [m["role"] for m in row["messages"]] == ["user", "bot"]
    assert row["response"] == ""


# --- the other formats ---------------------------------------------------------------------


def test_openai_completion() -> None:
    row = one({"prompt": "Review: great tent, leaked once\nSentiment:", "completion": " mixed"})
    assert row["format"] == "openai-completion"
    assert row["messages"] == [
        msg("user", "Review: great tent, leaked once\nSentiment:"),
        msg("assistant", " mixed"),
    ]
    assert row["prompt"] == "user: Review: great tent, leaked once\nSentiment:"
    assert row["response"] == " mixed"


def test_alpaca_with_system_and_history() -> None:
    record = {
        "system": "You are a concise French tutor.",
        "history": [["How do I say 'cat'?", "Le chat."]],
        "instruction": "Translate to French.",
        "input": "The black dog sleeps.",
        "output": "Le chien noir dort.",
    }
    row = one(record)
    assert row["format"] == "alpaca"
    assert row["messages"] == [
        msg("system", "You are a concise French tutor."),
        msg("user", "How do I say 'cat'?"),
        msg("assistant", "Le chat."),
        msg("user", "Translate to French.\n\nThe black dog sleeps."),
        msg("assistant", "Le chien noir dort."),
    ]
    assert row["system"] == "You are a concise French tutor."
    assert row["response"] == "Le chien noir dort."


def test_alpaca_without_input() -> None:
    row = one(
        {"instruction": "Name three primary colours.", "input": "", "output": "Red, yellow, blue."}
    )
    assert row["messages"] == [
        msg("user", "Name three primary colours."),
        msg("assistant", "Red, yellow, blue."),
    ]
    assert row["system"] is None


def test_sharegpt_with_function_call_and_tools() -> None:
    tools = [{"name": "stock_level", "description": "Units in stock", "parameters": {}}]
    record = {
        "system": "You help shop staff.",
        "tools": json.dumps(tools),
        "conversations": [
            {"from": "human", "value": "Do we still have the blue kettle?"},
            {
                "from": "function_call",
                "value": json.dumps({"name": "stock_level", "arguments": {"sku": "KT-220"}}),
            },
            {"from": "observation", "value": '{"units": 4}'},
            {"from": "gpt", "value": "Yes, four are left."},
            {"from": "bot", "value": "Anything else?"},
        ],
    }
    row = one(record)
    assert row["format"] == "sharegpt"
    assert row["messages"] == [
        msg("system", "You help shop staff."),
        msg("user", "Do we still have the blue kettle?"),
        msg("assistant", tool_calls=[tool_call("stock_level", '{"sku":"KT-220"}')]),
        msg("tool", '{"units": 4}'),
        msg("assistant", "Yes, four are left."),
        msg("bot", "Anything else?"),
    ]
    assert row["tools"] == ["stock_level"]
    assert row["system"] == "You help shop staff."
    assert row["response"] == "Yes, four are left."


def test_sharegpt_under_messages_key() -> None:
    row = one({"messages": [{"from": "human", "value": "2+2?"}, {"from": "gpt", "value": "4"}]})
    assert row["format"] == "sharegpt"
    assert row["messages"] == [msg("user", "2+2?"), msg("assistant", "4")]


def test_preference_string_pair() -> None:
    record = {
        "prompt": "Give a one-line tip for sleeping better.",
        "chosen": "Keep the same wake-up time every day, weekends included.",
        "rejected": "Sleep is important.",
    }
    row = one(record)
    assert row["format"] == "preference"
    assert row["messages"] == [
        msg("user", "Give a one-line tip for sleeping better."),
        msg("assistant", "Keep the same wake-up time every day, weekends included."),
    ]
    assert row["prompt"] == "user: Give a one-line tip for sleeping better."
    assert row["response"] == row["chosen"]
    assert row["chosen"] == "Keep the same wake-up time every day, weekends included."
    assert row["rejected"] == "Sleep is important."


def test_preference_trl_conversational() -> None:
    record = {
        "prompt": [
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "Colour of a ripe banana?"},
        ],
        "chosen": [{"role": "assistant", "content": "Yellow."}],
        "rejected": [{"role": "assistant", "content": "Blue."}],
    }
    row = one(record)
    assert row["messages"] == [
        msg("system", "Answer in one word."),
        msg("user", "Colour of a ripe banana?"),
        msg("assistant", "Yellow."),
    ]
    assert row["system"] == "Answer in one word."
    assert row["prompt"] == "system: Answer in one word.\nuser: Colour of a ripe banana?"
    assert (row["chosen"], row["rejected"]) == ("Yellow.", "Blue.")


def test_preference_trl_implicit_prompt() -> None:
    question = {"role": "user", "content": "Is a tomato a fruit?"}
    record = {
        "chosen": [question, {"role": "assistant", "content": "Botanically, yes."}],
        "rejected": [question, {"role": "assistant", "content": "No, a vegetable."}],
    }
    row = one(record)
    assert row["messages"] == [
        msg("user", "Is a tomato a fruit?"),
        msg("assistant", "Botanically, yes."),
    ]
    assert row["prompt"] == "user: Is a tomato a fruit?"
    assert (row["chosen"], row["rejected"]) == ("Botanically, yes.", "No, a vegetable.")


def test_preference_llama_factory_sharegpt() -> None:
    record = {
        "conversations": [{"from": "human", "value": "Name a prime above 10."}],
        "chosen": {"from": "gpt", "value": "11"},
        "rejected": {"from": "gpt", "value": "12"},
    }
    row = one(record)
    assert row["format"] == "preference"
    assert row["messages"] == [msg("user", "Name a prime above 10."), msg("assistant", "11")]
    assert (row["prompt"], row["response"]) == ("user: Name a prime above 10.", "11")
    assert (row["chosen"], row["rejected"]) == ("11", "12")


def test_openai_preference() -> None:
    record = {
        "input": {
            "messages": [{"role": "user", "content": "Rewrite politely: send the file now."}],
            "tools": [],
        },
        "preferred_output": [
            {"role": "assistant", "content": "Could you send the file when you have a moment?"}
        ],
        "non_preferred_output": [{"role": "assistant", "content": "Send the file now!"}],
    }
    row = one(record)
    assert row["format"] == "openai-preference"
    assert row["messages"] == [
        msg("user", "Rewrite politely: send the file now."),
        msg("assistant", "Could you send the file when you have a moment?"),
    ]
    assert row["tools"] == []
    assert row["prompt"] == "user: Rewrite politely: send the file now."
    assert row["chosen"] == row["response"] == "Could you send the file when you have a moment?"
    assert row["rejected"] == "Send the file now!"


def test_kto_trl() -> None:
    row = one({"prompt": "Capital of Peru?", "completion": "Lima.", "label": True})
    assert row["format"] == "kto"
    assert row["messages"] == [msg("user", "Capital of Peru?"), msg("assistant", "Lima.")]
    assert (row["prompt"], row["response"], row["label"]) == (
        "user: Capital of Peru?",
        "Lima.",
        True,
    )
    assert row["chosen"] is None


def test_kto_llama_factory() -> None:
    record = {
        "messages": [
            {"role": "user", "content": "Summarise: the bus is late again."},
            {"role": "assistant", "content": "Buses bad."},
        ],
        "kto_tag": False,
    }
    row = one(record)
    assert row["format"] == "kto"
    assert row["label"] is False
    assert row["response"] == "Buses bad."
    assert one({**record, "label": record.pop("kto_tag")})["label"] is False


def test_gemini_with_function_calling() -> None:
    record = {
        "systemInstruction": {"role": "system", "parts": [{"text": "You book tables."}]},
        "tools": [{"functionDeclarations": [{"name": "book_table", "parameters": {}}]}],
        "contents": [
            {"role": "user", "parts": [{"text": "A table for 4 at 19:30, please."}]},
            {
                "role": "model",
                "parts": [{"functionCall": {"name": "book_table", "args": {"people": 4}}}],
            },
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "book_table", "response": {"ok": True}}}],
            },
            {"role": "model", "parts": [{"text": "Booked: "}, {"text": "4 people at 19:30."}]},
        ],
    }
    row = one(record)
    assert row["format"] == "gemini"
    assert row["messages"] == [
        msg("system", "You book tables."),
        msg("user", "A table for 4 at 19:30, please."),
        msg("assistant", tool_calls=[tool_call("book_table", '{"people":4}')]),
        msg("tool", '{"ok":true}', name="book_table"),
        msg("assistant", "Booked: \n4 people at 19:30."),
    ]
    assert row["system"] == "You book tables."
    assert row["tools"] == ["book_table"]
    assert row["response"] == "Booked: \n4 people at 19:30."


def test_gemini_snake_case_system_instruction() -> None:
    record = {
        "system_instruction": {"parts": [{"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}]},
            {"role": "model", "parts": [{"text": "Hello."}]},
        ],
    }
    assert one(record)["messages"] == [
        msg("system", "Be brief."),
        msg("user", "Hi"),
        msg("assistant", "Hello."),
    ]


def test_bedrock_converse_with_tool_use() -> None:
    record = {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": "You are a parcel tracking assistant."}],
        "messages": [
            {"role": "user", "content": [{"text": "Where is parcel 88-410?"}]},
            {
                "role": "assistant",
                "content": [
                    {"text": "Checking."},
                    {
                        "toolUse": {
                            "toolUseId": "tu_1",
                            "name": "track",
                            "input": {"id": "88-410"},
                        }
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {"toolResult": {"toolUseId": "tu_1", "content": [{"json": {"at": "Malmö"}}]}}
                ],
            },
            {"role": "assistant", "content": [{"text": "It is in Malmö."}]},
        ],
    }
    row = one(record)
    assert row["format"] == "bedrock-converse"
    assert row["messages"] == [
        msg("system", "You are a parcel tracking assistant."),
        msg("user", "Where is parcel 88-410?"),
        msg("assistant", "Checking.", tool_calls=[tool_call("track", '{"id":"88-410"}', "tu_1")]),
        msg("tool", '{"at":"Malmö"}', tool_call_id="tu_1"),
        msg("assistant", "It is in Malmö."),
    ]
    assert row["system"] == "You are a parcel tracking assistant."
    assert row["response"] == "It is in Malmö."


def test_bedrock_without_schema_version() -> None:
    record = {
        "messages": [
            {"role": "user", "content": [{"text": "Ping"}]},
            {"role": "assistant", "content": [{"text": "Pong"}]},
        ]
    }
    row = one(record)
    assert row["format"] == "bedrock-converse"
    assert row["messages"] == [msg("user", "Ping"), msg("assistant", "Pong")]


def test_plain_text() -> None:
    row = one({"text": "Shift report: conveyor 3 jammed twice; cleared by 14:10."})
    assert row["format"] == "text"
    assert row["messages"] == []
    assert (
        row["text"] == row["response"] == "Shift report: conveyor 3 jammed twice; cleared by 14:10."
    )


@pytest.mark.parametrize(
    ("question", "answer"),
    [("question", "answer"), ("query", "response"), ("input", "output"), ("prompt", "response")],
)
def test_question_answer_pairs(question: str, answer: str) -> None:
    row = one({question: "Boiling point of water at sea level?", answer: "100 °C."})
    assert row["format"] == "qa"
    assert row["messages"] == [
        msg("user", "Boiling point of water at sea level?"),
        msg("assistant", "100 °C."),
    ]


def test_custom_keys_take_precedence() -> None:
    record = {"ticket": "Printer offline", "reply": "Restart the spooler.", "text": "ignored"}
    row = one(record, KeyMapping("ticket", "reply"))
    assert row["format"] == "custom-keys"
    assert row["messages"] == [
        msg("user", "Printer offline"),
        msg("assistant", "Restart the spooler."),
    ]


# --- LLaMA-Factory v1 ----------------------------------------------------------------------


def v1(role: str, *parts: tuple[str, str], weight: float) -> dict[str, Any]:
    """A LLaMA-Factory v1 message of `{type, value}` parts."""
    content = [{"type": kind, "value": value} for kind, value in parts]
    return {"role": role, "content": content, "loss_weight": weight}


def test_llama_factory_v1_sft_reads_values_calls_and_tools() -> None:
    tools = [{"name": "get_forecast", "parameters": {"type": "object"}}]
    record = {
        "messages": [
            v1("system", ("text", "You plan hikes."), ("tools", json.dumps(tools)), weight=0.0),
            v1("user", ("text", "Hike near Tromsø?"), ("image_url", "map.png"), weight=0.0),
            v1(
                "assistant",
                ("reasoning", "Check the weather first."),
                ("tool_calls", json.dumps({"name": "get_forecast", "arguments": {"city": "T"}})),
                weight=1.0,
            ),
            v1("tool", ("text", "snow, wind 60 km/h"), weight=0.0),
            v1("assistant", ("text", "Better not: snow and strong wind."), weight=1.0),
        ]
    }
    row = one(record)
    assert row["format"] == "openai-chat"
    assert row["messages"] == [
        msg("system", "You plan hikes.", weight=0.0),
        msg("user", "Hike near Tromsø?\n[image_url]", weight=0.0),
        msg(
            "assistant",
            "Check the weather first.",
            weight=1.0,
            tool_calls=[tool_call("get_forecast", '{"city":"T"}')],
        ),
        msg("tool", "snow, wind 60 km/h", weight=0.0),
        msg("assistant", "Better not: snow and strong wind.", weight=1.0),
    ]
    assert row["tools"] == ["get_forecast"]
    assert row["system"] == "You plan hikes."
    assert row["prompt"].startswith("system: You plan hikes.\nuser: Hike near Tromsø?")
    assert row["response"] == "Better not: snow and strong wind."


def test_llama_factory_v1_text_part_is_not_a_placeholder() -> None:
    record = {"messages": [v1("user", ("text", "Hello there"), weight=0.0)]}
    assert one(record)["prompt"] == "user: Hello there"


def test_llama_factory_v1_call_lists_and_weight_precedence() -> None:
    calls = [{"name": "a", "arguments": "{}"}, {"name": "b", "arguments": {"x": 1}}]
    message = v1("assistant", ("tool_call", json.dumps(calls)), weight=0.0)
    row = one({"messages": [v1("user", ("text", "go"), weight=0.0), {**message, "weight": 1}]})
    # OpenAI's own `weight` wins over `loss_weight` when a message carries both.
    assert row["messages"][1] == msg(
        "assistant", weight=1.0, tool_calls=[tool_call("a", "{}"), tool_call("b", '{"x":1}')]
    )


def test_llama_factory_v1_bad_values_are_reported() -> None:
    record = {
        "messages": [
            v1("system", ("tools", "[{broken"), weight=0.0),
            v1("user", ("text", "go"), weight=0.0),
            v1("assistant", ("tool_calls", "[1]"), weight=1.0),
        ]
    }
    assert findings_of(record) == [
        ("FT104", "messages[0].content[0].value"),
        ("FT104", "messages[2].content[0].value"),
    ]
    missing = {"messages": [{"role": "user", "content": [{"type": "text"}], "loss_weight": "0"}]}
    assert sorted(findings_of(missing)) == [
        ("FT103", "messages[0].content[0].value"),
        ("FT104", "messages[0].loss_weight"),
    ]


def dpo_pair(question: str, good: str, bad: str) -> dict[str, Any]:
    system = v1("system", ("text", "Answer briefly."), weight=0.0)
    user = v1("user", ("text", question), weight=0.0)
    return {
        "chosen_messages": [system, user, v1("assistant", ("text", good), weight=1.0)],
        "rejected_messages": [system, user, v1("assistant", ("text", bad), weight=1.0)],
    }


def test_llama_factory_v1_dpo_shared_turns_are_the_prompt() -> None:
    row = one(dpo_pair("Is a tomato a fruit?", "Botanically, yes.", "No."))
    assert row["format"] == "llama-factory-dpo"
    assert row["messages"] == [
        msg("system", "Answer briefly.", weight=0.0),
        msg("user", "Is a tomato a fruit?", weight=0.0),
        msg("assistant", "Botanically, yes.", weight=1.0),
    ]
    assert row["prompt"] == "system: Answer briefly.\nuser: Is a tomato a fruit?"
    assert row["system"] == "Answer briefly."
    assert (row["response"], row["chosen"], row["rejected"]) == (
        "Botanically, yes.",
        "Botanically, yes.",
        "No.",
    )


def test_llama_factory_v1_dpo_declares_tools_once() -> None:
    tools = json.dumps([{"name": "f"}])
    record = dpo_pair("q", "a", "b")
    for side in ("chosen_messages", "rejected_messages"):
        record[side][0]["content"].append({"type": "tools", "value": tools})
    assert one(record)["tools"] == ["f"]


def test_llama_factory_v1_samples_are_detected() -> None:
    from auditor.dataset import load_dataset

    folder = Path(__file__).parent.parent / "samples" / "formats"
    for name, fmt in (("sft", "openai-chat"), ("dpo", "llama-factory-dpo")):
        dataset = load_dataset([folder / f"llama_factory_v1_{name}.jsonl"])
        assert [f.format for f in dataset.files] == [fmt]
        assert dataset.load_findings == []
        assert not dataset.train["prompt"].str.contains(r"\[text\]").any()


# --- benchmark shapes ------------------------------------------------------------------------


def test_input_target_takes_the_first_target() -> None:
    for target in ("Paris", ["Paris", "paris"]):
        row = one({"input": "Capital of France?", "target": target})
        assert row["format"] == "input-target"
        assert row["messages"] == [msg("user", "Capital of France?"), msg("assistant", "Paris")]
        assert row["response"] == "Paris"
    assert findings_of({"input": "i", "target": []}) == [("FT104", "target")]


def test_problem_solution() -> None:
    row = one({"problem": "What is 2+3?", "solution": "2+3 = \\boxed{5}", "level": "Level 1"})
    assert row["format"] == "problem-solution"
    assert row["messages"] == [msg("user", "What is 2+3?"), msg("assistant", "2+3 = \\boxed{5}")]


@pytest.mark.parametrize(
    ("record", "fmt", "messages"),
    [
        (
            {"question_id": 81, "turns": ["Plan a trip to Hawaii.", "Now as a limerick."]},
            "mt-bench-turns",
            [msg("user", "Plan a trip to Hawaii."), msg("user", "Now as a limerick.")],
        ),
        (
            {"question": "Who wrote Hamlet?", "id": 4},
            "prompt-only",
            [msg("user", "Who wrote Hamlet?")],
        ),
        (
            {"prompt": "Translate 'cat' to German."},
            "prompt-only",
            [msg("user", "Translate 'cat' to German.")],
        ),
        (
            {
                "prompt": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Hi"},
                ]
            },
            "prompt-only",
            [msg("system", "Be brief."), msg("user", "Hi")],
        ),
    ],
)
def test_eval_only_shapes_in_an_eval_file(
    record: dict[str, Any], fmt: str, messages: list[dict[str, Any]]
) -> None:
    row = one(record, eval_shapes=True)
    assert row["format"] == fmt and fmt in PROMPT_ONLY_FORMATS
    assert row["messages"] == messages
    assert row["response"] == ""
    assert (
        row["prompt"] == row["text"] == "\n".join(f"{m['role']}: {m['content']}" for m in messages)
    )
    # In a training file the same record has nothing to train on: FT101, no row.
    chunk = normalize_chunk([(5, record)], "train.jsonl")
    assert chunk.rows.height == 0
    assert [(f.code, f.line) for f in chunk.findings] == [("FT101", 5)]


def test_eval_shapes_change_only_unknown_records() -> None:
    assert (
        detect_format({"prompt": "p", "completion": "c"}, eval_shapes=True) == "openai-completion"
    )
    assert detect_format({"question": "q", "answer": "a"}, eval_shapes=True) == "qa"
    # An answer under a key no format pairs stays unknown rather than being dropped.
    assert detect_format({"question": "q", "response": "r"}, eval_shapes=True) == "unknown"
    assert detect_format({"q": "2+2?"}, eval_shapes=True) == "unknown"
    assert set(NORMALIZERS) >= PROMPT_ONLY_FORMATS


# --- files, precedence and findings --------------------------------------------------------


def test_mixed_file_keeps_each_rows_format() -> None:
    records: list[tuple[int, dict[str, Any]]] = [
        (
            1,
            {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
        ),
        (2, {"instruction": "c", "input": "", "output": "d"}),
        (3, {"text": "e"}),
        (4, {"id": 3}),
        (5, {"contents": [{"role": "user", "parts": [{"text": "f"}]}]}),
    ]
    chunk = normalize_chunk(records, "mixed.jsonl")
    assert chunk.rows["format"].to_list() == ["openai-chat", "alpaca", "text", "gemini"]
    assert chunk.rows["line"].to_list() == [1, 2, 3, 5]
    assert [(f.code, f.line) for f in chunk.findings] == [("FT101", 4)]
    assert dict(chunk.rows.schema) == CANONICAL_SCHEMA


def test_unknown_record_gives_ft101() -> None:
    chunk = normalize_chunk([(3, {"q": "2+2?", "a": "4"})], "f.jsonl")
    assert chunk.rows.height == 0
    [finding] = chunk.findings
    assert (finding.code, finding.line, finding.file) == ("FT101", 3, "f.jsonl")
    assert "a, q" in finding.message


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"prompt": "p", "chosen": "c", "rejected": "r"}, "preference"),
        ({"prompt": "p", "response": "r", "chosen": "c", "rejected": "r"}, "preference"),
        ({"conversations": [], "chosen": {}, "rejected": {}}, "preference"),
        ({"instruction": "i", "input": "", "chosen": "c", "rejected": "r"}, "preference"),
        ({"input": {"messages": []}, "preferred_output": [], "output": "o"}, "openai-preference"),
        ({"prompt": "p", "completion": "c", "label": True}, "kto"),
        ({"messages": [], "kto_tag": True}, "kto"),
        ({"messages": [], "label": False}, "kto"),
        ({"messages": [], "label": "spam"}, "openai-chat"),
        ({"instruction": "i", "input": "x", "output": "o"}, "alpaca"),
        ({"prompt": "p", "completion": "c"}, "openai-completion"),
        ({"prompt": "p", "response": "r"}, "qa"),
        ({"input": "i", "output": "o"}, "qa"),
        ({"question": "q", "answer": "a", "text": "t"}, "qa"),
        ({"messages": [{"role": "user", "content": "x"}], "text": "t"}, "openai-chat"),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]},
            "openai-chat",
        ),
        ({"messages": [{"role": "user", "content": [{"text": "x"}]}]}, "bedrock-converse"),
        ({"messages": [], "system": [{"text": "s"}]}, "bedrock-converse"),
        ({"messages": [], "schemaVersion": "bedrock-conversation-2024"}, "bedrock-converse"),
        ({"messages": [{"from": "human", "value": "x"}]}, "sharegpt"),
        ({"conversations": []}, "sharegpt"),
        ({"contents": [], "systemInstruction": {}}, "gemini"),
        ({"text": "t", "label": True}, "text"),
        ({"prompt": "p"}, "unknown"),
        ({"turns": ["t"]}, "unknown"),
        ({"chosen_messages": [], "rejected_messages": []}, "llama-factory-dpo"),
        ({"chosen": "c", "chosen_messages": []}, "preference"),
        ({"input": "i", "target": "t"}, "input-target"),
        ({"input": "i", "target": "t", "output": "o"}, "qa"),
        ({"input": "i", "target": "t", "text": "x"}, "text"),
        ({"instruction": "i", "input": "i", "target": "t"}, "alpaca"),
        ({"problem": "p", "solution": "s"}, "problem-solution"),
        ({"problem": "p", "solution": "s", "question": "q", "answer": "a"}, "qa"),
    ],
)
def test_detection_precedence(record: dict[str, Any], expected: str) -> None:
    assert detect_format(record) == expected


def test_missing_key_gives_ft103_with_path() -> None:
    chat = {"messages": [{"role": "user", "content": "Hi"}, {"content": "Hello!"}]}
    assert findings_of(chat) == [("FT103", "messages[1].role")]
    assert findings_of({"instruction": "Sum 2 and 3.", "input": ""}) == [("FT103", "output")]
    assert findings_of({"prompt": "Hi", "chosen": "Hello"}) == [("FT103", "rejected")]
    bedrock = {"system": [{"text": "s"}], "messages": [{"role": "user"}]}
    assert findings_of(bedrock) == [("FT103", "messages[0].content")]


def test_missing_content_names_the_alternatives() -> None:
    chunk = normalize_chunk([(1, {"messages": [{"role": "assistant"}]})], "f.jsonl")
    [finding] = chunk.findings
    assert (finding.code, finding.path) == ("FT103", "messages[0].content")
    assert "tool_calls" in finding.message and "function_call" in finding.message


def test_wrong_type_gives_ft104() -> None:
    chat = {"messages": [{"role": "user", "content": "6*7?"}, {"role": "assistant", "content": 42}]}
    chunk = normalize_chunk([(2, chat)], "f.jsonl")
    [finding] = chunk.findings
    assert (finding.code, finding.path, finding.line) == ("FT104", "messages[1].content", 2)
    assert "got number" in finding.message
    # The row is still kept, its content as text: nothing is dropped silently.
    assert chunk.rows["response"].to_list() == ["42"]
    assert findings_of({"prompt": "p", "completion": "c", "label": "yes"}) == [("FT104", "label")]
    assert findings_of({"text": ["a", "b"]}) == [("FT104", "text")]


def test_tool_call_arguments_object_is_ft104_but_kept() -> None:
    record = {
        "messages": [
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "tool_calls": [{"id": "c1", "function": {"name": "w", "arguments": {"q": 1}}}],
            },
        ]
    }
    chunk = normalize_chunk([(1, record)], "f.jsonl")
    assert [(f.code, f.path) for f in chunk.findings] == [
        ("FT104", "messages[1].tool_calls[0].function.arguments")
    ]
    assert chunk.rows["messages"][0][1]["tool_calls"][0]["arguments"] == '{"q":1}'


def test_object_arguments_are_valid_where_the_format_says_so() -> None:
    """Gemini args, Bedrock input and ShareGPT's JSON value are objects by design."""
    value = json.dumps({"name": "f", "arguments": {"x": 1}})
    record = {
        "conversations": [
            {"from": "human", "value": "go"},
            {"from": "function_call", "value": value},
        ]
    }
    row = one(record)
    assert row["messages"][1]["tool_calls"] == [tool_call("f", '{"x":1}')]


def test_sharegpt_bad_function_call_and_tools() -> None:
    record = {
        "conversations": [
            {"from": "human", "value": "go"},
            {"from": "function_call", "value": "[1, 2]"},
            {"from": "function_call", "value": "not json"},
        ],
        "tools": "[{broken",
    }
    chunk = normalize_chunk([(1, record)], "f.jsonl")
    assert [(f.code, f.path) for f in chunk.findings] == [
        ("FT104", "conversations[1].value"),
        ("FT104", "tools"),
    ]
    messages = chunk.rows["messages"].to_list()[0]
    assert messages[1]["tool_calls"] == [tool_call("", "1"), tool_call("", "2")]
    # Text that is not JSON stays the raw arguments, for FT111 to report.
    assert messages[2]["tool_calls"] == [tool_call("", "not json")]


def test_never_raises_on_odd_values() -> None:
    odd: list[dict[str, Any]] = [
        {"messages": "hi"},
        {"messages": [None, 3, {"role": 5, "content": {"a": 1}}]},
        {"contents": [{"parts": [None, {}, {"functionCall": 3}]}]},
        {"schemaVersion": "x", "messages": [{"role": "user", "content": "plain"}]},
        {"chosen": 1, "rejected": None},
        {"input": [], "preferred_output": {}},
        {"kto_tag": "yes", "conversations": [{"from": 1}]},
        {"instruction": None, "history": [[1], "x"], "output": 2**70},
    ]
    chunk = normalize_chunk(list(enumerate(odd, 1)), "f.jsonl")
    assert chunk.rows.height == len(odd)
    assert {f.line for f in chunk.findings} == set(range(1, len(odd) + 1))


def test_lone_surrogate_is_replaced_and_reported() -> None:
    """Only a `.json` array file (stdlib json) can carry one; polars cannot hold it."""
    record = json.loads('{"text": "caf\\udce9 menu"}')
    chunk = normalize_chunk([(4, record), (5, {"text": "fine"})], "f.json")
    assert chunk.rows["text"].to_list() == ["caf\ufffd menu", "fine"]
    assert [(f.code, f.line) for f in chunk.findings] == [("FT003", 4)]


def test_huge_integer_arguments_are_serialized() -> None:
    record = {
        "contents": [
            {"role": "user", "parts": [{"text": "Factor it."}]},
            {
                "role": "model",
                "parts": [{"functionCall": {"name": "factor", "args": {"n": 2**70}}}],
            },
        ]
    }
    row = one(record)
    assert row["messages"][1]["tool_calls"] == [
        tool_call("factor", '{"n": 1180591620717411303424}')
    ]


# --- the fast path and the schemas agree --------------------------------------------------

VALID: list[dict[str, Any]] = [
    {
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": [{"type": "text", "text": "u"}, {"type": "image_url"}]},
            {
                "role": "assistant",
                "content": None,
                "weight": 1,
                "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{}"}}],
            },
            {"role": "tool", "tool_call_id": "c", "content": "r", "name": "f"},
            {"role": "assistant", "function_call": {"name": "f", "arguments": "{}"}},
        ],
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "functions": [{"name": "f"}],
    },
    {"prompt": "p", "completion": "c"},
    {"instruction": "i", "input": "x", "output": "o", "system": "s", "history": [["a", "b"]]},
    {
        "conversations": [
            {"from": "human", "value": "h"},
            {"from": "function_call", "value": '{"name": "f", "arguments": {}}'},
            {"from": "observation", "value": "o"},
            {"role": "assistant", "content": "a"},
        ],
        "system": "s",
        "tools": '[{"name": "f"}]',
    },
    {
        "prompt": [{"role": "user", "content": "p"}],
        "chosen": [{"role": "assistant", "content": "c"}],
        "rejected": "r",
    },
    {
        "conversations": [{"from": "human", "value": "h"}],
        "chosen": {"from": "gpt", "value": "c"},
        "rejected": {"role": "assistant", "content": "r"},
    },
    {"instruction": "i", "input": "", "chosen": "c", "rejected": "r", "tools": [{"name": "f"}]},
    {
        "input": {
            "messages": [{"role": "user", "content": "u"}],
            "tools": [{"type": "function", "function": {"name": "f"}}],
        },
        "preferred_output": [{"role": "assistant", "content": "a"}],
        "non_preferred_output": [{"role": "assistant", "content": "b"}],
    },
    {"prompt": "p", "completion": [{"role": "assistant", "content": "c"}], "label": True},
    {
        "messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}],
        "kto_tag": True,
    },
    {
        "systemInstruction": {"parts": [{"text": "s"}]},
        "contents": [
            {"role": "user", "parts": [{"text": "u"}, {"inlineData": {"mimeType": "image/png"}}]},
            {
                "role": "model",
                "parts": [{"functionCall": {"name": "f", "args": {"a": 1}, "id": "i"}}],
            },
            {"role": "function", "parts": [{"functionResponse": {"name": "f", "response": {}}}]},
        ],
        "tools": [{"functionDeclarations": [{"name": "f"}]}, {"googleSearch": {}}],
    },
    {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": "s"}, {"cachePoint": {"type": "default"}}],
        "messages": [
            {"role": "user", "content": [{"text": "u"}, {"image": {"format": "png"}}]},
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "t", "name": "f", "input": {}}}],
            },
            {
                "role": "user",
                "content": [
                    {"toolResult": {"toolUseId": "t", "content": [{"text": "r"}, {"json": {}}]}}
                ],
            },
        ],
        "toolConfig": {"tools": [{"toolSpec": {"name": "f"}}]},
    },
    {"question": "q", "answer": [{"type": "text", "text": "a"}]},
    {"text": "t"},
    {
        "messages": [
            {
                "role": "system",
                "content": [{"type": "text", "value": "s"}, {"type": "tools", "value": "[]"}],
                "loss_weight": 0.0,
            },
            {"role": "user", "content": [{"type": "image_url", "value": "u"}], "loss_weight": 0},
            {
                "role": "assistant",
                "content": [
                    {"type": "reasoning", "value": "r"},
                    {"type": "tool_calls", "value": '{"name": "f", "arguments": {}}'},
                ],
                "loss_weight": 1.0,
            },
        ]
    },
    {
        "chosen_messages": [
            {"role": "user", "content": [{"type": "text", "value": "u"}], "loss_weight": 0.0},
            {"role": "assistant", "content": [{"type": "text", "value": "c"}], "loss_weight": 1},
        ],
        "rejected_messages": [
            {"role": "user", "content": [{"type": "text", "value": "u"}], "loss_weight": 0.0},
            {"role": "assistant", "content": "r", "weight": 1},
        ],
    },
    {"input": "i", "target": ["t", "u"]},
    {"problem": "p", "solution": "s"},
]

#: Valid only in an eval file (detected with eval_shapes).
EVAL_VALID: list[dict[str, Any]] = [
    {"turns": ["a", "b"], "question_id": 1},
    {"question": "q"},
    {"prompt": "p"},
    {"prompt": [{"role": "user", "content": "u"}, {"from": "gpt", "value": "a"}]},
]

ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    1.5,
    "",
    "x",
    "{}",
    [],
    ["x"],
    [{}],
    {},
    {"text": 1},
    {"name": 2},
]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location inside a JSON value."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def mutated(record: dict[str, Any], path: tuple[Any, ...], new: Any) -> dict[str, Any]:
    """A copy with the value at `path` replaced by `new`, or deleted when `new` is DELETE."""
    copy = json.loads(json.dumps(record))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if new is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return copy


DELETE = object()


def mutations() -> list[dict[str, Any]]:
    out = []
    for record in VALID + EVAL_VALID:
        for path in paths(record):
            out += [mutated(record, path, new) for new in [*ODD_VALUES, DELETE]]
    return out


def test_valid_rows_are_clean() -> None:
    for record in VALID + EVAL_VALID:
        fmt = detect_format(record, eval_shapes=True)
        assert fmt != "unknown", record
        row, _ = normalize_record(record, fmt)
        assert not row.suspect and not row.issues, (fmt, record)


@pytest.mark.parametrize("eval_shapes", [False, True])
def test_suspect_exactly_when_the_schema_objects(eval_shapes: bool) -> None:
    """The fast path skips the schema for rows the normalizer finds clean, so both must
    judge alike: every schema error marks the row suspect, and every suspect row is
    explained by at least one finding."""
    disagreements = []
    for record in mutations():
        fmt = detect_format(record, eval_shapes=eval_shapes)
        if fmt == "unknown":
            continue
        row, pair = normalize_record(record, fmt)
        explained = schema_findings(fmt, record, "f", 1, keys=pair)
        if row.suspect != bool(explained):
            disagreements.append((fmt, row.suspect, [f.message for f in explained], record))
    assert disagreements == []


def test_row_helpers() -> None:
    row = Row()
    assert row.optional(None) is None and not row.suspect
    assert row.string("a") == "a" and not row.suspect
    assert row.string(None) == "" and row.suspect
