"""Realized classification metrics from a confusion table counted in the engine.

The engine counts predictions per window, segment, predicted label and outcome; that small table comes back
and gives accuracy, per-class precision, recall and F1, and their macro averages, exactly as scikit-learn
computes them on the same rows (the classes of a window are those predicted or observed in it; a class never
predicted has precision ``zero_division``, as in scikit-learn).

Intervals: Wilson for accuracy, precision and recall (proportions of counts); for F1 and the macro averages,
the percentile interval of ``n_boot`` multinomial resamples of the window's confusion table (the bootstrap
of its predictions, drawn from the counts without pulling a row).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from answerkey.intervals import percentile_interval, wilson_interval

__all__ = ["METRIC_COLUMNS", "confusion_metrics", "confusion_table", "metric_row"]

METRIC_COLUMNS = ("metric", "label", "value", "lower", "upper", "n", "note")
"""The columns every metric row has after its window and segment keys."""


def confusion_table(table: Any, keys: Sequence[str], predicted: Any) -> Any:
    """Ibis expression: the count of each (keys..., predicted, outcome) among ``table``'s rows."""
    counted = table.select(*keys, predicted=predicted, outcome=table.outcome)
    return counted.group_by([*keys, "predicted", "outcome"]).agg(count=counted.count())


def metric_row(keys: dict[str, Any], metric: str, label: Any, value: float, lower: float, upper: float,
               n: int, note: str = "") -> dict[str, Any]:
    """One row of the long result: the window and segment keys, then :data:`METRIC_COLUMNS`."""
    label = label.item() if isinstance(label, np.generic) else label  # plain Python values, JSON-ready
    return {**keys, "metric": metric, "label": label, "value": float(value), "lower": float(lower),
            "upper": float(upper), "n": int(n), "note": note}


def confusion_metrics(confusion: pd.DataFrame, keys: Sequence[str], *, confidence: float, zero_division: float,
                      n_boot: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Accuracy, per-class and macro precision, recall and F1 of each group of a confusion count table."""
    rows: list[dict[str, Any]] = []
    if confusion.empty:
        return rows
    for values, group in confusion.groupby(list(keys), dropna=False, sort=True):
        key_values = dict(zip(keys, values if isinstance(values, tuple) else (values,), strict=True))
        rows += _group_metrics(group, key_values, confidence, zero_division, n_boot, rng)
    return rows


def _group_metrics(group: pd.DataFrame, keys: dict[str, Any], confidence: float, zero_division: float,
                   n_boot: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """The metrics of one window (and segment) from its confusion counts."""
    labels = sorted(set(group["predicted"]) | set(group["outcome"]))
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)))
    np.add.at(matrix, (group["outcome"].map(index).to_numpy(int), group["predicted"].map(index).to_numpy(int)),
              group["count"].to_numpy(float))
    n = int(matrix.sum())
    tp, predicted, actual = np.diag(matrix), matrix.sum(axis=0), matrix.sum(axis=1)
    scores = _scores(tp[None], predicted[None], actual[None], zero_division)
    draws = _bootstrap(matrix, n_boot, rng, zero_division)
    rows = [metric_row(keys, "accuracy", None, tp.sum() / n, *_first(wilson_interval([tp.sum()], [n], confidence)),
                       n)]
    precision_low, precision_high = wilson_interval(tp, predicted, confidence)
    recall_low, recall_high = wilson_interval(tp, actual, confidence)
    f1_low, f1_high = percentile_interval(draws["f1"], confidence)
    for i, label in enumerate(labels):
        never = "never predicted: precision is zero_division" if predicted[i] == 0 else ""
        rows.append(metric_row(keys, "precision", label, scores["precision"][0, i], precision_low[i],
                               precision_high[i], predicted[i], never))
        absent = "not among the outcomes: recall is zero_division" if actual[i] == 0 else ""
        rows.append(metric_row(keys, "recall", label, scores["recall"][0, i], recall_low[i], recall_high[i],
                               actual[i], absent))
        rows.append(metric_row(keys, "f1", label, scores["f1"][0, i], f1_low[i], f1_high[i], n))
    for name in ("precision", "recall", "f1"):
        low, high = percentile_interval(_macro(draws[name], zero_division)[:, None], confidence)
        rows.append(metric_row(keys, f"{name}_macro", None, _macro(scores[name], zero_division)[0], low[0], high[0],
                               n, f"mean over {len(labels)} classes"))
    return rows


def _scores(tp: npt.NDArray[np.float64], predicted: npt.NDArray[np.float64], actual: npt.NDArray[np.float64],
            zero_division: float) -> dict[str, npt.NDArray[np.float64]]:
    """Precision, recall and F1 per class (last axis), with scikit-learn's zero_division rule."""
    return {"precision": _ratio(tp, predicted, zero_division), "recall": _ratio(tp, actual, zero_division),
            "f1": _ratio(2 * tp, predicted + actual, zero_division)}


def _ratio(top: npt.NDArray[np.float64], bottom: npt.NDArray[np.float64],
           zero_division: float) -> npt.NDArray[np.float64]:
    """``top / bottom``, and ``zero_division`` where the bottom is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, top / bottom, zero_division)


def _macro(values: npt.NDArray[np.float64], zero_division: float) -> npt.NDArray[np.float64]:
    """Mean over classes (last axis); with ``zero_division=nan`` the undefined classes are left out."""
    if np.isnan(zero_division):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a draw where every class is undefined
            return np.asarray(np.nanmean(values, axis=-1), dtype=float)
    return np.asarray(values.mean(axis=-1), dtype=float)


def _bootstrap(matrix: npt.NDArray[np.float64], n_boot: int, rng: np.random.Generator,
               zero_division: float) -> dict[str, npt.NDArray[np.float64]]:
    """Per-class precision, recall, F1 of ``n_boot`` multinomial resamples of the confusion table."""
    n = int(matrix.sum())
    k = matrix.shape[0]
    if n_boot == 0:
        return {name: np.empty((0, k)) for name in ("precision", "recall", "f1")}
    draws = rng.multinomial(n, matrix.ravel() / n, size=n_boot).reshape(n_boot, k, k).astype(float)
    tp = np.diagonal(draws, axis1=1, axis2=2)
    return _scores(tp, draws.sum(axis=1), draws.sum(axis=2), zero_division)


def _first(pair: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]) -> tuple[float, float]:
    """The first element of each array of an interval."""
    return float(pair[0][0]), float(pair[1][0])
