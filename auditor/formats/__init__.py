"""Detect each record's format and normalize it to the canonical row.

Every input format becomes the same columns (see CANONICAL_SCHEMA), once, here; checks
never parse raw JSON again. Each row keeps its own detected format, so a file that mixes
formats is still audited and FT102 can name the odd rows.

Clean rows take a fast path. A normalizer that meets anything off (a missing key, a wrong
type) marks the row suspect, and only then is the row validated against its format's JSON
Schema (auditor/schemas.py), whose errors become FT103/FT104 findings with a field path.
Validating every row with jsonschema would cost ~60 µs a row, 6 s per 100k. The normalizers
and the schemas therefore judge keys and types alike: a row is suspect exactly when its
schema finds an error (tests/test_formats.py fuzzes that promise).

Held-out eval files may also hold benchmark prompts with no answer (MT-Bench `turns`, a
bare `question` or `prompt`): `eval_shapes` reads them as PROMPT_ONLY_FORMATS; in a
training file they stay unknown (FT101), having nothing to train on.

Roles are translated only from a format's own vocabulary (ShareGPT `gpt`, Gemini `model`,
OpenAI legacy `function`); any other role is kept as given, for FT105 to report.

One module per format family; this package re-exports the public names the single
`auditor/formats.py` had (plugins may import them), from:
`canonical` (the row and its columns), `openai` (chat, content parts, tool calls),
`sharegpt`, `pairs` (prompt/completion, Alpaca, Q&A, text), `preference` (pairs and
KTO), `gemini`, `bedrock`, `eval_shapes` (benchmark prompts), `detect` (which format a
record is in) and `normalize` (records to canonical frames).
"""

from __future__ import annotations

from auditor.formats.canonical import (
    CANONICAL_SCHEMA,
    MESSAGE,
    TOOL_CALL,
    UNKNOWN,
    Issue,
    KeyMapping,
    Normalizer,
    Row,
    render,
    to_json,
)
from auditor.formats.detect import (
    ANSWER_KEYS,
    NORMALIZERS,
    PREFERENCE_FORMATS,
    PROMPT_ONLY_FORMATS,
    detect_format,
    training_format,
)
from auditor.formats.normalize import (
    NormalizedChunk,
    empty_frame,
    normalize_chunk,
    normalize_record,
    unknown_format_finding,
)
from auditor.formats.pairs import qa_pair
from auditor.formats.preference import conversation, preference_sides, shared_prefix
from auditor.formats.sharegpt import is_sharegpt_message

__all__ = [
    "ANSWER_KEYS",
    "CANONICAL_SCHEMA",
    "MESSAGE",
    "NORMALIZERS",
    "PREFERENCE_FORMATS",
    "PROMPT_ONLY_FORMATS",
    "TOOL_CALL",
    "UNKNOWN",
    "Issue",
    "KeyMapping",
    "NormalizedChunk",
    "Normalizer",
    "Row",
    "conversation",
    "detect_format",
    "empty_frame",
    "is_sharegpt_message",
    "normalize_chunk",
    "normalize_record",
    "preference_sides",
    "qa_pair",
    "render",
    "shared_prefix",
    "to_json",
    "training_format",
    "unknown_format_finding",
]
