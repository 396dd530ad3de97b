"""Plotly figures for the workbench pages, as plain dicts (``{"data": [...], "layout": {...}}``).

Pure functions of plain data: no I/O, no Plotly import. A page embeds a figure as JSON in a
``<script type="application/json">`` block and ``static/pages.js`` draws it with ``Plotly.newPlot`` from the
locally served ``plotly.min.js``. Every figure is JSON-clean (:func:`answerkey.jsonable.plain`): NaN and
infinities become ``null`` (a gap), dates become ISO strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from answerkey.jsonable import plain

__all__ = [
    "accuracy_figure",
    "bar_figure",
    "coverage_figure",
    "drift_figure",
    "grouped_bar_figure",
    "heatmap_figure",
    "interval_figure",
    "kappa_matrix_figure",
    "ledger_figure",
    "performance_figure",
]

Figure = dict[str, Any]

ACCENT = "#2457c5"
SECOND = "#d9480f"
BAND = "rgba(120, 130, 150, 0.18)"
INTERVAL = "rgba(36, 87, 197, 0.15)"
FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 13}
SEQUENTIAL = [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]]
"""Light (0) to dark blue (1): rates, shares."""
DIVERGING = [[0.0, "#b42318"], [0.5, "#f7f7f7"], [1.0, "#2457c5"]]
"""Red (low) through white to blue (high): agreement coefficients."""
HEAT = [[0.0, "#fff7ec"], [0.5, "#fc8d59"], [1.0, "#7f0000"]]
"""Pale (none) to dark red (much): drift."""
Colorscale = list[list[Any]]


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"title": {"text": title, "font": {"size": 15}}, "font": FONT,
                            "margin": {"l": 60, "r": 20, "t": 48, "b": 48}, "paper_bgcolor": "#fff",
                            "plot_bgcolor": "#fff", "hovermode": "closest"}
    return base | extra


def _figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> Figure:
    cleaned: Figure = plain({"data": data, "layout": layout})
    return cleaned


def _day(value: Any) -> str:
    return str(value)[:10]


def bar_figure(values: Mapping[str, float], title: str, *, value_title: str = "") -> Figure:
    """Horizontal bars, one per key, in the mapping's order (top to bottom).

    >>> bar_figure({"billing": 3, "account": 1}, "labels")["data"][0]["x"]
    [3, 1]
    """
    names = [str(k) for k in values]
    data = [{"type": "bar", "orientation": "h", "x": list(values.values()), "y": names,
             "marker": {"color": ACCENT}, "hovertemplate": "%{y}: %{x:,}<extra></extra>"}]
    return _figure(data, _layout(title, height=90 + 26 * max(len(names), 1),
                                 xaxis={"title": {"text": value_title}},
                                 yaxis={"automargin": True, "autorange": "reversed"},
                                 margin={"l": 20, "r": 20, "t": 48, "b": 40}))


def grouped_bar_figure(categories: Sequence[str], series: Mapping[str, Sequence[float]], title: str, *,
                       value_title: str = "") -> Figure:
    """Vertical bars per category, one colour per series side by side (e.g. label counts of two releases)."""
    colours = (ACCENT, SECOND, "#2b8a3e", "#862e9c")
    data = [{"type": "bar", "name": str(name), "x": list(categories), "y": list(values),
             "marker": {"color": colours[i % len(colours)]}}
            for i, (name, values) in enumerate(series.items())]
    return _figure(data, _layout(title, barmode="group", height=360, yaxis={"title": {"text": value_title}},
                                 xaxis={"automargin": True}, legend={"orientation": "h", "y": 1.1}))


def heatmap_figure(z: Sequence[Sequence[float | None]], x: Sequence[str], y: Sequence[str], title: str, *,
                   x_title: str = "", y_title: str = "", zmin: float | None = None, zmax: float | None = None,
                   colorscale: Colorscale | None = None, value_format: str = ".2f") -> Figure:
    """A heat map with each cell's value written in it; the first row of ``z`` is drawn at the top."""
    data = [{"type": "heatmap", "z": [list(row) for row in z], "x": [str(v) for v in x], "y": [str(v) for v in y],
             "zmin": zmin, "zmax": zmax, "colorscale": colorscale or SEQUENTIAL,
             "texttemplate": f"%{{z:{value_format}}}",
             "hovertemplate": f"{y_title or 'row'} %{{y}}, {x_title or 'column'} %{{x}}: "
                              f"%{{z:{value_format}}}<extra></extra>",
             "xgap": 1, "ygap": 1}]
    size = max(len(y), 1)
    return _figure(data, _layout(title, height=min(160 + 34 * size, 900),
                                 xaxis={"title": {"text": x_title}, "automargin": True, "side": "bottom"},
                                 yaxis={"title": {"text": y_title}, "automargin": True, "autorange": "reversed"}))


