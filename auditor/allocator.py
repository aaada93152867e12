"""The command line asks polars' allocator to hand freed memory back to the system at once.

polars allocates through its bundled jemalloc, which it sets to keep freed pages for
half a second to a second before returning them (polars/__init__.py; our setting is
appended to its own and wins); numpy arrays and Python strings come from the C library's
malloc, which cannot reuse those pages. An audit alternates between the two (polars
frames, then numpy signatures and Python rows), so its peak memory held both
allocators' high-water marks. Returning pages at once cut the non-neural audit of 100k
chat rows from 1,365 MB to 1,044 MB peak RSS (benchmarks/README.md, "Scale").

Only the command line sets this, before polars loads, and never over a value the user
set: a program that imports ftaudit keeps its own allocator settings.
"""

from __future__ import annotations

import os
import sys

#: The environment variable polars' bundled jemalloc reads its options from, at start.
JEMALLOC_CONF = "_RJEM_MALLOC_CONF"
#: Freed pages go back to the system at once instead of after ~10 s.
HAND_BACK_AT_ONCE = "dirty_decay_ms:0,muzzy_decay_ms:0"


def hand_back_freed_memory() -> bool:
    """Set polars' allocator to return freed pages at once; False when too late (polars
    already loaded) or when the user chose their own options."""
    if "polars" in sys.modules or JEMALLOC_CONF in os.environ:
        return False
    os.environ[JEMALLOC_CONF] = HAND_BACK_AT_ONCE
    return True
