"""The README stays true: its test command is what CI runs; every check is in its catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from auditor.registry import discover

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command() -> None:
    test_command = bash_blocks()[1].strip()
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_every_check_is_in_the_catalogue() -> None:
    for code, check in discover().items():
        assert f"| {code} | {check.name} |" in README, f"{code} {check.name} missing from README"
