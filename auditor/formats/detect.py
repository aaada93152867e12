"""Which format a record is in, by its keys, and the normalizer of each format."""

from __future__ import annotations

from typing import Any

from auditor.formats.bedrock import normalize_bedrock
from auditor.formats.canonical import QA_PAIRS, UNKNOWN, KeyMapping, Normalizer
from auditor.formats.eval_shapes import (
    normalize_input_target,
    normalize_mt_bench,
    normalize_problem_solution,
    normalize_prompt_only,
)
from auditor.formats.gemini import normalize_gemini
from auditor.formats.openai import normalize_openai_chat
from auditor.formats.pairs import (
    normalize_alpaca,
    normalize_openai_completion,
    normalize_qa,
    normalize_text,
)
from auditor.formats.preference import (
    normalize_kto,
    normalize_llama_factory_dpo,
    normalize_openai_preference,
    normalize_preference,
)
from auditor.formats.sharegpt import is_sharegpt_message, normalize_sharegpt

NORMALIZERS: dict[str, Normalizer] = {
    "openai-chat": normalize_openai_chat,
    "openai-completion": normalize_openai_completion,
    "alpaca": normalize_alpaca,
    "sharegpt": normalize_sharegpt,
    "preference": normalize_preference,
    "openai-preference": normalize_openai_preference,
    "kto": normalize_kto,
    "gemini": normalize_gemini,
    "bedrock-converse": normalize_bedrock,
    "qa": normalize_qa,
    "text": normalize_text,
    "llama-factory-dpo": normalize_llama_factory_dpo,
    "input-target": normalize_input_target,
    "problem-solution": normalize_problem_solution,
    "mt-bench-turns": normalize_mt_bench,
    "prompt-only": normalize_prompt_only,
}

#: Eval-only formats: their rows hold prompts and no answer (`response` is "").
PROMPT_ONLY_FORMATS: frozenset[str] = frozenset({"mt-bench-turns", "prompt-only"})
#: Formats whose rows are preference data (pairs, or KTO's labelled answers): DPO-style.
PREFERENCE_FORMATS: frozenset[str] = frozenset(
    {"preference", "openai-preference", "llama-factory-dpo", "kto"}
)

#: Keys that hold an answer: a record with one is never read as a bare prompt, since
#: dropping its answer unnoticed would be worse than FT101 asking for --response-key.
ANSWER_KEYS = frozenset(
    {"answer", "answers", "response", "completion", "output", "target", "solution", "label"}
)


def is_bedrock(record: dict[str, Any]) -> bool:
    """Bedrock Converse, told from OpenAI chat: a schemaVersion, a system block list, or
    message content as blocks without OpenAI's `type` key."""
    if "schemaVersion" in record or "toolConfig" in record:
        return True
    if isinstance(record.get("system"), list):
        return True
    messages = record.get("messages")
    for message in messages if isinstance(messages, list) else ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            return False  # Bedrock content is always a block list
        if isinstance(content, list) and content:
            return isinstance(content[0], dict) and "type" not in content[0]
    return False


def chat_format(record: dict[str, Any]) -> str:
    """Which format a record with `messages` is in."""
    if isinstance(record.get("label"), bool):
        return "kto"  # LLaMA-Factory KTO: a conversation plus a boolean label
    if is_bedrock(record):
        return "bedrock-converse"
    messages = record["messages"]
    first = messages[0] if isinstance(messages, list) and messages else None
    if isinstance(first, dict) and "role" not in first and is_sharegpt_message(first):
        return "sharegpt"
    return "openai-chat"


def detect_format(
    record: dict[str, Any], keys: KeyMapping | None = None, *, eval_shapes: bool = False
) -> str:
    """The format one record is in, by its keys; UNKNOWN when nothing fits.

    `eval_shapes` also reads the answerless shapes of held-out eval files; in a training
    file such a record stays UNKNOWN (FT101), as it has nothing to train on.
    """
    fmt = training_format(record, keys)
    if fmt == UNKNOWN and eval_shapes:
        return eval_only_format(record)
    return fmt


def eval_only_format(record: dict[str, Any]) -> str:
    """MT-Bench `turns`, or a bare `question` / `prompt` with no answer key."""
    if "turns" in record:
        return "mt-bench-turns"
    if ("question" in record or "prompt" in record) and ANSWER_KEYS.isdisjoint(record):
        return "prompt-only"
    return UNKNOWN


def training_format(record: dict[str, Any], keys: KeyMapping | None = None) -> str:
    """The format of a record that carries an answer; UNKNOWN when nothing fits.

    The order matters: the specific shapes come before the generic pairs they contain
    (prompt+chosen is a preference pair, not question/answer; instruction+input+output
    is Alpaca; input+preferred_output is OpenAI preference). The benchmark shapes come
    last, so that no record read before them changes format.
    """
    if keys is not None and keys.prompt in record and keys.response in record:
        return "custom-keys"
    if "chosen" in record or "rejected" in record:
        return "preference"
    if "chosen_messages" in record or "rejected_messages" in record:
        return "llama-factory-dpo"
    if "preferred_output" in record or "non_preferred_output" in record:
        return "openai-preference"
    if "kto_tag" in record or ("completion" in record and "label" in record):
        return "kto"
    if "messages" in record:
        return chat_format(record)
    if "contents" in record:
        return "gemini"
    if "conversations" in record:
        return "kto" if isinstance(record.get("label"), bool) else "sharegpt"
    if "instruction" in record:
        return "alpaca"
    if "prompt" in record and "completion" in record:
        return "openai-completion"
    if any(q in record and a in record for q, a in QA_PAIRS):
        return "qa"
    if "text" in record:
        return "text"
    if "schemaVersion" in record:
        return "bedrock-converse"
    if "input" in record and "target" in record:
        return "input-target"
    if "problem" in record and "solution" in record:
        return "problem-solution"
    return UNKNOWN
