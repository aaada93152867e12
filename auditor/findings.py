"""The evidence types every layer shares: `Severity` and `Finding`.

A leaf module (it imports nothing of ftaudit), so reading and normalizing (io, formats,
dataset) can report findings without depending on the Check machinery.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Finding(BaseModel):
    """One piece of evidence: where (file, 1-based line, field path) and what to do."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    path: str | None = None
    related_lines: list[int] = Field(default_factory=list)
    excerpt: str | None = None
    hint: str | None = None
