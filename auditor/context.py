"""AuditContext: what every check reads — the dataset, the config, shared lazy artifacts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import polars as pl

from auditor.check import Finding
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
        selected: Collection[str] = (),
    ) -> None:
        self.dataset = dataset
        self.config = config
        self._tokenizer = tokenizer
        #: Codes of the checks this audit runs: artifacts only one check family needs
        #: (duplicate clusters) are computed for others only when that family is on.
        self.selected = frozenset(selected)

    @cached_property
    def comparison(self) -> pl.DataFrame:
        """Normalized comparison views and duplicate keys of the train rows (auditor.dedup)."""
        from auditor.dedup import comparison_table

        return comparison_table(self.dataset.train)

    @cached_property
    def unique_examples(self) -> int | None:
        """Train rows left once exact duplicates collapse, when FT301 is enabled.

        The size check judges this number instead of the raw row count. None when no
        duplicate check runs: the size check then says it judged raw rows.
        """
        if "FT301" not in self.selected:
            return None
        from auditor.dedup import duplicate_rows, exact_groups

        return self.dataset.train.height - duplicate_rows(exact_groups(self.comparison, "key"))

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
