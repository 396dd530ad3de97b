"""Distilled test suites: wrong answers that return the gold's rows on the real data fail on the suite's
databases; differently written right answers still pass; suites are built once and reused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from answerkey.analytics.compare import CompareOptions
from answerkey.analytics.evaluation import evaluate
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.suite import Suite, load_or_build
from answerkey.analytics.warehouse import Warehouse, open_warehouse
from answerkey.errors import ParameterError

AS_OF = dt.datetime(2026, 6, 15, 9, 30)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    path = tmp_path_factory.mktemp("suite") / "clinic.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE drugs(id INTEGER PRIMARY KEY, name VARCHAR, drug_type VARCHAR, "
                           "is_approved BOOLEAN)")
        connection.execute("INSERT INTO drugs VALUES (1, 'Aspirin', 'oral', TRUE), "
                           "(2, 'Cortisone cream', 'topical', TRUE), (3, 'Experimental', 'injection', FALSE), "
                           "(4, 'Lidocaine patch', 'topical', TRUE)")
        connection.execute("CREATE TABLE treatments(id INTEGER PRIMARY KEY, drug_id INTEGER, patient VARCHAR, "
                           "start_date DATE, dose DECIMAL(6, 2))")
        connection.execute("INSERT INTO treatments VALUES (1, 1, 'ann', DATE '2026-06-12', 1.5), "
                           "(2, 2, 'bob', DATE '2026-06-01', 2.0), (3, 3, 'cy', DATE '2026-05-20', 0.5), "
                           "(4, 4, 'dee', DATE '2026-06-14', 1.0), (5, 1, 'eve', DATE '2026-04-02', 3.0), "
                           "(6, 2, 'fay', DATE '2026-06-10', 2.5)")
    return open_warehouse(str(path))


WRONG = [
    ("a boundary relative to today", "SELECT count(*) FROM treatments WHERE start_date >= CURRENT_DATE - "
     "INTERVAL 10 DAY", "SELECT count(*) FROM treatments WHERE start_date > CURRENT_DATE - INTERVAL 10 DAY"),
    ("a week start, inclusive", "SELECT count(*) FROM treatments WHERE start_date < date_trunc('week', "
     "CURRENT_DATE)", "SELECT count(*) FROM treatments WHERE start_date <= date_trunc('week', CURRENT_DATE)"),
    ("a literal on a dimension table", "SELECT count(*) FROM treatments t JOIN drugs d ON t.drug_id = d.id "
     "WHERE d.drug_type = 'topical'", "SELECT count(*) FROM treatments t JOIN drugs d ON t.drug_id = d.id "
     "WHERE d.drug_type LIKE 'top%'"),
    ("a LIKE that ignores case", "SELECT count(*) FROM drugs WHERE lower(name) LIKE '%cream%'",
     "SELECT count(*) FROM drugs WHERE name LIKE '%cream%'"),
    ("a boolean literal", "SELECT name FROM drugs WHERE is_approved = FALSE",
     "SELECT name FROM drugs WHERE is_approved IS NOT TRUE"),
    ("the join type", "SELECT d.name, count(t.id) AS n FROM drugs d LEFT JOIN treatments t ON t.drug_id = d.id "
     "GROUP BY d.name", "SELECT d.name, count(t.id) AS n FROM drugs d JOIN treatments t ON t.drug_id = d.id "
     "GROUP BY d.name"),
    ("the aggregation", "SELECT d.drug_type, count(DISTINCT t.patient) FROM drugs d JOIN treatments t ON "
     "t.drug_id = d.id GROUP BY d.drug_type", "SELECT d.drug_type, count(t.patient) FROM drugs d JOIN treatments "
     "t ON t.drug_id = d.id GROUP BY d.drug_type"),
]
RIGHT = [
    ("BETWEEN written out", "SELECT count(*) FROM treatments WHERE dose BETWEEN 1 AND 2.5",
     "SELECT count(*) FROM treatments WHERE dose >= 1 AND dose <= 2.5"),
    ("COUNT of the key", "SELECT count(*) FROM treatments", "SELECT count(id) FROM treatments"),
    ("today moved across the comparison", "SELECT count(*) FROM treatments WHERE start_date >= CURRENT_DATE - "
     "INTERVAL 10 DAY", "SELECT count(*) FROM treatments t WHERE t.start_date + INTERVAL 10 DAY >= current_date"),
    ("aliases and another join order", "SELECT count(*) FROM treatments t JOIN drugs d ON t.drug_id = d.id "
     "WHERE d.drug_type = 'topical'", "SELECT count(*) FROM drugs AS x JOIN treatments AS y ON x.id = y.drug_id "
     "WHERE x.drug_type = 'topical'"),
    ("a tie broken by an extra key", "SELECT drug_id, count(*) AS n FROM treatments GROUP BY drug_id "
     "ORDER BY n DESC", "SELECT drug_id, count(*) AS n FROM treatments GROUP BY drug_id ORDER BY n DESC, drug_id"),
]


def _judge(warehouse: Warehouse, gold: str, answer: str, folder: Path, test_suite: bool) -> tuple[str, str]:
    question = GoldenQuestion(id="q", question="?", gold_sql=gold)
    result = evaluate([question], {"q": {"sql": answer}}, warehouse, test_suite=test_suite, as_of=AS_OF,
                      suites=folder).results[0]
    return result.verdict, result.reason


@pytest.mark.parametrize(("name", "gold", "answer"), WRONG, ids=[c[0] for c in WRONG])
def test_wrong_answers_lucky_on_the_real_data_fail_on_the_suite(warehouse: Warehouse, tmp_path: Path, name: str,
                                                                gold: str, answer: str) -> None:
    assert _judge(warehouse, gold, answer, tmp_path, False)[0] == "pass"  # the real rows cannot tell
    verdict, reason = _judge(warehouse, gold, answer, tmp_path, True)
    assert verdict == "result-mismatch", reason
    assert "test-suite database" in reason


@pytest.mark.parametrize(("name", "gold", "answer"), RIGHT, ids=[c[0] for c in RIGHT])
def test_right_answers_written_differently_pass_the_suite(warehouse: Warehouse, tmp_path: Path, name: str,
                                                          gold: str, answer: str) -> None:
    verdict, reason = _judge(warehouse, gold, answer, tmp_path, True)
    assert verdict == "pass", reason


def test_a_suite_is_built_once_and_reused(warehouse: Warehouse, tmp_path: Path) -> None:
    questions = [GoldenQuestion(id="q", question="?", gold_sql=WRONG[0][1])]
    path = warehouse.url.removeprefix("duckdb:///")
    first = load_or_build(questions, path, warehouse.fingerprint, tmp_path, AS_OF, CompareOptions())
    manifest = first.folder / "suite.json"
    written = manifest.stat().st_mtime_ns
    again = load_or_build(questions, path, warehouse.fingerprint, tmp_path, AS_OF, CompareOptions())
    assert again.folder == first.folder
    assert manifest.stat().st_mtime_ns == written
    assert [p.name for p in tmp_path.iterdir()] == [first.key]
    other_day = load_or_build(questions, path, warehouse.fingerprint, tmp_path, AS_OF + dt.timedelta(days=1),
                              CompareOptions())
    assert other_day.key != first.key  # boundaries relative to another today make another suite


def test_the_suite_reports_kills_and_survivors(warehouse: Warehouse, tmp_path: Path) -> None:
    questions = [GoldenQuestion(id="q", question="?", gold_sql=WRONG[5][1])]
    suite = load_or_build(questions, warehouse.url.removeprefix("duckdb:///"), warehouse.fingerprint, tmp_path,
                          AS_OF, CompareOptions())
    built = suite.questions["q"]
    assert built.mutants > 5
    assert built.databases
    assert built.killed_by_real + built.killed_by_suite + len(built.survivors) == built.mutants
    assert built.by_kind["join"][1] >= 1  # the INNER JOIN mutant is killed
    reloaded = Suite.load(suite.folder)
    assert reloaded.summary()["mutants"] == built.mutants


def test_the_warehouse_itself_is_never_changed(warehouse: Warehouse, tmp_path: Path) -> None:
    source = Path(warehouse.url.removeprefix("duckdb:///"))
    before = source.read_bytes()
    _judge(warehouse, WRONG[2][1], WRONG[2][2], tmp_path, True)
    assert source.read_bytes() == before


def test_test_suite_mode_needs_a_duckdb_warehouse() -> None:
    other = Warehouse("sqlite:///:memory:", "sqlite")
    with pytest.raises(ParameterError, match="DuckDB warehouse"):
        evaluate([GoldenQuestion(id="q", question="?", gold_sql="SELECT 1")], {"q": {"sql": "SELECT 1"}}, other,
                 test_suite=True)


def test_an_answer_of_rows_alone_cannot_dodge_the_suite(warehouse: Warehouse, tmp_path: Path) -> None:
    gold = "SELECT drug_id, count(*) AS n FROM treatments WHERE dose >= 2 GROUP BY drug_id"
    rows = warehouse.execute(gold)
    question = GoldenQuestion(id="q", question="?", gold_sql=gold)
    answer = {"result": {"columns": list(rows.columns), "rows": [list(r) for r in rows.rows]}}
    assert evaluate([question], {"q": answer}, warehouse, as_of=AS_OF).results[0].verdict == "pass"
    result = evaluate([question], {"q": answer}, warehouse, test_suite=True, as_of=AS_OF, suites=tmp_path).results[0]
    assert result.verdict == "answer-error"
    assert "rows only" in result.reason


def test_a_gold_that_fails_has_no_kill_rate_and_says_why(warehouse: Warehouse, tmp_path: Path) -> None:
    questions = [GoldenQuestion(id="bad", question="?", gold_sql="SELECT nope FROM treatments")]
    suite = load_or_build(questions, warehouse.url.removeprefix("duckdb:///"), warehouse.fingerprint, tmp_path,
                          AS_OF, CompareOptions())
    built = suite.questions["bad"]
    assert built.kill_rate is None
    assert "nope" in built.note
    assert suite.summary()["mutants"] == 0
