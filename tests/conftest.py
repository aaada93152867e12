"""Shared test setup: nothing may reach a model hub at test time, and nothing is written to
the user's cache.

Embedding checks (FT401–FT404, FT505) are off unless a test is marked `embed`: the other
families' tests do not need a sentence encoder, and turning it off is the documented
`FTAUDIT_EMBED=0`. Tests marked `embed` run it for real (the shipped MiniLM, or a stub the
test passes in), with one embedding cache per test session.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ftaudit-cache")


@pytest.fixture(autouse=True)
def _embedding_setup(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, session_cache: Path
) -> None:
    monkeypatch.setenv("FTAUDIT_CACHE_DIR", str(session_cache))
    if request.node.get_closest_marker("embed") is None:
        monkeypatch.setenv("FTAUDIT_EMBED", "0")
    else:
        monkeypatch.delenv("FTAUDIT_EMBED", raising=False)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
