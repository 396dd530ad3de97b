"""Estimated performance (CBPE) against NannyML on NannyML's own synthetic binary dataset, one run.

50,000 reference + 50,000 analysis rows, chunks of 5,000; each tool's estimate of ROC AUC and F1 per analysis
chunk is compared with the realized value (the analysis targets ship separately with the dataset).

    python benchmarks/bench_estimate.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd


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


def main() -> None:
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


if __name__ == "__main__":
    main()
