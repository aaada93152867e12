"""For large inputs the command line asks polars' allocator to return freed memory at once.

polars allocates through its bundled jemalloc, which it sets to keep freed pages for
half a second to a second before returning them (polars/__init__.py; a setting of ours
is appended to its own and wins); numpy arrays and Python strings come from the C
library's malloc, which cannot reuse those pages. An audit alternates between the two
(polars frames, then numpy signatures and Python rows), so its peak memory holds both
allocators' high-water marks. Returning pages at once costs time, though: on 100k chat
rows (113 MB) the non-neural audit peaked at 961 MB instead of 1,210 MB but took 17.9 s
instead of 15.9 s (benchmarks/README.md, "Scale"). Memory is what limits an audit of a
large file, speed what matters for a small one; so the setting is made only when the
files named on the command line add up to LARGE_INPUT_BYTES.

Only the command line sets this, before polars loads, and never over a value the user
set: a program that imports ftaudit keeps its own allocator settings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

#: The environment variable polars' bundled jemalloc reads its options from, at start.
JEMALLOC_CONF = "_RJEM_MALLOC_CONF"
#: Freed pages go back to the system at once instead of after 0.5–1 s.
HAND_BACK_AT_ONCE = "dirty_decay_ms:0,muzzy_decay_ms:0"
#: Input size from which memory, not time, is what limits an audit (about 450k chat rows).
LARGE_INPUT_BYTES = 512 * 1024 * 1024


def input_bytes(arguments: Sequence[str]) -> int:
    """The size of the files among `arguments`, and of the files directly inside the
    folders among them; anything else (options, globs, missing paths) counts nothing."""
    total = 0
    for argument in arguments:
        path = Path(argument)
        try:
            if path.is_file():
                total += path.stat().st_size
            elif path.is_dir():
                total += sum(p.stat().st_size for p in path.iterdir() if p.is_file())
        except OSError:
            continue
    return total


def large_input(arguments: Sequence[str]) -> bool:
    """Whether the inputs named in `arguments` add up to LARGE_INPUT_BYTES."""
    return input_bytes(arguments) >= LARGE_INPUT_BYTES


def hand_back_freed_memory(arguments: Sequence[str]) -> bool:
    """Set polars' allocator to return freed pages at once when the inputs named in
    `arguments` are large; False when they are not, when it is too late (polars is
    already loaded) or when the user chose their own options."""
    if "polars" in sys.modules or JEMALLOC_CONF in os.environ:
        return False
    if not large_input(arguments):
        return False
    os.environ[JEMALLOC_CONF] = HAND_BACK_AT_ONCE
    return True
