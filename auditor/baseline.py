"""The baseline file: findings a team accepted, so an audit fails only on new ones.

`ftaudit baseline data.jsonl -o .ftaudit-baseline.json` writes it; it is committed beside
the data, so it is deterministic (the same findings give the same bytes) and names files
relative to its own folder:

    {"tool": "ftaudit", "version": 1, "written_by": "ftaudit 0.1.0",
     "entries": [{"code": "FT301", "file": "data/train.jsonl", "key": "rows:3f…",
                  "count": 1, "message": "2 identical rows: …", "excerpt": "…"}]}

An entry's `key` says which finding it is without a line number, so it stays valid when
rows move or other rows change:
- `row:<hash>`: a finding on one row; the hash is of the row's content (`frame_row_hashes`);
- `rows:<hash>`: a finding that joins rows (a duplicate group, a leak): the hash of the
  sorted hashes of its row and its related rows, so the group is the same whichever
  member the check reports it on; a row joining or leaving the group makes a new finding;
- `text:<hash>`: a finding on a line that is no row (FT001 invalid JSON…): the hash of
  its message and excerpt;
- null: a finding without a line (FT204 epoch budget, FT501 no held-out set): code + file.

`count` is how many findings with that code, file and key were accepted: a fourth copy of
a row accepted three times is new.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Literal

import orjson
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditor.config import ConfigError
from auditor.dataset import Dataset
from auditor.findings import Finding

#: The file format's version: bump it when keys change meaning (old baselines then fail
#: with a message to re-run `ftaudit baseline`, rather than silently matching nothing).
BASELINE_VERSION = 1
EXCERPT_WIDTH = 80
MESSAGE_WIDTH = 160


class BaselineEntry(BaseModel):
    """Accepted findings with one code, file and key (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    file: str
    key: str | None = None
    count: int = Field(1, ge=1)
    #: For the reviewer of the baseline's pull request; never matched on.
    message: str = ""
    excerpt: str | None = None

    @property
    def identity(self) -> tuple[str, str, str | None]:
        return (self.code, self.file, self.key)


class Baseline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tool: Literal["ftaudit"] = "ftaudit"
    version: int = BASELINE_VERSION
    written_by: str = ""
    entries: list[BaselineEntry] = Field(default_factory=list)


# --- keys -------------------------------------------------------------------------------


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


#: What a row hash covers, in this order: every canonical column but `file` and `line`
#: (auditor.formats.CANONICAL_SCHEMA), and every field of a message. A column or field
#: added later is not hashed until it is listed here, with BASELINE_VERSION bumped; one
#: that is gone hashes as null. tests/test_baseline.py pins a hash to keep this honest.
HASHED_COLUMNS = (
    "format",
    "system",
    "tools",
    "prompt",
    "response",
    "text",
    "chosen",
    "rejected",
    "label",
)
MESSAGE_FIELDS = ("role", "content", "weight", "name", "tool_call_id", "tool_calls")


def frame_row_hashes(frame: pl.DataFrame) -> list[str]:
    """blake2b-128 of each row: orjson of `[[HASHED_COLUMNS values], [[MESSAGE_FIELDS
    values] per message] or null]`.

    Values are plain Python strings, numbers, booleans and lists (tool calls: dicts with
    sorted keys), whose orjson bytes do not depend on the polars version or the machine.
    The messages are flattened in polars first: building a dict per message is the slow
    part of converting a frame to Python (measured 3× slower).
    """
    height = frame.height
    columns = [
        frame[c].to_list() if c in frame.columns else [None] * height for c in HASHED_COLUMNS
    ]
    if "messages" in frame.columns:
        messages = frame["messages"]
        lengths = messages.list.len().fill_null(-1).to_list()
        flat = messages.filter(messages.list.len() > 0).explode().struct.unnest()
        fields = [
            flat[f].to_list() if f in flat.columns else [None] * flat.height for f in MESSAGE_FIELDS
        ]
        per_message = list(zip(*fields, strict=True))
    else:
        lengths, per_message = [-1] * height, []
    hashes = []
    start = 0
    for values, length in zip(zip(*columns, strict=True), lengths, strict=True):
        turns = per_message[start : start + length] if length >= 0 else None
        start += max(length, 0)
        data = orjson.dumps([values, turns], option=orjson.OPT_SORT_KEYS)
        hashes.append(_digest(data))
    return hashes


def row_hashes(dataset: Dataset, wanted: Collection[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The content hash of the row at each (file, line) in `wanted` that is a row.

    Only the wanted rows are hashed (a semi join picks them), so the cost follows the
    findings, not the dataset. Several rows starting on one line (a one-line .json array)
    hash together.
    """
    if not wanted:
        return {}
    keys = pl.DataFrame(
        {"file": [f for f, _ in wanted], "line": [n for _, n in wanted]},
        schema={"file": pl.String, "line": pl.Int64},
    )
    found: dict[tuple[str, int], str] = {}
    for frame in (dataset.train, dataset.eval):
        if frame is None or frame.is_empty():
            continue
        # Pick rows by index from the two key columns: a join would copy the nested ones.
        picked = frame.select("file", "line").with_row_index("row").join(keys, on=["file", "line"])
        if picked.is_empty():
            continue
        rows = frame if picked.height == frame.height else frame[picked["row"].sort()]
        per_line: dict[tuple[str, int], list[str]] = {}
        where = zip(rows["file"].to_list(), rows["line"].to_list(), strict=True)
        for at, digest in zip(where, frame_row_hashes(rows), strict=True):
            per_line.setdefault(at, []).append(digest)
        for at, hashes in per_line.items():
            # A file given as both train and eval has the same rows twice: hash them once.
            found.setdefault(at, hashes[0] if len(hashes) == 1 else _combined(hashes))
    return found


def _combined(hashes: Iterable[str]) -> str:
    return _digest("\n".join(sorted(hashes)).encode())


def finding_keys(findings: Sequence[Finding], dataset: Dataset) -> list[str | None]:
    """Each finding's baseline key (see the module docstring), in order."""
    wanted: set[tuple[str, int]] = set()
    for f in findings:
        if f.file is not None and f.line is not None:
            wanted.add((f.file, f.line))
            other = f.related_file or f.file
            wanted.update((other, line) for line in f.related_lines)
    hashes = row_hashes(dataset, wanted)
    keys: list[str | None] = []
    for f in findings:
        if f.file is None or f.line is None:
            keys.append(None)
            continue
        own = hashes.get((f.file, f.line))
        if own is None:  # an unreadable line: no row to hash
            keys.append("text:" + _digest(f"{f.message}\0{f.excerpt or ''}".encode()))
        elif not f.related_lines:
            keys.append("row:" + own)
        else:
            other = f.related_file or f.file
            group = [own, *(hashes.get((other, n), "unread") for n in f.related_lines)]
            keys.append("rows:" + _combined(group))
    return keys


def entry_path(file: str, folder: Path) -> str:
    """`file` (as a finding names it, relative to cwd) relative to `folder`, posix style:
    the same entry whichever folder the audit runs in."""
    absolute = os.path.abspath(file)
    try:
        relative = os.path.relpath(absolute, os.path.abspath(folder))
    except ValueError:  # another drive (Windows): no relative path exists
        return Path(absolute).as_posix()
    return Path(relative).as_posix()


# --- the file ---------------------------------------------------------------------------


def _short(text: str | None, width: int) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def build_baseline(
    findings: Iterable[tuple[Finding, str | None]], folder: Path, written_by: str
) -> Baseline:
    """The baseline accepting `findings` (each with its key), files relative to `folder`.

    Entries are sorted, and where several findings share an entry its message is the
    smallest, so moving rows does not reorder or reword the file.
    """
    counts: Counter[tuple[str, str, str | None]] = Counter()
    texts: dict[tuple[str, str, str | None], tuple[str, str]] = {}
    paths: dict[str, str] = {}
    for finding, key in findings:
        if finding.file is None:
            continue  # nothing to tie it to; a check's own findings always name a file
        if finding.file not in paths:
            paths[finding.file] = entry_path(finding.file, folder)
        identity = (finding.code, paths[finding.file], key)
        counts[identity] += 1
        text = (_short(finding.message, MESSAGE_WIDTH) or "", finding.excerpt or "")
        texts[identity] = min(texts.get(identity, text), text)
    entries = [
        BaselineEntry(
            code=code,
            file=file,
            key=key,
            count=counts[(code, file, key)],
            message=texts[(code, file, key)][0],
            excerpt=_short(texts[(code, file, key)][1], EXCERPT_WIDTH) or None,
        )
        for code, file, key in sorted(counts, key=lambda i: (i[1], i[0], i[2] or ""))
    ]
    return Baseline(written_by=written_by, entries=entries)


def render_baseline(baseline: Baseline) -> bytes:
    """The file's bytes: two-space JSON, one entry per block, UTF-8, a final newline."""
    data = baseline.model_dump(mode="json")
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def read_baseline(path: Path) -> Baseline:
    """The baseline at `path`; a missing or malformed file is a ConfigError naming it."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such baseline file (write one with `ftaudit baseline DATA -o {path}`)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the baseline ({exc.strerror})") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not a baseline file: invalid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("tool") != "ftaudit":
        raise ConfigError(f'{path}: not a baseline file (no "tool": "ftaudit")')
    if isinstance(data.get("version"), int) and data["version"] > BASELINE_VERSION:
        raise ConfigError(
            f"{path}: baseline version {data['version']} is newer than this ftaudit reads "
            f"({BASELINE_VERSION}); upgrade ftaudit or re-run `ftaudit baseline`"
        )
    try:
        baseline = Baseline.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise ConfigError(f"{path}: malformed baseline at `{where}`: {error['msg']}") from None
    if baseline.version < BASELINE_VERSION:
        raise ConfigError(
            f"{path}: baseline version {baseline.version} is from an older ftaudit whose "
            "keys differ; re-run `ftaudit baseline`"
        )
    return baseline
