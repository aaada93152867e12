"""No report prints a secret: every text of a Report goes through the secret detector.

FT602 masks the secrets it reports, but training text reaches a report in many other
places: another check's excerpt (a near-duplicate, an unrendered template), a phrase in a
summary, a topic label in the HTML report's map. So the report as a whole is masked once,
after every check ran, whatever was selected: one batch pass of the detector over the
report's distinct strings, which are few (findings are capped) next to the dataset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

Model = TypeVar("Model", bound=BaseModel)
#: Texts in, the same texts with every secret masked out (same length and order).
MaskTexts = Callable[[list[str]], list[str]]


def masked(model: Model, mask_texts: MaskTexts) -> Model:
    """`model` with `mask_texts` applied to every string in it; the same object when no
    string changed (the usual case, so a clean report costs one scan)."""
    data = model.model_dump(mode="python")
    texts = sorted(set(_strings(data)))
    if not texts:
        return model
    changed = {text: new for text, new in zip(texts, mask_texts(texts), strict=True) if new != text}
    if not changed:
        return model
    return type(model).model_validate(_replaced(data, changed))


def _strings(value: Any) -> list[str]:
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
    return found


def _replaced(value: Any, changed: dict[str, str]) -> Any:
    if isinstance(value, str):
        return changed.get(value, value)
    if isinstance(value, dict):
        return {_replaced(k, changed): _replaced(v, changed) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_replaced(v, changed) for v in value)
    if isinstance(value, set | frozenset):
        return type(value)(_replaced(v, changed) for v in value)
    return value
