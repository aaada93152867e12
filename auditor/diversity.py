"""Dataset-level diversity of L2-normalized embeddings, in O(n·d) and O(d³), never O(n²).

Vendi score (Friedman & Dieng, 2023), order q = 1: the exponential of the Shannon entropy
of the eigenvalues of K/n, where K = X·Xᵀ is the cosine-similarity kernel of the n
normalized rows of X. The n×n kernel is impossible at 100k rows (and 53 s at 10k here),
but XᵀX/n (d×d) has the same non-zero eigenvalues, so the score costs one d×d
eigendecomposition (0.05 s at 10k, identical value). It reads as "the effective number of
distinct examples": n identical rows score 1, n orthogonal rows score n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]


def _as_normalized(vectors: npt.ArrayLike) -> F64:
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("expected a 2-D array of vectors")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def vendi_score(vectors: npt.ArrayLike) -> float:
    """Vendi score (q = 1) of the rows of `vectors`, from the d×d covariance XᵀX / n (or
    the n×n kernel when n < d: the same eigenvalues, from the smaller matrix)."""
    x = _as_normalized(vectors)
    n, d = x.shape
    if n == 0:
        return 0.0
    gram = x @ x.T if n < d else x.T @ x
    return _entropy_exp(np.linalg.eigvalsh(gram / n))


def _entropy_exp(eigenvalues: F64) -> float:
    p = eigenvalues[eigenvalues > 1e-12]
    return float(np.exp(-np.sum(p * np.log(p))))


def vendi_score_kernel(vectors: npt.ArrayLike) -> float:
    """The same score from the n×n kernel: the definition, for tests on small inputs."""
    x = _as_normalized(vectors)
    n = x.shape[0]
    if n == 0:
        return 0.0
    return _entropy_exp(np.linalg.eigvalsh(x @ x.T / n))


def mean_pairwise_cosine_distance(vectors: npt.ArrayLike) -> float:
    """Mean of 1 − cos over all pairs i ≠ j, from the sum vector: Σᵢ≠ⱼ xᵢ·xⱼ = ‖Σx‖² − n."""
    x = _as_normalized(vectors)
    n = x.shape[0]
    if n < 2:
        return 0.0
    total = x.sum(axis=0)
    similarity = (float(total @ total) - float(np.sum(x * x))) / (n * (n - 1))
    return 1.0 - similarity


# --- intervals --------------------------------------------------------------------------

#: Resamples behind every interval: percentiles of 200 draws move by about a tenth of
#: the interval's width from one seed to another, well inside the bands that judge them.
DRAWS = 200


@dataclass(frozen=True)
class Interval:
    """A point estimate with a 95% interval, and the rows it was measured on."""

    value: float
    low: float
    high: float
    n: int

    def scaled(self, factor: float) -> Interval:
        return Interval(self.value * factor, self.low * factor, self.high * factor, self.n)


def vendi_at_reference(
    vectors: npt.ArrayLike, reference: int, seed: int = 0, draws: int = DRAWS
) -> Interval:
    """The mean Vendi score of `reference` rows drawn at random, so files of any size
    compare (the score grows with n), with a 95% confidence interval for the population.

    The sample is cut into g = n // reference disjoint subsets, again and again under new
    random orders (`draws` subsets in all). Disjoint subsets of a random sample are
    independent draws from the population, so the standard error of the mean is at most
    sd / √g: the interval narrows as the sample grows (n = 2,000 gives g = 20) and is a
    single subset's spread when n < 2 × reference. With no more rows than `reference`,
    the whole set once, at its own size (`n` says so; not comparable to the bands).
    """
    x = _as_normalized(vectors)
    n = x.shape[0]
    if n <= reference:
        score = vendi_score(x)
        return Interval(score, score, score, n)
    rng = np.random.default_rng(seed)
    groups = n // reference
    scores: list[float] = []
    while len(scores) < draws:
        order = rng.permutation(n)
        scores += [
            vendi_score(x[order[g * reference : (g + 1) * reference]]) for g in range(groups)
        ]
    values = np.array(scores)
    mean = float(values.mean())
    half = 1.959964 * float(values.std(ddof=1)) / np.sqrt(groups)
    return Interval(mean, mean - half, mean + half, reference)


def mean_distance_interval(vectors: npt.ArrayLike, seed: int = 0, draws: int = DRAWS) -> Interval:
    """Mean pairwise cosine distance with a percentile bootstrap interval (rows drawn with
    replacement; each draw is O(n·d) through the sum vector)."""
    x = _as_normalized(vectors)
    n = x.shape[0]
    value = mean_pairwise_cosine_distance(x)
    if n < 3:
        return Interval(value, value, value, n)
    rng = np.random.default_rng(seed)
    norms = np.einsum("ij,ij->i", x, x)
    out = np.empty(draws)
    for i in range(draws):
        counts = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64)
        total = counts @ x
        # Pairs of copies of one row are not pairs of examples: leave them out.
        same = counts * counts
        out[i] = 1.0 - (float(total @ total) - float(same @ norms)) / (n * n - same.sum())
    low, high = np.percentile(out, [2.5, 97.5])
    return Interval(value, float(low), float(high), n)


def share_interval(count: int, n: int, exact: bool = False) -> Interval:
    """A share of `n` sampled rows with its Wilson 95% interval; `exact` when the rows are
    the whole population (no sampling error to speak of)."""
    if n == 0:
        return Interval(0.0, 0.0, 0.0, 0)
    p = count / n
    if exact:
        return Interval(p, p, p, n)
    z = 1.959964
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Interval(p, float(max(0.0, centre - half)), float(min(1.0, centre + half)), n)


# --- topics -------------------------------------------------------------------------------

#: k-means clusters whose centroids have at least this cosine are one topic. At 0.8 the
#: clusters of one support intent join, and distinct intents or tasks stay apart; at 0.7
#: or below, whole support-ticket sets collapse into one "topic" (calibrated in
#: checks/diversity.py).
TOPIC_MERGE = 0.8


def cluster_count(n: int, cap: int = 40) -> int:
    """k for n rows: √(n/2), at least 2 and at most `cap` (a few hundred rows get ~10
    clusters, a 2,000-row sample 32; more clusters than a reader can look at helps no one)."""
    return int(min(cap, max(2, round(np.sqrt(n / 2))))) if n >= 4 else 1


def spherical_kmeans(
    vectors: F32, k: int, seed: int = 0, iterations: int = 30
) -> tuple[npt.NDArray[np.int64], F64]:
    """(labels, unit centroids) of k-means on the unit sphere: k-means++ seeding, then
    Lloyd steps on cosine similarity until no label changes."""
    x = _as_normalized(vectors)
    n = x.shape[0]
    k = max(1, min(k, n))
    rng = np.random.default_rng(seed)
    centres = [int(rng.integers(n))]
    nearest = 1.0 - x @ x[centres[0]]
    for _ in range(1, k):
        weights = np.clip(nearest, 0.0, None) ** 2
        total = weights.sum()
        pick = int(rng.choice(n, p=weights / total)) if total > 0 else int(rng.integers(n))
        centres.append(pick)
        nearest = np.minimum(nearest, 1.0 - x @ x[pick])
    centroids = x[centres].copy()
    labels = np.full(n, -1, dtype=np.int64)
    for _ in range(iterations):
        fresh = np.argmax(x @ centroids.T, axis=1)
        if np.array_equal(fresh, labels):
            break
        labels = fresh
        for c in range(k):
            members = x[labels == c]
            if len(members):
                centre = members.sum(axis=0)
                centroids[c] = centre / max(np.linalg.norm(centre), 1e-12)
    return labels, centroids


@dataclass(frozen=True)
class Topics:
    """k-means clusters of one side's sampled rows, merged into topics where centroids
    nearly coincide (k-means splits one big topic into several equal pieces)."""

    labels: npt.NDArray[np.int64]
    topic: npt.NDArray[np.int64]
    centroids: F64
    similarity: F64
    k: int

    @property
    def sizes(self) -> npt.NDArray[np.int64]:
        return np.bincount(self.topic, minlength=int(self.topic.max(initial=-1)) + 1)

    def normalized_entropy(self) -> float:
        """Shannon entropy of the topic shares over log k: 1 when rows spread evenly over
        all k clusters, 0 when one topic holds every row."""
        sizes = self.sizes[self.sizes > 0]
        if self.k < 2 or sizes.sum() == 0:
            return 0.0
        p = sizes / sizes.sum()
        return float(-(p * np.log(p)).sum() / np.log(self.k))

    def closeness(self, vectors: F32, min_members: int) -> F64:
        """Each row's cosine to the nearest centroid of a cluster with `min_members` rows or
        more: k-means++ seeds clusters on far points, so an odd row often gets a cluster of
        its own, and its own centroid would call it typical."""
        x = _as_normalized(vectors)
        counts = np.bincount(self.labels, minlength=self.k)
        big = np.flatnonzero(counts >= min_members)
        if len(big) == 0 or len(x) == 0:
            return self.similarity
        return np.asarray((x @ self.centroids[big].T).max(axis=1), dtype=np.float64)

    def representatives(self, topic: int, count: int = 3) -> npt.NDArray[np.int64]:
        """Positions of the rows nearest the centroid of their cluster within `topic`."""
        members = np.flatnonzero(self.topic == topic)
        return members[np.argsort(-self.similarity[members], kind="stable")[:count]]


def components(n: int, edges: list[tuple[int, int]]) -> npt.NDArray[np.int64]:
    """A component label per node of an undirected graph (union-find)."""
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for a, b in edges:
        parent[root(a)] = root(b)
    return np.array([root(i) for i in range(n)], dtype=np.int64)


def topics_of(vectors: F32, merge_at: float, seed: int = 0, cap: int = 40) -> Topics:
    """Cluster, then join clusters whose centroids have cosine ≥ `merge_at` (single link)."""
    x = _as_normalized(vectors)
    k = cluster_count(len(x), cap)
    labels, centroids = spherical_kmeans(x.astype(np.float32), k, seed)
    close = np.argwhere(np.triu(centroids @ centroids.T, 1) >= merge_at)
    roots = components(k, [(int(a), int(b)) for a, b in close])
    topic = np.unique(roots, return_inverse=True)[1][labels] if len(x) else labels
    similarity = np.einsum("ij,ij->i", x, centroids[labels]) if len(x) else np.zeros(0)
    return Topics(labels, topic.astype(np.int64), centroids, similarity, k)


# --- neighbours ---------------------------------------------------------------------------

#: Rows up to which nearest neighbours come from exact blocked matrix products (a
#: 20k×20k float32 product is ~2 s on two cores); above it, an HNSW index (usearch).
EXACT_LIMIT = 20_000
BLOCK = 2048


def nearest_neighbours(
    queries: F32, base: F32 | None = None, exact_limit: int = EXACT_LIMIT, k: int = 1
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """For each query row, its `k` most similar rows of `base` (cosine, unit vectors),
    most similar first, as (indices, similarities) of shape (n, k); without `base`, the
    queries' own nearest other rows. Missing neighbours are -1 with similarity -1."""
    own = base is None
    target = queries if base is None else base
    n = len(queries)
    available = len(target) - (1 if own else 0)
    index = np.full((n, k), -1, dtype=np.int64)
    best = np.full((n, k), -1.0, dtype=np.float32)
    if n == 0 or available <= 0:
        return index, best
    take = min(k, available)
    if len(target) > exact_limit:
        approximate = _usearch_neighbours(queries, target, own, take)
        if approximate is not None:
            index[:, :take], best[:, :take] = approximate
            return index, best
    for lo in range(0, n, BLOCK):
        block = queries[lo : lo + BLOCK] @ target.T
        rows = np.arange(len(block))
        if own:
            block[rows, np.arange(lo, lo + len(block))] = -np.inf
        top = np.argpartition(-block, take - 1, axis=1)[:, :take]
        order = np.argsort(-np.take_along_axis(block, top, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        index[lo : lo + len(block), :take] = top
        best[lo : lo + len(block), :take] = np.take_along_axis(block, top, axis=1)
    return index, best


def _usearch_neighbours(
    queries: F32, target: F32, own: bool, k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None:
    """Approximate neighbours from a usearch HNSW index; None when usearch is missing."""
    try:
        from usearch.index import Index
    except ImportError:
        return None
    index = Index(ndim=target.shape[1], metric="cos", dtype="f32")
    index.add(np.arange(len(target)), np.ascontiguousarray(target, dtype=np.float32))
    wanted = k + 1 if own else k
    found = index.search(np.ascontiguousarray(queries, dtype=np.float32), wanted)
    keys = np.asarray(found.keys, dtype=np.int64).reshape(len(queries), -1)
    similarity = (1.0 - np.asarray(found.distances, dtype=np.float32)).reshape(len(queries), -1)
    if own:  # drop the row itself wherever it came back (identical rows may come first)
        mine = keys == np.arange(len(queries))[:, None]
        mine[:, -1] |= ~mine.any(axis=1)  # none came back: drop the last, keep k
        keep = ~mine
        keys = keys[keep].reshape(len(queries), -1)
        similarity = similarity[keep].reshape(len(queries), -1)
    return keys[:, :k], similarity[:, :k]
