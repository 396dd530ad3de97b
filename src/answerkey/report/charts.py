"""Small inline SVG charts: the report is one file with no scripts or downloads."""

from __future__ import annotations

from html import escape

__all__ = ["bar_chart", "stacked_columns"]

PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#9d755d")


def bar_chart(values: dict[str, int], title: str, width: int = 560) -> str:
    """Horizontal bars, one per key."""
    if not values:
        return ""
    top = max(values.values()) or 1
    row, label_width = 22, 170
    height = row * len(values) + 30
    bars = []
    for i, (name, value) in enumerate(values.items()):
        y = 24 + i * row
        length = (width - label_width - 70) * value / top
        bars.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{escape(str(name))}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" fill="{PALETTE[0]}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 14}">{value:,}</text>'
        )
    return (f'<svg class="chart" width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
            f'<text x="0" y="14" class="title">{escape(title)}</text>{"".join(bars)}</svg>')


def stacked_columns(categories: list[str], series: dict[str, list[int]], title: str, width: int = 760) -> str:
    """Stacked columns over categories (months), one colour per series, with a legend."""
    if not categories:
        return ""
    totals = [sum(values[i] for values in series.values()) for i in range(len(categories))]
    top = max(totals) or 1
    plot_h, base = 180, 210
    step = (width - 40) / len(categories)
    parts = [f'<text x="0" y="14" class="title">{escape(title)}</text>']
    for i, category in enumerate(categories):
        y: float = base
        for k, values in enumerate(series.values()):
            h = plot_h * values[i] / top
            y -= h
            parts.append(f'<rect x="{30 + i * step:.1f}" y="{y:.1f}" width="{step * 0.8:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(category)}: {values[i]:,}</title></rect>')
        if i % max(1, len(categories) // 9) == 0:
            parts.append(f'<text x="{30 + i * step:.1f}" y="{base + 14}" class="tick">{escape(category)}</text>')
    for k, name in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        parts.append(f'<rect x="{30 + k * 110}" y="{base + 24}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{44 + k * 110}" y="{base + 33}">{escape(name)}</text>')
    return f'<svg class="chart" width="{width}" height="{base + 44}" role="img">{"".join(parts)}</svg>'
