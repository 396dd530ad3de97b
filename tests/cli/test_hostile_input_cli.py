"""Hostile files through the real ``answerkey`` command: each is refused with exit status 2 and one line naming
the file (and row and column where there are ones), quickly, without a traceback, and the store is untouched."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from answerkey.config import DATABASE_URL_ENV

TABLES = ("imports", "items", "annotators", "annotations", "schema_versions")


def answerkey(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (DATABASE_URL_ENV, "ANSWERKEY_DEBUG")}
    return subprocess.run([sys.executable, "-m", "answerkey.cli.main", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, check=False, timeout=120)


def store_rows(root: Path) -> dict[str, int]:
    with sqlite3.connect(root / ".answerkey" / "store.db") as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


def refused(root: Path, *args: str | Path) -> str:
    """The one line ``answerkey *args`` fails with, after checking it exits 2, without a traceback, writing
    nothing to the store."""
    before = store_rows(root)
    result = answerkey(*args, cwd=root)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1, result.stderr[:2000]
    assert len(result.stderr) < 500
    assert store_rows(root) == before
    return result.stderr.removeprefix("error: ").rstrip("\n")


def billion_laughs(tail: str) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]
    return "\n".join([*lines, tail]) + "\n"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "labels"
    assert answerkey("init", root, cwd=root.parent).returncode == 0
    (root / "items.csv").write_text("item_id,text\nT1,refund please\nT2,app crashes\n")
    assert answerkey("import", "items", "items.csv", cwd=root).returncode == 0
    return root


def test_an_alias_bomb_in_schema_yaml_exits_2_naming_the_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert answerkey("init", root, cwd=tmp_path).returncode == 0
    (root / "schema.yaml").write_text(billion_laughs("name: t\nversion: 1\nlabels: *a8"), encoding="utf-8")
    message = refused(root, "schema", "check")
    assert message.startswith(f"{root / 'schema.yaml'}:2: found an alias (*a0)")
    assert "not accepted" in message


def test_an_alias_bomb_in_a_context_table_exits_2_naming_the_file_and_line(ws: Path) -> None:
    table = ws / "context" / "tables" / "x.yaml"
    table.parent.mkdir(parents=True, exist_ok=True)
    table.write_text(billion_laughs("name: x\ncolumns: *a8"), encoding="utf-8")
    try:
        message = refused(ws, "context", "export")
    finally:
        table.unlink()
    assert message.startswith(f"{table}:2: found an alias (*a0)")


def test_a_20_mb_single_line_csv_exits_2_naming_the_file_and_line(ws: Path) -> None:
    (ws / "one-line.csv").write_text("x" * 20_000_000)
    assert refused(ws, "import", "items", "one-line.csv").startswith("one-line.csv:1: found a header line longer")


def test_a_20_mb_field_exits_2_naming_the_file_row_and_column(ws: Path) -> None:
    (ws / "labels.csv").write_text("item_id,annotator_id,label\nT1,ann,positive\nT2," + "x" * 20_000_000
                                   + ",positive\n")
    message = refused(ws, "import", "annotations", "labels.csv")
    assert message.startswith("labels.csv:3:annotator_id: found a line longer than 8 MiB")


def test_a_label_studio_export_of_200000_nested_brackets_exits_2_naming_the_file(ws: Path) -> None:
    (ws / "export.json").write_text("[" * 200_000 + "]" * 200_000)
    message = refused(ws, "import", "label-studio", "export.json")
    assert message.startswith("export.json: found arrays or objects nested more than 100 deep")


def test_a_nul_in_an_annotator_id_exits_2_naming_the_file_row_and_column(ws: Path) -> None:
    (ws / "nul.csv").write_text("item_id,annotator_id,label\nT1,ann,positive\nT2,b\x00b,positive\n")
    message = refused(ws, "import", "annotations", "nul.csv")
    assert message.startswith("nul.csv:3:annotator_id: found 'b\\x00b' (a control character, U+0000")


def test_a_parquet_struct_item_id_exits_2_naming_the_file_and_column(ws: Path) -> None:
    pq.write_table(pa.table({"item_id": pa.array([{"a": 1}, {"a": 2}]), "text": ["x", "y"]}), ws / "items.parquet")
    message = refused(ws, "import", "items", "items.parquet")
    assert message.startswith("items.parquet:item_id: found a column of structs, expected a column of plain values")
