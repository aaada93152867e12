"""JSON Schemas of the input formats, used to explain a suspect row (FT103 / FT104).

The schemas check keys and types only: roles, role order and content rules are judged by
the FT1xx checks over canonical rows, so one problem is reported once.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema

from auditor.findings import Finding, Severity
from auditor.vocabulary import V1_VALUE_TYPES

STRING: dict[str, Any] = {"type": "string"}
OPT_STRING: dict[str, Any] = {"type": ["string", "null"]}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
NON_EMPTY_OBJECT: dict[str, Any] = {"type": "object", "minProperties": 1}


def required_one_of(*keys: str) -> dict[str, Any]:
    """At least one of `keys` (explained as one FT103 naming them all)."""
    return {"anyOf": [{"required": [key]} for key in keys]}


def first_present(*options: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """Check the properties that go with the first of several alternative keys present.

    Normalizers read one alternative (`conversations` before `messages`, `text` before
    `functionCall`, …), so the schema judges that one only, as they do.
    """
    key, properties = options[0]
    chain: dict[str, Any] = {"if": {"required": [key]}, "then": {"properties": properties}}
    if len(options) > 1:
        chain["else"] = first_present(*options[1:])
    return chain


# --- shared pieces ---------------------------------------------------------------------------

NUMBER: dict[str, Any] = {"type": ["number", "null"]}

#: An OpenAI `{type, text}` part, or a LLaMA-Factory v1 `{type, value}` one: a v1 type
#: with no `text` takes its `value` (JSON-encoded, for calls and tools; the normalizer
#: reports what is inside as FT104).
CONTENT_PART = {
    "type": ["string", "object"],
    "properties": {"type": STRING, "text": STRING},
    **required_one_of("text", "type"),
    "if": {"required": ["type"], "properties": {"type": {"enum": sorted(V1_VALUE_TYPES)}}},
    "then": {
        "if": {"required": ["text"]},
        "else": {**required_one_of("value", "text"), "properties": {"value": STRING}},
    },
}
TEXT_OR_PARTS = {"type": ["string", "array", "null"], "items": CONTENT_PART}

#: A declared function: OpenAI `{type, function: {name}}` or a bare `{name, parameters}`.
TOOL_SPEC = {
    "type": "object",
    "if": {"required": ["function"]},
    "then": {
        "properties": {
            "function": {"type": "object", "required": ["name"], "properties": {"name": STRING}}
        }
    },
    "else": {"required": ["name"], "properties": {"name": STRING}},
}
TOOL_SPECS = {"type": ["array", "null"], "items": TOOL_SPEC}
#: ShareGPT / LLaMA-Factory give `tools` as a JSON-encoded string (its inside is checked by
#: the normalizer, which reports it as FT104 at `tools`).
JSON_TOOL_SPECS = {"type": ["string", "array", "null"], "items": TOOL_SPEC}

OPENAI_FUNCTION = {
    "type": "object",
    "required": ["name", "arguments"],
    "properties": {"name": STRING, "arguments": STRING},
}
OPENAI_TOOL_CALL = {
    "type": "object",
    "required": ["function"],
    "properties": {"id": OPT_STRING, "function": OPENAI_FUNCTION},
}
OPENAI_MESSAGE_BODY = {
    "required": ["role"],
    "properties": {
        "role": STRING,
        "content": TEXT_OR_PARTS,
        "name": OPT_STRING,
        "weight": NUMBER,
        "loss_weight": NUMBER,
        "tool_call_id": OPT_STRING,
        "tool_calls": {"type": ["array", "null"], "items": OPENAI_TOOL_CALL},
        "function_call": {**OPENAI_FUNCTION, "type": ["object", "null"]},
    },
    **required_one_of("content", "tool_calls", "function_call"),
}
OPENAI_MESSAGE = {"type": "object", **OPENAI_MESSAGE_BODY}
OPENAI_MESSAGES = {"type": "array", "items": OPENAI_MESSAGE}

SHAREGPT_MESSAGE_BODY = {
    "required": ["from", "value"],
    "properties": {"from": STRING, "value": STRING},
}
#: A message in ShareGPT (`from`/`value`) or OpenAI (`role`/`content`) shape.
ANY_MESSAGE = {
    "type": "object",
    "if": required_one_of("from", "value"),
    "then": SHAREGPT_MESSAGE_BODY,
    "else": OPENAI_MESSAGE_BODY,
}
CONVERSATION = {"type": "array", "items": ANY_MESSAGE}
#: ShareGPT-like records: `conversations`, else `messages`.
CONVERSATION_KEY = first_present(
    ("conversations", {"conversations": CONVERSATION}), ("messages", {"messages": CONVERSATION})
)
#: A prompt: a user string or a conversation.
PROMPT = {"type": ["string", "array"], "items": ANY_MESSAGE}
#: A reply: a string, one message object, or a list of messages.
REPLY = {
    "type": ["string", "object", "array"],
    "items": ANY_MESSAGE,
    "if": {"type": "object"},
    "then": ANY_MESSAGE,
}

ALPACA_PROMPT = {
    "instruction": STRING,
    "input": OPT_STRING,
    "history": {
        "type": ["array", "null"],
        "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": STRING},
    },
}

# --- Gemini ------------------------------------------------------------------------------------

GEMINI_CALL = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": STRING, "id": OPT_STRING},
}
GEMINI_RESULT = {
    "type": "object",
    "required": ["name", "response"],
    "properties": {"name": STRING, "id": OPT_STRING},
}
GEMINI_PART = {
    **NON_EMPTY_OBJECT,
    **first_present(
        ("text", {"text": STRING}),
        ("functionCall", {"functionCall": GEMINI_CALL}),
        ("function_call", {"function_call": GEMINI_CALL}),
        ("functionResponse", {"functionResponse": GEMINI_RESULT}),
        ("function_response", {"function_response": GEMINI_RESULT}),
    ),
}
GEMINI_SYSTEM = {
    "type": ["object", "string", "null"],
    "required": ["parts"],
    "properties": {
        "parts": {
            "type": "array",
            "items": {"type": "object", "required": ["text"], "properties": {"text": STRING}},
        }
    },
}
GEMINI_DECLARATIONS = {"type": "array", "items": TOOL_SPEC}
GEMINI_TOOLS = {
    "type": ["array", "null"],
    "items": {
        "type": "object",
        **first_present(
            ("functionDeclarations", {"functionDeclarations": GEMINI_DECLARATIONS}),
            ("function_declarations", {"function_declarations": GEMINI_DECLARATIONS}),
        ),
    },
}

# --- Bedrock Converse ----------------------------------------------------------------------

BEDROCK_TEXT_BLOCKS = {
    "type": "array",
    "items": {**NON_EMPTY_OBJECT, "properties": {"text": STRING}},
}
BEDROCK_TOOL_USE = {
    "type": "object",
    "required": ["toolUseId", "name", "input"],
    "properties": {"toolUseId": STRING, "name": STRING},
}
BEDROCK_TOOL_RESULT = {
    "type": "object",
    "required": ["toolUseId", "content"],
    "properties": {"toolUseId": STRING, "content": BEDROCK_TEXT_BLOCKS},
}
BEDROCK_BLOCK = {
    **NON_EMPTY_OBJECT,
    **first_present(
        ("text", {"text": STRING}),
        ("toolUse", {"toolUse": BEDROCK_TOOL_USE}),
        ("toolResult", {"toolResult": BEDROCK_TOOL_RESULT}),
    ),
}
BEDROCK_TOOL_CONFIG = {
    "type": ["object", "null"],
    "properties": {
        "tools": {
            "type": "array",
            "items": {"type": "object", "properties": {"toolSpec": TOOL_SPEC}},
        }
    },
}

# --- the formats ---------------------------------------------------------------------------

SCHEMAS: dict[str, dict[str, Any]] = {
    "openai-chat": {
        "type": "object",
        "required": ["messages"],
        "properties": {"messages": OPENAI_MESSAGES, "tools": TOOL_SPECS, "functions": TOOL_SPECS},
    },
    "openai-completion": {
        "type": "object",
        "required": ["prompt", "completion"],
        "properties": {"prompt": STRING, "completion": STRING},
    },
    "alpaca": {
        "type": "object",
        "required": ["instruction", "output"],
        "properties": {**ALPACA_PROMPT, "output": STRING, "system": OPT_STRING},
    },
    "sharegpt": {
        "type": "object",
        "properties": {"system": OPT_STRING, "tools": JSON_TOOL_SPECS},
        "allOf": [required_one_of("conversations", "messages"), CONVERSATION_KEY],
    },
    "preference": {
        "type": "object",
        "required": ["chosen", "rejected"],
        "properties": {
            "system": OPT_STRING,
            "tools": JSON_TOOL_SPECS,
            "chosen": REPLY,
            "rejected": REPLY,
        },
        # The prompt is the first of these present; with none, TRL's implicit prompt.
        **first_present(
            ("prompt", {"prompt": PROMPT}),
            ("conversations", {"conversations": CONVERSATION}),
            ("messages", {"messages": CONVERSATION}),
            ("instruction", ALPACA_PROMPT),
        ),
    },
    "openai-preference": {
        "type": "object",
        "required": ["input", "preferred_output", "non_preferred_output"],
        "properties": {
            "input": {
                "type": "object",
                "required": ["messages"],
                "properties": {"messages": OPENAI_MESSAGES, "tools": TOOL_SPECS},
            },
            "preferred_output": OPENAI_MESSAGES,
            "non_preferred_output": OPENAI_MESSAGES,
        },
    },
    "kto": {
        "type": "object",
        "properties": {"system": OPT_STRING, "tools": JSON_TOOL_SPECS},
        "allOf": [
            # LLaMA-Factory names the label `kto_tag`; TRL names it `label`.
            {
                "if": {"required": ["kto_tag"]},
                "then": {"properties": {"kto_tag": BOOLEAN}},
                "else": {"required": ["label"], "properties": {"label": BOOLEAN}},
            },
            {
                "if": required_one_of("messages", "conversations"),
                "then": CONVERSATION_KEY,
                "else": {
                    "required": ["prompt", "completion"],
                    "properties": {"prompt": PROMPT, "completion": REPLY},
                },
            },
        ],
    },
    "gemini": {
        "type": "object",
        "required": ["contents"],
        "properties": {
            "contents": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["parts"],
                    "properties": {
                        "role": OPT_STRING,
                        "parts": {"type": "array", "items": GEMINI_PART},
                    },
                },
            },
            "tools": GEMINI_TOOLS,
        },
        **first_present(
            ("systemInstruction", {"systemInstruction": GEMINI_SYSTEM}),
            ("system_instruction", {"system_instruction": GEMINI_SYSTEM}),
        ),
    },
    "bedrock-converse": {
        "type": "object",
        "required": ["messages"],
        "properties": {
            "system": {**BEDROCK_TEXT_BLOCKS, "type": ["array", "null"]},
            "messages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["role", "content"],
                    "properties": {
                        "role": STRING,
                        "content": {"type": "array", "items": BEDROCK_BLOCK},
                    },
                },
            },
            "toolConfig": BEDROCK_TOOL_CONFIG,
        },
    },
    "text": {"type": "object", "required": ["text"], "properties": {"text": STRING}},
    "llama-factory-dpo": {
        "type": "object",
        "required": ["chosen_messages", "rejected_messages"],
        "properties": {"chosen_messages": OPENAI_MESSAGES, "rejected_messages": OPENAI_MESSAGES},
    },
    "input-target": {
        "type": "object",
        "required": ["input", "target"],
        "properties": {
            "input": STRING,
            "target": {"type": ["string", "array"], "items": STRING, "minItems": 1},
        },
    },
    "problem-solution": {
        "type": "object",
        "required": ["problem", "solution"],
        "properties": {"problem": STRING, "solution": STRING},
    },
    "mt-bench-turns": {
        "type": "object",
        "required": ["turns"],
        "properties": {"turns": {"type": "array", "items": STRING}},
    },
    "prompt-only": {
        "type": "object",
        **required_one_of("question", "prompt"),
        **first_present(("question", {"question": STRING}), ("prompt", {"prompt": PROMPT})),
    },
}


def pair_schema(prompt_key: str, response_key: str) -> dict[str, Any]:
    """Question/answer and --prompt-key/--response-key records: two text fields."""
    return {
        "type": "object",
        "required": [prompt_key, response_key],
        "properties": {prompt_key: TEXT_OR_PARTS, response_key: TEXT_OR_PARTS},
    }


@cache
def validator(fmt: str, keys: tuple[str, str] | None = None) -> jsonschema.protocols.Validator:
    """The compiled validator of a format (of a key pair, for `qa` and `custom-keys`)."""
    schema = pair_schema(*keys) if keys is not None else SCHEMAS[fmt]
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def schema_findings(
    fmt: str,
    record: dict[str, Any],
    file: str,
    line: int,
    *,
    keys: tuple[str, str] | None = None,
) -> list[Finding]:
    """FT103 (missing key) and FT104 (wrong type) findings for one record.

    `keys` names the prompt/response pair of a `qa` or `custom-keys` record.
    """
    if keys is None and fmt not in SCHEMAS:
        return []
    findings = []
    for error in validator(fmt, keys).iter_errors(record):
        findings.extend(_explain(error, file, line))
    return findings


def _explain(error: jsonschema.ValidationError, file: str, line: int) -> list[Finding]:
    path = _path(error.absolute_path)
    if error.validator == "anyOf" and all(
        sub.validator == "required" for sub in error.context or ()
    ):
        keys = list(dict.fromkeys(str(sub.validator_value[0]) for sub in error.context or ()))
        return [_missing(path, keys[0], file, line, alternatives=keys[1:])]
    if error.validator == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        return [
            _missing(path, key, file, line) for key in error.validator_value if key not in instance
        ]
    if error.validator == "type":
        expected = error.validator_value
        if isinstance(expected, list):
            # An optional key may be null, but "should be number" is what helps a user.
            wanted = " or ".join(kind for kind in expected if kind != "null")
        else:
            wanted = expected
        return [
            Finding(
                code="FT104",
                severity=Severity.ERROR,
                message=f"{path or 'record'} should be {wanted}, got {_kind(error.instance)}",
                file=file,
                line=line,
                path=path or None,
                hint=_type_hint(path, wanted),
            )
        ]
    return [
        Finding(
            code="FT104",
            severity=Severity.ERROR,
            message=f"{path or 'record'}: {error.message}",
            file=file,
            line=line,
            path=path or None,
            hint="fix the value to match the format's schema",
        )
    ]


def _missing(
    path: str, key: str, file: str, line: int, alternatives: list[str] | None = None
) -> Finding:
    where = f"{path}.{key}" if path else key
    others = f" (or {', '.join(alternatives)})" if alternatives else ""
    return Finding(
        code="FT103",
        severity=Severity.ERROR,
        message=f"missing required key {where}{others}",
        file=file,
        line=line,
        path=where,
        hint=f"add `{key}` to {path or 'the record'}",
    )


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _kind(value: Any) -> str:
    names = {
        dict: "object",
        list: "array",
        str: "string",
        bool: "boolean",
        int: "number",
        float: "number",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _type_hint(path: str, wanted: str) -> str:
    if path.endswith("arguments"):
        return "tool-call arguments must be a JSON-encoded string: json.dumps(args)"
    return f"make {path or 'the record'} a {wanted}"
