"""Annotation drift: who changed how they label, and when.

Per annotator and time window (of the judgement's time) this compares the annotator's label distribution with
their own past and with the other annotators in the same window (chi-square test, Jensen-Shannon divergence),
and their agreement with the majority of the other judgements on the same items (their own vote left out).

A shift the whole pool shares (a seasonal peak, a new product) is not drift: the labels that "moved" are
measured against the pool's own move over the same windows. A constant quirk (a careless or confused
annotator) is not drift either: the comparison is with the annotator's own past. Labels of different schema
versions are compared through their lineage (``replaces``): a split label counts as the label it replaced.

A window is flagged when, after Holm's correction over every test of its kind, the annotator's label
distribution moved significantly away from their own past, and either their agreement with the others fell
significantly below their past (by at least ``min_drop``) or they differ significantly from the pool with some
label moved, relative to the pool, by at least ``min_shift``. Requiring the annotator's own labels to have
moved keeps a steady annotator from being flagged when a peer's drift lowers everyone's agreement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.findings import Finding, Severity
from answerkey.quality.aggregation._encoding import encode_judgements
from answerkey.quality.aggregation.weighted import leave_one_out_agreement

__all__ = ["WINDOWS", "AnnotationDrift", "annotation_drift", "label_lineage"]

WINDOWS = {"week": "W", "month": "M", "quarter": "Q"}


def label_lineage(schemas: Iterable[Any]) -> dict[str, str]:
    """Label -> its lineage across schema versions: labels linked by ``replaces`` share one name.

    The name is the oldest label of the lineage (splits count as what they split; merges as the first merged
    label, alphabetically). Works on any objects with ``labels`` whose items have ``name`` and ``replaces``.
    """
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        parent.setdefault(name, name)
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    order: dict[str, int] = {}
    for position, schema in enumerate(schemas):
        for label in schema.labels:
            order.setdefault(label.name, position)
            for old in label.replaces:
                order.setdefault(old, position - 1)
                first, second = root(old), root(label.name)
                if first != second:
                    keep, drop = sorted((first, second), key=lambda n: (order.get(n, 0), n))
                    parent[drop] = keep
    return {name: root(name) for name in order}


@dataclass(frozen=True)
class AnnotationDrift:
    """Per annotator and window: the statistics, the flags and the findings."""

    windows: pd.DataFrame
    findings: list[Finding]

    def flagged(self) -> pd.DataFrame:
        """Only the flagged windows."""
        flagged: pd.DataFrame = self.windows[self.windows["flagged"]]
        return flagged

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        rows = self.windows.replace({np.nan: None}).to_dict(orient="records")
        return {"windows": rows, "findings": [f.to_dict() for f in self.findings]}


def annotation_drift(
    annotations: pd.DataFrame,
    window: str = "month",
    lineage: Mapping[str, str] | None = None,
    alpha: float = 0.01,
    min_judgements: int = 30,
    min_drop: float = 0.05,
    min_shift: float = 0.05,
) -> AnnotationDrift:
    """Drift of every annotator over time windows of their judgements.

    Parameters
    ----------
    annotations : DataFrame
        ``item_id``, ``annotator_id``, ``label``, ``created_at`` (when the judgement was made).
    window : str
        ``week``, ``month`` or ``quarter``.
    lineage : mapping, optional
        Label -> lineage (see :func:`label_lineage`), to compare across schema versions.
    alpha : float
        Family-wise error rate of each kind of test (Holm).
    min_judgements : int
        Windows (and pasts) with fewer judgements are not tested.
    min_drop, min_shift : float
        The smallest drop in agreement, and the smallest move of one label's share relative to the pool, that
        is worth a finding.

    Returns
    -------
    AnnotationDrift
        ``windows``: ``annotator_id``, ``window``, ``judgements``, ``agreement``, ``past_agreement``,
        ``agreement_p``, ``js_past``, ``chi2_past_p``, ``js_pool``, ``chi2_pool_p``, ``moved`` (the labels
        that moved most relative to the pool, e.g. ``other +0.21``), ``flagged``; one finding per flagged window.
    """
    if window not in WINDOWS:
        raise ParameterError.invalid("window", f"one of {', '.join(WINDOWS)}", window)
    if "created_at" not in annotations:
        raise ParameterError.invalid("annotations", "a created_at column (when each judgement was made)",
                                     f"columns {list(annotations.columns)}")
    frame = annotations.loc[annotations["label"].notna() & annotations["created_at"].notna(),
                            ["item_id", "annotator_id", "label", "created_at"]].copy()
    if lineage:
        frame["label"] = frame["label"].map(lambda v: lineage.get(v, v))
    stamps = pd.to_datetime(frame["created_at"], utc=True).dt.tz_localize(None)
    frame["window"] = stamps.dt.to_period(WINDOWS[window]).astype(str)
    data = encode_judgements(frame)
    agrees, usable = leave_one_out_agreement(data)
    window_code, window_names = pd.factorize(frame["window"], sort=True)
    cells = _Cells.build(data.annotator, window_code, data.label, agrees, usable, data.shape[1],
                         len(window_names), data.shape[2])
    labels = np.asarray(data.labels, dtype=object)
    rows = [_window_row(cells, a, w, labels, min_judgements) | {"annotator_id": data.annotators[a],
                                                                "window": window_names[w]}
            for a, w in zip(*np.nonzero(cells.counts.sum(axis=2)), strict=True)]
    table = pd.DataFrame(rows)
    if table.empty:
        return AnnotationDrift(table, [])
    table = table[["annotator_id", "window", *[c for c in table.columns if c not in ("annotator_id", "window")]]]
    for column in ("agreement_p", "chi2_past_p", "chi2_pool_p"):
        table[column + "_adjusted"] = _holm(table[column].to_numpy(dtype=float))
    changed = table["chi2_past_p_adjusted"] < alpha
    dropped = (table["agreement_p_adjusted"] < alpha) & (table["past_agreement"] - table["agreement"] >= min_drop)
    moved = (table["chi2_pool_p_adjusted"] < alpha) & (table["largest_shift"] >= min_shift)
    table["flagged"] = (changed & (dropped | moved)).to_numpy(dtype=bool)
    findings = [_finding(row) for row in table[table["flagged"]].itertuples()]
    return AnnotationDrift(table.drop(columns="largest_shift"), findings)


@dataclass(frozen=True)
class _Cells:
    """Counts per annotator x window x label, agreement per annotator x window, and the exclusive running
    totals that make "the past" and "the pool" array lookups instead of scans."""

    counts: np.ndarray
    past: np.ndarray
    hits: np.ndarray
    trials: np.ndarray
    past_hits: np.ndarray
    past_trials: np.ndarray

    @classmethod
    def build(cls, annotator: np.ndarray, window: np.ndarray, label: np.ndarray, agrees: np.ndarray,
              usable: np.ndarray, a: int, w: int, k: int) -> _Cells:
        flat = (annotator * w + window)
        counts = np.bincount(flat * k + label, minlength=a * w * k).reshape(a, w, k).astype(float)
        hits = np.bincount(flat, weights=agrees.astype(float), minlength=a * w).reshape(a, w)
        trials = np.bincount(flat, weights=usable.astype(float), minlength=a * w).reshape(a, w)
        return cls(counts, np.cumsum(counts, axis=1) - counts, hits, trials,
                   np.cumsum(hits, axis=1) - hits, np.cumsum(trials, axis=1) - trials)


def _window_row(cells: _Cells, a: int, w: int, labels: np.ndarray, min_judgements: int) -> dict[str, Any]:
    counts, past_counts = cells.counts[a, w], cells.past[a, w]
    pool_counts = cells.counts[:, w].sum(axis=0) - counts
    pool_past_counts = cells.past[:, w].sum(axis=0) - past_counts
    row: dict[str, Any] = {
        "judgements": int(counts.sum()), "agreement": _ratio(cells.hits[a, w], cells.trials[a, w]),
        "past_agreement": _ratio(cells.past_hits[a, w], cells.past_trials[a, w]), "agreement_p": np.nan,
        "js_past": np.nan, "chi2_past_p": np.nan, "js_pool": np.nan, "chi2_pool_p": np.nan, "moved": "",
        "largest_shift": 0.0,
    }
    if counts.sum() < min_judgements:
        return row
    if pool_counts.sum() >= min_judgements:
        row["js_pool"], row["chi2_pool_p"] = _compare(counts, pool_counts)
    if past_counts.sum() < min_judgements:
        return row
    row["js_past"], row["chi2_past_p"] = _compare(counts, past_counts)
    row["agreement_p"] = _drop_p(cells.hits[a, w], cells.trials[a, w], cells.past_hits[a, w],
                                 cells.past_trials[a, w])
    shift = counts / counts.sum() - past_counts / past_counts.sum()
    if pool_counts.sum() and pool_past_counts.sum():
        shift -= pool_counts / pool_counts.sum() - pool_past_counts / pool_past_counts.sum()
    largest = np.argsort(-np.abs(shift), kind="stable")[:3]
    row["moved"] = ", ".join(f"{labels[i]} {shift[i]:+.2f}" for i in largest if abs(shift[i]) >= 0.01)
    row["largest_shift"] = float(np.abs(shift).max())
    return row


def _ratio(hits: float, trials: float) -> float:
    return float(hits / trials) if trials else float("nan")


def _compare(counts: np.ndarray, other: np.ndarray) -> tuple[float, float]:
    """Jensen-Shannon divergence (bits) and the chi-square homogeneity p-value of two label count vectors."""
    from scipy import stats  # scipy.stats costs half a second to import: only when drift is computed
    from scipy.spatial.distance import jensenshannon

    keep = (counts + other) > 0
    table = np.vstack([counts[keep], other[keep]])
    divergence = float(jensenshannon(counts / counts.sum(), other / other.sum(), base=2) ** 2)
    if table.shape[1] < 2:
        return divergence, 1.0
    p_value = float(stats.chi2_contingency(table, correction=False).pvalue)
    return divergence, p_value


def _drop_p(x1: float, n1: float, x0: float, n0: float) -> float:
    """One-sided two-proportion z-test that agreement now (x1 of n1) is below the past's (x0 of n0)."""
    from scipy import stats
    if n1 == 0 or n0 == 0:
        return float("nan")
    pooled = (x1 + x0) / (n1 + n0)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if spread == 0:
        return 1.0
    return float(stats.norm.cdf((x1 / n1 - x0 / n0) / spread))


