"""The annotation log's hash chain and the items' content hashes: written by the store's writer as transactions
commit, the same on SQLite and PostgreSQL, and given to what a store held before migration 0011."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection, Engine
from test_store_append_only import clean_annotations

from answerkey.project.integrity import verify_annotation_log
from answerkey.store import open_engine, writes
from answerkey.store import tables as t
from answerkey.store.chain import GENESIS, annotation_line, chain_hashes, item_content_hash, items_hash, link
from answerkey.store.engine import _alembic_config, create_store_engine, migrate
from conftest import make_schema

POSTGRES_ONLY = pytest.mark.parametrize("store_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                        indirect=True)


def test_each_link_hashes_the_previous_chain_hash_with_the_rows_digest() -> None:
    first, second = hashlib.sha256(b"a").digest(), hashlib.sha256(b"b").digest()
    assert link(None, first) == hashlib.sha256(GENESIS + first).digest()
    assert list(chain_hashes(None, [first, second])) == [link(None, first), link(link(None, first), second)]


def test_a_row_has_one_canonical_line_whether_its_times_are_text_or_datetimes() -> None:
    written = ("T1", "ann", "billing", "human", 1, "2026-03-01 10:00:00.000000", 0.25, None, 3,
               "2026-03-02 08:00:00.123456", b"\x01" * 16)
    read_back = ("T1", "ann", "billing", "human", 1, datetime(2026, 3, 1, 10), 0.25, None, 3,
                 datetime(2026, 3, 2, 8, 0, 0, 123456), memoryview(b"\x01" * 16))
    assert annotation_line(written) == annotation_line(read_back)
    assert annotation_line(written) != annotation_line((*written[:6], 0.5, *written[7:]))


def test_an_items_content_hash_ignores_payload_key_order_and_a_release_items_hash_ignores_row_order() -> None:
    one = {"item_id": "T1", "payload": {"a": 1, "b": "x"}, "group_id": None, "segment": "smb", "created_at": None}
    assert item_content_hash(one) == item_content_hash({**one, "payload": {"b": "x", "a": 1}})
    assert item_content_hash(one) != item_content_hash({**one, "segment": "enterprise"})
    assert items_hash({"T1": "a", "T2": "b"}) == items_hash({"T2": "b", "T1": "a"}) != items_hash({"T1": "a"})


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """A store with a schema and three items."""
    engine = open_engine(store_url)
    with engine.begin() as connection:
        writes.register_schema(connection, make_schema())
        writes.insert_items(connection, pd.DataFrame({
            "item_id": ["T1", "T2", "T3"], "payload": [{"text": "refund"}, {"text": "crash"}, {"text": "login"}],
            "group_id": [None] * 3, "segment": [None] * 3, "created_at": [pd.NaT] * 3}), None)
    yield engine
    engine.dispose()


def append(connection: Connection, item_ids: list[str], annotator: str, label: str = "billing") -> int:
    clean = clean_annotations(connection, {"item_id": item_ids, "annotator_id": [annotator] * len(item_ids),
                                           "label": [label] * len(item_ids),
                                           "created_at": ["2026-03-01T10:00:00Z"] * len(item_ids)})
    return writes.append_annotations(connection, clean, None, writes.utcnow())


def chain(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.select(t.annotation_chain).order_by(
            t.annotation_chain.c.position))]


def log(engine: Engine) -> tuple[dict[str, Any], list[Any]]:
    with engine.connect() as connection:
        return verify_annotation_log(connection)


def test_each_committed_append_extends_the_chain_and_the_chain_verifies(engine: Engine) -> None:
    with engine.begin() as connection:
        assert append(connection, ["T1", "T2"], "ann") == 2
    with engine.begin() as connection:
        assert append(connection, ["T1", "T2", "T3"], "ann") == 1  # T1 and T2 are stored already
        assert append(connection, ["T3", "T3"], "bob") == 1  # a repeat in one write is one judgement
    summary, findings = log(engine)
    assert findings == []
    entries = chain(engine)
    assert summary == {"entries": 4, "head": entries[-1][2].hex(), "broken": 0, "gone": 0, "unchained": 0}
    with engine.connect() as connection:
        ids = dict(connection.execute(sa.select(t.annotations.c.annotation_id, t.annotations.c.item_id)).all())
    assert [ids[e[1]] for e in entries] == ["T1", "T2", "T3", "T3"]


def test_an_append_that_is_rolled_back_or_never_committed_leaves_no_chain_entry(engine: Engine) -> None:
    def abandon() -> None:
        with engine.begin() as connection:
            append(connection, ["T1"], "ann")
            raise RuntimeError("abandoned")

    with pytest.raises(RuntimeError):
        abandon()
    with engine.connect() as connection:  # closed without commit: the pool rolls it back
        append(connection, ["T2"], "ann")
    with engine.begin() as connection:
        append(connection, ["T3"], "ann")
    with engine.connect() as connection:
        stored = connection.execute(sa.select(t.annotations.c.annotation_id, t.annotations.c.item_id)).all()
    assert [e[1] for e in chain(engine)] == [i for i, item in stored if item == "T3"]
    assert log(engine)[1] == []


@POSTGRES_ONLY
def test_two_open_transactions_append_at_once_on_postgresql_and_chain_in_commit_order(engine: Engine) -> None:
    """Neither waits for the other while open: the chain is extended, under a lock, only as each commits."""
    both_appended = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def write(annotator: str) -> None:
        try:
            with engine.begin() as connection:
                append(connection, ["T1", "T2", "T3"], annotator)
                both_appended.wait()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(who,)) for who in ("ann", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    summary, findings = log(engine)
    assert (summary["entries"], findings) == (6, [])


def test_the_migration_gives_a_0010_store_its_chain_item_hashes_and_release_items_hash(tmp_path: Path,
                                                                                        store_url: str) -> None:
    engine = create_store_engine(store_url)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
    now = datetime(2026, 3, 1, 10)
    with engine.begin() as connection:  # what a 0010 store holds, written as 0010 wrote it
        schema = make_schema()
        connection.execute(sa.insert(t.schema_versions).values(
            version=1, name=schema.name, task=schema.task.value, content=schema.canonical_json(),
            content_hash=schema.content_hash, registered_at=now))
        connection.execute(sa.insert(t.items), [{"item_id": i, "payload": {"text": i}} for i in ("T1", "T2")])
        connection.execute(sa.insert(t.annotators).values(annotator_id="ann", first_seen_at=now))
        connection.execute(sa.insert(t.annotations), [
            {"item_id": i, "annotator_id": "ann", "label": "billing", "source": "human", "schema_version": 1,
             "created_at": now, "recorded_at": now, "judgement_key": bytes([n]) * 16}
            for n, i in enumerate(("T1", "T2", "T2"))])
        connection.execute(sa.insert(t.releases).values(
            name="v1", content_hash="0" * 64, schema_version=1, method="majority", annotation_watermark=3,
            item_count=2, created_at=now))
        connection.execute(sa.insert(t.release_labels), [
            {"release_name": "v1", "item_id": i, "label": "billing", "confidence": 1.0, "status": "agreed",
             "n_judgements": 1} for i in ("T1", "T2")])
    migrate(engine)
    summary, findings = log(engine)
    assert (summary["entries"], findings) == (3, [])
    with engine.connect() as connection:
        items = connection.execute(sa.select(t.items).order_by(t.items.c.item_id)).mappings().all()
        release = connection.execute(sa.select(t.releases.c.items_hash)).scalar_one()
    assert [row["content_hash"] for row in items] == [item_content_hash(dict(row)) for row in items]
    assert release == items_hash({row["item_id"]: row["content_hash"] for row in items})
    engine.dispose()