def interval_figure(names: Sequence[str], values: Sequence[float | None], lows: Sequence[float | None],
                    highs: Sequence[float | None], title: str, *, value_title: str = "") -> Figure:
    """One dot per name with its interval as error bars (horizontal), the first name at the top."""
    minus = [None if v is None or lo is None else float(v) - float(lo) for v, lo in zip(values, lows, strict=True)]
    plus = [None if v is None or hi is None else float(hi) - float(v) for v, hi in zip(values, highs, strict=True)]
    data = [{"type": "scatter", "mode": "markers", "x": list(values), "y": [str(n) for n in names],
             "marker": {"color": ACCENT, "size": 9},
             "error_x": {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                         "color": ACCENT, "thickness": 1.5, "width": 4},
             "hovertemplate": "%{y}: %{x:.3f}<extra></extra>"}]
    return _figure(data, _layout(title, height=110 + 30 * max(len(names), 1),
                                 xaxis={"title": {"text": value_title}, "range": [0, 1.02]},
                                 yaxis={"automargin": True, "autorange": "reversed"}))


def kappa_matrix_figure(pairs: Sequence[Mapping[str, Any]], title: str, *, value: str = "cohen_kappa") -> Figure:
    """A symmetric annotator x annotator heat map of a pairwise statistic (``annotator_a``, ``annotator_b``,
    ``value``); pairs without a value stay blank."""
    names = sorted({str(p["annotator_a"]) for p in pairs} | {str(p["annotator_b"]) for p in pairs})
    where = {name: i for i, name in enumerate(names)}
    z: list[list[float | None]] = [[None] * len(names) for _ in names]
    for pair in pairs:
        a, b = where[str(pair["annotator_a"])], where[str(pair["annotator_b"])]
        z[a][b] = z[b][a] = pair[value]
    return heatmap_figure(z, names, names, title, x_title="annotator", y_title="annotator", zmin=-0.2, zmax=1.0,
                          colorscale=DIVERGING, value_format=".2f")


def performance_figure(realized: Sequence[Mapping[str, Any]], estimated: Sequence[Mapping[str, Any]],
                       metric: str) -> Figure:
    """A monitor run's ``metric`` by window: realized (with its interval), estimated, and the reference band.

    ``realized`` are the run's ``realized`` rows (``window_start``, ``metric``, ``label``, ``value``, ``lower``,
    ``upper``); ``estimated`` its ``estimated`` rows (``window_start``, ``realized_metric``, ``estimated``,
    ``lower_threshold``, ``upper_threshold``, ``alert``). Only the overall rows (no ``label``) are drawn.
    """
    mine = {_day(r["window_start"]): r for r in realized if r["metric"] == metric and r.get("label") is None}
    guesses = {_day(r["window_start"]): r for r in estimated if r.get("realized_metric") == metric}
    windows = sorted(set(mine) | set(guesses))

    def column(rows: Mapping[str, Mapping[str, Any]], key: str) -> list[Any]:
        return [rows[w].get(key) if w in rows else None for w in windows]

    data: list[dict[str, Any]] = []
    if guesses:
        data += [{"type": "scatter", "mode": "lines", "x": windows, "y": column(guesses, "upper_threshold"),
                  "line": {"width": 0, "color": BAND}, "hoverinfo": "skip", "showlegend": False,
                  "name": "reference band (upper)"},
                 {"type": "scatter", "mode": "lines", "x": windows, "y": column(guesses, "lower_threshold"),
                  "line": {"width": 0, "color": BAND}, "fill": "tonexty", "fillcolor": BAND,
                  "name": "reference band", "hoverinfo": "skip"}]
    if mine and any(v is not None for v in column(mine, "upper")):
        data += [{"type": "scatter", "mode": "lines", "x": windows, "y": column(mine, "upper"),
                  "line": {"width": 0, "color": INTERVAL}, "hoverinfo": "skip", "showlegend": False,
                  "name": "realized interval (upper)"},
                 {"type": "scatter", "mode": "lines", "x": windows, "y": column(mine, "lower"),
                  "line": {"width": 0, "color": INTERVAL}, "fill": "tonexty", "fillcolor": INTERVAL,
                  "name": "realized 95% interval", "hoverinfo": "skip"}]
    if mine:
        data.append({"type": "scatter", "mode": "lines+markers", "x": windows, "y": column(mine, "value"),
                     "name": "realized", "line": {"color": ACCENT, "width": 2},
                     "customdata": column(mine, "n"),
                     "hovertemplate": "%{x}: %{y:.3f} on %{customdata:,} outcomes<extra>realized</extra>"})
    if guesses:
        data.append({"type": "scatter", "mode": "lines+markers", "x": windows, "y": column(guesses, "estimated"),
                     "name": "estimated", "line": {"color": SECOND, "width": 2, "dash": "dash"},
                     "hovertemplate": "%{x}: %{y:.3f}<extra>estimated</extra>"})
        alerts = [(w, guesses[w].get("estimated")) for w in windows if w in guesses and guesses[w].get("alert")]
        if alerts:
            data.append({"type": "scatter", "mode": "markers", "x": [w for w, _ in alerts],
                         "y": [v for _, v in alerts], "name": "estimate outside the band",
                         "marker": {"color": "#b42318", "size": 9, "symbol": "x"},
                         "hovertemplate": "%{x}: %{y:.3f}<extra>alert</extra>"})
    return _figure(data, _layout(f"{metric} by window", height=400, yaxis={"title": {"text": metric}},
                                 legend={"orientation": "h", "y": -0.15},
                                 margin={"l": 60, "r": 20, "t": 48, "b": 70}))


