"""Estimated performance (CBPE) against NannyML on NannyML's own synthetic datasets, one run each.

Binary: 50,000 reference + 50,000 analysis rows, chunks of 5,000; each tool's estimate of ROC AUC and F1 per
analysis chunk is compared with the realized value (the analysis targets ship separately with the dataset).
Multiclass: 60,000 + 60,000 rows, three classes, chunks of 6,000; macro ROC AUC, macro F1 and accuracy.
Normalisation: what rescaling each row's calibrated class probabilities to sum to one (as NannyML does; the
engine aggregation of ``answerkey.monitoring.estimated_multiclass`` cannot) would change, re-run on rows.

    python benchmarks/bench_estimate.py
"""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")  # NannyML otherwise sends usage statistics

CLASSES = ("prepaid_card", "highstreet_card", "upmarket_card")
SCORES = {c: f"y_pred_proba_{c}" for c in CLASSES}


def load() -> tuple[pd.DataFrame, pd.DataFrame]:
    """NannyML's synthetic work-from-home dataset, analysis joined to its targets (no network)."""
    import nannyml

    reference, analysis, targets = nannyml.load_synthetic_binary_classification_dataset()
    analysis = analysis.merge(targets, on="id")
    for frame in (reference, analysis):
        frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return reference, analysis


def realized(analysis: pd.DataFrame, size: int = 5_000) -> dict[str, np.ndarray]:
    """ROC AUC and F1 per chunk of ``size`` rows in time order, by scikit-learn."""
    from sklearn.metrics import f1_score, roc_auc_score

    ordered = analysis.sort_values("timestamp", kind="stable").reset_index(drop=True)
    chunks = [ordered.iloc[start:start + size] for start in range(0, len(ordered), size)]
    return {"roc_auc": np.array([roc_auc_score(c["work_home_actual"], c["y_pred_proba"]) for c in chunks]),
            "f1": np.array([f1_score(c["work_home_actual"], c["y_pred"]) for c in chunks])}


def binary() -> None:
    import nannyml

    from answerkey.monitoring.estimated import estimate_performance

    reference, analysis = load()
    truth = realized(analysis)
    start = time.perf_counter()
    ours = estimate_performance(reference, analysis.drop(columns="work_home_actual"), target="work_home_actual",
                                score="y_pred_proba", prediction="y_pred", metrics=["roc_auc", "f1"],
                                chunk_size=5_000, timestamp="timestamp")
    ours_s = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        cbpe = nannyml.CBPE(y_pred_proba="y_pred_proba", y_pred="y_pred", y_true="work_home_actual",
                            timestamp_column_name="timestamp", metrics=["roc_auc", "f1"], chunk_size=5_000,
                            problem_type="classification_binary").fit(reference)
        theirs = cbpe.estimate(analysis.drop(columns="work_home_actual")).filter(period="analysis").to_df()
        theirs_s = time.perf_counter() - start
    print("NannyML synthetic binary: 50,000 reference + 50,000 analysis rows, chunks of 5,000")
    for metric in ("roc_auc", "f1"):
        mine = ours.loc[ours["metric"] == metric, "estimated"].to_numpy()
        peer = theirs[(metric, "value")].to_numpy()
        print(f"  {metric:8} MAE vs realized: answerkey {np.abs(mine - truth[metric]).mean():.4f}, "
              f"nannyml {np.abs(peer - truth[metric]).mean():.4f} ({len(mine)} chunks)")
    print(f"  time: answerkey {ours_s:.2f} s, nannyml {theirs_s:.2f} s, ratio {theirs_s / ours_s:.2f}x")


def load_multiclass() -> tuple[pd.DataFrame, pd.DataFrame]:
    """NannyML's synthetic credit-card dataset (three classes), analysis joined to its targets."""
    import nannyml

    reference, analysis, targets = nannyml.load_synthetic_multiclass_classification_dataset()
    analysis = analysis.merge(targets, on="id")
    for frame in (reference, analysis):
        frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return reference, analysis


