"""Annotator profiles and annotation drift: the demo's annotators come out as they were generated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from answerkey.demo import generate_demo
from answerkey.errors import ParameterError
from answerkey.quality.annotators import annotator_profiles
from answerkey.quality.drift import annotation_drift, label_lineage
from answerkey.schema.model import LabelDefinition, LabelingSchema


@pytest.fixture(scope="module")
def demo_people() -> tuple[pd.DataFrame, dict[str, str]]:
    demo = generate_demo()
    people = demo.annotations[demo.annotations["source"].isin(["human", "expert"])]
    return people, label_lineage([demo.schema_v1, demo.schema_v2])


@pytest.mark.parametrize("version", [1, 2])
def test_the_careless_annotator_comes_last_and_the_expert_first(demo_people: tuple[pd.DataFrame, dict[str, str]],
                                                                version: int) -> None:
    people, _ = demo_people
    table = annotator_profiles(people[people["schema_version"] == version]).table
    assert table["annotator_id"].iloc[0] == "eva"
    assert table["annotator_id"].iloc[-1] == "kai"
    assert table["estimated_accuracy"].is_monotonic_decreasing


def test_the_systematic_confusion_shows_in_the_confusers_matrix(
        demo_people: tuple[pd.DataFrame, dict[str, str]]) -> None:
    people, _ = demo_people
    profiles = annotator_profiles(people[people["schema_version"] == 1])
    lena = profiles.table.set_index("annotator_id").loc["lena"]
    assert lena["top_confusion"] == "account_access -> technical_issue"
    assert profiles.confusions["lena"].loc["account_access", "technical_issue"] > 0.7
    others = profiles.table[profiles.table["annotator_id"] != "lena"]["top_confusion_rate"]
    assert (others < 0.2).all()


def test_only_the_drifter_is_flagged_and_only_after_the_drift_began(
        demo_people: tuple[pd.DataFrame, dict[str, str]]) -> None:
    people, lineage = demo_people
    drift = annotation_drift(people, "month", lineage=lineage)
    flagged = drift.flagged()
    assert set(flagged["annotator_id"]) == {"omar"}
    assert flagged["window"].min() >= "2026-02"  # the drift starts in month 9 of a demo starting 2025-05
    late = {"2026-06", "2026-07", "2026-08", "2026-09", "2026-10"}
    assert late <= set(flagged["window"])
    assert all("other +" in f.what and f.where.startswith("annotator omar, ") for f in drift.findings)
    assert all(f.evidence["agreement"] < f.evidence["past_agreement"] for f in drift.findings)


def test_a_shift_the_whole_pool_shares_is_not_drift() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for month in range(1, 13):
        share_b = 0.2 if month < 7 else 0.6  # every annotator sees more "b" from July on
        for item in range(300):
            truth = "b" if rng.random() < share_b else "a"
            for annotator in ("x", "y", "z"):
                label = truth if rng.random() < 0.9 else ("a" if truth == "b" else "b")
                rows.append((f"{month}-{item}", annotator, label, f"2026-{month:02d}-15"))
    frame = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "created_at"])
    drift = annotation_drift(frame)
    assert drift.findings == []
    assert drift.windows["chi2_past_p_adjusted"].min() < 0.01  # the labels did move; the pool moved with them


def test_a_constant_quirk_is_not_drift_but_a_new_one_is() -> None:
    rng = np.random.default_rng(1)
    rows = []
    for month in range(1, 13):
        for item in range(200):
            truth = rng.choice(["a", "b", "c"])
            for annotator in ("x", "y", "z"):
                wrong = (annotator == "x" and truth == "a") or (annotator == "y" and month >= 9 and truth == "b")
                rows.append((f"{month}-{item}", annotator, "c" if wrong else truth, f"2026-{month:02d}-01"))
    drift = annotation_drift(pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "created_at"]))
    flagged = drift.flagged()
    assert set(flagged["annotator_id"]) == {"y"}
    assert set(flagged["window"]) == {"2026-09", "2026-10", "2026-11", "2026-12"}


def test_lineage_joins_a_split_label_to_the_label_it_replaced() -> None:
    def schema(version: int, labels: list[tuple[str, list[str]]]) -> LabelingSchema:
        return LabelingSchema(name="t", version=version, labels=[
            LabelDefinition(name=n, definition=f"{n}.", replaces=r) for n, r in labels])

    v1 = schema(1, [("billing", []), ("tech", [])])
    v2 = schema(2, [("refund", ["billing"]), ("invoice", ["billing"]), ("tech", [])])
    v3 = schema(3, [("money", ["refund", "invoice"]), ("tech", [])])
    assert label_lineage([v1, v2, v3]) == {"billing": "billing", "tech": "tech", "refund": "billing",
                                           "invoice": "billing", "money": "billing"}


def test_drift_needs_judgement_times_and_a_known_window() -> None:
    frame = pd.DataFrame({"item_id": [1], "annotator_id": ["a"], "label": ["x"]})
    with pytest.raises(ParameterError, match="created_at"):
        annotation_drift(frame)
    with pytest.raises(ParameterError, match="window must be one of week, month, quarter"):
        annotation_drift(frame.assign(created_at="2026-01-01"), window="year")
