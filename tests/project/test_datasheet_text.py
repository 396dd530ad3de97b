"""Editing the datasheet's free text where it lives, ``[datasheet]`` in answerkey.toml: only that table changes,
the file is replaced whole, and what the rewrite cannot handle safely is refused."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from answerkey.config import DATABASE_URL_ENV, DEFAULT_CONFIG
from answerkey.errors import ConflictError, ParameterError, WorkspaceError
from answerkey.project import Workspace
from answerkey.project.datasheet import build_datasheet
from answerkey.project.datasheet_text import (
    apply_datasheet_text,
    datasheet_text,
    plan_datasheet_text,
    rewrite_datasheet_table,
    set_datasheet_text,
)
from conftest import make_schema

CONFIG = DEFAULT_CONFIG.format(name="tickets", store_dir=".answerkey")


def test_setting_a_field_keeps_every_other_line_and_comment() -> None:
    text = rewrite_datasheet_table(CONFIG, {"motivation": 'Route "tickets"\nto the right team.'})
    assert text.startswith(CONFIG.rstrip("\n"))  # everything before is kept, the commented examples included
    data = tomllib.loads(text)
    assert data["datasheet"] == {"motivation": 'Route "tickets"\nto the right team.'}
    assert data["workspace"] == tomllib.loads(CONFIG)["workspace"]


def test_setting_a_field_again_replaces_it_and_an_empty_text_removes_it() -> None:
    first = rewrite_datasheet_table(CONFIG, {"motivation": "one", "limitations": "not for refunds"})
    second = rewrite_datasheet_table(first, {"motivation": "two", "limitations": ""})
    assert tomllib.loads(second)["datasheet"] == {"motivation": "two"}
    assert second.count("\nmotivation =") == 1


def test_a_multi_line_string_is_replaced_whole_and_the_next_table_survives() -> None:
    text = '[datasheet]\nmotivation = """first\nsecond"""\nlimitations = "keep"\n\n[store]\nurl = "sqlite://"\n'
    rewritten = rewrite_datasheet_table(text, {"motivation": "new"})
    assert tomllib.loads(rewritten) == {"datasheet": {"motivation": "new", "limitations": "keep"},
                                        "store": {"url": "sqlite://"}}


def test_a_file_without_a_datasheet_table_gets_one_at_the_end() -> None:
    text = rewrite_datasheet_table('[workspace]\nname = "x"\n', {"intended_uses": "training"})
    assert text.endswith('[datasheet]\nintended_uses = "training"\n')
    assert rewrite_datasheet_table('[workspace]\nname = "x"\n', {"intended_uses": ""}) == '[workspace]\nname = "x"\n'


def test_a_layout_the_rewrite_cannot_handle_is_refused() -> None:
    with pytest.raises(WorkspaceError, match="edit the file by hand"):
        rewrite_datasheet_table('datasheet.motivation = "dotted"\n', {"motivation": "new"})
    with pytest.raises(WorkspaceError, match="not valid TOML"):
        rewrite_datasheet_table("[datasheet\n", {"motivation": "new"})


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    return Workspace.init(tmp_path / "ws", schema=make_schema())


def test_saved_text_lands_in_the_file_and_the_open_workspace(workspace: Workspace) -> None:
    changes = set_datasheet_text(workspace, {"motivation": "  Route tickets.  ", "limitations": ""})
    assert changes == {"motivation": {"old": "", "new": "Route tickets."}}
    assert tomllib.loads((workspace.root / "answerkey.toml").read_text())["datasheet"] == {
        "motivation": "Route tickets."}
    assert datasheet_text(workspace) == {"motivation": "Route tickets.", "intended_uses": "", "limitations": ""}
    assert Workspace.open(workspace.root).config.datasheet == (("motivation", "Route tickets."),)
    assert not list(workspace.root.glob(".answerkey.toml.*"))  # no temporary file left behind


def test_saving_the_same_text_changes_nothing(workspace: Workspace) -> None:
    set_datasheet_text(workspace, {"motivation": "Route tickets."})
    before = (workspace.root / "answerkey.toml").stat().st_mtime_ns
    assert set_datasheet_text(workspace, {"motivation": "Route tickets."}) == {}
    assert (workspace.root / "answerkey.toml").stat().st_mtime_ns == before


def test_an_edit_planned_before_another_process_changed_the_file_is_refused_and_keeps_that_change(
        workspace: Workspace) -> None:
    path = workspace.root / "answerkey.toml"
    edit = plan_datasheet_text(workspace, {"motivation": "Route tickets."})
    path.write_text(path.read_text() + "\n# a teammate's note\n")  # another process edits the file meanwhile
    changed = path.read_text()
    with pytest.raises(ConflictError, match="changed while the datasheet text was being saved"):
        apply_datasheet_text(workspace, edit)
    assert path.read_text() == changed


@pytest.mark.parametrize(("texts", "message"), [
    ({"title": "x"}, "datasheet field must be one of motivation"),
    ({"motivation": "bell\x07"}, "motivation must be text without control characters"),
    ({"limitations": "x" * 10_001}, "limitations must be at most 10,000 characters"),
])
def test_bad_text_is_refused_and_the_file_is_left_alone(workspace: Workspace, texts: dict[str, str],
                                                        message: str) -> None:
    before = (workspace.root / "answerkey.toml").read_text()
    with pytest.raises(ParameterError, match=message):
        set_datasheet_text(workspace, texts)
    assert (workspace.root / "answerkey.toml").read_text() == before


def test_the_datasheet_shows_the_saved_text(workspace: Workspace, tmp_path: Path) -> None:
    from answerkey.project import create_release, import_annotations, import_items

    (tmp_path / "items.csv").write_text("item_id,segment\nT1,smb\nT2,smb\n")
    (tmp_path / "labels.csv").write_text("item_id,annotator_id,label\nT1,a,billing\nT1,b,billing\nT2,a,account\n"
                                         "T2,b,account\n")
    import_items(workspace, tmp_path / "items.csv")
    import_annotations(workspace, tmp_path / "labels.csv")
    create_release(workspace, "r1")
    set_datasheet_text(workspace, {"intended_uses": "Ranking replies."})
    assert "Ranking replies." in build_datasheet(workspace, "r1").section("Intended uses").paragraphs[0]
