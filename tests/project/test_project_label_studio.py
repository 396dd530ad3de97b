"""The Label Studio export in tests/data, imported as the issue says: items from tasks, one row a judgement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from answerkey.config import DATABASE_URL_ENV
from answerkey.errors import ImportValidationError
from answerkey.project import (
    Workspace,
    create_release,
    export_release,
    import_label_studio,
    workspace_status,
)
from answerkey.schema import TaskKind
from conftest import make_schema, write_schema

EXPORT = Path(__file__).parent.parent / "data" / "label_studio_export.json"
LABELS = ("billing", "technical_issue", "account_access", "cancellation")
SCHEMA = make_schema(labels=LABELS, task=TaskKind.MULTI_LABEL)  # task 1044 has an annotator ticking two choices


def annotations(ws: Workspace) -> list[dict[str, Any]]:
    with ws.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT item_id, annotator_id, label, source, note FROM annotations "
                                          "ORDER BY annotation_id")).mappings().all()
    return [dict(row) for row in rows]


def test_every_task_becomes_an_item_whose_payload_is_the_task_data(workspace: Workspace) -> None:
    write_schema(workspace, SCHEMA)
    tasks = json.loads(EXPORT.read_text(encoding="utf-8"))
    result = import_label_studio(workspace, EXPORT)
    assert result.items_added == len(tasks) == 12
    with workspace.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT item_id, payload FROM items")).all()
    payloads = {item_id: json.loads(p) if isinstance(p, str) else p for item_id, p in stored}
    assert payloads == {str(task["id"]): task["data"] for task in tasks}


def test_each_annotator_of_a_task_gives_one_judgement_and_cancelled_or_empty_ones_are_skipped(
    workspace: Workspace,
) -> None:
    write_schema(workspace, SCHEMA)
    result = import_label_studio(workspace, EXPORT)
    assert result.skipped == {"cancelled": 1, "empty": 1}
    rows = annotations(workspace)
    assert len(rows) == result.rows_added == 28
    first_task = [(r["annotator_id"], r["label"]) for r in rows if r["item_id"] == "1041"]
    assert first_task == [("1", "billing"), ("2", "billing"), ("3", "billing")]
    assert [r["annotator_id"] for r in rows if r["item_id"] == "1043"] == ["1", "2"]  # the third was cancelled
    assert [r["annotator_id"] for r in rows if r["item_id"] == "1045"] == ["1", "3"]  # the second chose nothing
    assert not [r for r in rows if r["item_id"] == "1046"]  # nobody annotated it


def test_ground_truth_flags_become_expert_judgements_and_comment_boxes_become_notes(workspace: Workspace) -> None:
    write_schema(workspace, SCHEMA)
    import_label_studio(workspace, EXPORT)
    rows = annotations(workspace)
    assert [r["item_id"] for r in rows if r["source"] == "expert"] == ["1047"]
    notes = {(r["item_id"], r["label"]): r["note"] for r in rows if r["note"]}
    assert notes == {("1044", "billing|cancellation"): "Also asks about the final charge",
                     ("1048", "cancellation"): "Downgrade, not a full cancellation"}


def test_a_label_studio_user_is_one_annotator_whether_the_export_gives_an_id_or_a_user_object(
    workspace: Workspace,
) -> None:
    # users 1, 2 and 3 appear as plain ids in most tasks and as user objects (id, email) in tasks 1047 and 1048
    write_schema(workspace, SCHEMA)
    import_label_studio(workspace, EXPORT)
    assert workspace_status(workspace)["annotators"] == 3


def test_a_release_of_the_export_takes_the_majority_of_the_annotators(workspace: Workspace) -> None:
    write_schema(workspace, SCHEMA)
    import_label_studio(workspace, EXPORT)
    labels = create_release(workspace, "ls").labels.set_index("item_id")
    expected = {
        "1041": ("billing", "agreed"), "1042": ("account_access", "agreed"), "1043": ("technical_issue", "agreed"),
        "1044": ("cancellation", "agreed"), "1046": (None, "unlabeled"), "1048": (None, "disputed"),
        "1050": ("account_access", "agreed"), "1052": ("cancellation", "agreed"),
    }
    assert {item: (labels.at[item, "label"], labels.at[item, "status"]) for item in expected} == expected
    assert labels.at["1042", "confidence"] == pytest.approx(2 / 3)


def test_a_label_studio_export_with_one_unknown_choice_writes_neither_items_nor_annotations(
    workspace: Workspace, tmp_path: Path
) -> None:
    write_schema(workspace, SCHEMA)
    tasks = json.loads(EXPORT.read_text(encoding="utf-8"))
    tasks[8]["annotations"][1]["result"][0]["value"]["choices"] = ["refund"]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    before = workspace_status(workspace)
    with pytest.raises(ImportValidationError, match=rf"^{path}:9:label: found label 'refund'"):
        import_label_studio(workspace, path)
    assert workspace_status(workspace) == before


def test_importing_the_export_twice_adds_nothing(workspace: Workspace) -> None:
    write_schema(workspace, SCHEMA)
    import_label_studio(workspace, EXPORT)
    before = annotations(workspace)
    again = import_label_studio(workspace, EXPORT)
    assert (again.items_added, again.rows_added) == (0, 0)
    assert annotations(workspace) == before


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_export_round_trips_through_a_label_studio_export_of_its_release(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_schema(workspace, SCHEMA)
    import_label_studio(workspace, EXPORT)
    digest = create_release(workspace, "ls").content_hash
    out = tmp_path / "out"
    export_release(workspace, "ls", "label-studio", out)
    monkeypatch.delenv(DATABASE_URL_ENV)
    copy = Workspace.init(tmp_path / "copy")
    copy.config.schema_path.write_text((out / "schema.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = import_label_studio(copy, out / "label-studio.json")
    assert (result.items_added, result.rows_added) == (12, 28)
    assert create_release(copy, "ls").content_hash == digest
    copy.close()