def realized_multiclass(analysis: pd.DataFrame, size: int = 6_000) -> dict[str, np.ndarray]:
    """Macro one-vs-rest ROC AUC, macro F1 and accuracy per chunk of ``size`` rows in time order, by scikit-learn.

    Macro AUC is the mean of the classes' binary AUCs: ``roc_auc_score(multi_class="ovr")`` refuses these
    probabilities, rounded to two decimals, because their rows do not sum to exactly one.
    """
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    ordered = analysis.sort_values("timestamp", kind="stable").reset_index(drop=True)
    chunks = [ordered.iloc[start:start + size] for start in range(0, len(ordered), size)]
    return {"roc_auc": np.array([np.mean([roc_auc_score(c["y_true"] == k, c[SCORES[k]]) for k in CLASSES])
                                 for c in chunks]),
            "f1": np.array([f1_score(c["y_true"], c["y_pred"], average="macro") for c in chunks]),
            "accuracy": np.array([accuracy_score(c["y_true"], c["y_pred"]) for c in chunks])}


def multiclass() -> None:
    import nannyml

    from answerkey.monitoring.estimated import estimate_performance

    reference, analysis = load_multiclass()
    truth = realized_multiclass(analysis)
    metrics = ["roc_auc", "f1", "accuracy"]
    start = time.perf_counter()
    ours = estimate_performance(reference, analysis.drop(columns="y_true"), target="y_true", score=SCORES,
                                prediction="y_pred", metrics=metrics, chunk_size=6_000, timestamp="timestamp")
    ours_s = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        cbpe = nannyml.CBPE(y_pred_proba=SCORES, y_pred="y_pred", y_true="y_true", timestamp_column_name="timestamp",
                            metrics=metrics, chunk_size=6_000, problem_type="classification_multiclass").fit(reference)
        theirs = cbpe.estimate(analysis.drop(columns="y_true")).filter(period="analysis").to_df()
        theirs_s = time.perf_counter() - start
    print("NannyML synthetic multiclass: 60,000 reference + 60,000 analysis rows, 3 classes, chunks of 6,000")
    for metric in metrics:
        mine = ours.loc[ours["metric"] == metric, "estimated"].to_numpy()
        peer = theirs[(metric, "value")].to_numpy()
        print(f"  {metric:8} MAE vs realized: answerkey {np.abs(mine - truth[metric]).mean():.4f}, "
              f"nannyml {np.abs(peer - truth[metric]).mean():.4f}, between them "
              f"{np.abs(mine - peer).mean():.4f} ({len(mine)} chunks)")
    print(f"  time: answerkey {ours_s:.2f} s, nannyml {theirs_s:.2f} s, ratio {theirs_s / ours_s:.2f}x")


