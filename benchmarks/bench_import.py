"""Import 1,000,000 annotation rows into a fresh SQLite workspace: rows/s and peak memory.

Side by side, in the same run, the baseline a user would write instead: ``pandas.read_csv`` then
``DataFrame.to_sql`` into SQLite (no validation, no idempotency, no transaction over the whole file).
Each side runs in its own process so its peak resident memory is its own. Target: under 30 s, under 1 GiB.

    python benchmarks/bench_import.py [--rows 1000000] [--items 200000]
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

import numpy as np
import pandas as pd

LABELS = ("billing", "technical_issue", "account_access", "cancellation", "feature_request", "shipping", "other")
SCHEMA = "name: bench\nversion: 1\ntask: single_label\nlabels:\n" + "".join(
    f"  - name: {label}\n    definition: tickets about {label}\n" for label in LABELS
)


def make_files(folder: Path, rows: int, items: int, seed: int = 1) -> tuple[Path, Path]:
    """An items file and a long-format annotation CSV with ``rows`` judgements."""
    rng = np.random.default_rng(seed)
    item_ids = np.array([f"ITEM-{i:07d}" for i in range(items)])
    pd.DataFrame({"item_id": item_ids, "text": "ticket text", "segment": rng.choice(["smb", "enterprise"], items)}
                 ).to_parquet(folder / "items.parquet", index=False)
    start = np.datetime64("2025-01-01T00:00:00")
    frame = pd.DataFrame({
        "item_id": item_ids[rng.integers(0, items, rows)],
        "annotator_id": np.char.add("annotator-", rng.integers(0, 40, rows).astype(str)),
        "label": np.array(LABELS)[rng.integers(0, len(LABELS), rows)],
        "created_at": (start + rng.integers(0, 600 * 86400, rows).astype("timedelta64[s]")).astype(str),
        "source": "human",
    })
    frame["created_at"] = frame["created_at"] + "Z"
    frame.to_csv(folder / "annotations.csv", index=False)
    return folder / "items.parquet", folder / "annotations.csv"


def child(side: str, folder: str) -> None:
    """Run one side in this process and print its timing and peak memory as JSON."""
    work = Path(folder)
    if side == "answerkey":
        from answerkey.project import Workspace, import_annotations, import_items

        ws = Workspace.init(work / f"ws-{time.time_ns()}")
        ws.config.schema_path.write_text(SCHEMA)
        import_items(ws, work / "items.parquet")
        start = time.perf_counter()
        result = import_annotations(ws, work / "annotations.csv")
        elapsed = time.perf_counter() - start
        added = result.rows_added
        start = time.perf_counter()
        again = import_annotations(ws, work / "annotations.csv")
        reimport = time.perf_counter() - start
        assert again.rows_added == 0
    else:
        import sqlite3

        connection = sqlite3.connect(work / f"baseline-{time.time_ns()}.db")
        start = time.perf_counter()
        frame = pd.read_csv(work / "annotations.csv")
        frame.to_sql("annotations", connection, index=False, chunksize=100_000)
        connection.commit()
        elapsed = time.perf_counter() - start
        added, reimport = len(frame), float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "rows": added, "peak_mib": peak, "reimport_seconds": reimport}))


def run_side(side: str, folder: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", side, str(folder)], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--child", nargs=2, metavar=("SIDE", "FOLDER"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_files(folder, args.rows, args.items)
        ours = run_side("answerkey", folder)
        baseline = run_side("baseline", folder)
    print(f"import {args.rows:,} annotation rows (CSV, {args.items:,} items) into SQLite")
    print(f"  answerkey  {ours['seconds']:6.2f} s  {args.rows / ours['seconds']:>10,.0f} rows/s  "
          f"peak {ours['peak_mib']:6.0f} MiB  (validated, idempotent, one transaction; re-import "
          f"{ours['reimport_seconds']:.2f} s adds 0)")
    print(f"  pandas.to_sql {baseline['seconds']:6.2f} s  {args.rows / baseline['seconds']:>10,.0f} rows/s  "
          f"peak {baseline['peak_mib']:6.0f} MiB  (no validation)")
    print(f"  ratio answerkey / pandas.to_sql time: {ours['seconds'] / baseline['seconds']:.2f}x")
    target = ours["seconds"] < 30 and ours["peak_mib"] < 1024
    print(f"  target (< 30 s, < 1024 MiB): {'met' if target else 'NOT met'}")


if __name__ == "__main__":
    main()
