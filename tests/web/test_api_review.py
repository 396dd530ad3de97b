"""The review queue and adjudication over HTTP, with optimistic concurrency."""

from __future__ import annotations

from sqlalchemy import func, select

from answerkey.store import tables as t
from conftest import Served


def _count(served: Served, table: object) -> int:
    with served.workspace.reading() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_the_queue_lists_the_disputed_items_first(served: Served) -> None:
    body = served.client.get("/api/review/queue", headers=served.auth("viewer")).json()
    assert body["ok"] is True
    assert {"T3", "T6"} <= {row["item_id"] for row in body["items"]}
    assert body["items"][0]["priority"] >= body["items"][-1]["priority"]


def test_a_review_item_carries_its_judgements_candidates_and_version(served: Served) -> None:
    body = served.client.get("/api/review/items/T3", headers=served.auth("viewer")).json()
    assert [a["label"] for a in body["annotations"]] == ["account", "technical"]
    assert {c["name"] for c in body["candidates"][:2]} == {"technical", "account"}
    assert body["version"] > 0
    assert body["reason"] is not None


def test_an_adjudication_decides_the_item_and_takes_it_off_the_queue(served: Served) -> None:
    version = served.client.get("/api/review/items/T3", headers=served.auth("viewer")).json()["version"]
    response = served.client.post("/api/items/T3/adjudication", headers=served.auth("reviewer"),
                                  json={"label": "account", "note": "login trouble", "expected_version": version})
    assert response.status_code == 201, response.json()
    assert response.json()["label"] == "account"
    after = served.client.get("/api/review/items/T3", headers=served.auth("viewer")).json()
    assert after["consensus"]["label"] == "account"
    assert after["version"] > version
    queue = served.client.get("/api/review/queue", headers=served.auth("viewer")).json()
    assert "T3" not in {row["item_id"] for row in queue["items"]}


def test_a_decision_on_an_item_that_changed_since_is_refused_and_writes_nothing(served: Served) -> None:
    version = served.client.get("/api/review/items/T6", headers=served.auth("viewer")).json()["version"]
    first = served.client.post("/api/items/T6/adjudication", headers=served.auth("reviewer"),
                               json={"label": "billing", "expected_version": version})
    assert first.status_code == 201
    annotations, audit = _count(served, t.annotations), _count(served, t.audit_log)
    second = served.client.post("/api/items/T6/adjudication", headers=served.auth("admin"),
                                json={"label": "technical", "expected_version": version})
    assert second.status_code == 409
    assert set(second.json()) == {"ok", "error", "errors", "status"}
    assert "changed since you opened it" in second.json()["error"]
    assert (_count(served, t.annotations), _count(served, t.audit_log)) == (annotations, audit)


def test_an_annotator_cannot_adjudicate(served: Served) -> None:
    response = served.client.post("/api/items/T3/adjudication", headers=served.auth("annotator"),
                                  json={"label": "account"})
    assert response.status_code == 403
    assert response.json()["ok"] is False


def test_an_adjudication_is_audited_with_who_and_what(served: Served) -> None:
    served.client.post("/api/items/T3/adjudication", headers=served.auth("reviewer"), json={"label": "technical"})
    with served.workspace.reading() as connection:
        row = connection.execute(select(t.audit_log).order_by(t.audit_log.c.audit_id.desc())).mappings().first()
    assert row is not None
    assert (row["actor"], row["role"], row["action"], row["target"]) == ("rita", "reviewer", "adjudicate", "T3")
    assert row["detail"]["label"] == "technical"


def test_an_annotator_cannot_write_a_label_that_outranks_the_crowd(served: Served) -> None:
    before = _count(served, t.annotations)
    for source in ("expert", "adjudicated"):
        response = served.client.post("/api/annotations", headers=served.auth("annotator"),
                                      json=[{"item_id": "T3", "label": "billing", "source": source}])
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "source"
    assert _count(served, t.annotations) == before
    queue = served.client.get("/api/review/queue", headers=served.auth("viewer")).json()
    assert "T3" in {row["item_id"] for row in queue["items"]}


def test_a_retried_decision_with_its_idempotency_key_replays_instead_of_conflicting(served: Served) -> None:
    version = served.client.get("/api/review/items/T3", headers=served.auth("viewer")).json()["version"]
    body = {"label": "account", "expected_version": version}
    headers = {**served.auth("reviewer"), "Idempotency-Key": "decide-T3"}
    first = served.client.post("/api/items/T3/adjudication", headers=headers, json=body)
    again = served.client.post("/api/items/T3/adjudication", headers=headers, json=body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert _count(served, t.audit_log) == 1


def test_consensus_and_the_queue_answer_when_a_new_schema_version_starts_with_an_adjudication(
    served_sqlite: Served,
) -> None:
    from conftest import make_schema, write_schema

    served = served_sqlite
    write_schema(served.workspace, make_schema(version=2))
    for label in ("account", "technical"):  # the second decision works out the first one's consensus
        response = served.client.post("/api/items/T3/adjudication", headers=served.auth("reviewer"),
                                      json={"label": label})
        assert response.status_code == 201, response.json()
    consensus = served.client.get("/api/consensus", headers=served.auth("viewer"))
    assert consensus.status_code == 200, consensus.json()
    assert [(row["item_id"], row["label"]) for row in consensus.json()["items"]] == [("T3", "technical")]
    assert served.client.get("/api/consensus/T3", headers=served.auth("viewer")).json()["label"] == "technical"
    queue = served.client.get("/api/review/queue", headers=served.auth("viewer"))
    assert queue.status_code == 200, queue.json()
    assert queue.json()["items"] == []
    served.sign_in("reviewer")
    assert served.client.get("/review").status_code == 200
    assert served.client.get("/review/T3").status_code == 200
