"""Weighted majority: reliable annotators outvote careless ones; ties stay disputed."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_consensus import accuracy_of, simulated

from answerkey.quality.aggregation import consensus, leave_one_out_accuracy, weighted_majority
from answerkey.quality.aggregation._encoding import encode_judgements


def frame(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])


def test_a_heavier_annotator_outvotes_two_lighter_ones() -> None:
    result, used = weighted_majority(frame(("T1", "a", "x"), ("T1", "b", "y"), ("T1", "c", "y")),
                                     weights={"a": 3.0, "b": 1.0, "c": 1.0})
    assert result.loc[0, "label"] == "x"
    assert result.loc[0, "confidence"] == 0.6
    assert used.to_dict() == {"a": 3.0, "b": 1.0, "c": 1.0}


def test_equal_weighted_scores_are_disputed_not_broken() -> None:
    result, _ = weighted_majority(frame(("T1", "a", "x"), ("T1", "b", "y")), weights={"a": 1.0, "b": 1.0})
    assert result.loc[0, "status"] == "disputed"
    assert result.loc[0, "label"] is None


def test_items_judged_only_by_weightless_annotators_fall_back_to_a_plain_vote() -> None:
    result, _ = weighted_majority(frame(("T1", "a", "x"), ("T1", "b", "x"), ("T1", "c", "y")),
                                  weights={"a": 0.0, "b": 0.0, "c": 0.0})
    assert result.loc[0, "label"] == "x"
    assert np.isclose(result.loc[0, "confidence"], 2 / 3)


def test_leave_one_out_accuracy_ranks_the_careless_annotator_last_without_vouching_for_itself() -> None:
    data, _ = simulated(seed=3, items=4000, confuse=False)
    accuracy = leave_one_out_accuracy(encode_judgements(data))
    assert accuracy.idxmin() == "d"
    assert accuracy.idxmax() == "e"


def test_weighted_majority_beats_plain_majority_when_one_annotator_is_careless() -> None:
    data, truth = simulated(seed=4, items=4000, confuse=False)
    plain = consensus(data, "majority")
    weighted = consensus(data, "weighted-majority")
    assert accuracy_of(weighted, truth) > accuracy_of(plain, truth)
    assert (weighted["status"] == "disputed").sum() < (plain["status"] == "disputed").sum()


def test_weighted_majority_does_not_depend_on_row_or_annotator_order() -> None:
    data, _ = simulated(seed=5, items=500)
    shuffled = data.sample(frac=1.0, random_state=1).replace({"annotator_id": {"a": "z_a"}})
    first = consensus(data, "weighted-majority").set_index("item_id")
    second = consensus(shuffled, "weighted-majority").set_index("item_id").loc[first.index]
    assert first["label"].equals(second["label"])
    assert np.allclose(first["confidence"], second["confidence"])
