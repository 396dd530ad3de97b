"""Provable integrity on both stores: ground truth rewritten behind the store's back (a raw SQLite connection
without the append-only triggers' help, a PostgreSQL superuser in replica mode) is found by ``release verify`` and
``answerkey verify``, named, and refused by ``release show``, ``export``, ``datasheet``, the web's release routes and
``ledger record``. A clean workspace verifies."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from answerkey.cli.main import run
from answerkey.project import Workspace, create_release, import_annotations, import_items
from answerkey.project.integrity import verify_workspace
from answerkey.project.release_check import verify_release
from answerkey.project.splits import create_split, get_split, seal_split
from answerkey.splits.assign import parse_strategy
from conftest import serve_workspace

LABELS = ("billing", "technical", "account")
N = 30


@pytest.fixture
def released(workspace: Workspace, tmp_path: Path) -> Workspace:
    """Thirty items judged by two annotators, release r1, and its stratified split with the test split sealed."""
    pd.DataFrame({"item_id": [f"T{i:02d}" for i in range(N)],
                  "text": [f"ticket {i} about {LABELS[i % 3]}" for i in range(N)]}).to_csv(tmp_path / "items.csv",
                                                                                        index=False)
    rows = [(f"T{i:02d}", who, LABELS[i % 3]) for i in range(N) for who in ("ann", "bob")]
    pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"]).to_csv(tmp_path / "labels.csv", index=False)
    import_items(workspace, tmp_path / "items.csv")
    import_annotations(workspace, tmp_path / "labels.csv")
    create_release(workspace, "r1")
    create_split(workspace, "r1", parse_strategy("stratified", test=0.3, validation=0.0))
    seal_split(workspace, "r1", by="maria")
    return workspace


def cli(workspace: Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``answerkey --workspace WS ARGS`` in this process: exit status, stdout, stderr."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        run(["--workspace", str(workspace.root), *args])
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def tamper(workspace: Workspace, *statements: str) -> None:
    """Rewrite rows as an attacker outside answerkey would: on SQLite a plain ``sqlite3`` connection (its
    ``recursive_triggers`` off) after dropping the touched tables' triggers, as anyone holding the file can; on
    PostgreSQL a superuser with ``session_replication_role = replica``, which skips every trigger."""
    url = workspace.engine.url
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(str(url.database))
        for statement in statements:
            table = statement.split()[{"UPDATE": 1, "DELETE": 2, "INSERT": 2}[statement.split()[0]]]
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                                              "tbl_name = ?", (table,)).fetchall():
                connection.execute(f"DROP TRIGGER {name}")
            connection.execute(statement)
        connection.commit()
        connection.close()
        return
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def test_a_new_empty_workspace_verifies(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(workspace, capsys, "verify")
    assert status == 0
    assert "everything verifies" in out


def test_a_clean_workspace_verifies_and_every_release_command_serves_it(
    released: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, _ = cli(released, capsys, "verify", "--json")
    report = json.loads(out)
    assert (status, report["ok"], report["findings"]) == (0, True, [])
    assert report["annotation_log"]["entries"] == 2 * N
    assert len(report["annotation_log"]["head"]) == 64
    assert [r["release"] for r in report["releases"]] == ["r1"]
    assert list(report["seals"]) == ["r1"]
    assert cli(released, capsys, "release", "verify", "r1")[0] == 0
    assert cli(released, capsys, "release", "show", "r1")[0] == 0
    assert cli(released, capsys, "export", "r1", "--format", "csv", "--out", str(tmp_path / "out"))[0] == 0
    assert cli(released, capsys, "datasheet", "r1")[0] == 0
    assert cli(released, capsys, "ledger", "record", "--release", "r1", "--model", "m1", "--metric", "f1=0.8")[0] == 0


def test_a_label_replaced_with_insert_or_replace_fails_release_verify_naming_the_item_and_both_labels(
    released: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """The attack as reported: on SQLite, INSERT OR REPLACE from a connection with recursive_triggers off."""
    if released.engine.dialect.name == "sqlite":
        connection = sqlite3.connect(str(released.engine.url.database))
        connection.execute("DROP TRIGGER release_labels_refuse_replace")  # what the new trigger stopped
        connection.execute("INSERT OR REPLACE INTO release_labels VALUES ('r1', 'T00', 'technical', 1.0, 'agreed', 2)")
        connection.commit()
        connection.close()
    else:
        tamper(released, "UPDATE release_labels SET label = 'technical' WHERE item_id = 'T00'")
    status, out, err = cli(released, capsys, "release", "verify", "r1")
    assert status == 1, err
    assert "T00 label 'billing' -> 'technical'" in out
    status, out, _ = cli(released, capsys, "release", "verify", "r1", "--json")
    result = json.loads(out)
    assert (status, result["ok"]) == (1, False)
    assert result["recorded_hash"] != result["computed_hash"]
    [finding] = [f for f in result["findings"] if f["check"] == "release.labels"]
    assert finding["evidence"]["items"] == [{"item_id": "T00", "change": "changed", "expected": {"label": "billing"},
                                              "found": {"label": "technical"}}]


@pytest.mark.parametrize(("statement", "check", "named"), [
    ("DELETE FROM release_labels WHERE item_id = 'T05'", "release.labels", "T05 removed"),
    ("UPDATE release_labels SET status = 'disputed', confidence = 0.5 WHERE item_id = 'T07'", "release.labels",
     "T07 confidence '1.000000000' -> '0.500000000', status 'agreed' -> 'disputed'"),
    ("UPDATE releases SET item_count = 31", "release.item_set", "recorded 31 items but 30 labels"),
    ("UPDATE schema_versions SET content = replace(content, 'about billing', 'about refunds')", "release.schema",
     "schema version 1 no longer matches the hash it was registered with"),
    ("UPDATE items SET payload = '{\"text\": \"forged\"}' WHERE item_id = 'T03'", "release.items", "T03"),
])
def test_release_verify_names_what_differs(
    released: Workspace, statement: str, check: str, named: str
) -> None:
    tamper(released, statement)
    result = verify_release(released, "r1")
    assert not result.ok
    [finding] = [f for f in result.findings if f.check == check]
    assert named in finding.what


@pytest.mark.parametrize("command", [("release", "show", "r1"), ("release", "show", "r1", "--json"),
                                     ("export", "r1", "--format", "jsonl"), ("datasheet", "r1")])
def test_release_show_export_and_datasheet_refuse_a_tampered_release_in_one_line_with_status_2(
    released: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    tamper(released, "UPDATE release_labels SET label = 'account' WHERE item_id = 'T01'")
    extra = ("--out", str(tmp_path / "out")) if command[0] == "export" else ()
    status, out, err = cli(released, capsys, *command, *extra)
    assert status == 2
    assert out == ""
    assert err.startswith("error: refused: release 'r1' is not what was frozen")
    assert "answerkey release verify r1" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_export_refuses_a_release_whose_item_payload_was_rewritten(
    released: Workspace, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    tamper(released, "UPDATE items SET payload = '{\"text\": \"forged\"}' WHERE item_id = 'T04'")
    status, _, err = cli(released, capsys, "export", "r1", "--out", str(tmp_path / "out"))
    assert status == 2
    assert "T04" in err


def test_verify_names_each_failure_across_releases_seals_the_annotation_log_and_items(
    released: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(released,
           "UPDATE release_labels SET label = 'account' WHERE item_id = 'T01'",
           "UPDATE annotations SET label = 'account' WHERE annotation_id = 3",
           "DELETE FROM annotations WHERE annotation_id = 5",
           "UPDATE items SET payload = '{\"text\": \"forged\"}' WHERE item_id = 'T09'")
    status, out, _ = cli(released, capsys, "verify", "--json")
    report = json.loads(out)
    assert (status, report["ok"]) == (1, False)
    checks = {f["check"] for f in report["findings"] if f["severity"] == "error"}
    assert {"release.labels", "release.items", "annotations.chain_broken", "annotations.deleted",
            "items.changed"} <= checks
    broken = next(f for f in report["findings"] if f["check"] == "annotations.chain_broken")
    assert broken["evidence"]["annotation_ids"] == [3]
    assert next(f for f in report["findings"] if f["check"] == "items.changed")["evidence"]["items"] == ["T09"]
    status, out, _ = cli(released, capsys, "verify")
    assert status == 1
    assert "verification FAILED" in out
    assert "annotation #3" in out


def test_an_annotation_slipped_in_outside_the_writer_is_reported_as_unchained(released: Workspace) -> None:
    key = "x'00112233445566778899aabbccddeeff'" if released.engine.dialect.name == "sqlite" else \
        "'\\x00112233445566778899aabbccddeeff'::bytea"
    tamper(released, "INSERT INTO annotations (item_id, annotator_id, label, source, schema_version, recorded_at, "
                     f"judgement_key) VALUES ('T02', 'ann', 'technical', 'human', 1, '2026-01-01 00:00:00', {key})")
    result = verify_workspace(released)
    assert not result.ok
    [finding] = [f for f in result.findings if f.check == "annotations.unchained"]
    assert finding.evidence["annotation_ids"] == [2 * N + 1]


def test_a_broken_seal_fails_verify_and_ledger_record_refuses_a_look_at_it_with_status_2(
    released: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    test_item = get_split(released, "r1").assignments.query("split == 'test'")["item_id"].iloc[0]
    tamper(released, f"UPDATE items SET payload = '{{\"text\": \"easier\"}}' WHERE item_id = '{test_item}'")
    report = verify_workspace(released)
    assert [f.check for f in report.seals["r1"]] == ["split.seal_broken"]
    status, out, err = cli(released, capsys, "ledger", "record", "--release", "r1", "--model", "m2", "--metric",
                           "f1=0.9")
    assert (status, out) == (2, "")
    assert err.startswith("error: refused: the sealed test split of release 'r1' no longer matches its seal")
    with released.reading() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM test_ledger")).scalar_one() == 0


def test_a_rewritten_seal_disagrees_with_the_looks_recorded_against_it(
    released: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(released, capsys, "ledger", "record", "--release", "r1", "--model", "m1", "--metric", "f1=0.8")[0] == 0
    tamper(released, "UPDATE split_seals SET test_hash = '" + "f" * 64 + "'")
    checks = [f.check for f in verify_workspace(released).seals["r1"]]
    assert checks == ["split.seal_broken", "ledger.seal_mismatch"]


def test_the_web_release_routes_refuse_a_tampered_release_with_409(workspace: Workspace, tmp_path: Path) -> None:
    served = serve_workspace(workspace, tmp_path)
    try:
        create_release(workspace, "r1")
        viewer = served.auth("viewer")
        assert served.client.get("/api/releases/r1", headers=viewer).status_code == 200
        tamper(workspace, "UPDATE release_labels SET label = 'account' WHERE item_id = 'T1'")
        for path in ("/api/releases/r1", "/api/releases/r1/labels", "/api/releases/r1/datasheet"):
            response: Any = served.client.get(path, headers=viewer)
            assert response.status_code == 409, path
            assert response.json()["error"].startswith("refused: release 'r1' is not what was frozen")
        served.sign_in("viewer")
        for page in ("/releases/r1", "/releases/r1/datasheet"):
            assert served.client.get(page).status_code == 409, page
    finally:
        served.client.close()
