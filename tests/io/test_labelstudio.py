"""Reading Label Studio JSON exports of a Choices project, and writing tasks that read back the same."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from answerkey.errors import ImportValidationError, ParameterError
from answerkey.io.labelstudio import LabelStudioRecords, label_studio_tasks, read_label_studio

EXPORT = Path(__file__).parents[1] / "data" / "label_studio_export.json"
MODEL = "model:ticket-router-2024.05"
EMAILS = {"maya.okafor@example.com", "jonas.berg@example.com", "priya.raman@example.com"}


def choices(labels: Any, from_name: str = "category") -> dict[str, Any]:
    """One Choices result as Label Studio writes it."""
    return {"value": {"choices": labels}, "id": "Xy12AbCd34", "from_name": from_name, "to_name": "text",
            "type": "choices", "origin": "manual"}


def annotation(**changes: Any) -> dict[str, Any]:
    """A valid annotation of one choice, with ``changes`` applied (None removes a key)."""
    entry = {"id": 9001, "completed_by": 1, "result": [choices(["billing"])], "was_cancelled": False,
             "ground_truth": False, "created_at": "2024-05-02T09:14:31.120473Z", "lead_time": 12.5, "task": 1}
    entry.update(changes)
    return {key: value for key, value in entry.items() if value is not None}


def task(task_id: int = 1, **changes: Any) -> dict[str, Any]:
    """A valid task with one annotation, with ``changes`` applied (None removes a key)."""
    entry = {"id": task_id, "annotations": [annotation()], "drafts": [], "predictions": [],
             "data": {"text": f"ticket {task_id}"}, "meta": {}, "inner_id": task_id, "total_annotations": 1}
    entry.update(changes)
    return {key: value for key, value in entry.items() if value is not None}


def write(tmp_path: Path, content: Any, name: str = "export.json") -> Path:
    """``content`` as a file: bytes and text verbatim, anything else as JSON."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def judgements(records: LabelStudioRecords) -> list[tuple[Any, ...]]:
    """The annotations without their file positions, in a stable order, for comparing two reads."""
    keys = ("item_id", "annotator_id", "label", "created_at", "source", "note")
    return sorted((tuple(a[key] for key in keys) for a in records.annotations), key=repr)


def test_the_fixture_export_parses_to_the_expected_counts() -> None:
    records = read_label_studio(EXPORT)
    assert len(records.items) == 12
    assert len(records.annotations) == 28
    assert records.cancelled == 1
    assert records.skipped_empty == 1
    assert records.items[0] == {
        "item_id": "1041",
        "payload": {"ticket_id": "ZD-48213", "channel": "email", "text": records.items[0]["payload"]["text"]},
        "row": 1,
    }
    assert {a["label"] for a in records.annotations} == {
        "billing", "technical_issue", "account_access", "cancellation", "billing|cancellation"}


def test_annotation_records_carry_their_row_column_and_timestamp_as_in_the_file() -> None:
    first = read_label_studio(EXPORT).annotations[0]
    assert first == {"item_id": "1041", "annotator_id": "1", "label": "billing",
                     "created_at": first["created_at"], "source": "human", "note": None, "row": 1,
                     "column": "annotations[0].result[0].value.choices"}
    raw = json.loads(EXPORT.read_text(encoding="utf-8"))
    assert first["created_at"] == raw[0]["annotations"][0]["created_at"]


def test_cancelled_and_empty_annotations_are_skipped_and_counted(tmp_path: Path) -> None:
    path = write(tmp_path, [task(annotations=[
        annotation(completed_by=1),
        annotation(completed_by=2, was_cancelled=True, result=[]),
        annotation(completed_by=3, result=[]),
        annotation(completed_by=4, was_cancelled=True, result=[choices(["billing"])]),
    ])])
    records = read_label_studio(path)
    assert [a["annotator_id"] for a in records.annotations] == ["1"]
    assert (records.cancelled, records.skipped_empty) == (2, 1)


def test_the_task_without_annotations_is_still_an_item() -> None:
    records = read_label_studio(EXPORT)
    annotated = {a["item_id"] for a in records.annotations}
    assert [item["item_id"] for item in records.items if item["item_id"] not in annotated] == ["1046"]


def test_a_user_given_as_a_bare_id_or_as_a_user_object_is_one_annotator_by_id() -> None:
    records = read_label_studio(EXPORT)
    assert {a["annotator_id"] for a in records.annotations} == {"1", "2", "3"}
    by_task = {a["annotator_id"] for a in records.annotations if a["row"] == 7}
    assert by_task == {"1", "2"}  # maya.okafor@example.com and jonas.berg@example.com as user objects


