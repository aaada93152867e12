"""Every check has a bad fixture it must flag and a good one it must pass.

Fixtures live in tests/fixtures/<CODE>/{bad,good}.jsonl with an optional config.toml
(AuditConfig keys) for the check's settings, e.g. the task for size bands, and an
optional `<kind>.eval.jsonl` held-out file for the leakage checks.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from auditor import AuditConfig, audit
from auditor.check import Status
from auditor.registry import discover

FIXTURES = Path(__file__).parent / "fixtures"
#: Checks that read embeddings run with the real model (see conftest: `embed` marker).
EMBEDDING_CODES = ("FT40", "FT505")
CODES = [
    pytest.param(code, marks=pytest.mark.embed) if code.startswith(EMBEDDING_CODES) else code
    for code in sorted(discover())
]


def fixture_config(code: str) -> AuditConfig:
    extra_path = FIXTURES / code / "config.toml"
    extra = tomllib.loads(extra_path.read_text()) if extra_path.exists() else {}
    from auditor.config import load_config

    return load_config(None, {**extra, "select": [code]})


def eval_files(code: str, kind: str) -> list[Path]:
    held_out = FIXTURES / code / f"{kind}.eval.jsonl"
    return [held_out] if held_out.is_file() else []


@pytest.mark.parametrize("code", CODES)
def test_check_has_both_fixtures(code: str) -> None:
    assert (FIXTURES / code / "bad.jsonl").is_file(), (
        f"{code} lacks tests/fixtures/{code}/bad.jsonl"
    )
    assert (FIXTURES / code / "good.jsonl").is_file(), f"{code} lacks good.jsonl"


@pytest.mark.parametrize("code", CODES)
def test_bad_fixture_is_flagged(code: str) -> None:
    path = FIXTURES / code / "bad.jsonl"
    report = audit([path], eval_files(code, "bad"), config=fixture_config(code))
    result = report.result(code)
    assert result is not None
    assert result.status in (Status.WARN, Status.FAIL), result.summary
    own = [f for f in result.findings if f.code == code]
    assert own, f"{code} reported no finding of its own code"
    lines = len(path.read_bytes().splitlines())
    assert all(f.line is None or 1 <= f.line <= lines for f in own)
    allowed = {str(path), *(str(p) for p in eval_files(code, "bad"))}
    assert all(f.file is None or f.file in allowed for f in own)


@pytest.mark.parametrize("code", CODES)
def test_good_fixture_passes(code: str) -> None:
    report = audit(
        [FIXTURES / code / "good.jsonl"], eval_files(code, "good"), config=fixture_config(code)
    )
    result = report.result(code)
    assert result is not None
    assert result.status is Status.PASS, (result.summary, result.findings[:3])
    assert not [f for f in result.findings if f.code == code]
