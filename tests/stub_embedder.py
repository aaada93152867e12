"""A small deterministic sentence encoder for the maths: a text's vector is the normalized
sum of one fixed random unit vector per word, so texts with the same words (in any order)
coincide and texts without common words are nearly orthogonal."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


@dataclass
class StubEmbedder:
    dimension: int = 64
    model_id: str = "stub-bag-of-words"
    max_tokens: int = 128
    #: Texts encoded so far, in call order (tests read what was embedded).
    calls: list[str] = field(default_factory=list)

    def word(self, word: str) -> npt.NDArray[np.float64]:
        seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        vector = np.random.default_rng(seed).normal(size=self.dimension)
        return vector / np.linalg.norm(vector)

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls.extend(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            if words:
                total = np.sum([self.word(w) for w in words], axis=0)
                out[i] = total / max(np.linalg.norm(total), 1e-12)
        return out
