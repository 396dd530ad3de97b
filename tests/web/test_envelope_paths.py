"""An error the server reports never shows where the server keeps its files: paths in the workspace are shown
relative to it, any other path of the server by its file name alone."""

from __future__ import annotations

from pathlib import Path

from answerkey.errors import ImportValidationError, RowProblem
from answerkey.web.envelope import hide_server_paths
from conftest import Served


def test_a_path_in_the_workspace_is_shown_relative_to_it(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert hide_server_paths(f"{root}/schema.yaml: not valid YAML", root) == "schema.yaml: not valid YAML"
    assert hide_server_paths(f"cannot open {root}/.answerkey/store.db", root) == "cannot open .answerkey/store.db"
    assert hide_server_paths(f"nothing in {root}", root) == "nothing in ."
    assert hide_server_paths(f"{root}2/other.csv", root) == "other.csv"  # a sibling folder is not the workspace


def test_any_other_path_of_the_server_is_shown_by_its_file_name_and_url_paths_stay(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert hide_server_paths(f"no such file: '{tmp_path}/elsewhere/golden.jsonl'", root) == \
        "no such file: 'golden.jsonl'"
    assert hide_server_paths(f"cannot open the store at 'sqlite:///{tmp_path}/x/store.db'", root) == \
        "cannot open the store at 'sqlite:///store.db'"
    for text in ("no such path: /api/nope", "`GET /api/items` lists them", "see https://example.org/docs/a/b",
                 "a ratio of 1/2", "/review/T1"):
        assert hide_server_paths(text, root) == text


def test_an_api_error_caused_by_a_file_in_the_workspace_names_it_without_the_servers_folders(
    served_sqlite: Served,
) -> None:
    root = served_sqlite.workspace.root
    (root / "schema.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    response = served_sqlite.client.post("/api/annotations", headers=served_sqlite.auth("annotator"),
                                         json=[{"item_id": "T1", "label": "billing"}])
    assert response.status_code == 422
    body = response.text
    assert response.json()["error"].startswith("schema.yaml")
    assert str(root) not in body
    assert str(root.parent) not in body


def test_the_error_page_for_a_browser_names_the_file_without_the_servers_folders(served_sqlite: Served) -> None:
    root = served_sqlite.workspace.root
    served_sqlite.sign_in("reviewer")
    (root / "schema.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    response = served_sqlite.client.get("/review/T1", headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert "schema.yaml" in response.text
    assert str(root.parent) not in response.text


def test_the_problems_of_an_error_name_their_file_without_the_servers_folders(served_sqlite: Served) -> None:
    root = served_sqlite.workspace.root

    def failing_import() -> None:
        raise ImportValidationError([RowProblem(str(root / "incoming" / "labels.csv"), 3, "label", "'biling'",
                                                "a label of the schema")])

    served_sqlite.client.app.add_api_route("/api/failing-import", failing_import)
    response = served_sqlite.client.get("/api/failing-import")
    assert response.status_code == 422
    assert response.json()["errors"][0]["file"] == "incoming/labels.csv"
    assert str(root.parent) not in response.text
