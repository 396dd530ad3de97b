"""The full monitor job at warehouse scale: 10,000,000 predictions with outcomes, on DuckDB, against NannyML.

A binary model's prediction log (10 features: 8 numeric, 2 categorical; a score and a prediction; 26 weeks) and
its outcomes (most arrive within days, the last weeks' not yet) as Parquet files, plus a 1,000,000-row training
reference. The job (``run_monitor``: label lag, realized performance, estimated performance by CBPE, drift of
the 10 features, the predictions and the outcomes per week, findings and signal) runs in a child process
reading the files in place, so its peak RSS is its own.

The peer a user would pick, NannyML (realized performance, CBPE and univariate drift on pandas frames), runs on
a sample of the same data in the same run (it holds everything in memory); the ratio is reported at that size.

    python benchmarks/bench_monitor.py [--rows 10000000] [--peer-rows 1000000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

NUMERIC = [f"x{i}" for i in range(8)]
CATEGORICAL = ["region", "plan"]
FEATURES = [*NUMERIC, *CATEGORICAL]
WEEKS = 26
START = np.datetime64("2026-01-05T00:00:00", "us")  # a Monday


def _part(rng: np.random.Generator, rows: int, offset: int, weeks: float, drift: bool) -> dict[str, np.ndarray]:
    """Rows of the log: features, a calibrated score from them, the outcome and the times."""
    seconds = np.sort(rng.random(rows)) * weeks * 7 * 86_400
    week = seconds / (7 * 86_400)
    late = (week >= 17) if drift else np.zeros(rows, dtype=bool)
    columns: dict[str, np.ndarray] = {"prediction_id": np.arange(offset, offset + rows, dtype=np.int64)}
    columns["predicted_at"] = START + (seconds * 1e6).astype("timedelta64[us]")
    for i, name in enumerate(NUMERIC):
        values = rng.normal(0.0, 1.0, rows) if i % 2 == 0 else rng.lognormal(0.0, 0.6, rows)
        columns[name] = values + np.where(late & (i == 0), 0.6, 0.0)
    columns["region"] = rng.choice(np.array(["north", "south", "east", "west"]), rows, p=[0.4, 0.3, 0.2, 0.1])
    plan_new = np.where(late, 0.3, 0.05)
    columns["plan"] = np.where(rng.random(rows) < plan_new, "starter", np.where(rng.random(rows) < 0.5, "pro", "team"))
    logit = 1.4 * columns["x0"] - 0.8 * columns["x2"] + 0.5 * (columns["region"] == "north") + rng.normal(0, 0.5, rows)
    score = 1.0 / (1.0 + np.exp(-logit))
    columns["score"] = score.round(5)
    columns["prediction"] = (score >= 0.5).astype(np.int64)
    columns["outcome"] = (rng.random(rows) < score).astype(np.int64)
    lag = (rng.lognormal(np.log(2.0), 0.8, rows) * 86_400 * 1e6).astype("timedelta64[us]")
    columns["observed_at"] = columns["predicted_at"] + lag
    return columns


def generate(folder: Path, rows: int, reference_rows: int, seed: int = 0) -> None:
    """Predictions and outcomes in row groups of 1,000,000; the reference with its outcomes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    as_of = START + np.timedelta64(WEEKS * 7, "D")
    writers: dict[str, Any] = {}
    step = 1_000_000
    for block, start in enumerate(range(0, rows, step)):
        size = min(step, rows - start)
        part = _part(rng, size, start, WEEKS, drift=True)
        # each block covers the whole period; sort across blocks is not needed by the job
        arrived = (part["observed_at"] <= as_of) & (rng.random(size) > 0.05)
        preds = pa.table({k: v for k, v in part.items() if k not in ("outcome", "observed_at")})
        outs = pa.table({"prediction_id": part["prediction_id"][arrived], "outcome": part["outcome"][arrived],
                         "observed_at": part["observed_at"][arrived]})
        for name, table in (("predictions", preds), ("outcomes", outs)):
            if name not in writers:
                writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", table.schema)
            writers[name].write_table(table)
        del block
    for writer in writers.values():
        writer.close()
    ref = _part(rng, reference_rows, rows, 8, drift=False)
    ref["predicted_at"] = ref["predicted_at"] - np.timedelta64(8 * 7, "D")
    ref["observed_at"] = ref["predicted_at"] + np.timedelta64(3, "D")
    pq.write_table(pa.table(ref), folder / "reference.parquet")


