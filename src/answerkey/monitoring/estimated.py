"""Estimated performance before the labels arrive: confidence-based performance estimation (CBPE).

On a reference period with outcomes, the model's scores are calibrated (isotonic regression). In a chunk
without outcomes, each calibrated score p is the chance that row is positive, so the expected confusion matrix
is TP = sum(p) over predicted positives, FP = sum(1 - p) over them, FN and TN likewise over predicted
negatives; accuracy and F1 follow, and ROC AUC is the chance a positive outscores a negative with each row
weighted p as a positive and 1 - p as a negative. The estimate assumes P(outcome | score) has not changed:
where outcomes exist, the realized value is reported beside it and a gap beyond the band is concept shift.

Rows are aggregated in the engine by (chunk, score rounded to ``SCORE_DECIMALS``, prediction); only that
small table reaches pandas, so an Ibis table of any size can be estimated where it lives. Class probabilities
(a mapping for ``score``) and a top-class confidence with string or multiclass outcomes are estimated by
:mod:`answerkey.monitoring.estimated_multiclass`, with the same chunks, bands and output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError

__all__ = ["METRICS", "SCORE_DECIMALS", "estimate_performance"]

METRICS = ("roc_auc", "f1", "accuracy", "precision", "recall")
SCORE_DECIMALS = 4
"""Scores are rounded to this many decimals before aggregation (at most 10,001 distinct values per chunk)."""

BAND = 3.0
"""Sampling-error band and alert thresholds, in standard errors / reference standard deviations."""


def rounded_score(score: Any) -> Any:
    """An Ibis score rounded to :data:`SCORE_DECIMALS`, halves up, the same on every engine (DuckDB and Spark
    round exact halves such as 0.00565 apart; ``floor(x * 10^d + 0.5)`` is one IEEE computation on both)."""
    scale = 10**SCORE_DECIMALS
    return (score.cast("float64") * scale + 0.5).floor().cast("float64") / scale


def _as_ibis(frame: Any, name: str) -> Any:
    import ibis

    if isinstance(frame, ibis.expr.types.Table):
        return frame
    if isinstance(frame, pd.DataFrame):
        return ibis.memtable(frame)
    try:  # polars
        import polars as pl

        if isinstance(frame, pl.DataFrame):
            return ibis.memtable(frame.to_arrow())
    except ImportError:  # pragma: no cover - polars is optional
        pass
    raise ParameterError.invalid(name, "a pandas or polars DataFrame or an Ibis table", type(frame).__name__)


def check_columns(table: Any, wanted: Sequence[str | None], name: str) -> None:
    """Every named column is in ``table``, else a ParameterError naming the table and the missing columns."""
    named = [c for c in wanted if c]
    missing = [c for c in named if c not in table.columns]
    if missing:
        raise ParameterError.invalid(name, f"columns {', '.join(named)}",
                                     f"no {', '.join(missing)} among {', '.join(table.columns)}")


def chunked(table: Any, columns: dict[str, Any], *, chunk_size: int | None, window: str | None,
            timestamp: str | None) -> Any:
    """``table`` with ``columns`` (plus ``t``, the timestamp) and ``chunk``, its chunk's label.

    The label sorts in time order: for ``chunk_size`` the chunk's number from 0 (int64, rows numbered in
    ``timestamp`` order); for ``window`` the window's start as fixed-width text (``2026-01-01 00:00:00`` on
    DuckDB); ``"all"`` for the single chunk. Callers group and sort on it.
    """
    import ibis

    if timestamp:
        columns = columns | {"t": table[timestamp]}
    rows = table.mutate(**columns)
    if window:
        if not timestamp:
            raise ParameterError.invalid("timestamp", "the time column, to cut windows", None)
        unit = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}.get(window)
        if unit is None:
            raise ParameterError.invalid("window", "day, week, month or quarter", window)
        return rows.mutate(chunk=rows["t"].truncate(unit).cast("string"))
    if chunk_size:
        order = [rows["t"]] if timestamp else []
        number = ibis.row_number().over(ibis.window(order_by=order)) if order else ibis.row_number()
        return rows.mutate(chunk=(number // chunk_size).cast("int64"))
    return rows.mutate(chunk=ibis.literal("all"))


def _aggregate(table: Any, *, score: str, target: str | None, prediction: str | None, threshold: float,
               chunk_size: int | None, window: str | None, timestamp: str | None, name: str) -> pd.DataFrame:
    """Per chunk, rounded score and prediction: rows, outcomes seen, positives, and the chunk's time span."""
    check_columns(table, [score, target, prediction, timestamp], name)
    predicted = (table[prediction].cast("int64") if prediction else (table[score] >= threshold).cast("int64"))
    columns: dict[str, Any] = {"s": rounded_score(table[score]), "pred": predicted}
    if target:
        columns["y"] = table[target].cast("float64")
    rows = chunked(table, columns, chunk_size=chunk_size, window=window, timestamp=timestamp)
    metrics: dict[str, Any] = {"n": rows.count()}
    if target:
        metrics |= {"labeled": rows["y"].notnull().sum(), "positives": rows["y"].sum()}
    if timestamp:
        metrics |= {"start": rows["t"].min(), "end": rows["t"].max()}
    frame: pd.DataFrame = rows.group_by(["chunk", "s", "pred"]).aggregate(**metrics).to_pandas()
    return checked_scores(frame, score, name)


