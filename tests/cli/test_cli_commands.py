"""The CLI as the issue specifies it: every command, --workspace, --json, exit statuses and one-line errors.

Most commands run in-process through ``answerkey.cli.main.run`` under capsys (true stdout, stderr and exit
status, fast); what only a real process shows (tracebacks, the installed console script) runs in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from answerkey.cli.main import run
from answerkey.config import DATABASE_URL_ENV

LABEL_STUDIO_EXPORT = Path(__file__).parent.parent / "data" / "label_studio_export.json"
CONSOLE_SCRIPT = Path(sys.executable).parent / "answerkey"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Cli = Callable[..., Result]


@pytest.fixture(autouse=True)
def sqlite_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workspaces use their own SQLite store, and tracebacks only show when a test asks for --debug."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv("ANSWERKEY_DEBUG", raising=False)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run the command line in-process and return its exit status, stdout and stderr."""

    def invoke(*args: str | Path) -> Result:
        capsys.readouterr()
        try:
            run([str(arg) for arg in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


def process(*args: str | Path, cwd: Path | None = None, program: list[str] | None = None) -> Result:
    """Run the command line in a real process."""
    env = {k: v for k, v in os.environ.items() if k not in (DATABASE_URL_ENV, "ANSWERKEY_DEBUG")}
    command = [*(program or [sys.executable, "-m", "answerkey.cli.main"]), *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, check=False)
    return Result(done.returncode, done.stdout, done.stderr)


def make_workspace(cli: Cli, root: Path) -> Path:
    """A workspace with the starter schema (positive, negative, neutral), three items and four judgements."""
    assert cli("init", root).code == 0
    (root / "items.csv").write_text("item_id,text\nT1,works great\nT2,still broken\nT3,where is my invoice\n",
                                    encoding="utf-8")
    (root / "labels.csv").write_text("item_id,annotator_id,label\nT1,ann,positive\nT1,bob,positive\n"
                                     "T2,ann,negative\nT2,bob,neutral\n", encoding="utf-8")
    assert cli("--workspace", root, "import", "items", root / "items.csv").code == 0
    assert cli("--workspace", root, "import", "annotations", root / "labels.csv").code == 0
    return root


def status(cli: Cli, root: Path) -> dict[str, Any]:
    result = cli("--workspace", root, "status", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert isinstance(report, dict)
    return report


# --- init and status ------------------------------------------------------------------------------------------


def test_init_writes_answerkey_toml_schema_yaml_and_the_store_folder(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", tmp_path / "labels")
    assert result.code == 0, result.err
    root = tmp_path / "labels"
    assert (root / "answerkey.toml").is_file()
    assert (root / "schema.yaml").is_file()
    assert (root / ".answerkey").is_dir()
    assert str(root) in result.out


def test_init_refuses_a_folder_that_is_a_workspace_already(cli: Cli, tmp_path: Path) -> None:
    assert cli("init", tmp_path / "labels").code == 0
    schema = (tmp_path / "labels" / "schema.yaml").read_text(encoding="utf-8")
    again = cli("init", tmp_path / "labels")
    assert again.code == 2
    assert "already exists" in again.err
    assert (tmp_path / "labels" / "schema.yaml").read_text(encoding="utf-8") == schema


def test_status_json_prints_an_object_with_items_annotators_and_annotations(cli: Cli, tmp_path: Path) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    report = status(cli, root)
    assert isinstance(report, dict)
    assert (report["items"], report["annotators"], report["annotations"]) == (3, 2, 4)
    result = cli("--workspace", root, "status")  # without --json: text for people
    assert result.code == 0
    assert "annotations" in result.out
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.out)


# --- --workspace --------------------------------------------------------------------------------------------------

EVERY_COMMAND: list[tuple[str, ...]] = [
    ("status", "--json"),
    ("import", "items", "{data}/more_items.csv"),
    ("import", "annotations", "{data}/more_labels.jsonl", "--json"),
    ("schema", "check"),
    ("schema", "register"),
    ("schema", "diff", "1", "current", "--json"),
    ("release", "create", "r1", "--json"),
    ("release", "list", "--json"),
    ("release", "show", "r1", "--json"),
    ("release", "diff", "r1", "r1", "--json"),
    ("export", "r1", "--format", "csv", "-o", "{data}/export"),
    ("agreement", "--json"),
]


def test_every_command_works_from_another_folder_with_the_workspace_option(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    data = tmp_path / "elsewhere"
    data.mkdir()
    (data / "more_items.csv").write_text("item_id,text\nT4,a new one\n", encoding="utf-8")
    (data / "more_labels.jsonl").write_text('{"item_id": "T4", "annotator_id": "ann", "label": "neutral"}\n',
                                            encoding="utf-8")
    monkeypatch.chdir(data)
    for command in EVERY_COMMAND:
        args = [part.format(data=data) for part in command]
        result = cli("--workspace", root, *args)
        assert result.code == 0, (args, result.err)
        if "--json" in args:
            json.loads(result.out)
    assert (data / "export" / "labels.csv").is_file()
    assert status(cli, root)["items"] == 4
    assert cli("status").code == 2  # the folder itself is no workspace


def test_commands_find_the_workspace_from_a_subfolder(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    (root / "data" / "deep").mkdir(parents=True)
    monkeypatch.chdir(root / "data" / "deep")
    result = cli("status", "--json")
    assert result.code == 0, result.err
    assert result.json()["items"] == 3


# --- user errors ----------------------------------------------------------------------------------------------


def bad_file(folder: Path, fmt: str, column: str, value: str) -> tuple[Path, int]:
    """A three-row file whose second row has ``value`` in ``column``; returns it and the bad row's number."""
    rows = [{"item_id": "T1", "annotator_id": "cy", "label": "positive", "created_at": "2026-01-01T00:00:00Z",
             "source": "human"} for _ in range(3)]
    rows[2]["annotator_id"] = "dee"
    rows[1]["annotator_id"] = "ed"
    rows[1][column] = value
    path = folder / f"bad.{fmt}"
    frame = pd.DataFrame(rows)
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path, index=False)
    return path, (3 if fmt == "csv" else 2)


BAD_IMPORTS = [("csv", "label", "postive"), ("parquet", "created_at", "01/02/2026"), ("jsonl", "source", "crowd")]


@pytest.mark.parametrize(("fmt", "column", "value"), BAD_IMPORTS, ids=[f"{c[1]} in {c[0]}" for c in BAD_IMPORTS])
def test_a_bad_import_file_exits_2_with_one_line_naming_file_row_column_and_value(
    cli: Cli, tmp_path: Path, fmt: str, column: str, value: str
) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    before = status(cli, root)
    path, row = bad_file(tmp_path, fmt, column, value)
    result = cli("--workspace", root, "import", "annotations", path)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"error: {path}:{row}:{column}: found ")
    assert repr(value) in lines[0]
    assert "Traceback" not in result.err
    assert result.out == ""
    assert status(cli, root) == before


def test_a_bad_item_file_exits_2_naming_the_row(cli: Cli, tmp_path: Path) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    (tmp_path / "items.csv").write_text("item_id,text\nT7,fine\nT2,a different text\n", encoding="utf-8")
    result = cli("--workspace", root, "import", "items", tmp_path / "items.csv")
    assert result.code == 2
    assert result.err.startswith(f"error: {tmp_path / 'items.csv'}:3:item_id: found item 'T2'")
    assert status(cli, root)["items"] == 3


def test_an_unknown_release_exits_2_with_one_line_naming_it_in_show_diff_and_export(cli: Cli, tmp_path: Path) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    assert cli("--workspace", root, "release", "create", "r1").code == 0
    for args in [("release", "show", "nope"), ("release", "diff", "nope", "r1"), ("release", "diff", "r1", "nope"),
                 ("export", "nope", "--format", "csv", "-o", tmp_path / "out")]:
        result = cli("--workspace", root, *args)
        assert result.code == 2, args
        assert len(result.err.strip().splitlines()) == 1, result.err
        assert "no release named 'nope'" in result.err
        assert "r1" in result.err  # the releases that do exist
        assert "Traceback" not in result.err
    assert not (tmp_path / "out").exists()


def test_a_release_name_used_before_exits_2(cli: Cli, tmp_path: Path) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    assert cli("--workspace", root, "release", "create", "r1").code == 0
    result = cli("--workspace", root, "release", "create", "r1")
    assert result.code == 2
    assert "exists already" in result.err


@pytest.mark.parametrize("args", [("status",), ("import", "annotations", "labels.csv"), ("release", "list"),
                                  ("schema", "check")], ids=["status", "import", "release", "schema"])
def test_a_command_outside_any_workspace_exits_2_and_says_how_to_make_one(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli(*args)
    assert result.code == 2
    assert "answerkey init" in result.err
    assert "Traceback" not in result.err


def test_a_workspace_option_naming_a_folder_without_a_workspace_exits_2(cli: Cli, tmp_path: Path) -> None:
    result = cli("--workspace", tmp_path / "nowhere", "status")
    assert result.code == 2
    assert "answerkey init" in result.err


def test_a_real_process_shows_no_traceback_for_a_user_error_and_one_with_debug(cli: Cli, tmp_path: Path) -> None:
    make_workspace(cli, tmp_path / "labels")
    path, _ = bad_file(tmp_path, "csv", "label", "postive")
    script = [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else None  # the installed `answerkey`, when it is
    plain = process("--workspace", tmp_path / "labels", "import", "annotations", path, program=script)
    assert plain.code == 2
    assert plain.err.startswith(f"error: {path}:3:label: found label 'postive'")
    assert len(plain.err.strip().splitlines()) == 1
    assert "Traceback" not in plain.err
    debug = process("--debug", "--workspace", tmp_path / "labels", "import", "annotations", path)
    assert debug.code != 0
    assert "Traceback (most recent call last)" in debug.err
    assert "ImportValidationError" in debug.err


# --- schema -------------------------------------------------------------------------------------------------------


def test_schema_check_exits_0_on_the_starter_schema(cli: Cli, tmp_path: Path) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    result = cli("--workspace", root, "schema", "check")
    assert result.code == 0, result.out


def test_schema_check_exits_1_when_a_finding_is_an_error_and_prints_the_findings(cli: Cli, tmp_path: Path) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    schema = root / "schema.yaml"
    schema.write_text(schema.read_text(encoding="utf-8") + "examples:\n- text: refund me\n  label: postive\n",
                      encoding="utf-8")
    result = cli("--workspace", root, "schema", "check")
    assert result.code == 1
    assert "error" in result.out
    assert "'postive'" in result.out
    as_json = cli("--workspace", root, "schema", "check", "--json")
    assert as_json.code == 1
    findings = as_json.json()
    assert isinstance(findings, list)
    assert any(f["check"] == "schema.example_label" and f["severity"] == "error" for f in findings)


def test_schema_diff_of_two_registered_versions_lists_a_split(cli: Cli, tmp_path: Path) -> None:
    root = make_workspace(cli, tmp_path / "labels")  # the import registered version 1
    schema = root / "schema.yaml"
    text = schema.read_text(encoding="utf-8")
    schema.write_text(text.replace("version: 1", "version: 2").replace(
        "- name: negative", "- name: negative_product\n  replaces: [negative]\n- name: negative_service\n"
        "  replaces: [negative]"), encoding="utf-8")
    assert cli("--workspace", root, "schema", "register").code == 0
    assert status(cli, root)["schema_versions"] == [1, 2]
    result = cli("--workspace", root, "schema", "diff", "1", "2")
    assert result.code == 0, result.err
    assert "split" in result.out
    assert "negative -> negative_product, negative_service" in result.out
    as_json = cli("--workspace", root, "schema", "diff", "1", "2", "--json").json()
    assert as_json["split"] == {"negative": ["negative_product", "negative_service"]}


def test_a_changed_schema_under_a_registered_version_exits_2_and_says_so(cli: Cli, tmp_path: Path) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    schema = root / "schema.yaml"
    schema.write_text(schema.read_text(encoding="utf-8").replace("- name: neutral", "- name: mixed"),
                      encoding="utf-8")
    result = cli("--workspace", root, "import", "annotations", root / "labels.csv")
    assert result.code == 2
    assert "version 1" in result.err
    assert "Traceback" not in result.err


# --- releases and export ---------------------------------------------------------------------------------------


def test_releases_are_created_listed_shown_and_diffed_as_json(cli: Cli, tmp_path: Path) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    created = cli("--workspace", root, "release", "create", "r1", "--json", "--note", "first")
    assert created.code == 0, created.err
    first = created.json()
    assert isinstance(first, dict)
    assert len(first["content_hash"]) == 64
    assert (first["name"], first["schema_version"], first["items"]) == ("r1", 1, 3)
    assert first["status_counts"] == {"agreed": 1, "disputed": 1, "unlabeled": 1}
    (tmp_path / "more.csv").write_text("item_id,annotator_id,label\nT2,cy,negative\nT3,ann,neutral\n",
                                       encoding="utf-8")
    assert cli("--workspace", root, "import", "annotations", tmp_path / "more.csv").code == 0
    assert cli("--workspace", root, "release", "create", "r2").code == 0
    listed = cli("--workspace", root, "release", "list", "--json").json()
    assert [r["name"] for r in listed] == ["r1", "r2"]
    shown = cli("--workspace", root, "release", "show", "r1", "--json").json()
    assert shown["content_hash"] == first["content_hash"]
    assert shown["note"] == "first"
    diff = cli("--workspace", root, "release", "diff", "r1", "r2", "--json").json()
    assert isinstance(diff, dict)
    assert (diff["added"], diff["removed"]) == ([], [])
    assert {c["item_id"]: (c["old_status"], c["new_label"]) for c in diff["changed"]} == {
        "T2": ("disputed", "negative"), "T3": ("unlabeled", "neutral")
    }
    assert diff["label_counts"]["negative"] == {"old": 0, "new": 1}
    text = cli("--workspace", root, "release", "diff", "r1", "r2")
    assert "2 changed" in text.out


def test_export_writes_the_release_as_csv_into_the_out_folder(cli: Cli, tmp_path: Path) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    assert cli("--workspace", root, "release", "create", "r1").code == 0
    out = tmp_path / "export"
    result = cli("--workspace", root, "export", "r1", "--format", "csv", "-o", out)
    assert result.code == 0, result.err
    names = {p.name for p in out.iterdir()}
    assert {"schema.yaml", "items.csv", "annotations.csv", "labels.csv"} <= names
    assert all(str(out / name) in result.out for name in ("items.csv", "labels.csv"))
    assert len(pd.read_csv(out / "annotations.csv")) == 4


def test_an_export_re_imported_through_the_cli_gives_the_same_hash(cli: Cli, tmp_path: Path) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    digest = cli("--workspace", root, "release", "create", "r1", "--json").json()["content_hash"]
    out = tmp_path / "export"
    assert cli("--workspace", root, "export", "r1", "--format", "jsonl", "-o", out).code == 0
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "schema.yaml").write_text((out / "schema.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert cli("init", copy).code == 0
    assert cli("-w", copy, "import", "items", out / "items.jsonl").code == 0
    assert cli("-w", copy, "import", "annotations", out / "annotations.jsonl").code == 0
    again = cli("-w", copy, "release", "create", "r1", "--json").json()
    assert again["content_hash"] == digest


def test_an_unknown_export_format_exits_2_naming_the_formats(cli: Cli, tmp_path: Path) -> None:
    root = make_workspace(cli, tmp_path / "labels")
    assert cli("--workspace", root, "release", "create", "r1").code == 0
    result = cli("--workspace", root, "export", "r1", "--format", "xlsx", "-o", tmp_path / "out")
    assert result.code == 2
    assert "parquet, csv, jsonl" in result.err


def test_import_label_studio_creates_items_and_annotations(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "ls"
    root.mkdir()
    (root / "schema.yaml").write_text(
        "name: tickets\nversion: 1\ntask: multi_label\nlabels:\n"
        + "".join(f"- name: {name}\n  definition: about {name}\n"
                  for name in ("billing", "technical_issue", "account_access", "cancellation")),
        encoding="utf-8",
    )
    assert cli("init", root).code == 0
    result = cli("-w", root, "import", "label-studio", LABEL_STUDIO_EXPORT, "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert (report["items_added"], report["rows_added"]) == (12, 28)
    assert report["skipped"] == {"cancelled": 1, "empty": 1}
    assert (status(cli, root)["items"], status(cli, root)["annotations"]) == (12, 28)


# --- demo -----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "demo"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DATABASE_URL_ENV, raising=False)
        with pytest.raises(SystemExit) as done:
            run(["demo", str(root), "--items", "300"])
    assert done.value.code in (0, None)
    return root


def test_demo_builds_a_workspace_with_two_releases_and_a_report(cli: Cli, demo: Path) -> None:
    assert (demo / "report.html").is_file()
    assert (demo / "answerkey.toml").is_file()
    releases = cli("--workspace", demo, "release", "list", "--json").json()
    assert isinstance(releases, list)
    assert len(releases) == 2
    assert releases[0]["schema_version"] < releases[1]["schema_version"]
    report = status(cli, demo)
    assert report["items"] == 300
    assert report["annotators"] > 1


def test_demo_refuses_a_folder_that_is_not_empty_unless_forced(cli: Cli, demo: Path) -> None:
    result = cli("demo", demo, "--items", "300")
    assert result.code == 2
    assert "--force" in result.err
    assert "Traceback" not in result.err
    assert len(cli("--workspace", demo, "release", "list", "--json").json()) == 2
    forced = cli("demo", demo, "--items", "300", "--force")
    assert forced.code == 0, forced.err
    assert len(cli("--workspace", demo, "release", "list", "--json").json()) == 2
    assert (demo / "report.html").is_file()


def test_demo_never_clears_a_folder_that_is_not_a_demo_workspace_even_with_force(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.md").write_text("precious", encoding="utf-8")
    for extra in ([], ["--force"]):
        result = cli("demo", folder, "--items", "300", *extra)
        assert result.code == 2
        assert "not empty" in result.err
    assert (folder / "chapter1.md").read_text(encoding="utf-8") == "precious"
