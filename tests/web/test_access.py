"""Tokens, roles, sessions and CSRF: who may do what, and what the store keeps of a token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from answerkey.errors import NotFoundError, ParameterError
from answerkey.project.access import ROLES, authenticate, create_token, has_role, list_tokens, revoke_tokens
from answerkey.project.workspace import Workspace
from answerkey.store import tables as t
from answerkey.web.security import SESSION_COOKIE
from conftest import Served, sign_in_with


def test_each_role_includes_the_rights_of_the_weaker_ones() -> None:
    assert ROLES == ("viewer", "annotator", "reviewer", "admin")
    assert has_role("admin", "viewer")
    assert has_role("reviewer", "annotator")
    assert not has_role("annotator", "reviewer")
    assert not has_role("viewer", "annotator")


def test_the_store_keeps_a_hash_of_the_token_never_the_token(workspace: Workspace) -> None:
    info, token = create_token(workspace, "maria", "reviewer")
    with workspace.reading() as connection:
        stored = connection.execute(sa.select(t.api_tokens)).mappings().all()
    assert token.startswith("ak_")
    assert len(token) > 40
    assert all(token not in str(dict(row)) for row in stored)
    assert stored[0]["token_hash"] != token
    assert len(stored[0]["token_hash"]) == 64
    principal = authenticate(workspace, token)
    assert principal is not None
    assert (principal.name, principal.role, principal.token_id) == ("maria", "reviewer", info.token_id)


def test_a_revoked_token_no_longer_authenticates(workspace: Workspace) -> None:
    _, token = create_token(workspace, "maria", "annotator")
    assert revoke_tokens(workspace, "maria") == 1
    assert authenticate(workspace, token) is None
    assert list_tokens(workspace)[0].revoked_at is not None
    with pytest.raises(NotFoundError):
        revoke_tokens(workspace, "nobody")


def test_an_unknown_role_or_an_empty_name_is_refused(workspace: Workspace) -> None:
    with pytest.raises(ParameterError, match="role must be one of viewer, annotator, reviewer, admin"):
        create_token(workspace, "maria", "owner")
    with pytest.raises(ParameterError):
        create_token(workspace, "  ", "viewer")


def test_a_made_up_token_does_not_authenticate(workspace: Workspace) -> None:
    create_token(workspace, "maria", "admin")
    assert authenticate(workspace, "ak_" + "x" * 43) is None
    assert authenticate(workspace, "not-a-token") is None


def test_the_audit_log_cannot_be_edited_or_deleted(served: Served) -> None:
    served.client.post("/api/annotations", headers=served.auth("annotator"),
                       json=[{"item_id": "T1", "label": "billing"}])
    for statement in ("UPDATE audit_log SET actor = 'someone'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), served.workspace.transaction() as connection:
            connection.execute(sa.text(statement))
    with served.workspace.reading() as connection:
        assert connection.execute(sa.select(t.audit_log.c.actor)).scalars().all() == ["ann"]


def _sign_in(served: Served, role: str) -> None:
    assert served.sign_in(role, "/api/status").status_code == 303


def test_without_a_session_a_page_sends_the_browser_to_sign_in(served_sqlite: Served) -> None:
    response = served_sqlite.client.get("/review?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Freview%3Fx%3D1"
    assert served_sqlite.client.get("/sign-in").status_code == 200


def test_the_session_cookie_is_httponly_and_samesite_and_holds_no_token(served_sqlite: Served) -> None:
    response = served_sqlite.sign_in("viewer")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert served_sqlite.tokens["viewer"] not in cookie


def test_a_bad_token_at_sign_in_is_refused_without_a_session(served_sqlite: Served) -> None:
    response = sign_in_with(served_sqlite.client, "ak_wrong")
    assert response.status_code == 401
    assert SESSION_COOKIE not in response.cookies


def test_sign_in_follows_only_paths_on_this_site(served_sqlite: Served) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = served_sqlite.sign_in("viewer", target)
        assert response.headers["location"] == "/"


def test_a_tampered_session_cookie_is_no_session(served_sqlite: Served) -> None:
    _sign_in(served_sqlite, "admin")
    key, signature = served_sqlite.client.cookies[SESSION_COOKIE].split(".")
    served_sqlite.client.cookies.set(SESSION_COOKIE, f"{'A' if key[0] != 'A' else 'B'}{key[1:]}.{signature}")
    assert served_sqlite.client.get("/api/status").status_code == 401


def test_an_expired_session_is_no_session(served_sqlite: Served) -> None:
    sessions = served_sqlite.client.app.state.sessions  # type: ignore[attr-defined]
    principal = authenticate(served_sqlite.workspace, served_sqlite.tokens["admin"])
    assert principal is not None
    stale = sessions.start(principal, now=datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=13))
    served_sqlite.client.cookies.set(SESSION_COOKIE, stale)
    assert served_sqlite.client.get("/api/status").status_code == 401


def test_signing_out_ends_the_session_so_a_copied_cookie_no_longer_works(served_sqlite: Served) -> None:
    client = served_sqlite.client
    _sign_in(served_sqlite, "viewer")
    copied = client.cookies[SESSION_COOKIE]
    csrf = client.app.state.sessions.csrf_token(copied)  # type: ignore[attr-defined]
    assert client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set(SESSION_COOKIE, copied)
    assert client.get("/api/status").status_code == 401
    with served_sqlite.workspace.reading() as connection:
        ended = connection.execute(sa.select(t.web_sessions.c.ended_at)).scalars().all()
    assert len(ended) == 1
    assert ended[0] is not None


def test_signing_in_again_ends_the_browsers_earlier_session(served_sqlite: Served) -> None:
    client = served_sqlite.client
    _sign_in(served_sqlite, "viewer")
    earlier = client.cookies[SESSION_COOKIE]
    _sign_in(served_sqlite, "admin")
    assert client.get("/api/tokens").status_code == 200
    client.cookies.set(SESSION_COOKIE, earlier)
    assert client.get("/api/status").status_code == 401


def test_expired_sessions_are_deleted_when_a_session_opens(served_sqlite: Served) -> None:
    sessions = served_sqlite.client.app.state.sessions  # type: ignore[attr-defined]
    principal = authenticate(served_sqlite.workspace, served_sqlite.tokens["viewer"])
    assert principal is not None
    sessions.start(principal, now=datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=13))
    sessions.start(principal)
    with served_sqlite.workspace.reading() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(t.web_sessions)).scalar_one() == 1


def test_a_sign_in_post_without_the_forms_token_is_refused_without_a_session(served_sqlite: Served) -> None:
    """Login CSRF: another site's form cannot sign this browser in with the attacker's token."""
    client = served_sqlite.client
    forged = client.post("/sign-in", data={"token": served_sqlite.tokens["viewer"], "next": "/"},
                         follow_redirects=False)
    assert forged.status_code == 403
    assert SESSION_COOKIE not in forged.cookies
    assert "sign in again" in forged.text
    page = client.get("/sign-in")
    match = re.search(r'name="sign_in_csrf" value="([^"]+)"', page.text)
    assert match
    client.cookies.delete("answerkey_sign_in")  # a form from this site, posted by a browser without its cookie
    stolen = client.post("/sign-in", data={"token": served_sqlite.tokens["viewer"], "sign_in_csrf": match.group(1)},
                         follow_redirects=False)
    assert stolen.status_code == 403
    assert SESSION_COOKIE not in stolen.cookies
    with served_sqlite.workspace.reading() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(t.web_sessions)).scalar_one() == 0


def test_two_sign_in_tabs_of_one_browser_both_sign_in(served_sqlite: Served) -> None:
    client = served_sqlite.client
    first, second = (re.search(r'name="sign_in_csrf" value="([^"]+)"', client.get("/sign-in").text)
                     for _ in range(2))
    assert first
    assert second
    response = client.post("/sign-in", data={"token": served_sqlite.tokens["viewer"],
                                             "sign_in_csrf": first.group(1)}, follow_redirects=False)
    assert response.status_code == 303


def test_revoking_a_token_ends_its_sessions(served_sqlite: Served) -> None:
    _sign_in(served_sqlite, "viewer")
    assert served_sqlite.client.get("/api/status").status_code == 200
    revoke_tokens(served_sqlite.workspace, "vera")
    assert served_sqlite.client.get("/api/status").status_code == 401


def test_a_write_riding_on_the_session_cookie_needs_the_csrf_token(served_sqlite: Served) -> None:
    _sign_in(served_sqlite, "annotator")
    rows = [{"item_id": "T1", "label": "billing"}]
    refused = served_sqlite.client.post("/api/annotations", json=rows)
    assert refused.status_code == 403
    assert refused.json()["error"].startswith("missing or wrong CSRF token")
    sessions = served_sqlite.client.app.state.sessions  # type: ignore[attr-defined]
    csrf = sessions.csrf_token(served_sqlite.client.cookies[SESSION_COOKIE])
    accepted = served_sqlite.client.post("/api/annotations", json=rows, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201


def test_a_header_that_is_not_bearer_is_401_with_the_envelope(served_sqlite: Served) -> None:
    response = served_sqlite.client.get("/api/status", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error": "the Authorization header must be 'Bearer TOKEN'",
                               "errors": [], "status": 401}
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_cookie_or_csrf_token_with_non_ascii_text_is_refused_not_a_crash(served_sqlite: Served) -> None:
    client = served_sqlite.client
    cookie = f"{SESSION_COOKIE}=abc.d\u00e9f".encode("latin-1")
    assert client.get("/api/status", headers={"Cookie": cookie}).status_code == 401  # type: ignore[dict-item]
    _sign_in(served_sqlite, "annotator")
    response = client.post("/api/annotations", json=[{"item_id": "T1", "label": "billing"}],
                           headers={"X-CSRF-Token": "\u00e9t\u00e9".encode("latin-1")})  # type: ignore[dict-item]
    assert response.status_code == 403


def test_the_api_never_shows_a_warehouse_password(served_sqlite: Served) -> None:
    with served_sqlite.workspace.transaction() as connection:
        connection.execute(t.eval_runs.insert().values(
            run_id="r1", started_at=datetime(2026, 11, 1), agent="bot", golden_file="golden.jsonl",
            golden_hash="0" * 64, warehouse="postgresql://bob:s3cret@db/wh", options={}, questions=0, passed=0,
            seconds=0.0))
    listed = served_sqlite.client.get("/api/eval-runs", headers=served_sqlite.auth("viewer"))
    assert listed.json()["items"][0]["warehouse"] == "postgresql://bob:***@db/wh"
    assert "s3cret" not in listed.text


def test_an_agent_cannot_point_the_server_at_the_store_folder(served_sqlite: Served) -> None:
    response = served_sqlite.client.post(
        "/api/eval-runs/answers", headers=served_sqlite.auth("annotator"),
        json={"agent": "bot", "answers": {}, "golden": ".answerkey/web-secret"})
    assert response.status_code == 422
    assert "a path inside the workspace folder" in response.json()["error"]