def test_a_user_object_with_only_an_email_maps_to_the_email(tmp_path: Path) -> None:
    path = write(tmp_path, [task(annotations=[annotation(completed_by={"email": "ana@example.com"})])])
    assert read_label_studio(path).annotations[0]["annotator_id"] == "ana@example.com"


def test_a_user_object_without_email_maps_to_its_id(tmp_path: Path) -> None:
    path = write(tmp_path, [task(annotations=[annotation(completed_by={"id": 42, "first_name": "Ana"})])])
    assert read_label_studio(path).annotations[0]["annotator_id"] == "42"


def test_ground_truth_annotations_have_source_expert() -> None:
    records = read_label_studio(EXPORT)
    experts = [a for a in records.annotations if a["source"] == "expert"]
    assert [(a["item_id"], a["annotator_id"]) for a in experts] == [("1047", "1")]
    assert Counter(a["source"] for a in records.annotations) == {"human": 27, "expert": 1}


def test_predictions_become_model_annotations_only_with_include_predictions() -> None:
    assert all(a["source"] != "model" for a in read_label_studio(EXPORT).annotations)
    records = read_label_studio(EXPORT, include_predictions=True)
    models = [a for a in records.annotations if a["source"] == "model"]
    assert [(a["item_id"], a["annotator_id"], a["label"]) for a in models] == [
        ("1041", MODEL, "billing"), ("1042", MODEL, "account_access"),
        ("1046", MODEL, "technical_issue"), ("1049", MODEL, "technical_issue")]
    assert models[0]["column"] == "predictions[0].result[0].value.choices"
    assert len(records.annotations) == 32


def test_a_prediction_without_model_version_is_by_model_unknown(tmp_path: Path) -> None:
    path = write(tmp_path, [task(annotations=[], predictions=[{"id": 5, "result": [choices(["billing"])]}])])
    records = read_label_studio(path, include_predictions=True)
    assert records.annotations[0]["annotator_id"] == "model:unknown"


def test_multiple_choices_are_joined_in_sorted_order() -> None:
    records = read_label_studio(EXPORT)
    multi = [a for a in records.annotations if a["item_id"] == "1044" and a["annotator_id"] == "2"]
    assert [a["label"] for a in multi] == ["billing|cancellation"]


def test_a_textarea_result_becomes_the_note() -> None:
    notes = {a["item_id"]: a["note"] for a in read_label_studio(EXPORT).annotations if a["note"]}
    assert notes == {"1044": "Also asks about the final charge", "1048": "Downgrade, not a full cancellation"}


def test_the_item_id_comes_from_item_id_field_and_leaves_the_payload() -> None:
    records = read_label_studio(EXPORT, item_id_field="ticket_id")
    assert records.items[0]["item_id"] == "ZD-48213"
    assert "ticket_id" not in records.items[0]["payload"]
    assert records.annotations[0]["item_id"] == "ZD-48213"


def test_an_item_id_in_data_is_used_without_being_asked_for(tmp_path: Path) -> None:
    path = write(tmp_path, [task(data={"item_id": "T-1", "text": "hello"})])
    assert read_label_studio(path).items == [{"item_id": "T-1", "payload": {"text": "hello"}, "row": 1}]


def test_several_choices_controls_require_from_name(tmp_path: Path) -> None:
    two = [choices(["billing"]), choices(["high"], from_name="priority")]
    path = write(tmp_path, [task(annotations=[annotation(result=two)])])
    with pytest.raises(ImportValidationError, match="'category', 'priority'") as error:
        read_label_studio(path)
    assert str(path) in str(error.value)
    assert read_label_studio(path, from_name="priority").annotations[0]["label"] == "high"
    with pytest.raises(ImportValidationError, match="no choices from 'urgency'"):
        read_label_studio(path, from_name="urgency")


BAD_TASKS: list[tuple[str, Any, str]] = [
    ("a task without data", task(2, data=None), "data"),
    ("a task without id", task(2, id=None), "id"),
    ("a task that is not an object", "just text", ""),
    ("an annotation without completed_by", task(2, annotations=[annotation(completed_by=None)]),
     "annotations[0].completed_by"),
    ("choices that are not a list", task(2, annotations=[annotation(result=[choices("billing")])]),
     "annotations[0].result[0].value.choices"),
    ("choices that are not strings", task(2, annotations=[annotation(result=[choices([3])])]),
     "annotations[0].result[0].value.choices"),
    ("a created_at that is not ISO 8601", task(2, annotations=[annotation(created_at="03/05/2024 10:00")]),
     "annotations[0].created_at"),
]


