"""auditor.allocator: the command line asks polars' jemalloc to return freed pages at once."""

from __future__ import annotations

import os
import subprocess
import sys

from auditor.allocator import HAND_BACK_AT_ONCE, JEMALLOC_CONF


def setting_seen(code: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code + f"\nimport os; print(os.environ.get({JEMALLOC_CONF!r}))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != JEMALLOC_CONF}


def test_the_command_line_sets_it_before_polars_loads() -> None:
    # The command line loads polars only when a command runs, after this.
    code = "import auditor.cli, sys; assert 'polars' not in sys.modules"
    assert setting_seen(code, clean_env()) == HAND_BACK_AT_ONCE


def test_a_users_own_setting_is_kept() -> None:
    env = {**clean_env(), JEMALLOC_CONF: "narenas:2"}
    assert setting_seen("import auditor.cli", env) == "narenas:2"


def test_too_late_once_polars_is_loaded() -> None:
    code = (
        "import polars\nfrom auditor.allocator import hand_back_freed_memory\n"
        "assert hand_back_freed_memory() is False"
    )
    # polars sets its own defaults as it loads (freed pages kept ~0.5-1 s).
    assert HAND_BACK_AT_ONCE not in setting_seen(code, clean_env())


def test_importing_the_library_changes_nothing() -> None:
    code = "import auditor; auditor.audit; import polars"
    assert HAND_BACK_AT_ONCE not in setting_seen(code, clean_env())


def test_polars_takes_it_after_its_own_defaults() -> None:
    seen = setting_seen("import auditor.cli, polars", clean_env())
    assert seen.endswith("," + HAND_BACK_AT_ONCE)  # the last value of an option wins
