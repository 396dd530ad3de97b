"""Behavioural labels as code: window edges, immature labels, versions and their flips, written as annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest

from answerkey.errors import NotFoundError, ParameterError
from answerkey.labels import BehavioralDefinition, derive_behavioral, load_definition
from answerkey.labels.outcome_sql import outcome_filter
from answerkey.project.behavioral import (
    definition_versions,
    derive_labels,
    flip_report,
    register_definition,
)
from answerkey.project.imports import import_items
from answerkey.project.workspace import Workspace
from answerkey.store import reads
from conftest import make_schema, write_schema, write_text

AS_OF = pd.Timestamp("2026-04-15")


def engine(anchors: pd.DataFrame, events: pd.DataFrame) -> Any:
    con = ibis.duckdb.connect()
    con.create_view("subscriptions", ibis.memtable(anchors), overwrite=True)
    con.create_view("events", ibis.memtable(events), overwrite=True)
    return con


def churn(**changes: Any) -> BehavioralDefinition:
    body = {"name": "churn", "entity": "customer_id", "anchor": {"table": "subscriptions", "time": "started_at"},
            "events": {"table": "events", "time": "occurred_at"}, "outcome": "event_type = 'cancel'",
            "window": "90 days", "labels": {"positive": "churned", "negative": "retained"}}
    return BehavioralDefinition.model_validate({**body, **changes})


@pytest.fixture
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Anchors on 1 January (window closes 1 April 00:00) but e and f (1 March: still open on 15 April)."""
    anchors = pd.DataFrame({"customer_id": list("abcdef"), "started_at": pd.to_datetime(
        ["2026-01-01"] * 4 + ["2026-03-01"] * 2)})
    events = pd.DataFrame({
        "customer_id": ["a", "b", "c", "c", "d", "e", "b"],
        "event_type": ["cancel", "cancel", "login", "cancel", "cancel", "cancel", "cancel"],
        "occurred_at": pd.to_datetime(["2026-01-01 00:00:00",   # at the anchor: counts
                                       "2026-04-01 00:00:00",   # at the window's end: does not
                                       "2026-01-05 00:00:00",   # not the outcome
                                       "2026-03-31 23:59:59",   # the last second inside
                                       "2025-12-31 23:59:59",   # before the anchor: does not
                                       "2026-04-20 00:00:00",   # after as_of: not seen yet
                                       "2026-01-10 00:00:00"]),  # b, inside
    })
    events.loc[6, "customer_id"] = "x"  # an entity without an anchor: ignored
    return anchors, events