def _holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN and does not count as a test)."""
    adjusted = np.full_like(p_values, np.nan)
    tested = np.flatnonzero(~np.isnan(p_values))
    if not len(tested):
        return adjusted
    order = tested[np.argsort(p_values[tested], kind="stable")]
    m = len(order)
    scaled = np.minimum(1.0, np.maximum.accumulate(p_values[order] * (m - np.arange(m))))
    adjusted[order] = scaled
    return adjusted


def _finding(row: Any) -> Finding:
    parts = []
    if not np.isnan(row.agreement) and not np.isnan(row.past_agreement):
        parts.append(f"agreement with the others {row.agreement:.2f} vs {row.past_agreement:.2f} before")
    if row.moved:
        parts.append(f"labels moved against the pool: {row.moved}")
    evidence = {key: (None if isinstance(value, float) and np.isnan(value) else value) for key, value in {
        "judgements": int(row.judgements), "agreement": row.agreement, "past_agreement": row.past_agreement,
        "agreement_p": row.agreement_p_adjusted, "js_past": row.js_past, "chi2_past_p": row.chi2_past_p_adjusted,
        "js_pool": row.js_pool, "chi2_pool_p": row.chi2_pool_p_adjusted, "moved": row.moved,
    }.items()}
    return Finding(check="annotation-drift", what="; ".join(parts) or "label distribution changed",
                   where=f"annotator {row.annotator_id}, {row.window}", severity=Severity.WARNING,
                   score=float(row.past_agreement - row.agreement) if not np.isnan(row.agreement) else None,
                   evidence=evidence)