def _synthetic(n: int, seed: int, k: int, temperature: float, bias: float,
               mix: list[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Model outputs ``softmax(temperature * z + bias * class index)`` where ``softmax(z)`` is the truth."""
    rng = np.random.default_rng(seed)
    cause = rng.choice(k, n, p=mix)
    z = rng.normal(0, 1, (n, k)) + 1.2 * np.eye(k)[cause]
    truth = np.exp(z - z.max(1, keepdims=True))
    truth /= truth.sum(1, keepdims=True)
    outcome = (rng.random(n)[:, None] > np.cumsum(truth, 1)).sum(1)
    shown = np.exp(temperature * z + bias * np.arange(k))
    return shown / shown.sum(1, keepdims=True), outcome


def _row_estimates(scores: np.ndarray, predicted: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Accuracy, macro F1 and macro AUC expected from per-row class probabilities ``p``."""
    from answerkey.monitoring.estimated import weighted_auc

    rows = np.arange(len(p))
    f1, auc = [], []
    for k in range(p.shape[1]):
        mine = predicted == k
        tp, fp, fn = p[mine, k].sum(), (1 - p[mine, k]).sum(), p[~mine, k].sum()
        f1.append(2 * tp / (2 * tp + fp + fn))
        auc.append(weighted_auc(np.round(scores[:, k], 4), p[:, k], 1 - p[:, k]))
    return {"accuracy": float(p[rows, predicted].mean()), "f1": float(np.mean(f1)), "roc_auc": float(np.mean(auc))}


def _maes(reference: tuple[np.ndarray, np.ndarray], analysis: tuple[np.ndarray, np.ndarray],
          predicted: np.ndarray | None = None, size: int = 6_000) -> dict[tuple[str, str], float]:
    """Per-chunk MAE of the estimate without and with normalisation, calibrating as answerkey does.

    ``reference`` and ``analysis`` are (class probabilities, outcome codes); ``predicted`` defaults to the argmax.
    """
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    from answerkey.monitoring.estimated import calibration

    (ref_scores, ref_y), (scores, y) = reference, analysis
    predicted = scores.argmax(1) if predicted is None else predicted
    maps = []
    for k in range(ref_scores.shape[1]):
        frame = pd.DataFrame({"s": np.round(ref_scores[:, k], 4), "positives": ref_y == k, "labeled": 1})
        maps.append(calibration(frame.groupby("s", as_index=False)[["positives", "labeled"]].sum()))
    errors: dict[tuple[str, str], list[float]] = {}
    for start in range(0, len(y), size):
        s, truth_y, pred = scores[start:start + size], y[start:start + size], predicted[start:start + size]
        truth = {"accuracy": accuracy_score(truth_y, pred), "f1": f1_score(truth_y, pred, average="macro"),
                 "roc_auc": np.mean([roc_auc_score(truth_y == k, s[:, k]) for k in range(s.shape[1])])}
        p = np.column_stack([np.interp(np.round(s[:, k], 4), *maps[k]) for k in range(s.shape[1])])
        for how, probabilities in (("as is", p), ("normalised", p / p.sum(1, keepdims=True))):
            for metric, value in _row_estimates(s, pred, probabilities).items():
                errors.setdefault((how, metric), []).append(abs(value - truth[metric]))
    return {key: float(np.mean(values)) for key, values in errors.items()}


def _print_maes(name: str, mean: dict[tuple[str, str], float]) -> None:
    print(f"  {name:34}", "  ".join(f"{metric} {mean[('as is', metric)]:.4f} / {mean[('normalised', metric)]:.4f}"
                                     for metric in ("accuracy", "f1", "roc_auc")))


def normalisation() -> None:
    models: dict[str, dict[str, Any]] = {
        "3 classes, calibrated": {"k": 3, "temperature": 1.0, "bias": 0.0, "mix": [0.6, 0.3, 0.1]},
        "3 classes, overconfident": {"k": 3, "temperature": 2.0, "bias": 0.0, "mix": [0.6, 0.3, 0.1]},
        "3 classes, underconfident, biased": {"k": 3, "temperature": 0.5, "bias": 0.5, "mix": [0.1, 0.3, 0.6]},
        "4 classes, overconfident": {"k": 4, "temperature": 2.5, "bias": 0.0, "mix": [0.4, 0.3, 0.2, 0.1]},
        "4 classes, underconfident, biased": {"k": 4, "temperature": 0.6, "bias": 0.3, "mix": [0.4, 0.3, 0.2, 0.1]},
    }
    print("Normalising calibrated class probabilities per row: MAE as is / normalised, 60,000 + 60,000 rows, "
          "class-mix shift, chunks of 6,000, 5 seeds")
    means = []
    for name, model in models.items():
        mix = model.pop("mix")
        runs = [_maes(_synthetic(60_000, 10 * seed + 1, **model), _synthetic(60_000, 10 * seed + 2, **model, mix=mix))
                for seed in range(5)]
        means.append({key: float(np.mean([run[key] for run in runs])) for key in runs[0]})
        _print_maes(name, means[-1])
    _print_maes("average of the five", {key: float(np.mean([m[key] for m in means])) for key in means[0]})
    reference, analysis = load_multiclass()
    analysis = analysis.sort_values("timestamp", kind="stable")
    codes = {c: k for k, c in enumerate(CLASSES)}
    columns = list(SCORES.values())
    _print_maes("NannyML multiclass set", _maes(
        (reference[columns].to_numpy(), reference["y_true"].map(codes).to_numpy()),
        (analysis[columns].to_numpy(), analysis["y_true"].map(codes).to_numpy()),
        analysis["y_pred"].map(codes).to_numpy()))


def main() -> None:
    binary()
    multiclass()
    normalisation()


if __name__ == "__main__":
    main()
