"""The demo generator: deterministic, valid under its schemas, and its annotators err as their profiles say."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from answerkey.demo import ANNOTATORS, DemoData, generate_demo
from answerkey.errors import ParameterError
from answerkey.schema import check_schema


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo()


@pytest.fixture(scope="module")
def judged(demo: DemoData) -> pd.DataFrame:
    """Annotations joined to the truth under each annotation's own schema version, with ``correct``."""
    merged = demo.annotations.merge(demo.truth[["item_id", "true_label_v2"]], on="item_id", validate="many_to_one")
    v1_truth = merged["true_label_v2"].replace({"billing_refund": "billing", "billing_question": "billing"})
    merged["truth"] = np.where(merged["schema_version"] == 2, merged["true_label_v2"], v1_truth)
    merged["correct"] = merged["label"] == merged["truth"]
    start = demo.items["created_at"].min().normalize()
    merged["month"] = (merged["created_at"] - start) / pd.Timedelta(days=30.44)
    return merged


def _accuracy(judged: pd.DataFrame) -> dict[str, float]:
    return {str(k): float(v) for k, v in judged.groupby("annotator_id")["correct"].mean().items()}


def test_the_same_seed_gives_identical_frames() -> None:
    first, second = generate_demo(seed=11, n_items=800), generate_demo(seed=11, n_items=800)
    for name in ("items", "annotations", "truth"):
        a, b = getattr(first, name), getattr(second, name)
        pd.testing.assert_frame_equal(a, b)
        assert pd.util.hash_pandas_object(a).equals(pd.util.hash_pandas_object(b))
    assert first.schema_v2.content_hash == second.schema_v2.content_hash
    assert first.schema_change_at == second.schema_change_at


def test_different_seeds_give_different_data() -> None:
    first, second = generate_demo(seed=1, n_items=800), generate_demo(seed=2, n_items=800)
    assert not first.items["text"].equals(second.items["text"])
    assert not first.truth["true_label_v2"].equals(second.truth["true_label_v2"])
    assert not first.annotations.equals(second.annotations)


def test_items_have_the_documented_columns_ids_segments_and_span(demo: DemoData) -> None:
    items = demo.items
    assert list(items.columns) == ["item_id", "text", "segment", "group_id", "created_at"]
    assert len(items) == 5000
    assert items["item_id"].is_unique
    assert items["item_id"].iloc[0] == "TICKET-00001"
    assert items["item_id"].iloc[-1] == "TICKET-05000"
    assert items["group_id"].str.fullmatch(r"CUST-\d{4}").all()
    assert 0.25 < (items["segment"] == "enterprise").mean() < 0.35
    assert set(items["segment"]) == {"enterprise", "smb"}
    assert items["created_at"].dt.tz is None
    assert items["created_at"].is_monotonic_increasing
    assert items["created_at"].min() >= pd.Timestamp("2025-05-01")
    assert items["created_at"].max() < pd.Timestamp("2026-11-01")
    assert demo.schema_change_at == pd.Timestamp("2026-05-01")


def test_ticket_texts_are_varied_sentences(demo: DemoData) -> None:
    texts = demo.items["text"]
    assert texts.nunique() > 0.6 * len(texts)
    assert texts.str.len().between(15, 200).all()
    assert texts.str[0].str.isupper().all()


def test_every_ticket_gets_three_distinct_crowd_judgements_and_the_expert_sees_about_15_percent(
    demo: DemoData,
) -> None:
    annotations = demo.annotations
    crowd = annotations[annotations["source"] == "human"]
    per_item = crowd.groupby("item_id")["annotator_id"].agg(["size", "nunique"])
    assert len(per_item) == 5000
    assert (per_item["size"] == 3).all()
    assert (per_item["nunique"] == 3).all()
    expert = annotations[annotations["source"] == "expert"]
    assert set(expert["annotator_id"]) == {"eva"}
    assert expert["item_id"].is_unique
    assert 0.12 < len(expert) / 5000 < 0.18
    assert set(crowd["annotator_id"]) == {a.annotator_id for a in ANNOTATORS if a.kind != "expert"}


