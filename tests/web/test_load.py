"""A short load test on a real ``answerkey serve`` over SQLite: 20 clients posting annotations at once for 5 s lose
no acknowledged write, get no 5xx, and a replayed Idempotency-Key adds nothing. No timing is asserted (the full
load test with latencies is ``benchmarks/bench_api.py``)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from answerkey.config import DATABASE_URL_ENV
from answerkey.project import Workspace, import_items
from answerkey.project.access import create_token
from conftest import make_schema, serve_process, write_text

CLIENTS = 20
SECONDS = 5.0
ROWS = 4
ITEMS = 200
LABELS = ("billing", "technical", "account")


@dataclass
class Server:
    url: str
    database: Path
    tokens: list[str]


@dataclass
class Sent:
    """What one client sent and what the server answered."""

    client: int
    key: str
    rows: list[dict[str, str]]
    status: int | str
    body: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """``answerkey serve`` as its own process on a SQLite workspace of 200 items, a token per client."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    workspace = Workspace.init(tmp_path / "ws", schema=make_schema())
    items = "item_id,text\n" + "".join(f"I{n:04d},ticket {n}\n" for n in range(ITEMS))
    import_items(workspace, write_text(tmp_path / "items.csv", items))
    tokens = [create_token(workspace, f"loader-{n:02d}", "annotator")[1] for n in range(CLIENTS)]
    workspace.close()
    with serve_process(tmp_path / "ws") as url:
        yield Server(url, tmp_path / "ws" / ".answerkey" / "store.db", tokens)


def _rows(client: int, number: int, key: str) -> list[dict[str, str]]:
    """Rows no other request repeats (each client's own times), each naming its request in the note."""
    return [{"item_id": f"I{(client * 37 + number * ROWS + j) % ITEMS:04d}", "label": LABELS[(number + j) % 3],
             "created_at": f"2026-01-01T00:00:00.{number * ROWS + j:06d}Z", "note": f"{key}#{j}"}
            for j in range(ROWS)]


def _post(http: httpx.Client, sent: Sent) -> Sent:
    try:
        response = http.post("/api/annotations", json=sent.rows, headers={"Idempotency-Key": sent.key})
    except httpx.TransportError as exc:
        return Sent(sent.client, sent.key, sent.rows, type(exc).__name__)
    replayed = response.headers.get("Idempotent-Replayed") == "true"
    return Sent(sent.client, sent.key, sent.rows, response.status_code, {**response.json(), "replayed": replayed})


def _client(server: Server, client: int, stop: float) -> list[Sent]:
    results = []
    headers = {"Authorization": f"Bearer {server.tokens[client]}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
        number = 0
        while time.monotonic() < stop:
            key = f"load-{client:02d}-{number:05d}"
            results.append(_post(http, Sent(client, key, _rows(client, number, key), "unsent")))
            number += 1
    return results


def _replay(server: Server, sent: list[Sent]) -> list[Sent]:
    headers = {"Authorization": f"Bearer {server.tokens[sent[0].client]}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
        return [_post(http, request) for request in sent]


def _stored_notes(database: Path) -> list[str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return [row[0] for row in connection.execute("SELECT note FROM annotations WHERE note LIKE 'load-%'")]


def test_concurrent_clients_lose_no_acknowledged_write_and_replays_add_nothing(server: Server) -> None:
    stop = time.monotonic() + SECONDS
    barrier = threading.Barrier(CLIENTS)

    def run(client: int) -> list[Sent]:
        barrier.wait()
        return _client(server, client, stop)

    with ThreadPoolExecutor(CLIENTS) as pool:
        sent = [result for results in pool.map(run, range(CLIENTS)) for result in results]

    assert len(sent) >= CLIENTS  # every client got at least one answer
    assert [s for s in sent if not isinstance(s.status, int)] == []  # every request was answered
    assert [s.status for s in sent if isinstance(s.status, int) and s.status >= 500] == []
    assert {s.status for s in sent} == {201}
    acknowledged = sum(s.body["rows_added"] for s in sent)
    assert acknowledged == ROWS * len(sent)  # every row unique: none was a duplicate
    notes = _stored_notes(server.database)
    assert len(notes) == acknowledged
    assert set(notes) == {row["note"] for s in sent for row in s.rows}

    by_client: dict[int, list[Sent]] = {}
    for request in sent:
        by_client.setdefault(request.client, []).append(request)
    with ThreadPoolExecutor(CLIENTS) as pool:
        replays = [r for results in pool.map(lambda group: _replay(server, group), by_client.values())
                   for r in results]
    first = {s.key: s.body for s in sent}
    assert [r.key for r in replays if r.status != 201 or not r.body["replayed"]] == []
    assert all(r.body["rows_added"] == first[r.key]["rows_added"] for r in replays)
    assert len(_stored_notes(server.database)) == acknowledged
