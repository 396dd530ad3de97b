"""The CLI end to end, as a user runs it: exit statuses, one-line errors, --json, --workspace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from answerkey.config import DATABASE_URL_ENV


def answerkey(*args: str | Path, cwd: Path | None = None, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (DATABASE_URL_ENV, "ANSWERKEY_DEBUG")} | extra_env
    return subprocess.run([sys.executable, "-m", "answerkey.cli.main", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, check=False)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "labels"
    assert answerkey("init", root).returncode == 0
    (root / "items.csv").write_text("item_id,text\nT1,refund please\nT2,app crashes\n")
    (root / "labels.csv").write_text("item_id,annotator_id,label\nT1,ann,positive\nT1,bob,positive\nT2,ann,negative\n")
    assert answerkey("import", "items", "items.csv", cwd=root).returncode == 0
    assert answerkey("import", "annotations", "labels.csv", cwd=root).returncode == 0
    return root


def test_init_writes_the_config_the_schema_and_the_store(tmp_path: Path) -> None:
    result = answerkey("init", tmp_path / "new")
    assert result.returncode == 0, result.stderr
    assert {p.name for p in (tmp_path / "new").iterdir()} >= {"answerkey.toml", "schema.yaml", ".answerkey"}
    assert (tmp_path / "new" / ".answerkey" / "store.db").is_file()
    again = answerkey("init", tmp_path / "new")
    assert again.returncode == 2
    assert "already exists" in again.stderr


def test_status_json_counts_items_annotators_and_annotations(ws: Path) -> None:
    result = answerkey("--workspace", ws, "status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert (status["items"], status["annotators"], status["annotations"]) == (2, 2, 3)


def test_a_bad_import_exits_2_with_one_message_naming_file_row_column_and_value(ws: Path) -> None:
    (ws / "bad.csv").write_text("item_id,annotator_id,label\nT1,ann,positive\nT2,bob,postive\n")
    result = answerkey("import", "annotations", "bad.csv", cwd=ws)
    assert result.returncode == 2
    assert result.stderr.startswith("error: bad.csv:3:label: found label 'postive'")
    assert "Traceback" not in result.stderr
    assert json.loads(answerkey("status", "--json", cwd=ws).stdout)["annotations"] == 3


def test_debug_shows_the_traceback(ws: Path) -> None:
    result = answerkey("--debug", "import", "annotations", "missing.csv", cwd=ws)
    assert result.returncode != 0
    assert "Traceback" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("release", "show", "nope"), "no release named 'nope'"),
    (("import", "items", "nofile.parquet"), "nofile.parquet: found no such file"),
    (("schema", "diff", "9", "1"), "no schema version 9"),
])
def test_user_errors_exit_2_without_a_traceback(ws: Path, args: tuple[str, ...], message: str) -> None:
    result = answerkey(*args, cwd=ws)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_commands_outside_a_workspace_say_how_to_make_one(tmp_path: Path) -> None:
    result = answerkey("status", cwd=tmp_path)
    assert result.returncode == 2
    assert "answerkey init" in result.stderr


def test_releases_are_created_listed_shown_diffed_and_exported(ws: Path, tmp_path: Path) -> None:
    created = json.loads(answerkey("release", "create", "r1", "--json", cwd=ws).stdout)
    assert len(created["content_hash"]) == 64
    (ws / "more.csv").write_text("item_id,annotator_id,label\nT2,bob,negative\n")
    answerkey("import", "annotations", "more.csv", cwd=ws)
    answerkey("release", "create", "r2", cwd=ws)
    listed = json.loads(answerkey("release", "list", "--json", cwd=ws).stdout)
    assert [r["name"] for r in listed] == ["r1", "r2"]
    shown = json.loads(answerkey("release", "show", "r1", "--json", cwd=ws).stdout)
    assert shown["content_hash"] == created["content_hash"]
    diff = json.loads(answerkey("release", "diff", "r1", "r2", "--json", cwd=ws).stdout)
    assert diff["changed"] == []
    out = tmp_path / "export"
    exported = answerkey("export", "r2", "--format", "csv", "-o", out, cwd=ws)
    assert exported.returncode == 0, exported.stderr
    assert {"schema.yaml", "release.json", "items.csv", "annotations.csv", "labels.csv"} <= {
        p.name for p in out.iterdir()
    }


def test_schema_check_exits_1_on_an_error_finding(ws: Path, tmp_path: Path) -> None:
    assert answerkey("schema", "check", cwd=ws).returncode == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nversion: 1\ntask: ordinal\nlabels:\n  - name: low\n  - name: high\n")
    result = answerkey("schema", "check", broken, "--json", cwd=ws)
    assert result.returncode == 1
    checks = {f["check"] for f in json.loads(result.stdout)}
    assert {"schema.order", "schema.definition"} <= checks


def test_schema_diff_lists_a_split_between_registered_versions(ws: Path) -> None:
    schema = (ws / "schema.yaml").read_text()
    split = schema.replace("version: 1", "version: 2").replace(
        "- name: negative", "- name: negative_product\n  replaces: [negative]\n- name: negative_service\n"
        "  replaces: [negative]")
    (ws / "schema.yaml").write_text(split)
    assert answerkey("schema", "register", cwd=ws).returncode == 0
    result = answerkey("schema", "diff", "1", "2", "--json", cwd=ws)
    assert json.loads(result.stdout)["split"] == {"negative": ["negative_product", "negative_service"]}
    (ws / "schema.yaml").write_text(schema.replace("version: 1", "version: 3"))


def test_demo_builds_a_workspace_with_two_releases_and_a_report(tmp_path: Path) -> None:
    result = answerkey("demo", tmp_path / "demo", "--items", "300")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "demo" / "report.html").is_file()
    listed = json.loads(answerkey("release", "list", "--json", cwd=tmp_path / "demo").stdout)
    assert len(listed) == 2
    refused = answerkey("demo", tmp_path / "demo", "--items", "300")
    assert refused.returncode == 2
    assert "--force" in refused.stderr
    assert answerkey("demo", tmp_path / "demo", "--items", "300", "--force").returncode == 0


def test_a_store_that_does_not_answer_is_one_line_and_exit_2(ws: Path) -> None:
    result = answerkey("status", cwd=ws, **{DATABASE_URL_ENV: "postgresql+psycopg://postgres@127.0.0.1:9/none"})
    assert result.returncode == 2
    assert "cannot open the store" in result.stderr
    assert "Traceback" not in result.stderr
