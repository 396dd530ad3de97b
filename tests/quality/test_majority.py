"""Majority vote over each annotator's latest judgement: ties disputed, corrections respected, invariances."""

from __future__ import annotations

import pandas as pd
import pytest

from answerkey.quality.aggregation import latest_per_annotator, majority_vote


def frame(rows: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "created_at"])


ROWS = [
    ("a", "x", "p", "2026-01-01"), ("a", "y", "p", "2026-01-01"), ("a", "z", "q", None),
    ("b", "x", "p", None), ("b", "y", "q", None),
    ("c", "x", "r", "2026-01-01"),
]


def test_a_clear_majority_is_agreed_with_its_share_as_confidence() -> None:
    result = majority_vote(frame(ROWS)).set_index("item_id")
    assert result.loc["a", ["label", "status", "n_judgements"]].tolist() == ["p", "agreed", 3]
    assert result.at["a", "confidence"] == pytest.approx(2 / 3)


def test_a_tie_is_disputed_and_never_broken_silently() -> None:
    result = majority_vote(frame(ROWS)).set_index("item_id")
    assert result.loc["b", ["label", "status"]].tolist() == [None, "disputed"]
    assert result.at["b", "confidence"] == pytest.approx(0.5)


def test_a_label_outside_the_schema_version_is_outdated_and_items_without_judgements_unlabeled() -> None:
    result = majority_vote(frame(ROWS), valid_labels=["p", "q"], item_ids=["a", "b", "c", "d"]).set_index("item_id")
    assert result.at["c", "status"] == "outdated"
    assert result.at["c", "label"] == "r"
    assert result.loc["d", ["label", "status", "n_judgements"]].tolist() == [None, "unlabeled", 0]


def test_the_latest_judgement_of_an_annotator_replaces_the_earlier_ones() -> None:
    rows = [("a", "x", "p", "2026-01-02"), ("a", "x", "q", "2026-01-01"), ("a", "y", "q", None),
            ("a", "y", "p", "2026-01-01")]
    latest = latest_per_annotator(frame(rows)).set_index("annotator_id")
    assert latest.at["x", "label"] == "p"  # later created_at wins, whatever the row order
    assert latest.at["y", "label"] == "p"  # a timestamped judgement is newer than one without a time
    untimed = frame([("a", "x", "p", None), ("a", "x", "q", None)]).assign(annotation_id=[2, 1])
    assert latest_per_annotator(untimed)["label"].tolist() == ["p"]  # then recording order decides


def test_the_result_does_not_depend_on_row_order_or_annotator_names() -> None:
    base = majority_vote(frame(ROWS))
    shuffled = frame(ROWS).sample(frac=1.0, random_state=3)
    renamed = frame(ROWS).replace({"annotator_id": {"x": "zz", "y": "aa", "z": "mm"}})
    pd.testing.assert_frame_equal(majority_vote(shuffled), base)
    pd.testing.assert_frame_equal(majority_vote(renamed), base)
    assert base["item_id"].tolist() == sorted(base["item_id"])
