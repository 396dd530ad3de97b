"""Imports are transactional, idempotent and append-only, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from answerkey.errors import ImportValidationError, SchemaError
from answerkey.project import Workspace, create_release, import_annotations, import_items, workspace_status
from conftest import make_schema, write_schema, write_text

GOOD = ("item_id,annotator_id,label,created_at\nT1,ann,billing,2026-01-01T10:00:00Z\n"
        "T2,ann,technical,2026-01-01T11:00:00Z\n")


def snapshot(ws: Workspace) -> dict[str, Any]:
    """Everything an import could change: counts and every annotation row."""
    status = workspace_status(ws)
    with ws.engine.connect() as connection:
        query = "SELECT item_id, annotator_id, label FROM annotations ORDER BY 1, 2, 3"
        rows = connection.execute(sa.text(query)).all()
        versions = connection.execute(sa.text("SELECT version FROM schema_versions")).all()
    return {"items": status["items"], "annotations": status["annotations"], "rows": rows, "versions": versions}


BAD_FILES = [
    ("unknown label", "item_id,annotator_id,label\nT1,ann,billing\nT2,ann,refunds\n", 3, "label", "'refunds'"),
    ("unknown item", "item_id,annotator_id,label\nT1,ann,billing\nT9,ann,billing\n", 3, "item_id", "'T9'"),
    ("missing column", "item_id,annotator,label\nT1,ann,billing\n", 1, "annotator_id", "annotator_id"),
    ("bad timestamp", "item_id,annotator_id,label,created_at\nT1,ann,billing,31/12/2025\n", 2, "created_at",
     "'31/12/2025'"),
    ("bad source kind", "item_id,annotator_id,label,source\nT1,ann,billing,crowd\n", 2, "source", "'crowd'"),
    ("empty label", "item_id,annotator_id,label\nT1,ann,\n", 2, "label", "empty"),
    ("bad confidence", "item_id,annotator_id,label,confidence\nT1,ann,billing,1.5\n", 2, "confidence", "1.5"),
    ("unregistered version", "item_id,annotator_id,label,schema_version\nT1,ann,billing,7\n", 2, "schema_version",
     "7"),
]


@pytest.mark.parametrize(("case", "text", "row", "column", "value"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_file_with_one_bad_row_writes_nothing_and_names_file_row_column_and_value(
    workspace: Workspace, items_csv: Path, tmp_path: Path, case: str, text: str, row: int, column: str, value: str
) -> None:
    import_items(workspace, items_csv)
    before = snapshot(workspace)
    path = write_text(tmp_path / "labels.csv", text)
    with pytest.raises(ImportValidationError) as error:
        import_annotations(workspace, path)
    first_line = str(error.value).splitlines()[0]
    assert first_line.startswith(f"{path}:{row}:{column}:"), first_line
    assert value in first_line
    assert snapshot(workspace) == before


def test_undecodable_bytes_name_the_line_and_column(workspace: Workspace, items_csv: Path, tmp_path: Path) -> None:
    import_items(workspace, items_csv)
    before = snapshot(workspace)
    path = tmp_path / "labels.csv"
    path.write_bytes(b"item_id,annotator_id,label\nT1,ann,billing\nT2,b\xff\xfe,billing\n")
    with pytest.raises(ImportValidationError, match=r"labels.csv:3:annotator_id: found bytes that are not UTF-8"):
        import_annotations(workspace, path)
    assert snapshot(workspace) == before


@pytest.mark.parametrize("text", ["", "item_id,annotator_id,label\n"], ids=["empty", "header only"])
def test_an_empty_file_is_refused(workspace: Workspace, tmp_path: Path, text: str) -> None:
    path = write_text(tmp_path / "labels.csv", text)
    with pytest.raises(ImportValidationError, match=r"labels.csv: found (an empty file|a header but no rows)"):
        import_annotations(workspace, path)


def test_a_bad_row_in_a_later_batch_rolls_back_the_rows_already_inserted(
    workspace: Workspace, items_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_items(workspace, items_csv)
    lines = ["item_id,annotator_id,label"] + [f"T1,a{i},billing" for i in range(3000)] + ["T2,z,nonsense"]
    path = write_text(tmp_path / "labels.jsonl", "\n".join(
        json.dumps(dict(zip(["item_id", "annotator_id", "label"], line.split(","), strict=True))) for line in lines[1:]
    ))
    from answerkey.io import tabular

    monkeypatch.setattr(tabular, "BATCH_ROWS", 1000)
    batches = list(tabular.open_tabular(path).batches())
    assert len(batches) == 4
    with pytest.raises(ImportValidationError, match=r"labels.jsonl:3001:label"):
        import_annotations(workspace, path)
    assert snapshot(workspace)["annotations"] == 0


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_importing_the_same_file_twice_adds_nothing(
    workspace: Workspace, items_csv: Path, tmp_path: Path, fmt: str
) -> None:
    import_items(workspace, items_csv)
    frame = pd.DataFrame({"item_id": ["T1", "T1", "T2"], "annotator_id": ["a", "b", "a"],
                          "label": ["billing", "technical", "account"],
                          "created_at": ["2026-01-01T00:00:00Z", None, "2026-01-02T00:00:00+02:00"]})
    path = tmp_path / f"labels.{fmt}"
    {"csv": lambda: frame.to_csv(path, index=False),
     "jsonl": lambda: frame.to_json(path, orient="records", lines=True),
     "parquet": lambda: frame.to_parquet(path, index=False)}[fmt]()
    first = import_annotations(workspace, path)
    second = import_annotations(workspace, path)
    assert (first.rows_added, second.rows_added, second.duplicates) == (3, 0, 3)
    assert workspace_status(workspace)["annotations"] == 3


def test_a_correction_is_a_new_annotation_and_the_latest_judgement_wins(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "a.csv", "item_id,annotator_id,label,created_at\n"
                                             "T1,ann,billing,2026-01-01T00:00:00Z\nT1,bob,technical,2026-01-01\n"
                                             "T1,cy,technical,2026-01-01\n"))
    assert create_release(workspace, "before").labels.set_index("item_id").at["T1", "label"] == "technical"
    import_annotations(workspace, write_text(tmp_path / "b.csv", "item_id,annotator_id,label,created_at\n"
                                             "T1,bob,billing,2026-02-01T00:00:00Z\n"))
    after = create_release(workspace, "after").labels.set_index("item_id")
    assert after.at["T1", "label"] == "billing"
    assert after.at["T1", "n_judgements"] == 3
    with workspace.engine.connect() as connection:
        bob = connection.execute(sa.text("SELECT label FROM annotations WHERE annotator_id='bob' ORDER BY 1")).all()
    assert [row[0] for row in bob] == ["billing", "technical"]


@pytest.mark.parametrize("table", ["annotations", "releases", "release_labels", "schema_versions"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET {column} = {column}", "DELETE FROM {table}"])
def test_the_database_refuses_to_change_or_delete_ground_truth(
    workspace: Workspace, items_csv: Path, tmp_path: Path, table: str, statement: str
) -> None:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "a.csv", GOOD))
    create_release(workspace, "r1")
    column = {"annotations": "label", "releases": "note", "release_labels": "label", "schema_versions": "name"}[table]
    before = snapshot(workspace)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), workspace.engine.begin() as connection:
        connection.execute(sa.text(statement.format(table=table, column=column)))
    assert snapshot(workspace) == before


def test_a_changed_schema_file_under_a_registered_version_is_an_error(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "a.csv", GOOD))
    write_schema(workspace, make_schema(version=1, labels=("billing", "technical", "account", "other")))
    with pytest.raises(SchemaError, match=r"still says version 1.*version: 2"):
        import_annotations(workspace, write_text(tmp_path / "b.csv", GOOD))
    write_schema(workspace, make_schema(version=2, labels=("billing", "technical", "account", "other")))
    assert import_annotations(workspace, write_text(tmp_path / "c.csv", GOOD)).schema_registered == 2


def test_annotations_keep_the_schema_version_they_were_made_under(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "a.csv", GOOD))
    write_schema(workspace, make_schema(version=2, labels=("billing_refund", "technical", "account")))
    old = "item_id,annotator_id,label,schema_version\nT3,old,billing,1\nT3,new,billing_refund,2\n"
    import_annotations(workspace, write_text(tmp_path / "b.csv", old))
    with pytest.raises(ImportValidationError, match=r"b2.csv:2:label: found label 'billing', expected a label of "
                                                    r"schema v2"):
        import_annotations(workspace, write_text(tmp_path / "b2.csv", "item_id,annotator_id,label\nT3,x,billing\n"))
    assert workspace_status(workspace)["annotations_by_schema_version"] == {"1": 3, "2": 1}


def test_an_item_with_a_changed_payload_is_refused_and_an_identical_one_skipped(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    assert import_items(workspace, items_csv).rows_added == 3
    assert import_items(workspace, items_csv).rows_added == 0
    changed = write_text(tmp_path / "changed.csv", "item_id,text,segment\nT4,new,smb\nT2,app crashed,enterprise\n")
    with pytest.raises(ImportValidationError, match=r"changed.csv:3:item_id: found item 'T2' with a payload unlike"):
        import_items(workspace, changed)
    assert workspace_status(workspace)["items"] == 3


def test_a_typo_in_an_optional_column_name_is_an_error_not_a_silent_default(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    path = write_text(tmp_path / "a.csv", "item_id,annotator_id,label,sorce\nT1,a,billing,expert\n")
    with pytest.raises(ImportValidationError, match=r"a.csv:1:sorce: found unknown column 'sorce', expected 'source'"):
        import_annotations(workspace, path)


def test_the_stored_judgement_key_is_the_documented_hash(workspace: Workspace, items_csv: Path, tmp_path: Path) -> None:
    from answerkey.io.validation import judgement_key

    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "a.csv", GOOD))
    with workspace.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT judgement_key FROM annotations WHERE item_id = 'T1'")).scalar_one()
    assert bytes(stored) == judgement_key("T1", "ann", "billing", "2026-01-01 10:00:00.000000")
