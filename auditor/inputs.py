"""Training and eval inputs as given: files, folders of shards, and quoted globs.

A folder stands for the data files directly inside it (not below: a shard folder is flat,
and a repository root must not pull in every fixture under it): the files of a known
extension family (auditor.splits), `.json` files only when they hold records (a
`dataset_info.json` does not). When eval discovery will find them, its held-out split
files (`valid.jsonl` beside `train.jsonl`) are left to it, so they are audited as eval
files and never trained on. A path with glob characters that names no file is a glob
(`"data/*.jsonl.gz"`, `**` included), for shells and config files that do not expand it.
Either is sorted, so shards keep their order.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

import orjson

from auditor.io import InputError
from auditor.splits import FAMILIES, split_stem, train_files_beside

#: A `.json` file's first line is read this far to tell JSON Lines from other JSON.
FIRST_LINE_BYTES = 8 * 1024 * 1024
#: How far into a `.json` file its first element is looked for.
HEAD_BYTES = 64 * 1024


def expand_inputs(paths: Sequence[str | Path], *, leave_splits: bool = False) -> list[Path]:
    """Every input file, in order; raises InputError for a folder or a glob that holds no
    data file (a typo must not audit nothing). `leave_splits`: eval discovery will run,
    so a folder's held-out split files are left out here."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = folder_files(path)
            out.extend(training_files(found) if leave_splits else found)
        elif not path.exists() and glob.has_magic(str(given)):
            matched = sorted(Path(p) for p in glob.glob(str(given), recursive=True))
            files = [p for p in matched if p.is_file()]
            if not files:
                raise InputError(f"{given}: the pattern matches no file")
            out.extend(files)
        else:
            out.append(path)
    return out


def folder_files(folder: Path) -> list[Path]:
    """The data files directly in `folder`, sorted."""
    found = sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and split_stem(p.name) is not None
        and (not p.name.lower().endswith(".json") or holds_records(p))
    )
    if not found:
        kinds = ", ".join(ext for family in FAMILIES for ext in family)
        raise InputError(f"{folder}: is a directory with no data files in it ({kinds})")
    return found


def training_files(files: list[Path]) -> list[Path]:
    """`files` without the held-out splits of other files among them (`valid.jsonl` beside
    `train.jsonl`)."""
    present = {p.resolve() for p in files}
    return [p for p in files if not any(t.resolve() in present for t in train_files_beside(p))]


def holds_records(path: Path) -> bool:
    """Whether a `.json` file is a dataset: a JSON array whose first element is an object,
    or JSON Lines (a first line that is a whole object, with more lines after it).

    A pretty-printed or one-line JSON object (package.json, tsconfig.json) is not; neither
    is an array of strings or numbers. A file that cannot be read counts as a dataset, so the
    audit reports why it cannot be read.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
            handle.seek(0)
            first = handle.readline(FIRST_LINE_BYTES)
            more = bool(handle.read(HEAD_BYTES).strip())
    except OSError:
        return True
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"["):
        return text[1:].lstrip().startswith(b"{")
    try:
        value = orjson.loads(first.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        return False
    return isinstance(value, dict) and more
