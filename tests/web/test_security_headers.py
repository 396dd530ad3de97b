"""Every response of the workbench, page or API, success or error, carries the security headers."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from answerkey.web.headers import API_POLICY, PAGE_POLICY
from answerkey.web.limits import MAX_BODY_BYTES
from conftest import Served

HTML = {"Accept": "text/html"}


def assert_secured(response: Any, policy: str) -> None:
    assert response.headers["content-security-policy"] == policy
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_the_pages_policy_allows_only_this_sites_scripts_and_no_framing() -> None:
    directives = dict(d.strip().split(" ", 1) for d in PAGE_POLICY.split(";"))
    assert directives["script-src"] == "'self'"  # no inline script, no eval, no other origin
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in directives["script-src"]


@pytest.mark.parametrize(("path", "status"), [
    ("/sign-in", 200),
    ("/", 200),
    ("/review", 200),
    ("/review/T3", 200),
    ("/releases", 200),
    ("/annotators", 200),
    ("/static/app.js", 200),
    ("/static/vendor/plotly.min.js", 200),
    ("/no-such-page", 404),
    ("/review/T99", 404),
])
def test_every_page_and_static_file_carries_the_pages_policy(served_sqlite: Served, path: str, status: int) -> None:
    served_sqlite.sign_in("reviewer")
    response = served_sqlite.client.get(path, headers=HTML)
    assert response.status_code == status
    assert_secured(response, PAGE_POLICY)


def test_the_redirect_to_sign_in_carries_the_headers(served_sqlite: Served) -> None:
    response = served_sqlite.client.get("/review", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert_secured(response, PAGE_POLICY)


@pytest.mark.parametrize(("method", "path", "role", "status"), [
    ("GET", "/api/status", "viewer", 200),
    ("GET", "/api/consensus", "viewer", 200),
    ("GET", "/api/openapi.json", None, 200),
    ("GET", "/api/status", None, 401),
    ("GET", "/api/tokens", "viewer", 403),
    ("GET", "/api/items/T99", "viewer", 404),
    ("GET", "/api/no-such-route", "viewer", 404),
    ("POST", "/api/annotations", "annotator", 422),
])
def test_every_api_response_carries_the_api_policy(served_sqlite: Served, method: str, path: str,
                                                   role: str | None, status: int) -> None:
    headers = served_sqlite.auth(role) if role else {}
    response = served_sqlite.client.request(method, path, headers=headers, json=[{"item_id": "T1"}]
                                            if method == "POST" else None)
    assert response.status_code == status, response.text
    assert_secured(response, API_POLICY)


def test_a_refused_body_over_the_limit_carries_the_headers(served_sqlite: Served) -> None:
    response = served_sqlite.client.post("/api/annotations", content=b"x" * (MAX_BODY_BYTES + 1),
                                         headers={**served_sqlite.auth("admin"), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert_secured(response, API_POLICY)


def test_an_unexpected_error_carries_the_headers_on_a_page_and_in_the_api(served_sqlite: Served) -> None:
    app = served_sqlite.client.app

    def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/api/boom", boom)
    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.get("/api/boom")
        page = client.get("/boom", headers=HTML)
    assert (api.status_code, page.status_code) == (500, 500)
    assert_secured(api, API_POLICY)
    assert_secured(page, PAGE_POLICY)


def test_the_api_docs_allow_their_cdn_and_their_one_inline_script_by_its_hash(served_sqlite: Served) -> None:
    response = served_sqlite.client.get("/api/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
