"""Imports as the issue specifies them: one transaction a file, file:row:column errors, idempotent, append-only.

Every bad-file case checks the whole store afterwards (status counts, every annotation, item and import row),
not only the annotation count, and runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from answerkey.errors import ImportValidationError, SchemaError
from answerkey.project import Workspace, create_release, import_annotations, import_items, workspace_status
from conftest import make_schema, write_schema, write_text

FORMATS = ["csv", "jsonl", "parquet"]
T0 = "2026-01-01T10:00:00Z"
POSTGRES = pytest.mark.postgres
# Parsing is the same on every store, so the format matrix runs on SQLite and one format on PostgreSQL too;
# whatever depends on the store's transactions and types runs on both.
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def formats_on_stores(postgres_format: str | None = "csv") -> pytest.MarkDecorator:
    """Every format on SQLite, plus ``postgres_format`` on PostgreSQL."""
    cases: list[Any] = [("sqlite", fmt) for fmt in FORMATS]
    if postgres_format:
        cases.append(pytest.param("postgres", postgres_format, marks=POSTGRES))
    return pytest.mark.parametrize(("store_url", "fmt"), cases, indirect=["store_url"])


def write_frame(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` in the format its file ending names."""
    fmt = path.suffix.lstrip(".")
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def bad_row_number(fmt: str, position: int) -> int:
    """Where the ``position``-th data row (0-based) is in a file: its line (CSV header is line 1), else its record."""
    return position + 2 if fmt == "csv" else position + 1


def store_snapshot(ws: Workspace) -> dict[str, Any]:
    """Everything an import could change: the status counts and every row of the ground-truth tables."""
    status = workspace_status(ws)
    status.pop("schema")  # what the schema file says now, not what the store holds
    queries = {
        "annotations": "SELECT item_id, annotator_id, label, source, schema_version, created_at, confidence, note "
                       "FROM annotations ORDER BY annotation_id",
        "items": "SELECT item_id, group_id, segment, created_at FROM items ORDER BY item_id",
        "annotators": "SELECT annotator_id FROM annotators ORDER BY annotator_id",
        "imports": "SELECT kind, file, rows_read, rows_added FROM imports ORDER BY import_id",
        "schema_versions": "SELECT version, content_hash FROM schema_versions ORDER BY version",
    }
    with ws.engine.connect() as connection:
        rows = {name: [tuple(row) for row in connection.execute(sa.text(sql)).all()] for name, sql in queries.items()}
    return {"status": status, **rows}


def annotation_rows(ws: Workspace, where: str = "1 = 1") -> list[tuple[Any, ...]]:
    with ws.engine.connect() as connection:
        sql = f"SELECT item_id, annotator_id, label FROM annotations WHERE {where} ORDER BY annotation_id"
        return [tuple(row) for row in connection.execute(sa.text(sql)).all()]


GOOD_ROW = {"item_id": "T1", "annotator_id": "ann", "label": "billing", "created_at": T0, "source": "human"}

# (case, column, offending value, words the message must hold besides the value)
BAD_VALUES = [
    ("unknown label", "label", "refunds", "expected a label of schema v1"),
    ("unknown item", "item_id", "T9", "unknown item"),
    ("bad timestamp", "created_at", "31/12/2025", "expected an ISO 8601"),
    ("bad source kind", "source", "crowd", "expected one of human, expert, adjudicated, behavioral, synthetic, model"),
]


@formats_on_stores()
@pytest.mark.parametrize(("case", "column", "value", "words"), BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
def test_a_file_with_one_bad_value_writes_nothing_and_names_file_row_column_and_value(
    workspace: Workspace, items_csv: Path, tmp_path: Path, fmt: str, case: str, column: str, value: str, words: str
) -> None:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "first.csv", "item_id,annotator_id,label\nT3,old,account\n"))
    before = store_snapshot(workspace)
    rows = [dict(GOOD_ROW), dict(GOOD_ROW, item_id="T2"), dict(GOOD_ROW, annotator_id="bob")]
    rows[1][column] = value
    path = write_frame(pd.DataFrame(rows), tmp_path / f"labels.{fmt}")
    with pytest.raises(ImportValidationError) as error:
        import_annotations(workspace, path)
    first = str(error.value).splitlines()[0]
    assert first.startswith(f"{path}:{bad_row_number(fmt, 1)}:{column}: found "), first
    assert repr(value) in first
    assert words in first
    assert error.value.total == 1
    assert store_snapshot(workspace) == before


