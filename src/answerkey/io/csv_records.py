"""CSV records read in bounded memory, and problems located by the line a person finds them on.

A line is never read past :data:`MAX_RECORD_BYTES` (nor the header past :data:`MAX_HEADER_BYTES`), so a hostile
file (a 200 MB line, a quote left open) is refused in bounded time and memory with its line and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, AnyStr

import pyarrow as pa
import pyarrow.compute as pc

from answerkey.errors import ImportValidationError, RowProblem
from answerkey.excerpt import clip

__all__ = [
    "LONG_LINE",
    "MAX_HEADER_BYTES",
    "MAX_RECORD_BYTES",
    "bounded_lines",
    "check_field_sizes",
    "csv_error",
    "csv_header",
    "csv_record_starts",
    "csv_records",
    "problem",
]

MAX_RECORD_BYTES = 8 << 20
"""The longest CSV record or JSONL line (8 MiB): Arrow reads CSV in blocks of this size, and a record must fit
in one; longer lines are refused without being read whole."""
MAX_HEADER_BYTES = 1 << 20
"""The longest CSV header line (1 MiB)."""
LONG_LINE = f"lines of at most {MAX_RECORD_BYTES >> 20} MiB (is a quote left open, or a line break missing?)"

# Python's csv module (used to locate problems) refuses fields over 128 KiB by default; Arrow reads fields up
# to a whole record, so the two must agree on what a file may hold.
csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_BYTES))


def problem(path: Path, row: int | None, column: str | None, found: str, expected: str) -> ImportValidationError:
    return ImportValidationError([RowProblem(str(path), row, column, found, expected)])


def check_field_sizes(path: Path, record_batch: pa.RecordBatch, first_line: int) -> None:
    """Refuse the first value longer than :data:`MAX_RECORD_BYTES`, naming its line and column (Arrow reads a
    record that spans one block boundary, so without this the limit would depend on where the blocks fall)."""
    for name, column in zip(record_batch.schema.names, record_batch.columns, strict=True):
        if not (pa.types.is_string(column.type) or pa.types.is_binary(column.type)):
            continue
        too_long = pc.greater(pc.binary_length(column), MAX_RECORD_BYTES)
        if pc.any(too_long).as_py():
            record = first_line + int(pc.index(too_long, True).as_py())
            line = csv_record_starts(path, record - 1).get(record - 1, record)
            raise problem(path, line, name, f"a value longer than {MAX_RECORD_BYTES >> 20} MiB", LONG_LINE)


def csv_reader(path: Path, lines: Any) -> Any:
    return csv.reader(lines, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")


def bounded_lines(handle: IO[AnyStr], path: Path, header: Sequence[str] = ()) -> Iterator[AnyStr]:
    """The lines of ``handle``, each read no further than :data:`MAX_RECORD_BYTES`; a longer line is refused
    naming its number and (for CSV text, given the ``header``) the column it is in when the limit is reached."""
    number = 0
    while line := handle.readline(MAX_RECORD_BYTES + 2):  # room for the line ending
        number += 1
        if len(line.rstrip(b"\r\n" if isinstance(line, bytes) else "\r\n")) > MAX_RECORD_BYTES:
            column = column_at_end(path, line, header) if isinstance(line, str) else None
            raise problem(path, number, column, f"a line longer than {MAX_RECORD_BYTES >> 20} MiB", LONG_LINE)
        yield line


def column_at_end(path: Path, line: str, header: Sequence[str]) -> str | None:
    """The header name of the field that the start of a CSV ``line`` ends in (None when unknown)."""
    try:
        fields: list[str] = next(csv_reader(path, [line[:MAX_RECORD_BYTES]]), [])
    except csv.Error:
        return None
    return header[len(fields) - 1] if 0 < len(fields) <= len(header) else None


def csv_records(path: Path, up_to_record: int | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, fields) of each CSV record, the header (line 1) first, in bounded memory.

    A line or a quoted field longer than :data:`MAX_RECORD_BYTES` is refused as an ImportValidationError.
    """
    header = csv_header(path)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv_reader(path, bounded_lines(handle, path, header))
        line = 1
        try:
            for index, fields in enumerate(reader):
                yield line, fields
                line = reader.line_num + 1
                if up_to_record is not None and index >= up_to_record:
                    return
        except csv.Error as exc:
            if "field limit" in str(exc):  # a quoted value over the limit: it spans lines, so no one line is too long
                raise problem(path, line, None, f"a quoted value longer than {MAX_RECORD_BYTES >> 20} MiB",
                               LONG_LINE) from None
            raise problem(path, line, None, f"a record that cannot be read ({clip(str(exc))})",
                           "well-formed CSV") from None


def csv_record_starts(path: Path, up_to_record: int) -> dict[int, int]:
    """Record index (the header is 0) -> the line it starts on, for records up to ``up_to_record``."""
    return {index: line for index, (line, _) in enumerate(csv_records(path, up_to_record))}


def csv_bad_record(path: Path) -> RowProblem | None:
    """The first record whose number of fields differs from the header's, with its line (a record too long to
    read is refused on the spot)."""
    width = None
    for line, fields in csv_records(path):
        if width is None:
            width = len(fields)
        elif fields and len(fields) != width:
            return RowProblem(str(path), line, None, f"{len(fields)} fields",
                              f"{width} fields, like the header (quote values that contain commas)")
    return None


def csv_header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline(MAX_HEADER_BYTES + 2)
    if len(first.rstrip(b"\r\n")) > MAX_HEADER_BYTES:
        raise problem(path, 1, None, f"a header line longer than {MAX_HEADER_BYTES >> 20} MiB",
                       "a header line naming the columns (is this a CSV file?)")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise problem(path, 1, None, f"bytes that are not UTF-8 (at byte {exc.start})", "UTF-8 text") from None
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    if not header or not any(name.strip() for name in header):
        raise problem(path, 1, None, "no header", "a header line naming the columns")
    return [name.strip() for name in header]


def csv_error(path: Path, exc: Exception, next_line: int) -> ImportValidationError:
    message = str(exc)
    if "UTF8" in message or "utf8" in message.lower():
        return locate_bad_utf8(path)
    bad = csv_bad_record(path)
    if bad is not None:
        return ImportValidationError([bad])
    if "straddling" in message:  # Arrow's word for a record longer than its block
        return problem(path, None, None, f"a record longer than {MAX_RECORD_BYTES >> 20} MiB", LONG_LINE)
    return problem(path, None, None, clip(message.replace("\n", " ")), f"well-formed CSV (from line {next_line} on)")


def locate_bad_utf8(path: Path) -> ImportValidationError:
    """Name the first line and column holding bytes that are not UTF-8."""
    with path.open("rb") as handle:
        header: list[str] = []
        for number, raw in enumerate(bounded_lines(handle, path), start=1):
            try:
                line = raw.decode("utf-8")
                if number == 1:
                    header = next(csv.reader([line]), [])
                continue
            except UnicodeDecodeError as exc:
                fields = next(csv.reader([raw.decode("utf-8", errors="replace")]), [])
                column = next((header[i] for i, f in enumerate(fields) if "\ufffd" in f and i < len(header)), None)
                return problem(path, number, column, f"bytes that are not UTF-8 ({raw[exc.start:exc.end]!r})",
                                "UTF-8 text")
    return problem(path, None, None, "bytes that are not UTF-8", "UTF-8 text")
