"""Hostile input on every import path (CSV, JSONL, Parquet, Label Studio, the HTTP API's rows): control
characters in ids, nested values where plain ones belong and over-long lines are refused naming file, row and
field, and nothing is written, on SQLite and PostgreSQL alike (which stores no NUL in text at all)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from answerkey.errors import ImportValidationError
from answerkey.io.tabular import MAX_RECORD_BYTES
from answerkey.project import Workspace, import_annotations, import_items, import_label_studio
from answerkey.project.annotation_rows import AnnotationWrite, append_annotation_rows
from answerkey.project.items import append_item_rows
from conftest import write_text

ITEMS = "item_id,text,segment\nT1,refund please,smb\nT2,app crashes,enterprise\n"
REVIEWER = AnnotationWrite("rita", on_behalf=True, adjudicate=True)


def snapshot(ws: Workspace) -> dict[str, Any]:
    """Every table an import writes to, row by row."""
    with ws.engine.connect() as connection:
        return {table: connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1")).all()
                for table in ("imports", "items", "annotators", "annotations")}


@pytest.fixture
def ws(workspace: Workspace, tmp_path: Path) -> Workspace:
    import_items(workspace, write_text(tmp_path / "items.csv", ITEMS))
    return workspace


def refused(ws: Workspace, call: Any, *args: Any, **options: Any) -> ImportValidationError:
    """The error ``call`` refuses with, after checking that it wrote nothing and that its message is one line."""
    before = snapshot(ws)
    with pytest.raises(ImportValidationError) as caught:
        call(*args, **options)
    assert snapshot(ws) == before
    assert "\n" not in str(caught.value)
    return caught.value


def parquet(path: Path, columns: dict[str, Any]) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


ID_CASES = [
    ("items csv", "items.csv", "item_id,text\nT3,a\nT\x004,b\n", import_items, 3, "item_id"),
    ("items csv segment", "items.csv", "item_id,text,segment\nT3,a,sm\x07b\n", import_items, 2, "segment"),
    ("items jsonl group", "items.jsonl", '{"item_id": "T3", "group_id": "g\\u2028h"}\n', import_items, 1,
     "group_id"),
    ("annotations csv", "labels.csv", "item_id,annotator_id,label\nT1,ann,billing\nT2,b\x00b,billing\n",
     import_annotations, 3, "annotator_id"),
    ("annotations jsonl", "labels.jsonl", '{"item_id": "T\\u00851", "annotator_id": "ann", "label": "billing"}\n',
     import_annotations, 1, "item_id"),
    ("annotations csv note", "labels.csv", "item_id,annotator_id,label,note\nT1,ann,billing,a\x00b\n",
     import_annotations, 2, "note"),
]


@pytest.mark.parametrize(("case", "name", "text", "call", "row", "column"), ID_CASES, ids=[c[0] for c in ID_CASES])
def test_a_control_character_in_an_id_is_refused_naming_file_row_and_field(
    ws: Workspace, tmp_path: Path, case: str, name: str, text: str, call: Any, row: int, column: str
) -> None:
    path = write_text(tmp_path / name, text)
    error = refused(ws, call, ws, path)
    assert (error.problems[0].file, error.problems[0].row, error.problems[0].column) == (str(path), row, column)
    assert str(error).startswith(f"{path}:{row}:{column}: found ")


def test_a_control_character_in_a_parquet_id_is_refused(ws: Workspace, tmp_path: Path) -> None:
    path = parquet(tmp_path / "labels.parquet",
                   {"item_id": ["T1", "T2"], "annotator_id": ["ann", "a\x00nn"], "label": ["billing", "billing"]})
    error = refused(ws, import_annotations, ws, path)
    assert str(error).startswith(f"{path}:2:annotator_id: found 'a\\x00nn' (a control character, U+0000")


def test_a_control_character_in_a_label_studio_id_is_refused(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 1, "data": {"item_id": "T\x009", "text": "t"}, "annotations": []}]))
    assert str(refused(ws, import_label_studio, ws, path)).startswith(f"{path}:1:data.item_id: found 'T\\x009'")


def test_an_api_annotation_row_with_a_control_character_is_refused_on_the_short_path_too(ws: Workspace) -> None:
    schema = ws.schema()
    for row in ({"item_id": "T1", "annotator_id": "b\x00b", "label": "billing"},
                {"item_id": "T1", "annotator_id": "bob", "label": "billing", "note": "a\x00b"}):
        before = snapshot(ws)
        with pytest.raises(ImportValidationError) as caught, ws.transaction() as connection:
            append_annotation_rows(connection, schema, [row], REVIEWER)
        assert snapshot(ws) == before
        assert caught.value.problems[0].column in ("annotator_id", "note")
        assert caught.value.problems[0].row == 0


def test_an_api_item_row_with_a_control_character_is_refused(ws: Workspace) -> None:
    before = snapshot(ws)
    with pytest.raises(ImportValidationError, match=r"request body:0:item_id: found 'T\\x1b9'"), \
            ws.transaction() as connection:
        append_item_rows(connection, [{"item_id": "T\x1b9", "payload": {"text": "t"}}])
    assert snapshot(ws) == before


@pytest.mark.parametrize(("call", "columns", "column"), [
    (import_items, {"item_id": pa.array([{"a": 1}, {"a": 2}]), "text": ["x", "y"]}, "item_id"),
    (import_items, {"item_id": ["T3", "T4"], "segment": pa.array([["a"], ["b"]])}, "segment"),
    (import_annotations, {"item_id": ["T1"], "annotator_id": pa.array([["ann"]]), "label": ["billing"]},
     "annotator_id"),
], ids=["struct item id", "list segment", "list annotator id"])
def test_a_nested_parquet_column_where_a_plain_value_belongs_is_refused_naming_it(
    ws: Workspace, tmp_path: Path, call: Any, columns: dict[str, Any], column: str
) -> None:
    path = parquet(tmp_path / "input.parquet", columns)
    assert str(refused(ws, call, ws, path)).startswith(f"{path}:{column}: found a column of ")


def test_a_line_longer_than_a_record_may_be_writes_nothing(ws: Workspace, tmp_path: Path) -> None:
    path = write_text(tmp_path / "labels.csv", "item_id,annotator_id,label\nT1,ann,billing\nT2,"
                      + "x" * (MAX_RECORD_BYTES + 1) + ",billing\n")
    assert str(refused(ws, import_annotations, ws, path)).startswith(f"{path}:3:annotator_id: found a line longer")