@formats_on_stores(None)
def test_a_file_without_a_required_column_writes_nothing_and_names_the_column(
    workspace: Workspace, items_csv: Path, tmp_path: Path, fmt: str
) -> None:
    import_items(workspace, items_csv)
    before = store_snapshot(workspace)
    path = write_frame(pd.DataFrame([{"item_id": "T1", "rater": "ann", "label": "billing"}]),
                       tmp_path / f"labels.{fmt}")
    with pytest.raises(ImportValidationError, match=rf"^{path}:1:annotator_id: found no column 'annotator_id', "
                                                    r"expected columns item_id, annotator_id, label"):
        import_annotations(workspace, path)
    assert store_snapshot(workspace) == before


def parquet_without_rows(path: Path) -> None:
    pd.DataFrame({"item_id": pd.Series([], dtype=str), "annotator_id": pd.Series([], dtype=str),
                  "label": pd.Series([], dtype=str)}).to_parquet(path, index=False)


EMPTY_FILES: list[tuple[str, str, Callable[[Path], Any]]] = [
    ("zero-byte csv", "csv", lambda p: p.write_bytes(b"")),
    ("zero-byte jsonl", "jsonl", lambda p: p.write_bytes(b"")),
    ("zero-byte parquet", "parquet", lambda p: p.write_bytes(b"")),
    ("csv header only", "csv", lambda p: p.write_text("item_id,annotator_id,label\n")),
    ("jsonl of blank lines", "jsonl", lambda p: p.write_text("\n  \n\n")),
    ("parquet without rows", "parquet", parquet_without_rows),
]


@SQLITE_ONLY
@pytest.mark.parametrize(("case", "fmt", "make"), EMPTY_FILES, ids=[c[0] for c in EMPTY_FILES])
def test_an_empty_file_is_refused_naming_the_file(
    workspace: Workspace, items_csv: Path, tmp_path: Path, case: str, fmt: str, make: Callable[[Path], Any]
) -> None:
    import_items(workspace, items_csv)
    before = store_snapshot(workspace)
    path = tmp_path / f"labels.{fmt}"
    make(path)
    with pytest.raises(ImportValidationError, match=rf"^{path}: found (an empty file|a header but no rows), expected"):
        import_annotations(workspace, path)
    assert store_snapshot(workspace) == before


def not_utf8_csv(path: Path) -> None:
    path.write_bytes(b"item_id,annotator_id,label\nT1,ann,billing\nT2,Jos\xe9,billing\n")


def not_utf8_jsonl(path: Path) -> None:
    path.write_bytes(b'{"item_id": "T1", "annotator_id": "ann", "label": "billing"}\n'
                     b'{"item_id": "T2", "annotator_id": "Jos\xe9", "label": "billing"}\n')


def not_utf8_parquet(path: Path) -> None:
    # Parquet strings are UTF-8 by definition; a binary column is how undecodable text arrives in Parquet
    table = pa.table({"item_id": ["T1", "T2"], "annotator_id": pa.array([b"ann", b"Jos\xe9"], pa.binary()),
                      "label": ["billing", "billing"]})
    pq.write_table(table, path)


@SQLITE_ONLY
@pytest.mark.parametrize(("fmt", "make"), [("csv", not_utf8_csv), ("jsonl", not_utf8_jsonl),
                                           ("parquet", not_utf8_parquet)], ids=FORMATS)
def test_undecodable_bytes_are_refused_naming_row_and_column(
    workspace: Workspace, items_csv: Path, tmp_path: Path, fmt: str, make: Callable[[Path], None]
) -> None:
    import_items(workspace, items_csv)
    before = store_snapshot(workspace)
    path = tmp_path / f"labels.{fmt}"
    make(path)
    with pytest.raises(ImportValidationError) as error:
        import_annotations(workspace, path)
    assert str(error.value).startswith(f"{path}:{bad_row_number(fmt, 1)}:annotator_id: found bytes that are not "
                                       "UTF-8"), str(error.value)
    assert store_snapshot(workspace) == before


