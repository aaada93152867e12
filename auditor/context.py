"""AuditContext: what every check reads — the dataset, the config, shared lazy artifacts."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import polars as pl

from auditor.check import Check, Finding
from auditor.config import AuditConfig, Task
from auditor.dataset import Dataset

if TYPE_CHECKING:
    from auditor.tokens import TokenCounts, Tokenizer


@dataclass(frozen=True)
class TaskChoice:
    task: Task
    inferred: bool
    reason: str


class AuditContext:
    """Shared state for one audit. Artifacts are computed on first use, then reused."""

    def __init__(
        self,
        dataset: Dataset,
        config: AuditConfig,
        tokenizer: Tokenizer | None = None,
        checks: Sequence[Check] = (),
    ) -> None:
        self.dataset = dataset
        self.config = config
        self._tokenizer = tokenizer
        #: The checks this audit runs, for artifacts that one check family measures and
        #: another uses (the unique-example count).
        self.checks = tuple(checks)
        #: Cache for artifacts a check family computes once and shares (MinHash clusters),
        #: keyed by the family's own keys.
        self.artifacts: dict[Hashable, Any] = {}

    @cached_property
    def comparison(self) -> pl.DataFrame:
        """Normalized comparison views and duplicate keys of the train rows (auditor.dedup)."""
        from auditor.dedup import comparison_table

        return comparison_table(self.dataset.train)

    @cached_property
    def unique_examples(self) -> int | None:
        """Train rows left once duplicates collapse, as the enabled duplicate checks count
        them (the smallest count); None when no enabled check measures duplicates.

        The size check judges this number instead of the raw row count, whatever order
        the checks run in.
        """
        counts = [n for check in self.checks if (n := check.unique_examples(self)) is not None]
        return min(counts, default=None)

    @property
    def train(self) -> pl.DataFrame:
        return self.dataset.train

    def load_findings(self, code: str) -> list[Finding]:
        return [f for f in self.dataset.load_findings if f.code == code]

    @cached_property
    def task(self) -> TaskChoice:
        if self.config.task is not None:
            return TaskChoice(self.config.task, inferred=False, reason="given")
        from auditor.tasks import infer_task

        task, reason = infer_task(self.dataset.train)
        return TaskChoice(task, inferred=True, reason=reason)

    @cached_property
    def tokens(self) -> TokenCounts:
        """Per-row prompt / trainable token counts of the train split (see auditor.tokens)."""
        from auditor.tokens import count_tokens, load_tokenizer

        tokenizer = self._tokenizer or load_tokenizer(self.config.tokenizer)
        return count_tokens(self.dataset.train, tokenizer)
