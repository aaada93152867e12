"""Find the held-out split files that sit beside a training file.

`train.jsonl` beside `valid.jsonl`, `validation.jsonl`, `val.jsonl`, `dev.jsonl`,
`test.jsonl` or `eval.jsonl`; the word `train` may sit inside a longer name
(`sft_train.jsonl` → `sft_test.jsonl`, `train-00000-of-00001.jsonl` →
`test-00000-of-00001.jsonl`). A training file without the word gets its splits by
suffix: `support.jsonl` beside `support.eval.jsonl`, `support_test.jsonl` or
`support-valid.jsonl`. The sibling may be compressed or not (`.jsonl` and `.jsonl.gz`
are one family; `.json` and `.json.gz` another).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

#: Extension families: a sibling in the same family as its training file counts.
FAMILIES = ((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz"), (".json", ".json.gz"))
_TRAIN = re.compile(r"(?<![a-z0-9])train(?![a-z0-9])", re.IGNORECASE)
#: `valid*`: validation sets often carry a suffix (`valid_small`, `validation2`).
_SPLIT = r"(?:valid[a-z0-9]*|val|dev|test|eval|evaluation|heldout)"


def split_stem(name: str) -> tuple[str, str] | None:
    """(stem, extension) of a file name in a known family, else None."""
    for family in FAMILIES:
        for ext in sorted(family, key=len, reverse=True):
            if name.lower().endswith(ext):
                return name[: -len(ext)], ext
    return None


def sibling_eval_files(train_paths: Sequence[Path]) -> list[Path]:
    """Eval split files beside the training files, sorted by name; never a training file."""
    given = {p.resolve() for p in train_paths}
    found: dict[Path, Path] = {}
    for path in train_paths:
        parts = split_stem(path.name)
        if parts is None:
            continue
        stem, ext = parts
        match = _TRAIN.search(stem)
        if match is None:
            name = re.escape(stem) + "[._-]" + _SPLIT
        else:
            name = re.escape(stem[: match.start()]) + _SPLIT + re.escape(stem[match.end() :])
        family = next(f for f in FAMILIES if ext.lower() in f)
        pattern = re.compile(
            name + "(?:" + "|".join(re.escape(e) for e in family) + ")$",
            re.IGNORECASE,
        )
        folder = path.parent
        try:
            siblings = sorted(folder.iterdir())
        except OSError:
            continue
        for sibling in siblings:
            resolved = sibling.resolve()
            if sibling.is_file() and pattern.fullmatch(sibling.name) and resolved not in given:
                found.setdefault(resolved, sibling)
    return list(found.values())


_SPLIT_WORD = re.compile(r"(?<![a-z0-9])" + _SPLIT + r"(?![a-z0-9])", re.IGNORECASE)
_SPLIT_SUFFIX = re.compile(r"[._-]" + _SPLIT + r"$", re.IGNORECASE)


def train_files_beside(eval_path: Path) -> list[Path]:
    """The training files that `eval_path` is a held-out split of, sorted by name: the
    inverse of sibling_eval_files (`valid.jsonl` → `train.jsonl`, `sft_test.jsonl` →
    `sft_train.jsonl`, `support_test.jsonl` → `support.jsonl`); empty for a file that is
    no file's split."""
    parts = split_stem(eval_path.name)
    if parts is None:
        return []
    stem, ext = parts
    # Candidate training stems: the split word swapped for `train`, or the split suffix cut.
    stems = {stem[: m.start()] + "train" + stem[m.end() :] for m in _SPLIT_WORD.finditer(stem)}
    suffix = _SPLIT_SUFFIX.search(stem)
    if suffix is not None:
        stems.add(stem[: suffix.start()])
    wanted = {s.lower() for s in stems if s}
    family = next(f for f in FAMILIES if ext.lower() in f)
    target = eval_path.resolve()
    try:
        siblings = sorted(eval_path.parent.iterdir())
    except OSError:
        return []
    found = []
    for sibling in siblings:
        named = split_stem(sibling.name)
        if named is None or named[0].lower() not in wanted or named[1].lower() not in family:
            continue
        # The forward rule decides, so the two directions can never disagree.
        if sibling.is_file() and target in {p.resolve() for p in sibling_eval_files([sibling])}:
            found.append(sibling)
    return found
