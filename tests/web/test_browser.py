"""The workbench in a real browser (Debian's Chromium through Playwright) against a real server: signing in,
deciding an item with the keyboard only, a stale form after another reviewer decided, and the pages that draw
charts. Each step leaves a screenshot in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from answerkey.project.access import create_token
from answerkey.store import tables as t
from conftest import SCREENSHOTS, Live

pytestmark = pytest.mark.xdist_group("browser")  # one worker: one Chromium and one released workspace for all

ITEM_PAGE = re.compile(r".*/review/T\d+(\?.*)?$")


def watch_csp(context: Any) -> list[str]:
    """The Content-Security-Policy violations Chromium reports in ``context`` from now on (it logs each one to
    the console: "Refused to load/apply/execute ... because it violates the following Content Security Policy
    directive ...")."""
    violations: list[str] = []
    context.on("console", lambda message: violations.append(f"{message.location.get('url')}: {message.text}")
               if "Content Security Policy" in message.text else None)
    return violations


@pytest.fixture(autouse=True)
def _no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test here that drives a browser also proves the pages it opened broke no rule of their policy."""
    if "browser_context" not in request.fixturenames:
        yield
        return
    violations = watch_csp(request.getfixturevalue("browser_context"))
    yield
    assert violations == []


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, live: Live, role: str, path: str = "/", *, token: str | None = None) -> None:
    """Open ``path``, which sends the browser to the sign-in page, sign in there, and come back to ``path``."""
    page.goto(live.url + path)
    page.wait_for_url(re.compile(r".*/sign-in\?next=.*"))
    page.fill("#token", token or live.tokens[role])
    page.press("#token", "Enter")
    page.wait_for_url(lambda url: "/sign-in" not in url)


def adjudicated(live: Live, item_id: str) -> list[tuple[str, str, str | None]]:
    """The item's adjudicated judgements in the store: (reviewer, label, note)."""
    a = t.annotations.c
    with live.workspace.reading() as connection:
        rows = connection.execute(select(a.annotator_id, a.label, a.note).order_by(a.annotation_id)
                                  .where(a.item_id == item_id, a.source == "adjudicated")).all()
    return [(row.annotator_id, row.label, row.note) for row in rows]


def test_a_reviewer_decides_an_item_with_the_keyboard_only(live_sqlite: Live, browser_context: Any) -> None:
    page = browser_context.new_page()
    page.goto(live_sqlite.url + "/review")
    page.wait_for_url(re.compile(r".*/sign-in\?next=%2Freview$"))
    shot(page, "review-01-sign-in")
    page.fill("#token", live_sqlite.tokens["reviewer"])
    page.press("#token", "Enter")
    page.wait_for_url(ITEM_PAGE)
    item = page.url.rsplit("/", 1)[1]
    shot(page, "review-02-queued-item")

    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    shot(page, "review-03-shortcuts")
    page.keyboard.press("Escape")
    assert not page.locator("#shortcuts").is_visible()

    chosen = page.get_attribute('input[data-key="2"]', "value")
    page.keyboard.press("2")
    assert page.is_checked('input[data-key="2"]')
    assert page.evaluate("document.activeElement.id") == "note"
    page.keyboard.type("decided in the browser")
    shot(page, "review-04-chosen-with-reason")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/review/T\d+\?decided={item}$"))
    assert f"Your decision on {item} is recorded" in page.inner_text(".flash")
    assert item not in page.url.split("?")[0]  # it left the queue: the next item is another one
    shot(page, "review-05-next-item")

    assert adjudicated(live_sqlite, item) == [("rita", chosen, "decided in the browser")]
    page.goto(f"{live_sqlite.url}/review/{item}")
    assert page.inner_text("#consensus-label") == chosen
    assert "not in the queue" in page.inner_text(".review-head")
    assert page.locator("#judgements tr.source-adjudicated").count() == 1
    shot(page, "review-06-decided-item")

    with page.expect_navigation():
        page.keyboard.press("n")  # next without deciding: back into the queue
    assert ITEM_PAGE.match(page.url)
    assert item not in page.url


def test_a_second_reviewers_stale_form_is_shown_again_with_the_changed_notice(
        live_sqlite: Live, chromium: Any) -> None:
    rhea = create_token(live_sqlite.workspace, "rhea", "reviewer")[1]
    first, second = chromium.new_context(), chromium.new_context()
    violations = (watch_csp(first), watch_csp(second))
    try:
        rita, other = first.new_page(), second.new_page()
        sign_in(rita, live_sqlite, "reviewer", "/review/T6")
        sign_in(other, live_sqlite, "reviewer", "/review/T6", token=rhea)
        rita.keyboard.press("1")
        rita.keyboard.press("Enter")
        rita.wait_for_url(re.compile(r".*\?decided=T6$"))

        other.keyboard.press("2")
        other.keyboard.type("my own view")
        other.keyboard.press("Enter")
        other.wait_for_selector("#notice")
        assert "changed since you opened it: decide again" in other.inner_text("#notice")
        assert other.input_value("#note") == "my own view"
        assert other.locator("#judgements tr.source-adjudicated").count() == 1  # the fresh data: rita's decision
        shot(other, "review-07-stale-form-conflict")
        assert [who for who, _, _ in adjudicated(live_sqlite, "T6")] == ["rita"]

        other.keyboard.press("Escape")  # decide again on the fresh page: now it lands
        other.keyboard.press("2")
        other.keyboard.press("Enter")
        other.wait_for_url(re.compile(r".*decided=T6$"))
        assert [who for who, _, _ in adjudicated(live_sqlite, "T6")] == ["rita", "rhea"]
        assert violations == ([], [])
    finally:
        first.close()
        second.close()


def test_the_overview_draws_its_chart_from_the_local_plotly(live_released: Live, browser_context: Any) -> None:
    page = browser_context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    sign_in(page, live_released, "viewer")
    page.wait_for_selector("#sources-chart .main-svg")
    assert page.locator("#sources-chart .point").count() == 1  # one bar: every served judgement is human
    assert "Krippendorff" in page.inner_text("main")
    assert failed == []
    shot(page, "overview")


def test_an_eval_run_page_opens(live_released: Live, browser_context: Any) -> None:
    from answerkey.analytics.runs import list_runs

    run_id = str(list_runs(live_released.workspace)["run_id"].iloc[-1])
    page = browser_context.new_page()
    sign_in(page, live_released, "viewer")
    with page.expect_navigation() as opened:
        page.click(f'a[href="/evals/{run_id}"]')  # from the overview's latest run
    assert opened.value.status == 200, page.inner_text("main")
    assert run_id in page.inner_text("main")
    shot(page, "eval-run")


def test_a_release_datasheet_page_opens(live_released: Live, browser_context: Any) -> None:
    from answerkey.project.releases import list_releases

    name = list_releases(live_released.workspace)[-1]["name"]
    page = browser_context.new_page()
    sign_in(page, live_released, "viewer")
    with page.expect_navigation() as opened:
        page.click(f'a[href="/releases/{name}/datasheet"]')  # from the overview's latest release
    assert opened.value.status == 200, page.inner_text("body")
    assert name in page.inner_text("body")
    shot(page, "release-datasheet")


def test_every_page_opens_and_draws_its_charts_under_the_content_security_policy(
        live_released: Live, browser_context: Any) -> None:
    """The policy allows only this site's scripts: each page still opens, every chart on it is drawn by the local
    Plotly, and no rule of the policy is broken (the autouse fixture checks the console)."""
    from answerkey.analytics.runs import list_runs
    from answerkey.project.releases import list_releases

    release = list_releases(live_released.workspace)[-1]["name"]
    run_id = str(list_runs(live_released.workspace)["run_id"].iloc[-1])
    page = browser_context.new_page()
    sign_in(page, live_released, "admin")
    for path in ("/", "/annotators", "/releases", f"/releases/{release}", f"/releases/{release}/datasheet",
                 "/review", "/evals", f"/evals/{run_id}", "/monitoring", "/splits", "/audit"):
        response = page.goto(live_released.url + path)
        assert response is not None, path
        assert response.status == 200, path
        assert response.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self';")
        charts = page.locator("div.chart")
        for index in range(charts.count()):
            charts.nth(index).locator(".main-svg").first.wait_for()
        shot(page, "csp" + path.replace("/", "-").rstrip("-"))
