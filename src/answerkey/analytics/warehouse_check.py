"""What the role in a warehouse URL can do beyond reading the data: the least-privilege check.

The sandbox refuses denied functions and stacked statements, but the database's own privileges are the wall
that holds when a check is missed. A superuser can read server files and end other sessions whatever SQL is
refused; a role that owns tables or may write them can change the data answers are judged on.
"""

from __future__ import annotations

from pathlib import Path

from answerkey.analytics.warehouse import psycopg_conninfo
from answerkey.errors import ParameterError
from answerkey.findings import Finding, Severity

__all__ = ["SUPERUSER_ADVICE", "check_warehouse", "refuse_superuser"]

SUPERUSER_ADVICE = ("create a role that can only read (see the README's least-privilege role) or pass "
                    "--allow-superuser")
_POWERFUL_ROLES = {
    "pg_read_server_files": "reads any file the server can (COPY FROM, pg_read_file)",
    "pg_write_server_files": "writes files on the server",
    "pg_execute_server_program": "runs programs on the server",
    "pg_signal_backend": "cancels and ends other sessions",
    "pg_read_all_settings": "reads every server setting",
    "pg_read_all_stats": "reads every session's queries (pg_stat_activity)",
    "pg_monitor": "reads every session's queries and server statistics",
    "pg_write_all_data": "writes every table",
}


def check_warehouse(url: str) -> list[Finding]:
    """Findings about the warehouse's role: errors for what lets agent SQL reach beyond reading its data."""
    if "://" not in url or url.startswith("duckdb:"):
        return _check_duckdb(Path(url.removeprefix("duckdb:///").removeprefix("duckdb://")))
    if not url.startswith(("postgresql", "postgres")):
        return [Finding("warehouse.unchecked", f"no privilege check for {url.split(':', 1)[0]} warehouses; give "
                        "the URL a role that can only read", "warehouse", Severity.WARNING)]
    return _check_postgres(url)


def _check_duckdb(path: Path) -> list[Finding]:
    if not path.is_file():
        raise ParameterError(f"warehouse: no DuckDB file at {path}")
    return [Finding("warehouse.duckdb", "agent SQL runs in sandbox workers that open this file read-only, with "
                    "external access off and the configuration locked", str(path), Severity.INFO)]


def _check_postgres(url: str) -> list[Finding]:
    import psycopg

    try:
        with psycopg.connect(psycopg_conninfo(url), connect_timeout=10) as connection:
            role = connection.execute(
                "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication "
                "FROM pg_roles WHERE rolname = current_user").fetchone()
            members = connection.execute(
                "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s) AND pg_has_role(current_user, oid, 'MEMBER')",
                [list(_POWERFUL_ROLES)]).fetchall()
            databases = connection.execute(
                "SELECT datname FROM pg_database WHERE datallowconn AND datname <> current_database() "
                "AND has_database_privilege(datname, 'CONNECT') ORDER BY datname").fetchall()
            owned = connection.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'v', 'm') AND pg_has_role(current_user, c.relowner, 'USAGE') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg_toast%%'").fetchone()
            writable = connection.execute(
                "SELECT count(*) FROM information_schema.table_privileges WHERE grantee = current_user "
                "AND privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')").fetchone()
    except psycopg.Error as error:
        raise ParameterError(f"warehouse: cannot connect to check its role: {str(error).strip()[:300]}") from None
    assert role is not None
    assert owned is not None
    assert writable is not None
    name, superuser, create_role, create_db, bypass_rls, replication = role
    where = f"role {name}"
    findings = []
    if superuser:
        findings.append(Finding("warehouse.superuser", "the role is a superuser: agent SQL that slips past the "
                                "sandbox can read server files, end other sessions and change settings; "
                                + SUPERUSER_ADVICE, where, Severity.ERROR))
    for member, power in ((m, _POWERFUL_ROLES[m]) for (m,) in members):
        findings.append(Finding("warehouse.file_access" if "files" in member or "program" in member
                                else "warehouse.privilege", f"the role is a member of {member}: it {power}",
                                where, Severity.ERROR))
    for flag, what in ((create_role, "creates roles"), (create_db, "creates databases"),
                       (bypass_rls, "bypasses row-level security"), (replication, "starts replication")):
        if flag:
            findings.append(Finding("warehouse.privilege", f"the role {what}", where, Severity.WARNING))
    if owned[0] or writable[0]:
        findings.append(Finding("warehouse.writes", f"the role owns {owned[0]} and may write {writable[0]} "
                                "tables or views; answers run read-only, but a role that can only SELECT "
                                "cannot change the data even past that", where, Severity.WARNING,
                                evidence={"owned": owned[0], "writable": writable[0]}))
    if databases:
        findings.append(Finding("warehouse.databases", f"the role may connect to {len(databases)} other "
                                "databases", where, Severity.WARNING,
                                evidence={"databases": [d for (d,) in databases]}))
    if not findings:
        findings.append(Finding("warehouse.least_privilege", "the role can read, and no more was found",
                                where, Severity.INFO))
    return findings


def refuse_superuser(url: str, allow_superuser: bool) -> None:
    """Refuse a PostgreSQL warehouse URL whose role is a superuser, unless ``allow_superuser``."""
    if allow_superuser or not url.startswith(("postgresql", "postgres")):
        return
    if any(f.check == "warehouse.superuser" for f in _check_postgres(url)):
        raise ParameterError(f"--warehouse connects as a superuser: agent SQL must not run with a superuser's "
                             f"rights; {SUPERUSER_ADVICE}")
