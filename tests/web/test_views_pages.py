"""The workbench's analysis pages on the demo workspace (annotators, releases and datasheets, splits and the test
ledger, monitoring, agent evaluations, the audit log): each shows the library's own numbers, refuses whom it
should, and answers an unknown release or run with the 404 error page.

The demo is built once for the module (a smaller one than ``answerkey demo``'s 5,000 tickets, with every kind of
record: two releases, a sealed split with its ledger, a monitor run, an evaluation run)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from answerkey.analytics.runs import list_runs
from answerkey.config import DATABASE_URL_ENV
from answerkey.project import Workspace, diff_releases, get_release, list_releases
from answerkey.project.access import create_token
from answerkey.project.annotator_agreement import annotator_agreement
from answerkey.project.annotators import workspace_drift
from answerkey.project.audit import audit_entries
from answerkey.project.datasheet import build_datasheet
from answerkey.project.demo import build_demo
from answerkey.project.eval_report import eval_report, question_results
from answerkey.project.ledger import ledger_report
from answerkey.project.monitor_history import get_monitor_run, monitor_runs
from answerkey.project.splits import get_split
from answerkey.web.app import create_app
from conftest import ROLE_PEOPLE, Served, sign_in_with

pytestmark = pytest.mark.xdist_group("demo-pages")  # one worker builds the demo once for every test here

DEMO_ITEMS = 1200
HTML = {"Accept": "text/html"}


@dataclass
class Demo:
    """The demo workspace behind the app, a token per role, and a signed-in client per role."""

    workspace: Workspace
    app: Any
    tokens: dict[str, str]
    clients: dict[str, TestClient]

    def client(self, role: str) -> TestClient:
        if role not in self.clients:
            client = TestClient(self.app, headers=HTML)
            assert sign_in_with(client, self.tokens[role]).status_code == 303
            self.clients[role] = client
        return self.clients[role]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DATABASE_URL_ENV, raising=False)
        built = build_demo(tmp_path_factory.mktemp("pages") / "demo", n_items=DEMO_ITEMS)
        workspace = built.workspace
        tokens = {role: create_token(workspace, person, role)[1] for role, person in ROLE_PEOPLE.items()}
        result = Demo(workspace, create_app(workspace), tokens, {})
        yield result
        for client in result.clients.values():
            client.close()
        workspace.close()


@pytest.fixture(scope="module")
def viewer(demo: Demo) -> TestClient:
    return demo.client("viewer")


@pytest.fixture
def reviewer(demo: Demo) -> TestClient:
    return demo.client("reviewer")


class Tables(HTMLParser):
    """Every table of a page as rows of cell texts, by id (or position), nested tables kept apart."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.stack: list[tuple[str, list[list[str]]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            key = dict(attrs).get("id") or f"#{len(self.tables)}"
            self.tables[key] = []
            self.stack.append((key, self.tables[key]))
        elif tag == "tr" and self.stack:
            self.stack[-1][1].append([])
        elif tag in ("td", "th") and self.stack:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.stack:
            self.stack.pop()
        elif tag in ("td", "th") and self.stack and self.cell is not None:
            self.stack[-1][1][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table(page: str, key: str) -> list[list[str]]:
    """The body rows of table ``key`` (its header row dropped)."""
    parser = Tables()
    parser.feed(page)
    assert key in parser.tables, f"no table {key!r} in the page"
    return parser.tables[key][1:]


def figure(page: str, chart_id: str) -> dict[str, Any]:
    """The Plotly figure a page carries for ``chart_id``, read as strict JSON."""
    found = re.search(rf'<script type="application/json" data-chart="{re.escape(chart_id)}">(.*?)</script>', page,
                      re.S)
    assert found, f"no chart {chart_id!r} in the page"

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in chart {chart_id}")

    parsed: dict[str, Any] = json.loads(found.group(1), parse_constant=refuse)
    return parsed


def text(page: str) -> str:
    """The page's text, tags dropped and whitespace squeezed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


def get(client: TestClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:500])
    return response.text


def test_the_annotators_page_shows_each_annotators_agreement_with_the_consensus_and_its_interval(
        demo: Demo, viewer: TestClient) -> None:
    page = get(viewer, "/annotators")
    expected = annotator_agreement(demo.workspace)
    rows = table(page, "annotator-table")
    assert [row[0] for row in rows] == [str(a) for a in expected.profiles.table["annotator_id"]]
    for row, want in zip(rows, expected.profiles.table.itertuples(), strict=True):
        assert row[1] == f"{want.judgements:,}"
        assert row[3] == f"{want.agreement_with_consensus:.3f}"
        assert row[4] == f"[{want.consensus_low:.3f}, {want.consensus_high:.3f}]"
        assert row[6] == f"{want.estimated_accuracy:.3f}"
    dots = figure(page, "chart-consensus")["data"][0]
    assert dots["x"] == pytest.approx(list(expected.profiles.table["agreement_with_consensus"]))


def test_the_annotators_page_shows_every_pairs_kappa_with_its_interval(demo: Demo, viewer: TestClient) -> None:
    page = get(viewer, "/annotators")
    pairs = annotator_agreement(demo.workspace).pairs
    shown = {row[0]: row for row in table(page, "pairs-table")}
    assert len(shown) == len(pairs) > 0
    for pair in pairs.itertuples():
        row = shown[f"{pair.annotator_a} & {pair.annotator_b}"]
        assert row[2:] == [f"{pair.cohen_kappa:.3f}", f"[{pair.ci_low:.3f}, {pair.ci_high:.3f}]"]
    assert figure(page, "chart-pairs")["data"][0]["type"] == "heatmap"


def test_the_confusion_matrix_is_the_chosen_annotators_and_the_last_one_by_default(
        demo: Demo, viewer: TestClient) -> None:
    profiles = annotator_agreement(demo.workspace).profiles
    names = [str(a) for a in profiles.table["annotator_id"]]
    default = figure(get(viewer, "/annotators"), "chart-confusion")
    assert default["layout"]["title"]["text"].startswith(f"{names[-1]}:")
    chosen = figure(get(viewer, f"/annotators?annotator={names[0]}"), "chart-confusion")
    matrix = profiles.confusions[names[0]]
    cells = chosen["data"][0]
    assert cells["y"] == [str(label) for label in matrix.index]
    assert cells["x"] == [str(label) for label in matrix.columns]
    assert np.allclose(np.array(cells["z"], dtype=float), matrix.to_numpy())


def test_the_annotators_page_reports_annotation_drift_as_findings(demo: Demo, viewer: TestClient) -> None:
    page = text(get(viewer, "/annotators"))
    drift = workspace_drift(demo.workspace, "month")
    assert f"{len(drift.windows):,} annotator-months compared" in page
    assert f"{len(drift.findings)} flagged" in page
    if not drift.findings:
        assert "No annotator drifted." in page


def test_the_releases_page_lists_every_release_newest_first(demo: Demo, viewer: TestClient) -> None:
    rows = table(get(viewer, "/releases"), "releases-table")
    releases = list(reversed(list_releases(demo.workspace)))
    assert [row[0] for row in rows] == [r["name"] for r in releases]
    assert [row[1] for row in rows] == [r["content_hash"][:16] for r in releases]
    assert [row[4] for row in rows] == [f"{r['item_count']:,}" for r in releases]



def test_the_compare_form_opens_the_diff_of_the_two_newest_releases(demo: Demo, viewer: TestClient) -> None:
    page = get(viewer, "/releases")
    newest, second = [r["name"] for r in reversed(list_releases(demo.workspace))][:2]
    assert re.search(rf'<select id="old" name="old">.*?<option value="{second}" selected>', page)
    assert re.search(rf'<select id="new" name="new">.*?<option value="{newest}" selected>', page)
    followed = viewer.get(f"/releases/diff?old={second}&new={newest}", follow_redirects=True)
    assert followed.status_code == 200
    assert followed.url.path == f"/releases/{second}/diff/{newest}"


def test_a_release_page_shows_its_hash_and_its_status_and_label_counts(demo: Demo, viewer: TestClient) -> None:
    name = list_releases(demo.workspace)[-1]["name"]
    summary = get_release(demo.workspace, name).summary()
    page = get(viewer, f"/releases/{name}")
    assert summary["content_hash"] in page
    cards = text(re.search(r'id="status-counts">(.*?)</div>\s*<section', page, re.S).group(1))  # type: ignore[union-attr]
    for status, count in summary["status_counts"].items():
        assert f"{count:,} {status}" in cards
    rows = table(page, "label-counts")
    assert {row[0]: row[1] for row in rows} == {label: f"{n:,}" for label, n in summary["label_counts"].items()}
    assert [row[0] for row in rows] == sorted(summary["label_counts"], key=lambda k: -summary["label_counts"][k])
    bars = figure(page, "chart-labels")["data"][0]
    assert dict(zip(bars["y"], bars["x"], strict=True)) == summary["label_counts"]


def test_the_diff_of_two_releases_shows_what_was_added_removed_and_relabeled(demo: Demo, viewer: TestClient) -> None:
    old, new = (r["name"] for r in list_releases(demo.workspace))
    expected = diff_releases(demo.workspace, old, new)
    via_form = viewer.get(f"/releases/diff?old={old}&new={new}", follow_redirects=False)
    assert via_form.headers["location"] == f"/releases/{old}/diff/{new}"
    page = get(viewer, f"/releases/{old}/diff/{new}")
    cards = text(re.search(r'id="diff-counts">(.*?)<section', page, re.S).group(1))  # type: ignore[union-attr]
    assert f"{len(expected.added):,} items added" in cards
    assert f"{len(expected.removed):,} items removed" in cards
    assert f"{len(expected.changed):,} items changed" in cards
    rows = table(page, "label-changes")
    assert [row[0] for row in rows] == list(expected.label_counts)
    for row in rows:
        counts = expected.label_counts[row[0]]
        assert row[1:] == [f"{counts['old']:,}", f"{counts['new']:,}", f"{counts['new'] - counts['old']:+,}"]
    assert len(table(page, "changed-items")) == min(len(expected.changed), 200)


def test_the_datasheet_is_shown_in_the_page_and_downloads_as_markdown_and_print_ready_html(
        demo: Demo, viewer: TestClient) -> None:
    name = list_releases(demo.workspace)[-1]["name"]
    sheet = build_datasheet(demo.workspace, name)
    page = get(viewer, f"/releases/{name}/datasheet")
    for section in sheet.sections:
        assert f"<h2>{escape(section.title)}</h2>" in page
    assert sheet.sections_html() in page
    assert 'href="?download=md"' in page
    assert 'href="?download=html"' in page
    assert 'id="edit"' not in page  # a viewer cannot edit

    markdown = viewer.get(f"/releases/{name}/datasheet?download=md")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.headers["content-disposition"] == f'attachment; filename="datasheet-{name}.md"'
    assert markdown.text == sheet.to_markdown()

    printable = viewer.get(f"/releases/{name}/datasheet?download=html")
    assert printable.text.startswith("<!doctype html>")
    assert "@page{size:A4;margin:" in printable.text
    assert "section.major{break-before:page}" in printable.text
    assert "thead{display:table-header-group}" in printable.text
    assert '<section class="major">' in printable.text
    assert "<nav" not in printable.text  # standalone: no layout
    assert "/static/" not in printable.text  # and nothing to fetch
    assert viewer.get(f"/releases/{name}/datasheet?download=pdf").status_code == 422


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def test_an_admin_edits_the_datasheet_text_into_answerkey_toml_with_an_audit_entry(demo: Demo) -> None:
    admin = demo.client("admin")
    name = list_releases(demo.workspace)[-1]["name"]
    page = get(admin, f"/releases/{name}/datasheet")
    assert 'id="edit"' in page
    form = {"csrf_token": csrf_of(page), "motivation": "Route <support> tickets.", "intended_uses": "Training.",
            "limitations": ""}
    before = audit_entries(demo.workspace)[1]
    saved = admin.post(f"/releases/{name}/datasheet", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/releases/{name}/datasheet?saved=true"
    config = tomllib.loads((demo.workspace.root / "answerkey.toml").read_text())
    assert config["datasheet"] == {"motivation": "Route <support> tickets.", "intended_uses": "Training."}
    shown = get(admin, saved.headers["location"])
    assert "<p>Route &lt;support&gt; tickets.</p>" in shown  # escaped, in the datasheet itself
    assert "Saved to answerkey.toml" in shown
    entries, total = audit_entries(demo.workspace)
    assert total == before + 1
    assert (entries[0]["actor"], entries[0]["action"]) == (ROLE_PEOPLE["admin"], "datasheet.edit")
    assert entries[0]["detail"]["changes"]["motivation"]["new"] == "Route <support> tickets."


def test_a_datasheet_edit_whose_audit_entry_cannot_commit_leaves_the_file_as_it_was(served_sqlite: Served) -> None:
    from answerkey.project import create_release

    workspace = served_sqlite.workspace
    create_release(workspace, "r1")
    path = workspace.root / "answerkey.toml"
    before = path.read_text()
    with workspace.transaction() as connection:  # the store refuses the audit entry, as a full disk would
        connection.exec_driver_sql("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
                                   "BEGIN SELECT RAISE(ABORT, 'no room for the audit entry'); END")
    client = TestClient(served_sqlite.client.app, headers=HTML, raise_server_exceptions=False)
    assert sign_in_with(client, served_sqlite.tokens["admin"]).status_code == 303
    page = get(client, "/releases/r1/datasheet")
    refused = client.post("/releases/r1/datasheet", data={"csrf_token": csrf_of(page), "motivation": "Unaudited."})
    assert refused.status_code == 409  # the store's refusal (an integrity error), not the form's
    assert path.read_text() == before
    assert workspace.config.datasheet == ()


def test_only_an_admin_with_the_forms_csrf_token_can_edit_the_datasheet(demo: Demo) -> None:
    name = list_releases(demo.workspace)[-1]["name"]
    path = demo.workspace.root / "answerkey.toml"
    before = path.read_text()
    for role in ("viewer", "annotator", "reviewer"):
        client = demo.client(role)
        token = csrf_of(get(client, "/releases"))
        refused = client.post(f"/releases/{name}/datasheet", data={"csrf_token": token, "motivation": "x"})
        assert refused.status_code == 403
    forged = demo.client("admin").post(f"/releases/{name}/datasheet", data={"motivation": "x"})
    assert forged.status_code == 403
    assert "CSRF" in text(forged.text)
    assert path.read_text() == before


def test_the_splits_page_shows_each_splits_sizes_seal_and_test_ledger(demo: Demo, viewer: TestClient) -> None:
    page = get(viewer, "/splits")
    releases = [r["name"] for r in list_releases(demo.workspace)]
    split = get_split(demo.workspace, releases[-1])
    ledger = ledger_report(demo.workspace, releases[-1])
    section = page.split(f'id="release-{releases[-1]}"', 1)[1].split("<section", 1)[0]
    shown = text(section)
    for name, count in split.counts.items():
        assert f"{count:,} {name}" in shown
    assert split.seal is not None
    assert split.seal["test_hash"] in shown
    assert f"looked at {ledger.summary['looks']} times (warning past {ledger.summary['warn_after']})" in shown
    rows = table(section, "#0")
    assert [row[3] for row in rows] == list(ledger.entries["model"])
    for finding in ledger.findings:
        assert finding.check in shown
    assert len(figure(section, "chart-ledger-1")["data"][0]["x"]) == len(ledger.entries)
    unsplit = text(page.split(f'id="release-{releases[0]}"', 1)[1])
    assert f"No split of this release. Make one with answerkey split create {releases[0]}" in unsplit


def test_the_monitoring_page_shows_the_latest_run_with_performance_lag_findings_and_decision(
        demo: Demo, viewer: TestClient) -> None:
    latest = monitor_runs(demo.workspace)[0]
    run = get_monitor_run(demo.workspace, latest["run_id"])
    page = get(viewer, "/monitoring")
    assert f'<option value="{latest["run_id"]}" selected>' in page
    decision = text(re.search(r'id="decision">(.*?)</div>', page, re.S).group(1))  # type: ignore[union-attr]
    assert decision.startswith({"retrain": "Retrain now.", "no_action": "No action needed.",
                                "wait_for_labels": "Wait for labels.",
                                "refresh_ground_truth": "Refresh the ground truth first."}[run["decision"]])
    lag = text(re.search(r'id="lag-cards">(.*?)</section>', page, re.S).group(1))  # type: ignore[union-attr]
    assert f"{run['lag']['predictions']:,} predictions" in lag
    assert f"{run['lag']['labelled']:,} with an outcome ({run['lag']['coverage']:.0%})" in lag
    findings = table(page, "monitor-findings")
    assert len(findings) == len(run["findings"])
    assert {row[1] for row in findings} == {f["check"] for f in run["findings"]}
    assert findings[0][0] == "error" if any(f["severity"] == "error" for f in run["findings"]) else True
    chart = figure(page, "chart-performance")
    names = {t["name"] for t in chart["data"]}
    assert {"realized", "estimated", "reference band"} <= names
    metric = chart["layout"]["title"]["text"].removesuffix(" by window")
    realized = {r["window_start"][:10]: r["value"] for r in run["realized"]
                if r["metric"] == metric and r["label"] is None}
    line = next(t for t in chart["data"] if t["name"] == "realized")
    assert {x: y for x, y in zip(line["x"], line["y"], strict=True) if x in realized} == pytest.approx(realized)


def test_another_run_or_metric_can_be_chosen_on_the_monitoring_page(demo: Demo, viewer: TestClient) -> None:
    run_id = monitor_runs(demo.workspace)[-1]["run_id"]
    page = get(viewer, f"/monitoring?run={run_id}&metric=f1_macro")
    assert f'<option value="{run_id}" selected>' in page
    assert figure(page, "chart-performance")["layout"]["title"]["text"] == "f1_macro by window"
    assert table(page, "windows-table")


def test_the_evals_page_lists_the_runs_and_a_run_shows_verdicts_sql_and_ranked_gaps(
        demo: Demo, reviewer: TestClient) -> None:
    viewer = reviewer  # the gold is shown to reviewers and admins
    runs = list_runs(demo.workspace)
    rows = table(get(viewer, "/evals"), "runs-table")
    assert [row[0] for row in rows] == list(reversed(list(runs["run_id"])))
    run_id = str(runs["run_id"].iloc[-1])
    report = eval_report(demo.workspace, run_id)
    page = get(viewer, f"/evals/{run_id}")
    summary = text(re.search(r'id="run-summary">(.*?)<dl', page, re.S).group(1))  # type: ignore[union-attr]
    assert f"{report.summary['passed']}/{report.summary['questions']} passed" in summary
    gaps = table(page, "gaps-table")
    assert [(row[2], int(row[4])) for row in gaps] == [(g["subject"], g["failures"])
                                                        for g in report.summary["context_gaps"]]
    questions = [row for row in table(page, "questions-table") if len(row) == 5]
    assert sorted(row[0] for row in questions) == sorted(report.results["question_id"])
    assert [row[1] == "pass" for row in questions] == sorted(row[1] == "pass" for row in questions)  # fails first
    wrong = report.results[report.results["verdict"] != "pass"].iloc[0]
    shown = text(page)
    assert " ".join(wrong["sql"].split()) in shown
    assert " ".join(wrong["gold_sql"].split()) in shown
    assert report.run["as_of"] is not None  # every run freezes the clock, and the page says when
    assert f"frozen at {str(report.run['as_of'])[:16]}" in shown


def test_a_viewer_sees_each_verdict_but_never_the_gold_or_its_values(demo: Demo, viewer: TestClient) -> None:
    run_id = str(list_runs(demo.workspace)["run_id"].iloc[-1])
    results = eval_report(demo.workspace, run_id).results
    wrong = results[results["verdict"] == "result-mismatch"].iloc[0]
    page = get(viewer, f"/evals/{run_id}")
    questions = {row[0]: row for row in table(page, "questions-table") if len(row) == 5}
    assert questions[str(wrong["question_id"])][1:] == ["result-mismatch", "the result differs from the gold", "—",
                                                         "—"]
    assert "gaps-table" not in page
    assert "they are shown to reviewers only" in text(page)
    assert "(shown to reviewers only)" in text(page)
    assert " ".join(str(wrong["gold_sql"]).split()) not in text(page)
    detail = get(viewer, f"/evals/{run_id}/questions/{wrong['question_id']}")
    assert " ".join(str(wrong["gold_sql"]).split()) not in text(detail)
    assert "the gold is shown to reviewers only" in text(detail)


def test_a_question_page_shows_both_statements_and_both_results_side_by_side(demo: Demo,
                                                                            reviewer: TestClient) -> None:
    viewer = reviewer
    run_id = str(list_runs(demo.workspace)["run_id"].iloc[-1])
    results = eval_report(demo.workspace, run_id).results
    question_id = str(results[results["verdict"] != "pass"]["question_id"].iloc[0])
    expected = question_results(demo.workspace, run_id, question_id)
    page = get(viewer, f"/evals/{run_id}/questions/{question_id}")
    sql = text(re.search(r'id="sql">(.*?)</section>', page, re.S).group(1))  # type: ignore[union-attr]
    assert " ".join(str(expected.gold.sql).split()) in sql
    assert " ".join(str(expected.answer.sql).split()) in sql
    assert expected.gold.result is not None
    assert expected.answer.result is not None
    parser = Tables()
    parser.feed(page.split('id="results"', 1)[1])
    gold, answer = list(parser.tables.values())[:2]
    assert gold[0] == list(expected.gold.result.columns)
    assert answer[0] == list(expected.answer.result.columns)
    assert gold[1:] == [["NULL" if v is None else str(v) for v in row] for row in expected.gold.result.rows]
    assert answer[1:] == [["NULL" if v is None else str(v) for v in row] for row in expected.answer.result.rows]


def test_two_runs_are_compared_question_by_question(demo: Demo, viewer: TestClient) -> None:
    run_id = str(list_runs(demo.workspace)["run_id"].iloc[-1])
    page = text(get(viewer, f"/evals/compare?before={run_id}&after={run_id}"))
    assert "0 fixed 0 broken" in page
    assert "No question changed its verdict." in page


@pytest.mark.parametrize("role", ["viewer", "annotator", "reviewer"])
def test_the_audit_log_is_refused_to_everyone_but_admins(demo: Demo, role: str) -> None:
    refused = demo.client(role).get("/audit")
    assert refused.status_code == 403
    assert "<h1>403</h1>" in refused.text
    assert f"has the {role} role; this needs admin or above" in text(refused.text)


def test_an_admin_reads_the_audit_log_newest_first_and_paged(demo: Demo) -> None:
    admin = demo.client("admin")
    entries, total = audit_entries(demo.workspace, limit=50)
    page = get(admin, "/audit")
    assert text(page).count(f"{total:,} entr") == 1
    rows = table(page, "audit-table") if entries else []
    assert [int(row[0]) for row in rows] == [e["audit_id"] for e in entries]
    assert get(admin, "/audit?page=2")
    assert admin.get("/audit?page=0").status_code == 422
    only = get(admin, f"/audit?actor={ROLE_PEOPLE['admin']}")
    assert f"by {ROLE_PEOPLE['admin']}" in text(only)


@pytest.mark.parametrize("path", [
    "/releases/nope", "/releases/nope/datasheet", "/releases/nope/datasheet?download=md",
    "/releases/2026-04/diff/nope", "/evals/nope", "/evals/nope/questions/q1", "/monitoring?run=nope",
])
def test_an_unknown_release_or_run_is_a_404_error_page(demo: Demo, viewer: TestClient, path: str) -> None:
    response = viewer.get(path)
    assert response.status_code == 404
    assert "<h1>404</h1>" in response.text
    assert "nope" in text(response.text)


def test_an_unknown_question_of_a_known_run_is_a_404_naming_the_run(demo: Demo, viewer: TestClient) -> None:
    run_id = str(list_runs(demo.workspace)["run_id"].iloc[-1])
    response = viewer.get(f"/evals/{run_id}/questions/nope")
    assert response.status_code == 404
    assert f"run {run_id} has no question 'nope'" in text(response.text)


PAGES = ["/annotators", "/releases", "/splits", "/monitoring", "/evals", "/audit"]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_without_a_session_sends_the_browser_to_sign_in(demo: Demo, path: str) -> None:
    with TestClient(demo.app, headers=HTML) as anonymous:
        response = anonymous.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")


def test_every_page_renders_for_an_admin_on_the_demo(demo: Demo) -> None:
    admin = demo.client("admin")
    release = list_releases(demo.workspace)[-1]["name"]
    run_id = str(list_runs(demo.workspace)["run_id"].iloc[-1])
    paths = [*PAGES, f"/releases/{release}", f"/releases/{list_releases(demo.workspace)[0]['name']}/diff/{release}",
             f"/releases/{release}/datasheet", f"/evals/{run_id}"]
    for path in paths:
        get(admin, path)  # timings belong in benchmarks, not tests: this pins that each page renders


def test_the_pages_explain_what_is_missing_on_a_young_workspace(served_sqlite: Served) -> None:
    client = served_sqlite.client
    assert served_sqlite.sign_in("viewer").status_code == 303
    annotators = client.get("/annotators", headers=HTML)
    assert annotators.status_code == 200
    assert [row[0] for row in table(annotators.text, "annotator-table")] != []
    assert "No two annotators share ten or more items" in text(annotators.text)
    expectations = {"/releases": "No release yet.", "/splits": "No release yet, so nothing to split.",
                    "/monitoring": "No monitor run is recorded.", "/evals": "No run is recorded."}
    for path, message in expectations.items():
        response = client.get(path, headers=HTML)
        assert response.status_code == 200, path
        assert message in text(response.text), path


def test_the_datasheet_file_of_the_demo_is_left_valid_toml(demo: Demo) -> None:
    assert tomllib.loads(Path(demo.workspace.root / "answerkey.toml").read_text())["workspace"]["name"]
