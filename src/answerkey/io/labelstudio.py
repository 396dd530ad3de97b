"""Label Studio JSON exports of a Choices (classification) project, to items and annotations and back.

Pure functions, no database: ``read_label_studio`` turns the "JSON" export (a list of tasks, each with ``data``,
``annotations`` and ``predictions``) into item and annotation records that know their place in the file;
``label_studio_tasks`` builds tasks of the same shape from records, so a read of what it wrote gives them back.
A ``textarea`` result of an annotation (a comment box) becomes the annotation's note.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from answerkey.errors import ImportValidationError, ParameterError, RowProblem
from answerkey.excerpt import clip, excerpt
from answerkey.io.identifiers import ID_EXPECTED, has_control, with_control
from answerkey.json_input import NESTING_EXPECTED, JsonNestingError, load_json
from answerkey.schema.model import MULTI_LABEL_SEPARATOR

__all__ = ["LabelStudioRecords", "label_studio_tasks", "read_label_studio"]

MAX_PROBLEMS = 20
EXPORT = "a Label Studio JSON export (a list of tasks)"
ISO_EXAMPLE = "an ISO 8601 date-time such as 2024-05-02T09:14:31.120Z"
NOTE_CONTROL = "note"


@dataclass(frozen=True)
class LabelStudioRecords:
    """What an export holds for answerkey: items, annotations, and how many annotations were skipped and why."""

    items: list[dict[str, Any]]
    annotations: list[dict[str, Any]]
    cancelled: int
    skipped_empty: int


class _Problems:
    """The problems of one file: the first ``MAX_PROBLEMS`` kept, all counted, raised together."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.kept: list[RowProblem] = []
        self.total = 0

    def add(self, row: int | None, column: str | None, found: str, expected: str) -> None:
        """Record one problem (kept only while fewer than ``MAX_PROBLEMS`` are kept)."""
        self.total += 1
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(RowProblem(self.file, row, column, found, expected))

    def raise_if_any(self) -> None:
        """Refuse the whole file when anything was wrong, so nothing half-read is imported."""
        if self.total:
            raise ImportValidationError(self.kept, total=self.total)


def read_label_studio(
    path: str | Path,
    *,
    item_id_field: str | None = None,
    from_name: str | None = None,
    include_predictions: bool = False,
) -> LabelStudioRecords:
    """Items and annotations of a Label Studio JSON export; bad tasks raise one ImportValidationError."""
    path = Path(path)
    problems = _Problems(str(path))
    tasks = _load_tasks(path)
    control = _choose_control(tasks, from_name, include_predictions, problems)
    items: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    cancelled = skipped_empty = 0
    seen: dict[str, int] = {}
    for row, task in enumerate(tasks, start=1):
        if not isinstance(task, dict):
            problems.add(row, None, f"a JSON {_kind(task)}", "a task object with 'id' and 'data'")
            continue
        found = _item(task, row, item_id_field, problems)
        if found is None:
            continue
        item_id, payload, column = found
        if item_id in seen:
            problems.add(row, column, f"item id {item_id!r} again (first in row {seen[item_id]})",
                         "one task per item (or pass item_id_field)")
            continue
        seen[item_id] = row
        items.append({"item_id": item_id, "payload": payload, "row": row})
        for key in ("annotations", "predictions") if include_predictions else ("annotations",):
            entries = task.get(key)
            if entries is None:
                continue
            if not isinstance(entries, list):
                problems.add(row, key, f"a JSON {_kind(entries)}", f"a list of {key}")
                continue
            for index, entry in enumerate(entries):
                where = f"{key}[{index}]"
                if not isinstance(entry, dict):
                    problems.add(row, where, f"a JSON {_kind(entry)}", "an annotation object")
                elif key == "annotations" and entry.get("was_cancelled") is True:
                    cancelled += 1
                else:
                    before = problems.total
                    record = _judgement(entry, where, row, item_id, control, problems)
                    if record is not None:
                        annotations.append(record)
                    elif problems.total == before:
                        skipped_empty += 1
    problems.raise_if_any()
    return LabelStudioRecords(items, annotations, cancelled, skipped_empty)


