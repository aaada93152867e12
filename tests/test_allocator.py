"""auditor.allocator: for large inputs the command line asks polars' jemalloc to return
freed pages at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from auditor.allocator import HAND_BACK_AT_ONCE, JEMALLOC_CONF, LARGE_INPUT_BYTES, input_bytes


def setting_seen(code: str, env: dict[str, str], *arguments: str) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.argv = ['ftaudit', *{list(arguments)!r}]\n"
            + code
            + f"\nimport os; print(os.environ.get({JEMALLOC_CONF!r}))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != JEMALLOC_CONF}


def large_file(tmp_path: Path) -> Path:
    """A sparse file of LARGE_INPUT_BYTES: its size without the disk space."""
    path = tmp_path / "big.jsonl"
    with path.open("wb") as out:
        out.truncate(LARGE_INPUT_BYTES)
    return path


def test_input_bytes_counts_files_and_the_files_in_folders(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(b"x" * 10)
    folder = tmp_path / "shards"
    folder.mkdir()
    (folder / "1.jsonl").write_bytes(b"x" * 5)
    (folder / "2.jsonl").write_bytes(b"x" * 7)
    (folder / "deeper").mkdir()
    (folder / "deeper" / "3.jsonl").write_bytes(b"x" * 100)  # a folder stands for its files
    arguments = [str(tmp_path / "a.jsonl"), str(folder), "--strict", "missing.jsonl", "*.jsonl"]
    assert input_bytes(arguments) == 22


def test_the_command_line_sets_it_for_large_inputs_before_polars_loads(tmp_path: Path) -> None:
    # The command line loads polars only when a command runs, after this.
    code = "import auditor.cli, sys; assert 'polars' not in sys.modules"
    big = str(large_file(tmp_path))
    assert setting_seen(code, clean_env(), big) == HAND_BACK_AT_ONCE
    assert setting_seen(code, clean_env(), "--strict", str(tmp_path)) == HAND_BACK_AT_ONCE


def test_small_inputs_keep_polars_defaults(tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text('{"text": "hi"}\n')
    assert setting_seen("import auditor.cli", clean_env(), str(small)) == "None"


def test_a_users_own_setting_is_kept(tmp_path: Path) -> None:
    env = {**clean_env(), JEMALLOC_CONF: "narenas:2"}
    assert setting_seen("import auditor.cli", env, str(large_file(tmp_path))) == "narenas:2"


def test_too_late_once_polars_is_loaded(tmp_path: Path) -> None:
    code = (
        "import polars\nfrom auditor.allocator import hand_back_freed_memory\n"
        "assert hand_back_freed_memory(sys.argv[1:]) is False"
    )
    # polars sets its own defaults as it loads (freed pages kept ~0.5-1 s).
    assert HAND_BACK_AT_ONCE not in setting_seen(code, clean_env(), str(large_file(tmp_path)))


def test_importing_the_library_changes_nothing(tmp_path: Path) -> None:
    code = "import auditor; auditor.audit; import polars"
    assert HAND_BACK_AT_ONCE not in setting_seen(code, clean_env(), str(large_file(tmp_path)))


def test_polars_takes_it_after_its_own_defaults(tmp_path: Path) -> None:
    seen = setting_seen("import auditor.cli, polars", clean_env(), str(large_file(tmp_path)))
    assert seen.endswith("," + HAND_BACK_AT_ONCE)  # the last value of an option wins