@pytest.mark.parametrize(("case", "bad", "column"), BAD_TASKS, ids=[case for case, _, _ in BAD_TASKS])
def test_a_bad_task_raises_naming_the_file_row_and_column(tmp_path: Path, case: str, bad: Any, column: str) -> None:
    path = write(tmp_path, [task(1), bad])
    with pytest.raises(ImportValidationError) as error:
        read_label_studio(path)
    where = f"{path}:2:{column}" if column else f"{path}:2:"
    assert str(error.value).startswith(where), case
    assert error.value.problems[0].row == 2


BAD_FILES: list[tuple[str, Any, str]] = [
    ("not valid JSON", '[{"id": 1,\n  "data": }]', "invalid JSON at line 2 column 11"),
    ("not UTF-8", b'[{"id": 1, "data": {"text": "caf\xe9"}}]', "not UTF-8"),
    ("a single task instead of a list", task(1), "a single JSON object (one task? wrap it in [ ])"),
    ("a JSON string", '"tasks"', "found a JSON string, expected a Label Studio JSON export (a list of tasks)"),
    ("an empty list", "[]", "an empty file"),
    ("an empty file", "", "an empty file"),
]


@pytest.mark.parametrize(("case", "content", "message"), BAD_FILES, ids=[case for case, _, _ in BAD_FILES])
def test_a_file_that_is_not_an_export_raises_naming_the_file(
    tmp_path: Path, case: str, content: Any, message: str
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(ImportValidationError) as error:
        read_label_studio(path)
    assert str(error.value).startswith(f"{path}: found"), case
    assert message in str(error.value)
    assert error.value.problems[0].row is None


def test_problems_are_collected_across_tasks_and_capped_at_twenty(tmp_path: Path) -> None:
    path = write(tmp_path, [task(n, data=None) for n in range(1, 26)])
    with pytest.raises(ImportValidationError, match="25 problems in all") as error:
        read_label_studio(path)
    assert len(error.value.problems) == 20
    assert error.value.total == 25
    assert [p.row for p in error.value.problems] == list(range(1, 21))


def test_a_duplicate_item_id_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, [task(1), task(1)])
    with pytest.raises(ImportValidationError, match=r":2:id: found item id '1' again"):
        read_label_studio(path)


def test_the_fixture_survives_a_round_trip_through_label_studio_tasks(tmp_path: Path) -> None:
    original = read_label_studio(EXPORT, include_predictions=True)
    tasks = label_studio_tasks(original.items, original.annotations, from_name="category")
    again = read_label_studio(write(tmp_path, tasks), include_predictions=True)
    assert [(i["item_id"], i["payload"]) for i in again.items] == [(i["item_id"], i["payload"]) for i in original.items]
    assert judgements(again) == judgements(original)
    assert (again.cancelled, again.skipped_empty) == (0, 0)


def test_records_made_in_answerkey_survive_a_round_trip(tmp_path: Path) -> None:
    items: list[dict[str, Any]] = [
        {"item_id": "a", "payload": {"text": "refund please"}},
        {"item_id": "b", "payload": {"text": "hi"}},
    ]
    annotations: list[dict[str, Any]] = [
        {"item_id": "a", "annotator_id": "alice", "label": "refund|billing", "created_at": "2024-05-02T09:00:00Z",
         "source": "human", "note": "two topics"},
        {"item_id": "a", "annotator_id": "007", "label": "billing", "created_at": None, "source": "expert",
         "note": None},
        {"item_id": "b", "annotator_id": "12", "label": "other", "created_at": "2024-05-02", "source": "human",
         "note": None},
        {"item_id": "b", "annotator_id": "model:v2", "label": "other", "created_at": None, "source": "model",
         "note": None},
    ]
    tasks = label_studio_tasks(items, annotations)
    assert tasks[1]["annotations"][0]["completed_by"] == 12
    assert tasks[0]["annotations"][0]["result"][0]["value"] == {"choices": ["billing", "refund"]}
    again = read_label_studio(write(tmp_path, tasks), include_predictions=True)
    assert [(i["item_id"], i["payload"]) for i in again.items] == [(i["item_id"], i["payload"]) for i in items]
    expected = [dict(a, label="billing|refund") if a["annotator_id"] == "alice" else a for a in annotations]
    assert judgements(again) == sorted((tuple(a.values()) for a in expected), key=repr)


def test_writing_an_annotation_of_an_unknown_item_is_refused() -> None:
    with pytest.raises(ParameterError, match="judgements of the given items"):
        label_studio_tasks([{"item_id": "a", "payload": {}}],
                           [{"item_id": "z", "annotator_id": "1", "label": "billing", "source": "human"}])
