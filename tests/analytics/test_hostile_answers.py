"""A hostile-answers suite: hundreds of generated answers (lexer edge cases, stacked statements, denied
functions, runaway queries) and random text. Each question gets exactly one verdict, the warehouse file is
unchanged, a plain question after them still passes, and sqlglot's statement split never lets through text that
the engine's own splitter reads as more than one statement.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot.errors import SqlglotError

from answerkey.analytics.evaluation import VERDICTS, evaluate
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.sql import refusal
from answerkey.analytics.warehouse import ExecutionError, open_warehouse
from conftest import postgres_schema

FRAGMENTS = [
    "SELECT", "count(*)", "1", "id", "FROM", "accounts", "WHERE", "id > 3", ";", "; ", "--", "-- x\n", "/*", "*/",
    "/* ; */", "'", "';'", "\"", "\";\"", "$$", "$$;$$", "$a$ ; $a$", "E'\\';'", "U&'\\0041'", "\x00", "\r", "\n",
    "\u2028", "\u00a0", "(", ")", "UNION ALL", "WITH x AS (SELECT 1)", "SELECT * FROM x", "PRAGMA database_list",
    "ATTACH ':memory:' AS m", "COMMIT", "BEGIN", "SET threads = 1", "CALL enable_logging()",
    "SELECT * FROM enable_logging(storage='file', storage_path='/x')", "SELECT * FROM duckdb_settings()",
    "CREATE TEMP VIEW accounts AS SELECT 1 AS id", "INSERT INTO accounts VALUES (1, 1)", "DROP TABLE accounts",
    "SELECT current_setting('threads')", "SELECT * FROM range(3)", "SELECT getenv('HOME')", "COPY accounts TO 'x'",
    "EXPORT DATABASE 'x'", "DETACH w", "USE memory", "LOAD httpfs", "SELECT * FROM query('SELECT 1')",
    "SELECT pg_read_file('/etc/passwd')", "\\", "`", "[", "]", "{", "}", "::", "?", "$1", ":x", "%s", "%%",
]


def _generated(count: int, seed: int = 16) -> list[str]:
    """``count`` answers of 1-8 fragments joined by nothing or a space, from a fixed seed."""
    chooser = random.Random(seed)
    return [chooser.choice(["", " "]).join(chooser.choice(FRAGMENTS) for _ in range(chooser.randint(1, 8)))
            for _ in range(count)]


def test_240_generated_hostile_answers_each_get_one_verdict_and_change_nothing(accounts_warehouse: Path) -> None:
    before = hashlib.sha256(accounts_warehouse.read_bytes()).hexdigest()
    answers = {f"h{n}": {"sql": sql} for n, sql in enumerate(_generated(240))}
    answers["plain"] = {"sql": "SELECT count(id) FROM accounts"}
    questions = [GoldenQuestion(id=qid, question="?", gold_sql="SELECT count(*) FROM accounts") for qid in answers]
    run = evaluate(questions, answers, open_warehouse(str(accounts_warehouse), timeout_s=3), concurrency=2)
    assert [r.id for r in run.results] == list(answers)
    assert all(r.verdict in VERDICTS for r in run.results)
    assert run.results[-1].verdict == "pass"
    assert hashlib.sha256(accounts_warehouse.read_bytes()).hexdigest() == before


HEADS = ["SELECT count(*) FROM accounts", "SELECT ';' AS s", "SELECT $$;$$ AS s", "SELECT $a$ ; $a$ AS s",
         "SELECT 1 /* ; */", "SELECT 1 -- ;\n", "SELECT E'\\';' AS s", "SELECT \"id\" FROM accounts",
         "SELECT U&'\\0041' AS s", "SELECT '\r;\u2028' AS s", "WITH x AS (SELECT 1 AS a) SELECT a FROM x"]
SEPARATORS = [";", "; ", ";\n", "\r;", ";\u2028", " /* c */ ;", ";--\n", ";;"]
TAILS = ["CREATE TEMP VIEW accounts AS SELECT 1 AS id", "SELECT 2", "PRAGMA database_list", "SET threads = 1",
         "CALL enable_logging()", "ATTACH ':memory:' AS m", "SELECT * FROM duckdb_settings()", "COMMIT"]


def _stacked(count: int, seed: int) -> list[str]:
    """Valid heads with lexer edge cases, a separator and a second statement (or none, or a broken one)."""
    chooser = random.Random(seed)
    return [chooser.choice(HEADS) + chooser.choice([*SEPARATORS, "", " ';"]) + chooser.choice([*TAILS, "", "'"])
            for _ in range(count)]


def _engine_statements(sql: str) -> int | None:
    try:
        return len(duckdb.connect().extract_statements(sql))
    except duckdb.Error:
        return None


def _sqlglot_statements(sql: str) -> int | None:
    try:
        return len([s for s in sqlglot.parse(sql, read="duckdb") if s is not None])
    except (SqlglotError, RecursionError):
        return None


def test_no_text_the_engine_splits_into_several_statements_is_executed(accounts_warehouse: Path) -> None:
    """The differential fuzz: sqlglot and DuckDB's own splitter on lexer edge cases. Where they disagree, the
    text must still never run as more than one statement (the worker's own split is the second barrier)."""
    warehouse = open_warehouse(str(accounts_warehouse), timeout_s=3)
    several = disagreements = 0
    texts = _stacked(300, seed=7) + _generated(100, seed=8)
    for sql in texts:
        engine, parsed = _engine_statements(sql), _sqlglot_statements(sql)
        disagreements += engine != parsed
        if engine is not None and engine > 1:
            several += 1
            with pytest.raises(ExecutionError) as caught:
                warehouse.execute_fresh(sql)
            assert caught.value.kind in ("refused", "error")
    assert several > 50  # the generator does reach stacked statements
    assert disagreements < len(texts) / 2  # the two splitters mostly agree (a check on the comparison itself)


@pytest.mark.postgres
def test_stacked_statements_never_reach_postgresql_as_two(postgres_server: str) -> None:
    """Past the sqlglot check, straight to the driver: the extended protocol executes one statement or none."""
    with postgres_schema(postgres_server) as url:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE accounts (id int)"))
        warehouse = open_warehouse(url, timeout_s=3)
        tails = ["; CREATE TABLE stacked_{n} (a int)", ";COMMIT; CREATE TABLE stacked_{n} (a int)",
                 "/* x */; CREATE TABLE stacked_{n} (a int)", "$$;$$; CREATE TABLE stacked_{n} (a int)",
                 "E'\\';'; CREATE TABLE stacked_{n} (a int)", "\n;\rCREATE TABLE stacked_{n} (a int)"]
        for n, tail in enumerate(tails):
            with pytest.raises(ExecutionError):
                warehouse._run_postgres("SELECT count(*) FROM accounts" + tail.format(n=n))
        with engine.connect() as connection:
            made = connection.execute(sa.text(
                "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'stacked_%'")).scalar()
        engine.dispose()
    assert made == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_random_text_is_refused_or_judged_never_raised(accounts_warehouse: Path, text: str) -> None:
    assert isinstance(refusal(text, "duckdb"), str | None)
    question = GoldenQuestion(id="q", question="?", gold_sql="SELECT count(*) FROM accounts")
    run = evaluate([question], {"q": {"sql": text}}, open_warehouse(str(accounts_warehouse), timeout_s=3))
    assert [r.verdict in VERDICTS for r in run.results] == [True]
