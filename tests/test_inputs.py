"""Folders of shards and quoted globs as inputs (auditor.inputs)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from auditor.api import audit
from auditor.config import AuditConfig
from auditor.inputs import expand_inputs
from auditor.io import InputError


def _shards(folder: Path) -> list[Path]:
    folder.mkdir()
    row = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    paths = [folder / "part-001.jsonl", folder / "part-000.jsonl.gz", folder / "part-002.ndjson"]
    for i, path in enumerate(paths):
        data = (json.dumps(row | {"n": i}) + "\n").encode()
        path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    (folder / "README.md").write_text("not data\n")
    (folder / ".hidden.jsonl").write_text("{}\n")
    (folder / "nested").mkdir()
    (folder / "nested" / "deeper.jsonl").write_text("{}\n")
    return sorted(paths)


def test_a_folder_is_its_data_files_sorted(tmp_path: Path) -> None:
    shards = _shards(tmp_path / "data")
    assert expand_inputs([tmp_path / "data"]) == shards


def test_a_quoted_glob_expands_sorted(tmp_path: Path) -> None:
    shards = _shards(tmp_path / "data")
    assert expand_inputs([str(tmp_path / "data" / "part-*")]) == shards
    deep = expand_inputs([str(tmp_path / "data" / "**" / "*.jsonl")])
    assert deep == [
        tmp_path / "data" / "nested" / "deeper.jsonl",
        tmp_path / "data" / "part-001.jsonl",
    ]


def test_plain_paths_pass_through_in_order(tmp_path: Path) -> None:
    given = [tmp_path / "b.jsonl", tmp_path / "a.jsonl"]
    assert expand_inputs(given) == given  # missing files are the reader's error to name


@pytest.mark.parametrize(
    ("name", "message"),
    [("empty", "is a directory with no data files"), ("nothing-*.jsonl", "matches no file")],
)
def test_a_folder_or_glob_with_no_file_is_an_error(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=message):
        expand_inputs([str(tmp_path / name)])


def test_auditing_a_folder_audits_its_shards(tmp_path: Path) -> None:
    shards = _shards(tmp_path / "data")
    config = AuditConfig(cache=False, select=["FT0", "FT3"])
    by_folder = audit([tmp_path / "data"], config=config)
    by_files = audit(shards, config=config)
    assert [d.path for d in by_folder.datasets] == [str(p) for p in shards]
    assert by_folder.verdict == by_files.verdict
    assert sum(d.rows for d in by_folder.datasets) == 3


def test_a_folder_leaves_its_held_out_splits_to_eval_discovery(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    row = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    for name in ("train.jsonl", "valid.jsonl", "notes.jsonl"):
        (folder / name).write_text(json.dumps(row) + "\n")
    assert expand_inputs([folder], leave_splits=True) == [
        folder / "notes.jsonl",
        folder / "train.jsonl",
    ]
    report = audit([folder], config=AuditConfig(cache=False, select=["FT0", "FT5"]))
    splits = {Path(d.path).name: d.split for d in report.datasets}
    assert splits == {"notes.jsonl": "train", "train.jsonl": "train", "valid.jsonl": "eval"}


def test_a_folder_keeps_its_splits_when_nothing_discovers_them(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    row = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    for name in ("train.jsonl", "valid.jsonl"):
        (folder / name).write_text(json.dumps(row) + "\n")
    config = AuditConfig(cache=False, select=["FT0"], **{"discover-eval": False})
    report = audit([folder], config=config)
    assert sorted(Path(d.path).name for d in report.datasets) == ["train.jsonl", "valid.jsonl"]


def test_a_folder_passes_over_json_that_holds_no_records(tmp_path: Path) -> None:
    shards = _shards(tmp_path / "data")
    (tmp_path / "data" / "dataset_info.json").write_text('{"builder_name": "x"}\n')
    (tmp_path / "data" / "PART-003.NDJSON.GZ").write_bytes(gzip.compress(b"{}\n"))
    found = expand_inputs([tmp_path / "data"])
    assert found == sorted([*shards, tmp_path / "data" / "PART-003.NDJSON.GZ"])
