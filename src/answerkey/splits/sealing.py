"""The seal of a test split (a content hash of its items, inputs and labels) and the test-set ledger's reading.

Every look at a sealed test set spends some of its power to tell a real improvement from luck (adaptive
overfitting, Dwork et al. 2015); the ledger counts the looks and warns when a fresh test set is due.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import pandas as pd

from answerkey.findings import Finding, Severity

__all__ = ["SEAL_FORMAT", "TEST_LOOKS_WARNING", "ledger_findings", "ledger_summary", "seal_hash"]

SEAL_FORMAT = "answerkey.test-seal/1"
TEST_LOOKS_WARNING = 10
"""Evaluations on one sealed test set after which the ledger warns (``[splits] test_looks_warning``)."""


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def seal_hash(test_items: pd.DataFrame) -> str:
    """sha256 over the test items in code-point order of their id: id, canonical payload and label.

    ``test_items`` has ``item_id``, ``payload`` (a dict) and ``label``. Any change to which items are in the
    test split, to what they contain or to their labels changes the hash.
    """
    ordered = test_items.iloc[test_items["item_id"].astype(str).map(lambda v: v.encode("utf-8")).argsort(
        kind="stable")]
    digest = hashlib.sha256(json.dumps({"format": SEAL_FORMAT}).encode() + b"\n")
    for item_id, payload, label in zip(ordered["item_id"], ordered["payload"], ordered["label"], strict=True):
        record = [str(item_id), payload if isinstance(payload, dict) else _text(payload), _text(label)]
        line = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def ledger_summary(entries: pd.DataFrame, warn_after: int = TEST_LOOKS_WARNING) -> dict[str, Any]:
    """How often a test set was looked at, by whom, for which models; ``entries`` are ledger rows."""
    by_model = entries.groupby("model").size().sort_values(ascending=False) if len(entries) else pd.Series()
    by_person = entries.groupby("recorded_by").size().sort_values(ascending=False) if len(entries) else pd.Series()
    return {
        "looks": len(entries),
        "warn_after": warn_after,
        "models": {str(k): int(v) for k, v in by_model.items()},
        "people": {str(k): int(v) for k, v in by_person.items()},
        "first": str(entries["recorded_at"].min()) if len(entries) else None,
        "last": str(entries["recorded_at"].max()) if len(entries) else None,
        "over_threshold": len(entries) > warn_after,
    }


def ledger_findings(release: str, entries: pd.DataFrame, warn_after: int = TEST_LOOKS_WARNING) -> list[Finding]:
    """A warning once the test set has been looked at more than ``warn_after`` times."""
    looks = len(entries)
    if looks <= warn_after:
        return []
    models = entries["model"].nunique()
    return [Finding(
        check="ledger.test_reuse",
        what=(f"the sealed test set has been evaluated {looks} times ({models} models), more than {warn_after}: "
              "choices made from these results fit the test set itself; cut a fresh test set (a new release "
              "and split) and keep this one for a final look only"),
        where=f"release {release}, test split",
        severity=Severity.WARNING,
        score=float(looks),
        evidence={"looks": looks, "models": int(models), "warn_after": warn_after},
    )]
