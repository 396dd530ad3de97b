"""The append-only ``imports`` table records the rows each import added itself, even when imports run at once."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from answerkey.project import ImportResult, Workspace, import_annotations, import_items
from answerkey.store import tables as t
from answerkey.store import writes
from conftest import write_text

POSTGRES_ONLY = pytest.mark.parametrize("store_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                        indirect=True)
WAIT = 30.0
"""Seconds to wait for a thread (a hang is a failure, not a stuck run)."""
GRACE = 3.0
"""Seconds the first import keeps its transaction open for the second to start writing: the second may instead
wait for the first's commit (a lock on the annotation log), and then reports nothing until the first commits."""


def _jsonl(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = [json.dumps({"item_id": i, "annotator_id": a, "label": label, "created_at": "2026-01-01T10:00:00Z"})
             for i, a, label in rows]
    return write_text(path, "\n".join(lines) + "\n")


def _recorded(workspace: Workspace) -> dict[int, tuple[int, int]]:
    """Per import: the rows_added it recorded, and the annotations in the store tagged with its id."""
    with workspace.reading() as connection:
        recorded = dict(connection.execute(sa.select(t.imports.c.import_id, t.imports.c.rows_added)).all())
        tagged = dict(connection.execute(sa.select(t.annotations.c.import_id, sa.func.count())
                                         .group_by(t.annotations.c.import_id)).all())
    return {int(k): (int(v), int(tagged.get(k, 0))) for k, v in recorded.items()}


@pytest.fixture
def thirty_items(workspace: Workspace, tmp_path: Path) -> Workspace:
    import_items(workspace, write_text(tmp_path / "items.csv",
                                       "item_id,text\n" + "".join(f"T{i},ticket {i}\n" for i in range(1, 31))))
    return workspace


def test_an_import_records_the_rows_it_added_and_a_re_import_records_0(thirty_items: Workspace,
                                                                      tmp_path: Path) -> None:
    rows = [(f"T{i}", "a1", "billing") for i in range(1, 11)]
    path = _jsonl(tmp_path / "labels.jsonl", [*rows, rows[0]])  # the same judgement twice in one file
    first = import_annotations(thirty_items, path)
    again = import_annotations(thirty_items, path)
    assert (first.rows_read, first.rows_added, again.rows_read, again.rows_added) == (11, 10, 11, 0)
    assert sorted(_recorded(thirty_items).values()) == [(0, 0), (10, 10), (30, 0)]  # the items import's 30


def test_an_item_import_records_the_items_it_added_and_a_re_import_records_0(workspace: Workspace,
                                                                            tmp_path: Path) -> None:
    path = write_text(tmp_path / "items.csv", "item_id,text\nT1,refund\nT2,crash\n")
    assert (import_items(workspace, path).rows_added, import_items(workspace, path).rows_added) == (2, 0)
    assert sorted(v[0] for v in _recorded(workspace).values()) == [0, 2]


@POSTGRES_ONLY
@pytest.mark.parametrize("schema_registered", [True, False], ids=["schema-registered", "both-register-the-schema"])
def test_two_concurrent_imports_on_postgresql_each_record_exactly_the_rows_they_added(
    thirty_items: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, schema_registered: bool
) -> None:
    """One import holds its transaction open after writing everything while the other starts and writes (or
    waits to write) its rows; the judgements both files share are stored once, by the first. Counting the table
    before and after gave the second the first's rows too. When neither has registered the schema yet, the
    second waits for the first's registration and then goes on (it was a duplicate-key error)."""
    if schema_registered:
        with thirty_items.transaction() as connection:
            writes.register_schema(connection, thirty_items.schema())
    monkeypatch.setattr("answerkey.io.tabular.BATCH_ROWS", 10)  # each file is read in two batches of ten
    own_a = [(f"T{i}", "ann", "billing") for i in range(1, 11)]
    own_b = [(f"T{i}", "bob", "technical") for i in range(11, 21)]
    shared = [(f"T{i}", "cy", "account") for i in range(21, 31)]
    file_a = _jsonl(tmp_path / "a.jsonl", own_a + shared)
    file_b = _jsonl(tmp_path / "b.jsonl", own_b + shared)  # its shared rows come in its second batch
    a_wrote_all, b_wrote_own = threading.Event(), threading.Event()
    results: dict[str, ImportResult | BaseException] = {}

    def after_batches(n: int, reached: threading.Event, awaited: threading.Event | None) -> Callable[[int, int],
                                                                                                     None]:
        calls = 0

        def progress(_done: int, _total: int) -> None:
            nonlocal calls
            calls += 1
            if calls == n:
                reached.set()
                if awaited is not None:
                    awaited.wait(GRACE)
        return progress

    def run(name: str, path: Path, progress: Callable[[int, int], None]) -> None:
        try:
            results[name] = import_annotations(thirty_items, path, on_progress=progress)
        except BaseException as exc:  # reported by the assertions below
            results[name] = exc

    first = threading.Thread(target=run, args=("a", file_a, after_batches(2, a_wrote_all, b_wrote_own)))
    second = threading.Thread(target=run, args=("b", file_b, after_batches(1, b_wrote_own, None)))
    first.start()
    assert a_wrote_all.wait(WAIT), "the first import never wrote its rows"
    second.start()
    first.join(WAIT * 2)
    second.join(WAIT * 2)
    a, b = results["a"], results["b"]
    assert isinstance(a, ImportResult), a
    assert isinstance(b, ImportResult), b
    assert (a.rows_read, a.rows_added, b.rows_read, b.rows_added) == (20, 20, 20, 10)
    assert sorted(_recorded(thirty_items).values()) == [(10, 10), (20, 20), (30, 0)]
    again = import_annotations(thirty_items, file_b)
    assert (again.rows_read, again.rows_added) == (20, 0)
