"""Opening a store creates every table at the newest migration, once; reopening changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from answerkey.errors import StoreError
from answerkey.store import create_store_engine, open_engine, writes
from answerkey.store import tables as t
from answerkey.store.engine import HEAD_REVISION, current_revision

TABLES = {"schema_versions", "imports", "items", "annotators", "annotations", "releases", "release_labels",
          "eval_runs", "eval_results", "feedback", "splits", "split_assignments", "split_seals", "test_ledger",
          "label_issue_flags", "findings", "monitor_runs", "label_definitions", "label_derivations",
          "derived_labels", "api_tokens", "audit_log", "idempotency_keys", "web_sessions", "annotation_chain"}


def alembic_versions(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


def test_a_new_store_has_no_revision_until_it_is_opened(store_url: str) -> None:
    engine = create_store_engine(store_url)
    try:
        assert current_revision(engine) is None
        assert TABLES.isdisjoint(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_opening_a_store_creates_every_table_and_records_the_head_revision(store_url: str) -> None:
    engine = open_engine(store_url)
    try:
        assert set(sa.inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        assert alembic_versions(engine) == [HEAD_REVISION]
    finally:
        engine.dispose()


def test_opening_a_store_twice_is_idempotent(store_url: str) -> None:
    first = open_engine(store_url)
    first.dispose()
    second = open_engine(store_url)
    third = open_engine(store_url)
    try:
        assert alembic_versions(third) == [HEAD_REVISION]
        assert set(sa.inspect(third).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        second.dispose()
        third.dispose()


def test_reopening_keeps_what_was_written(store_url: str) -> None:
    engine = open_engine(store_url)
    with engine.begin() as connection:
        connection.execute(sa.insert(t.annotators).values(annotator_id="ann", first_seen_at=writes.utcnow()))
    engine.dispose()
    again = open_engine(store_url)
    try:
        with again.connect() as connection:
            assert list(connection.execute(sa.select(t.annotators.c.annotator_id)).scalars()) == ["ann"]
    finally:
        again.dispose()


def test_the_migrated_tables_have_the_columns_the_code_declares(store_url: str) -> None:
    engine = open_engine(store_url)
    try:
        inspector = sa.inspect(engine)
        for name, table in t.metadata.tables.items():
            migrated = {column["name"] for column in inspector.get_columns(name)}
            assert migrated == {column.name for column in table.columns}, name
    finally:
        engine.dispose()


def test_a_sqlite_store_in_a_missing_folder_gets_its_folder(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'deep' / 'er' / 'store.db'}")
    try:
        assert (tmp_path / "deep" / "er" / "store.db").is_file()
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["nosuchdialect://x/y", "not a url"])
def test_an_unusable_store_url_is_a_store_error_naming_it(url: str) -> None:
    with pytest.raises(StoreError, match="cannot use store URL"):
        open_engine(url)
