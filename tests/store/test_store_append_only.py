"""Ground truth is append-only in the database itself: raw SQL cannot change or delete it, on every backend.

The store is filled through the real writers (``register_schema``, ``insert_items``, ``append_annotations`` with
a frame cleaned by ``validate_annotations``) and a release row as ``create_release`` writes it; then any client
that tries to update, delete, truncate or replace a row of a ground-truth table is refused and the row stays.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from answerkey.io.tabular import Batch
from answerkey.io.validation import AnnotationContext, validate_annotations
from answerkey.store import open_engine, reads, writes
from answerkey.store import tables as t
from conftest import make_schema

APPEND_ONLY = ("annotations", "releases", "release_labels", "schema_versions", "items", "annotation_chain")


def clean_annotations(connection: Connection, rows: dict[str, list[Any]]) -> pd.DataFrame:
    """Annotation rows cleaned exactly as an import cleans them."""
    known = pd.Index(sorted(reads.item_id_lookup(connection)))
    context = AnnotationContext(
        path=Path("annotations.csv"),
        item_positions=lambda ids: known.get_indexer(pd.Index(ids.to_numpy(dtype=object))),
        schemas=reads.schemas(connection),
        default_version=1,
    )
    clean = validate_annotations(Batch(pd.DataFrame(rows, dtype=object), 2), context)
    assert context.problems == []
    return clean


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """A store with a schema version, two items, an annotator, two annotations and a release."""
    engine = open_engine(store_url)
    with engine.begin() as connection:
        assert writes.register_schema(connection, make_schema())
        items = pd.DataFrame({
            "item_id": ["T1", "T2"], "payload": [{"text": "refund please"}, {"text": "app crashes"}],
            "group_id": [None, None], "segment": ["smb", None], "created_at": [pd.NaT, pd.NaT],
        })
        writes.insert_items(connection, items, None)
        clean = clean_annotations(connection, {
            "item_id": ["T1", "T2"], "annotator_id": ["ann", "ann"], "label": ["billing", "technical"],
            "created_at": ["2026-03-01T10:00:00Z", None],
        })
        writes.append_annotations(connection, clean, None, writes.utcnow())
        connection.execute(sa.insert(t.releases).values(
            name="v1", content_hash="0" * 64, schema_version=1, method="majority", annotation_watermark=2,
            item_count=2, created_at=writes.utcnow(),
        ))
        connection.execute(sa.insert(t.release_labels), [
            {"release_name": "v1", "item_id": "T1", "label": "billing", "confidence": 1.0, "status": "agreed",
             "n_judgements": 1},
            {"release_name": "v1", "item_id": "T2", "label": "technical", "confidence": 1.0, "status": "agreed",
             "n_judgements": 1},
        ])
    yield engine
    engine.dispose()


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every append-only table, in primary-key order."""
    with engine.connect() as connection:
        return {
            name: [tuple(row) for row in connection.execute(
                sa.select(t.metadata.tables[name]).order_by(*t.metadata.tables[name].primary_key.columns))]
            for name in APPEND_ONLY
        }


def test_the_filled_store_holds_one_row_or_more_in_every_append_only_table(engine: Engine) -> None:
    rows = snapshot(engine)
    assert {name: len(rows[name]) for name in APPEND_ONLY} == {
        "annotations": 2, "releases": 1, "release_labels": 2, "schema_versions": 1, "items": 2, "annotation_chain": 2}
    assert set(APPEND_ONLY) == set(t.APPEND_ONLY_TABLES)


