"""The check catalogue: every check is documented, coded, and selectable."""

from __future__ import annotations

import re

import pytest

from auditor.config import AuditConfig, ConfigError
from auditor.registry import discover, is_enabled, select_checks

CHECKS = discover()


def test_builtin_families_are_registered() -> None:
    prefixes = {code[:3] for code in CHECKS}
    assert {"FT0", "FT1", "FT2"} <= prefixes


@pytest.mark.parametrize("code", sorted(CHECKS))
def test_check_is_documented(code: str) -> None:
    check = CHECKS[code]
    assert re.fullmatch(r"FT\d{3}", check.code) and check.code == code
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", check.name)
    doc = check.documentation()
    for section in ("What it checks", "Why it matters", "Example", "Options"):
        assert section in doc, f"{code} docstring lacks '{section}'"


def test_names_are_unique() -> None:
    names = [check.name for check in CHECKS.values()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("select", "ignore", "code", "enabled"),
    [
        (["FT"], [], "FT107", True),
        (["FT1"], [], "FT201", False),
        (["FT1"], ["FT10"], "FT107", False),
        (["FT1"], ["FT10"], "FT110", True),
        (["FT107"], ["FT1"], "FT107", True),  # the longer prefix wins
        (["FT1"], ["FT1"], "FT107", False),  # on a tie, ignore wins
    ],
)
def test_selection_longest_prefix_wins(
    select: list[str], ignore: list[str], code: str, enabled: bool
) -> None:
    assert is_enabled(code, AuditConfig(select=select, ignore=ignore)) is enabled


def test_input_checks_are_always_on() -> None:
    codes = {c.code for c in select_checks(AuditConfig(select=["FT2"]))}
    assert {"FT001", "FT007"} <= codes
    assert not any(code.startswith("FT1") for code in codes)


def test_unknown_selector_is_an_error() -> None:
    with pytest.raises(ConfigError, match="FT9"):
        select_checks(AuditConfig(select=["FT9"]))


def test_options_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"FT102\.nonsense: unknown option"):
        select_checks(AuditConfig(checks={"FT102": {"nonsense": 1}}))
    with pytest.raises(ConfigError, match="unknown check `FT999`"):
        select_checks(AuditConfig(checks={"FT999": {}}))
