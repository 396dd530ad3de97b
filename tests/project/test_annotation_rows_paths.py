"""JSON annotation rows: the short path for plainly valid rows gives exactly what the file import's validator gives,
and leaves everything it is not sure of to that validator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from answerkey.errors import ImportValidationError
from answerkey.project.annotation_rows import (
    AnnotationWrite,
    _plain_rows,
    _plain_stamps,
    _validated_rows,
    append_annotation_rows,
)
from answerkey.project.workspace import Workspace
from answerkey.store import reads, writes
from answerkey.timestamps import parse_timestamps, timestamp_text
from conftest import Served, make_schema

RECEIVED = "2026-11-29 12:00:00.123456"
ANNOTATOR = AnnotationWrite("ann", on_behalf=False, adjudicate=False)
REVIEWER = AnnotationWrite("rita", on_behalf=True, adjudicate=True)

VALUES: dict[str, list[Any]] = {
    "item_id": ["T1", "T2", "T6", " T3 ", "T9", "", "t1", 7],
    "label": ["billing", "technical", " account ", "Billing", "shipping", "", 3],
    "annotator_id": ["ann", "rita", "bob", "", "  "],
    "created_at": ["2026-01-01T00:00:00Z", "2026-01-01", "2026-01-01T10:00:00+02:00", "2026-01-01 10:00:00.123456",
                   "2026-03-01T14:30:00.1234567Z", "2026-02-30", "yesterday", "1500-01-01T00:00:00Z",
                   "2026-01-01T10:00:00-05:30", ""],
    "source": ["human", "expert", "adjudicated", "model", "robot", ""],
    "schema_version": [1, 2, 3, "1", "02", 1.0, "x", True, " 2 "],
    "confidence": [0, 1, 0.5, 1 / 3, 1.5, -0.1, "0.7", "abc", 1e-05, float("nan"), True],
    "note": ["a note", "  ", 5, ["x"]],
    "lable": ["billing"],
}


@st.composite
def rows(draw: st.DrawFn) -> list[Any]:
    batch: list[Any] = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 30)) == 0:
            batch.append("not an object")
            continue
        row: dict[str, Any] = {"item_id": draw(st.sampled_from(VALUES["item_id"][:3])), "label": "billing"}
        for column, values in VALUES.items():
            if draw(st.integers(0, 3 if column in ("item_id", "label") else 6)) == 0:
                row[column] = draw(st.sampled_from([None, *values]))
        if draw(st.booleans()):
            row.pop("label", None)
            row["label"] = draw(st.sampled_from(VALUES["label"][:3]))
        batch.append(row)
    return batch


@pytest.fixture
def connection(served_sqlite: Served) -> Iterator[Connection]:
    """A transaction on the served workspace, with schema v2 (one more label) registered; rolled back after."""
    workspace: Workspace = served_sqlite.workspace
    with workspace.engine.connect() as connection:
        transaction = connection.begin()
        writes.register_schema(connection, workspace.schema())
        writes.register_schema(connection, make_schema(2, ("billing", "technical", "account", "shipping")))
        yield connection
        transaction.rollback()


def _normalised(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(None if isinstance(v, float) and np.isnan(v) else v for v in row)
            for row in frame.itertuples(index=False)]


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=rows(), reviewer=st.booleans())
def test_the_short_path_gives_what_the_import_validator_gives_or_steps_aside(
        connection: Connection, batch: list[Any], reviewer: bool) -> None:
    write = REVIEWER if reviewer else ANNOTATOR
    schemas = reads.schemas(connection)
    short = _plain_rows(connection, batch, write, schemas, 1, RECEIVED)
    try:
        full = _validated_rows(connection, batch, write, schemas, 1, RECEIVED, "request body")
    except ImportValidationError:
        event("refused")
        assert short is None
        return
    event("valid, short path" if short is not None else "valid, import validator")
    if short is not None:
        assert list(short.columns) == list(full.columns)
        assert _normalised(short) == _normalised(full)


def test_plain_rows_as_the_api_sends_them_take_the_short_path(connection: Connection) -> None:
    batch = [{"item_id": f"T{1 + k % 6}", "label": ["billing", "technical", "account"][k % 3],
              "created_at": f"2026-01-01T00:00:{k:02d}.5Z", "note": f"n{k}", "confidence": 0.25 * (k % 5)}
             for k in range(40)]
    batch += [{"item_id": "T1", "label": "shipping", "schema_version": 2}, {"item_id": "T2", "label": "account"}]
    schemas = reads.schemas(connection)
    short = _plain_rows(connection, batch, ANNOTATOR, schemas, 1, RECEIVED)
    assert short is not None
    full = _validated_rows(connection, batch, ANNOTATOR, schemas, 1, RECEIVED, "request body")
    assert _normalised(short) == _normalised(full)


def test_a_bad_row_is_still_named_exactly_as_the_file_import_names_it(connection: Connection) -> None:
    schema = make_schema()
    batch = [{"item_id": "T1", "label": "billing"}, {"item_id": "T9", "label": "billing"}]
    with pytest.raises(ImportValidationError) as caught:
        append_annotation_rows(connection, schema, batch, ANNOTATOR)
    assert [(p.row, p.column, p.found) for p in caught.value.problems] == [(1, "item_id", "unknown item 'T9'")]


@st.composite
def stamp_texts(draw: st.DrawFn) -> str:
    """Mostly the plain forms (any year pandas reads, and a few it does not), some near misses."""
    moment = draw(st.datetimes(min_value=datetime(1690, 1, 1), max_value=datetime(2210, 12, 31)))
    odd = draw(st.integers(0, 9)) == 0
    separators, suffixes = ["T", " "], ["", "Z", "+00:00", "-00:00", "+02:00", "-05:30", "+14:00", "-12:00"]
    if odd:
        separators, suffixes = ["t", "", "  "], ["+0200", "z", " ", "+02", "+02:00:00"]
    text = moment.strftime("%Y-%m-%d") + draw(st.sampled_from(separators)) + moment.strftime("%H:%M:%S")
    digits = draw(st.integers(0, 9 if odd else 6))
    if digits:
        text += "." + f"{moment.microsecond:06d}{draw(st.integers(0, 999)):03d}"[:digits]
    text += draw(st.sampled_from(suffixes))
    if draw(st.integers(0, 30)) == 0:
        text = draw(st.sampled_from(["2026-02-29T00:00:00Z", "2024-02-29T24:00:00", "2026-13-01T00:00:00",
                                     "\uff12\uff10\uff12\uff16-01-01T00:00:00", "2026-01-01", "2026-01-01T00:00"]))
    return text


@settings(max_examples=400, deadline=None, derandomize=True)
@given(texts=st.lists(stamp_texts(), min_size=1, max_size=6))
def test_plain_date_times_are_read_as_pandas_reads_them(texts: list[str]) -> None:
    plain = _plain_stamps(texts)
    event("read by the short path" if plain is not None else "left to pandas")
    if plain is not None:
        assert plain == list(timestamp_text(parse_timestamps(pd.Series(texts, dtype=object))))
