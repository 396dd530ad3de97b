"""What a workspace keeps between calls (the annotations read, the consensus fitted) is thrown away as soon as the
store's annotations, the schema or the policy change, whoever wrote them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

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