def test_routing_covers_about_40_percent_and_the_keyword_rule_about_60_percent(demo: DemoData) -> None:
    annotations = demo.annotations
    routing = annotations[annotations["annotator_id"] == "routing"]
    rule = annotations[annotations["annotator_id"] == "rule:keywords"]
    assert set(routing["source"]) == {"behavioral"}
    assert set(rule["source"]) == {"synthetic"}
    assert routing["item_id"].is_unique
    assert rule["item_id"].is_unique
    assert 0.35 < len(routing) / 5000 < 0.45
    assert 0.5 < len(rule) / 5000 < 0.7


def test_the_keyword_rule_abstains_exactly_when_no_keyword_matches(demo: DemoData) -> None:
    keywords = re.compile(
        r"refund|money back|invoice|price|payment|charged|statement|password|log in|sign in|2fa|locked|cancel|"
        r"error|crash|bug|slow|package|tracking|deliver|would be great|would love|feature"
    )
    matched = demo.items.loc[demo.items["text"].str.lower().str.contains(keywords), "item_id"]
    rule = demo.annotations.loc[demo.annotations["annotator_id"] == "rule:keywords", "item_id"]
    assert set(matched) == set(rule)


def test_annotations_come_hours_to_days_after_their_ticket(demo: DemoData) -> None:
    merged = demo.annotations.merge(demo.items[["item_id", "created_at"]], on="item_id", suffixes=("", "_item"))
    lag = merged["created_at"] - merged["created_at_item"]
    human = merged["source"].isin(["human", "expert"])
    assert (lag[human] >= pd.Timedelta(hours=1)).all()
    assert (lag[human] <= pd.Timedelta(days=10)).all()
    assert pd.Timedelta(hours=6) < pd.Timedelta(lag[human].median()) < pd.Timedelta(days=2)
    assert (lag > pd.Timedelta(0)).all()


def test_every_annotation_label_is_valid_for_its_schema_version(demo: DemoData) -> None:
    valid = {1: set(demo.schema_v1.label_names), 2: set(demo.schema_v2.label_names)}
    annotations = demo.annotations
    assert set(annotations["schema_version"]) == {1, 2}
    for version, names in valid.items():
        assert set(annotations.loc[annotations["schema_version"] == version, "label"]) <= names
        assert set(demo.truth.loc[demo.truth["schema_version"] == version, "label"]) <= names
    assert set(demo.truth["true_label_v2"]) == valid[2]


def test_annotations_after_the_schema_change_use_v2_and_those_before_use_v1(demo: DemoData) -> None:
    annotations = demo.annotations
    after = annotations["created_at"] >= demo.schema_change_at
    assert (annotations.loc[after, "schema_version"] == 2).all()
    assert (annotations.loc[~after, "schema_version"] == 1).all()
    assert "billing" not in set(annotations.loc[after, "label"])
    assert {"billing_refund", "billing_question"} <= set(annotations.loc[after, "label"])
    assert "billing" in set(annotations.loc[~after, "label"])


def test_truth_label_is_the_v2_truth_read_under_the_tickets_schema_version(demo: DemoData) -> None:
    truth = demo.truth
    v1 = truth["true_label_v2"].replace({"billing_refund": "billing", "billing_question": "billing"})
    expected = np.where(truth["schema_version"] == 2, truth["true_label_v2"], v1)
    assert (truth["label"] == expected).all()
    assert truth["item_id"].equals(demo.items["item_id"])


def test_schema_v2_splits_billing_in_two_and_keeps_every_other_label_unchanged(demo: DemoData) -> None:
    v1, v2 = demo.schema_v1, demo.schema_v2
    assert (v1.version, v2.version) == (1, 2)
    assert set(v2.label_names) == (set(v1.label_names) - {"billing"}) | {"billing_refund", "billing_question"}
    for name in ("billing_refund", "billing_question"):
        label = v2.label(name)
        assert label is not None
        assert label.replaces == ["billing"]
    for label in v1.labels:
        if label.name != "billing":
            assert v2.label(label.name) == label


