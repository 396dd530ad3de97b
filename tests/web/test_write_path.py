"""The one write path: concurrent writers lose nothing, a repeated idempotency key is applied once (even when the
twins race), and an audit entry lands with each write or not at all."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection

from answerkey.errors import ImportValidationError, ParameterError
from answerkey.project.access import Principal
from answerkey.project.annotation_rows import AnnotationWrite, append_annotation_rows
from answerkey.project.workspace import Workspace
from answerkey.store import tables as t
from answerkey.web.writer import Outcome, WritePath, request_hash
from conftest import Served

WRITER = Principal("ann", "annotator", 1)


def _count(workspace: Workspace, table: sa.Table) -> int:
    with workspace.reading() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _writer(served: Served) -> WritePath:
    return served.client.app.state.writer  # type: ignore[attr-defined, no-any-return]


def _append(served: Served, rows: list[dict[str, str]]) -> object:
    schema = served.workspace.schema()

    def run(connection: Connection) -> Outcome:
        counts = append_annotation_rows(connection, schema, rows, AnnotationWrite("ann", on_behalf=False,
                                                                                   adjudicate=False))
        return Outcome(201, {"ok": True, **counts}, audit=counts)

    return run


def test_concurrent_writers_lose_no_write(served: Served) -> None:
    before = _count(served.workspace, t.annotations)
    writer = _writer(served)

    def post(n: int) -> int:
        rows = [{"item_id": f"T{1 + (n + k) % 6}", "label": "billing", "created_at": f"2026-01-01T00:{n // 60:02d}:"
                 f"{n % 60:02d}.{k:06d}Z"} for k in range(3)]
        return int(writer.write(WRITER, "annotations.append", None, _append(served, rows)).body["rows_added"])

    with ThreadPoolExecutor(8) as pool:
        added = sum(pool.map(post, range(120)))
    assert added == 360
    assert _count(served.workspace, t.annotations) == before + 360
    assert _count(served.workspace, t.audit_log) == 120


def test_twins_racing_with_one_idempotency_key_are_applied_once(served: Served) -> None:
    before = _count(served.workspace, t.annotations)
    writer = _writer(served)
    rows = [{"item_id": "T2", "label": "account", "created_at": "2026-02-02T10:00:00Z"}]
    fingerprint = request_hash("POST", "/api/annotations", rows)

    def post(_: int) -> tuple[int, bool]:
        outcome = writer.write(WRITER, "annotations.append", "T2", _append(served, rows), key="same-key",
                               fingerprint=fingerprint)
        return int(outcome.body["rows_added"]), outcome.replayed

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(post, range(12)))
    assert {added for added, _ in results} == {1}  # every twin sees the first one's answer
    assert sum(not replayed for _, replayed in results) == 1
    assert _count(served.workspace, t.annotations) == before + 1
    assert _count(served.workspace, t.audit_log) == 1


def test_a_key_reused_for_another_request_is_refused(served: Served) -> None:
    writer = _writer(served)
    first = [{"item_id": "T1", "label": "billing"}]
    writer.write(WRITER, "annotations.append", "T1", _append(served, first), key="k",
                 fingerprint=request_hash("POST", "/api/annotations", first))
    other = [{"item_id": "T1", "label": "technical"}]
    with pytest.raises(ParameterError, match="was used before for a different request"):
        writer.write(WRITER, "annotations.append", "T1", _append(served, other), key="k",
                     fingerprint=request_hash("POST", "/api/annotations", other))


def test_a_refused_write_leaves_no_audit_entry_and_no_key(served: Served) -> None:
    writer = _writer(served)
    bad = [{"item_id": "T1", "label": "billing"}, {"item_id": "nope", "label": "billing"}]
    with pytest.raises(ImportValidationError):
        writer.write(WRITER, "annotations.append", None, _append(served, bad), key="k2", fingerprint="x")
    assert _count(served.workspace, t.audit_log) == 0
    assert _count(served.workspace, t.idempotency_keys) == 0
    assert _count(served.workspace, t.annotations) == 16