def label_studio_tasks(
    items: Iterable[Mapping[str, Any]],
    annotations: Iterable[Mapping[str, Any]],
    *,
    from_name: str = "label",
    to_name: str = "text",
) -> list[dict[str, Any]]:
    """Tasks in Label Studio's export shape, one annotation per judgement, to import into Label Studio.

    The item id goes in ``data.item_id``; model judgements become predictions (``model:<version>`` ids), expert
    ones ``ground_truth`` annotations, and any other source a plain annotation (read back as "human").
    """
    tasks: dict[str, dict[str, Any]] = {}
    for item in items:
        item_id = str(item["item_id"])
        if item_id in tasks:
            raise ParameterError.invalid("items", "one row per item_id", item_id)
        payload = {key: value for key, value in (item.get("payload") or {}).items() if key != "item_id"}
        task_id = len(tasks) + 1
        tasks[item_id] = {"id": task_id, "annotations": [], "drafts": [], "predictions": [],
                          "data": {"item_id": item_id, **payload}, "meta": {}, "inner_id": task_id,
                          "total_annotations": 0, "cancelled_annotations": 0, "total_predictions": 0}
    judgements = list(annotations)
    users = _users(str(a["annotator_id"]) for a in judgements if a.get("source") != "model")
    for number, judgement in enumerate(judgements, start=1):
        task = tasks.get(str(judgement["item_id"]))
        if task is None:
            raise ParameterError.invalid("annotations", "judgements of the given items", judgement["item_id"])
        label = judgement.get("label")
        choices = sorted({part for part in str(label or "").split(MULTI_LABEL_SEPARATOR) if part})
        if not isinstance(label, str) or not choices:
            raise ParameterError.invalid("label", "a label name", label)
        result: list[dict[str, Any]] = [{"id": f"ak{number}", "type": "choices", "value": {"choices": choices},
                                         "origin": "manual", "to_name": to_name, "from_name": from_name}]
        note = judgement.get("note")
        if isinstance(note, str) and note:
            result.append({"id": f"ak{number}n", "type": "textarea", "value": {"text": [note]},
                           "origin": "manual", "to_name": to_name, "from_name": NOTE_CONTROL})
        stamp = judgement.get("created_at")
        stamp = None if stamp != stamp else stamp  # NaN and NaT (missing in data frames) are unequal to themselves
        created_at = stamp.isoformat() if isinstance(stamp, date) else stamp
        annotator = str(judgement["annotator_id"])
        common = {"id": number, "result": result, "created_at": created_at, "updated_at": created_at,
                  "task": task["id"]}
        if judgement.get("source") == "model":
            task["predictions"].append({**common, "model_version": annotator.removeprefix("model:"),
                                        "score": judgement.get("confidence"), "created_ago": "0 minutes"})
        else:
            task["annotations"].append({**common, "completed_by": users[annotator], "was_cancelled": False,
                                        "ground_truth": judgement.get("source") == "expert", "lead_time": None,
                                        "prediction": {}, "result_count": 0})
    for task in tasks.values():
        task["total_annotations"] = len(task["annotations"])
        task["total_predictions"] = len(task["predictions"])
    return list(tasks.values())


def _load_tasks(path: Path) -> list[Any]:
    """The file's tasks, or an ImportValidationError saying why the file is not an export at all."""

    def refuse(found: str, expected: str = EXPORT) -> ImportValidationError:
        return ImportValidationError([RowProblem(str(path), None, None, found, expected)])

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse(f"bytes that are not UTF-8 (at byte {exc.start})", "a UTF-8 encoded JSON file") from None
    if not text.strip():
        raise refuse("an empty file")
    try:
        data = load_json(text)
    except JsonNestingError as exc:  # 200,000 [ in a row would otherwise end in a RecursionError
        raise refuse(str(exc), NESTING_EXPECTED) from None
    except json.JSONDecodeError as exc:
        raise refuse(f"invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})") from None
    except ValueError as exc:  # a number of more digits than Python reads
        raise refuse(f"a value that cannot be read ({clip(str(exc))})") from None
    if isinstance(data, dict):
        raise refuse("a single JSON object" + (" (one task? wrap it in [ ])" if "data" in data else ""))
    if not isinstance(data, list):
        raise refuse(f"a JSON {_kind(data)}")
    if not data:
        raise refuse("an empty file (an empty list of tasks)", "at least one task")
    return data


def _choose_control(tasks: list[Any], from_name: str | None, predictions: bool, problems: _Problems) -> str | None:
    """The one Choices control to read: ``from_name``, or the file's only one (None when it has none)."""
    names: set[str] = set()
    for task in tasks:
        if not isinstance(task, dict):
            continue
        for key in ("annotations", "predictions") if predictions else ("annotations",):
            entries = task.get(key)
            for entry in entries if isinstance(entries, list) else []:
                result = entry.get("result") if isinstance(entry, dict) else None
                for res in result if isinstance(result, list) else []:
                    if isinstance(res, dict) and isinstance(res.get("value"), dict) and "choices" in res["value"]:
                        names.add(str(res.get("from_name")))
    listing = ", ".join(repr(name) for name in sorted(names))
    if from_name is not None and names and from_name not in names:
        problems.add(None, None, f"no choices from {from_name!r} (the file has {listing})",
                     f"from_name naming one of {listing}")
    elif from_name is None and len(names) > 1:
        problems.add(None, None, f"choices from several controls: {listing}",
                     f"from_name naming one of {listing}")
    problems.raise_if_any()
    return from_name if from_name is not None else next(iter(names), None)


