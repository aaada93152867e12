"""JSON Schemas of the input formats, used to explain a suspect row (FT103 / FT104).

The schemas check keys and types only: roles, role order and content rules are judged by
the FT1xx checks over canonical rows, so one problem is reported once.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema

from auditor.check import Finding, Severity

STRING = {"type": "string"}
TEXT_OR_PARTS = {"type": ["string", "array", "null"]}

OPENAI_TOOL_CALL = {
    "type": "object",
    "required": ["function"],
    "properties": {
        "id": STRING,
        "type": STRING,
        "function": {
            "type": "object",
            "required": ["name", "arguments"],
            "properties": {"name": STRING, "arguments": STRING},
        },
    },
}

OPENAI_MESSAGE = {
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": STRING,
        "content": TEXT_OR_PARTS,
        "name": STRING,
        "weight": {"type": "number"},
        "tool_call_id": STRING,
        "tool_calls": {"type": "array", "items": OPENAI_TOOL_CALL},
        "function_call": {
            "type": "object",
            "required": ["name", "arguments"],
            "properties": {"name": STRING, "arguments": STRING},
        },
    },
    "anyOf": [
        {"required": ["content"]},
        {"required": ["tool_calls"]},
        {"required": ["function_call"]},
    ],
}

OPENAI_TOOLS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "type": STRING,
            "function": {"type": "object", "required": ["name"], "properties": {"name": STRING}},
        },
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "openai-chat": {
        "type": "object",
        "required": ["messages"],
        "properties": {
            "messages": {"type": "array", "items": OPENAI_MESSAGE},
            "tools": OPENAI_TOOLS,
            "functions": {
                "type": "array",
                "items": {"type": "object", "required": ["name"], "properties": {"name": STRING}},
            },
        },
    },
    "text": {"type": "object", "required": ["text"], "properties": {"text": STRING}},
}


@cache
def validator(fmt: str) -> jsonschema.protocols.Validator:
    schema = SCHEMAS[fmt]
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def schema_findings(fmt: str, record: dict[str, Any], file: str, line: int) -> list[Finding]:
    """FT103 (missing key) and FT104 (wrong type) findings for one record."""
    if fmt not in SCHEMAS:
        return []
    findings = []
    for error in validator(fmt).iter_errors(record):
        findings.extend(_explain(error, file, line))
    return findings


def _explain(error: jsonschema.ValidationError, file: str, line: int) -> list[Finding]:
    path = _path(error.absolute_path)
    if error.validator == "anyOf" and all(
        sub.validator == "required" for sub in error.context or ()
    ):
        keys = sorted({str(sub.validator_value[0]) for sub in error.context or ()})
        return [_missing(f"{path}", " or ".join(keys), file, line)]
    if error.validator == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        return [
            _missing(path, key, file, line)
            for key in error.validator_value
            if key not in instance
        ]
    if error.validator == "type":
        expected = error.validator_value
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return [
            Finding(
                code="FT104",
                severity=Severity.ERROR,
                message=f"{path or 'record'} should be {wanted}, "
                f"got {_kind(error.instance)}",
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


def _missing(path: str, key: str, file: str, line: int) -> Finding:
    where = f"{path}.{key}" if path else key
    return Finding(
        code="FT103",
        severity=Severity.ERROR,
        message=f"missing required key {where}",
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
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _type_hint(path: str, wanted: str) -> str:
    if path.endswith("arguments"):
        return "tool-call arguments must be a JSON-encoded string: json.dumps(args)"
    return f"make {path or 'the record'} a {wanted}"
