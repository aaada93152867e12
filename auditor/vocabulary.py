"""Format vocabularies that the normalizers (formats) and the schemas (schemas) share.

A leaf module, so that neither of the two imports the other.
"""

from __future__ import annotations

#: LLaMA-Factory v1 parts `{type, value}` whose value is the turn's text.
V1_TEXT_TYPES = frozenset({"text", "reasoning"})
#: v1 parts whose value is a JSON call or list of calls: types.py names the type
#: `tool_calls`, v1's own ShareGPT converter writes `tool_call`.
V1_CALL_TYPES = frozenset({"tool_calls", "tool_call"})
#: v1 parts read by their value; `tools` holds a JSON list of function specs.
V1_VALUE_TYPES = V1_TEXT_TYPES | V1_CALL_TYPES | {"tools"}