@SQLITE_ONLY
def test_a_file_with_many_bad_rows_lists_the_first_problems_in_file_order_and_counts_them_all(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    before = store_snapshot(workspace)
    lines = ["item_id,annotator_id,label"] + [f"T1,a{i},nonsense{i}" for i in range(25)] + ["T1,b,billing"]
    path = write_text(tmp_path / "labels.csv", "\n".join(lines) + "\n")
    with pytest.raises(ImportValidationError) as error:
        import_annotations(workspace, path)
    message = str(error.value).splitlines()
    assert error.value.total == 25
    assert [p.row for p in error.value.problems][:10] == list(range(2, 12))
    assert message[0].startswith(f"{path}:2:label: found label 'nonsense0'")
    assert "25 problems in all" in message[-1]
    assert "nothing was imported" in message[-1]
    assert store_snapshot(workspace) == before


@SQLITE_ONLY
def test_problems_in_several_columns_of_one_row_are_all_reported(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    path = write_text(tmp_path / "labels.csv", "item_id,annotator_id,label,created_at,source\n"
                                               "T9,ann,refunds,yesterday,crowd\n")
    with pytest.raises(ImportValidationError) as error:
        import_annotations(workspace, path)
    assert {(p.row, p.column) for p in error.value.problems} == {
        (2, "item_id"), (2, "label"), (2, "created_at"), (2, "source")
    }


@SQLITE_ONLY
def test_a_quoted_note_spanning_lines_does_not_shift_the_line_numbers_of_later_rows(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    path = write_text(tmp_path / "labels.csv", 'item_id,annotator_id,label,note\n'
                                               'T1,ann,billing,"first line\nsecond line"\n'  # lines 2 and 3
                                               "T2,ann,refunds,\n")                          # line 4
    with pytest.raises(ImportValidationError, match=rf"^{path}:4:label: found label 'refunds'"):
        import_annotations(workspace, path)


@SQLITE_ONLY
def test_a_csv_row_with_too_many_fields_is_refused_naming_its_line(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    before = store_snapshot(workspace)
    path = write_text(tmp_path / "labels.csv", "item_id,annotator_id,label\nT1,ann,billing\nT2,ann,billing,extra\n")
    with pytest.raises(ImportValidationError, match=rf"^{path}:3"):
        import_annotations(workspace, path)
    assert store_snapshot(workspace) == before


# --- idempotence -------------------------------------------------------------------------------------------------


@formats_on_stores("parquet")
def test_importing_the_same_file_twice_adds_nothing_and_changes_no_row(
    workspace: Workspace, items_csv: Path, tmp_path: Path, fmt: str
) -> None:
    import_items(workspace, items_csv)
    frame = pd.DataFrame({"item_id": ["T1", "T1", "T2", "T3"], "annotator_id": ["a", "b", "a", "漢字"],
                          "label": ["billing", "technical", "account", "billing"],
                          "created_at": [T0, None, "2026-01-02T00:00:00+02:00", "2026-01-03"],
                          "confidence": [0.5, None, 1.0, 0.25], "note": ["first", None, "ünïcode", None]})
    path = write_frame(frame, tmp_path / f"labels.{fmt}")
    first = import_annotations(workspace, path)
    after_first = store_snapshot(workspace)
    second = import_annotations(workspace, path)
    assert (first.rows_read, first.rows_added) == (4, 4)
    assert (second.rows_read, second.rows_added, second.duplicates) == (4, 0, 4)
    again = store_snapshot(workspace)
    assert again["annotations"] == after_first["annotations"]
    assert again["status"]["annotations"] == 4


def test_the_same_judgements_in_another_format_add_nothing(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    frame = pd.DataFrame({"item_id": ["T1", "T2", "T3"], "annotator_id": ["a", "b", "c"],
                          "label": ["billing", "technical", "account"], "created_at": [T0, None, "2026-01-03"]})
    added = [import_annotations(workspace, write_frame(frame, tmp_path / f"labels.{fmt}")).rows_added
             for fmt in FORMATS]
    assert added == [3, 0, 0]


def test_a_judgement_is_identified_by_its_instant_not_by_how_its_time_is_written(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    head = "item_id,annotator_id,label,created_at\n"
    assert import_annotations(workspace, write_text(tmp_path / "a.csv", head + "T1,ann,billing,2026-01-01T10:00:00Z\n")
                              ).rows_added == 1
    same_instant = head + "T1,ann,billing,2026-01-01T12:00:00+02:00\nT1,ann,billing,2026-01-01T10:00:00.000+00:00\n"
    assert import_annotations(workspace, write_text(tmp_path / "b.csv", same_instant)).rows_added == 0
    other_instant = head + "T1,ann,billing,2026-01-01T10:00:01Z\n"
    assert import_annotations(workspace, write_text(tmp_path / "c.csv", other_instant)).rows_added == 1


@SQLITE_ONLY
def test_the_same_label_from_another_annotator_or_for_another_item_is_a_new_judgement(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "a.csv", "item_id,annotator_id,label\nT1,ann,billing\n"))
    more = "item_id,annotator_id,label\nT1,ann,billing\nT1,bob,billing\nT2,ann,billing\nT1,ann,technical\n"
    assert import_annotations(workspace, write_text(tmp_path / "b.csv", more)).rows_added == 3


# --- append-only corrections ---------------------------------------------------------------------------------------


def test_a_correction_with_a_later_time_wins_and_the_old_judgement_stays_stored(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    head = "item_id,annotator_id,label,created_at\n"
    import_annotations(workspace, write_text(tmp_path / "a.csv", head + "T1,ann,billing,2026-01-01T10:00:00Z\n"
                                             "T1,bob,billing,2026-01-01T10:00:00Z\nT1,cy,technical,2026-01-01\n"))
    assert create_release(workspace, "r1").labels.set_index("item_id").at["T1", "label"] == "billing"
    correction = head + "T1,bob,technical,2026-02-01T09:00:00Z\n"
    assert import_annotations(workspace, write_text(tmp_path / "b.csv", correction)).rows_added == 1
    labels = create_release(workspace, "r2").labels.set_index("item_id")
    assert labels.loc["T1", ["label", "status", "n_judgements"]].tolist() == ["technical", "agreed", 3]
    assert annotation_rows(workspace, "annotator_id = 'bob'") == [("T1", "bob", "billing"), ("T1", "bob", "technical")]
    assert get_labels(workspace, "r1").at["T1", "label"] == "billing"


@SQLITE_ONLY
def test_without_times_the_judgement_imported_later_wins(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "a.csv", "item_id,annotator_id,label\nT2,ann,account\n"))
    import_annotations(workspace, write_text(tmp_path / "b.csv", "item_id,annotator_id,label\nT2,ann,technical\n"))
    labels = create_release(workspace, "r").labels.set_index("item_id")
    assert labels.loc["T2", ["label", "n_judgements"]].tolist() == ["technical", 1]
    assert workspace_status(workspace)["annotations"] == 2


@SQLITE_ONLY
def test_a_judgement_with_an_earlier_time_imported_later_does_not_replace_the_later_one(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    head = "item_id,annotator_id,label,created_at\n"
    import_annotations(workspace, write_text(tmp_path / "a.csv", head + "T2,ann,account,2026-03-01T00:00:00Z\n"))
    import_annotations(workspace, write_text(tmp_path / "b.csv", head + "T2,ann,technical,2026-01-01T00:00:00Z\n"))
    assert create_release(workspace, "r").labels.set_index("item_id").at["T2", "label"] == "account"


def get_labels(ws: Workspace, name: str) -> pd.DataFrame:
    from answerkey.project import get_release

    return get_release(ws, name).labels.set_index("item_id")


# --- the schema file -------------------------------------------------------------------------------------------------


def test_the_first_import_registers_the_schema_file_as_a_version(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    assert workspace_status(workspace)["schema_versions"] == []
    first = import_annotations(workspace, write_text(tmp_path / "a.csv", "item_id,annotator_id,label\nT1,a,billing\n"))
    second = import_annotations(workspace, write_text(tmp_path / "b.csv", "item_id,annotator_id,label\nT2,a,account\n"))
    assert (first.schema_registered, second.schema_registered) == (1, None)
    assert workspace_status(workspace)["schema_versions"] == [1]


@pytest.mark.parametrize("change", ["a label added", "a definition reworded"])
def test_a_changed_schema_file_that_keeps_a_registered_version_number_is_a_schema_error_and_writes_nothing(
    workspace: Workspace, items_csv: Path, tmp_path: Path, change: str
) -> None:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "a.csv", "item_id,annotator_id,label\nT1,a,billing\n"))
    before = store_snapshot(workspace)
    schema = make_schema(version=1, labels=("billing", "technical", "account", "other"))
    if change == "a definition reworded":
        original = make_schema(version=1)
        reworded = original.labels[0].model_copy(update={"definition": "Money, invoices and refunds."})
        schema = original.model_copy(update={"labels": [reworded, *original.labels[1:]]})
    write_schema(workspace, schema)
    with pytest.raises(SchemaError, match=r"version 1"):
        import_annotations(workspace, write_text(tmp_path / "b.csv", "item_id,annotator_id,label\nT2,a,billing\n"))
    with pytest.raises(SchemaError, match=r"version 1"):
        create_release(workspace, "r1")
    assert store_snapshot(workspace) == before


@SQLITE_ONLY
def test_a_schema_error_is_also_a_value_error_for_callers_that_do_not_know_answerkey(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "a.csv", "item_id,annotator_id,label\nT1,a,billing\n"))
    write_schema(workspace, make_schema(version=1, labels=("billing",)))
    with pytest.raises(ValueError, match="version"):
        import_annotations(workspace, write_text(tmp_path / "b.csv", "item_id,annotator_id,label\nT2,a,billing\n"))


@SQLITE_ONLY
def test_a_label_is_checked_against_the_schema_version_its_row_names(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "a.csv", "item_id,annotator_id,label\nT1,a,billing\n"))
    write_schema(workspace, make_schema(version=2, labels=("refund", "technical", "account")))
    mixed = "item_id,annotator_id,label,schema_version\nT1,b,billing,1\nT1,c,refund,2\nT2,d,refund,1\n"
    path = write_text(tmp_path / "b.csv", mixed)
    with pytest.raises(ImportValidationError, match=rf"^{path}:4:label: found label 'refund', expected a label of "
                                                    r"schema v1"):
        import_annotations(workspace, path)
    assert workspace_status(workspace)["annotations"] == 1


# --- items -------------------------------------------------------------------------------------------------------


@formats_on_stores()
def test_items_keep_their_payload_group_segment_and_time(workspace: Workspace, tmp_path: Path, fmt: str) -> None:
    frame = pd.DataFrame({"item_id": ["T1", "T2"], "text": ["refund please", "écran noir 漢字"],
                          "group_id": ["g1", "g1"], "segment": ["smb", None],
                          "created_at": ["2026-01-01T10:00:00Z", "2026-01-02T00:00:00+01:00"]})
    result = import_items(workspace, write_frame(frame, tmp_path / f"items.{fmt}"))
    assert (result.rows_read, result.rows_added, result.items_added) == (2, 2, 2)
    with workspace.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT item_id, payload, group_id, segment, created_at FROM items "
                                          "ORDER BY item_id")).all()
    payloads = [json.loads(r[1]) if isinstance(r[1], str) else r[1] for r in rows]
    assert payloads == [{"text": "refund please"}, {"text": "écran noir 漢字"}]
    assert [(r[0], r[2], r[3]) for r in rows] == [("T1", "g1", "smb"), ("T2", "g1", None)]
    assert [pd.Timestamp(r[4]) for r in rows] == [pd.Timestamp("2026-01-01 10:00"), pd.Timestamp("2026-01-01 23:00")]


@formats_on_stores()
def test_optional_item_columns_may_be_empty_in_some_rows(workspace: Workspace, tmp_path: Path, fmt: str) -> None:
    frame = pd.DataFrame({"item_id": ["T1", "T2", "T3"], "text": ["one", "two", "three"],
                          "group_id": ["g1", None, "g2"], "segment": [None, "smb", "smb"],
                          "created_at": ["2026-01-01T10:00:00Z", None, "2026-01-03"]})
    result = import_items(workspace, write_frame(frame, tmp_path / f"items.{fmt}"))
    assert result.rows_added == 3
    with workspace.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT item_id, group_id, segment, created_at FROM items "
                                          "ORDER BY item_id")).all()
    assert [(r[0], r[1], r[2], r[3] is None) for r in rows] == [
        ("T1", "g1", None, False), ("T2", None, "smb", True), ("T3", "g2", "smb", False)
    ]


