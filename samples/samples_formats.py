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


OPENAI_CHAT_TOOLS = [
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

OPENAI_COMPLETION = [
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

ALPACA = [
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

SHAREGPT = [
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

PREFERENCE = [
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

OPENAI_PREFERENCE = [
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

KTO = [
    {"prompt": "Translate 'thank you' to Italian.", "completion": "Grazie.", "label": True},
    {"prompt": "Translate 'thank you' to Italian.", "completion": "Gracias.", "label": False},
    {"prompt": "What is 12 × 12?", "completion": "144", "label": True},
    {"prompt": "What is 12 × 12?", "completion": "124", "label": False},
]

GEMINI = [
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

BEDROCK = [
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

TEXT = [
    {"text": "Q3 field notes: the north trail washed out after the storm; reroute via the ridge."},
    {"text": "Maintenance log: replaced the bridge planks at km 4; next inspection in spring."},
    {"text": "Visitor feedback: signage at the fork is confusing; add a map board."},
]

QA = [
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
}
