"""Item ids that hold "/" (file paths, URLs) reach every item route, raw or percent-encoded, and the routes under
an item (consensus, annotations, adjudication) are not taken for part of its id."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from test_views_review import HTML, csrf_of, sign_in, version_of

from conftest import Served

ITEM = "docs/faq/refund.md"


@pytest.fixture
def with_slashed_item(served_sqlite: Served) -> Served:
    reviewer = served_sqlite.auth("reviewer")
    response = served_sqlite.client.post("/api/items", json=[{"item_id": ITEM, "payload": {"text": "refund"}}],
                                         headers=reviewer)
    assert response.status_code == 201, response.text
    rows = [{"item_id": ITEM, "annotator_id": "a1", "label": "billing"},
            {"item_id": ITEM, "annotator_id": "a2", "label": "technical"}]
    response = served_sqlite.client.post("/api/annotations", json=rows, headers=reviewer)
    assert response.status_code == 201, response.text
    return served_sqlite


@pytest.mark.parametrize("path", [ITEM, quote(ITEM, safe="")], ids=["raw", "encoded"])
def test_an_item_whose_id_holds_slashes_is_found_by_the_item_route(with_slashed_item: Served, path: str) -> None:
    body = with_slashed_item.client.get(f"/api/items/{path}", headers=with_slashed_item.auth("viewer")).json()
    assert (body["item_id"], body["payload"], body["annotations"]) == (ITEM, {"text": "refund"}, 2)


def test_the_routes_under_a_slashed_item_are_not_taken_for_its_id(with_slashed_item: Served) -> None:
    served, path = with_slashed_item, quote(ITEM, safe="")
    consensus = served.client.get(f"/api/consensus/{path}", headers=served.auth("viewer")).json()
    assert (consensus["item_id"], consensus["status"]) == (ITEM, "disputed")
    assert served.client.get("/api/consensus/T3", headers=served.auth("viewer")).json()["item_id"] == "T3"
    added = served.client.post(f"/api/items/{path}/annotations", headers=served.auth("annotator"),
                               json={"label": "billing"})
    assert added.status_code == 201, added.text
    review = served.client.get(f"/api/review/items/{path}", headers=served.auth("viewer")).json()
    assert review["item_id"] == ITEM
    decided = served.client.post(f"/api/items/{path}/adjudication", headers=served.auth("reviewer"),
                                 json={"label": "technical", "expected_version": review["version"]})
    assert decided.status_code == 201, decided.text
    after = served.client.get(f"/api/consensus/{path}", headers=served.auth("viewer")).json()
    assert after["label"] == "technical"


def test_a_reviewer_decides_a_slashed_item_on_its_page(with_slashed_item: Served) -> None:
    served = with_slashed_item
    sign_in(served, "reviewer")
    page = served.client.get(f"/review/{quote(ITEM, safe='')}", headers=HTML)
    assert page.status_code == 200
    action = re.search(r'<form method="post" action="([^"]+)" id="decide"', page.text)
    assert action, "the page has no decision form"
    response = served.client.post(action.group(1), headers=HTML, follow_redirects=False, data={
        "label": "billing", "expected_version": str(version_of(page.text)), "csrf_token": csrf_of(page.text)})
    assert response.status_code == 303, response.text
    assert f"decided={quote(ITEM, safe='')}" in response.headers["location"]
    decided = served.client.get(f"/review/{ITEM}", headers=HTML)
    assert re.search(r'id="consensus-label">billing<', decided.text)


def test_an_item_id_that_ends_like_a_route_under_an_item_is_still_its_own_item(served_sqlite: Served) -> None:
    served = served_sqlite
    rows = [{"item_id": "reports", "payload": {"n": 1}}, {"item_id": "reports/consensus", "payload": {"n": 2}},
            {"item_id": "reports/annotations", "payload": {"n": 3}}]
    assert served.client.post("/api/items", json=rows, headers=served.auth("reviewer")).status_code == 201
    viewer = served.auth("viewer")
    for item_id, n in (("reports/consensus", 2), ("reports/annotations", 3), ("reports", 1)):
        for path in (item_id, quote(item_id, safe="")):
            body = served.client.get(f"/api/items/{path}", headers=viewer).json()
            assert (body["item_id"], body["payload"]) == (item_id, {"n": n}), path
        assert served.client.get(f"/api/consensus/{quote(item_id, safe='')}", headers=viewer).json()["item_id"] \
            == item_id
    added = served.client.post("/api/items/reports/annotations/annotations", headers=served.auth("annotator"),
                               json={"label": "billing"})
    assert added.status_code == 201, added.text
    assert served.client.get("/api/items/reports%2Fannotations", headers=viewer).json()["annotations"] == 1
    assert served.client.get("/api/items/reports", headers=viewer).json()["annotations"] == 0


def test_the_review_path_with_a_trailing_slash_is_the_queue(served_sqlite: Served) -> None:
    sign_in(served_sqlite, "viewer")
    response = served_sqlite.client.get("/review/", headers=HTML, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (308, "/review")
