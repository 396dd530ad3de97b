"""Confidence-based performance estimation (CBPE) for class probabilities and for a top-class confidence.

Class probabilities (``score`` a mapping ``{class: probability column}``). Each class is calibrated one versus
rest on the reference, isotonic as for a binary score: p_k = P(outcome is k | score_k). In a chunk without
outcomes the expected per-class confusion counts are TP_k = sum of p_k over rows predicted k, FP_k = sum
of 1 - p_k over them and FN_k = sum of p_k over the other rows; accuracy is sum_k TP_k / n (each row's chance that its
prediction is right), macro precision, recall and F1 average the classes (a class with neither outcomes nor
predictions in the chunk is left out, as scikit-learn leaves out labels absent from both), and macro ROC AUC
averages each class's AUC of score_k with rows weighted p_k as a positive and 1 - p_k as a negative.

The engine unpivots the probability columns (a cross join with the class codes, so a chunk's rows are numbered
once) and counts rows per (chunk, class k, score_k rounded, prediction is k), with the outcomes seen and those
equal to k. At most classes x chunks x 2 x 10,001 rows reach pandas, whatever the table's size.

Normalisation. NannyML rescales each row's calibrated probabilities to sum to one. That needs all of a row's
scores at once, which this aggregation gives up (a second pass joining the calibration maps into the engine would
allow it). It is not done because it does not pay: an expected count is a sum over rows of p_k, which needs p_k
right on average, what one-vs-rest calibration fits; rescaling a row by the sum of all its classes' p_j mixes the
other classes' calibration errors into class k. Re-running both on rows (``benchmarks/bench_estimate.py``):
synthetic 3- and 4-class models under class-mix shift, calibrated, over- and under-confident, chunks of 6,000, 5
seeds; MAE as is / normalised, averaged over the five models, accuracy 0.0055 / 0.0080, macro F1 0.0060 / 0.0069,
macro AUC 0.0036 / 0.0048. Normalising won 6 cells of 15 (by at most 0.0051; the three on the calibrated model by
0.0002 or less) and lost the others by up to 0.0085. On NannyML's multiclass set the two differ by under 0.001.

Top-class confidence (``score`` one column, outcomes not 0/1): the score is the model's confidence in
``prediction``. P(prediction right | confidence) is calibrated on the reference and averaged over a chunk:
estimated accuracy. Which class a wrong prediction should have been is unknown, so no other metric can be
estimated; asking for one is an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.monitoring.estimated import (
    calibration,
    check_columns,
    checked_scores,
    chunked,
    rounded_score,
    weighted_auc,
)

__all__ = ["class_chunks", "confidence_chunks", "confidence_metrics", "is_binary", "target_classes"]

MAX_CLASSES = 1_000
"""More distinct outcomes than this in the reference are not read (the target is then not a class label)."""


def _plain(value: Any) -> Any:
    """A Python scalar for a NumPy one, so that labels compare, hash and print as the caller wrote them."""
    return value.item() if isinstance(value, np.generic) else value


def target_classes(table: Any, target: str) -> list[Any]:
    """The distinct non-null outcomes of ``target`` in ``table`` (at most ``MAX_CLASSES + 1``), from the engine."""
    check_columns(table, [target], "reference")
    values = table.select(v=table[target]).filter(lambda t: t.v.notnull()).distinct().limit(MAX_CLASSES + 1)
    return [_plain(v) for v in values.to_pandas()["v"].tolist()]


def is_binary(table: Any, target: str) -> bool:
    """Whether the reference's outcomes are all 0/1 (or booleans): a single score is then the positive's."""
    return all(isinstance(v, bool | int | float) and v in (0, 1) for v in target_classes(table, target))


def confidence_metrics(metrics: Sequence[str] | None) -> list[str]:
    """The metrics a top-class confidence can estimate: ``accuracy``, and a clear error for any other."""
    if metrics is not None and list(metrics) != ["accuracy"]:
        raise ParameterError.invalid(
            "metrics", "['accuracy'] when score is the confidence in the predicted class (ROC AUC, F1, precision "
            "and recall need class probabilities: pass score as a mapping {class: probability column})",
            list(metrics))
    return ["accuracy"]


def _checked_classes(reference: Any, target: str, score: Mapping[Any, str]) -> list[Any]:
    """The mapping's classes, in its order, if they are exactly the classes of the reference's outcomes."""
    classes = [_plain(c) for c in score]
    if len(classes) < 2 or not all(isinstance(c, str) for c in score.values()):
        raise ParameterError.invalid("score", "a mapping of two or more classes to their probability columns",
                                     dict(score))
    seen = target_classes(reference, target)
    never = [c for c in classes if c not in seen]
    if never:
        raise ParameterError.invalid("score", f"classes seen in the reference's {target} ({seen[:10]})",
                                     f"{never} never seen")
    unmapped = [c for c in seen if c not in classes]
    if unmapped:
        raise ParameterError.invalid("score", f"a probability column for every class of {target} in the reference",
                                     f"none for {unmapped[:10]}")
    return classes


def _codes(column: Any, classes: Sequence[Any], name: str) -> Any:
    """Ibis expression: the position of ``column``'s value in ``classes``, -1 for any other value or null."""
    import ibis
    from ibis.common.exceptions import IbisTypeError

    try:
        return ibis.cases(*[(column == ibis.literal(c), k) for k, c in enumerate(classes)], else_=-1)
    except IbisTypeError as error:
        raise ParameterError.invalid(name, f"labels of the same type as the classes ({classes[:10]})",
                                     str(column.type())) from error


