"""Hostile answers pushed to a real ``answerkey serve`` by an annotator's token: the server stays up, every
question gets exactly one verdict, the warehouse file is unchanged, the gold stays hidden from the token, and
the token is rate limited. Before the sandbox one of these answers killed the server process."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pytest

from answerkey.config import DATABASE_URL_ENV
from answerkey.project import Workspace
from answerkey.project.access import create_token
from conftest import make_schema, serve_process

HOSTILE = [
    "SELECT * FROM enable_logging(storage='file', storage_path='/x')",
    "SELECT * FROM enable_profiling(save_location='/tmp/answerkey-x')",
    "SELECT path FROM duckdb_databases()", "SELECT * FROM duckdb_settings()",
    "CREATE TEMP VIEW plans AS SELECT 1 AS name", "SELECT 1; CREATE TEMP VIEW plans AS SELECT 1",
    "SELECT 1 /* x", "SELECT " + "(SELECT " * 300 + "1" + ")" * 300, "SELECT length(repeat('x', 2000000000))",
    "SELECT count(*) FROM range(1000000000000)", "SELECT :x",
]


@dataclass
class Server:
    url: str
    root: Path
    annotator: dict[str, str]
    reviewer: dict[str, str]


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """``answerkey serve`` as its own process over a workspace with a warehouse and a golden set."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    workspace = Workspace.init(tmp_path / "ws", schema=make_schema())
    root = workspace.root
    with duckdb.connect(str(root / "warehouse.duckdb")) as connection:
        connection.execute("CREATE TABLE plans AS SELECT * FROM (VALUES ('basic', 10), ('pro', 30)) t(name, price)")
    questions = [{"id": f"q{n}", "question": "?", "gold_sql": "SELECT count(*) FROM plans"}
                 for n in range(len(HOSTILE) + 1)]
    (root / "golden.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    annotator = create_token(workspace, "agent", "annotator")[1]
    reviewer = create_token(workspace, "rita", "reviewer")[1]
    workspace.close()
    with serve_process(root) as url:
        yield Server(url, root, {"Authorization": f"Bearer {annotator}"}, {"Authorization": f"Bearer {reviewer}"})


def test_hostile_answers_pushed_over_http_leave_the_server_up_and_each_get_one_verdict(server: Server) -> None:
    warehouse = server.root / "warehouse.duckdb"
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    answers = {f"q{n}": {"sql": sql} for n, sql in enumerate(HOSTILE)}
    answers[f"q{len(HOSTILE)}"] = {"sql": "SELECT count(name) FROM plans"}
    with httpx.Client(base_url=server.url, timeout=300) as http:
        pushed = http.post("/api/eval-runs/answers", json={"agent": "hostile", "answers": answers},
                           headers=server.annotator)
        assert pushed.status_code == 201, pushed.text
        assert "context_gaps" not in pushed.json()["summary"]
        run = http.get(f"/api/eval-runs/{pushed.json()['run_id']}", headers=server.annotator).json()
        verdicts = {r["question_id"]: r["verdict"] for r in run["results"]}
        assert sorted(verdicts) == sorted(answers)
        assert "pass" not in {verdicts[f"q{n}"] for n in range(len(HOSTILE))}
        assert verdicts[f"q{len(HOSTILE)}"] == "pass"
        assert "SELECT count(*) FROM plans" not in json.dumps(run)
        again = http.post("/api/eval-runs/answers", json={"agent": "plain", "answers": {
            "q0": {"sql": "SELECT count(*) FROM plans"}}}, headers=server.reviewer)
        assert again.status_code == 201
        assert again.json()["summary"]["passed"] == 1
        assert http.get("/api/status", headers=server.reviewer).status_code == 200
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