@formats_on_stores(None)
def test_an_item_re_imported_with_a_different_payload_is_refused_and_nothing_is_written(
    workspace: Workspace, items_csv: Path, tmp_path: Path, fmt: str
) -> None:
    import_items(workspace, items_csv)
    before = store_snapshot(workspace)
    frame = pd.DataFrame({"item_id": ["T9", "T2"], "text": ["brand new", "app crashed"],
                          "segment": ["smb", "enterprise"]})
    path = write_frame(frame, tmp_path / f"items.{fmt}")
    with pytest.raises(ImportValidationError) as error:
        import_items(workspace, path)
    first = str(error.value).splitlines()[0]
    assert first.startswith(f"{path}:{bad_row_number(fmt, 1)}:item_id: found item 'T2' with a payload"), first
    assert store_snapshot(workspace) == before


@formats_on_stores(None)
def test_the_same_items_re_imported_in_any_format_are_skipped(
    workspace: Workspace, items_csv: Path, tmp_path: Path, fmt: str
) -> None:
    import_items(workspace, items_csv)
    frame = pd.DataFrame({"item_id": ["T1", "T2", "T3", "T4"],
                          "text": ["refund please", "app crashes", "cannot log in", "new one"],
                          "segment": ["smb", "enterprise", "smb", "smb"]})
    result = import_items(workspace, write_frame(frame, tmp_path / f"items.{fmt}"))
    assert (result.rows_read, result.rows_added) == (4, 1)
    assert workspace_status(workspace)["items"] == 4


