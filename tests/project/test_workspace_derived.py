"""What a workspace keeps between calls (the annotations read, the consensus fitted) is thrown away as soon as the
store's annotations, the schema or the policy change, whoever wrote them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from answerkey.project import Workspace, import_annotations, import_items
from answerkey.project.consensus import workspace_consensus
from conftest import write_text

LABELS = "item_id,annotator_id,label\nT1,ann,billing\nT1,bob,billing\nT2,ann,technical\nT2,bob,account\n"


def _judged(workspace: Workspace, items_csv: Path, tmp_path: Path) -> Workspace:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "labels.csv", LABELS))
    return workspace


def test_a_derived_value_is_computed_once_while_its_key_holds(workspace: Workspace) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert [workspace.derived("x", ("a", 1), compute) for _ in range(3)] == [1, 1, 1]
    assert workspace.derived("x", ("a", 2), compute) == 2
    assert len(calls) == 2


def test_the_annotations_are_read_again_after_a_write_from_another_process(
        workspace: Workspace, items_csv: Path, tmp_path: Path) -> None:
    judged = _judged(workspace, items_csv, tmp_path)
    assert len(judged.annotations()) == 4
    other = Workspace.open(judged.root)  # another process's connection to the same store
    try:
        import_annotations(other, write_text(tmp_path / "more.csv", "item_id,annotator_id,label\nT2,cy,account\n"))
    finally:
        other.engine.dispose()
    assert len(judged.annotations()) == 5


def test_a_caller_changing_its_copy_does_not_change_what_the_next_caller_gets(
        workspace: Workspace, items_csv: Path, tmp_path: Path) -> None:
    judged = _judged(workspace, items_csv, tmp_path)
    annotations = judged.annotations()
    annotations["label"] = "changed"
    _method, labels = workspace_consensus(judged, "majority")
    labels["label"] = "changed"
    assert "changed" not in set(judged.annotations()["label"])
    assert "changed" not in set(workspace_consensus(judged, "majority")[1]["label"])


def test_the_consensus_follows_new_judgements_and_a_new_authority_policy(
        workspace: Workspace, items_csv: Path, tmp_path: Path) -> None:
    judged = _judged(workspace, items_csv, tmp_path)

    def label_of(item: str) -> object:
        labels = workspace_consensus(judged, "majority")[1]
        return labels.loc[labels["item_id"] == item, "label"].iloc[0]

    assert label_of("T1") == "billing"
    import_annotations(judged, write_text(tmp_path / "expert.csv",
                                          "item_id,annotator_id,label,source\nT1,eve,technical,expert\n"))
    assert label_of("T1") == "technical"  # the expert outranks the crowd by default
    judged.config = replace(judged.config, authority=())
    assert label_of("T1") == "billing"  # without the policy the majority stands again


def test_excluding_a_source_in_the_configuration_reads_the_annotations_again(
        workspace: Workspace, items_csv: Path, tmp_path: Path) -> None:
    judged = _judged(workspace, items_csv, tmp_path)
    import_annotations(judged, write_text(tmp_path / "rules.csv",
                                          "item_id,annotator_id,label,source\nT2,rule,account,synthetic\n"))
    assert "synthetic" in set(judged.annotations()["source"])
    judged.config = replace(judged.config, exclude_sources=("synthetic",))
    assert "synthetic" not in set(judged.annotations()["source"])


def _insert(workspace: Workspace, annotation_id: int, annotator: str, label: str, source: str = "human") -> None:
    """One judgement on T2 written straight to the store under a chosen id, as a late PostgreSQL commit lands."""
    from datetime import datetime

    from answerkey.store import tables as t

    with workspace.transaction() as connection:
        known = connection.execute(t.annotators.select().where(t.annotators.c.annotator_id == annotator)).first()
        if known is None:
            connection.execute(t.annotators.insert().values(annotator_id=annotator,
                                                            first_seen_at=datetime(2026, 11, 29)))
        connection.execute(t.annotations.insert().values(
            annotation_id=annotation_id, item_id="T2", annotator_id=annotator, label=label, source=source,
            schema_version=workspace.schema().version, recorded_at=datetime(2026, 11, 29),
            judgement_key=annotation_id.to_bytes(16, "big")))


def _fresh(workspace: Workspace) -> list[tuple[object, ...]]:
    from answerkey.store import reads

    with workspace.reading() as connection:
        frame = reads.annotations_frame(connection, exclude_sources=workspace.config.exclude_sources)
    return list(frame[["annotation_id", "annotator_id", "label", "source"]].itertuples(index=False, name=None))


def test_the_annotations_read_bit_by_bit_are_what_a_whole_read_gives(
        workspace: Workspace, items_csv: Path, tmp_path: Path) -> None:
    judged = _judged(workspace, items_csv, tmp_path)

    def kept() -> list[tuple[object, ...]]:
        return list(judged.annotations()[["annotation_id", "annotator_id", "label", "source"]]
                    .itertuples(index=False, name=None))

    assert kept() == _fresh(judged)
    newest = max(row[0] for row in _fresh(judged))
    _insert(judged, newest + 10, "cy", "account")
    _insert(judged, newest + 11, "bot", "billing", source="model")  # an excluded source
    assert kept() == _fresh(judged)
    _insert(judged, newest + 12, "cy", "")  # cy withdraws what it said of T2
    assert kept() == _fresh(judged)
    assert "cy" not in {row[1] for row in kept()}
    _insert(judged, newest + 5, "dee", "technical")  # committed late under a lower id than one already read
    assert kept() == _fresh(judged)
    assert "dee" in {row[1] for row in kept()}


@pytest.mark.parametrize("method", ["majority", "dawid-skene"])
def test_the_workspace_consensus_is_consensus_over_the_judgements_before_and_after_a_decision(
        workspace: Workspace, items_csv: Path, tmp_path: Path, method: str) -> None:
    from answerkey.project.adjudication import adjudicate
    from answerkey.project.agreement import workspace_judgements
    from answerkey.project.consensus import GROUND_TRUTH_SOURCES
    from answerkey.quality.aggregation import consensus

    judged = _judged(workspace, items_csv, tmp_path)
    import_annotations(judged, write_text(tmp_path / "more.csv", "item_id,annotator_id,label,source\n"
                                          "T1,cy,technical,human\nT2,cy,account,human\nT2,eve,technical,expert\n"))

    def reference() -> pd.DataFrame:
        judgements = workspace_judgements(judged, None, GROUND_TRUTH_SOURCES)
        labels = None if method == "majority" else judged.schema().label_names
        return consensus(judgements, method, labels=labels, authority=judged.config.authority)

    pd.testing.assert_frame_equal(workspace_consensus(judged, method)[1], reference())
    adjudicate(judged, "T1", "account", reviewer="rita", note="checked")
    after = workspace_consensus(judged, method)[1]
    pd.testing.assert_frame_equal(after, reference())
    assert after.set_index("item_id").loc["T1", "label"] == "account"
