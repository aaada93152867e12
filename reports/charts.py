"""Charts for the HTML report: matplotlib figures rendered to inline SVG.

matplotlib comes with the `report` extra (the README's install has it; the pre-commit
hook's core install does not): without it the report says so where the charts would be.
Text is drawn as paths and the SVG's own <style> and metadata are dropped, so a chart
carries no text a browser could run and loads nothing (the page's CSP allows no other
style than its own).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.report import Report

INSTALL = 'pip install "ftaudit[report]"'
WIDTH, HEIGHT = 6.4, 3.0
#: Characters of a label drawn from the data (a role, a file name) at most.
LABEL = 24


def label(text: str) -> str:
    return text if len(text) <= LABEL else text[: LABEL - 1] + "…"


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str


def charts_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    # Comments first: matplotlib writes each label into one, unescaped quotes and all.
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"<\?xml[^>]*>|<!DOCTYPE[^>]*>", "", text)
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r"<style[^>]*>.*?</style>", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    # The page's CSP allows no inline style attribute: matplotlib's `style="fill: #fff;
    # stroke-width: 0.8"` become the SVG presentation attributes they stand for.
    text = re.sub(r'style="([^"]*)"', _presentation, text)
    return text.strip()


def _presentation(match: re.Match[str]) -> str:
    pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return " ".join(f'{key.strip()}="{value.strip()}"' for key, value in pairs)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Labels come from the data (roles, file names): never parse them as math text.
    plt.rcParams.update({"svg.fonttype": "path", "font.size": 9, "text.parse_math": False})
    return plt


def _figure() -> tuple[Any, Any]:
    figure, axes = _pyplot().subplots(figsize=(WIDTH, HEIGHT))
    return figure, axes


def _close(figure: Any) -> str:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    svg = _svg(figure)
    plt.close(figure)
    return svg


def token_lengths(report: Report) -> Chart | None:
    profile = report.profile
    if profile is None or (profile.prompt_tokens is None and profile.response_tokens is None):
        return None
    figure, axes = _figure()
    for label, histogram in (
        ("prompt", profile.prompt_tokens),
        ("trained on", profile.response_tokens),
    ):
        if histogram is None:
            continue
        axes.stairs(histogram.counts, histogram.edges, label=label, fill=False, linewidth=1.6)
    axes.set_xscale("log")
    axes.set_xlabel("tokens per row")
    axes.set_ylabel("rows")
    axes.legend()
    return Chart("Token lengths: prompt vs trained-on answer", _close(figure))


def structure(report: Report) -> Chart | None:
    profile = report.profile
    if profile is None or not (profile.turns or profile.roles):
        return None
    figure, (left, right) = _pyplot().subplots(1, 2, figsize=(WIDTH, HEIGHT))
    if profile.turns:
        keys = sorted(profile.turns, key=lambda k: (k == "9+", int(k.rstrip("+"))))
        left.bar(keys, [profile.turns[k] for k in keys], color="#0969da")
        left.set_xlabel("turns per row")
        left.set_ylabel("rows")
    if profile.roles:
        roles = list(profile.roles)[:8]
        names = [label(r) for r in roles]
        right.barh(names[::-1], [profile.roles[r] for r in roles][::-1], color="#8250df")
        right.set_xlabel("messages")
    return Chart("Turn and role structure", _close(figure))


def duplicate_clusters(report: Report) -> Chart | None:
    sizes: dict[str, list[int]] = {}
    for code in ("FT301", "FT302"):
        result = report.result(code)
        if result is None:
            continue
        found = [1 + len(f.related_lines) for f in result.findings if f.code == code]
        if found:
            sizes[code] = found
    if not sizes:
        return None
    import numpy as np

    figure, axes = _figure()
    largest = max(max(v) for v in sizes.values())
    # Log-spaced bins: one cluster of 30k copies must not make 30k bins.
    bins = np.unique(np.round(np.geomspace(2, largest + 1, 25)))
    bins = bins if len(bins) > 1 else np.array([2, 3])
    for code, values in sizes.items():
        name = {"FT301": "exact copies", "FT302": "near-copies"}[code]
        axes.hist(values, bins=bins, alpha=0.7, label=name)
    if largest > 30:
        axes.set_xscale("log")
    axes.set_xlabel("rows per duplicate cluster (largest 200 clusters per check)")
    axes.set_ylabel("clusters")
    axes.legend()
    return Chart("Duplicate cluster sizes", _close(figure))


LEAK_METHODS = {
    "FT502": ("exact", "leaked_share"),
    "FT503": ("near", "leaked_share"),
    "FT504": ("13-gram", "leaked_share"),
    "FT505": ("paraphrase", "paraphrase_share"),
}


def leakage(report: Report) -> Chart | None:
    eval_rows = {d.path: d.rows for d in report.datasets if d.split == "eval"}
    if not eval_rows:
        return None
    counts: dict[str, dict[str, int]] = {}
    for code, (method, prefix) in LEAK_METHODS.items():
        result = report.result(code)
        if result is None or result.status.value == "skipped":
            continue
        for metric in result.metrics:
            name = metric.name
            if name.startswith(prefix + "[") and isinstance(metric.value, int | float):
                path = name[len(prefix) + 1 : -1]
                rows = eval_rows.get(path, 0)
                counts.setdefault(method, {})[path] = round(float(metric.value) * rows)
    if not counts:
        return None
    import numpy as np

    figure, axes = _figure()
    files = list(eval_rows)
    width = 0.8 / max(1, len(files))
    methods = list(counts)
    for i, path in enumerate(files):
        axes.bar(
            np.arange(len(methods)) + i * width,
            [counts[m].get(path, 0) for m in methods],
            width,
            # A leading underscore would hide the entry from matplotlib's legend.
            label=label(path).lstrip("_") or "eval",
        )
    axes.set_xticks(np.arange(len(methods)) + width * (len(files) - 1) / 2, methods)
    axes.set_ylabel("eval rows flagged (FT505: estimated)")
    axes.legend(fontsize=7)
    return Chart("Leakage per method and eval file", _close(figure))


def topic_map(report: Report) -> Chart | None:
    profile = report.profile
    if profile is None or profile.topic_map is None:
        return None
    points = profile.topic_map
    figure, axes = _figure()
    axes.scatter(points.x, points.y, c=points.topic, cmap="tab20", s=6, linewidths=0)
    axes.set_xlabel("first principal axis")
    axes.set_ylabel("second")
    axes.set_xticks([])
    axes.set_yticks([])
    title = (
        f"Topic map of the embedded {points.side}s ({len(points.x):,} rows; the two axes "
        f"hold {points.explained:.0%} of the variance)"
    )
    return Chart(title, _close(figure))


BUILDERS: list[Callable[[Report], Chart | None]] = [
    token_lengths,
    structure,
    duplicate_clusters,
    leakage,
    topic_map,
]


def report_charts(report: Report) -> list[Chart]:
    """Every chart the report has data for; none without matplotlib."""
    if not charts_available():
        return []
    return [chart for build in BUILDERS if (chart := build(report)) is not None]
