"""The replay's curves as a small SVG, drawn by hand: no plotting library in any venv."""

from __future__ import annotations

import math

import numpy as np

from catsdogs.training import replay

COLOURS = {"oldest": "#888888", "uncertainty": "#1f77b4", "value": "#d62728"}
NAMES = {
    "oldest": "oldest first",
    "uncertainty": "uncertainty only",
    "value": "value (the queue's order)",
}


def figure(
    curves: dict[str, list[list[tuple[int, float]]]], width: int = 640, height: int = 360
) -> str:
    """Mean test accuracy against labels (log scale), one line per strategy, as SVG."""
    means = {strategy: replay.mean_curve(runs) for strategy, runs in curves.items()}
    counts = [count for count, _ in means["oldest"]]
    accuracies = [a for curve in means.values() for _, a in curve]
    low, high = math.floor(min(accuracies) * 50) / 50, math.ceil(max(accuracies) * 100) / 100
    left, right, top, bottom = 60, 20, 20, 50
    x_span, y_span = np.log(counts[-1] / counts[0]), high - low

    def x(count: float) -> float:
        return left + (width - left - right) * float(np.log(count / counts[0]) / x_span)

    def y(accuracy: float) -> float:
        return top + (height - top - bottom) * (high - accuracy) / y_span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for tick in [t for t in (20, 50, 100, 200, 500, 1000, 2000, 4000) if t <= counts[-1]]:
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{height - bottom}" '
            f'stroke="#eee"/><text x="{x(tick):.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{tick}</text>'
        )
    for step in range(int(round(y_span * 100)) + 1):
        level = low + step / 100
        parts.append(
            f'<line x1="{left}" y1="{y(level):.1f}" x2="{width - right}" y2="{y(level):.1f}" '
            f'stroke="#eee"/><text x="{left - 6}" y="{y(level) + 4:.1f}" '
            f'text-anchor="end">{level:.0%}</text>'
        )
    for index, (strategy, curve) in enumerate(means.items()):
        points = " ".join(f"{x(c):.1f},{y(a):.1f}" for c, a in curve)
        colour = COLOURS[strategy]
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        legend_y = height - bottom + 34
        legend_x = left + index * 190
        parts.append(
            f'<line x1="{legend_x}" y1="{legend_y - 4}" x2="{legend_x + 20}" y2="{legend_y - 4}" '
            f'stroke="{colour}" stroke-width="2"/><text x="{legend_x + 26}" y="{legend_y}">'
            f"{NAMES[strategy]}</text>"
        )
    parts.append(
        f'<text x="{width - right}" y="{height - bottom - 6}" text-anchor="end">'
        "labels (log scale)</text>"
        f'<text x="{left + 6}" y="{top + 12}">test accuracy</text></svg>'
    )
    return "\n".join(parts) + "\n"
