"""Streaming long-format files (CSV, JSONL, Parquet) in batches, each batch knowing its file row numbers.

Row numbers are what a person finds in the file: the line number for CSV (the header is line 1) and
JSONL, the 1-based record number for Parquet. While reading, a CSV row is numbered as if no quoted field
spanned lines; ``TabularFile.locate`` corrects the numbers of reported problems to the real lines.

Hostile files are refused in bounded time and memory: a CSV or JSONL line is never read past
:data:`MAX_RECORD_BYTES` (nor a CSV header past :data:`MAX_HEADER_BYTES`), JSON nesting is bounded (see
:mod:`answerkey.json_input`), and columns the caller needs as plain values (``scalar_columns``) may not hold
structs, lists or maps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from answerkey.errors import ImportValidationError, RowProblem
from answerkey.excerpt import clip, excerpt
from answerkey.io.csv_records import (
    MAX_HEADER_BYTES,
    MAX_RECORD_BYTES,
    bounded_lines,
    check_field_sizes,
    csv_error,
    csv_header,
    csv_record_starts,
    problem,
)
from answerkey.json_input import NESTING_EXPECTED, JsonNestingError, load_json

__all__ = ["FORMATS", "MAX_HEADER_BYTES", "MAX_RECORD_BYTES", "Batch", "TabularFile", "detect_format", "open_tabular"]

FORMATS = ("csv", "jsonl", "parquet")
BATCH_ROWS = 250_000
PLAIN_VALUE = "a column of plain values (text, numbers, booleans or timestamps)"
ProgressCallback = Callable[[int, int], None]



@dataclass(frozen=True)
class Batch:
    """A slice of a file as a DataFrame, and the file row number of its first row."""

    frame: pd.DataFrame
    first_row: int
    rows: tuple[int, ...] | None = None
    """Explicit row numbers, for formats whose records are not consecutive lines (Label Studio tasks)."""

    def row(self, position: int) -> int:
        """The file row number of the batch's ``position``-th row."""
        return self.rows[position] if self.rows is not None else self.first_row + position


@dataclass(frozen=True)
class TabularFile:
    """An opened long-format file: its columns (known before any row is read) and its batches."""

    path: Path
    format: str
    columns: list[str]
    batches: Callable[[], Iterator[Batch]]

    def locate(self, problems: Sequence[RowProblem]) -> list[RowProblem]:
        """Problems with CSV row numbers moved to the line where their record starts (quoted fields may span
        lines); other formats are already exact. Only run when there are problems to report."""
        if self.format != "csv" or not problems:
            return list(problems)
        starts = csv_record_starts(self.path, max((p.row or 0) for p in problems))
        return [replace(p, row=starts.get(p.row - 1, p.row)) if p.row and p.row > 1 else p for p in problems]


def detect_format(path: Path, format: str | None = None) -> str:
    """The file's format from ``format`` or its ending (``.csv``, ``.jsonl``/``.ndjson``, ``.parquet``)."""
    if format:
        if format not in FORMATS:
            raise problem(path, None, None, f"format {format!r}", f"one of {', '.join(FORMATS)}")
        return format
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ending = suffixes[-1] if suffixes else ""
    by_ending = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
                 ".parquet": "parquet", ".pq": "parquet"}
    if ending not in by_ending:
        raise problem(path, None, None, f"file ending {ending or '(none)'!r}",
                       "a .csv, .jsonl or .parquet file (or pass --format)")
    return by_ending[ending]


def open_tabular(
    path: str | Path,
    format: str | None = None,
    *,
    as_strings: bool = True,
    batch_rows: int | None = None,
    on_progress: ProgressCallback | None = None,
    text_columns: Sequence[str] = (),
    scalar_columns: Sequence[str] = (),
) -> TabularFile:
    """Open ``path`` for batched reading; ``as_strings`` reads every value as text (None when empty).

    In CSV only an empty field is missing ("NA", "null" and "nan" are text), and ``text_columns`` are never
    read as numbers, so an id like ``007`` stays ``007``. ``scalar_columns`` must hold plain values: a Parquet
    column of structs, lists or maps among them is refused when the file is opened, a JSON object or array in
    a JSONL row when the row is read.
    """
    path = Path(path)
    if not path.is_file():
        raise problem(path, None, None, "no such file", "an existing CSV, JSONL or Parquet file")
    fmt = detect_format(path, format)
    if path.stat().st_size == 0:
        raise problem(path, None, None, "an empty file", "a header and at least one row")
    if fmt == "csv":
        return _csv(path, as_strings, on_progress, text_columns)
    reader = _jsonl if fmt == "jsonl" else _parquet
    return reader(path, as_strings, batch_rows or BATCH_ROWS, on_progress, frozenset(scalar_columns))