def checked_scores(frame: pd.DataFrame, score: str, name: str) -> pd.DataFrame:
    """``frame`` if it has rows and a score in every row, else a ParameterError naming the table."""
    if frame.empty:
        raise ParameterError.invalid(name, "at least one row with a score", "no rows")
    if frame["s"].isna().any():
        raise ParameterError.invalid(name, f"a score in every row ({score})", "missing scores")
    return frame


def calibration(reference: pd.DataFrame,
                needs: str = "outcomes of both classes, to calibrate the scores") -> tuple[np.ndarray, np.ndarray]:
    """Isotonic map from score to P(positive), fitted on the reference's aggregated scores and outcomes.

    ``reference`` has ``s`` (rounded score), ``labeled`` and ``positives`` per row; the map is returned as the
    knots ``(scores, probabilities)`` of a piecewise-linear function, for :func:`numpy.interp`.
    """
    from sklearn.isotonic import IsotonicRegression

    by_score = reference.groupby("s")[["labeled", "positives"]].sum()
    by_score = by_score[by_score["labeled"] > 0]
    if by_score.empty or by_score["positives"].sum() in (0, by_score["labeled"].sum()):
        raise ParameterError.invalid("reference", needs, "one class only")
    model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    x = by_score.index.to_numpy(dtype=float)
    weight = by_score["labeled"].to_numpy(dtype=float)
    steps = model.fit(x, (by_score["positives"] / by_score["labeled"]).to_numpy(), sample_weight=weight).predict(x)
    # isotonic regression is a step function: within a step every score gets the same probability, which would
    # throw away the ordering inside the step (and bias the estimated AUC down); interpolating linearly between
    # the steps' weighted centres keeps the fit monotone and the ordering
    block = np.concatenate([[0], np.cumsum(np.diff(steps) != 0)])
    centres = np.bincount(block, weights=x * weight) / np.bincount(block, weights=weight)
    values = np.bincount(block, weights=steps * weight) / np.bincount(block, weights=weight)
    return centres, values


def _expected(chunk: pd.DataFrame, p: np.ndarray, weight_pos: np.ndarray, weight_neg: np.ndarray) -> dict[str, float]:
    """Metrics from per-(score, prediction) positive and negative weights: expected (p) or realized counts."""
    pred = chunk["pred"].to_numpy() == 1
    tp, fp = weight_pos[pred].sum(), weight_neg[pred].sum()
    fn, tn = weight_pos[~pred].sum(), weight_neg[~pred].sum()
    total = tp + fp + fn + tn
    out = {"accuracy": (tp + tn) / total if total else np.nan,
           "precision": tp / (tp + fp) if tp + fp else np.nan, "recall": tp / (tp + fn) if tp + fn else np.nan,
           "f1": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else np.nan}
    out["roc_auc"] = weighted_auc(chunk["s"].to_numpy(), weight_pos, weight_neg)
    return out


