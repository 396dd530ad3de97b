"""The test-set ledger: every evaluation against a sealed test split, recorded before its result is seen."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from answerkey.errors import ParameterError, StoreError
from answerkey.findings import Finding
from answerkey.project.splits import current_user, get_split, release_items, verify_seal
from answerkey.project.workspace import Workspace
from answerkey.splits.sealing import ledger_findings, ledger_summary
from answerkey.store import tables as t
from answerkey.store import writes

__all__ = ["DEFAULT_METRICS", "LedgerReport", "evaluate_on_test", "ledger_entries", "ledger_report",
           "record_evaluation"]

Metric = Callable[[np.ndarray, np.ndarray], float]


def _accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    return float((truth == predicted).mean()) if len(truth) else math.nan


def _macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(truth, predicted, average="macro", zero_division=0)) if len(truth) else math.nan


DEFAULT_METRICS: dict[str, Metric] = {"accuracy": _accuracy, "macro_f1": _macro_f1}


def record_evaluation(
    workspace: Workspace, release: str, model: str, metrics: Mapping[str, float], purpose: str | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """Write one look at the release's sealed test set to the ledger; refused when the split is not sealed."""
    if not model.strip():
        raise ParameterError.invalid("--model", "the evaluated model's name", model)
    clean: dict[str, float] = {}
    for name, value in metrics.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(float(value)):
            raise ParameterError.invalid("--metric", "NAME=NUMBER with a finite number", f"{name}={value!r}")
        clean[str(name)] = float(value)
    split = get_split(workspace, release)
    if split.seal is None:
        raise StoreError(f"release {release!r} has no sealed test split, so there is nothing to record looks at; "
                         f"seal it first with `answerkey split seal {release}`")
    broken = [f for f in verify_seal(workspace, release, split) if f.check == "split.seal_broken"]
    if broken:
        raise StoreError(f"refused: the sealed test split of release {release!r} no longer matches its seal (an "
                         "item, its input or its label changed after sealing), so a result on it is not comparable "
                         f"with the looks recorded before; run `answerkey split check {release}` and "
                         "`answerkey verify`, and cut a new release to evaluate on")
    entry = {"release_name": release, "test_hash": split.seal["test_hash"], "model": model.strip(),
             "metrics": clean, "purpose": purpose, "recorded_by": by or current_user(),
             "recorded_at": writes.utcnow()}
    with workspace.transaction() as connection:
        inserted = connection.execute(insert(t.test_ledger).values(**entry)).inserted_primary_key
        entry["entry_id"] = inserted[0] if inserted else None
    return entry


def ledger_entries(workspace: Workspace, release: str) -> pd.DataFrame:
    """Every recorded look at the release's test set, oldest first."""
    columns = ["entry_id", "release_name", "test_hash", "model", "metrics", "purpose", "recorded_by", "recorded_at"]
    with workspace.reading() as connection:
        rows = connection.execute(select(t.test_ledger).where(t.test_ledger.c.release_name == release)
                                  .order_by(t.test_ledger.c.entry_id)).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=columns)


@dataclass(frozen=True)
class LedgerReport:
    """How often a test set was looked at, the entries, and what to worry about."""

    release: str
    summary: dict[str, Any]
    entries: pd.DataFrame
    findings: list[Finding]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        entries = [{**r, "recorded_at": str(r["recorded_at"])} for r in self.entries.to_dict("records")]
        return {"release": self.release, **self.summary, "entries": entries,
                "findings": [f.to_dict() for f in self.findings]}


def ledger_report(workspace: Workspace, release: str, warn_after: int | None = None) -> LedgerReport:
    """The ledger of a release's test set with the reuse warning and the seal's integrity."""
    threshold = warn_after or workspace.config.test_looks_warning
    entries = ledger_entries(workspace, release)
    findings = ledger_findings(release, entries, threshold) + [
        f for f in verify_seal(workspace, release) if f.check != "split.unsealed"]
    return LedgerReport(release, ledger_summary(entries, threshold), entries, findings)


def evaluate_on_test(
    workspace: Workspace, release: str, model: str, predict: Callable[[pd.DataFrame], Sequence[Any]],
    metrics: Mapping[str, Metric] | None = None, purpose: str | None = None, by: str | None = None,
) -> dict[str, float]:
    """Score ``predict`` on the sealed test split, record the look in the ledger, then return the metrics.

    ``predict`` gets the test items (payload fields as columns, no labels) and returns one label per row.
    The record is written before the numbers reach the caller, so no look goes unrecorded.
    """
    split = get_split(workspace, release)
    if split.seal is None:
        raise StoreError(f"release {release!r} has no sealed test split; seal it first with "
                         f"`answerkey split seal {release}`")
    frame = release_items(workspace, release)
    test_ids = set(split.assignments.loc[split.assignments["split"] == "test", "item_id"])
    test = frame[frame["item_id"].isin(test_ids)].reset_index(drop=True)
    truth = test["label"].astype(object).to_numpy()
    predicted = np.asarray(list(predict(test.drop(columns=["label", "status", "payload"]))), dtype=object)
    if len(predicted) != len(test):
        raise ParameterError.invalid("predict", f"one prediction per test item ({len(test)})", len(predicted))
    labeled = pd.notna(truth)
    scores = {name: float(metric(truth[labeled].astype(str), predicted[labeled].astype(str)))
              for name, metric in (metrics or DEFAULT_METRICS).items()}
    record_evaluation(workspace, release, model, scores, purpose, by)
    return scores