def _csv(
    path: Path, as_strings: bool, on_progress: ProgressCallback | None, text_columns: Sequence[str] = ()
) -> TabularFile:
    header = csv_header(path)
    text = header if as_strings else [name for name in header if name in set(text_columns)]
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    size = path.stat().st_size

    def batches() -> Iterator[Batch]:
        with path.open("rb") as handle:
            try:
                reader = pacsv.open_csv(
                    handle,
                    read_options=pacsv.ReadOptions(block_size=MAX_RECORD_BYTES, use_threads=True),
                    parse_options=pacsv.ParseOptions(delimiter=delimiter),
                    convert_options=pacsv.ConvertOptions(
                        column_types=dict.fromkeys(text, pa.string()),
                        null_values=[""],
                        strings_can_be_null=True,
                    ),
                )
            except pa.ArrowInvalid as exc:
                raise csv_error(path, exc, 2) from None
            next_line = 2
            rows_seen = 0
            while True:
                try:
                    record_batch = reader.read_next_batch()
                except StopIteration:
                    break
                except pa.ArrowInvalid as exc:
                    raise csv_error(path, exc, next_line) from None
                check_field_sizes(path, record_batch, next_line)
                frame = _arrow_strings(record_batch) if as_strings else _arrow_frame(record_batch)
                if frame.empty:
                    continue
                rows_seen += len(frame)
                yield Batch(frame, next_line)
                next_line += len(frame)
                if on_progress:
                    on_progress(min(handle.tell(), size), size)
            if not rows_seen:
                raise problem(path, None, None, "a header but no rows", "at least one row after the header")

    return TabularFile(path, "csv", header, batches)


def _jsonl(
    path: Path, as_strings: bool, batch_rows: int, on_progress: ProgressCallback | None, scalar: frozenset[str]
) -> TabularFile:
    columns = _jsonl_columns(path)
    size = path.stat().st_size

    def batches() -> Iterator[Batch]:
        rows: list[dict[str, Any]] = []
        first = 1
        with path.open("rb") as handle:
            for number, raw in enumerate(bounded_lines(handle, path), start=1):
                record = _jsonl_record(path, number, raw, scalar)
                if record is None:
                    continue
                if not rows:
                    first = number
                rows.append(record)
                if len(rows) >= batch_rows:
                    yield _jsonl_batch(rows, first, columns, as_strings)
                    rows = []
                    if on_progress:
                        on_progress(handle.tell(), size)
            if rows:
                yield _jsonl_batch(rows, first, columns, as_strings)
            if on_progress:
                on_progress(size, size)

    return TabularFile(path, "jsonl", columns, batches)


