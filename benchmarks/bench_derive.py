"""Deriving a behavioural label at scale: answerkey (DuckDB, files in place) against pandas, in the same run.

1,000,000 customers with a subscription start (the anchor) and 10,000,000 account events (logins, plan
changes, cancellations) as Parquet; the label is "cancelled within 90 days of the start", derived as of a
date that leaves the last 90 days' windows open (immature). The pandas peer is what a user writes by hand:
read both files, filter the outcome, merge on the customer, keep events in the window, first event per
customer, status by the window's end. Each side runs in its own process (its peak RSS is its own); the
results are compared customer by customer.

    python benchmarks/bench_derive.py [--customers 1000000] [--events 10000000] [--quick]
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

START = np.datetime64("2025-01-01T00:00:00", "s")
AS_OF = "2026-01-01"
WINDOW_DAYS = 90


def generate(folder: Path, customers: int, events: int, seed: int = 0) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:08d}" for i in range(customers)], dtype=object)
    started = START + rng.integers(0, 365 * 86_400, customers).astype("timedelta64[s]")
    pq.write_table(pa.table({"customer_id": ids, "started_at": started}), folder / "subscriptions.parquet")
    who = rng.integers(0, customers, events)
    kind = rng.choice(np.array(["login", "plan_change", "cancel"]), events, p=[0.9, 0.08, 0.02])
    when = started[who] + rng.integers(-30 * 86_400, 200 * 86_400, events).astype("timedelta64[s]")
    pq.write_table(pa.table({"customer_id": ids[who], "event_type": kind, "occurred_at": when}),
                   folder / "events.parquet", row_group_size=1_000_000)


def run_ours(folder: Path) -> dict[str, Any]:
    import pandas as pd

    from answerkey.labels import BehavioralDefinition, derive_behavioral
    from answerkey.monitoring.engines import connect

    definition = BehavioralDefinition.model_validate({
        "name": "churn", "entity": "customer_id",
        "anchor": {"table": str(folder / "subscriptions.parquet"), "time": "started_at"},
        "events": {"table": str(folder / "events.parquet"), "time": "occurred_at"},
        "outcome": "event_type = 'cancel'", "window": f"{WINDOW_DAYS} days",
        "labels": {"positive": "churned", "negative": "retained"}})
    start = time.perf_counter()
    result = derive_behavioral(definition, connect("duckdb"), pd.Timestamp(AS_OF).to_pydatetime())
    seconds = time.perf_counter() - start
    result[["item_id", "status"]].to_parquet(folder / "ours.parquet")
    return {"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "counts": result["status"].value_counts().to_dict()}


def run_pandas(folder: Path) -> dict[str, Any]:
    import pandas as pd

    start = time.perf_counter()
    anchors = pd.read_parquet(folder / "subscriptions.parquet")
    events = pd.read_parquet(folder / "events.parquet")
    as_of = pd.Timestamp(AS_OF)
    hits = events[(events["event_type"] == "cancel") & (events["occurred_at"] <= as_of)]
    joined = anchors.merge(hits[["customer_id", "occurred_at"]], on="customer_id", how="left")
    end = joined["started_at"] + pd.Timedelta(days=WINDOW_DAYS)
    inside = (joined["occurred_at"] >= joined["started_at"]) & (joined["occurred_at"] < end)
    first = joined[inside].groupby("customer_id")["occurred_at"].min()
    result = anchors.assign(first=anchors["customer_id"].map(first))
    closes = result["started_at"] + pd.Timedelta(days=WINDOW_DAYS)
    result["status"] = np.where(result["first"].notna(), "positive",
                                np.where(closes <= as_of, "negative", "immature"))
    seconds = time.perf_counter() - start
    result.rename(columns={"customer_id": "item_id"})[["item_id", "status"]].to_parquet(folder / "pandas.parquet")
    return {"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "counts": result["status"].value_counts().to_dict()}


def _child(kind: str, folder: Path, *more: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", kind, "--folder", str(folder), *more],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 customers, 1,000,000 events")
    parser.add_argument("--child", choices=["ours", "pandas", "generate"])
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.child == "generate":  # in its own process: Linux keeps a parent's peak RSS across fork and exec
        generate(args.folder, args.customers, args.events)
        print(json.dumps({}))
        return
    if args.child:
        print(json.dumps(run_ours(args.folder) if args.child == "ours" else run_pandas(args.folder)))
        return
    customers, events = (100_000, 1_000_000) if args.quick else (args.customers, args.events)
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _child("generate", folder, "--customers", str(customers), "--events", str(events))
        ours, theirs = _child("ours", folder), _child("pandas", folder)
        a = pd.read_parquet(folder / "ours.parquet").set_index("item_id")["status"].sort_index()
        b = pd.read_parquet(folder / "pandas.parquet").set_index("item_id")["status"].sort_index()
        same = bool(a.equals(b))
    print(f"{customers:,} customers, {events:,} events; statuses {ours['counts']}; identical to pandas: {same}")
    print(f"  answerkey (DuckDB, files in place) {ours['seconds']:6.2f} s, peak RSS {ours['rss_mb']:6.0f} MB")
    print(f"  pandas (merge + groupby)           {theirs['seconds']:6.2f} s, peak RSS {theirs['rss_mb']:6.0f} MB; "
          f"answerkey {theirs['seconds'] / ours['seconds']:.1f}x faster, {theirs['rss_mb'] / ours['rss_mb']:.1f}x "
          "less memory")


if __name__ == "__main__":
    main()