def run_ours(folder: Path) -> dict[str, Any]:
    """The whole monitor job on DuckDB, timed from opening the files to the signal."""
    from answerkey.monitoring import load_prediction_log
    from answerkey.monitoring.job import run_monitor

    start = time.perf_counter()
    log = load_prediction_log(str(folder / "predictions.parquet"), str(folder / "outcomes.parquet"))
    reference = load_prediction_log(str(folder / "reference.parquet"), engine=log.con)
    loaded = time.perf_counter() - start
    run = run_monitor(log, reference=reference, window="week", features=FEATURES,
                      as_of=str(START + np.timedelta64(WEEKS * 7, "D")), multivariate=False)
    seconds = time.perf_counter() - start
    drifted = sorted({f.where.split()[-1] for f in run.findings if f.check == "monitor.drift"})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "load_seconds": loaded, "rss_mb": peak,
            "predictions": run.lag.predictions, "labelled": run.lag.labelled, "decision": run.signal.decision
            if run.signal else None, "drifted": drifted, "windows": int(run.lag.windows.shape[0])}


def run_nannyml(folder: Path, rows: int) -> dict[str, Any]:
    """NannyML on the first ``rows`` predictions: realized performance, CBPE and univariate drift."""
    import nannyml
    import pandas as pd
    import pyarrow.parquet as pq

    start = time.perf_counter()
    preds = pq.read_table(folder / "predictions.parquet").slice(0, rows).to_pandas()
    outs = pq.read_table(folder / "outcomes.parquet").to_pandas()
    analysis = preds.merge(outs[["prediction_id", "outcome"]], on="prediction_id", how="left")
    reference = pq.read_table(folder / "reference.parquet").to_pandas()
    common = {"y_pred_proba": "score", "y_pred": "prediction", "y_true": "outcome",
              "timestamp_column_name": "predicted_at", "problem_type": "classification_binary", "chunk_period": "W"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        realized = nannyml.PerformanceCalculator(metrics=["roc_auc", "f1", "accuracy"], **common).fit(reference)
        realized.calculate(analysis.dropna(subset=["outcome"]))
        cbpe = nannyml.CBPE(metrics=["roc_auc", "f1", "accuracy"], **common).fit(reference)
        cbpe.estimate(analysis)
        drift = nannyml.UnivariateDriftCalculator(
            column_names=[*FEATURES, "prediction", "outcome"], timestamp_column_name="predicted_at", chunk_period="W",
            continuous_methods=["kolmogorov_smirnov", "jensen_shannon"], categorical_methods=["chi2", "jensen_shannon"])
        drift.fit(reference).calculate(analysis)
    del pd
    return {"seconds": time.perf_counter() - start, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(kind: str, folder: Path, rows: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, "--folder", str(folder), "--rows", str(rows)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--peer-rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="1,000,000 rows, peer on 200,000")
    parser.add_argument("--child", choices=["ours", "nannyml", "generate"])
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.child == "generate":  # in its own process: Linux keeps a parent's peak RSS across fork and exec
        generate(args.folder, args.rows, 1_000_000)
        print(json.dumps({}))
        return
    if args.child:
        result = run_ours(args.folder) if args.child == "ours" else run_nannyml(args.folder, args.rows)
        print(json.dumps(result))
        return
    rows, peer_rows = (1_000_000, 200_000) if args.quick else (args.rows, args.peer_rows)
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        big.mkdir()
        small.mkdir()
        start = time.perf_counter()
        _child("generate", big, rows)
        _child("generate", small, peer_rows)
        print(f"data: {rows:,} + {peer_rows:,} predictions written in {time.perf_counter() - start:.0f} s")
        ours = _child("ours", big, rows)
        print(f"answerkey monitor, {ours['predictions']:,} predictions ({ours['labelled']:,} with outcomes), "
              f"{ours['windows']} weekly windows, DuckDB: {ours['seconds']:.1f} s (load and checks "
              f"{ours['load_seconds']:.1f} s), peak RSS {ours['rss_mb']:,.0f} MB; signal {ours['decision']}; "
              f"drifted: {', '.join(ours['drifted'])}")
        small_ours = _child("ours", small, peer_rows)
        try:
            theirs = _child("nannyml", small, peer_rows)
        except SystemExit as exc:
            print(f"NannyML: not run ({str(exc).splitlines()[0]})")
            return
        print(f"at {peer_rows:,} predictions: answerkey {small_ours['seconds']:.1f} s, {small_ours['rss_mb']:,.0f} MB; "
              f"NannyML (realized + CBPE + univariate drift) {theirs['seconds']:.1f} s, {theirs['rss_mb']:,.0f} MB: "
              f"{theirs['seconds'] / small_ours['seconds']:.1f}x the time, "
              f"{theirs['rss_mb'] / small_ours['rss_mb']:.1f}x the memory")


if __name__ == "__main__":
    main()
