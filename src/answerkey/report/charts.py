"""Small inline SVG charts: the report is one file with no scripts or downloads."""

from __future__ import annotations

from html import escape

__all__ = ["bar_chart", "heatmap", "line_chart", "stacked_columns"]

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


def _blend(value: float) -> str:
    """White at 0 to the palette's blue at 1 (values outside are clipped)."""
    t = min(max(value, 0.0), 1.0)
    red, green, blue = (round(255 + (c - 255) * t) for c in (0x4C, 0x78, 0xA8))
    return f"#{red:02x}{green:02x}{blue:02x}"


def heatmap(rows: list[str], columns: list[str], values: list[list[float | None]], title: str,
            row_title: str = "", column_title: str = "", cell: int = 46) -> str:
    """A matrix of coloured cells with their values (two decimals); None is an empty grey cell."""
    if not rows or not columns:
        return ""
    longest = max(len(str(c)) for c in columns)
    left, top = 150, 46 + round(5.5 * longest)  # column names are rotated 50 degrees: about 5.5 px a character
    width, height = left + cell * len(columns) + round(4.5 * longest) + 10, top + cell * len(rows) + 10
    parts = [f'<text x="0" y="14" class="title">{escape(title)}</text>',
             f'<text x="0" y="32" class="tick">{escape(row_title)} (rows) x {escape(column_title)} (columns)</text>'
             if row_title or column_title else ""]
    for j, name in enumerate(columns):
        x = left + j * cell + cell / 2
        parts.append(f'<text x="{x:.1f}" y="{top - 6}" transform="rotate(-50 {x:.1f} {top - 6})">'
                     f"{escape(name)}</text>")
    for i, name in enumerate(rows):
        y = top + i * cell
        parts.append(f'<text x="{left - 6}" y="{y + cell / 2 + 4:.1f}" text-anchor="end">{escape(name)}</text>')
        for j, value in enumerate(values[i]):
            x = left + j * cell
            fill = "#eee" if value is None else _blend(value)
            ink = "#fff" if value is not None and value > 0.6 else "#222"
            text = "" if value is None else f"{value:.2f}"
            parts.append(f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}">'
                         f"<title>{escape(name)} / {escape(columns[j])}: {text or 'n/a'}</title></rect>"
                         f'<text x="{x + cell / 2 - 1:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle" '
                         f'fill="{ink}">{text}</text>')
    return (f'<svg class="chart" width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
            f'{"".join(parts)}</svg>')


def line_chart(categories: list[str], series: dict[str, list[float | None]], title: str,
               highlight: tuple[str, ...] = (), width: int = 760, low: float = 0.0, high: float = 1.0) -> str:
    """One line per series over categories (windows); gaps where a value is None; highlighted series bold."""
    if not categories or not series:
        return ""
    plot_h, base, left = 180, 200, 40
    step = (width - left - 130) / max(len(categories) - 1, 1)

    def y_of(value: float) -> float:
        return base - plot_h * (min(max(value, low), high) - low) / ((high - low) or 1.0)

    parts = [f'<text x="0" y="14" class="title">{escape(title)}</text>']
    for tick in (low, (low + high) / 2, high):
        parts.append(f'<line x1="{left}" x2="{left + step * (len(categories) - 1):.1f}" y1="{y_of(tick):.1f}" '
                     f'y2="{y_of(tick):.1f}" stroke="#ddd"/><text x="0" y="{y_of(tick) + 4:.1f}" class="tick">'
                     f"{tick:.2f}</text>")
    for i, category in enumerate(categories):
        if i % max(1, len(categories) // 9) == 0:
            parts.append(f'<text x="{left + i * step:.1f}" y="{base + 16}" class="tick">{escape(category)}</text>')
    for k, (name, values) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        bold = name in highlight
        runs: list[list[str]] = [[]]
        for i, value in enumerate(values):
            if value is None:
                runs.append([])
            else:
                runs[-1].append(f"{left + i * step:.1f},{y_of(value):.1f}")
        for run in runs:
            if run:
                parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                             f'stroke-width="{3 if bold else 1.3}"><title>{escape(name)}</title></polyline>')
        last = next((v for v in reversed(values) if v is not None), None)
        if last is not None:
            weight = ' font-weight="600"' if bold else ""
            parts.append(f'<text x="{left + step * (len(categories) - 1) + 6:.1f}" y="{y_of(last) + 4:.1f}" '
                         f'fill="{colour}"{weight}>{escape(name)}</text>')
    return f'<svg class="chart" width="{width}" height="{base + 26}" role="img">{"".join(parts)}</svg>'