def weighted_auc(scores: np.ndarray, weight_pos: np.ndarray, weight_neg: np.ndarray) -> float:
    """ROC AUC with each row counted ``weight_pos`` times a positive and ``weight_neg`` times a negative.

    Ties count one half, as in the Mann-Whitney U statistic; NaN when either total weight is zero.
    """
    order = np.argsort(scores, kind="stable")
    s, pos, neg = scores[order], weight_pos[order], weight_neg[order]
    if not len(s):
        return float("nan")
    starts = np.unique(s, return_index=True)[1]
    pos_by, neg_by = np.add.reduceat(pos, starts), np.add.reduceat(neg, starts)
    negatives_below = np.cumsum(neg_by) - neg_by
    pairs = pos_by.sum() * neg_by.sum()
    return float((pos_by * (negatives_below + 0.5 * neg_by)).sum() / pairs) if pairs > 0 else float("nan")


def _chunk_metrics(frame: pd.DataFrame, xs: np.ndarray, ps: np.ndarray, realized: bool) -> pd.DataFrame:
    rows = []
    for chunk, part in frame.groupby("chunk", sort=True):
        calibrated = np.interp(part["s"].to_numpy(dtype=float), xs, ps)
        n = part["n"].to_numpy(dtype=float)
        estimated = _expected(part, calibrated, n * calibrated, n * (1 - calibrated))
        record: dict[str, Any] = {"chunk": chunk, "n": int(n.sum()),
                                  "start": part["start"].min() if "start" in part else None,
                                  "end": part["end"].max() if "end" in part else None}
        record |= {f"estimated_{m}": v for m, v in estimated.items()}
        if realized and "labeled" in part:
            positives = part["positives"].fillna(0).to_numpy(dtype=float)
            labeled = part["labeled"].to_numpy(dtype=float)
            record["labeled"] = int(labeled.sum())
            record |= {f"realized_{m}": v for m, v in _expected(part, calibrated, positives,
                                                                  labeled - positives).items()}
        rows.append(record)
    return pd.DataFrame(rows)