ITEM_PROBLEMS = [
    ("no item_id column", "id,text\nT1,hello\n", 1, "item_id"),
    ("an empty item id", "item_id,text\nT1,hello\n,orphan\n", 3, "item_id"),
    ("the same item twice", "item_id,text\nT1,hello\nT1,hello again\n", 3, "item_id"),
    ("a bad item time", "item_id,text,created_at\nT1,hello,2026-01-01\nT2,bye,last tuesday\n", 3, "created_at"),
]


@SQLITE_ONLY
@pytest.mark.parametrize(("case", "text", "row", "column"), ITEM_PROBLEMS, ids=[c[0] for c in ITEM_PROBLEMS])
def test_an_item_file_with_one_bad_row_writes_no_item(
    workspace: Workspace, tmp_path: Path, case: str, text: str, row: int, column: str
) -> None:
    before = store_snapshot(workspace)
    path = write_text(tmp_path / "items.csv", text)
    with pytest.raises(ImportValidationError, match=rf"^{path}:{row}:{column}: found "):
        import_items(workspace, path)
    assert store_snapshot(workspace) == before


@SQLITE_ONLY
@pytest.mark.parametrize("make", [lambda p: p.write_bytes(b""),
                                  lambda p: p.write_bytes(b"item_id,text\nT1,ok\nT2,caf\xe9\n")],
                         ids=["empty file", "not UTF-8"])
