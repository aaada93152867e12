"""How every report shows a file: relative to the working directory when it is under it."""

from __future__ import annotations

import os
from pathlib import Path


def relative_path(path: str, base: Path | None = None) -> str:
    """`path` relative to `base` (default: the working directory) with POSIX separators
    when it lies under it, else `path` as given."""
    root = os.path.normpath(base if base is not None else Path.cwd())
    full = os.path.normpath(os.path.join(root, path))
    if full == root or not full.startswith(root.rstrip(os.sep) + os.sep):
        return Path(path).as_posix()
    return Path(os.path.relpath(full, root)).as_posix()
