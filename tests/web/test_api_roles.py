"""Who may call what: every operation of the API against every role (viewer < annotator < reviewer < admin),
and the refusals of a missing, malformed, unknown or revoked token, each in the error envelope."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from answerkey.project.access import ROLES, create_token, revoke_tokens
from conftest import Served, sqlite_served

ROLE_OF: dict[tuple[str, str], str] = {
    ("GET", "/api/status"): "viewer",
    ("GET", "/api/review/queue"): "viewer",
    ("GET", "/api/review/items/{item_id}"): "viewer",
    ("POST", "/api/items/{item_id}/adjudication"): "reviewer",
    ("GET", "/api/items"): "viewer",
    ("POST", "/api/items"): "reviewer",
    ("GET", "/api/items/{item_id}"): "viewer",
    ("GET", "/api/annotations"): "viewer",
    ("POST", "/api/annotations"): "annotator",
    ("POST", "/api/items/{item_id}/annotations"): "annotator",
    ("GET", "/api/consensus"): "viewer",
    ("GET", "/api/consensus/{item_id}"): "viewer",
    ("GET", "/api/findings"): "viewer",
    ("GET", "/api/releases"): "viewer",
    ("POST", "/api/releases"): "admin",
    ("GET", "/api/releases/{name}"): "viewer",
    ("GET", "/api/releases/{name}/labels"): "viewer",
    ("GET", "/api/releases/{old}/diff/{new}"): "viewer",
    ("GET", "/api/releases/{name}/datasheet"): "viewer",
    ("GET", "/api/predictions"): "viewer",
    ("POST", "/api/predictions"): "annotator",
    ("GET", "/api/outcomes"): "viewer",
    ("POST", "/api/outcomes"): "annotator",
    ("GET", "/api/eval-runs"): "viewer",
    ("GET", "/api/eval-runs/{run_id}"): "viewer",
    ("GET", "/api/eval-runs/{run_id}/questions/{question_id}"): "viewer",
    ("POST", "/api/eval-runs/answers"): "annotator",
    ("POST", "/api/feedback"): "annotator",
    ("GET", "/api/tokens"): "admin",
    ("POST", "/api/tokens"): "admin",
    ("DELETE", "/api/tokens/{name}"): "admin",
    ("GET", "/api/audit"): "admin",
}
"""The weakest role each operation needs. A new route must be declared here (see the first test)."""

PATH_VALUES = {"item_id": "T1", "name": "no-such-release", "old": "no-such-release", "new": "no-such-release",
               "run_id": "no-such-run", "question_id": "q1"}
"""Path parameters for the calls: things that do not exist, so an allowed call writes nothing."""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One workspace for the whole table (no call below writes to it)."""
    with sqlite_served(tmp_path_factory.mktemp("roles")) as served:
        yield served


def operations(app: Any) -> set[tuple[str, str]]:
    """Every documented operation of the app: (method, path)."""
    return {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}


def call(api: Served, method: str, path: str, headers: dict[str, str]) -> Any:
    """The operation with a body no route accepts (a JSON string), so an allowed write stops at validation."""
    url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)
    body = {"json": "not a request body"} if method in ("POST", "PUT", "PATCH") else {}
    return api.client.request(method, url, headers=headers, **body)


def assert_envelope(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"ok", "error", "errors", "status"}
    assert (body["ok"], body["status"]) == (False, status)
    assert isinstance(body["error"], str)
    assert body["error"]
    return dict(body)


def test_every_api_operation_declares_the_role_it_needs(api: Served) -> None:
    found = operations(api.client.app)
    assert found - set(ROLE_OF) == set(), "declare the role of each new operation in ROLE_OF"
    assert set(ROLE_OF) - found == set(), "ROLE_OF names operations the app no longer has"


