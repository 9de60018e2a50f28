"""Server-side SVG charts for reports: the same markup shows in the browser, in the PDF (printed by
Chromium) and needs no JavaScript. Pure functions; every text is escaped.

A missing value (None) is a gap in a line, never drawn as zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 720, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 16, 44
PALETTE = ["#3b5bdb", "#f08c00", "#2f9e44", "#e03131", "#7048e8", "#1098ad", "#868e96"]


def _nice_max(value: float) -> float:
    """The top of the axis: 1, 2, 2.5 or 5 times a power of ten, at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _fmt(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f} M".replace(".0 ", " ")
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f} k"
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _frame(title: str, y_max: float, labels: Sequence[str], every: int) -> list[str]:
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="report-chart" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        y = PAD_TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6"/>'
        )
        parts.append(
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#495057">'
            f"{escape(_fmt(y_max * i / 4))}</text>"
        )
    n = max(1, len(labels))
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = PAD_LEFT + plot_w * (i + 0.5) / n
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" text-anchor="middle" fill="#495057">'
            f"{escape(label)}</text>"
        )
    return parts


def _legend(names: Sequence[str], colors: Sequence[str]) -> list[str]:
    parts, x = [], PAD_LEFT
    for name, color in zip(names, colors, strict=False):
        parts.append(f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{escape(color)}"/>')
        parts.append(f'<text x="{x + 14}" y="{HEIGHT - 5}" fill="#212529">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return parts


def line_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    colors: Sequence[str] | None = None,
) -> str:
    """One line per series over the same labels (days); None values leave a gap."""
    colors = list(colors or PALETTE)
    values = [v for s in series.values() for v in s if v is not None]
    y_max = _nice_max(max(values, default=0.0))
    every = max(1, math.ceil(len(labels) / 10))
    parts = _frame(title, y_max, labels, every)
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    n = max(1, len(labels))
    for index, points in enumerate(series.values()):
        color = colors[index % len(colors)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(points):
            if v is None:
                runs.append([])
                continue
            x = PAD_LEFT + plot_w * (i + 0.5) / n
            y = PAD_TOP + plot_h - plot_h * (v / y_max)
            runs[-1].append(f"{x:.1f},{y:.1f}")
        for run in runs:
            if len(run) == 1:
                cx, cy = run[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{escape(color)}"/>')
            elif run:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{escape(color)}" '
                    f'stroke-width="2" stroke-linejoin="round"/>'
                )
    parts += _legend(list(series), colors)
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    colors: Sequence[str] | None = None,
    *,
    stacked: bool = False,
) -> str:
    """Grouped (or stacked) vertical bars per label; a None value draws no bar."""
    colors = list(colors or PALETTE)
    n = max(1, len(labels))
    if stacked:
        tops = [sum(s[i] or 0 for s in series.values()) for i in range(len(labels))]
    else:
        tops = [v or 0 for s in series.values() for v in s]
    y_max = _nice_max(max(tops, default=0.0))
    every = max(1, math.ceil(len(labels) / 12))
    parts = _frame(title, y_max, labels, every)
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / n
    groups = 1 if stacked else max(1, len(series))
    bar_w = max(1.0, slot * 0.8 / groups)
    base = [0.0] * len(labels)
    for index, (name, values) in enumerate(series.items()):
        color = colors[index % len(colors)]
        for i, v in enumerate(values):
            if v is None or v <= 0:
                continue
            h = plot_h * v / y_max
            x = PAD_LEFT + slot * i + slot * 0.1 + (0 if stacked else bar_w * index)
            y = PAD_TOP + plot_h - h - (plot_h * base[i] / y_max if stacked else 0)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{escape(color)}">'
                f"<title>{escape(name)}: {escape(_fmt(v))}</title></rect>"
            )
            if stacked:
                base[i] += v
    parts += _legend(list(series), colors)
    parts.append("</svg>")
    return "".join(parts)
