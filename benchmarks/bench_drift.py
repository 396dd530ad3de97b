"""Column drift on 1,000,000 rows x 25 columns per frame: answerkey on DuckDB vs a numpy/scipy pass vs Evidently.

Two Parquet files (reference, current) of 20 numeric and 5 categorical columns, with clear shifts in x0 (mean
+0.5 sd), x1 (sd x 1.5), x5 (a lognormal scaled by 1.3), c0 (one category from 10% to 25%) and c1 (a new
category at 15%), a negligible shift in x2 (mean +0.01 sd: significant at a million rows, not material), and
nothing else. Each contender runs in its own process (so each peak RSS is its own) and is timed from reading the
Parquet files to its flags:

- answerkey: ``column_drift`` on DuckDB reading the Parquet files in place, exact (the default), and again with
  the CDFs read to within 0.001 (``cdf_tolerance=1e-3``, the default of per-window drift);
- numpy/scipy: a careful pass (PSI over reference deciles + ``ks_2samp`` for numeric columns, value counts +
  ``chi2_contingency`` for categorical ones), flagging PSI >= 0.2 or Cramér's V >= 0.1 with p < 0.05;
- Evidently's ``DataDriftPreset`` if ``import evidently`` works (it is in the ``bench`` extra), or in another
  interpreter given by ``--evidently-python``.

    python benchmarks/bench_drift.py [--rows 1000000] [--quick] [--evidently-python /path/to/python]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

NUMERIC = [f"x{i}" for i in range(20)]
CATEGORICAL = [f"c{i}" for i in range(5)]
CLEAR = {"x0", "x1", "x5", "c0", "c1"}
NEGLIGIBLE = "x2"


def make_frame(rows: int, seed: int, shifted: bool) -> dict[str, np.ndarray]:
    """One frame: normal, lognormal, exponential and Poisson columns, five categorical ones."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    for i, name in enumerate(NUMERIC):
        kind = i % 4
        if kind == 0 or name in ("x1", "x2"):
            values = rng.normal(0.0, 1.0, rows)
        elif kind == 1:
            values = rng.lognormal(0.0, 0.75, rows)
        elif kind == 2:
            values = rng.exponential(2.0, rows)
        else:
            values = rng.poisson(4.0, rows).astype(float)
        columns[name] = values
    letters = np.array(list("abcdefghij"))
    for name in CATEGORICAL:
        columns[name] = letters[rng.integers(0, 10, rows)]
    if shifted:
        columns["x0"] = columns["x0"] + 0.5
        columns["x1"] = columns["x1"] * 1.5
        columns["x2"] = columns["x2"] + 0.01
        columns["x5"] = columns["x5"] * 1.3
        moved = rng.random(rows) < 0.1667
        columns["c0"] = np.where(moved, "a", columns["c0"])  # "a": 10% -> 25%
        columns["c1"] = np.where(rng.random(rows) < 0.15, "new", columns["c1"])
    return columns


def write_data(directory: Path, rows: int) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = directory / "reference.parquet", directory / "current.parquet"
    for path, seed, shifted in zip(paths, (1, 2), (False, True), strict=True):
        pq.write_table(pa.table(make_frame(rows, seed, shifted)), path)
    return paths


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_answerkey(reference: str, current: str, cdf_tolerance: float = 0.0) -> set[str]:
    import ibis

    from answerkey.monitoring.drift import column_drift

    con = ibis.duckdb.connect()
    result = column_drift(con.read_parquet(reference), con.read_parquet(current), cdf_tolerance=cdf_tolerance)
    return set(result.loc[result["drifted"], "column"])


def run_answerkey_within(reference: str, current: str) -> set[str]:
    """As ``run_answerkey``, with the CDFs read to within 0.001 (``window_drift``'s default) instead of exactly."""
    return run_answerkey(reference, current, cdf_tolerance=1e-3)