@pytest.mark.parametrize("statement", [
    "UPDATE annotations SET label = 'x'",
    "UPDATE annotations SET note = 'edited' WHERE item_id = 'T1'",
    "UPDATE annotations SET created_at = NULL",
    "DELETE FROM annotations",
    "DELETE FROM annotations WHERE item_id = 'T2'",
    "UPDATE releases SET content_hash = 'forged'",
    "UPDATE releases SET note = 'edited'",
    "DELETE FROM releases",
    "UPDATE release_labels SET label = 'x'",
    "UPDATE release_labels SET status = 'disputed' WHERE item_id = 'T1'",
    "DELETE FROM release_labels",
    "DELETE FROM release_labels WHERE item_id = 'T2'",
    "UPDATE schema_versions SET content = '{}'",
    "UPDATE schema_versions SET content_hash = 'forged'",
    "DELETE FROM schema_versions",
    "UPDATE items SET payload = '{}' WHERE item_id = 'T1'",
    "UPDATE items SET segment = 'enterprise'",
    "UPDATE items SET content_hash = NULL",
    "DELETE FROM items WHERE item_id = 'T2'",
    "DELETE FROM items",
    "UPDATE annotation_chain SET annotation_id = annotation_id + 1",
    "DELETE FROM annotation_chain",
])
def test_raw_sql_that_changes_or_deletes_ground_truth_is_refused_and_the_rows_stay(
    engine: Engine, statement: str
) -> None:
    before = snapshot(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)
    assert snapshot(engine) == before


def test_a_refused_change_rolls_back_the_rest_of_its_transaction(engine: Engine) -> None:
    before = snapshot(engine)

    def append_then_delete() -> None:
        with engine.begin() as connection:
            clean = clean_annotations(connection, {"item_id": ["T1"], "annotator_id": ["bob"], "label": ["account"]})
            writes.append_annotations(connection, clean, None, writes.utcnow())
            connection.exec_driver_sql("DELETE FROM annotations WHERE annotator_id = 'ann'")

    with pytest.raises(DBAPIError, match="append-only"):
        append_then_delete()
    assert snapshot(engine) == before


FORGED: dict[str, tuple[str, Any]] = {
    "annotations": ("label", "forged"), "releases": ("content_hash", "forged"), "release_labels": ("label", "forged"),
    "schema_versions": ("content_hash", "forged"), "items": ("segment", "forged"),
    "annotation_chain": ("chain_hash", b"forged")}


@pytest.mark.parametrize("table_name", APPEND_ONLY)
def test_replacing_a_row_by_its_primary_key_is_refused(engine: Engine, table_name: str) -> None:
    """SQLite's INSERT OR REPLACE deletes the old row; PostgreSQL's ON CONFLICT DO UPDATE updates it."""
    table = t.metadata.tables[table_name]
    key = [column.name for column in table.primary_key.columns]
    with engine.connect() as connection:
        row = dict(connection.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings().first() or {})
    column, value = FORGED[table_name]
    forged = {**row, column: value}
    if engine.dialect.name == "sqlite":
        statement: Any = sa.insert(table).prefix_with("OR REPLACE").values(**forged)
    else:
        statement = postgresql.insert(table).values(**forged).on_conflict_do_update(
            index_elements=key, set_={column: value})
    before = snapshot(engine)
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.execute(statement)
    assert snapshot(engine) == before


SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
"""SQLite's REPLACE: PostgreSQL has none, and its ON CONFLICT DO UPDATE is refused by the UPDATE triggers."""


def _raw_sqlite(engine: Engine) -> sqlite3.Connection:
    """A plain ``sqlite3`` connection to the store's file, as another client opens it: no pragmas, so
    ``recursive_triggers`` is off and REPLACE's delete fires no DELETE trigger."""
    connection = sqlite3.connect(str(engine.url.database))
    assert connection.execute("PRAGMA recursive_triggers").fetchone() == (0,)
    return connection


@SQLITE_ONLY
@pytest.mark.parametrize("table_name", APPEND_ONLY)
def test_insert_or_replace_from_another_sqlite_client_without_recursive_triggers_is_refused(
    engine: Engine, table_name: str
) -> None:
    before = snapshot(engine)
    connection = _raw_sqlite(engine)
    row = connection.execute(f"SELECT * FROM {table_name} LIMIT 1").fetchone()
    columns = [d[0] for d in connection.execute(f"SELECT * FROM {table_name} LIMIT 0").description]
    forged = list(row)
    column, value = FORGED[table_name]
    forged[columns.index(column)] = value
    with pytest.raises(sqlite3.IntegrityError, match=r"append-only: .* stored already"):
        connection.execute(f"INSERT OR REPLACE INTO {table_name} VALUES ({', '.join('?' * len(forged))})", forged)
    connection.close()
    assert snapshot(engine) == before