def _jsonl_record(path: Path, number: int, raw: bytes, scalar: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise problem(path, number, _jsonl_bad_field(raw), f"bytes that are not UTF-8 ({raw[exc.start:exc.end]!r})",
                       "UTF-8 text") from None
    if not text.strip():
        return None
    try:
        record = load_json(text)
    except json.JSONDecodeError as exc:
        raise problem(path, number, None, f"invalid JSON ({exc.msg} at character {exc.pos + 1})",
                       "one JSON object per line") from None
    except JsonNestingError as exc:
        raise problem(path, number, None, str(exc), NESTING_EXPECTED) from None
    if not isinstance(record, dict):
        raise problem(path, number, None, f"a JSON {type(record).__name__}", "one JSON object per line")
    for column in scalar & record.keys():
        if isinstance(record[column], dict | list):
            kind = "object" if isinstance(record[column], dict) else "array"
            raise problem(path, number, column, f"a JSON {kind} ({excerpt(record[column])})",
                           "a plain value (text, a number or a boolean)")
    return record


def _jsonl_bad_field(raw: bytes) -> str | None:
    """The key whose value holds the undecodable bytes, when the line is otherwise a JSON object."""
    try:
        record = load_json(raw.decode("utf-8", errors="replace"))
    except (json.JSONDecodeError, JsonNestingError):
        return None
    if not isinstance(record, dict):
        return None
    return next((str(k) for k, v in record.items() if "\ufffd" in str(k) + str(v)), None)


def _jsonl_columns(path: Path) -> list[str]:
    """Column names from the first object (JSONL has no header; later keys are kept too)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(bounded_lines(handle, path), start=1):
            record = _jsonl_record(path, number, raw)
            if record is not None:
                return list(record)
    raise problem(path, None, None, "an empty file", "one JSON object per line")


def _jsonl_batch(rows: list[dict[str, Any]], first: int, columns: list[str], as_strings: bool) -> Batch:
    frame = pd.DataFrame.from_records(rows)
    for column in columns:
        if column not in frame:
            frame[column] = None
    if as_strings:
        frame = _strings(frame)
    return Batch(frame, first)


def _parquet(
    path: Path, as_strings: bool, batch_rows: int, on_progress: ProgressCallback | None, scalar: frozenset[str]
) -> TabularFile:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise problem(path, None, None, f"not a readable Parquet file ({clip(str(exc))})", "a Parquet file") from None
    columns = list(parquet.schema_arrow.names)
    nested = [RowProblem(str(path), None, field.name, f"a column of {_arrow_kind(field.type)}", PLAIN_VALUE)
              for field in parquet.schema_arrow if field.name in scalar and _is_nested(field.type)]
    if nested:
        raise ImportValidationError(nested)
    total = parquet.metadata.num_rows
    if total == 0:
        raise problem(path, None, None, "an empty file", "at least one row")

    def batches() -> Iterator[Batch]:
        first = 1
        for record_batch in parquet.iter_batches(batch_size=batch_rows):
            _check_binary_text(path, record_batch, first)
            frame = _arrow_strings(record_batch) if as_strings else _arrow_frame(record_batch)
            yield Batch(frame, first)
            first += len(frame)
            if on_progress:
                on_progress(first - 1, total)

    return TabularFile(path, "parquet", columns, batches)


def _is_nested(kind: pa.DataType) -> bool:
    """True for Arrow types whose values are not plain: structs, lists, maps, unions (dictionary-encoded too)."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_nested(kind) or pa.types.is_union(kind))


def _arrow_kind(kind: pa.DataType) -> str:
    """A nested Arrow type in a few words (its full spelling can be as long as the file's schema)."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    for test, words in ((pa.types.is_struct, "structs"), (pa.types.is_map, "maps"), (pa.types.is_union, "unions")):
        if test(kind):
            return words
    return "lists"


def _check_binary_text(path: Path, record_batch: pa.RecordBatch, first_row: int) -> None:
    """Binary columns must hold UTF-8 text: name the first row and column that does not."""
    for name, column in zip(record_batch.schema.names, record_batch.columns, strict=True):
        if not (pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)):
            continue
        for position, value in enumerate(column.to_pylist()):
            if value is None:
                continue
            try:
                value.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise problem(path, first_row + position, name,
                               f"bytes that are not UTF-8 ({value[exc.start:exc.end]!r})", "UTF-8 text") from None


def _strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as Python str or None (empty and whitespace-only text become None)."""
    out = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            text = series.map(lambda v: None if pd.isna(v) else v.isoformat())
        elif pd.api.types.is_string_dtype(series) and not isinstance(series.dtype, pd.ArrowDtype):
            values = series.to_numpy(dtype=object)
            present = pd.notna(values)
            stripped = np.full(len(values), None, dtype=object)
            if present.any():
                stripped[present] = np.char.strip(values[present].astype(str)).astype(object)
            stripped[stripped == ""] = None
            text = pd.Series(stripped, index=series.index, dtype=object)
        else:
            text = series.map(lambda v: None if _is_missing(v) else _clean_text(v))
        out[column] = text.astype(object)
    return pd.DataFrame(out, index=range(len(frame)), dtype=object)


def _arrow_strings(record_batch: pa.RecordBatch) -> pd.DataFrame:
    """Every column as Python str or None (blank text becomes None), trimmed in Arrow rather than per value."""
    out: dict[str, Any] = {}
    for name, column in zip(record_batch.schema.names, record_batch.columns, strict=True):
        try:
            text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            out[name] = _strings(pd.DataFrame({name: column.to_pandas()}))[name].to_numpy(dtype=object)
            continue
        text = pc.utf8_trim_whitespace(text)
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        out[name] = text.to_numpy(zero_copy_only=False)
    return pd.DataFrame(out, dtype=object)


def _arrow_frame(record_batch: pa.RecordBatch) -> pd.DataFrame:
    """A record batch as a pandas DataFrame."""
    frame: pd.DataFrame = record_batch.to_pandas()
    return frame


def _is_missing(value: Any) -> bool:
    return value is None or (not isinstance(value, (list, dict, np.ndarray)) and bool(pd.isna(value)))


def _clean_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value if isinstance(value, str) else (json.dumps(value) if isinstance(value, (dict, list)) else str(value))
    text = text.strip()
    return text or None
