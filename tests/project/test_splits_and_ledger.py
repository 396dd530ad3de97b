"""Splits stored with a release, sealing that refuses any later change, and the test-set ledger."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import insert

from answerkey.errors import NotFoundError, ParameterError, StoreError
from answerkey.project import Workspace, create_release, import_annotations, import_items
from answerkey.project.ledger import evaluate_on_test, ledger_report, record_evaluation
from answerkey.project.splits import create_split, get_split, seal_split, verify_seal
from answerkey.splits.assign import parse_strategy
from answerkey.store import tables as t

LABELS = ("billing", "technical", "account")


@pytest.fixture
def released(workspace: Workspace, tmp_path: Path) -> Workspace:
    n = 60
    items = pd.DataFrame({
        "item_id": [f"T{i:03d}" for i in range(n)],
        "text": [f"ticket number {i} about {LABELS[i % 3]}" for i in range(n)],
        "customer": [f"c{i % 12}" for i in range(n)],
        "created_at": [f"2026-0{1 + i % 6}-{10 + i % 15}T00:00:00Z" for i in range(n)],
    })
    items.to_csv(tmp_path / "items.csv", index=False)
    rows = [(f"T{i:03d}", who, LABELS[i % 3]) for i in range(n) for who in ("ann", "bob")]
    pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"]).assign(source="human").to_csv(
        tmp_path / "labels.csv", index=False)
    import_items(workspace, tmp_path / "items.csv")
    import_annotations(workspace, tmp_path / "labels.csv")
    create_release(workspace, "2026-11")
    return workspace


def test_a_split_is_stored_with_the_release_and_a_new_one_is_a_new_version(released: Workspace) -> None:
    first = create_split(released, "2026-11", parse_strategy("group:customer", test=0.25, validation=0.0), by="ml")
    assert first.version == 1
    assert first.strategy == "group:customer"
    assert sum(first.counts.values()) == 60
    assert first.counts["validation"] == 0
    by_customer = first.assignments.assign(customer=lambda f: "c" + (f["item_id"].str[1:].astype(int) % 12)
                                           .astype(str)).groupby("customer")["split"].nunique()
    assert (by_customer == 1).all()
    second = create_split(released, "2026-11", parse_strategy("stratified", seed=3))
    assert second.version == 2
    assert get_split(released, "2026-11").version == 2
    assert get_split(released, "2026-11", version=1).strategy == "group:customer"


def test_sealing_records_the_test_hash_and_any_later_change_is_refused_with_the_reason(released: Workspace) -> None:
    create_split(released, "2026-11", parse_strategy("stratified"))
    sealed = seal_split(released, "2026-11", by="maria")
    assert sealed.sealed
    assert len(sealed.seal["test_hash"]) == 64
    assert sealed.seal["test_items"] == sealed.counts["test"]
    assert verify_seal(released, "2026-11") == []
    with pytest.raises(StoreError, match=r"sealed by maria.*cut a new release"):
        create_split(released, "2026-11", parse_strategy("random"))
    with pytest.raises(StoreError, match="seal it again"):
        seal_split(released, "2026-11")


def test_the_store_itself_refuses_new_assignments_and_edits_of_a_sealed_split(released: Workspace) -> None:
    create_split(released, "2026-11", parse_strategy("stratified"))
    seal_split(released, "2026-11")
    with pytest.raises(sa.exc.DBAPIError), released.transaction() as connection:
        connection.execute(insert(t.split_assignments).values(
            release_name="2026-11", version=1, item_id="T999", split="train"))
    with pytest.raises(sa.exc.DBAPIError), released.transaction() as connection:
        connection.execute(sa.update(t.split_assignments).values(split="train"))
    with pytest.raises(sa.exc.DBAPIError), released.transaction() as connection:
        connection.execute(sa.delete(t.split_seals))
    assert get_split(released, "2026-11").sealed


def test_the_ledger_counts_each_look_and_warns_past_the_threshold(released: Workspace) -> None:
    create_split(released, "2026-11", parse_strategy("stratified"))
    with pytest.raises(StoreError, match="seal it first"):
        record_evaluation(released, "2026-11", "churn-v1", {"f1": 0.8})
    seal_split(released, "2026-11")
    for look in range(3):
        record_evaluation(released, "2026-11", f"churn-v{look % 2}", {"f1": 0.8 + look / 100}, purpose="tuning",
                          by="ml")
    report = ledger_report(released, "2026-11", warn_after=3)
    assert report.summary["looks"] == 3
    assert report.summary["models"] == {"churn-v0": 2, "churn-v1": 1}
    assert report.findings == []
    record_evaluation(released, "2026-11", "churn-v3", {"f1": 0.9}, by="ml")
    warned = ledger_report(released, "2026-11", warn_after=3)
    assert [f.check for f in warned.findings] == ["ledger.test_reuse"]
    assert "cut a fresh test set" in warned.findings[0].what
    assert warned.to_dict()["entries"][0]["metrics"] == {"f1": 0.8}


def test_a_metric_that_is_not_a_number_is_refused_before_anything_is_written(released: Workspace) -> None:
    create_split(released, "2026-11", parse_strategy("stratified"))
    seal_split(released, "2026-11")
    with pytest.raises(ParameterError, match="--metric"):
        record_evaluation(released, "2026-11", "m", {"f1": float("nan")})
    assert ledger_report(released, "2026-11").summary["looks"] == 0


def test_evaluate_on_test_records_the_look_before_it_returns_the_scores(released: Workspace) -> None:
    create_split(released, "2026-11", parse_strategy("stratified"))
    seal_split(released, "2026-11")

    def predict(frame: pd.DataFrame) -> list[str]:
        assert "label" not in frame.columns
        return [text.rsplit(" ", 1)[1] for text in frame["text"]]

    scores = evaluate_on_test(released, "2026-11", "keyword-rule", predict, purpose="baseline", by="ml")
    assert scores == {"accuracy": 1.0, "macro_f1": 1.0}
    entries = ledger_report(released, "2026-11").entries
    assert entries["model"].tolist() == ["keyword-rule"]
    assert entries["metrics"][0] == scores


def test_a_release_without_a_split_says_how_to_make_one(released: Workspace) -> None:
    with pytest.raises(NotFoundError, match="split create 2026-11"):
        get_split(released, "2026-11")
    with pytest.raises(NotFoundError, match="no release named"):
        get_split(released, "nope")
