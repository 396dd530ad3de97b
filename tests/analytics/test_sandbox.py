"""Agent SQL in the sandbox: nothing one answer does reaches another, the process that judges, or the file.

Each hostile answer here broke something before the sandbox: it killed the server, blamed later gold, read
settings, shadowed a table, ran past its time limit or crashed the run's parser.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import duckdb
import pytest

from answerkey.analytics.evaluation import VERDICTS, evaluate
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.sandbox import SandboxLimits, SandboxPool
from answerkey.analytics.warehouse import ExecutionError, Warehouse, open_warehouse

HOSTILE = {
    "enable_logging": "SELECT * FROM enable_logging(storage='file', storage_path='/x')",
    "enable_profiling": "SELECT * FROM enable_profiling(save_location='/tmp/answerkey-profile')",
    "settings": "SELECT * FROM duckdb_settings()",
    "databases": "SELECT path FROM duckdb_databases()",
    "databases_view": "SELECT * FROM duckdb_databases",
    "logs": "SELECT * FROM duckdb_logs()",
    "setting": "SELECT current_setting('memory_limit')",
    "env": "SELECT getenv('HOME')",
    "dynamic": "SELECT * FROM query('SELECT 1')",
    "temp_view": "CREATE TEMP VIEW accounts AS SELECT 1 AS id",
    "stacked": "SELECT count(*) FROM accounts; CREATE TEMP VIEW accounts AS SELECT 1 AS id",
    "open_comment": "SELECT 1 /* x",
    "deep": "SELECT " + "(SELECT " * 300 + "1" + ")" * 300,
    "nul": "SELECT 'a\x00b'",
    "pragma": "PRAGMA database_list",
    "file": "SELECT * FROM read_csv('/etc/passwd')",
    "pg_settings": "SELECT name, setting FROM pg_settings",
    "system_catalog": "SELECT * FROM system.main.duckdb_settings()",
    "plan": "SELECT json_serialize_plan('SELECT current_setting(''temp_directory'')')",
    "quoted": 'SELECT "current_setting"(\'threads\')',
    "unicode_name": 'SELECT U&"current\\005fsetting"(\'threads\')',
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_each_hostile_answer_gets_one_verdict_and_the_questions_after_it_still_pass(accounts_warehouse: Path) -> None:
    before = _digest(accounts_warehouse)
    questions, answers = [], {}
    for name, sql in HOSTILE.items():
        questions.append(GoldenQuestion(id=f"hostile-{name}", question="?", gold_sql="SELECT count(*) FROM accounts"))
        answers[f"hostile-{name}"] = {"sql": sql}
        questions.append(GoldenQuestion(id=f"after-{name}", question="?",
                                        gold_sql="SELECT plan, count(*) FROM accounts GROUP BY plan"))
        answers[f"after-{name}"] = {"sql": "SELECT plan, count(id) FROM accounts GROUP BY 1"}
    run = evaluate(questions, answers, open_warehouse(str(accounts_warehouse), timeout_s=5), concurrency=2)
    verdicts = {r.id: r.verdict for r in run.results}
    assert len(run.results) == len(questions)
    assert {verdicts[f"hostile-{name}"] for name in HOSTILE} <= {"refused", "answer-error"}
    assert all(verdicts[f"after-{name}"] == "pass" for name in HOSTILE)
    assert _digest(accounts_warehouse) == before


@pytest.mark.parametrize("name", ["enable_logging", "enable_profiling", "settings", "databases", "databases_view",
                                  "logs", "setting", "env", "dynamic", "temp_view", "stacked", "pragma", "file",
                                  "pg_settings", "system_catalog", "plan", "quoted"])
def test_the_worker_refuses_by_duckdbs_own_parse_what_slips_past_sqlglot(accounts_warehouse: Path, name: str) -> None:
    sandbox = SandboxPool(size=1)
    try:  # straight to the worker, past the sqlglot check: DuckDB's splitter and parser are the second barrier
        reply = sandbox.run(str(accounts_warehouse), HOSTILE[name], 5.0, SandboxLimits())
        assert reply[:2] == ("error", "refused"), reply
        assert sandbox.run(str(accounts_warehouse), "SELECT count(*) FROM accounts", 5.0, SandboxLimits()) \
            == ("ok", ["count_star()"], [(1000,)])
    finally:
        sandbox.close()


def test_a_query_that_ignores_the_interrupt_is_stopped_with_its_worker(accounts_warehouse: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("answerkey.analytics.sandbox.GRACE_S", 0.1)  # repeat() checks no interrupt for ~2 s
    warehouse = open_warehouse(str(accounts_warehouse), timeout_s=0.1)
    assert warehouse.execute("SELECT 1").rows == [(1,)]  # the worker started and the file open: only the query
    with pytest.raises(ExecutionError) as caught:
        warehouse.execute("SELECT length(repeat('x', 400000000))")
    assert caught.value.kind == "timeout", caught.value.reason
    assert "ignored the interrupt and its sandbox was stopped" in caught.value.reason
    assert warehouse.execute("SELECT count(*) FROM accounts").rows == [(1000,)]


def test_an_allocation_past_the_memory_limit_fails_its_query_only(accounts_warehouse: Path) -> None:
    warehouse = open_warehouse(str(accounts_warehouse), timeout_s=30)
    with pytest.raises(ExecutionError) as caught:  # DuckDB's memory_limit does not count it; the worker's cap does
        warehouse.execute("SELECT length(repeat('x', 2000000000))")
    assert "Out of Memory" in caught.value.reason
    assert warehouse.execute("SELECT count(*) FROM accounts").rows == [(1000,)]


def test_a_worker_that_dies_mid_query_fails_that_query_only(accounts_warehouse: Path) -> None:
    sandbox = SandboxPool(size=1)
    limits = SandboxLimits()
    try:
        sandbox.run(str(accounts_warehouse), "SELECT 1", 5.0, limits)
        (worker,) = sandbox._all
        threading.Timer(0.5, os.kill, (worker.process.pid, 9)).start()
        reply = sandbox.run(str(accounts_warehouse), "SELECT count(*) FROM range(100000000000)", 30.0, limits)
        assert reply[:2] == ("error", "error")
        assert "crashed its sandbox (signal 9)" in reply[2]
        assert sandbox.run(str(accounts_warehouse), "SELECT 2", 5.0, limits) == ("ok", ["2"], [(2,)])
    finally:
        sandbox.close()


def test_memory_and_rows_are_capped_by_the_limits(accounts_warehouse: Path) -> None:
    limits = SandboxLimits(memory_limit="64MB", threads=1, max_rows=500)
    warehouse = Warehouse(f"duckdb:///{accounts_warehouse}", "duckdb", 20.0, limits=limits)
    with pytest.raises(ExecutionError) as memory:
        warehouse.execute("SELECT list(range || 'some padding text') FROM range(20000000)")
    assert memory.value.kind == "error"
    assert "memory" in memory.value.reason.lower()
    with pytest.raises(ExecutionError, match="more than 500 rows"):
        warehouse.execute("SELECT * FROM accounts")
    assert warehouse.execute("SELECT count(*) FROM accounts").rows == [(1000,)]


def test_a_closed_warehouse_leaves_the_file_free_to_write(accounts_warehouse: Path) -> None:
    warehouse = open_warehouse(str(accounts_warehouse))
    assert warehouse.execute("SELECT count(*) FROM accounts").rows == [(1000,)]
    warehouse.close_all()
    with duckdb.connect(str(accounts_warehouse)) as connection:
        connection.execute("INSERT INTO accounts VALUES (1000, 1)")
    assert open_warehouse(str(accounts_warehouse)).execute("SELECT count(*) FROM accounts").rows == [(1001,)]


def test_verdicts_are_always_one_of_the_known_kinds(accounts_warehouse: Path) -> None:
    question = GoldenQuestion(id="q", question="?", gold_sql="SELECT count(*) FROM accounts")
    for sql in HOSTILE.values():
        run = evaluate([question], {"q": {"sql": sql}}, open_warehouse(str(accounts_warehouse)))
        assert [r.verdict in VERDICTS for r in run.results] == [True]


def test_a_release_asked_for_while_a_query_runs_applies_when_it_ends(accounts_warehouse: Path) -> None:
    warehouse = open_warehouse(str(accounts_warehouse), timeout_s=30)
    running = threading.Thread(target=warehouse.execute,
                               args=("SELECT count(*) FROM range(300000000) a, range(2) b",))
    running.start()
    time.sleep(0.3)
    warehouse.close_all()  # the worker is busy: it closes the file as soon as its query ends
    running.join()
    with duckdb.connect(str(accounts_warehouse)) as connection:
        connection.execute("INSERT INTO accounts VALUES (1000, 1)")
