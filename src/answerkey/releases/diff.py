"""``release diff``: which items were added, removed or relabeled between two releases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["ReleaseDiff", "diff_release_labels"]


@dataclass(frozen=True)
class ReleaseDiff:
    """Items added, removed and changed (label or status), and label counts on both sides."""

    old: str
    new: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    label_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "old": self.old,
            "new": self.new,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "label_counts": self.label_counts,
        }


def _differs(a: Any, b: Any) -> bool:
    """Labels differ unless both are missing (None or NaN) or equal."""
    if pd.isna(a) and pd.isna(b):
        return False
    return bool(a != b)


def diff_release_labels(old_name: str, old: pd.DataFrame, new_name: str, new: pd.DataFrame) -> ReleaseDiff:
    """Compare two releases' label frames (``item_id``, ``label``, ``status``)."""
    before = old.set_index("item_id")
    after = new.set_index("item_id")
    added = sorted(set(after.index) - set(before.index))
    removed = sorted(set(before.index) - set(after.index))
    both = sorted(set(before.index) & set(after.index))
    changed = []
    for item_id in both:
        a: Any = before.at[item_id, "label"]
        b: Any = after.at[item_id, "label"]
        sa: Any = before.at[item_id, "status"]
        sb: Any = after.at[item_id, "status"]
        if _differs(a, b) or sa != sb:
            changed.append({"item_id": item_id, "old_label": None if pd.isna(a) else a,
                            "new_label": None if pd.isna(b) else b, "old_status": sa, "new_status": sb})
    labels = sorted(set(before["label"].dropna()) | set(after["label"].dropna()))
    counts = {
        label: {
            "old": int((before["label"] == label).sum()),
            "new": int((after["label"] == label).sum()),
        }
        for label in labels
    }
    return ReleaseDiff(old_name, new_name, added, removed, changed, counts)