@pytest.mark.parametrize(("method", "path"), sorted(ROLE_OF), ids=[f"{m} {p}" for m, p in sorted(ROLE_OF)])
def test_each_role_is_let_in_or_refused_with_403_as_declared(api: Served, method: str, path: str) -> None:
    needed = ROLES.index(ROLE_OF[(method, path)])
    for rank, role in enumerate(ROLES):
        response = call(api, method, path, api.auth(role))
        if rank >= needed:
            assert response.status_code not in (401, 403), f"{role}: {response.text}"
            assert response.status_code < 500, f"{role}: {response.text}"
        else:
            body = assert_envelope(response, 403)
            assert ROLE_OF[(method, path)] in body["error"]
            assert role in body["error"]


@pytest.mark.parametrize(("method", "path"), sorted(ROLE_OF), ids=[f"{m} {p}" for m, p in sorted(ROLE_OF)])
def test_no_token_is_a_401_that_asks_for_a_bearer_token(api: Served, method: str, path: str) -> None:
    response = call(api, method, path, {})
    assert_envelope(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer ak_not-a-token", "Bearer ", "Basic dmVyYTpwdw==", "ak_no-scheme",
                                    "Bearer " + "x" * 300])
def test_an_unknown_or_malformed_token_is_a_401(api: Served, header: str) -> None:
    response = api.client.get("/api/items", headers={"Authorization": header})
    assert_envelope(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_is_a_401_from_then_on(api: Served) -> None:
    _, token = create_token(api.workspace, "temp", "admin")
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/tokens", headers=bearer).status_code == 200
    revoke_tokens(api.workspace, "temp")
    assert_envelope(api.client.get("/api/tokens", headers=bearer), 401)
    assert_envelope(api.client.get("/api/status", headers=bearer), 401)


def test_an_annotator_cannot_write_another_annotators_judgements(served_sqlite: Served) -> None:
    row = {"item_id": "T3", "annotator_id": "a1", "label": "billing"}
    body = assert_envelope(served_sqlite.client.post("/api/annotations", json=[row],
                                                     headers=served_sqlite.auth("annotator")), 422)
    assert body["errors"][0]["field"] == "annotator_id"
    single = served_sqlite.client.post("/api/items/T3/annotations", json={"label": "billing", "annotator_id": "a1"},
                                       headers=served_sqlite.auth("annotator"))
    assert_envelope(single, 422)
    assert served_sqlite.client.post("/api/annotations", json=[row],
                                     headers=served_sqlite.auth("reviewer")).status_code == 201


def test_an_annotator_cannot_adjudicate(served_sqlite: Served) -> None:
    row = {"item_id": "T3", "label": "account", "source": "adjudicated"}
    body = assert_envelope(served_sqlite.client.post("/api/annotations", json=[row],
                                                     headers=served_sqlite.auth("annotator")), 422)
    assert body["errors"][0]["field"] == "source"
    assert "reviewer" in body["errors"][0]["expected"]


def test_an_annotator_cannot_log_feedback_as_another_reviewer(served_sqlite: Served) -> None:
    entry = {"question": "How many?", "sql": "SELECT 1", "verdict": "correct", "reviewer": "rita"}
    body = assert_envelope(served_sqlite.client.post("/api/feedback", json=[entry],
                                                     headers=served_sqlite.auth("annotator")), 422)
    assert body["errors"][0]["field"] == "reviewer"


def test_a_session_cookie_write_without_its_csrf_token_is_refused(api: Served) -> None:
    from fastapi.testclient import TestClient

    from answerkey.project.access import authenticate
    from answerkey.web.security import SESSION_COOKIE

    principal = authenticate(api.workspace, api.tokens["admin"])
    assert principal is not None
    cookie = api.client.app.state.sessions.start(principal)
    with TestClient(api.client.app, cookies={SESSION_COOKIE: cookie}) as browser:
        assert browser.get("/api/tokens").status_code == 200
        assert_envelope(browser.post("/api/releases", json={"name": "by-cookie"}), 403)
