"""The dataset's shape for the charts of the HTML report, computed from what the audit
already holds: token counts, turn and role structure, the embedding sample's topic map.

Small by construction (histograms and at most a few thousand points), so a report of a
100k-row audit stays well under its 2 MB budget. Nothing here computes an artifact the
checks did not ask for: without token counts there are no token histograms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from auditor.context import AuditContext

#: Points of the topic map at most (the embedding sample is at most the budget anyway).
MAP_POINTS = 2000
BINS = 24


class Histogram(BaseModel):
    """Counts between consecutive edges (log-spaced for token lengths)."""

    edges: list[float]
    counts: list[int]


class TopicMap(BaseModel):
    """The train sample's embeddings on their first two principal axes, by topic."""

    side: str
    x: list[float]
    y: list[float]
    topic: list[int]
    explained: float = Field(description="share of variance the two axes carry")


class Profile(BaseModel):
    prompt_tokens: Histogram | None = None
    response_tokens: Histogram | None = None
    #: Rows by number of turns ("1", "2", …, "9+").
    turns: dict[str, int] = Field(default_factory=dict)
    #: Messages by role, over all train rows.
    roles: dict[str, int] = Field(default_factory=dict)
    topic_map: TopicMap | None = None


def log_histogram(values: npt.NDArray[np.int64]) -> Histogram | None:
    """A histogram of positive counts on log-spaced bins (token lengths span decades)."""
    values = values[values > 0]
    if values.size == 0:
        return None
    top = max(2.0, float(values.max()) + 1)
    edges = np.unique(np.round(np.geomspace(1, top, BINS + 1)))
    counts, _ = np.histogram(values, bins=edges)
    return Histogram(edges=[float(e) for e in edges], counts=[int(c) for c in counts])


def turn_counts(turns: npt.NDArray[np.int64]) -> dict[str, int]:
    capped = np.minimum(turns, 9)
    values, counts = np.unique(capped, return_counts=True)
    return {("9+" if v == 9 else str(int(v))): int(c) for v, c in zip(values, counts, strict=True)}


def role_counts(train: pl.DataFrame) -> dict[str, int]:
    if "messages" not in train.columns or train.is_empty():
        return {}
    roles = train.select(pl.col("messages").list.eval(pl.element().struct.field("role"))).explode(
        "messages"
    )
    counted = roles.drop_nulls().group_by("messages").len().sort("len", descending=True)
    return {str(r): int(n) for r, n in counted.iter_rows()}


def topic_map(ctx: AuditContext) -> TopicMap | None:
    """PCA of the train sample's prompt (or text) embeddings, coloured by FT402's topics,
    when the embedding checks ran."""
    from auditor.diversity import TOPIC_MERGE

    embedded = ctx.artifacts.get("embeddings")
    if embedded is None or isinstance(embedded, Exception):
        return None
    side = embedded.train.main_side
    vectors = embedded.train.side(side).vectors[:MAP_POINTS]
    if len(vectors) < 3:
        return None
    centred = vectors - vectors.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    points = centred @ axes[:2].T
    explained = float((singular[:2] ** 2).sum() / max((singular**2).sum(), 1e-12))
    key = ("topics", side, TOPIC_MERGE)
    topics = ctx.artifacts.get(key)
    labels = topics.topic[: len(vectors)] if topics is not None else np.zeros(len(vectors), int)
    return TopicMap(
        side=side,
        x=[round(float(v), 4) for v in points[:, 0]],
        y=[round(float(v), 4) for v in points[:, 1]],
        topic=[int(t) for t in labels],
        explained=round(explained, 4),
    )


def build_profile(ctx: AuditContext) -> Profile:
    tokens = ctx.__dict__.get("tokens")  # only if a check counted them
    profile = Profile(roles=role_counts(ctx.train), topic_map=topic_map(ctx))
    if tokens is not None:
        profile.prompt_tokens = log_histogram(np.asarray(tokens.prompt_tokens))
        profile.response_tokens = log_histogram(np.asarray(tokens.trainable_tokens))
        profile.turns = turn_counts(np.asarray(tokens.turns))
    return profile
