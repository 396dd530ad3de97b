"""The review queue and adjudications: worst first, append-only, and respected by consensus and releases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from answerkey.errors import NotFoundError, ParameterError
from answerkey.project import Workspace, create_release, import_annotations, import_items
from answerkey.project.adjudication import adjudicate, review_queue
from answerkey.project.consensus import workspace_consensus
from answerkey.store import tables as t
from conftest import write_text

LABELS = "item_id,annotator_id,label,source\n" + "".join([
    "T1,ann,billing,human\n", "T1,bob,billing,human\n", "T1,cy,billing,human\n",  # agreed
    "T2,ann,technical,human\n", "T2,bob,account,human\n",                           # a tie: disputed
    "T3,ann,account,human\n", "T3,bob,account,human\n", "T3,cy,technical,human\n",  # agreed at 2/3
])


@pytest.fixture
def judged(workspace: Workspace, items_csv: Path, tmp_path: Path) -> Workspace:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "labels.csv", LABELS))
    return workspace


def test_the_queue_holds_disputed_and_doubtful_items_worst_first(judged: Workspace) -> None:
    queue = review_queue(judged)
    assert queue["item_id"].tolist() == ["T2", "T3"]
    assert queue.loc[0, "votes"] == "account 1, technical 1"
    assert queue["priority"].is_monotonic_decreasing
    assert review_queue(judged, below=0.6)["item_id"].tolist() == ["T2"]
    assert review_queue(judged, limit=1)["item_id"].tolist() == ["T2"]


def test_an_adjudication_decides_the_item_leaves_the_queue_and_reaches_the_next_release(judged: Workspace) -> None:
    decision = adjudicate(judged, "T2", "account", "maria", note="cannot log in")
    assert (decision.label, decision.previous_label, decision.schema_version) == ("account", None, 1)
    assert "T2" not in set(review_queue(judged)["item_id"])
    _, labels = workspace_consensus(judged, "majority")
    row = labels.set_index("item_id").loc["T2"]
    assert (row["label"], row["method"], row["confidence"]) == ("account", "adjudicated", 1.0)
    release = create_release(judged, "r1")
    assert release.method == "majority; authority adjudicated>expert"
    assert release.labels.set_index("item_id").loc["T2", "label"] == "account"


def test_a_later_adjudication_wins_and_the_earlier_one_is_kept(judged: Workspace) -> None:
    adjudicate(judged, "T3", "technical", "maria", at=datetime(2026, 1, 1))
    second = adjudicate(judged, "T3", "account", "sam", note="login failure", at=datetime(2026, 2, 1))
    assert second.previous_label == "technical"
    with judged.reading() as connection:
        rows = connection.execute(select(t.annotations.c.annotator_id, t.annotations.c.label, t.annotations.c.note)
                                  .where(t.annotations.c.source == "adjudicated")
                                  .order_by(t.annotations.c.annotation_id)).all()
    assert [tuple(r) for r in rows] == [("maria", "technical", None), ("sam", "account", "login failure")]
    _, labels = workspace_consensus(judged, "majority")
    assert labels.set_index("item_id").loc["T3", "label"] == "account"


def test_an_adjudication_needs_a_known_item_a_valid_label_and_a_reviewer(judged: Workspace) -> None:
    with pytest.raises(NotFoundError, match="no item 'T9'"):
        adjudicate(judged, "T9", "billing", "maria")
    with pytest.raises(ParameterError, match="did you mean 'billing'"):
        adjudicate(judged, "T2", "biling", "maria")
    with pytest.raises(ParameterError, match="reviewer"):
        adjudicate(judged, "T2", "billing", "  ")
    with judged.reading() as connection:
        assert connection.execute(select(t.annotations).where(t.annotations.c.source == "adjudicated")).all() == []


def test_an_expert_label_outranks_the_crowd_and_is_not_queued(judged: Workspace, tmp_path: Path) -> None:
    import_annotations(judged, write_text(tmp_path / "expert.csv", "item_id,annotator_id,label,source\n"
                                                                     "T2,eva,technical,expert\n"))
    assert "T2" not in set(review_queue(judged)["item_id"])
    release = create_release(judged, "r1")
    assert release.labels.set_index("item_id").loc["T2", "label"] == "technical"


def test_a_flagged_label_error_joins_the_queue_until_a_reviewer_decides_it(judged: Workspace) -> None:
    from answerkey.project.label_flags import flag_for_review

    issues = pd.DataFrame({"item_id": ["T1"], "given_label": ["billing"], "suggested_label": ["account"],
                           "score": [0.05]})
    assert flag_for_review(judged, issues, "confident learning") == 1
    queue = review_queue(judged).set_index("item_id")
    assert queue.index[0] == "T1"
    assert queue.loc["T1", "reason"] == "likely label error"
    assert queue.loc["T1", "suggested_label"] == "account"
    assert queue.loc["T1", "priority"] == pytest.approx(0.95)
    assert queue.loc["T2", "reason"] == "disputed"
    adjudicate(judged, "T1", "billing", "maria", note="the model is wrong here")
    assert "T1" not in set(review_queue(judged)["item_id"])


def test_a_flag_whose_label_has_since_changed_is_not_queued(judged: Workspace) -> None:
    from answerkey.project.label_flags import flag_for_review

    flag_for_review(judged, pd.DataFrame({"item_id": ["T1"], "given_label": ["technical"],
                                          "suggested_label": ["billing"], "score": [0.1]}), "confident learning")
    assert "T1" not in set(review_queue(judged)["item_id"])


def test_flagging_an_unknown_item_writes_no_flag(judged: Workspace) -> None:
    from answerkey.project.adjudication import open_flags
    from answerkey.project.label_flags import flag_for_review

    issues = pd.DataFrame({"item_id": ["T1", "NOPE"], "given_label": ["billing", "billing"],
                           "suggested_label": ["account", "account"], "score": [0.1, 0.1]})
    with pytest.raises(NotFoundError, match="NOPE"):
        flag_for_review(judged, issues, "confident learning")
    assert open_flags(judged).empty


def test_the_first_judgement_under_a_new_schema_version_may_be_an_adjudication(judged: Workspace) -> None:
    from conftest import make_schema, write_schema

    write_schema(judged, make_schema(version=2))
    adjudicate(judged, "T2", "account", "maria")
    adjudicate(judged, "T2", "technical", "sam")  # its previous label is a consensus over version 2 alone
    _, labels = workspace_consensus(judged, "auto")
    assert labels[["item_id", "label", "method"]].to_dict("records") == [
        {"item_id": "T2", "label": "technical", "method": "adjudicated"}]
    assert review_queue(judged).empty
