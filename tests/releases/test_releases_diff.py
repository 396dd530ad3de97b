"""``diff_release_labels``: items added, removed and relabeled between two releases, and label counts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from answerkey.releases import ReleaseDiff, diff_release_labels


def release(*rows: tuple[str, str | None, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["item_id", "label", "status"])
    frame["label"] = pd.Series([row[1] for row in rows], dtype=object)
    return frame.assign(confidence=1.0, n_judgements=1)


V1 = release(("T1", "billing", "agreed"), ("T2", "technical", "agreed"), ("T3", None, "disputed"),
             ("T4", "billing", "agreed"), ("T5", "tech", "agreed"))
V2 = release(("T1", "billing", "agreed"), ("T2", "billing", "agreed"), ("T3", "account", "agreed"),
             ("T5", "tech", "outdated"), ("T6", "account", "agreed"), ("T0", None, "unlabeled"))


def test_the_same_release_diffs_empty() -> None:
    diff = diff_release_labels("v1", V1, "v1-again", V1.sample(frac=1.0, random_state=1))
    assert (diff.old, diff.new) == ("v1", "v1-again")
    assert (diff.added, diff.removed, diff.changed) == ([], [], [])


def test_items_only_in_the_new_release_are_added_and_only_in_the_old_removed() -> None:
    diff = diff_release_labels("v1", V1, "v2", V2)
    assert diff.added == ["T0", "T6"]
    assert diff.removed == ["T4"]


def test_a_new_label_or_a_new_status_is_a_change_with_both_sides() -> None:
    diff = diff_release_labels("v1", V1, "v2", V2)
    assert diff.changed == [
        {"item_id": "T2", "old_label": "technical", "new_label": "billing", "old_status": "agreed",
         "new_status": "agreed"},
        {"item_id": "T3", "old_label": None, "new_label": "account", "old_status": "disputed",
         "new_status": "agreed"},
        {"item_id": "T5", "old_label": "tech", "new_label": "tech", "old_status": "agreed",
         "new_status": "outdated"},
    ]


def test_an_item_without_a_label_in_both_releases_is_unchanged() -> None:
    old = release(("T1", None, "disputed"))
    assert diff_release_labels("a", old, "b", old.copy()).changed == []


def test_a_missing_label_written_as_nan_is_the_same_as_none() -> None:
    old = release(("T1", None, "disputed"), ("T2", "billing", "agreed"))
    new = old.assign(label=pd.Series([np.nan, "billing"], dtype=object))
    assert diff_release_labels("a", old, "b", new).changed == []
    assert diff_release_labels("a", new, "b", new.copy()).changed == []


def test_a_changed_confidence_alone_is_not_a_relabeling() -> None:
    old = release(("T1", "billing", "agreed"))
    assert diff_release_labels("a", old, "b", old.assign(confidence=0.6, n_judgements=5)).changed == []


def test_label_counts_cover_every_label_of_either_release() -> None:
    diff = diff_release_labels("v1", V1, "v2", V2)
    assert diff.label_counts == {
        "account": {"old": 0, "new": 2},
        "billing": {"old": 2, "new": 2},
        "tech": {"old": 1, "new": 1},
        "technical": {"old": 1, "new": 0},
    }
    assert list(diff.label_counts) == sorted(diff.label_counts)


def test_diffing_backwards_swaps_added_and_removed() -> None:
    forward, backward = diff_release_labels("v1", V1, "v2", V2), diff_release_labels("v2", V2, "v1", V1)
    assert (backward.added, backward.removed) == (forward.removed, forward.added)
    assert [c["item_id"] for c in backward.changed] == [c["item_id"] for c in forward.changed]
    assert {k: (v["new"], v["old"]) for k, v in backward.label_counts.items()} == {
        k: (v["old"], v["new"]) for k, v in forward.label_counts.items()}


def test_a_diff_with_an_empty_release_adds_everything() -> None:
    diff = diff_release_labels("empty", V1.iloc[:0], "v1", V1)
    assert diff.added == ["T1", "T2", "T3", "T4", "T5"]
    assert (diff.removed, diff.changed) == ([], [])
    assert diff.label_counts["billing"] == {"old": 0, "new": 2}


def test_a_release_diff_is_json_ready() -> None:
    diff = diff_release_labels("v1", V1, "v2", V2)
    assert isinstance(diff, ReleaseDiff)
    data = json.loads(json.dumps(diff.to_dict()))
    assert data["old"] == "v1"
    assert data["new"] == "v2"
    assert data["changed"][0]["item_id"] == "T2"
