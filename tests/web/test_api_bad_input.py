"""Bad requests: each is refused with a 4xx in the one error envelope and writes nothing (no row in any table the
API writes, no audit entry, no idempotency record, no production log file). Idempotency keys apply a write once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from answerkey.project.annotation_rows import MAX_ROWS
from answerkey.store import tables as t
from answerkey.web.limits import MAX_BODY_BYTES
from conftest import Served

WRITTEN = (t.items, t.annotations, t.audit_log, t.idempotency_keys, t.releases, t.release_labels, t.api_tokens,
           t.feedback, t.eval_runs, t.schema_versions)


def footprint(served: Served) -> dict[str, Any]:
    """Rows in every table the API writes, and the files of the production log (temporary ones too)."""
    with served.workspace.reading() as connection:
        counts: dict[str, Any] = {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                                  for table in WRITTEN}
    production = served.workspace.root / ".answerkey" / "production"
    counts["files"] = sorted(p.name for p in production.rglob("*") if p.is_file())
    return counts


def assert_envelope(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"ok", "error", "errors", "status"}
    assert body["ok"] is False
    assert body["status"] == status
    assert isinstance(body["error"], str)
    assert body["error"]
    assert isinstance(body["errors"], list)
    return dict(body)


PREDICTION = {"prediction_id": "p1", "predicted_at": "2026-01-05T09:00:00Z", "prediction": "billing", "words": 3}
ANNOTATION = {"item_id": "T1", "label": "billing"}
BAD: list[tuple[str, str, str, str, dict[str, Any], int]] = [
    # id, method, path, role, request (json= or content=), status
    ("annotations: not JSON", "POST", "/api/annotations", "annotator", {"content": b"[{\"item_id\": "}, 422),
    ("items: not JSON", "POST", "/api/items", "reviewer", {"content": b"{]"}, 422),
    ("predictions: not JSON", "POST", "/api/predictions", "annotator", {"content": b"nope"}, 422),
    ("annotations: an object, not a list", "POST", "/api/annotations", "annotator", {"json": ANNOTATION}, 422),
    ("annotations: a label that is a number", "POST", "/api/annotations", "annotator",
     {"json": [{"item_id": "T1", "label": 5}]}, 422),
    ("annotations: an unknown label", "POST", "/api/annotations", "annotator",
     {"json": [ANNOTATION, {"item_id": "T2", "label": "refunds"}]}, 422),
    ("annotations: an unknown item", "POST", "/api/annotations", "annotator",
     {"json": [ANNOTATION, {"item_id": "T99", "label": "billing"}]}, 422),
    ("annotations: an unknown field", "POST", "/api/annotations", "annotator",
     {"json": [{**ANNOTATION, "colour": "red"}]}, 422),
    ("annotations: a bad timestamp", "POST", "/api/annotations", "annotator",
     {"json": [{**ANNOTATION, "created_at": "yesterday"}]}, 422),
    ("one annotation: an unknown item", "POST", "/api/items/T99/annotations", "annotator",
     {"json": {"label": "billing"}}, 422),
    ("items: a payload that is text", "POST", "/api/items", "reviewer",
     {"json": [{"item_id": "T7", "payload": "refund"}]}, 422),
    ("items: an unknown field", "POST", "/api/items", "reviewer",
     {"json": [{"item_id": "T7", "payload": {}, "colour": "red"}]}, 422),
    ("items: a reserved payload field", "POST", "/api/items", "reviewer",
     {"json": [{"item_id": "T7", "payload": {"segment": "smb"}}]}, 422),
    ("items: an id twice", "POST", "/api/items", "reviewer",
     {"json": [{"item_id": "T7", "payload": {}}, {"item_id": "T7", "payload": {}}]}, 422),
    ("items: a known id with another payload", "POST", "/api/items", "reviewer",
     {"json": [{"item_id": "T8", "payload": {}}, {"item_id": "T1", "payload": {"text": "changed"}}]}, 422),
    ("items: a bad timestamp", "POST", "/api/items", "reviewer",
     {"json": [{"item_id": "T7", "payload": {}, "created_at": "2026-13-45"}]}, 422),
    ("predictions: none", "POST", "/api/predictions", "annotator", {"json": []}, 422),
    ("predictions: a score that is text", "POST", "/api/predictions", "annotator",
     {"json": [{**PREDICTION, "score": "high"}]}, 422),
    ("predictions: no time", "POST", "/api/predictions", "annotator",
     {"json": [{"prediction_id": "p1", "prediction": "billing"}]}, 422),
    ("predictions: a bad time", "POST", "/api/predictions", "annotator",
     {"json": [{**PREDICTION, "predicted_at": "soon"}]}, 422),
    ("predictions: a feature that is an object", "POST", "/api/predictions", "annotator",
     {"json": [{**PREDICTION, "words": {"n": 3}}]}, 422),
    ("predictions: a column named outcome", "POST", "/api/predictions", "annotator",
     {"json": [{**PREDICTION, "outcome": "billing"}]}, 422),
    ("predictions: a feature that is text, then a number", "POST", "/api/predictions", "reviewer",
     {"json": [PREDICTION, {**PREDICTION, "prediction_id": "p2", "words": "three"}]}, 422),
    ("predictions: an id twice", "POST", "/api/predictions", "reviewer", {"json": [PREDICTION, PREDICTION]}, 422),
    ("outcomes: no prediction logged", "POST", "/api/outcomes", "reviewer",
     {"json": [{"prediction_id": "p1", "outcome": "billing", "observed_at": "2026-01-06T00:00:00Z"}]}, 422),
    ("outcomes: an unknown field", "POST", "/api/outcomes", "annotator",
     {"json": [{"prediction_id": "p1", "outcome": "billing", "observed_at": "2026-01-06", "model": "x"}]}, 422),
    ("releases: an unknown field", "POST", "/api/releases", "admin", {"json": {"name": "r1", "colour": 1}}, 422),
    ("releases: a name with spaces", "POST", "/api/releases", "admin", {"json": {"name": "my release"}}, 422),
    ("tokens: an unknown role", "POST", "/api/tokens", "admin", {"json": {"name": "bot", "role": "owner"}}, 422),
    ("tokens: a blank name", "POST", "/api/tokens", "admin", {"json": {"name": "  ", "role": "viewer"}}, 422),
    ("tokens: revoke a name without tokens", "DELETE", "/api/tokens/nobody", "admin", {}, 404),
    ("feedback: an unknown verdict", "POST", "/api/feedback", "annotator",
     {"json": [{"question": "q?", "verdict": "maybe"}]}, 422),
    ("feedback: a correction of a correct answer", "POST", "/api/feedback", "annotator",
     {"json": [{"question": "q?", "sql": "SELECT 1", "verdict": "correct", "corrected_sql": "SELECT 2"}]}, 422),
    ("eval answers: a golden set outside the workspace", "POST", "/api/eval-runs/answers", "annotator",
     {"json": {"agent": "bot", "answers": {"q1": {"sql": "SELECT 1"}}, "golden": "../../etc/passwd"}}, 422),
    ("eval answers: an answer that says nothing", "POST", "/api/eval-runs/answers", "annotator",
     {"json": {"agent": "bot", "answers": {"q1": {}}}}, 422),
    ("pages: limit 0", "GET", "/api/items?limit=0", "viewer", {}, 422),
    ("pages: limit over the maximum", "GET", "/api/annotations?limit=100000", "viewer", {}, 422),
    ("pages: a negative offset", "GET", "/api/releases?offset=-1", "viewer", {}, 422),
    ("consensus: an unknown method", "GET", "/api/consensus?method=vote", "viewer", {}, 422),
    ("findings: an unknown severity", "GET", "/api/findings?severity=fatal", "viewer", {}, 422),
    ("datasheet: an unknown format", "GET", "/api/releases/r1/datasheet?format=pdf", "viewer", {}, 422),
    ("no such path", "GET", "/api/nothing-here", "viewer", {}, 404),
]


@pytest.mark.parametrize(("method", "path", "role", "request_", "status"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_a_bad_request_is_a_4xx_envelope_and_writes_nothing(
    served_sqlite: Served, method: str, path: str, role: str, request_: dict[str, Any], status: int,
) -> None:
    before = footprint(served_sqlite)
    response = served_sqlite.client.request(method, path, headers=served_sqlite.auth(role), **request_)
    assert_envelope(response, status)
    assert footprint(served_sqlite) == before


def test_row_problems_name_the_row_field_found_and_expected(served_sqlite: Served) -> None:
    rows = [ANNOTATION, {"item_id": "T2", "label": "refunds"}]
    body = assert_envelope(served_sqlite.client.post("/api/annotations", json=rows,
                                                     headers=served_sqlite.auth("annotator")), 422)
    assert body["errors"] == [{"file": "request body", "row": 1, "field": "label", "found": "label 'refunds'",
                               "expected": body["errors"][0]["expected"]}]
    assert "billing" in body["errors"][0]["expected"]


def test_a_write_that_breaks_the_production_log_rules_adds_no_part(served_sqlite: Served) -> None:
    writer = served_sqlite.auth("annotator")
    first = served_sqlite.client.post("/api/predictions", json=[PREDICTION], headers=served_sqlite.auth("reviewer"))
    assert first.status_code == 201  # a reviewer's first write fixes the types the annotator's writes must keep
    before = footprint(served_sqlite)
    cases = [("/api/predictions", [{**PREDICTION, "prediction_id": "p2", "prediction": 3}]),  # a type changes
             ("/api/predictions", [{**PREDICTION, "prediction_id": "p3"}, PREDICTION]),  # p1 logged before
             ("/api/outcomes", [{"prediction_id": "p1", "outcome": 1, "observed_at": "2026-01-06"}]),  # not text
             ("/api/outcomes", [{"prediction_id": "p1", "outcome": "billing", "observed_at": "2026-01-04"}])]
    for path, rows in cases:
        body = assert_envelope(served_sqlite.client.post(path, json=rows, headers=writer), 422)
        assert body["errors"], path
    assert footprint(served_sqlite) == before


@pytest.mark.parametrize(("path", "rows"), [
    ("/api/annotations", [ANNOTATION] * (MAX_ROWS + 1)),
    ("/api/items", [{"item_id": f"N{i}", "payload": {}} for i in range(MAX_ROWS + 1)]),
    ("/api/predictions", [{**PREDICTION, "prediction_id": str(i)} for i in range(MAX_ROWS + 1)]),
], ids=["annotations", "items", "predictions"])
def test_too_many_rows_are_refused_whole(served_sqlite: Served, path: str, rows: list[dict[str, Any]]) -> None:
    before = footprint(served_sqlite)
    assert_envelope(served_sqlite.client.post(path, json=rows, headers=served_sqlite.auth("admin")), 422)
    assert footprint(served_sqlite) == before


@pytest.mark.parametrize("path", ["/api/annotations", "/api/items", "/api/predictions", "/api/releases"])
def test_a_body_over_8_mib_is_a_413_before_anything_is_read(served_sqlite: Served, path: str) -> None:
    before = footprint(served_sqlite)
    body = json.dumps([{"item_id": "T1", "note": "x" * (MAX_BODY_BYTES + 1)}]).encode()
    response = served_sqlite.client.post(path, content=body, headers={
        **served_sqlite.auth("admin"), "Content-Type": "application/json"})
    assert_envelope(response, 413)
    assert footprint(served_sqlite) == before


WRITES = [
    ("annotations", "/api/annotations", [ANNOTATION], [{"item_id": "T2", "label": "billing"}]),
    ("items", "/api/items", [{"item_id": "T7", "payload": {"text": "x"}}], [{"item_id": "T8", "payload": {}}]),
    ("predictions", "/api/predictions", [PREDICTION], [{**PREDICTION, "prediction_id": "p2"}]),
    ("releases", "/api/releases", {"name": "r1"}, {"name": "r2"}),
    ("tokens", "/api/tokens", {"name": "bot", "role": "viewer"}, {"name": "bot", "role": "admin"}),
    ("feedback", "/api/feedback", [{"question": "q?", "verdict": "correct"}],
     [{"question": "p?", "verdict": "correct"}]),
]


@pytest.mark.parametrize(("path", "body", "_other"), [w[1:] for w in WRITES], ids=[w[0] for w in WRITES])
def test_the_same_idempotency_key_twice_applies_once_and_replays(
    served_sqlite: Served, path: str, body: Any, _other: Any,
) -> None:
    headers = {**served_sqlite.auth("admin"), "Idempotency-Key": "retry-7"}
    first = served_sqlite.client.post(path, json=body, headers=headers)
    assert first.status_code in (200, 201), first.text
    assert "Idempotent-Replayed" not in first.headers
    after_first = footprint(served_sqlite)
    again = served_sqlite.client.post(path, json=body, headers=headers)
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (first.status_code, "true")
    expected = {k: v for k, v in first.json().items() if k != "token"}
    assert {k: v for k, v in again.json().items() if k != "token"} == expected
    assert footprint(served_sqlite) == after_first


@pytest.mark.parametrize(("path", "body", "other"), [w[1:] for w in WRITES], ids=[w[0] for w in WRITES])
def test_the_same_idempotency_key_with_another_request_is_a_422_and_writes_nothing(
    served_sqlite: Served, path: str, body: Any, other: Any,
) -> None:
    headers = {**served_sqlite.auth("admin"), "Idempotency-Key": "retry-8"}
    assert served_sqlite.client.post(path, json=body, headers=headers).status_code in (200, 201)
    before = footprint(served_sqlite)
    body_of = assert_envelope(served_sqlite.client.post(path, json=other, headers=headers), 422)
    assert "Idempotency-Key" in body_of["error"]
    assert footprint(served_sqlite) == before


def test_a_replayed_token_creation_does_not_show_the_token_again(served_sqlite: Served) -> None:
    headers = {**served_sqlite.auth("admin"), "Idempotency-Key": "token-1"}
    first = served_sqlite.client.post("/api/tokens", json={"name": "bot", "role": "viewer"}, headers=headers)
    again = served_sqlite.client.post("/api/tokens", json={"name": "bot", "role": "viewer"}, headers=headers)
    assert first.json()["token"].startswith("ak_")
    assert again.json()["token"] is None
    with served_sqlite.workspace.reading() as connection:
        stored = json.dumps(connection.execute(select(t.idempotency_keys.c.response)).scalars().all())
    assert first.json()["token"] not in stored


def test_a_refused_request_does_not_use_up_its_idempotency_key(served_sqlite: Served) -> None:
    headers = {**served_sqlite.auth("annotator"), "Idempotency-Key": "k-1"}
    for _ in range(2):  # refused each time: a refusal is not recorded under the key
        assert_envelope(served_sqlite.client.post("/api/annotations", json=[{"item_id": "T99", "label": "billing"}],
                                                  headers=headers), 422)
    fixed = served_sqlite.client.post("/api/annotations", json=[ANNOTATION], headers=headers)
    assert fixed.status_code == 201


@pytest.mark.parametrize("warehouse", ["/etc/hostname", "../outside.duckdb", "link.duckdb", "golden.jsonl",
                                       "missing.duckdb", "bad\u0000name.duckdb"])
def test_an_eval_warehouse_must_be_a_duckdb_file_inside_the_workspace(served_sqlite: Served, warehouse: str) -> None:
    root = served_sqlite.workspace.root
    (root / "golden.jsonl").write_text(json.dumps({"id": "q1", "question": "One?", "gold_sql": "SELECT 1"}) + "\n",
                                       encoding="utf-8")
    (root.parent / "outside.duckdb").write_bytes(b"")
    (root / "link.duckdb").symlink_to(root.parent / "outside.duckdb")
    before = footprint(served_sqlite)
    body = {"agent": "bot", "answers": {"q1": {"sql": "SELECT 1"}}, "warehouse": warehouse}
    refused = assert_envelope(served_sqlite.client.post("/api/eval-runs/answers", json=body,
                                                        headers=served_sqlite.auth("annotator")), 422)
    assert refused["error"].startswith("warehouse must be")
    assert footprint(served_sqlite) == before


def test_a_write_whose_transaction_fails_after_the_rename_takes_its_part_out_again(
    served_sqlite: Served, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing_audit(*_args: Any) -> None:
        raise RuntimeError("the audit insert failed")

    before = footprint(served_sqlite)
    monkeypatch.setattr("answerkey.web.writer.record_audit", failing_audit)
    with pytest.raises(RuntimeError, match="audit insert failed"):
        served_sqlite.client.post("/api/predictions", json=[PREDICTION], headers=served_sqlite.auth("reviewer"))
    assert footprint(served_sqlite) == before