def run_numpy(reference: str, current: str) -> set[str]:
    import pyarrow.parquet as pq
    from scipy.stats import chi2_contingency, ks_2samp
    from scipy.stats.contingency import association

    ref, cur = pq.read_table(reference), pq.read_table(current)
    flagged = set()
    for name in NUMERIC:
        a, b = ref[name].to_numpy(), cur[name].to_numpy()
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        edges = np.unique(np.quantile(a, np.arange(1, 10) / 10, method="inverted_cdf"))
        shares = [np.maximum(np.bincount(np.searchsorted(edges, v), minlength=len(edges) + 1) / len(v), 1e-4)
                  for v in (a, b)]
        psi = float(np.sum((shares[1] - shares[0]) * np.log(shares[1] / shares[0])))
        if psi >= 0.2 and ks_2samp(a, b).pvalue < 0.05:
            flagged.add(name)
    for name in CATEGORICAL:
        counts = [dict(zip(*np.unique(t[name].to_numpy(zero_copy_only=False), return_counts=True), strict=True))
                  for t in (ref, cur)]
        values = sorted(set(counts[0]) | set(counts[1]))
        table = np.array([[c.get(v, 0) for v in values] for c in counts])
        if association(table, method="cramer") >= 0.1 and chi2_contingency(table).pvalue < 0.05:
            flagged.add(name)
    return flagged


def run_evidently(reference: str, current: str) -> set[str]:
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    ref, cur = pd.read_parquet(reference), pd.read_parquet(current)
    snapshot = Report([DataDriftPreset()]).run(reference_data=ref, current_data=cur)
    flagged = set()
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config", {})
        if config.get("type", "").endswith("ValueDrift"):
            value, threshold = metric["value"], config.get("threshold")
            method = str(config.get("method", "")).lower()
            is_test = "p_value" in method or "test" in method or "chi" in method or "ks" in method
            if threshold is not None and ((value < threshold) if is_test else (value >= threshold)):
                flagged.add(config["column"])
    return flagged


RUNNERS = {"answerkey": run_answerkey, "answerkey-0.001": run_answerkey_within, "numpy": run_numpy,
           "evidently": run_evidently}


def worker(name: str, reference: str, current: str) -> None:
    """Run one contender (imports first, outside the clock) and print seconds, peak RSS and flags as JSON."""
    if name.startswith("answerkey"):
        import ibis  # noqa: F401
        import scipy.stats

        import answerkey.monitoring.drift  # noqa: F401
    elif name == "evidently":
        import evidently  # noqa: F401
    else:
        import scipy.stats  # noqa: F401
    start = time.perf_counter()
    flagged = RUNNERS[name](reference, current)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "flagged": sorted(flagged)}))


def run(name: str, python: str, paths: tuple[Path, Path]) -> dict[str, Any] | str:
    command = [python, __file__, "--worker", name, str(paths[0]), str(paths[1])]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def evidently_python(given: str | None) -> tuple[str | None, str]:
    if given:
        return given, f"Evidently from {given}"
    try:
        import evidently
    except ImportError as exc:
        return None, f"Evidently skipped: import evidently failed ({exc}); pip install 'answerkey[bench]'"
    return sys.executable, f"Evidently {evidently.__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 rows, Evidently skipped")
    parser.add_argument("--evidently-python", help="an interpreter with evidently installed")
    parser.add_argument("--worker", nargs=3, metavar=("NAME", "REFERENCE", "CURRENT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    rows = 100_000 if args.quick else args.rows
    with tempfile.TemporaryDirectory() as directory:
        paths = write_data(Path(directory), rows)
        print(f"{rows:,} rows x {len(NUMERIC)} numeric + {len(CATEGORICAL)} categorical columns per frame; "
              f"clear shifts {sorted(CLEAR)}, negligible {NEGLIGIBLE}")
        results = {name: run(name, sys.executable, paths) for name in ("answerkey", "answerkey-0.001", "numpy")}
        python, note = (None, "Evidently skipped (--quick)") if args.quick else evidently_python(args.evidently_python)
        if python:
            results["evidently"] = run("evidently", python, paths)
        else:
            print(f"  {note}")
    ours = results["answerkey"]
    for name, result in results.items():
        if isinstance(result, str):
            print(f"  {name:15} failed: {result}")
            continue
        flagged = set(result["flagged"])
        ratio = "" if name.startswith("answerkey") or isinstance(ours, str) else \
            f", answerkey {result['seconds'] / ours['seconds']:.1f}x faster"
        within = results.get("answerkey-0.001")
        if ratio and isinstance(within, dict):
            ratio += f" (to 0.001: {result['seconds'] / within['seconds']:.1f}x)"
        print(f"  {name:15} {result['seconds']:7.2f} s, peak RSS {result['peak_mb']:6.0f} MB, "
              f"flagged {sorted(flagged)}; clear shifts found {len(flagged & CLEAR)}/{len(CLEAR)}, "
              f"negligible {'flagged' if NEGLIGIBLE in flagged else 'not flagged'}, "
              f"others flagged {sorted(flagged - CLEAR - {NEGLIGIBLE})}{ratio}")


if __name__ == "__main__":
    main()
