"""Path globs for `per-file-ignores`: `*`, `?`, `[abc]` and `**`, as in ruff and gitignore.

`pathlib.PurePath.full_match` (Python 3.13+) is not available on 3.11 and `fnmatch` lets
`*` cross folders, so patterns compile to regular expressions here:
- `*` matches within one path segment, `?` one character of a segment;
- `**/` matches zero or more folders, a trailing `/**` everything below a folder;
- a pattern matches a file when it matches the file's path or one of its folders
  (`data/legacy` covers `data/legacy/a.jsonl`);
- a pattern without a `/` also matches the file's name anywhere (`scraped-*.jsonl`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import PurePosixPath


@cache
def compile_glob(pattern: str) -> re.Pattern[str]:
    """The regular expression a path (posix, relative) must fully match."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\")
            if not negate and body.startswith("^"):  # a literal caret, not a negation
                body = "\\" + body
            out.append(f"[{'^' if negate else ''}{body}]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def normalize(path: str) -> str:
    """A posix path without `./` segments or a trailing `/` (globs are written that way)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    return ("/" if path.startswith("/") else "") + "/".join(parts)


def glob_matches(pattern: str, paths: Iterable[str]) -> bool:
    """Whether `pattern` matches any of `paths`, one of their folders, or (for a pattern
    without a `/`) their file name."""
    pattern = normalize(pattern)
    regex = compile_glob(pattern)
    for path in paths:
        path = normalize(path)
        pure = PurePosixPath(path)
        candidates = [path, *(str(p) for p in pure.parents if str(p) not in (".", "/"))]
        if "/" not in pattern:
            candidates.append(pure.name)
        if any(regex.fullmatch(c) for c in candidates):
            return True
    return False