def test_an_empty_or_undecodable_item_file_writes_no_item(
    workspace: Workspace, tmp_path: Path, make: Callable[[Path], Any]
) -> None:
    before = store_snapshot(workspace)
    path = tmp_path / "items.csv"
    make(path)
    with pytest.raises(ImportValidationError, match=rf"^{path}"):
        import_items(workspace, path)
    assert store_snapshot(workspace) == before


@SQLITE_ONLY
@pytest.mark.parametrize("ids", [["007", "010"], ["1.0", "2.5"], ["12345678901234567890123", "1"]],
                         ids=["leading zeros", "decimal-looking", "longer than int64"])
def test_item_ids_that_look_like_numbers_stay_the_text_they_are_in_a_csv(
    workspace: Workspace, tmp_path: Path, ids: list[str]
) -> None:
    import_items(workspace, write_text(tmp_path / "items.csv", "item_id,text\n" + "".join(f"{i},x\n" for i in ids)))
    labels = "item_id,annotator_id,label\n" + "".join(f"{i},ann,billing\n" for i in ids)
    assert import_annotations(workspace, write_text(tmp_path / "labels.csv", labels)).rows_added == len(ids)
    assert sorted(create_release(workspace, "r").labels["item_id"]) == sorted(ids)


@SQLITE_ONLY
@pytest.mark.parametrize("value", ["NA", "null", "N/A", "nan"])
def test_ids_that_spell_missing_are_ids_not_missing_values_in_a_csv(
    workspace: Workspace, tmp_path: Path, value: str
) -> None:
    import_items(workspace, write_text(tmp_path / "items.csv", f'item_id,text\n"{value}",x\nT1,y\n'))
    labels = f'item_id,annotator_id,label\n"{value}",ann,billing\nT1,{value},billing\n'
    assert import_annotations(workspace, write_text(tmp_path / "labels.csv", labels)).rows_added == 2
    assert sorted(annotation_rows(workspace)) == sorted([(value, "ann", "billing"), ("T1", value, "billing")])
