"""Source quality: accuracy against trusted labels with intervals and sample sizes, per segment, and the
distribution gap of derived sources to people's labels."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon

from answerkey.errors import ParameterError
from answerkey.intervals import wilson_interval
from answerkey.quality.source_quality import source_quality, trusted_with_deciders

# items 1-6 decided by expert e (alone) except item 6, adjudicated as 'b' by j although e said 'a'
ROWS = [
    ("1", "e", "a", "expert"), ("2", "e", "a", "expert"), ("3", "e", "b", "expert"), ("4", "e", "b", "expert"),
    ("5", "e", "a", "expert"), ("6", "e", "a", "expert"), ("6", "j", "b", "adjudicated"),
    ("1", "h", "a", "human"), ("2", "h", "b", "human"), ("3", "h", "b", "human"), ("4", "h", "b", "human"),
    ("5", "h", "a", "human"), ("6", "h", "b", "human"), ("7", "h", "a", "human"),
    ("1", "lf:rule", "a", "synthetic"), ("2", "lf:rule", "a", "synthetic"), ("3", "lf:rule", "a", "synthetic"),
    ("4", "lf:rule", "a", "synthetic"), ("5", "lf:rule", "a", "synthetic"), ("6", "lf:rule", "a", "synthetic"),
]
SEGMENTS = pd.Series({"1": "smb", "2": "smb", "3": "smb", "4": "ent", "5": "ent", "6": "ent", "7": "ent"})


def annotations() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=["item_id", "annotator_id", "label", "source"])


def test_each_source_is_scored_on_the_items_it_did_not_decide_with_a_wilson_interval() -> None:
    quality = source_quality(annotations(), segments=SEGMENTS)
    table = quality.accuracy.set_index(["annotator_id", "segment"])
    human = table.loc[("h", "all")]
    # h against truth 1a 2a 3b 4b 5a 6b: wrong on 2 only; item 7 has no trusted label
    assert (human["n_labelled"], human["n_trusted"], human["correct"]) == (7, 6, 5)
    low, high = wilson_interval([5], [6], 0.95)
    assert (human["accuracy_low"], human["accuracy_high"]) == pytest.approx((low[0], high[0]))
    assert human["confusion"] == {"a": {"a": 2, "b": 1}, "b": {"b": 3}}
    expert = table.loc[("e", "all")]
    assert (expert["n_trusted"], expert["correct"]) == (1, 0)  # graded only on item 6, decided by j
    rule = table.loc[("lf:rule", "smb")]
    assert (rule["n_trusted"], rule["correct"], rule["accuracy"]) == (3, 2, pytest.approx(2 / 3))
    assert quality.n_trusted_items == 6


def test_the_gap_of_a_derived_source_is_its_label_and_coverage_shift_from_people() -> None:
    gaps = source_quality(annotations(), segments=SEGMENTS).gaps.set_index("annotator_id")
    assert list(gaps.index) == ["lf:rule"]
    # people (e, j, h latest): a = 3 + 4 = 7 of 14; the rule: 6 of 6
    people_a = (3 + 0 + 4) / 14
    assert gaps.loc["lf:rule", "label_tvd"] == pytest.approx(1 - people_a)
    assert gaps.loc["lf:rule", "label_js"] == pytest.approx(jensenshannon([people_a, 1 - people_a], [1, 0], base=2))
    # people labelled 4 smb item-judgements of 14 (e 1-3, h 1-3 -> 6 smb, 8 ent); the rule 3 of 6
    assert gaps.loc["lf:rule", "segment_tvd"] == pytest.approx(abs(3 / 6 - 6 / 14))


def test_an_expert_tie_decides_nothing() -> None:
    rows = pd.DataFrame([("1", "e1", "a", "expert"), ("1", "e2", "b", "expert"), ("2", "e1", "a", "expert")],
                        columns=["item_id", "annotator_id", "label", "source"])
    truth = trusted_with_deciders(rows)
    assert list(truth["item_id"]) == ["2"]


def test_missing_columns_are_refused() -> None:
    with pytest.raises(ParameterError, match="source"):
        source_quality(annotations().drop(columns="source"))
    assert math.isnan(source_quality(annotations()).gaps.loc[0, "segment_tvd"])


def test_labels_under_another_schema_version_are_not_compared() -> None:
    frame = annotations().assign(schema_version=1)
    later = pd.DataFrame([("1", "lf:new", "a2", "synthetic", 2), ("2", "lf:new", "a2", "synthetic", 2)],
                         columns=["item_id", "annotator_id", "label", "source", "schema_version"])
    quality = source_quality(pd.concat([frame, later], ignore_index=True))
    new = quality.accuracy.set_index("annotator_id").loc["lf:new"]
    assert new["n_trusted"] == 0  # the trusted labels of items 1 and 2 are v1 labels


def test_no_annotations_give_empty_tables() -> None:
    empty = source_quality(pd.DataFrame(columns=["item_id", "annotator_id", "label", "source"]))
    assert empty.accuracy.empty
    assert empty.gaps.empty
    assert empty.n_trusted_items == 0