def _item(
    task: dict[str, Any], row: int, item_id_field: str | None, problems: _Problems
) -> tuple[str, dict[str, Any], str] | None:
    """The task's item id, payload (its data without the id field) and id column, or None after a problem."""
    data = task.get("data")
    if not isinstance(data, dict):
        problems.add(row, "data", "no 'data' object" if data is None else f"a JSON {_kind(data)} as 'data'",
                     "a task with a 'data' object (Label Studio's JSON export, not JSON-MIN or CSV)")
        return None
    key = item_id_field or ("item_id" if "item_id" in data else None)
    if key is not None and key not in data:
        problems.add(row, f"data.{key}", f"no field {key!r} in data", f"the item id in data.{key}")
        return None
    if key is None and "id" not in task:
        problems.add(row, "id", "a task without 'id'", "a task id (or an item_id field in data)")
        return None
    value, column = (data[key], f"data.{key}") if key is not None else (task["id"], "id")
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        problems.add(row, column, _show(value), "an item id (a non-empty string or an integer)")
        return None
    if has_control(str(value)):
        problems.add(row, column, with_control(value), ID_EXPECTED)
        return None
    return str(value), {name: v for name, v in data.items() if name != key}, column


def _judgement(
    entry: dict[str, Any], where: str, row: int, item_id: str, control: str | None, problems: _Problems
) -> dict[str, Any] | None:
    """One annotation or prediction as an annotation record; None when it has no choices or has problems."""
    before = problems.total
    if where.startswith("predictions"):
        annotator: str | None = f"model:{entry.get('model_version') or 'unknown'}"
        source = "model"
    else:
        annotator = _annotator(entry.get("completed_by"))
        source = "expert" if entry.get("ground_truth") is True else "human"
        if annotator is None:
            problems.add(row, f"{where}.completed_by", _show(entry.get("completed_by")),
                         "a user id or an object with 'id' or 'email'")
    if annotator is not None and has_control(annotator):
        field = "model_version" if source == "model" else "completed_by"
        problems.add(row, f"{where}.{field}", with_control(annotator), ID_EXPECTED)
        annotator = None
    created_at = entry.get("created_at")
    if created_at is not None and not _is_iso(created_at):
        problems.add(row, f"{where}.created_at", _show(created_at), ISO_EXAMPLE)
    result = entry.get("result") or []
    if not isinstance(result, list):
        problems.add(row, f"{where}.result", f"a JSON {_kind(result)}", "a list of results")
        return None
    labels: set[str] = set()
    notes: list[str] = []
    column: str | None = None
    for index, res in enumerate(result):
        value = res.get("value") if isinstance(res, dict) else None
        if not isinstance(value, dict):
            continue
        if res.get("type") == "textarea" and isinstance(value.get("text"), list):
            notes.extend(str(text) for text in value["text"])
        if "choices" not in value or str(res.get("from_name")) != control:
            continue
        here, choices = f"{where}.result[{index}].value.choices", value["choices"]
        if not isinstance(choices, list) or not all(isinstance(choice, str) and choice for choice in choices):
            problems.add(row, here, _show(choices), "a list of label names (strings)")
        elif any(MULTI_LABEL_SEPARATOR in choice for choice in choices):
            problems.add(row, here, _show(choices), f"label names without {MULTI_LABEL_SEPARATOR!r}")
        else:
            labels.update(choices)
            column = column or here
    if problems.total > before or annotator is None or column is None or not labels:
        return None
    return {"item_id": item_id, "annotator_id": annotator, "label": MULTI_LABEL_SEPARATOR.join(sorted(labels)),
            "created_at": created_at, "source": source, "note": "\n".join(notes) if notes else None,
            "row": row, "column": column}


def _annotator(completed_by: Any) -> str | None:
    """The annotator id of ``completed_by``: the user id as text, whether given bare or in a user object
    (exports of different Label Studio versions write it either way; the id is the same), else the email."""
    if isinstance(completed_by, dict):
        email = completed_by.get("email")
        user_id = completed_by.get("id")
        if user_id is None and isinstance(email, str) and email.strip():
            return email
        completed_by = user_id
    if isinstance(completed_by, bool) or not isinstance(completed_by, int | str) or not str(completed_by).strip():
        return None
    return str(completed_by)


def _users(annotators: Iterable[str]) -> dict[str, Any]:
    """``completed_by`` per annotator: the user id when the annotator id is one, else a user object with only
    an email (no id), which reads back as that email."""
    names = list(dict.fromkeys(annotators))
    numeric = {name for name in names if name.isdigit() and str(int(name)) == name}
    user = {"first_name": "", "last_name": ""}
    return {name: int(name) if name in numeric else {"email": name, **user} for name in names}


def _is_iso(value: Any) -> bool:
    """True for text Python reads as an ISO 8601 date or date-time (``Z`` included)."""
    try:
        return isinstance(value, str) and bool(datetime.fromisoformat(value))
    except ValueError:
        return False


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    """A value for a message, cut short when long."""
    return "nothing" if value is None else excerpt(value, 60)
