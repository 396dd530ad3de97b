"""The least-privilege check of a warehouse role, and the refusal to evaluate as a superuser."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from answerkey.analytics.warehouse import ExecutionError, open_warehouse
from answerkey.analytics.warehouse_check import check_warehouse
from conftest import postgres_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
def reader_url(postgres_server: str) -> Iterator[tuple[str, str]]:
    """(superuser URL, URL of a role that may only SELECT one table) in a schema of their own."""
    role = f"ak_reader_{uuid.uuid4().hex[:8]}"
    with postgres_schema(postgres_server) as url:
        schema = url.rsplit("search_path%3D", 1)[1]
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE plans (name text, price numeric)"))
            connection.execute(sa.text("INSERT INTO plans VALUES ('basic', 10)"))
            connection.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
            connection.execute(sa.text(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}'))
            connection.execute(sa.text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {role}'))
        reader = make_url(url).set(username=role).render_as_string(hide_password=False)
        try:
            yield url, reader
        finally:
            with engine.begin() as connection:
                connection.execute(sa.text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {role}'))
                connection.execute(sa.text(f'REVOKE ALL ON SCHEMA "{schema}" FROM {role}'))
            with engine.begin() as connection:
                connection.execute(sa.text(f"DROP ROLE {role}"))
            engine.dispose()


def test_a_superuser_url_is_an_error_and_a_read_only_role_is_clean(reader_url: tuple[str, str]) -> None:
    superuser, reader = reader_url
    assert "warehouse.superuser" in {f.check for f in check_warehouse(superuser)}
    found = check_warehouse(reader)  # PostgreSQL grants CONNECT to PUBLIC: other databases are a warning only
    assert {f.check for f in found} <= {"warehouse.databases", "warehouse.least_privilege"}
    assert all(f.severity.value != "error" for f in found)


def test_the_database_itself_refuses_a_read_only_role_what_the_sandbox_might_miss(
        reader_url: tuple[str, str]) -> None:
    warehouse = open_warehouse(reader_url[1], timeout_s=5)
    assert warehouse.execute("SELECT count(*) FROM plans").rows == [(1,)]
    for sql in ("SELECT pg_read_file('/etc/passwd')", "SELECT * FROM pg_ls_dir('/')", "SELECT pg_reload_conf()"):
        with pytest.raises(ExecutionError) as caught:
            warehouse._run_postgres(sql)  # past the deny-list: the role's privileges are the last wall
        assert "permission denied" in caught.value.reason


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "answerkey.cli.main", *args], capture_output=True, text=True,
                          timeout=120, check=False)


def test_eval_refuses_a_superuser_warehouse_unless_allowed(reader_url: tuple[str, str], tmp_path: Path) -> None:
    superuser, reader = reader_url
    golden = tmp_path / "golden.jsonl"
    golden.write_text(json.dumps({"id": "q", "question": "?", "gold_sql": "SELECT count(*) FROM plans"}) + "\n")
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"id": "q", "sql": "SELECT count(name) FROM plans"}) + "\n")
    base = ["eval", "--golden", str(golden), "--answers", str(answers), "--json"]
    refused = _cli(*base, "--warehouse", superuser)
    assert refused.returncode == 2
    assert "superuser" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _cli(*base, "--warehouse", superuser, "--allow-superuser").returncode == 0
    assert _cli(*base, "--warehouse", reader).returncode == 0
    checked = _cli("warehouse", "check", superuser, "--json")
    assert checked.returncode == 1
    assert "warehouse.superuser" in {f["check"] for f in json.loads(checked.stdout)}
