"""Who fixes the production log's column types: ``answerkey.toml`` or a reviewer's (or admin's) first write, never
an annotator's odd row, since a model service writes with an annotator's token and a type never changes."""

from __future__ import annotations

from typing import Any

import pytest

from answerkey.config import load_config
from answerkey.errors import WorkspaceError
from conftest import Served, declare_production_columns

T = "2026-01-05T09:00:00Z"
DECLARED = "a text value, the type answerkey.toml declares for prediction"


def prediction(pid: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"prediction_id": pid, "predicted_at": T, "prediction": value, **extra}


def parts(served: Served, kind: str = "predictions") -> list[str]:
    return sorted(p.name for p in (served.workspace.root / ".answerkey/production" / kind).glob("*.parquet"))


def post(served: Served, role: str, rows: list[dict[str, Any]], path: str = "/api/predictions") -> Any:
    return served.client.post(path, json=rows, headers=served.auth(role))


def problems(response: Any) -> list[tuple[int | None, str | None, str, str]]:
    assert response.status_code == 422, response.text
    return [(e["row"], e["field"], e["found"], e["expected"]) for e in response.json()["errors"]]


def test_an_annotators_odd_row_cannot_fix_a_type_and_lock_out_the_model_service(served_sqlite: Served) -> None:
    refused = post(served_sqlite, "annotator", [prediction("x1", True)])
    assert problems(refused) == [(0, "prediction", "a boolean value in a column whose type is not fixed yet",
                                  "a column whose type is fixed: declared in answerkey.toml ([production] columns) "
                                  "or first written by a reviewer's or admin's token")]
    assert "request body:0:prediction" in refused.json()["error"]
    assert parts(served_sqlite) == []
    assert post(served_sqlite, "reviewer", [prediction("p1", "billing")]).status_code == 201  # nothing was locked
    assert post(served_sqlite, "annotator", [prediction("p2", "technical")]).status_code == 201


def test_with_declared_types_an_annotators_row_of_another_type_is_refused_naming_its_row_and_field(
    served_sqlite: Served,
) -> None:
    declare_production_columns(served_sqlite.workspace, {"prediction": "text", "words": "number"})
    odd = post(served_sqlite, "annotator", [prediction("p1", "billing", words=3), prediction("p2", True, words=4)])
    assert problems(odd) == [(1, "prediction", "a boolean value", DECLARED)]
    assert parts(served_sqlite) == []
    assert post(served_sqlite, "annotator", [prediction("p1", "billing", words=3)]).status_code == 201
    outcome = post(served_sqlite, "annotator", [{"prediction_id": "p1", "outcome": False, "observed_at": T}],
                   "/api/outcomes")
    assert problems(outcome) == [(0, "outcome", "a boolean value", DECLARED)]
    assert parts(served_sqlite, "outcomes") == []


def test_a_declaration_binds_a_reviewer_too(served_sqlite: Served) -> None:
    declare_production_columns(served_sqlite.workspace, {"prediction": "boolean"})
    assert problems(post(served_sqlite, "admin", [prediction("p1", "yes")])) == [
        (0, "prediction", "a text value", "a boolean value, the type answerkey.toml declares for prediction")]
    assert post(served_sqlite, "annotator", [prediction("p1", True)]).status_code == 201


def test_a_reviewers_first_write_fixes_the_types_an_annotators_writes_keep(served_sqlite: Served) -> None:
    assert post(served_sqlite, "reviewer", [prediction("p1", "billing", words=3)]).status_code == 201
    assert problems(post(served_sqlite, "annotator", [prediction("p2", "account", words=2),
                                                      prediction("p3", "account", words="many")])) == [
        (1, "words", "a text value", "a number value, the type of words in the log (types never change)")]
    new_column = post(served_sqlite, "annotator", [prediction("p2", "account", words=2, channel="email")])
    assert [(row, field) for row, field, _, _ in problems(new_column)] == [(0, "channel")]
    assert len(parts(served_sqlite)) == 1
    assert post(served_sqlite, "reviewer", [prediction("p2", "account", words=2, channel="email")]).status_code == 201
    assert post(served_sqlite, "annotator", [prediction("p3", "technical", channel="chat")]).status_code == 201
    assert len(parts(served_sqlite)) == 3


@pytest.mark.parametrize(("declared", "message"), [
    ({"prediction": "boolean"}, "the predictions log holds text values"),
    ({"score": "text"}, "score always holds number values"),
    ({"prediction": "text", "outcome": "number"}, "they are compared, so they need one type"),
])
def test_a_declaration_the_log_or_a_built_in_field_contradicts_is_a_conflict_for_every_writer(
    served_sqlite: Served, declared: dict[str, str], message: str,
) -> None:
    assert post(served_sqlite, "reviewer", [prediction("p1", "billing")]).status_code == 201
    declare_production_columns(served_sqlite.workspace, declared)
    response = post(served_sqlite, "admin", [prediction("p2", "account")])
    assert response.status_code == 409
    assert message in response.json()["error"]
    assert len(parts(served_sqlite)) == 1


@pytest.mark.parametrize("columns", ['{prediction = "string"}', '{"not a name" = "text"}', '"text"'])
def test_a_declared_type_must_be_text_number_or_boolean_for_a_column_name(served_sqlite: Served,
                                                                          columns: str) -> None:
    path = served_sqlite.workspace.root / "answerkey.toml"
    path.write_text(path.read_text().replace("\n[production]\n", f"\n[production]\ncolumns = {columns}\n"))
    with pytest.raises(WorkspaceError, match=r"\[production\] columns"):
        load_config(served_sqlite.workspace.root)
