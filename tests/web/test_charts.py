"""The workbench's Plotly figures (answerkey.web.charts): the right traces with the right values, and JSON that a
browser's ``JSON.parse`` accepts (no NaN)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from answerkey.web import charts


def strict_json(figure: dict[str, Any]) -> Any:
    """The figure through strict JSON: NaN or Infinity anywhere fails."""
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in a figure")

    return json.loads(json.dumps(figure), parse_constant=refuse)


def trace(figure: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in figure["data"] if t.get("name") == name)


REALIZED = [
    {"window_start": "2026-05-04T00:00:00", "metric": "accuracy", "label": None, "value": 0.80, "lower": 0.75,
     "upper": 0.85, "n": 300},
    {"window_start": "2026-05-11T00:00:00", "metric": "accuracy", "label": None, "value": 0.70, "lower": 0.64,
     "upper": 0.76, "n": 250},
    {"window_start": "2026-05-11T00:00:00", "metric": "accuracy", "label": "billing", "value": 0.1, "lower": 0.0,
     "upper": 0.2, "n": 20},
    {"window_start": "2026-05-11T00:00:00", "metric": "f1_macro", "label": None, "value": 0.5, "lower": 0.4,
     "upper": 0.6, "n": 250},
]
ESTIMATED = [
    {"window_start": "2026-05-04T00:00:00", "realized_metric": "accuracy", "estimated": 0.78,
     "lower_threshold": 0.76, "upper_threshold": 0.84, "alert": False},
    {"window_start": "2026-05-11T00:00:00", "realized_metric": "accuracy", "estimated": 0.74,
     "lower_threshold": 0.76, "upper_threshold": 0.84, "alert": True},
    {"window_start": "2026-05-18T00:00:00", "realized_metric": "accuracy", "estimated": float("nan"),
     "lower_threshold": 0.76, "upper_threshold": 0.84, "alert": False},
]


def test_a_bar_figure_draws_one_bar_per_key_in_order() -> None:
    figure = charts.bar_figure({"billing": 3, "account": 1}, "labels")
    bars = figure["data"][0]
    assert bars["type"] == "bar"
    assert bars["y"] == ["billing", "account"]
    assert bars["x"] == [3, 1]
    assert figure["layout"]["title"]["text"] == "labels"


def test_a_grouped_bar_figure_has_one_trace_per_series() -> None:
    figure = charts.grouped_bar_figure(["a", "b"], {"2026-04": [1, 2], "2026-11": [3, 4]}, "labels")
    assert [t["name"] for t in figure["data"]] == ["2026-04", "2026-11"]
    assert trace(figure, "2026-11")["y"] == [3, 4]
    assert figure["layout"]["barmode"] == "group"


def test_a_heatmap_keeps_its_cells_and_turns_nan_into_gaps() -> None:
    figure = charts.heatmap_figure([[0.9, float("nan")], [0.2, 0.8]], ["x", "y"], ["a", "b"], "confusion")
    cells = figure["data"][0]
    assert cells["z"] == [[0.9, None], [0.2, 0.8]]
    assert (cells["x"], cells["y"]) == (["x", "y"], ["a", "b"])
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"  # the first row on top


def test_an_interval_figure_draws_asymmetric_error_bars() -> None:
    figure = charts.interval_figure(["ana", "ben"], [0.9, 0.5], [0.85, 0.4], [0.93, 0.65], "agreement")
    dots = figure["data"][0]
    assert dots["x"] == [0.9, 0.5]
    assert dots["error_x"]["array"] == pytest.approx([0.03, 0.15])
    assert dots["error_x"]["arrayminus"] == pytest.approx([0.05, 0.1])


def test_a_kappa_matrix_is_symmetric_and_blank_where_no_pair_was_measured() -> None:
    pairs = [{"annotator_a": "ana", "annotator_b": "ben", "cohen_kappa": 0.7},
             {"annotator_a": "ben", "annotator_b": "cy", "cohen_kappa": 0.4}]
    cells = charts.kappa_matrix_figure(pairs, "kappa")["data"][0]
    assert cells["x"] == cells["y"] == ["ana", "ben", "cy"]
    assert cells["z"] == [[None, 0.7, None], [0.7, None, 0.4], [None, 0.4, None]]


def test_the_performance_figure_draws_realized_estimated_the_interval_and_the_band() -> None:
    figure = charts.performance_figure(REALIZED, ESTIMATED, "accuracy")
    names = [t["name"] for t in figure["data"]]
    assert {"realized", "estimated", "reference band", "realized 95% interval", "estimate outside the band"} <= set(
        names)
    windows = ["2026-05-04", "2026-05-11", "2026-05-18"]
    realized, estimated = trace(figure, "realized"), trace(figure, "estimated")
    assert realized["x"] == estimated["x"] == windows
    assert realized["y"] == [0.80, 0.70, None]  # the per-label row is not the overall metric
    assert estimated["y"] == [0.78, 0.74, None]
    assert trace(figure, "reference band")["y"] == [0.76, 0.76, 0.76]
    assert trace(figure, "reference band")["fill"] == "tonexty"
    assert trace(figure, "realized 95% interval")["y"] == [0.75, 0.64, None]
    assert trace(figure, "estimate outside the band")["x"] == ["2026-05-11"]


def test_the_performance_figure_without_estimates_has_no_band() -> None:
    figure = charts.performance_figure(REALIZED, [], "f1_macro")
    names = [t["name"] for t in figure["data"]]
    assert "estimated" not in names
    assert "reference band" not in names
    assert trace(figure, "realized")["y"] == [0.5]


def test_the_coverage_figure_reads_iso_durations_as_days() -> None:
    windows = [{"window_start": "2026-05-04T00:00:00", "coverage": 0.9, "lag_median": "P1DT12H", "mature": True},
               {"window_start": "2026-05-11T00:00:00", "coverage": 0.3, "lag_median": None, "mature": False}]
    figure = charts.coverage_figure(windows)
    assert figure["data"][0]["y"] == [0.9, 0.3]
    assert trace(figure, "median lag (days)")["y"] == [1.5, None]
    assert figure["data"][0]["marker"]["color"][0] != figure["data"][0]["marker"]["color"][1]  # immature is pale


def test_the_drift_figure_shows_effect_over_threshold() -> None:
    rows = [{"column": "segment", "window": "2026-05-04T00:00:00", "effect_size": 0.2, "threshold": 0.1},
            {"column": "segment", "window": "2026-05-11T00:00:00", "effect_size": 0.05, "threshold": 0.1},
            {"column": "words", "window": "2026-05-04T00:00:00", "effect_size": 0.3, "threshold": 0.0}]
    cells = charts.drift_figure(rows)["data"][0]
    assert cells["y"] == ["segment", "words"]
    assert cells["x"] == ["2026-05-04", "2026-05-11"]
    assert cells["z"] == [[pytest.approx(2.0), pytest.approx(0.5)], [None, None]]


def test_the_ledger_figure_has_one_line_per_metric_over_the_looks() -> None:
    entries = [{"entry_id": 1, "model": "v1", "metrics": {"f1": 0.7}},
               {"entry_id": 2, "model": "v2", "metrics": {"f1": 0.75, "accuracy": 0.8}}]
    figure = charts.ledger_figure(entries)
    assert [t["name"] for t in figure["data"]] == ["f1", "accuracy"]
    assert trace(figure, "f1")["x"] == [1, 2]
    assert trace(figure, "accuracy")["y"] == [None, 0.8]


def test_the_accuracy_figure_follows_the_runs_in_order() -> None:
    runs = [{"run_id": "r1", "started_at": "2026-01-01T00:00:00", "accuracy": 0.5},
            {"run_id": "r2", "started_at": "2026-02-01T00:00:00", "accuracy": math.nan}]
    line = charts.accuracy_figure(runs)["data"][0]
    assert line["text"] == ["r1", "r2"]
    assert line["y"] == [0.5, None]


@pytest.mark.parametrize("figure", [
    charts.bar_figure({"a": 1}, "t"),
    charts.heatmap_figure([[math.nan, math.inf]], ["a", "b"], ["c"], "t"),
    charts.interval_figure(["a"], [math.nan], [math.nan], [math.nan], "t"),
    charts.performance_figure(REALIZED, ESTIMATED, "accuracy"),
    charts.drift_figure([{"column": "c", "window": "2026-01-01", "effect_size": math.nan, "threshold": 0.1}]),
    charts.accuracy_figure([{"run_id": "r", "started_at": "2026-01-01", "accuracy": math.nan}]),
], ids=["bar", "heatmap", "interval", "performance", "drift", "accuracy"])
def test_every_figure_is_strict_json(figure: dict[str, Any]) -> None:
    parsed = strict_json(figure)
    assert set(parsed) == {"data", "layout"}