def estimate_performance(
    reference: Any, analysis: Any, *, target: str, score: str | Mapping[Any, str], prediction: str | None = None,
    metrics: Sequence[str] | None = None, chunk_size: int | None = None, window: str | None = None,
    timestamp: str | None = None, threshold: float = 0.5,
) -> pd.DataFrame:
    """Estimated ROC AUC, F1, accuracy (precision, recall) per chunk of ``analysis``, before outcomes arrive.

    Parameters
    ----------
    reference, analysis : pandas or polars DataFrames or Ibis tables; ``reference`` needs ``target``.
    target : the outcome column; in ``analysis`` it may be missing or partly null. With a single ``score``
        column and 0/1 (or boolean) outcomes the problem is binary; otherwise any labels, strings included.
    score : the model's score for the positive class (binary); or a mapping ``{class: probability column}``
        (multiclass: metrics are macro averages over the classes); or, with other than 0/1 outcomes, the
        model's confidence in its predicted class (``prediction``), which estimates ``accuracy`` only.
    prediction : the predicted class (0/1, or a class label); default ``score >= threshold`` (binary) or the
        class of the highest probability (mapping).
    metrics : some of ``roc_auc``, ``f1``, ``accuracy``, ``precision``, ``recall``; default the first three,
        or ``accuracy`` alone for a top-class confidence.
    chunk_size, window, timestamp : chunks of ``chunk_size`` rows in ``timestamp`` order, or calendar windows
        (``day``, ``week``, ``month``, ``quarter``) of ``timestamp``; neither: one chunk.

    Returns
    -------
    DataFrame
        One row per chunk and metric, metric by metric and, within a metric, chunks in time order: ``chunk``
        (with ``chunk_size`` the chunk's number from 0, an int; with ``window`` the window's start as text, such
        as ``2026-01-01 00:00:00``; ``"all"`` for a single chunk), ``start``, ``end``, ``n``, ``metric``,
        ``estimated``, ``lower``, ``upper`` (estimated ± 3 sampling standard errors, from the metric's spread
        over reference chunks scaled by 1/sqrt(n)), ``alert`` (the estimate leaves the reference band: mean ± 3
        standard deviations of the metric over reference chunks), ``lower_threshold``, ``upper_threshold``, and
        where outcomes exist ``realized`` and ``labeled``.

    References
    ----------
    NannyML, "Confidence-based Performance Estimation" (CBPE), https://nannyml.readthedocs.io.
    """
    from answerkey.monitoring import estimated_multiclass as multiclass  # it imports this module's helpers

    chosen = list(metrics) if metrics is not None else None
    unknown = [m for m in chosen or [] if m not in METRICS]
    if unknown or chosen == []:
        raise ParameterError.invalid("metrics", f"some of {', '.join(METRICS)}", chosen)
    if chunk_size is not None and (isinstance(chunk_size, bool) or chunk_size < 1):
        raise ParameterError.invalid("chunk_size", "a positive number of rows", chunk_size)
    if not isinstance(score, str | Mapping):
        raise ParameterError.invalid("score", "a column name or a mapping {class: probability column}", score)
    ref_table, analysis_table = _as_ibis(reference, "reference"), _as_ibis(analysis, "analysis")
    has_target = target in analysis_table.columns
    chunking: dict[str, Any] = {"chunk_size": chunk_size, "window": window, "timestamp": timestamp}
    if isinstance(score, Mapping):
        ref_chunks, chunks = multiclass.class_chunks(ref_table, analysis_table, target=target, score=score,
                                                     prediction=prediction, has_target=has_target, **chunking)
    elif not multiclass.is_binary(ref_table, target):
        chosen = multiclass.confidence_metrics(chosen)
        ref_chunks, chunks = multiclass.confidence_chunks(ref_table, analysis_table, target=target, score=score,
                                                          prediction=prediction, has_target=has_target, **chunking)
    else:
        ref, current = (
            _aggregate(table, score=score, target=with_target, prediction=prediction, threshold=threshold,
                       name=name, **chunking)
            for table, with_target, name in ((ref_table, target, "reference"),
                                             (analysis_table, target if has_target else None, "analysis")))
        xs, ps = calibration(ref)
        ref_chunks = _chunk_metrics(ref, xs, ps, realized=True)
        chunks = _chunk_metrics(current, xs, ps, realized=has_target)
    return _band_rows(ref_chunks, chunks, chosen or ["roc_auc", "f1", "accuracy"], has_target)


def _band_rows(ref_chunks: pd.DataFrame, chunks: pd.DataFrame, metrics: Sequence[str],
               has_target: bool) -> pd.DataFrame:
    """The long result: per analysis chunk and metric, the estimate, its band and the reference thresholds.

    ``ref_chunks`` and ``chunks`` have ``chunk``, ``n``, ``start``, ``end``, ``estimated_<metric>`` and (the
    reference always, the analysis where it has outcomes) ``labeled`` and ``realized_<metric>``.
    """
    rows = []
    for metric in metrics:
        realized_ref = ref_chunks[f"realized_{metric}"].astype(float)
        mean, std = float(realized_ref.mean()), float(realized_ref.std(ddof=1)) if len(realized_ref) > 1 else np.nan
        size = float(ref_chunks["n"].mean())
        for record in chunks.to_dict("records"):
            estimate = float(record[f"estimated_{metric}"])
            error = std * np.sqrt(size / record["n"]) if np.isfinite(std) else np.nan
            low, high = mean - BAND * std, mean + BAND * std
            row = {"chunk": record["chunk"], "start": record["start"], "end": record["end"], "n": record["n"],
                   "metric": metric, "estimated": estimate, "lower": estimate - BAND * error,
                   "upper": estimate + BAND * error, "lower_threshold": low, "upper_threshold": high,
                   "alert": bool(np.isfinite(std) and not low <= estimate <= high)}
            if has_target:
                row["labeled"] = record.get("labeled", 0)
                row["realized"] = float(record[f"realized_{metric}"]) if record.get("labeled") else np.nan
            rows.append(row)
    return pd.DataFrame(rows)
