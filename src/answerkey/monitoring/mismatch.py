"""Distribution mismatch: segments that carry production traffic but are rare or absent in the training ground
truth (the enterprise-to-SMB case). A model is only as good on a segment as its answer key covered it.

Counts are computed in the engine (``group_by`` on Ibis tables); only one row per segment reaches pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.findings import Finding, Severity

__all__ = ["segment_mismatch"]


def _counts(table: Any, by: list[str], name: str) -> pd.DataFrame:
    import ibis

    if isinstance(table, pd.DataFrame):
        table = ibis.memtable(table)
    missing = [c for c in by if c not in table.columns]
    if missing:
        raise ParameterError.invalid("by", f"columns of the {name} ({', '.join(table.columns)})", missing)
    counted: pd.DataFrame = table.group_by(by).aggregate(n=table.count()).to_pandas()
    return counted


def segment_mismatch(
    reference: Any, production: Any, *, by: Sequence[str], min_traffic: float = 0.05, under: float = 0.5,
    min_reference: int = 100, performance: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Each segment's share of the reference (training ground truth) and of production traffic.

    A segment is flagged when it carries at least ``min_traffic`` of production and either has fewer than
    ``min_reference`` reference rows or its reference share is below ``under`` times its production share.
    ``performance`` (columns ``by``, ``metric``, ``value``; realized or estimated) adds each segment's numbers
    to the evidence. Returns the table (``by``, ``reference_n``, ``reference_share``, ``production_n``,
    ``production_share``, ``coverage_ratio``, ``flagged``) and the findings, largest traffic first.
    """
    columns = list(by)
    if not columns:
        raise ParameterError.invalid("by", "one or more segment columns", by)
    if not 0.0 <= min_traffic < 1.0:
        raise ParameterError.invalid("min_traffic", "a share in [0, 1)", min_traffic)
    ref, prod = _counts(reference, columns, "reference"), _counts(production, columns, "production")
    table = prod.merge(ref, on=columns, how="outer", suffixes=("_production", "_reference")).fillna(
        {"n_production": 0, "n_reference": 0})
    table = table.rename(columns={"n_production": "production_n", "n_reference": "reference_n"})
    table[["production_n", "reference_n"]] = table[["production_n", "reference_n"]].astype("int64")
    table["production_share"] = table["production_n"] / max(int(table["production_n"].sum()), 1)
    table["reference_share"] = table["reference_n"] / max(int(table["reference_n"].sum()), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["coverage_ratio"] = table["reference_share"] / table["production_share"]
    table["flagged"] = (table["production_share"] >= min_traffic) & (
        (table["reference_n"] < min_reference) | (table["coverage_ratio"] < under))
    table = table.sort_values("production_share", ascending=False, kind="stable").reset_index(drop=True)
    table = table[[*columns, "reference_n", "reference_share", "production_n", "production_share",
                   "coverage_ratio", "flagged"]]
    findings = []
    for row in table[table["flagged"]].to_dict("records"):
        name = ", ".join(f"{c}={row[c]}" for c in columns)
        evidence: dict[str, Any] = {k: (float(row[k]) if isinstance(row[k], float) else row[k])
                                    for k in ("reference_n", "reference_share", "production_n", "production_share")}
        if performance is not None:
            match = performance
            for c in columns:
                match = match[match[c] == row[c]]
            evidence["performance"] = {str(m): float(v) for m, v in zip(match["metric"], match["value"], strict=True)}
        absent = row["reference_n"] == 0
        findings.append(Finding(
            "mismatch.segment",
            (f"{name} is {row['production_share']:.0%} of production traffic but "
             + ("absent from" if absent else f"{row['reference_share']:.0%} of")
             + " the training ground truth: the model's numbers on it rest on "
             + ("nothing" if absent else f"{row['reference_n']:,} labeled examples")
             + "; label a sample of its production items and retrain or evaluate on them"),
            name, Severity.ERROR if absent else Severity.WARNING, float(row["production_share"]), evidence))
    return table, findings
