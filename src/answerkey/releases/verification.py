"""Whether a release is still what was frozen (pure): the result shape, and which labels differ from a reference.

:func:`answerkey.project.release_check.verify_release` gathers the stored rows and recomputes the hashes; this
module names what differs and holds the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from answerkey.findings import Finding, Severity

__all__ = ["LABEL_FIELDS", "ReleaseVerification", "describe_differences", "error", "kept", "label_differences"]

LABEL_FIELDS = ("label", "confidence", "status", "n_judgements")
"""What a release records per item, besides its id: the fields its content hash covers."""
SHOWN = 5
"""Differences a finding's sentence names; its evidence lists up to :data:`KEPT`."""
KEPT = 100


@dataclass(frozen=True)
class ReleaseVerification:
    """A release checked against its recorded hashes: the hashes, and a finding for each thing that differs."""

    release: str
    recorded_hash: str
    computed_hash: str
    findings: list[Finding] = field(default_factory=list)
    items_checked: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing differs (no error finding)."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"release": self.release, "ok": self.ok, "recorded_hash": self.recorded_hash,
                "computed_hash": self.computed_hash, "items_checked": self.items_checked,
                "findings": [f.to_dict() for f in self.findings]}


def _value(field_name: str, value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if field_name == "confidence":
        return f"{float(value):.9f}"  # as the content hash writes it
    if field_name == "n_judgements":
        return int(value)
    return str(value)


def label_differences(stored: pd.DataFrame, reference: pd.DataFrame) -> list[dict[str, Any]]:
    """How ``stored`` labels differ from ``reference`` ones (both ``item_id`` plus :data:`LABEL_FIELDS`), in
    code-point order of the item ids: one entry per item with ``change`` (``changed``, ``added`` for an item
    only in ``stored``, ``removed`` for one only in ``reference``) and the fields' ``expected`` and ``found``
    values (confidences as the hash writes them)."""
    def table(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
        return {str(row["item_id"]): {f: _value(f, row[f]) for f in LABEL_FIELDS}
                for row in frame[["item_id", *LABEL_FIELDS]].to_dict("records")}

    found, expected = table(stored), table(reference)
    differences = []
    for item_id in sorted(found.keys() | expected.keys(), key=lambda i: i.encode("utf-8")):
        now, then = found.get(item_id), expected.get(item_id)
        if now == then:
            continue
        if then is None or now is None:
            differences.append({"item_id": item_id, "change": "added" if then is None else "removed",
                                "expected": then, "found": now})
            continue
        fields = [f for f in LABEL_FIELDS if now[f] != then[f]]
        differences.append({"item_id": item_id, "change": "changed",
                            "expected": {f: then[f] for f in fields}, "found": {f: now[f] for f in fields}})
    return differences


def describe_differences(differences: list[dict[str, Any]]) -> str:
    """The first few differences in words: ``T1 label 'billing' -> 'technical'; T9 added``."""
    parts = []
    for difference in differences[:SHOWN]:
        if difference["change"] != "changed":
            parts.append(f"{difference['item_id']} {difference['change']}")
            continue
        parts.append(difference["item_id"] + " " + ", ".join(
            f"{name} {difference['expected'][name]!r} -> {difference['found'][name]!r}"
            for name in difference["expected"]))
    more = f"; and {len(differences) - SHOWN:,} more" if len(differences) > SHOWN else ""
    return "; ".join(parts) + more


def kept(differences: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The differences a finding's evidence keeps."""
    return differences[:KEPT]


def error(check: str, release: str, what: str, **evidence: Any) -> Finding:
    """A finding that something about ``release`` is no longer what was frozen."""
    return Finding(check, what, f"release {release}", Severity.ERROR, None, evidence)
