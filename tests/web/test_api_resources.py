"""The API's resources on their happy paths (on SQLite and PostgreSQL where the store is involved): items,
consensus, findings, releases, the production log, agent evaluations and feedback, tokens and the audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from answerkey.findings import Finding, Severity
from answerkey.project.findings_log import record_findings
from conftest import Served, declare_production_columns


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is True
    return body


def test_items_come_in_pages_whose_next_offset_leads_to_the_last_page(served: Served) -> None:
    viewer = served.auth("viewer")
    first = ok(served.client.get("/api/items?limit=4", headers=viewer))
    assert [i["item_id"] for i in first["items"]] == ["T1", "T2", "T3", "T4"]
    assert (first["total"], first["next_offset"]) == (6, 4)
    last = ok(served.client.get(f"/api/items?limit=4&offset={first['next_offset']}", headers=viewer))
    assert [i["item_id"] for i in last["items"]] == ["T5", "T6"]
    assert last["next_offset"] is None


def test_items_of_one_segment_are_listed_alone(served: Served) -> None:
    body = ok(served.client.get("/api/items?segment=enterprise", headers=served.auth("viewer")))
    assert [i["item_id"] for i in body["items"]] == ["T2", "T5"]
    assert body["total"] == 2


def test_an_item_shows_its_payload_segment_and_number_of_judgements(served: Served) -> None:
    body = ok(served.client.get("/api/items/T6", headers=served.auth("viewer")))
    assert body["payload"] == {"text": "charged twice"}
    assert (body["segment"], body["group_id"], body["annotations"]) == ("smb", None, 2)


def test_an_unknown_item_is_a_404_in_the_envelope(served: Served) -> None:
    response = served.client.get("/api/items/T99", headers=served.auth("viewer"))
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error": response.json()["error"], "errors": [], "status": 404}
    assert "T99" in response.json()["error"]


def test_a_reviewer_adds_items_and_a_known_item_sent_again_unchanged_is_skipped(served: Served) -> None:
    rows = [{"item_id": "T7", "payload": {"text": "refund twice", "words": 2}, "segment": "smb",
             "group_id": "g1", "created_at": "2026-03-01T14:30:00+01:00"},
            {"item_id": "T1", "payload": {"text": "refund please"}}]
    body = ok(served.client.post("/api/items", json=rows, headers=served.auth("reviewer")), 201)
    assert (body["rows_read"], body["items_added"], body["items_skipped"]) == (2, 1, 1)
    item = ok(served.client.get("/api/items/T7", headers=served.auth("viewer")))
    assert item["payload"] == {"text": "refund twice", "words": 2}
    assert (item["group_id"], item["created_at"], item["annotations"]) == ("g1", "2026-03-01T13:30:00", 0)


def test_consensus_pages_every_judged_item_with_the_method_and_status_counts(served: Served) -> None:
    body = ok(served.client.get("/api/consensus?limit=2&method=majority", headers=served.auth("viewer")))
    assert body["method"] == "majority"
    assert (body["total"], body["next_offset"]) == (6, 2)
    assert body["items"][0] == {"item_id": "T1", "label": "billing", "confidence": pytest.approx(2 / 3),
                                "status": "agreed"}
    assert body["status_counts"] == {"agreed": 4, "disputed": 2}


def test_one_items_consensus_says_disputed_or_unlabeled(served: Served) -> None:
    viewer = served.auth("viewer")
    assert ok(served.client.get("/api/consensus/T3", headers=viewer))["status"] == "disputed"
    ok(served.client.post("/api/items", json=[{"item_id": "T8", "payload": {}}], headers=served.auth("reviewer")), 201)
    body = ok(served.client.get("/api/consensus/T8", headers=viewer))
    assert (body["label"], body["status"]) == (None, "unlabeled")
    assert served.client.get("/api/consensus/T99", headers=viewer).status_code == 404


def test_recorded_findings_are_listed_by_check_prefix_and_severity(served: Served) -> None:
    record_findings(served.workspace, [
        Finding("leakage.duplicate", "T1 and T4 are near-duplicates", "T1, T4", Severity.ERROR, 0.97, {"pair": 1}),
        Finding("leakage.feature", "feature x predicts the label", "x", Severity.WARNING, 0.8),
    ], "leakage features.parquet")
    record_findings(served.workspace, [Finding("labels.feedback", "selective labels", "smb", Severity.INFO)],
                    "labels feedback-check")
    viewer = served.auth("viewer")
    every = ok(served.client.get("/api/findings", headers=viewer))
    assert every["total"] == 3
    leakage = ok(served.client.get("/api/findings?check=leakage&severity=error", headers=viewer))
    assert leakage["items"] == [{"check": "leakage.duplicate", "what": "T1 and T4 are near-duplicates",
                                 "where": "T1, T4", "severity": "error", "score": 0.97, "evidence": {"pair": 1}}]


def test_a_release_is_cut_listed_shown_paged_diffed_and_described(served: Served) -> None:
    admin, viewer = served.auth("admin"), served.auth("viewer")
    first = ok(served.client.post("/api/releases", json={"name": "2026-11", "note": "first"}, headers=admin), 201)
    assert (first["name"], first["items"], first["note"]) == ("2026-11", 6, "first")
    ok(served.client.post("/api/items", json=[{"item_id": "T7", "payload": {}}], headers=served.auth("reviewer")), 201)
    ok(served.client.post("/api/releases", json={"name": "2026-12"}, headers=admin), 201)
    listed = ok(served.client.get("/api/releases", headers=viewer))
    assert [r["name"] for r in listed["items"]] == ["2026-11", "2026-12"]
    shown = ok(served.client.get("/api/releases/2026-11", headers=viewer))
    assert shown["content_hash"] == first["content_hash"]
    labels = ok(served.client.get("/api/releases/2026-11/labels?limit=5&offset=5", headers=viewer))
    assert (labels["total"], labels["next_offset"], [r["item_id"] for r in labels["items"]]) == (6, None, ["T6"])
    diff = ok(served.client.get("/api/releases/2026-11/diff/2026-12", headers=viewer))
    assert (diff["added"], diff["removed"], diff["changed"]) == (["T7"], [], [])
    markdown = served.client.get("/api/releases/2026-11/datasheet", headers=viewer)
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith("# Datasheet:")
    page = served.client.get("/api/releases/2026-11/datasheet?format=html", headers=viewer)
    assert page.headers["content-type"].startswith("text/html")
    assert "<table" in page.text


def test_an_unknown_release_is_a_404_for_each_of_its_reads(served: Served) -> None:
    viewer = served.auth("viewer")
    for path in ("/api/releases/nope", "/api/releases/nope/labels", "/api/releases/nope/diff/nope",
                 "/api/releases/nope/datasheet"):
        response = served.client.get(path, headers=viewer)
        assert (response.status_code, response.json()["status"]) == (404, 404), path


PREDICTIONS = [
    {"prediction_id": "p1", "predicted_at": "2026-01-05T09:00:00Z", "model": "router", "prediction": "billing",
     "segment": "smb", "words": 3},
    {"prediction_id": "p2", "predicted_at": "2026-01-05T08:00:00+01:00", "model": "router",
     "prediction": "technical", "segment": "enterprise", "words": 7},
]


def test_predictions_and_outcomes_are_logged_as_parquet_parts_that_monitoring_reads(served_sqlite: Served) -> None:
    from answerkey.monitoring import load_prediction_log
    from answerkey.monitoring.realized import realized_performance

    declare_production_columns(served_sqlite.workspace, {"prediction": "text", "segment": "text",
                                                         "words": "number", "channel": "text"})
    client, writer = served_sqlite.client, served_sqlite.auth("annotator")  # the model service's token
    ok(client.post("/api/predictions", json=PREDICTIONS, headers=writer), 201)
    later = [{"prediction_id": 3, "predicted_at": "2026-01-12T09:00:00Z", "model": "router",
              "prediction": "account", "words": 2, "channel": "email"}]
    added = ok(client.post("/api/predictions", json=later, headers=writer), 201)
    assert added["rows_added"] == 1
    assert added["part"].startswith(".answerkey/production/predictions/part-")
    outcomes = [{"prediction_id": "p1", "outcome": "billing", "observed_at": "2026-01-06T00:00:00Z"},
                {"prediction_id": "3", "outcome": "billing", "observed_at": "2026-01-13T00:00:00Z"}]
    ok(client.post("/api/outcomes", json=outcomes, headers=writer), 201)

    page = ok(client.get("/api/predictions?limit=2", headers=served_sqlite.auth("viewer")))
    assert (page["total"], page["next_offset"]) == (3, 2)
    assert page["items"][0] == {"prediction_id": "p2", "predicted_at": "2026-01-05T07:00:00", "model": "router",
                                "prediction": "technical", "segment": "enterprise", "words": 7.0, "channel": None}
    one = ok(client.get("/api/outcomes?prediction_id=3", headers=served_sqlite.auth("viewer")))
    assert one["items"] == [{"prediction_id": "3", "outcome": "billing", "observed_at": "2026-01-13T00:00:00"}]

    root = served_sqlite.workspace.root
    log = load_prediction_log(str(root / ".answerkey/production/predictions/*.parquet"),
                              str(root / ".answerkey/production/outcomes/*.parquet"))
    accuracy = realized_performance(log, window="month", min_labels=1)
    assert accuracy.loc[accuracy["metric"] == "accuracy", "value"].tolist() == [0.5]


def _analytics_files(root: Path) -> None:
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        con.execute("CREATE TABLE plans AS SELECT * FROM (VALUES ('basic', 10), ('pro', 30)) t(name, price)")
    questions = [{"id": "q1", "question": "How many plans are there?", "gold_sql": "SELECT count(*) FROM plans"},
                 {"id": "q2", "question": "What does pro cost?",
                  "gold_sql": "SELECT price FROM plans WHERE name = 'pro'"}]
    (root / "golden.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")


def test_pushed_answers_are_judged_recorded_and_read_back_with_both_result_tables(served: Served) -> None:
    _analytics_files(served.workspace.root)
    answers = {"agent": "sql-bot 1.2", "answers": {
        "q1": {"sql": "SELECT count(*) AS n FROM plans", "context_used": ["plans"]},
        "q2": {"sql": "SELECT price FROM plans WHERE name = 'basic'"}}}
    pushed = ok(served.client.post("/api/eval-runs/answers", json=answers, headers=served.auth("annotator")), 201)
    assert (pushed["summary"]["questions"], pushed["summary"]["passed"]) == (2, 1)
    runs = ok(served.client.get("/api/eval-runs", headers=served.auth("viewer")))
    assert [(r["run_id"], r["agent"], r["passed"]) for r in runs["items"]] == [(pushed["run_id"], "sql-bot 1.2", 1)]
    run = ok(served.client.get(f"/api/eval-runs/{pushed['run_id']}", headers=served.auth("reviewer")))
    verdicts = {r["question_id"]: (r["verdict"], r["question"]) for r in run["results"]}
    assert verdicts == {"q1": ("pass", "How many plans are there?"), "q2": ("result-mismatch", "What does pro cost?")}
    assert run["summary"]["verdicts"] == {"pass": 1, "result-mismatch": 1}
    detail = ok(served.client.get(f"/api/eval-runs/{pushed['run_id']}/questions/q2",
                                  headers=served.auth("reviewer")))
    assert (detail["gold"]["rows"], detail["answer"]["rows"]) == ([[30]], [[10]])
    assert served.client.get(f"/api/eval-runs/{pushed['run_id']}/questions/q9",
                             headers=served.auth("viewer")).status_code == 404
    assert served.client.get("/api/eval-runs/nope", headers=served.auth("viewer")).status_code == 404


def test_the_token_that_pushes_answers_sees_its_verdicts_but_never_the_gold(served: Served) -> None:
    _analytics_files(served.workspace.root)
    answers = {"agent": "sql-bot", "answers": {"q1": {"sql": "SELECT 3"}, "q2": {"result": {
        "columns": ["price"], "rows": [[10]]}}}}
    pushed = ok(served.client.post("/api/eval-runs/answers", json=answers, headers=served.auth("annotator")), 201)
    for role in ("annotator", "viewer"):
        run = ok(served.client.get(f"/api/eval-runs/{pushed['run_id']}", headers=served.auth(role)))
        shown = json.dumps(run)
        assert "SELECT count(*) FROM plans" not in shown
        assert "name = 'pro'" not in shown
        assert "first_difference" not in shown
        assert "gold_sql" not in shown
        assert [(r["verdict"], r["reason"]) for r in run["results"]] == [
            ("result-mismatch", "the result differs from the gold")] * 2
        assert all("gold_sql" not in r and "first_difference" not in r and "row_f1" not in r for r in run["results"])
        for question in ("q1", "q2"):  # q2's answer was a result: no SQL to run again, and no 500
            detail = ok(served.client.get(f"/api/eval-runs/{pushed['run_id']}/questions/{question}",
                                          headers=served.auth(role)))
            assert detail["gold"] == {"sql": None, "columns": None, "rows": None, "rows_total": None,
                                      "error": "the gold is shown to reviewers only"}
    revealed = ok(served.client.get(f"/api/eval-runs/{pushed['run_id']}", headers=served.auth("reviewer")))
    assert [r["gold_sql"] for r in revealed["results"]] == ["SELECT count(*) FROM plans",
                                                            "SELECT price FROM plans WHERE name = 'pro'"]


def test_a_push_cannot_read_another_workspace_file_through_the_golden_sets_errors(served: Served) -> None:
    _analytics_files(served.workspace.root)
    (served.workspace.root / "secrets.jsonl").write_text('{"id": "x", "token": "S3CRET"}\n', encoding="utf-8")
    body = {"agent": "sql-bot", "answers": {"x": {"sql": "SELECT 1"}}, "golden": "secrets.jsonl"}
    refused = served.client.post("/api/eval-runs/answers", json=body, headers=served.auth("annotator"))
    assert refused.status_code == 422
    assert "S3CRET" not in refused.text
    assert "a reviewer can run `answerkey golden check`" in refused.json()["error"]
    shown = served.client.post("/api/eval-runs/answers", json=body, headers=served.auth("reviewer"))
    assert shown.status_code == 422  # a reviewer may see why the file is not a golden set


def test_the_compare_page_tells_a_viewer_what_changed_but_not_the_gold_values(served: Served) -> None:
    _analytics_files(served.workspace.root)
    runs = [ok(served.client.post("/api/eval-runs/answers", json={"agent": "bot", "answers": {"q2": {"sql": sql}}},
                                  headers=served.auth("reviewer")), 201)["run_id"]
            for sql in ("SELECT price FROM plans WHERE name = 'pro'", "SELECT 31")]
    path = f"/evals/compare?before={runs[0]}&after={runs[1]}"
    assert served.sign_in("reviewer").status_code == 303
    assert "gold 30" in served.client.get(path).text  # the reason names the gold's value
    served.client.cookies.clear()
    assert served.sign_in("viewer").status_code == 303
    page = served.client.get(path).text
    assert "gold 30" not in page
    assert "the result differs from the gold" in page


def test_pushes_are_rate_limited_per_token(served: Served) -> None:
    _analytics_files(served.workspace.root)
    body = {"agent": "sql-bot", "answers": {"q1": {"sql": "SELECT count(*) FROM plans"}}}
    served.client.app.state.push_limiter.window_s = 3600.0  # a slow store must not let the first push age out
    statuses = [served.client.post("/api/eval-runs/answers", json=body, headers=served.auth("annotator")).status_code
                for _ in range(11)]
    assert statuses == [201] * 10 + [429]
    refused = served.client.post("/api/eval-runs/answers", json=body, headers=served.auth("annotator")).json()
    assert "at most 10 a minute per token" in refused["error"]
    assert served.client.post("/api/eval-runs/answers", json=body, headers=served.auth("reviewer")).status_code == 201


def test_feedback_is_logged_once_under_the_callers_name(served: Served) -> None:
    entry = {"question": "Revenue last month?", "sql": "SELECT 1", "verdict": "incorrect",
             "corrected_sql": "SELECT 2", "asked_at": "2026-02-01T10:00:00Z"}
    first = ok(served.client.post("/api/feedback", json=[entry], headers=served.auth("annotator")), 201)
    again = ok(served.client.post("/api/feedback", json=[entry], headers=served.auth("annotator")), 201)
    assert (first["rows_added"], again["rows_added"]) == (1, 0)
    for_ann = ok(served.client.post("/api/feedback", json=[{**entry, "reviewer": "ann"}],
                                    headers=served.auth("reviewer")), 201)
    assert for_ann["rows_added"] == 0  # the same entry as ann logged it herself


def test_a_token_is_shown_once_listed_without_its_text_and_refused_once_revoked(served: Served) -> None:
    admin = served.auth("admin")
    made = ok(served.client.post("/api/tokens", json={"name": "router-service", "role": "annotator"},
                                 headers=admin), 201)
    token = made["token"]
    assert token.startswith("ak_")
    assert made["role"] == "annotator"
    listed = ok(served.client.get("/api/tokens", headers=admin))
    assert token not in json.dumps(listed)
    assert [t["name"] for t in listed["items"]][-1] == "router-service"
    bearer = {"Authorization": f"Bearer {token}"}
    assert served.client.get("/api/status", headers=bearer).status_code == 200
    assert ok(served.client.delete("/api/tokens/router-service", headers=admin))["revoked"] == 1
    assert served.client.get("/api/status", headers=bearer).status_code == 401
    audit = ok(served.client.get("/api/audit", headers=admin))
    assert token not in json.dumps(audit)


def test_the_audit_log_pages_writes_newest_first_and_by_actor(served: Served) -> None:
    ok(served.client.post("/api/items", json=[{"item_id": "T7", "payload": {}}], headers=served.auth("reviewer")), 201)
    ok(served.client.post("/api/releases", json={"name": "r1"}, headers=served.auth("admin")), 201)
    page = ok(served.client.get("/api/audit?limit=1", headers=served.auth("admin")))
    assert (page["total"], page["next_offset"]) == (2, 1)
    assert (page["items"][0]["action"], page["items"][0]["actor"], page["items"][0]["target"]) == (
        "releases.create", "adam", "r1")
    rita = ok(served.client.get("/api/audit?actor=rita", headers=served.auth("admin")))
    assert [(e["action"], e["role"], e["detail"]["items_added"]) for e in rita["items"]] == [
        ("items.add", "reviewer", 1)]
