"""The writers of ground truth: schema versions only move forward, judgements are stored once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from answerkey.errors import SchemaError
from answerkey.io.tabular import Batch
from answerkey.io.validation import AnnotationContext, validate_annotations
from answerkey.schema import LabelingSchema, dump_schema, parse_schema
from answerkey.store import open_engine, reads, writes
from answerkey.store import tables as t
from conftest import make_schema


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = open_engine(store_url)
    yield engine
    engine.dispose()


def register(engine: Engine, schema: LabelingSchema) -> bool:
    with engine.begin() as connection:
        return writes.register_schema(connection, schema)


def registered(engine: Engine) -> dict[int, tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(t.schema_versions.c.version, t.schema_versions.c.content_hash,
                                            t.schema_versions.c.content))
        return {row.version: (row.content_hash, row.content) for row in rows}


def test_registering_a_schema_returns_true_then_false_for_the_same_schema(engine: Engine) -> None:
    schema = make_schema()
    assert register(engine, schema) is True
    assert register(engine, schema) is False
    assert list(registered(engine)) == [1]


def test_a_registered_schema_reads_back_as_the_same_schema(engine: Engine) -> None:
    schema = make_schema(labels=("billing", "technical"), description="Support tickets.")
    register(engine, schema)
    with engine.connect() as connection:
        assert reads.schemas(connection) == {1: schema}
    assert registered(engine)[1] == (schema.content_hash, schema.canonical_json())


def test_the_same_schema_in_another_yaml_layout_is_already_registered(engine: Engine) -> None:
    schema = make_schema()
    register(engine, schema)
    relaid = parse_schema(dump_schema(schema).replace("task: single_label\n", ""))
    assert register(engine, relaid) is False


def test_changed_content_under_a_registered_version_is_refused_and_nothing_changes(engine: Engine) -> None:
    register(engine, make_schema())
    before = registered(engine)
    changed = make_schema(labels=("billing", "technical", "account", "praise"))
    with pytest.raises(SchemaError, match=r"still says version 1.*set `version: 2`"):
        register(engine, changed)
    assert registered(engine) == before


def test_a_version_lower_than_the_latest_is_refused(engine: Engine) -> None:
    register(engine, make_schema(version=1))
    register(engine, make_schema(version=3, labels=("billing", "technical")))
    before = registered(engine)
    with pytest.raises(SchemaError, match=r"version 2.*version 3 is already registered.*use 4"):
        register(engine, make_schema(version=2, labels=("billing",)))
    assert registered(engine) == before


def test_a_higher_version_with_new_content_is_registered_alongside_the_old(engine: Engine) -> None:
    assert register(engine, make_schema(version=1))
    assert register(engine, make_schema(version=2, labels=("billing", "technical")))
    assert sorted(registered(engine)) == [1, 2]
    assert register(engine, make_schema(version=1)) is False  # an old version, unchanged, is still known


def test_a_refused_registration_is_a_value_error_for_callers_that_do_not_know_answerkey(engine: Engine) -> None:
    register(engine, make_schema(version=2))
    with pytest.raises(ValueError, match="already registered"):
        register(engine, make_schema(version=1))


def clean(engine: Engine, rows: dict[str, list[Any]]) -> pd.DataFrame:
    with engine.connect() as connection:
        known = pd.Index(sorted(reads.item_id_lookup(connection)))
        context = AnnotationContext(
            path=Path("a.csv"),
            item_positions=lambda ids: known.get_indexer(pd.Index(ids.to_numpy(dtype=object))),
            schemas=reads.schemas(connection), default_version=1,
        )
    frame = validate_annotations(Batch(pd.DataFrame(rows, dtype=object), 2), context)
    assert context.problems == []
    return frame


@pytest.fixture
def with_items(engine: Engine) -> Engine:
    with engine.begin() as connection:
        writes.register_schema(connection, make_schema())
        writes.insert_items(connection, pd.DataFrame({
            "item_id": ["T1", "T2"], "payload": [{"text": "refund"}, {"text": "crash", "n": 2}],
            "group_id": ["g1", None], "segment": [None, "smb"],
            "created_at": [pd.Timestamp("2026-03-01 10:00"), pd.NaT],
        }), None)
    return engine


ROWS = {"item_id": ["T1", "T2", "T1"], "annotator_id": ["ann", "ann", "bob"],
        "label": ["billing", "technical", "account"],
        "created_at": ["2026-03-01T10:00:00Z", None, "2026-03-01T12:00:00+02:00"]}


def test_items_are_stored_with_their_payload_group_segment_and_time(with_items: Engine) -> None:
    with with_items.connect() as connection:
        items = reads.items_frame(connection)
    assert items["item_id"].tolist() == ["T1", "T2"]
    assert items["payload"].tolist() == [{"text": "refund"}, {"text": "crash", "n": 2}]
    assert items["group_id"].tolist()[0] == "g1"
    assert items["segment"].tolist()[1] == "smb"
    assert items["created_at"].iloc[0] == pd.Timestamp("2026-03-01 10:00")
    assert pd.isna(items["created_at"].iloc[1])


def test_appended_annotations_read_back_in_recording_order_with_their_times_in_utc(with_items: Engine) -> None:
    with with_items.begin() as connection:
        writes.append_annotations(connection, clean(with_items, ROWS), None, writes.utcnow())
    with with_items.connect() as connection:
        frame = reads.annotations_frame(connection)
        annotators = sorted(connection.execute(sa.select(t.annotators.c.annotator_id)).scalars())
    triples = set(zip(frame["item_id"], frame["annotator_id"], frame["label"], strict=True))
    assert triples == {("T1", "ann", "billing"), ("T2", "ann", "technical"), ("T1", "bob", "account")}
    assert frame["annotation_id"].is_monotonic_increasing
    times = dict(zip(frame["annotator_id"] + frame["item_id"], frame["created_at"], strict=True))
    assert times["annT1"] == pd.Timestamp("2026-03-01 10:00")
    assert times["bobT1"] == pd.Timestamp("2026-03-01 10:00")  # 12:00+02:00 is 10:00 UTC
    assert pd.isna(times["annT2"])
    assert set(frame["source"]) == {"human"}
    assert set(frame["schema_version"]) == {1}
    assert annotators == ["ann", "bob"]


def test_appending_the_same_judgements_again_adds_nothing(with_items: Engine) -> None:
    for _ in range(2):
        with with_items.begin() as connection:
            writes.append_annotations(connection, clean(with_items, ROWS), None, writes.utcnow())
    with with_items.connect() as connection:
        assert len(reads.annotations_frame(connection)) == 3
        assert reads.annotation_watermark(connection) >= 3


def test_a_correction_is_a_new_judgement_not_an_overwrite(with_items: Engine) -> None:
    first = {"item_id": ["T1"], "annotator_id": ["ann"], "label": ["billing"], "created_at": ["2026-03-01T10:00:00Z"]}
    fixed = {"item_id": ["T1"], "annotator_id": ["ann"], "label": ["account"], "created_at": ["2026-03-02T10:00:00Z"]}
    for rows in (first, fixed):
        with with_items.begin() as connection:
            writes.append_annotations(connection, clean(with_items, rows), None, writes.utcnow())
    with with_items.connect() as connection:
        assert reads.annotations_frame(connection)["label"].tolist() == ["billing", "account"]


def test_an_empty_batch_writes_nothing(with_items: Engine) -> None:
    with with_items.begin() as connection:
        writes.append_annotations(connection, clean(with_items, {k: [] for k in ROWS}), None, writes.utcnow())
    with with_items.connect() as connection:
        assert reads.annotation_watermark(connection) == 0
