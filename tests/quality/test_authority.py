"""The authority policy: adjudications, then experts, outrank the crowd; nothing else does."""

from __future__ import annotations

import pandas as pd
import pytest

from answerkey.errors import ParameterError
from answerkey.quality.aggregation import METHODS, consensus

POLICY = ("adjudicated", "expert")


def judgements(*rows: tuple[str, str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "source", "created_at"])


CROWD = [("T1", "a", "x", "human", "2026-01-01"), ("T1", "b", "x", "human", "2026-01-01"),
         ("T1", "c", "y", "human", "2026-01-01")]


@pytest.mark.parametrize("method", METHODS)
def test_an_adjudication_decides_its_item_whatever_the_crowd_said(method: str) -> None:
    frame = judgements(*CROWD, ("T1", "maria", "y", "adjudicated", "2026-02-01"))
    row = consensus(frame, method, authority=POLICY).iloc[0]
    assert (row["label"], row["confidence"], row["status"], row["method"]) == ("y", 1.0, "agreed", "adjudicated")


def test_the_latest_adjudication_wins_over_an_earlier_one_by_someone_else() -> None:
    frame = judgements(*CROWD, ("T1", "maria", "y", "adjudicated", "2026-02-01"),
                       ("T1", "sam", "x", "adjudicated", "2026-03-01"))
    assert consensus(frame, "majority", authority=POLICY).iloc[0]["label"] == "x"


def test_an_expert_outranks_the_crowd_but_not_an_adjudication() -> None:
    expert = ("T1", "eva", "y", "expert", "2026-01-05")
    assert consensus(judgements(*CROWD, expert), "majority", authority=POLICY).iloc[0]["method"] == "expert"
    frame = judgements(*CROWD, expert, ("T1", "maria", "z", "adjudicated", "2026-02-01"))
    assert consensus(frame, "majority", authority=POLICY).iloc[0]["label"] == "z"


def test_experts_who_tie_fall_through_to_the_crowd_where_they_count_as_votes() -> None:
    frame = judgements(*CROWD, ("T1", "d", "x", "human", "2026-01-01"), ("T1", "eva", "y", "expert", "2026-01-05"),
                       ("T1", "max", "z", "expert", "2026-01-05"))
    row = consensus(frame, "majority", authority=POLICY).iloc[0]
    assert (row["label"], row["method"]) == ("x", "majority")


def test_without_a_policy_adjudications_are_still_never_counted_as_votes() -> None:
    frame = judgements(*CROWD, ("T1", "maria", "y", "adjudicated", "2026-02-01"),
                       ("T1", "sam", "y", "adjudicated", "2026-02-01"))
    row = consensus(frame, "majority").iloc[0]
    assert (row["label"], row["method"]) == ("x", "majority")


def test_an_item_only_an_authority_judged_is_added() -> None:
    frame = judgements(*CROWD, ("T9", "eva", "q", "expert", "2026-01-05"))
    result = consensus(frame, "dawid-skene", authority=POLICY).set_index("item_id")
    assert result.loc["T9", "label"] == "q"
    assert list(result.index) == ["T1", "T9"]


def test_a_policy_needs_a_source_column() -> None:
    with pytest.raises(ParameterError, match="source column"):
        consensus(pd.DataFrame({"item_id": [1], "annotator_id": ["a"], "label": ["x"]}), authority=POLICY)


@pytest.mark.parametrize("method", METHODS)
def test_an_adjudication_decides_an_item_before_the_crowd_has_judged_anything(method: str) -> None:
    frame = judgements(("T1", "maria", "y", "adjudicated", "2026-02-01"))
    result = consensus(frame, method, authority=POLICY)
    assert result.to_dict("records") == [{"item_id": "T1", "label": "y", "confidence": 1.0, "status": "agreed",
                                          "method": "adjudicated"}]
