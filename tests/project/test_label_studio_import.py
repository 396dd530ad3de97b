"""A real-shaped Label Studio export imports into a workspace: items from tasks, one annotation a judgement."""

from __future__ import annotations

from pathlib import Path

import pytest

from answerkey.errors import ImportValidationError
from answerkey.project import Workspace, create_release, import_label_studio, workspace_status
from answerkey.schema import TaskKind
from conftest import make_schema, write_schema

EXPORT = Path(__file__).parent.parent / "data" / "label_studio_export.json"
LABELS = ("billing", "technical_issue", "account_access", "cancellation")
SCHEMA = make_schema(labels=LABELS, task=TaskKind.MULTI_LABEL)  # one annotator ticked two choices


def test_a_label_studio_export_creates_items_and_annotations_and_is_idempotent(workspace: Workspace) -> None:
    write_schema(workspace, SCHEMA)
    first = import_label_studio(workspace, EXPORT)
    assert (first.items_added, first.rows_added) == (12, 28)
    assert first.skipped == {"cancelled": 1, "empty": 1}
    status = workspace_status(workspace)
    assert (status["items"], status["annotations"]) == (12, 28)
    assert status["annotations_by_source"] == {"expert": 1, "human": 27}
    again = import_label_studio(workspace, EXPORT)
    assert (again.items_added, again.rows_added) == (0, 0)
    release = create_release(workspace, "ls")
    assert release.status_counts()["unlabeled"] == 1  # the task nobody annotated


def test_predictions_are_imported_only_when_asked_and_never_count_as_ground_truth(workspace: Workspace) -> None:
    write_schema(workspace, SCHEMA)
    without = create_release_after(workspace, include_predictions=False)
    assert import_label_studio(workspace, EXPORT, include_predictions=True).rows_added == 4
    assert workspace_status(workspace)["annotations_by_source"]["model"] == 4
    assert create_release(workspace, "with").content_hash == without


def create_release_after(workspace: Workspace, *, include_predictions: bool) -> str:
    import_label_studio(workspace, EXPORT, include_predictions=include_predictions)
    return create_release(workspace, "without").content_hash


def test_a_multi_choice_answer_is_refused_by_a_single_label_schema_naming_the_task(workspace: Workspace) -> None:
    write_schema(workspace, make_schema(labels=LABELS))
    with pytest.raises(ImportValidationError, match=r"label_studio_export.json:4:label: found label "
                                                    r"'billing\|cancellation'"):
        import_label_studio(workspace, EXPORT)
    assert workspace_status(workspace)["items"] == 0
