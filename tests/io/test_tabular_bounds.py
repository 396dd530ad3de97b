"""Hostile long-format files: over-long lines, deep JSON and nested values in columns that must be plain are
refused in bounded time and memory, naming file, row and column; legitimate long fields still read."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from answerkey.errors import ImportValidationError, RowProblem
from answerkey.io.tabular import MAX_HEADER_BYTES, MAX_RECORD_BYTES, TabularFile, open_tabular

ITEM_COLUMNS = ("item_id", "group_id", "segment", "created_at")


def read_all(tabular: TabularFile) -> int:
    return sum(len(batch.frame) for batch in tabular.batches())


def refusal(path: Path, **options: object) -> RowProblem:
    """The one problem opening and reading ``path`` is refused with, within a few seconds."""
    started = time.perf_counter()
    with pytest.raises(ImportValidationError) as caught:
        read_all(open_tabular(path, **options))  # type: ignore[arg-type]
    assert time.perf_counter() - started < 10
    assert len(caught.value.problems) == 1
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 400
    return caught.value.problems[0]


def test_a_csv_field_longer_than_a_record_may_be_names_its_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("item_id,text\nT1,short\nT2," + "x" * (MAX_RECORD_BYTES + 10) + "\nT3,short\n")
    problem = refusal(path)
    assert (problem.file, problem.row, problem.column) == (str(path), 3, "text")
    assert problem.found == "a line longer than 8 MiB"


def test_a_single_line_csv_longer_than_a_header_may_be_is_refused_reading_no_further(tmp_path: Path) -> None:
    path = tmp_path / "one-line.csv"
    path.write_text("y" * (4 * MAX_RECORD_BYTES))
    problem = refusal(path)
    assert (problem.row, problem.found) == (1, f"a header line longer than {MAX_HEADER_BYTES >> 20} MiB")


def test_a_quote_left_open_is_refused_once_the_value_passes_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "open.csv"
    path.write_text('item_id,text\nT1,"' + "short line\n" * (MAX_RECORD_BYTES // 10))
    problem = refusal(path)
    assert problem.row == 2
    assert "quote left open" in problem.expected


def test_a_field_longer_than_pythons_default_csv_limit_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("item_id,text\nT1," + "x" * 300_000 + "\nT2,short\n")
    assert read_all(open_tabular(path)) == 2


def test_a_bad_row_after_a_long_field_is_located_without_a_csv_error(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text('item_id,text\nT1,"' + "x\n" * 150_000 + '"\nT2,a,b\n')
    problem = refusal(path)
    assert (problem.row, problem.found) == (150_003, "3 fields")
    tabular = open_tabular(path)
    assert tabular.locate([RowProblem(str(path), 3, "text", "x", "y")])[0].row == 150_003


def test_a_jsonl_line_longer_than_a_record_may_be_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"item_id": "T1"}\n{"item_id": "' + "x" * (MAX_RECORD_BYTES + 10) + '"}\n')
    problem = refusal(path)
    assert (problem.row, problem.found) == (2, "a line longer than 8 MiB")


def test_a_jsonl_row_nested_200000_deep_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"item_id": "T1"}\n{"item_id": "T2", "text": ' + "[" * 200_000 + "]" * 200_000 + "}\n")
    problem = refusal(path)
    assert problem.row == 2
    assert "nested more than" in problem.found


@pytest.mark.parametrize(("value", "kind"), [('{"a": 1}', "object"), ("[1, 2]", "array")])
def test_a_json_object_or_array_where_a_plain_value_belongs_names_row_and_column(
    tmp_path: Path, value: str, kind: str
) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"item_id": "T1", "text": "a"}\n{"item_id": ' + value + ', "text": "b"}\n')
    problem = refusal(path, scalar_columns=ITEM_COLUMNS)
    assert (problem.row, problem.column) == (2, "item_id")
    assert problem.found.startswith(f"a JSON {kind}")


def test_nested_json_in_a_payload_column_is_read(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"item_id": "T1", "meta": {"tags": [1, 2]}}\n')
    assert read_all(open_tabular(path, as_strings=False, scalar_columns=ITEM_COLUMNS)) == 1


@pytest.mark.parametrize(("column", "kind"), [
    pytest.param(pa.array([{"a": 1}, {"a": 2}]), "structs", id="struct"),
    pytest.param(pa.array([[1], [2]]), "lists", id="list"),
    pytest.param(pa.array([[("k", 1)], [("k", 2)]], type=pa.map_(pa.string(), pa.int64())), "maps", id="map"),
    pytest.param(pa.array([[1], [2]], type=pa.large_list(pa.int64())), "lists", id="large-list"),
])
def test_a_nested_parquet_id_column_is_refused_naming_file_and_column(
    tmp_path: Path, column: pa.Array, kind: str
) -> None:
    path = tmp_path / "items.parquet"
    pq.write_table(pa.table({"item_id": column, "text": ["x", "y"]}), path)
    for as_strings in (True, False):
        problem = refusal(path, as_strings=as_strings, scalar_columns=ITEM_COLUMNS)
        assert (problem.file, problem.row, problem.column) == (str(path), None, "item_id")
        assert problem.found == f"a column of {kind}"


def test_a_nested_parquet_payload_column_is_read(tmp_path: Path) -> None:
    path = tmp_path / "items.parquet"
    pq.write_table(pa.table({"item_id": ["T1", "T2"], "meta": pa.array([{"a": 1}, {"a": 2}])}), path)
    assert read_all(open_tabular(path, as_strings=False, scalar_columns=ITEM_COLUMNS)) == 2