def _class_counts(table: Any, classes: Sequence[Any], columns: Sequence[str], *, target: str | None,
                  prediction: str | None, chunk_size: int | None, window: str | None, timestamp: str | None,
                  name: str) -> pd.DataFrame:
    """Per chunk, class k, rounded score_k and whether k is predicted: rows, outcomes seen, outcomes equal to k."""
    import ibis

    check_columns(table, [*columns, target, prediction, timestamp], name)
    scores = {f"_s{k}": table[c].cast("float64") for k, c in enumerate(columns)}
    if prediction:
        predicted = _codes(table[prediction], classes, "prediction")
    else:  # the first class of the highest probability, as numpy's argmax
        top = ibis.greatest(*scores.values())
        predicted = ibis.cases(*[(s == top, k) for k, s in enumerate(scores.values())], else_=-1)
    wide = scores | {"_pred": predicted}
    if target:
        wide |= {"_y": _codes(table[target], classes, "target"), "_seen": table[target].notnull().cast("int64")}
    rows = chunked(table, wide, chunk_size=chunk_size, window=window, timestamp=timestamp)
    rows = rows.select("chunk", *wide, *(["t"] if timestamp else []))
    long = rows.cross_join(ibis.memtable({"_k": list(range(len(classes)))}))
    long = long.mutate(s=rounded_score(ibis.cases(*[(long["_k"] == k, long[f"_s{k}"]) for k in range(len(classes))])),
                       pred=(long["_pred"] == long["_k"]).cast("int64"), k=long["_k"])
    metrics: dict[str, Any] = {"n": long.count()}
    if target:
        metrics |= {"labeled": long["_seen"].sum(), "positives": (long["_y"] == long["_k"]).cast("int64").sum()}
    if timestamp:
        metrics |= {"start": long["t"].min(), "end": long["t"].max()}
    frame: pd.DataFrame = long.group_by(["chunk", "k", "s", "pred"]).aggregate(**metrics).to_pandas()
    return checked_scores(frame, ", ".join(columns), name)


def _one_vs_rest(part: pd.DataFrame, weight_pos: np.ndarray, weight_neg: np.ndarray) -> list[float]:
    """TP, FP, FN and ROC AUC of one class against the rest, from per-(score, predicted) weights."""
    predicted = part["pred"].to_numpy() == 1
    return [weight_pos[predicted].sum(), weight_neg[predicted].sum(), weight_pos[~predicted].sum(),
            weighted_auc(part["s"].to_numpy(dtype=float), weight_pos, weight_neg)]


def _macro(stats: np.ndarray, total: float) -> dict[str, float]:
    """Accuracy and macro precision, recall, F1 and ROC AUC from per-class rows of (TP, FP, FN, AUC)."""
    tp, fp, fn, auc = stats.T
    present = tp + fp + fn > 0
    with np.errstate(divide="ignore", invalid="ignore"):  # a class never predicted has precision 0, as sklearn
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(present, 2 * tp / (2 * tp + fp + fn), 0.0)
    defined = np.isfinite(auc)
    return {"accuracy": float(tp.sum() / total) if total else np.nan,
            "precision": float(precision[present].mean()) if present.any() else np.nan,
            "recall": float(recall[present].mean()) if present.any() else np.nan,
            "f1": float(f1[present].mean()) if present.any() else np.nan,
            "roc_auc": float(auc[defined].mean()) if defined.any() else np.nan}


def _span(part: pd.DataFrame) -> dict[str, Any]:
    return {"start": part["start"].min() if "start" in part else None,
            "end": part["end"].max() if "end" in part else None}


