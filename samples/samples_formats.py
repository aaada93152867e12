"""Hand-written rows in each supported format (written for ftaudit; used by generate.py)."""

from __future__ import annotations

import json
from typing import Any

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_forecast",
        "description": "Weather forecast for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
}


def _tool_chat(city: str, days: int, result: str, answer: str) -> dict[str, Any]:
    arguments = json.dumps({"city": city, "days": days})
    return {
        "messages": [
            {"role": "system", "content": "You plan hikes. Check the forecast before advising."},
            {"role": "user", "content": f"Is the weather good for hiking near {city} soon?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": f"call_{city.lower()}",
                        "type": "function",
                        "function": {"name": "get_forecast", "arguments": arguments},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": f"call_{city.lower()}", "content": result},
            {"role": "assistant", "content": answer},
        ],
        "tools": [WEATHER_TOOL],
    }


OPENAI_CHAT_TOOLS: list[dict[str, Any]] = [
    _tool_chat(
        "Bergen", 3, "rain 12mm, rain 8mm, sun", "Wait for day three: the first two are wet."
    ),
    _tool_chat("Innsbruck", 2, "sun, sun", "Yes, two dry days. Start early to beat the heat."),
    _tool_chat(
        "Keswick", 2, "fog, showers", "Not ideal: low cloud hides the views. Pick a valley walk."
    ),
    {
        "messages": [
            {"role": "system", "content": "You plan hikes. Check the forecast before advising."},
            {"role": "user", "content": "What should I pack for a day hike?"},
            {
                "role": "assistant",
                "content": "Water, snacks, a rain layer, map, headlamp, first aid.",
            },
            {"role": "user", "content": "And in winter?"},
            {
                "role": "assistant",
                "content": "Add insulation, gloves, microspikes and a flask.",
                "weight": 1,
            },
        ]
    },
]

OPENAI_COMPLETION: list[dict[str, Any]] = [
    {"prompt": "Product: merino socks\nTagline:", "completion": " Warm feet, no itch, any trail."},
    {
        "prompt": "Product: folding camp chair\nTagline:",
        "completion": " Sit down anywhere the path ends.",
    },
    {
        "prompt": "Product: trekking poles\nTagline:",
        "completion": " Two more legs for the steep bits.",
    },
    {"prompt": "Product: headlamp\nTagline:", "completion": " Your own sunrise, every evening."},
]

ALPACA: list[dict[str, Any]] = [
    {
        "instruction": "Convert the temperature to Fahrenheit.",
        "input": "21 °C",
        "output": "69.8 °F",
    },
    {"instruction": "Name the capital city.", "input": "Estonia", "output": "Tallinn"},
    {
        "instruction": "Rewrite the sentence in plain English.",
        "input": "The aforementioned item shall be returned forthwith.",
        "output": "Please return the item now.",
        "system": "You simplify legal wording.",
    },
    {
        "instruction": "And the next one?",
        "input": "",
        "output": "Send me the next sentence and I will simplify it.",
        "history": [["Simplify: 'Pursuant to clause 4'", "Under clause 4"]],
    },
]

SHAREGPT: list[dict[str, Any]] = [
    {
        "conversations": [
            {"from": "system", "value": "You are a patient cooking tutor."},
            {"from": "human", "value": "Why did my bread come out dense?"},
            {
                "from": "gpt",
                "value": "Usually under-proofing: give the dough more time somewhere warm.",
            },
            {"from": "human", "value": "How do I know it's proofed?"},
            {
                "from": "gpt",
                "value": "Press it gently: if the dent springs back slowly, it's ready.",
            },
        ]
    },
    {
        "conversations": [
            {"from": "human", "value": "What's the weather in Porto tomorrow?"},
            {
                "from": "function_call",
                "value": json.dumps(
                    {"name": "get_forecast", "arguments": {"city": "Porto", "days": 1}}
                ),
            },
            {"from": "observation", "value": "sunny, 24 °C"},
            {"from": "gpt", "value": "Sunny and 24 °C in Porto tomorrow."},
        ],
        "tools": json.dumps([WEATHER_TOOL["function"]]),
    },
    {
        "conversations": [
            {"from": "human", "value": "Give me a synonym for 'tired'."},
            {"from": "gpt", "value": "Weary."},
        ]
    },
]

PREFERENCE: list[dict[str, Any]] = [
    {
        "prompt": "Explain what a mortgage is in one sentence.",
        "chosen": "A mortgage is a loan to buy property, paid back over years, with the property as security.",
        "rejected": "Mortgages are complicated financial instruments you should ask a bank about.",
    },
    {
        "prompt": [{"role": "user", "content": "Suggest a name for a grey cat."}],
        "chosen": [{"role": "assistant", "content": "Pebble, Smokey or Ash."}],
        "rejected": [{"role": "assistant", "content": "Cats do not need names."}],
    },
    {
        "conversations": [{"from": "human", "value": "Is it safe to swim after eating?"}],
        "chosen": {"from": "gpt", "value": "Yes. The cramp warning is a myth; just avoid alcohol."},
        "rejected": {"from": "gpt", "value": "No, wait exactly 60 minutes or you will drown."},
    },
]

OPENAI_PREFERENCE: list[dict[str, Any]] = [
    {
        "input": {"messages": [{"role": "user", "content": "Write a haiku about rain."}]},
        "preferred_output": [
            {
                "role": "assistant",
                "content": "Grey roofs drum softly\npuddles gather the evening\nthe street holds the sky",
            }
        ],
        "non_preferred_output": [
            {"role": "assistant", "content": "Rain is wet and falls down from the clouds a lot."}
        ],
    },
    {
        "input": {
            "messages": [{"role": "user", "content": "Summarise: the meeting moved to 3pm Friday."}]
        },
        "preferred_output": [{"role": "assistant", "content": "Meeting now Friday, 3pm."}],
        "non_preferred_output": [{"role": "assistant", "content": "There is a meeting."}],
    },
]

KTO: list[dict[str, Any]] = [
    {"prompt": "Translate 'thank you' to Italian.", "completion": "Grazie.", "label": True},
    {"prompt": "Translate 'thank you' to Italian.", "completion": "Gracias.", "label": False},
    {"prompt": "What is 12 × 12?", "completion": "144", "label": True},
    {"prompt": "What is 12 × 12?", "completion": "124", "label": False},
]

GEMINI: list[dict[str, Any]] = [
    {
        "systemInstruction": {"role": "system", "parts": [{"text": "Answer as a museum guide."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Who painted the Night Watch?"}]},
            {
                "role": "model",
                "parts": [{"text": "Rembrandt, in 1642. It hangs in the Rijksmuseum."}],
            },
        ],
    },
    {
        "contents": [
            {"role": "user", "parts": [{"text": "When is the museum open on Monday?"}]},
            {
                "role": "model",
                "parts": [{"functionCall": {"name": "opening_hours", "args": {"day": "Monday"}}}],
            },
            {
                "role": "function",
                "parts": [
                    {"functionResponse": {"name": "opening_hours", "response": {"hours": "9-17"}}}
                ],
            },
            {"role": "model", "parts": [{"text": "On Monday it is open from 9 to 5."}]},
        ]
    },
]

BEDROCK: list[dict[str, Any]] = [
    {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": "You write polite out-of-office replies."}],
        "messages": [
            {"role": "user", "content": [{"text": "I'm away until the 14th, Sam covers."}]},
            {
                "role": "assistant",
                "content": [
                    {
                        "text": "Thanks for your email. I'm away until the 14th; Sam will help meanwhile."
                    }
                ],
            },
        ],
    },
    {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": "You write polite out-of-office replies."}],
        "messages": [
            {"role": "user", "content": [{"text": "Conference all week, back Monday."}]},
            {
                "role": "assistant",
                "content": [
                    {"text": "I'm at a conference this week and back on Monday. I'll reply then."}
                ],
            },
        ],
    },
]

TEXT: list[dict[str, Any]] = [
    {"text": "Q3 field notes: the north trail washed out after the storm; reroute via the ridge."},
    {"text": "Maintenance log: replaced the bridge planks at km 4; next inspection in spring."},
    {"text": "Visitor feedback: signage at the fork is confusing; add a map board."},
]

QA: list[dict[str, Any]] = [
    {
        "question": "How long is the Kungsleden trail?",
        "answer": "About 440 km, from Abisko to Hemavan.",
    },
    {
        "question": "Do I need a permit for Mount Whitney?",
        "answer": "Yes, day hikers and backpackers both need one.",
    },
    {"question": "What does 'cairn' mean?", "answer": "A pile of stones that marks a path."},
]


def _v1(role: str, *parts: tuple[str, str], weight: float | None = None) -> dict[str, Any]:
    """A LLaMA-Factory v1 message: typed `{type, value}` parts; only answers are trained."""
    trained = 1.0 if role == "assistant" else 0.0
    return {
        "role": role,
        "content": [{"type": kind, "value": value} for kind, value in parts],
        "loss_weight": trained if weight is None else weight,
    }


_V1_TOOLS = json.dumps([WEATHER_TOOL["function"]])
_V1_SYSTEM = _v1("system", ("text", "You are a hiking assistant. Keep answers short."))

LLAMA_FACTORY_V1_SFT: list[dict[str, Any]] = [
    {
        "messages": [
            _V1_SYSTEM,
            _v1("user", ("text", "How much water should I carry for a 15 km summer hike?")),
            _v1(
                "assistant",
                ("reasoning", "About half a litre per hour; 15 km is roughly five hours."),
                ("text", "Plan on 2.5 to 3 litres, more if it is hot or steep."),
            ),
        ]
    },
    {
        "messages": [
            _v1(
                "system",
                ("text", "You plan hikes. Check the forecast before advising."),
                ("tools", _V1_TOOLS),
            ),
            _v1("user", ("text", "Can I hike near Tromsø tomorrow?")),
            _v1(
                "assistant",
                (
                    "tool_calls",
                    json.dumps({"name": "get_forecast", "arguments": {"city": "Tromsø"}}),
                ),
            ),
            _v1("tool", ("text", "Forecast: snow showers, wind 60 km/h.")),
            _v1("assistant", ("text", "Better not: strong wind and snow. Try the day after.")),
        ]
    },
    {
        "messages": [
            _V1_SYSTEM,
            _v1("user", ("text", "Is this the trail marker?"), ("image_url", "marker.jpg")),
            _v1("assistant", ("text", "Yes, red and white stripes mark the main route.")),
        ]
    },
]

LLAMA_FACTORY_V1_DPO: list[dict[str, Any]] = [
    {
        "chosen_messages": [
            _V1_SYSTEM,
            _v1("user", ("text", "What should I do if I get lost on a trail?")),
            _v1("assistant", ("text", "Stop, stay calm, retrace to the last marker you saw.")),
        ],
        "rejected_messages": [
            _V1_SYSTEM,
            _v1("user", ("text", "What should I do if I get lost on a trail?")),
            _v1("assistant", ("text", "Keep walking; you will find a road eventually.")),
        ],
    },
    {
        "chosen_messages": [
            _v1("user", ("text", "Are cotton socks fine for hiking?")),
            _v1("assistant", ("text", "No: cotton stays wet and causes blisters. Wear wool.")),
        ],
        "rejected_messages": [
            _v1("user", ("text", "Are cotton socks fine for hiking?")),
            _v1("assistant", ("text", "Any socks are fine.")),
        ],
    },
    {
        "chosen_messages": [
            _V1_SYSTEM,
            _v1("user", ("text", "When should I turn back on a summit day?")),
            _v1("assistant", ("text", "At your set turnaround time, even short of the top.")),
        ],
        "rejected_messages": [
            _V1_SYSTEM,
            _v1("user", ("text", "When should I turn back on a summit day?")),
            _v1("assistant", ("text", "Never; the summit is the point.")),
        ],
    },
]

FORMAT_SAMPLES: dict[str, list[dict[str, Any]]] = {
    "openai_chat_tools": OPENAI_CHAT_TOOLS,
    "openai_completion": OPENAI_COMPLETION,
    "alpaca": ALPACA,
    "sharegpt": SHAREGPT,
    "preference": PREFERENCE,
    "openai_preference": OPENAI_PREFERENCE,
    "kto": KTO,
    "gemini": GEMINI,
    "bedrock_converse": BEDROCK,
    "text": TEXT,
    "qa": QA,
    "llama_factory_v1_sft": LLAMA_FACTORY_V1_SFT,
    "llama_factory_v1_dpo": LLAMA_FACTORY_V1_DPO,
}
