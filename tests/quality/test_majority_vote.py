"""Majority vote over each annotator's latest judgement: shares, ties, corrections, statuses, invariances."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from answerkey.quality.aggregation import STATUSES, latest_per_annotator, majority_vote

COLUMNS = ["item_id", "label", "confidence", "status", "n_judgements"]


def judgements(*rows: tuple[str, str, str] | tuple[str, str, str, str | None]) -> pd.DataFrame:
    """(item, annotator, label[, created_at]) rows as a long annotation frame."""
    with_time = [row if len(row) == 4 else (*row, None) for row in rows]
    return pd.DataFrame(with_time, columns=["item_id", "annotator_id", "label", "created_at"])


def by_item(result: pd.DataFrame) -> dict[str, dict[str, object]]:
    return result.set_index("item_id").to_dict("index")


def test_a_clear_majority_is_agreed_with_its_share_of_votes_as_confidence() -> None:
    result = majority_vote(judgements(("T1", "ann", "billing"), ("T1", "bob", "billing"), ("T1", "cy", "billing"),
                                      ("T1", "dee", "technical")))
    assert list(result.columns) == COLUMNS
    row = by_item(result)["T1"]
    assert (row["label"], row["status"], row["n_judgements"]) == ("billing", "agreed", 4)
    assert row["confidence"] == pytest.approx(0.75)


def test_a_single_judgement_is_agreed_with_full_confidence() -> None:
    row = by_item(majority_vote(judgements(("T1", "ann", "billing"))))["T1"]
    assert (row["label"], row["status"], row["confidence"], row["n_judgements"]) == ("billing", "agreed", 1.0, 1)


@pytest.mark.parametrize("labels", [["a", "b"], ["b", "a"], ["a", "a", "b", "b"], ["a", "b", "c"],
                                    ["c", "a", "b", "a", "b"]])
def test_a_tie_at_the_top_is_disputed_with_no_label(labels: list[str]) -> None:
    rows = [("T1", f"annotator{i}", label) for i, label in enumerate(labels)]
    row = by_item(majority_vote(judgements(*rows)))["T1"]
    assert row["status"] == "disputed"
    assert row["label"] is None
    top = max(labels.count(label) for label in set(labels))
    assert row["confidence"] == pytest.approx(top / len(labels))
    assert row["n_judgements"] == len(labels)


def test_a_tie_below_the_top_does_not_dispute_the_winner() -> None:
    rows = [("T1", "a1", "x"), ("T1", "a2", "x"), ("T1", "a3", "x"), ("T1", "a4", "y"), ("T1", "a5", "z")]
    row = by_item(majority_vote(judgements(*rows)))["T1"]
    assert (row["label"], row["status"]) == ("x", "agreed")
    assert row["confidence"] == pytest.approx(0.6)


def test_an_annotators_later_judgement_is_a_correction_that_replaces_the_earlier_one() -> None:
    rows = [("T1", "ann", "technical", "2026-03-01T09:00:00"), ("T1", "bob", "billing", "2026-03-01T09:30:00"),
            ("T1", "ann", "billing", "2026-03-01T10:00:00")]
    row = by_item(majority_vote(judgements(*rows)))["T1"]
    assert (row["label"], row["status"], row["confidence"], row["n_judgements"]) == ("billing", "agreed", 1.0, 2)


def test_latest_means_the_greatest_created_at_whatever_the_row_order() -> None:
    rows = [("T1", "ann", "billing", "2026-03-02"), ("T1", "ann", "technical", "2026-03-01")]
    latest = latest_per_annotator(judgements(*rows))
    assert latest["label"].tolist() == ["billing"]
    assert latest_per_annotator(judgements(*reversed(rows)))["label"].tolist() == ["billing"]


def test_a_judgement_without_a_time_is_older_than_one_with_a_time() -> None:
    for rows in ([("T1", "ann", "billing", "2020-01-01"), ("T1", "ann", "technical", None)],
                 [("T1", "ann", "technical", None), ("T1", "ann", "billing", "2020-01-01")]):
        assert latest_per_annotator(judgements(*rows))["label"].tolist() == ["billing"]


def test_equal_times_are_broken_by_annotation_id_not_row_order() -> None:
    frame = judgements(("T1", "ann", "billing", "2026-03-01"), ("T1", "ann", "technical", "2026-03-01"))
    assert latest_per_annotator(frame.assign(annotation_id=[7, 3]))["label"].tolist() == ["billing"]
    assert latest_per_annotator(frame.assign(annotation_id=[3, 7]))["label"].tolist() == ["technical"]


def test_judgements_without_times_are_ordered_by_annotation_id() -> None:
    frame = judgements(("T1", "ann", "billing"), ("T1", "ann", "technical"), ("T1", "ann", "account"))
    assert latest_per_annotator(frame.assign(annotation_id=[2, 9, 5]))["label"].tolist() == ["technical"]


def test_without_times_or_annotation_ids_the_last_row_is_the_latest() -> None:
    frame = judgements(("T1", "ann", "billing"), ("T1", "ann", "technical"))
    assert latest_per_annotator(frame)["label"].tolist() == ["technical"]


def test_created_at_may_be_timestamps_and_compares_as_time_not_text() -> None:
    frame = pd.DataFrame({
        "item_id": ["T1", "T1"], "annotator_id": ["ann", "ann"], "label": ["billing", "technical"],
        "created_at": [pd.Timestamp("2026-03-01 10:00"), pd.Timestamp("2026-03-01 09:00")],
    })
    assert latest_per_annotator(frame)["label"].tolist() == ["billing"]


def test_created_at_with_different_utc_offsets_compares_the_instants() -> None:
    # 10:00+05:00 is 05:00 UTC, before 08:00 UTC: the "technical" judgement is the later one
    rows = [("T1", "ann", "billing", "2026-03-01T10:00:00+05:00"), ("T1", "ann", "technical", "2026-03-01T08:00:00Z")]
    assert latest_per_annotator(judgements(*rows))["label"].tolist() == ["technical"]


def test_corrections_are_per_annotator_and_per_item() -> None:
    rows = [("T1", "ann", "a", "2026-01-01"), ("T2", "ann", "b", "2026-01-02"), ("T1", "bob", "c", "2026-01-03")]
    latest = latest_per_annotator(judgements(*rows))
    assert sorted(zip(latest["item_id"], latest["annotator_id"], latest["label"], strict=True)) == [
        ("T1", "ann", "a"), ("T1", "bob", "c"), ("T2", "ann", "b")]


def test_latest_per_annotator_keeps_the_other_columns() -> None:
    frame = judgements(("T1", "ann", "a")).assign(annotation_id=[1], source=["human"], note=["sure"])
    latest = latest_per_annotator(frame)
    assert list(latest.columns) == list(frame.columns)
    assert latest.iloc[0]["note"] == "sure"


def test_a_winner_outside_the_valid_labels_is_outdated_and_keeps_its_label() -> None:
    rows = [("T1", "ann", "tech"), ("T1", "bob", "tech"), ("T2", "ann", "billing"), ("T3", "ann", "x"),
            ("T3", "bob", "y")]
    result = by_item(majority_vote(judgements(*rows), valid_labels=["billing", "technical"]))
    assert (result["T1"]["label"], result["T1"]["status"], result["T1"]["confidence"]) == ("tech", "outdated", 1.0)
    assert result["T2"]["status"] == "agreed"
    assert (result["T3"]["label"], result["T3"]["status"]) == (None, "disputed")


def test_valid_labels_may_be_any_iterable_and_without_them_nothing_is_outdated() -> None:
    frame = judgements(("T1", "ann", "tech"))
    assert majority_vote(frame)["status"].tolist() == ["agreed"]
    assert majority_vote(frame, valid_labels=iter(["billing"]))["status"].tolist() == ["outdated"]
    assert majority_vote(frame, valid_labels=()).loc[0, "status"] == "outdated"


def test_items_without_judgements_come_out_unlabeled() -> None:
    result = majority_vote(judgements(("T2", "ann", "billing")), item_ids=["T3", "T2", "T1"])
    assert result["item_id"].tolist() == ["T1", "T2", "T3"]
    rows = by_item(result)
    for item in ("T1", "T3"):
        assert rows[item]["label"] is None
        assert rows[item]["status"] == "unlabeled"
        assert rows[item]["n_judgements"] == 0
        assert math.isnan(rows[item]["confidence"])
    assert rows["T2"]["status"] == "agreed"


def test_no_annotations_at_all_gives_every_item_unlabeled_or_an_empty_result() -> None:
    empty = pd.DataFrame(columns=["item_id", "annotator_id", "label"])
    assert majority_vote(empty, item_ids=["B", "A"])[["item_id", "status"]].values.tolist() == [
        ["A", "unlabeled"], ["B", "unlabeled"]]
    nothing = majority_vote(empty)
    assert nothing.empty
    assert list(nothing.columns) == COLUMNS


def test_every_status_is_one_of_the_documented_statuses_and_the_types_are_stable() -> None:
    rows = [("T1", "ann", "a"), ("T2", "ann", "a"), ("T2", "bob", "b"), ("T3", "ann", "old")]
    result = majority_vote(judgements(*rows), valid_labels=["a", "b"], item_ids=["T1", "T2", "T3", "T4"])
    assert result["status"].tolist() == ["agreed", "disputed", "outdated", "unlabeled"]
    assert set(result["status"]) <= set(STATUSES)
    assert result["n_judgements"].dtype == np.int64
    assert result["confidence"].dtype == np.float64


def test_the_output_is_ordered_by_item_id_in_code_point_order() -> None:
    items = ["b", "item10", "A", "item2", "a", "Z"]
    result = majority_vote(judgements(*[(item, "ann", "x") for item in items]))
    assert result["item_id"].tolist() == sorted(items)
    assert result.index.tolist() == list(range(len(items)))


MIXED = [
    ("T1", "ann", "billing", "2026-03-01"), ("T1", "bob", "billing", None), ("T1", "cy", "technical", "2026-03-02"),
    ("T2", "ann", "billing", None), ("T2", "bob", "technical", None),
    ("T3", "ann", "technical", "2026-03-01"), ("T3", "ann", "account", "2026-03-05"), ("T3", "bob", "account", None),
    ("T4", "cy", "legacy", "2026-03-01"),
    ("T5", "ann", "account", "2026-03-02"), ("T5", "bob", "account", "2026-03-03"), ("T5", "cy", "billing", None),
    ("T5", "dee", "billing", "2026-03-01"), ("T5", "dee", "account", "2026-03-04"),
]
VALID = ["billing", "technical", "account"]
ITEMS = ["T1", "T2", "T3", "T4", "T5", "T6"]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_shuffling_the_rows_gives_the_same_result(seed: int) -> None:
    base = majority_vote(judgements(*MIXED), valid_labels=VALID, item_ids=ITEMS)
    shuffled = judgements(*MIXED).sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(majority_vote(shuffled, valid_labels=VALID, item_ids=ITEMS), base)


def test_renaming_the_annotators_gives_the_same_result() -> None:
    base = majority_vote(judgements(*MIXED), valid_labels=VALID, item_ids=ITEMS)
    renamed = judgements(*MIXED).replace({"annotator_id": {"ann": "zz", "bob": "aa", "cy": "mm", "dee": "bob"}})
    pd.testing.assert_frame_equal(majority_vote(renamed, valid_labels=VALID, item_ids=ITEMS), base)


def test_renaming_the_labels_renames_the_result_and_nothing_else() -> None:
    names = {"billing": "B", "technical": "T", "account": "A", "legacy": "L"}
    base = majority_vote(judgements(*MIXED), valid_labels=VALID, item_ids=ITEMS)
    relabeled = judgements(*MIXED).replace({"label": names})
    result = majority_vote(relabeled, valid_labels=[names[v] for v in VALID], item_ids=ITEMS)
    mapped = [None if label is None else names[label] for label in base["label"]]
    expected = base.assign(label=pd.Series(mapped, dtype=object))
    pd.testing.assert_frame_equal(result, expected)


def test_the_mixed_example_gives_the_expected_ground_truth() -> None:
    result = by_item(majority_vote(judgements(*MIXED), valid_labels=VALID, item_ids=ITEMS))
    summary = {item: (row["label"], row["status"], row["n_judgements"]) for item, row in result.items()}
    assert summary == {
        "T1": ("billing", "agreed", 3),
        "T2": (None, "disputed", 2),
        "T3": ("account", "agreed", 2),  # ann corrected technical -> account
        "T4": ("legacy", "outdated", 1),
        "T5": ("account", "agreed", 4),  # dee corrected billing -> account: 3 of 4
        "T6": (None, "unlabeled", 0),
    }
    assert result["T5"]["confidence"] == pytest.approx(0.75)
