"""Realized performance: metrics by time window and segment over the predictions whose outcome has arrived.

The engine does the counting (a confusion table, per-score class counts for ROC AUC, per-bin sums for log
loss and calibration, error sums for regression); pandas turns those small tables into metrics with their
sample size and confidence interval. Windows (and segments) with fewer than ``min_labels`` labelled
predictions report NaN and a note instead of noise, and windows with no labels yet say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.monitoring.classification import METRIC_COLUMNS, confusion_metrics, confusion_table, metric_row
from answerkey.monitoring.inputs import PredictionLog
from answerkey.monitoring.probabilistic import probability_metrics, probability_table
from answerkey.monitoring.regression import regression_metrics, regression_table
from answerkey.monitoring.roc_auc import CLASS_KEY, auc_rows, one_vs_rest_table, rank_auc_table
from answerkey.monitoring.windows import assign_windows, check_segments, parse_windows, window_bounds

__all__ = ["METRICS", "TASKS", "realized_performance"]

TASKS = ("classification", "regression")

METRICS = ("accuracy", "precision", "recall", "f1", "precision_macro", "recall_macro", "f1_macro", "roc_auc",
           "roc_auc_macro", "log_loss", "calibration_error", "mae", "rmse", "mape")
"""Every metric name, in the order rows are reported."""


def realized_performance(
    log: PredictionLog,
    *,
    window: str | int = "day",
    by: str | Sequence[str] | None = None,
    task: str = "classification",
    min_labels: int = 30,
    as_of: Any = None,
    positive_label: Any = None,
    threshold: float = 0.5,
    n_bins: int = 10,
    confidence: float = 0.95,
    zero_division: float = 0.0,
    n_boot: int = 1000,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Realized metrics per window and segment, with sample sizes and confidence intervals.

    Parameters
    ----------
    log : PredictionLog
        From :func:`~answerkey.monitoring.load_prediction_log`.
    window : str or int
        ``"day"``, ``"week"``, ``"month"``, or a number of predictions per chunk.
    by : str or list of str, optional
        Segment columns.
    task : str
        ``"classification"``: accuracy, per-class and macro precision, recall and F1 (from ``prediction``,
        else from the class probabilities' argmax, else ``score >= threshold``); ROC AUC, log loss and
        calibration error when there is a ``score`` (binary) or ``class_scores`` (one-vs-rest, top-label).
        ``"regression"``: MAE, RMSE and MAPE of ``prediction`` (else ``score``) against the outcome.
    min_labels : int
        Fewer labelled predictions in a window (and segment) give NaN metrics and a note.
    as_of : datetime or ISO 8601 text, optional
        Look at the log as it stood then: the predictions made and the outcomes observed by then.
    positive_label : optional
        The class ``score`` is the probability of. Default: ``True`` for boolean outcomes, ``1`` for numbers.
    threshold : float
        The score at or above which a prediction is positive, when there is no prediction column.
    n_bins : int
        Equal-width bins of the calibration error.
    confidence : float
        Level of every interval.
    zero_division : float
        Precision (recall) of a class never predicted (never observed), as in scikit-learn; NaN leaves such
        classes out of the macro averages.
    n_boot, random_state : int
        Bootstrap resamples of the confusion table (F1 and macro intervals) and calibration bins, and their
        seed.

    Returns
    -------
    DataFrame
        Long: ``window_start``, ``window_end`` (``chunk``), the segment columns, ``metric``, ``label`` (the
        class of a per-class metric, else None), ``value``, ``lower``, ``upper``, ``n`` (the predictions the
        metric is computed on) and ``note``.

    Examples
    --------
    >>> import pandas as pd
    >>> from answerkey.monitoring import load_prediction_log
    >>> log = load_prediction_log(pd.DataFrame({
    ...     "prediction_id": range(6), "prediction": [1, 0, 1, 1, 0, 0], "outcome": [1, 0, 0, 1, 0, None],
    ...     "predicted_at": pd.Timestamp("2024-03-01"), "observed_at": pd.Timestamp("2024-03-02")}))
    >>> result = realized_performance(log, min_labels=5)
    >>> result.loc[result.metric == "accuracy", ["window_start", "value", "n"]]
      window_start  value  n
    0   2024-03-01    0.8  5
    """
    windows = parse_windows(window)
    segments = check_segments(by, log.table.columns, log.source)
    _check_parameters(task, min_labels, confidence, n_bins, n_boot, threshold)
    table = assign_windows(log.known_by(as_of), windows)
    labelled = log.labelled(table, as_of)
    keys = [windows.key, *segments]
    counts = log.execute(table.group_by(keys).agg(predictions=table.count(), labelled=table.count(where=labelled)))
    if counts.empty:
        raise ParameterError(f"no predictions in {log.source}: nothing to measure")
    done = table.filter(labelled)
    if task == "regression":
        rows, expected = _regression(log, done, keys, confidence)
    else:
        rows, expected = _classification(log, done, keys, positive_label=positive_label, threshold=threshold,
                                         n_bins=n_bins, zero_division=zero_division, confidence=confidence,
                                         n_boot=n_boot, rng=np.random.default_rng(random_state))
    frame = _complete(rows, counts, keys, expected, min_labels)
    frame = window_bounds(frame, windows, log, table)
    frame["rank"] = frame["metric"].map({name: i for i, name in enumerate(METRICS)})
    frame = frame.sort_values([windows.columns[0], *segments, "rank"], kind="stable", na_position="last")
    return frame.drop(columns="rank").reset_index(drop=True)