def test_the_window_counts_its_start_not_its_end_and_open_windows_stay_immature(
        tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    result = derive_behavioral(churn(), engine(*tables), AS_OF.to_pydatetime()).set_index("item_id")
    assert result["status"].to_dict() == {"a": "positive", "b": "negative", "c": "positive", "d": "negative",
                                          "e": "immature", "f": "immature"}
    assert result["label"].to_dict() == {"a": "churned", "b": "retained", "c": "churned", "d": "retained",
                                         "e": None, "f": None}
    assert result.loc["c", "decided_at"] == pd.Timestamp("2026-03-31 23:59:59")
    assert result.loc["b", "decided_at"] == pd.Timestamp("2026-04-01")  # the window's end
    later = derive_behavioral(churn(), engine(*tables), pd.Timestamp("2026-06-01").to_pydatetime())
    assert later.set_index("item_id")["status"].to_dict() == {
        "a": "positive", "b": "negative", "c": "positive", "d": "negative", "e": "positive", "f": "negative"}


def test_outcome_rules_are_rebuilt_from_a_portable_subset_of_sql() -> None:
    frame = pd.DataFrame({"kind": ["cancel", "refund", "login", None], "amount": [5.0, 0.0, 3.0, 1.0]})
    table = ibis.memtable(frame)

    def matches(rule: str) -> list[int]:
        return sorted(table.mutate(i=ibis.row_number()).filter(outcome_filter(table, rule, "rule")
                                                              ).execute()["amount"].tolist())

    assert matches("kind IN ('cancel', 'refund') AND amount > 0") == [5.0]
    assert matches("kind LIKE 're%' OR kind IS NULL") == [0.0, 1.0]
    assert matches("NOT (kind = 'login') AND amount BETWEEN 0 AND 4") == [0.0]
    assert matches("kind IS NOT NULL AND amount * 2 >= 6") == [3.0, 5.0]
    with pytest.raises(ParameterError, match=r"Anonymous|outside the supported SQL"):
        outcome_filter(table, "my_udf(kind)", "rule")
    with pytest.raises(ParameterError, match=r"^rule: no column 'kinds'"):
        outcome_filter(table, "kinds = 'x'", "rule")
    with pytest.raises(ParameterError, match=r"^rule: .*backslash in a LIKE pattern"):
        outcome_filter(table, r"kind LIKE 'a\\_%'", "rule")
    with pytest.raises(ParameterError, match="must be a boolean"):
        outcome_filter(table, "amount + 1", "rule")


def test_a_bad_definition_file_names_the_file_and_each_field(tmp_path: Path) -> None:
    path = write_text(tmp_path / "churn.yaml", "name: churn\nentity: customer_id\nanchor: {table: s, time: t}\n"
                      "events: {table: e, time: t}\noutcome: \"x = 1\"\nwindow: 3 months\n"
                      "labels: {negative: retained}\n")
    with pytest.raises(ParameterError) as caught:
        load_definition(path)
    message = str(caught.value)
    assert str(path) in message
    assert "window" in message
    assert "labels.positive" in message


def test_two_anchors_for_one_entity_are_refused_naming_it(tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    anchors, events = tables
    twice = pd.concat([anchors, anchors.head(1)])
    with pytest.raises(ParameterError, match="more than one anchor for entities a"):
        derive_behavioral(churn(), engine(twice, events), AS_OF.to_pydatetime())
    with pytest.raises(ParameterError, match="'subscription' is neither a table of the engine"):
        derive_behavioral(churn(anchor={"table": "subscription", "time": "started_at"}), engine(anchors, events),
                          AS_OF.to_pydatetime())
    with pytest.raises(ParameterError, match="does not have"):
        derive_behavioral(churn(events={"table": "events", "time": "seen_at"}), engine(anchors, events),
                          AS_OF.to_pydatetime())


@pytest.fixture
def churn_workspace(workspace: Workspace, tmp_path: Path) -> Workspace:
    write_schema(workspace, make_schema(labels=("churned", "retained")))
    lines = ["item_id,text,segment", *(f"{c},customer {c},{'smb' if c in 'abc' else 'enterprise'}" for c in "abcdef")]
    import_items(workspace, write_text(tmp_path / "customers.csv", "\n".join(lines) + "\n"))
    return workspace


def test_versions_change_only_when_the_labelling_changes(churn_workspace: Workspace) -> None:
    first = register_definition(churn_workspace, churn())
    again = register_definition(churn_workspace, churn(description="only the words changed"))
    second = register_definition(churn_workspace, churn(window="60 days"))
    assert (first.version, first.created) == (1, True)
    assert (again.version, again.created) == (1, False)
    assert (second.version, second.created) == (2, True)
    assert list(definition_versions(churn_workspace, "churn")["version"]) == [1, 2]
    with pytest.raises(ParameterError, match="not labels of schema"):
        register_definition(churn_workspace, churn(labels={"positive": "gone", "negative": "retained"}))


def test_derived_labels_are_annotations_and_immature_ones_are_never_written(
        churn_workspace: Workspace, tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    register_definition(churn_workspace, churn())
    con = engine(*tables)
    done = derive_labels(churn_workspace, "churn", con, as_of=AS_OF.to_pydatetime())
    assert done.counts == {"positive": 2, "negative": 2, "immature": 2, "not_items": 0, "withdrawn": 0,
                           "written": 4}
    with churn_workspace.reading() as connection:
        written = reads.annotations_frame(connection)
    assert set(written["item_id"]) == {"a", "b", "c", "d"}
    assert set(written["source"]) == {"behavioral"}
    assert set(written["annotator_id"]) == {"behavioral:churn"}
    assert written["note"].str.contains("churn v1 sha256:").all()
    again = derive_labels(churn_workspace, "churn", con, as_of=AS_OF.to_pydatetime())
    assert again.counts["written"] == 0  # nothing changed: nothing added
    matured = derive_labels(churn_workspace, "churn", con, as_of=pd.Timestamp("2026-06-01").to_pydatetime())
    assert matured.counts["written"] == 2  # e and f matured
    with churn_workspace.reading() as connection:
        assert len(reads.annotations_frame(connection)) == 6


def test_a_new_version_reports_its_flips_by_segment(churn_workspace: Workspace,
                                                     tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    con = engine(*tables)
    register_definition(churn_workspace, churn())
    derive_labels(churn_workspace, "churn", con, as_of=AS_OF.to_pydatetime())
    with pytest.raises(NotFoundError, match="compares two"):
        flip_report(churn_workspace, "churn")
    register_definition(churn_workspace, churn(window="10 days"))  # c's cancel (day 89) no longer counts
    second = derive_labels(churn_workspace, "churn", con, as_of=AS_OF.to_pydatetime())
    assert second.version == 2
    assert second.counts["written"] == 3
    report = flip_report(churn_workspace, "churn").set_index("segment")
    assert report.loc["all", "positive_to_negative"] == 1
    assert report.loc["all", "matured"] == 2
    assert report.loc["smb", "positive_to_negative"] == 1
    assert report.loc["enterprise", "matured"] == 2
    assert report.loc["all", "unchanged"] == 3
    assert report.loc["all", "old_as_of"] == report.loc["all", "new_as_of"] == AS_OF
    with churn_workspace.reading() as connection:
        latest = reads.annotations_frame(connection).sort_values("annotation_id").drop_duplicates("item_id",
                                                                                                  keep="last")
    assert latest.set_index("item_id").loc["c", "label"] == "retained"


def test_a_one_sided_definition_labels_only_the_outcome(churn_workspace: Workspace,
                                                        tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    one_sided = churn(labels={"positive": "churned"})
    result = derive_behavioral(one_sided, engine(*tables), AS_OF.to_pydatetime()).set_index("item_id")
    assert result.loc["b", "status"] == "negative"
    assert result.loc["b", "label"] is None
    register_definition(churn_workspace, one_sided)
    done = derive_labels(churn_workspace, "churn", engine(*tables), as_of=AS_OF.to_pydatetime())
    assert done.counts["written"] == 2  # a and c; the closed windows of b and d say nothing


def test_outcome_literals_keep_their_type_and_a_type_clash_is_a_clear_error() -> None:
    table = ibis.memtable(pd.DataFrame({"big": [9007199254740993, 1], "kind": ["a", "b"]}))
    assert table.filter(outcome_filter(table, "big = 9007199254740993", "rule")).count().execute() == 1
    with pytest.raises(ParameterError, match=r"does not fit the columns' types \(big int64, kind string\)"):
        outcome_filter(table, "kind > 3 AND big = 'x'", "rule")


def test_a_time_with_a_zone_is_taken_in_utc(tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    con = engine(*tables)
    naive = derive_behavioral(churn(), con, AS_OF.to_pydatetime())
    zoned = derive_behavioral(churn(), con, AS_OF.tz_localize("Europe/Berlin").tz_convert("UTC").to_pydatetime())
    pd.testing.assert_frame_equal(naive, zoned)


def test_labels_a_new_version_no_longer_gives_are_withdrawn_and_the_newest_write_wins(
        churn_workspace: Workspace, tables: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    con = engine(*tables)
    first = register_definition(churn_workspace, churn())
    derive_labels(churn_workspace, "churn", con, as_of=pd.Timestamp("2026-06-01").to_pydatetime())
    longer = register_definition(churn_workspace, churn(window="200 days"))  # d's and f's windows reopen
    assert (longer.version, longer.latest) == (2, 2)
    with churn_workspace.reading() as connection:
        watermark = reads.annotation_watermark(connection)
    reopened = derive_labels(churn_workspace, "churn", con, as_of=pd.Timestamp("2026-06-01").to_pydatetime())
    assert reopened.counts["withdrawn"] == 2  # d and f are immature again: their v1 negatives no longer count
    with churn_workspace.reading() as connection:
        standing = reads.annotations_frame(connection)
        status = reads.counts(connection)
    assert set(standing["item_id"]) == {"a", "b", "c", "e"}
    with churn_workspace.reading() as connection:  # a release cut before the withdrawal still sees d and f
        assert set(reads.annotations_frame(connection, up_to=watermark)["item_id"]) == set("abcdef")
    assert status["annotations"] == 6 + 1  # six v1 labels and b from v2; withdrawals are not judgements
    again = register_definition(churn_workspace, churn())
    assert (again.version, again.created, again.latest) == (first.version, False, 2)
    earlier = derive_labels(churn_workspace, "churn", con, as_of=AS_OF.to_pydatetime(), version=1)
    # b back to retained, d labelled again; e (churned under v2) is immature under v1 at 15 April
    assert (earlier.counts["written"], earlier.counts["withdrawn"]) == (2, 1)
    repeat = derive_labels(churn_workspace, "churn", con, as_of=AS_OF.to_pydatetime(), version=1)
    assert (repeat.counts["written"], repeat.counts["withdrawn"]) == (0, 0)
    with churn_workspace.reading() as connection:
        latest = reads.annotations_frame(connection).drop_duplicates("item_id", keep="last").set_index("item_id")
    assert latest["label"].to_dict() == {"a": "churned", "b": "retained", "c": "churned", "d": "retained"}