def coverage_figure(windows: Sequence[Mapping[str, Any]]) -> Figure:
    """Label lag by window: the share of predictions with an outcome yet (bars) and the median lag in days.

    ``windows`` are a monitor run's ``lag.windows`` (``window_start``, ``coverage``, ``lag_median`` as an ISO
    8601 duration, ``mature``).
    """
    starts = [_day(w["window_start"]) for w in windows]
    days = [None if w.get("lag_median") is None else pd.Timedelta(w["lag_median"]).total_seconds() / 86400
            for w in windows]
    colours = [ACCENT if w.get("mature", True) else "#9bb1e0" for w in windows]
    data = [{"type": "bar", "x": starts, "y": [w.get("coverage") for w in windows], "name": "with an outcome",
             "marker": {"color": colours}, "hovertemplate": "%{x}: %{y:.0%} with an outcome<extra></extra>"},
            {"type": "scatter", "mode": "lines+markers", "x": starts, "y": days, "name": "median lag (days)",
             "yaxis": "y2", "line": {"color": SECOND}, "hovertemplate": "%{x}: %{y:.1f} days<extra></extra>"}]
    return _figure(data, _layout("Label coverage and lag by window (pale bars: not mature yet)", height=340,
                                 yaxis={"title": {"text": "share with an outcome"}, "tickformat": ".0%",
                                        "range": [0, 1.05]},
                                 yaxis2={"title": {"text": "median lag (days)"}, "overlaying": "y", "side": "right",
                                         "rangemode": "tozero"},
                                 legend={"orientation": "h", "y": -0.15},
                                 margin={"l": 60, "r": 70, "t": 48, "b": 70}))


def drift_figure(drift: Sequence[Mapping[str, Any]]) -> Figure:
    """Drift by column and window: effect size over its threshold (1 or more: a material shift)."""
    columns = list(dict.fromkeys(str(r["column"]) for r in drift))
    windows = sorted({_day(r["window"]) for r in drift})
    cells: dict[tuple[str, str], float | None] = {}
    for r in drift:
        threshold, effect = r.get("threshold"), r.get("effect_size")
        ratio = None if effect is None or not threshold else float(effect) / float(threshold)
        cells[(str(r["column"]), _day(r["window"]))] = ratio
    z = [[cells.get((c, w)) for w in windows] for c in columns]
    return heatmap_figure(z, windows, columns, "Drift: effect size / threshold (1 or more: material)",
                          x_title="window", y_title="column", zmin=0.0, zmax=2.0, colorscale=HEAT,
                          value_format=".1f")


def ledger_figure(entries: Sequence[Mapping[str, Any]]) -> Figure:
    """Each metric recorded in a test ledger, look by look (``entry_id``, ``model``, ``metrics``)."""
    names = list(dict.fromkeys(name for entry in entries for name in (entry.get("metrics") or {})))
    looks = list(range(1, len(entries) + 1))
    data = [{"type": "scatter", "mode": "lines+markers", "x": looks, "name": name,
             "y": [(entry.get("metrics") or {}).get(name) for entry in entries],
             "text": [str(entry.get("model", "")) for entry in entries],
             "hovertemplate": "look %{x} (%{text}): %{y:.3f}<extra>" + name + "</extra>"} for name in names]
    return _figure(data, _layout("The test set, look by look", height=340,
                                 xaxis={"title": {"text": "look"}, "dtick": 1}, yaxis={"title": {"text": "metric"}},
                                 legend={"orientation": "h", "y": -0.25}, margin={"l": 60, "r": 20, "t": 48, "b": 80}))


def accuracy_figure(runs: Sequence[Mapping[str, Any]]) -> Figure:
    """Accuracy of each recorded evaluation run, oldest first (``run_id``, ``started_at``, ``accuracy``)."""
    data = [{"type": "scatter", "mode": "lines+markers", "x": [str(r["started_at"])[:19] for r in runs],
             "y": [r.get("accuracy") for r in runs], "text": [str(r["run_id"]) for r in runs],
             "line": {"color": ACCENT}, "name": "accuracy",
             "hovertemplate": "%{text}: %{y:.1%}<extra></extra>"}]
    return _figure(data, _layout("Accuracy by run", height=300, yaxis={"tickformat": ".0%", "range": [0, 1.02]},
                                 xaxis={"title": {"text": "started"}}))
