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
    #: The file of the related lines when it is not `file` (a train line an eval row leaks).
    related_file: str | None = None
    excerpt: str | None = None
    #: The other side's excerpt, where a finding joins two texts (a leak's train text).
    related_excerpt: str | None = None
    #: A finer kind within the code, stable for filtering (e.g. FT504 `verbatim`/`template`).
    category: str | None = None
    hint: str | None = None
