"""Training and eval inputs as given: files, folders of shards, and quoted globs.

A folder stands for the training files directly inside it (not below: a shard folder is
flat, and a repository root must not pull in every fixture under it; its held-out split
files, `valid.jsonl` beside `train.jsonl`, are left to eval discovery); a path with glob
characters that names no file is a glob (`"data/*.jsonl.gz"`, `**` included), for shells
and config files that do not expand it. Either is sorted, so shards keep their order.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

from auditor.io import InputError
from auditor.splits import train_files_beside

#: File names a folder contributes: what the readers read.
DATA_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".json")


def expand_inputs(paths: Sequence[str | Path]) -> list[Path]:
    """Every input file, in order; raises InputError for a folder or a glob that
    holds no data file (a typo must not audit nothing)."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.name.endswith(DATA_SUFFIXES) and not p.name.startswith(".")
            )
            if not found:
                kinds = ", ".join(DATA_SUFFIXES)
                raise InputError(f"{path}: is a directory with no data files in it ({kinds})")
            out.extend(training_files(found))
        elif not path.exists() and glob.has_magic(str(given)):
            matched = sorted(Path(p) for p in glob.glob(str(given), recursive=True))
            files = [p for p in matched if p.is_file()]
            if not files:
                raise InputError(f"{given}: the pattern matches no file")
            out.extend(files)
        else:
            out.append(path)
    return out


def training_files(files: list[Path]) -> list[Path]:
    """`files` without the held-out splits of other files among them (`valid.jsonl` beside
    `train.jsonl`): a folder's eval split must not be trained on. Eval discovery (on by
    default) finds them again, as eval files, beside the training files."""
    present = {p.resolve() for p in files}
    return [p for p in files if not any(t.resolve() in present for t in train_files_beside(p))]