@SQLITE_ONLY
def test_replacing_an_annotation_by_its_judgement_key_is_skipped_and_the_stored_one_stays(engine: Engine) -> None:
    """A stored judgement is skipped (as the writer's ON CONFLICT DO NOTHING skips it), never replaced."""
    before = snapshot(engine)
    connection = _raw_sqlite(engine)
    item_id, key = connection.execute("SELECT item_id, judgement_key FROM annotations LIMIT 1").fetchone()
    connection.execute("REPLACE INTO annotations (item_id, annotator_id, label, source, schema_version, recorded_at, "
                       "judgement_key) VALUES (?, 'ann', 'account', 'human', 1, '2026-01-01', ?)", (item_id, key))
    connection.commit()
    connection.close()
    assert snapshot(engine) == before


@SQLITE_ONLY
def test_a_schema_version_inserted_again_is_skipped_when_identical_and_refused_when_changed(engine: Engine) -> None:
    """register_schema's ON CONFLICT DO NOTHING (two imports registering one schema at once) still works."""
    before = snapshot(engine)
    connection = _raw_sqlite(engine)
    row = list(connection.execute("SELECT * FROM schema_versions").fetchone())
    connection.execute(f"INSERT INTO schema_versions VALUES ({', '.join('?' * len(row))}) ON CONFLICT DO NOTHING", row)
    changed = [*row[:3], "{}", "0" * 64, row[5]]
    with pytest.raises(sqlite3.IntegrityError, match="stored already with other content"):
        connection.execute(f"INSERT INTO schema_versions VALUES ({', '.join('?' * len(row))}) ON CONFLICT DO NOTHING",
                           changed)
    connection.commit()
    connection.close()
    assert snapshot(engine) == before


@SQLITE_ONLY
def test_every_append_only_and_record_table_refuses_an_insert_over_a_stored_key_on_sqlite(engine: Engine) -> None:
    with engine.connect() as connection:
        triggers = set(connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_refuse_replace'").scalars())
    assert triggers == {f"{name}_refuse_replace" for name in (*t.APPEND_ONLY_TABLES, *t.RECORD_TABLES)}


@pytest.mark.parametrize("table_name", APPEND_ONLY)
def test_emptying_a_ground_truth_table_at_once_is_refused(engine: Engine, table_name: str) -> None:
    # TRUNCATE on PostgreSQL; SQLite has none, and its truncate optimisation of an unfiltered DELETE is
    # disabled by the delete triggers
    statement = f"TRUNCATE {table_name} CASCADE" if engine.dialect.name == "postgresql" else f"DELETE FROM {table_name}"
    before = snapshot(engine)
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.exec_driver_sql(statement)
    assert snapshot(engine) == before


def test_appending_still_works_after_a_refusal(engine: Engine) -> None:
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.exec_driver_sql("UPDATE annotations SET label = 'x'")
    with engine.begin() as connection:
        clean = clean_annotations(connection, {"item_id": ["T1"], "annotator_id": ["bob"], "label": ["account"]})
        writes.append_annotations(connection, clean, None, writes.utcnow())
    with engine.connect() as connection:
        frame = reads.annotations_frame(connection)
    assert frame["label"].tolist() == ["billing", "technical", "account"]
    assert frame["annotator_id"].tolist() == ["ann", "ann", "bob"]


def test_import_bookkeeping_is_not_ground_truth_and_may_be_updated(engine: Engine) -> None:
    with engine.begin() as connection:
        import_id = writes.start_import(connection, "annotations", "a.csv", "f" * 64)
        writes.finish_import(connection, import_id, rows_read=5, rows_added=3)
    with engine.connect() as connection:
        row = connection.execute(sa.select(t.imports).where(t.imports.c.import_id == import_id)).mappings().one()
    assert (row["rows_read"], row["rows_added"]) == (5, 3)