def _class_metrics(frame: pd.DataFrame, maps: Sequence[tuple[np.ndarray, np.ndarray]],
                   realized: bool) -> pd.DataFrame:
    """Per chunk: estimated (and realized, where outcomes exist) accuracy and macro metrics."""
    rows = []
    for chunk, part in frame.groupby("chunk", sort=True):
        estimated, actual = [], []
        for k, (xs, ps) in enumerate(maps):
            one = part[part["k"] == k]
            n = one["n"].to_numpy(dtype=float)
            calibrated = np.interp(one["s"].to_numpy(dtype=float), xs, ps)
            estimated.append(_one_vs_rest(one, n * calibrated, n * (1 - calibrated)))
            if realized and "labeled" in one:
                positives = one["positives"].fillna(0).to_numpy(dtype=float)
                actual.append(_one_vs_rest(one, positives, one["labeled"].to_numpy(dtype=float) - positives))
        first = part[part["k"] == 0]
        record: dict[str, Any] = {"chunk": chunk, "n": int(first["n"].sum())} | _span(part)
        record |= {f"estimated_{m}": v for m, v in _macro(np.array(estimated), record["n"]).items()}
        if actual:
            record["labeled"] = int(first["labeled"].sum())
            record |= {f"realized_{m}": v for m, v in _macro(np.array(actual), record["labeled"]).items()}
        rows.append(record)
    return pd.DataFrame(rows)


def class_chunks(reference: Any, analysis: Any, *, target: str, score: Mapping[Any, str], prediction: str | None,
                 has_target: bool, chunk_size: int | None, window: str | None,
                 timestamp: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-chunk estimated and realized metrics of the reference and the analysis, from class probabilities."""
    classes = _checked_classes(reference, target, score)
    options: dict[str, Any] = {"prediction": prediction, "chunk_size": chunk_size, "window": window,
                               "timestamp": timestamp}
    ref = _class_counts(reference, classes, list(score.values()), target=target, name="reference", **options)
    current = _class_counts(analysis, classes, list(score.values()), target=target if has_target else None,
                            name="analysis", **options)
    maps = [calibration(ref[ref["k"] == k]) for k in range(len(classes))]
    return _class_metrics(ref, maps, realized=True), _class_metrics(current, maps, realized=has_target)


def _confidence_counts(table: Any, *, score: str, target: str | None, prediction: str, chunk_size: int | None,
                       window: str | None, timestamp: str | None, name: str) -> pd.DataFrame:
    """Per chunk and rounded confidence: rows, outcomes seen, and predictions that were right."""
    from ibis.common.exceptions import IbisTypeError

    check_columns(table, [score, target, prediction, timestamp], name)
    columns: dict[str, Any] = {"s": rounded_score(table[score])}
    if target:
        try:
            right = (table[target] == table[prediction]).cast("int64")
        except IbisTypeError as error:
            raise ParameterError.invalid("prediction", f"labels of the same type as {target}",
                                         f"{table[prediction].type()} against {table[target].type()}") from error
        columns |= {"_seen": table[target].notnull().cast("int64"), "_right": right}
    rows = chunked(table, columns, chunk_size=chunk_size, window=window, timestamp=timestamp)
    metrics: dict[str, Any] = {"n": rows.count()}
    if target:
        metrics |= {"labeled": rows["_seen"].sum(), "positives": rows["_right"].sum()}
    if timestamp:
        metrics |= {"start": rows["t"].min(), "end": rows["t"].max()}
    frame: pd.DataFrame = rows.group_by(["chunk", "s"]).aggregate(**metrics).to_pandas()
    return checked_scores(frame, score, name)


def _accuracy(frame: pd.DataFrame, xs: np.ndarray, ps: np.ndarray, realized: bool) -> pd.DataFrame:
    """Per chunk: estimated accuracy (mean calibrated confidence) and, where outcomes exist, the realized one."""
    rows = []
    for chunk, part in frame.groupby("chunk", sort=True):
        n = part["n"].to_numpy(dtype=float)
        right = n * np.interp(part["s"].to_numpy(dtype=float), xs, ps)
        record: dict[str, Any] = {"chunk": chunk, "n": int(n.sum()), "estimated_accuracy": right.sum() / n.sum()}
        record |= _span(part)
        if realized and "labeled" in part:
            labeled = int(part["labeled"].sum())
            record |= {"labeled": labeled, "realized_accuracy":
                       float(part["positives"].fillna(0).sum()) / labeled if labeled else np.nan}
        rows.append(record)
    return pd.DataFrame(rows)


def confidence_chunks(reference: Any, analysis: Any, *, target: str, score: str, prediction: str | None,
                      has_target: bool, chunk_size: int | None, window: str | None,
                      timestamp: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-chunk estimated and realized accuracy of the reference and the analysis, from a top-class confidence."""
    if prediction is None:
        raise ParameterError.invalid(
            "prediction", f"the predicted class, when {target} has other than 0/1 outcomes and score is one column "
            "(the confidence in that class); or pass score as a mapping {class: probability column}", None)
    options: dict[str, Any] = {"score": score, "prediction": prediction, "chunk_size": chunk_size,
                               "window": window, "timestamp": timestamp}
    ref = _confidence_counts(reference, target=target, name="reference", **options)
    current = _confidence_counts(analysis, target=target if has_target else None, name="analysis", **options)
    xs, ps = calibration(ref, needs="both right and wrong predictions, to calibrate the confidence")
    return _accuracy(ref, xs, ps, realized=True), _accuracy(current, xs, ps, realized=has_target)