def test_both_schema_versions_pass_the_schema_linter_with_examples_and_edge_cases(demo: DemoData) -> None:
    for schema in (demo.schema_v1, demo.schema_v2):
        assert check_schema(schema) == []
        for label in schema.labels:
            assert label.definition
            assert 1 <= len(label.examples) <= 2
            assert len(label.edge_cases) == 1


def test_annotator_accuracy_ranks_as_generated(judged: pd.DataFrame) -> None:
    accuracy = _accuracy(judged)
    humans = {a.annotator_id: a for a in ANNOTATORS}
    assert max(humans, key=lambda name: accuracy[name]) == "eva"
    assert min(humans, key=lambda name: accuracy[name]) == "kai"
    assert accuracy["eva"] > 0.94
    assert 0.45 < accuracy["kai"] < 0.65
    for profile in ANNOTATORS:
        if profile.kind == "reliable":
            assert abs(accuracy[profile.annotator_id] - profile.accuracy) < 0.04
    assert 0.72 < accuracy["routing"] < 0.88


def test_the_confusers_errors_concentrate_on_account_access_read_as_technical_issue(judged: pd.DataFrame) -> None:
    errors = judged[(judged["annotator_id"] == "lena") & ~judged["correct"]]
    pair = (errors["truth"] == "account_access") & (errors["label"] == "technical_issue")
    assert pair.mean() > 0.6
    pairs = (errors["truth"] + " -> " + errors["label"]).value_counts()
    assert pairs.index[0] == "account_access -> technical_issue"
    assert pairs.iloc[0] > 10 * pairs.iloc[1]
    on_account_access = judged[(judged["annotator_id"] == "lena") & (judged["truth"] == "account_access")]
    assert (on_account_access["label"] == "technical_issue").mean() > 0.7
    others = judged[(judged["annotator_id"] == "lena") & (judged["truth"] != "account_access")]
    assert others["correct"].mean() > 0.9


def test_the_drifters_accuracy_in_late_months_is_clearly_lower_than_in_early_months(judged: pd.DataFrame) -> None:
    omar = judged[judged["annotator_id"] == "omar"]
    early = omar.loc[omar["month"] < 9, "correct"].mean()
    late = omar.loc[omar["month"] >= 15, "correct"].mean()
    assert early > 0.85
    assert early - late > 0.3
    late_errors = omar[(omar["month"] >= 15) & ~omar["correct"]]
    assert (late_errors["label"] == "other").mean() > 0.7
    ana = judged[judged["annotator_id"] == "ana"]
    assert abs(ana.loc[ana["month"] < 9, "correct"].mean() - ana.loc[ana["month"] >= 15, "correct"].mean()) < 0.06


def test_profiles_name_eight_humans_with_one_expert_one_careless_one_confuser_and_one_drifter() -> None:
    kinds = [a.kind for a in ANNOTATORS]
    assert len(ANNOTATORS) == 8
    assert len({a.annotator_id for a in ANNOTATORS}) == 8
    assert sorted(k for k in kinds if k != "reliable") == ["careless", "confuser", "drifter", "expert"]


def test_small_workspaces_and_other_start_dates_work() -> None:
    demo = generate_demo(seed=3, n_items=50, start="2024-01-15")
    assert len(demo.items) == 50
    assert demo.schema_change_at == pd.Timestamp("2025-01-15")
    assert demo.items["created_at"].min() >= pd.Timestamp("2024-01-15")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_items": 0}, "n_items must be a positive integer; got 0"),
        ({"n_items": 2.5}, "n_items must be a positive integer; got 2.5"),
        ({"start": "not a date"}, "start must be a date such as '2025-05-01'; got 'not a date'"),
    ],
)
def test_bad_parameters_raise_one_message_naming_the_parameter(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        generate_demo(**kwargs)  # type: ignore[arg-type]