def _check_parameters(task: str, min_labels: int, confidence: float, n_bins: int, n_boot: int,
                      threshold: float) -> None:
    """The parameter checks, in one message form."""
    if task not in TASKS:
        raise ParameterError.invalid("task", " or ".join(repr(t) for t in TASKS), task)
    for name, value, floor in (("min_labels", min_labels, 1), ("n_bins", n_bins, 1), ("n_boot", n_boot, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < floor:
            raise ParameterError.invalid(name, f"an integer >= {floor}", value)
    if not 0 < confidence < 1:
        raise ParameterError.invalid("confidence", "a number strictly between 0 and 1", confidence)
    if not 0 <= threshold <= 1:
        raise ParameterError.invalid("threshold", "a probability in [0, 1]", threshold)


def _classification(log: PredictionLog, done: Any, keys: list[str], *, positive_label: Any, threshold: float,
                    n_bins: int, zero_division: float, confidence: float, n_boot: int,
                    rng: np.random.Generator) -> tuple[list[dict[str, Any]], list[str]]:
    """Every classification metric the log's columns allow, and the window-level metric names expected."""
    class_scores = dict(log.columns.class_scores)
    uses_score = "score" in log.optional and not class_scores
    positive = _positive_label(log, positive_label) if uses_score or positive_label is not None else None
    if "prediction" in log.optional:
        predicted = done.prediction
    elif class_scores:
        top = ibis.greatest(*[done[c] for c in class_scores.values()]) if len(class_scores) > 1 else None
        predicted = ibis.cases(*[(done[c] == top if top is not None else done[c].notnull(), ibis.literal(label))
                                 for label, c in class_scores.items()])
    else:
        predicted = done.score >= threshold
    confusion = log.execute(confusion_table(done.filter(predicted.notnull()), keys, predicted))
    if "prediction" not in log.optional and not class_scores:
        confusion["predicted"] = confusion["predicted"].map(
            {True: positive, False: _negative_label(confusion["outcome"], positive)})
    rows = confusion_metrics(confusion, keys, confidence=confidence, zero_division=zero_division, n_boot=n_boot,
                             rng=rng)
    expected = ["accuracy", "precision_macro", "recall_macro", "f1_macro"]
    if class_scores:
        aucs = auc_rows(log.execute(one_vs_rest_table(done, keys, class_scores)), [*keys, CLASS_KEY], confidence)
        rows += _class_auc_rows(aucs, keys)
        probabilities = probability_table(done, keys, n_bins=n_bins, class_scores=class_scores)
        expected += ["roc_auc_macro", "log_loss", "calibration_error"]
    elif uses_score:
        is_positive = done.outcome == positive
        aucs = auc_rows(log.execute(rank_auc_table(done, keys, done.score, is_positive)), keys, confidence)
        rows += [metric_row({k: r[k] for k in keys}, "roc_auc", None, r["value"], r["lower"], r["upper"], r["n"],
                            r["note"]) for r in aucs.to_dict(orient="records")]
        probabilities = probability_table(done, keys, n_bins=n_bins, score=done.score, positive=is_positive)
        expected += ["roc_auc", "log_loss", "calibration_error"]
    else:
        return rows, expected
    rows += probability_metrics(log.execute(probabilities), keys, n_bins=n_bins, confidence=confidence,
                                n_boot=n_boot, rng=rng, top_label=bool(class_scores))
    return rows, expected


def _class_auc_rows(aucs: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
    """One-vs-rest ROC AUC per class, and their macro average per window (interval: mean of the intervals)."""
    aucs = aucs.sort_values([*keys, CLASS_KEY], kind="stable")  # engines return groups in any order
    rows = [metric_row({k: r[k] for k in keys}, "roc_auc", r[CLASS_KEY], r["value"], r["lower"], r["upper"],
                       r["n"], r["note"]) for r in aucs.to_dict(orient="records")]
    for values, group in aucs.groupby(keys, dropna=False, sort=True):
        key_values = dict(zip(keys, values if isinstance(values, tuple) else (values,), strict=True))
        defined = group[group["value"].notna()]
        note = f"mean over {len(defined)} of {len(group)} classes" + (
            " (undefined for the others: none or all of the outcomes are theirs)" if len(defined) < len(group) else "")
        mean = defined[["value", "lower", "upper"]].mean() if len(defined) else pd.Series(np.nan, ["value", "lower",
                                                                                                     "upper"])
        rows.append(metric_row(key_values, "roc_auc_macro", None, mean["value"], mean["lower"], mean["upper"],
                               int(group["n"].max()), note))
    return rows


def _regression(log: PredictionLog, done: Any, keys: list[str],
                confidence: float) -> tuple[list[dict[str, Any]], list[str]]:
    """MAE, RMSE and MAPE of the prediction (else the score) against the outcome."""
    if not done.outcome.type().is_numeric():
        raise ParameterError(f"task='regression' needs numeric outcomes; the outcomes of {log.source} are "
                             f"{done.outcome.type()}")
    name = "prediction" if "prediction" in log.optional else "score"
    if name not in log.optional:
        raise ParameterError(f"task='regression' needs a prediction or score column in {log.source}")
    frame = log.execute(regression_table(done, keys, done[name]))
    return regression_metrics(frame, keys, confidence), ["mae", "rmse", "mape"]


def _positive_label(log: PredictionLog, given: Any) -> Any:
    """The class the binary score is the probability of: given, or True / 1 for boolean / numeric outcomes."""
    if given is not None:
        return given
    dtype = log.table.outcome.type()
    if dtype.is_boolean():
        return True
    if dtype.is_numeric():
        return 1
    raise ParameterError(f"positive_label is needed: the outcomes of {log.source} are {dtype} and the score is "
                         "the probability of one of them (if it is the confidence of the predicted class instead, "
                         "load the log with ColumnMap(score=None))")


def _negative_label(outcomes: pd.Series, positive: Any) -> Any:
    """The other class of a binary outcome, for predictions made by thresholding the score."""
    others = {value for value in outcomes.dropna().unique() if value != positive}
    if len(others) > 1:
        raise ParameterError(f"predictions from a score need a binary outcome; the outcomes have "
                             f"{len(others) + 1} classes: map a prediction column or class_scores")
    if others:
        return others.pop()
    return (not positive) if isinstance(positive, bool | np.bool_) else (0 if positive == 1 else f"not {positive}")


def _complete(rows: list[dict[str, Any]], counts: pd.DataFrame, keys: list[str], expected: list[str],
              min_labels: int) -> pd.DataFrame:
    """Every window gets the expected metrics; windows with too few labels get NaN and say why."""
    frame = pd.DataFrame(rows, columns=[*keys, *METRIC_COLUMNS])
    frame["label"] = pd.Series([row["label"] for row in rows], index=frame.index, dtype=object)  # keep 0 an int
    skeleton = counts[keys].merge(pd.DataFrame({"metric": expected}), how="cross")
    present = frame.loc[frame["label"].isna(), [*keys, "metric"]].drop_duplicates()
    missing = skeleton.merge(present, on=[*keys, "metric"], how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"].drop(columns="_merge")
    if len(missing):
        missing = missing.assign(label=None, value=np.nan, lower=np.nan, upper=np.nan, n=0, note="")
        frame = pd.concat([frame, missing], ignore_index=True) if len(frame) else missing
    frame = frame.merge(counts, on=keys, how="left")
    few = frame["labelled"] < min_labels
    frame.loc[few, ["value", "lower", "upper"]] = np.nan
    labels = frame["labelled"].astype("int64").astype(str)
    frame.loc[few, "note"] = "too few labels: " + labels[few] + f" < min_labels={min_labels}"
    none = frame["labelled"] == 0
    frame.loc[none, "note"] = "no labels yet: 0 of " + frame["predictions"].astype("int64").astype(str)[none] + \
        " predictions have an outcome"
    frame["n"] = frame["n"].astype("int64")
    return frame.drop(columns=["predictions", "labelled"])
