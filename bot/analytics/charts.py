"""Charts as SVG, written here on the server: no script, no CDN, no plotting library.

Two kinds are enough for the dashboard: ``columns`` (one column per label,
series stacked: per day, per band) and ``bars`` (horizontal, series side by
side: per category, per channel). Each SVG is ``role="img"`` named by its
``<title>`` and described by its ``<desc>`` (the figure's headline), and the
page puts the same numbers in a table beside it for screen readers. Every
label is escaped. Colours are the Okabe-Ito palette (told apart with colour
blindness), with text in near-black on white.
"""

from __future__ import annotations

import math
from html import escape
from typing import List, Sequence, Tuple

from bot.analytics.figures import Chart, Figure

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
TEXT = "#1a1a1a"
GRID = "#d0d0d0"
WIDTH = 720
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def nice_top(value: float) -> Tuple[float, float]:
    """An axis top at or above ``value`` and its gridline step: 1, 2 or 5 times a power of ten."""
    if value <= 4:
        return float(max(1, math.ceil(value))), 1.0
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return step * math.ceil(value / step), step


def number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"


def svg(figure: Figure, element_id: str) -> str:
    """The figure's chart as an inline SVG element (a string ready to put in the page unescaped)."""
    chart = figure.chart
    body, height = (_columns if chart.kind == "columns" else _bars)(chart)
    title, desc = f"{element_id}-title", f"{element_id}-desc"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{title}" aria-describedby="{desc}" '
            f'viewBox="0 0 {WIDTH} {height}" width="100%" class="chart" {FONT}>'
            f'<title id="{title}">{escape(figure.title)}</title><desc id="{desc}">{escape(figure.summary)}</desc>'
            f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>{_legend(chart)}{body}</svg>')


def _legend(chart: Chart) -> str:
    if len(chart.series) < 2:
        return ""
    parts, x = [], 8
    for n, (name, _) in enumerate(chart.series):
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{PALETTE[n % len(PALETTE)]}"/>'
                     f'<text x="{x + 16}" y="16" fill="{TEXT}">{escape(name)}</text>')
        x += 28 + 7 * len(name)
    return "".join(parts)


def _columns(chart: Chart) -> Tuple[str, int]:
    """Stacked columns, one per label, with a value axis on the left."""
    height, top, bottom, left, right = 280, 30, 54, 56, 10
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    labels = chart.labels or [""]
    totals = [sum(values[i] for _, values in chart.series) for i in range(len(chart.labels))] or [0.0]
    peak, step = nice_top(max(totals))
    parts: List[str] = []
    for n in range(int(round(peak / step)) + 1):
        value = n * step
        y = top + plot_h - plot_h * value / peak
        parts.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">{number(value)}</text>')
    slot = plot_w / len(labels)
    gap = min(2.0, slot * 0.2)
    for i in range(len(chart.labels)):
        x, base = left + i * slot + gap / 2, float(top + plot_h)
        for n, (_, values) in enumerate(chart.series):
            h = plot_h * values[i] / peak
            if h > 0:
                parts.append(f'<rect x="{x:.2f}" y="{base - h:.2f}" width="{max(slot - gap, 0.5):.2f}" '
                             f'height="{h:.2f}" fill="{PALETTE[n % len(PALETTE)]}"/>')
                base -= h
    every = max(1, math.ceil(len(labels) / 12))  # at most a dozen labels under the axis
    for i in range(0, len(chart.labels), every):
        x = left + (i + 0.5) * slot
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" fill="{TEXT}">'
                     f'{escape(chart.labels[i])}</text>')
    if chart.unit:
        parts.append(f'<text x="{left}" y="{height - 8}" fill="{TEXT}">{escape(chart.unit)}</text>')
    parts.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{TEXT}"/>')
    return "".join(parts), height


def _bars(chart: Chart) -> Tuple[str, int]:
    """Horizontal bars, one group per label, series side by side, values written at the end."""
    left, right, top, bar, gap = 210, 70, 28 if len(chart.series) > 1 else 8, 14, 10
    group = bar * max(1, len(chart.series)) + gap
    height = top + group * max(1, len(chart.labels)) + 8
    plot_w = WIDTH - left - right
    peak = max([v for _, values in chart.series for v in values] + [0.0]) or 1.0
    parts: List[str] = []
    if not chart.labels:
        parts.append(f'<text x="8" y="{top + 14}" fill="{TEXT}">Nothing in this period.</text>')
    for i, label in enumerate(chart.labels):
        y0 = top + i * group
        parts.append(f'<text x="{left - 8}" y="{y0 + group / 2 + 1:.1f}" text-anchor="end" fill="{TEXT}">'
                     f'{escape(_short(label))}</text>')
        for n, (_, values) in enumerate(chart.series):
            w, y = plot_w * values[i] / peak, y0 + n * bar
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.2f}" height="{bar - 2}" '
                         f'fill="{PALETTE[n % len(PALETTE)]}"/>'
                         f'<text x="{left + w + 4:.2f}" y="{y + bar - 4}" fill="{TEXT}">'
                         f'{number(values[i])}{escape(chart.unit) if chart.unit == "%" else ""}</text>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top - 2}" y2="{height - 6}" stroke="{TEXT}"/>')
    return "".join(parts), height


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"


def all_svgs(figures: Sequence[Figure]) -> List[str]:
    return [svg(f, f"chart-{f.key}") for f in figures]
