"""The review pages and the overview, server-rendered: sign-in, roles, CSRF, optimistic concurrency, and exactly
one judgement and one audit entry per decision."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from answerkey.findings import Finding, Severity
from answerkey.project import create_release, import_annotations
from answerkey.project.findings_log import record_findings
from answerkey.store import tables as t
from conftest import Served, write_text

HTML = {"Accept": "text/html"}


def sign_in(served: Served, role: str) -> None:
    assert served.sign_in(role).status_code == 303


def csrf_of(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def version_of(html: str) -> int:
    match = re.search(r'name="expected_version" value="(\d+)"', html)
    assert match, "the page carries no expected_version"
    return int(match.group(1))


def written(served: Served) -> tuple[int, int]:
    """How many adjudicated judgements and audit entries the store holds."""
    with served.workspace.reading() as connection:
        adjudicated = connection.execute(select(func.count()).select_from(t.annotations)
                                         .where(t.annotations.c.source == "adjudicated")).scalar_one()
        audited = connection.execute(select(func.count()).select_from(t.audit_log)).scalar_one()
    return int(adjudicated), int(audited)


def open_item(served: Served, item_id: str = "T3") -> tuple[str, int]:
    page = served.client.get(f"/review/{item_id}", headers=HTML)
    assert page.status_code == 200
    return csrf_of(page.text), version_of(page.text) if 'name="expected_version"' in page.text else -1


@pytest.mark.parametrize("path", ["/", "/review", "/review/T3"])
def test_a_page_without_a_session_sends_the_browser_to_sign_in(served_sqlite: Served, path: str) -> None:
    response = served_sqlite.client.get(path, headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")


def test_after_signing_in_the_queue_opens_a_disputed_item_with_its_judgements_and_candidates(
        served_sqlite: Served) -> None:
    sign_in(served_sqlite, "reviewer")
    first = served_sqlite.client.get("/review", headers=HTML, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] in ("/review/T3", "/review/T6")
    page = served_sqlite.client.get(first.headers["location"], headers=HTML)
    assert page.status_code == 200
    item = first.headers["location"].rsplit("/", 1)[1]
    assert {"T3": "cannot log in", "T6": "charged twice"}[item] in page.text
    assert page.text.count('<tr class="source-human">') == 2
    for key, name in enumerate(["billing", "technical", "account"], start=1):
        assert f'value="{name}"' in page.text
        assert f'data-key="{key}"' in page.text
    assert "The ticket is about account." in page.text
    assert 'id="decide"' in page.text
    assert 'name="csrf_token"' in page.text
    assert "disputed" in page.text


def test_the_overview_shows_counts_agreement_and_the_sources_chart(served_sqlite: Served) -> None:
    sign_in(served_sqlite, "viewer")
    page = served_sqlite.client.get("/", headers=HTML)
    assert page.status_code == 200
    assert "Krippendorff" in page.text
    assert 'data-chart="sources-chart"' in page.text
    assert "/static/vendor/plotly.min.js" in page.text
    assert "No open findings" in page.text
    assert "No release yet" in page.text


def test_the_overview_shows_any_recorded_finding_and_the_latest_release(served_sqlite: Served) -> None:
    record_findings(served_sqlite.workspace, [
        Finding("made_up.check", "a check nobody wrote yet", "item T4", Severity.ERROR, 0.875),
        Finding("made_up.check", "a milder one", "item T5", Severity.INFO)], source="made_up check")
    create_release(served_sqlite.workspace, "r1", note="first cut")
    sign_in(served_sqlite, "viewer")
    page = served_sqlite.client.get("/", headers=HTML).text
    assert "a check nobody wrote yet" in page
    assert "item T4" in page
    assert '<td class="num">0.875</td>' in page
    assert page.index("a check nobody wrote yet") < page.index("a milder one")  # most severe first
    assert '<span class="sev-error">1 error</span>' in page
    assert 'href="/releases/r1/datasheet"' in page
    assert "first cut" in page


@pytest.mark.parametrize("token", [None, "", "not-the-token"])
def test_a_decision_with_a_missing_or_wrong_csrf_token_is_refused_and_writes_nothing(
        served_sqlite: Served, token: str | None) -> None:
    sign_in(served_sqlite, "reviewer")
    _, version = open_item(served_sqlite)
    form = {"label": "account", "note": "login", "expected_version": str(version)}
    if token is not None:
        form["csrf_token"] = token
    response = served_sqlite.client.post("/review/T3", data=form, headers=HTML, follow_redirects=False)
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert written(served_sqlite) == (0, 0)


@pytest.mark.parametrize("role", ["viewer", "annotator"])
def test_a_viewer_or_annotator_sees_the_item_without_the_form_and_cannot_decide(
        served_sqlite: Served, role: str) -> None:
    sign_in(served_sqlite, role)
    page = served_sqlite.client.get("/review/T3", headers=HTML)
    assert page.status_code == 200
    assert 'id="decide"' not in page.text
    assert "needs the reviewer role" in page.text
    response = served_sqlite.client.post("/review/T3", headers=HTML, follow_redirects=False, data={
        "label": "account", "expected_version": "1", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 403
    assert written(served_sqlite) == (0, 0)


def test_a_decision_on_an_item_that_changed_since_is_shown_again_fresh_with_409_and_writes_nothing(
        served_sqlite: Served, tmp_path: Path) -> None:
    sign_in(served_sqlite, "reviewer")
    csrf, version = open_item(served_sqlite)
    import_annotations(served_sqlite.workspace, write_text(tmp_path / "late.csv",
                                                           "item_id,annotator_id,label\nT3,a3,account\n"))
    response = served_sqlite.client.post("/review/T3", headers=HTML, follow_redirects=False, data={
        "label": "technical", "note": "my reason", "expected_version": str(version), "csrf_token": csrf})
    assert response.status_code == 409
    assert "changed since you opened it: decide again" in response.text
    assert version_of(response.text) > version
    assert "my reason" in response.text  # the reason typed is kept
    assert response.text.count('<tr class="source-human">') == 3  # the fresh judgements
    assert written(served_sqlite) == (0, 0)


def test_a_decision_writes_one_adjudicated_judgement_and_one_audit_entry_then_opens_the_next_item(
        served_sqlite: Served) -> None:
    sign_in(served_sqlite, "reviewer")
    csrf, version = open_item(served_sqlite)
    response = served_sqlite.client.post("/review/T3", headers=HTML, follow_redirects=False, data={
        "label": "account", "note": "cannot log in is access", "expected_version": str(version),
        "csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/review/T6?decided=T3"
    assert written(served_sqlite) == (1, 1)
    with served_sqlite.workspace.reading() as connection:
        a = t.annotations.c
        row = connection.execute(select(a.item_id, a.annotator_id, a.label, a.note)
                                 .where(a.source == "adjudicated")).one()
        audit = connection.execute(select(t.audit_log.c.actor, t.audit_log.c.action, t.audit_log.c.target)).one()
    assert tuple(row) == ("T3", "rita", "account", "cannot log in is access")
    assert tuple(audit) == ("rita", "adjudicate", "T3")
    decided = served_sqlite.client.get("/review/T3", headers=HTML)
    assert re.search(r'id="consensus-label">account<', decided.text)
    assert "not in the queue" in decided.text
    following = served_sqlite.client.get(response.headers["location"], headers=HTML)
    assert "Your decision on <strong>T3</strong> is recorded" in following.text


def test_without_a_label_or_with_an_unknown_one_the_page_asks_again_and_writes_nothing(
        served_sqlite: Served) -> None:
    sign_in(served_sqlite, "reviewer")
    csrf, version = open_item(served_sqlite)
    for label, message in (("", "Choose a label first"), ("acount", "did you mean &#39;account&#39;")):
        response = served_sqlite.client.post("/review/T3", headers=HTML, follow_redirects=False, data={
            "label": label, "expected_version": str(version), "csrf_token": csrf})
        assert response.status_code == 422
        assert message in response.text
    assert written(served_sqlite) == (0, 0)


def test_an_unknown_item_is_the_error_page_with_404(served_sqlite: Served) -> None:
    sign_in(served_sqlite, "viewer")
    response = served_sqlite.client.get("/review/NOPE", headers=HTML)
    assert response.status_code == 404
    assert "no item &#39;NOPE&#39;" in response.text


def test_when_every_item_is_decided_the_queue_says_so(served_sqlite: Served) -> None:
    sign_in(served_sqlite, "reviewer")
    for _ in range(6):  # decide whatever the queue offers until it is empty (six items at most)
        first = served_sqlite.client.get("/review", headers=HTML, follow_redirects=False)
        if first.status_code == 200:
            break
        item = first.headers["location"].rsplit("/", 1)[1]
        csrf, version = open_item(served_sqlite, item)
        served_sqlite.client.post(f"/review/{item}", headers=HTML, follow_redirects=False, data={
            "label": "billing", "expected_version": str(version), "csrf_token": csrf})
    page = served_sqlite.client.get("/review?decided=T6", headers=HTML)
    assert page.status_code == 200
    assert "All decided" in page.text
    assert "Your decision on <strong>T6</strong> is recorded" in page.text


def test_next_follows_the_queue_from_the_item_it_was_pressed_on(served_sqlite: Served) -> None:
    sign_in(served_sqlite, "viewer")
    first = served_sqlite.client.get("/review", headers=HTML, follow_redirects=False).headers["location"]
    item = first.rsplit("/", 1)[1]
    after = served_sqlite.client.get(f"/review?after={item}", headers=HTML, follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"] != first
