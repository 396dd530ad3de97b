"""Hostile Label Studio exports: deep nesting, huge numbers and control characters in ids are refused in one
line naming the file (and the task and field, where there is one), never with a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from answerkey.errors import ImportValidationError
from answerkey.io.labelstudio import read_label_studio
from answerkey.json_input import MAX_JSON_DEPTH


def task(task_id: int = 1, **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": task_id, "data": {"text": f"ticket {task_id}"}, "predictions": [],
        "annotations": [{"completed_by": 1, "created_at": "2024-05-02T09:14:31Z", "result": [
            {"type": "choices", "from_name": "category", "to_name": "text", "value": {"choices": ["billing"]}}]}],
    }
    entry.update(changes)
    return entry


def refusal(path: Path) -> ImportValidationError:
    with pytest.raises(ImportValidationError) as caught:
        read_label_studio(path, include_predictions=True)
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 400
    return caught.value


def test_an_export_of_200000_nested_brackets_is_one_line_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    message = str(refusal(path))
    assert message.startswith(f"{path}: found arrays or objects nested more than {MAX_JSON_DEPTH} deep")


def test_a_task_payload_nested_past_the_limit_is_refused_before_it_is_stored(tmp_path: Path) -> None:
    depth = MAX_JSON_DEPTH + 5
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task(data={"text": "t", "deep": json.loads("[" * depth + "]" * depth)})]))
    assert "nested more than" in str(refusal(path))


def test_a_number_too_long_for_python_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('[{"id": ' + "9" * 5000 + ', "data": {}}]')
    assert str(refusal(path)).startswith(f"{path}: found a value that cannot be read")


@pytest.mark.parametrize(("changes", "column"), [
    pytest.param({"id": "T\x001"}, "id", id="NUL-in-task-id"),
    pytest.param({"data": {"item_id": "T\u20281", "text": "t"}}, "data.item_id", id="line-separator-in-item-id"),
    pytest.param({"annotations": [{**task()["annotations"][0], "completed_by": "ann\x1b[31m"}]},
                 "annotations[0].completed_by", id="escape-in-annotator"),
    pytest.param({"annotations": [{**task()["annotations"][0], "completed_by": {"email": "a\x00@x.org"}}]},
                 "annotations[0].completed_by", id="NUL-in-annotator-email"),
    pytest.param({"predictions": [{**task()["annotations"][0], "model_version": "v1\n"}]},
                 "predictions[0].model_version", id="newline-in-model-version"),
])
def test_a_control_character_in_an_id_is_refused_naming_task_and_field(
    tmp_path: Path, changes: dict[str, Any], column: str
) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task(2), task(1, **changes)]))
    error = refusal(path)
    problem = error.problems[0]
    assert (problem.row, problem.column) == (2, column)
    assert "control character" in problem.found
    assert problem.expected.startswith("an id without control characters")
