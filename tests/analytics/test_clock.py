"""A frozen clock: every way SQL reads "now" becomes one literal instant, and SQL that does not is left alone."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
import sqlglot
from defog_data import DEFOG, defog_questions

from answerkey.analytics.clock import freeze_clock, parse_as_of, uses_clock
from answerkey.analytics.loading import load_postgres_dump
from answerkey.errors import ParameterError

INSTANT = datetime(2024, 3, 15, 10, 30, 5)
CLOCK_WORDS = ("CURRENT_", "LOCALTIMESTAMP", "NOW(", "TODAY(", "GETDATE", "_TIMESTAMP(")


def run(sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        return connection.execute(sql).fetchall()


def run_sqlite(sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(":memory:")) as connection:
        connection.execute("CREATE TABLE orders (id INTEGER, d TEXT, status TEXT)")
        days = [date(2024, 3, 15) - timedelta(days=n) for n in range(0, 40, 3)]
        connection.executemany("INSERT INTO orders VALUES (?, ?, ?)",
                               [(n, day.isoformat(), "now" if n % 2 else "later") for n, day in enumerate(days)])
        return connection.execute(sql).fetchall()


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT CURRENT_DATE - INTERVAL 10 DAY", datetime(2024, 3, 5)),
    ("SELECT date_trunc('month', now())", datetime(2024, 3, 1)),
    ("SELECT now()::date", date(2024, 3, 15)),
    ("SELECT EXTRACT(YEAR FROM CURRENT_DATE)", 2024),
    ("SELECT today()", date(2024, 3, 15)),
    ("SELECT CURRENT_TIMESTAMP", INSTANT),
    ("SELECT get_current_timestamp()", INSTANT),
    ("SELECT transaction_timestamp()", INSTANT),
    ("SELECT statement_timestamp()", INSTANT),
    ("SELECT LOCALTIMESTAMP", INSTANT),
    ("SELECT getdate()", INSTANT),
    ("SELECT CURRENT_TIME", INSTANT.time()),
])
def test_each_clock_function_becomes_the_frozen_instant_in_duckdb(sql: str, expected: object) -> None:
    frozen = freeze_clock(sql, "duckdb", INSTANT)
    assert uses_clock(sql, "duckdb")
    assert not uses_clock(frozen, "duckdb")
    assert not any(word in frozen.upper() for word in CLOCK_WORDS), frozen
    assert run(frozen) == [(expected,)]


@pytest.mark.parametrize("sql", [
    "SELECT CURRENT_DATE - INTERVAL 10 DAY",
    "SELECT CAST(date_trunc('month', now()) AS DATE)",
    "SELECT now()::date",
    "SELECT EXTRACT(YEAR FROM CURRENT_DATE)",
])
def test_frozen_at_this_moment_a_query_gives_what_the_live_clock_gives(sql: str) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    assert run(freeze_clock(sql, "duckdb", now)) == run(sql)


def test_the_literals_are_typed_dates_and_timestamps() -> None:
    assert freeze_clock("SELECT CURRENT_DATE, now()", "duckdb", INSTANT) == (
        "SELECT CAST('2024-03-15' AS DATE), CAST('2024-03-15 10:30:05' AS TIMESTAMP)")
    assert freeze_clock("CURRENT_DATE", "duckdb", INSTANT) == "CAST('2024-03-15' AS DATE)"
    with_microseconds = INSTANT.replace(microsecond=250)
    assert "'2024-03-15 10:30:05.000250'" in freeze_clock("SELECT now()", "duckdb", with_microseconds)


def test_postgresql_text_is_frozen_and_written_back_as_postgresql() -> None:
    sql = ("SELECT * FROM t WHERE d >= CURRENT_DATE - INTERVAL '7 days' AND ts < now() "
           "AND ts > statement_timestamp() - INTERVAL '1 hour'")
    frozen = freeze_clock(sql, "postgres", INSTANT)
    assert frozen == ("SELECT * FROM t WHERE d >= CAST('2024-03-15' AS DATE) - INTERVAL '7 DAYS' "
                      "AND ts < CAST('2024-03-15 10:30:05' AS TIMESTAMP) "
                      "AND ts > CAST('2024-03-15 10:30:05' AS TIMESTAMP) - INTERVAL '1 HOUR'")
    assert sqlglot.parse_one(frozen, read="postgres") is not None


def test_postgresql_special_strings_are_frozen_too() -> None:
    frozen = freeze_clock("SELECT 'now'::timestamptz, 'yesterday'::date, 'today'::timestamp", "postgres", INSTANT)
    assert frozen == ("SELECT CAST('2024-03-15 10:30:05' AS TIMESTAMPTZ), CAST('2024-03-14' AS DATE), "
                      "CAST('2024-03-15 00:00:00' AS TIMESTAMP)")


@pytest.mark.parametrize("sql", [
    "select  a ,b from t -- no clock here\nwhere x > 1",
    "SELECT 'now' AS word, current_dates FROM t",
    "SELECT * FROM t WHERE d > DATE '2024-01-01'",
    "not sql at all ((",
    "SELECT 1; SELECT 2",
])
def test_text_without_a_clock_call_comes_back_unchanged(sql: str) -> None:
    assert freeze_clock(sql, "duckdb", INSTANT) is sql
    assert not uses_clock(sql, "duckdb")


def test_an_aware_instant_is_frozen_as_naive_utc() -> None:
    aware = datetime(2024, 3, 15, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    assert freeze_clock("SELECT now()", "duckdb", aware) == "SELECT CAST('2024-03-14 23:00:00' AS TIMESTAMP)"


def test_an_instant_that_is_not_a_datetime_is_refused() -> None:
    with pytest.raises(ParameterError, match="instant must be a datetime"):
        freeze_clock("SELECT now()", "duckdb", date(2024, 3, 15))  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-15", datetime(2024, 3, 15)),
    ("2024-03-15T10:30:05", INSTANT),
    ("2024-03-15 10:30:05", INSTANT),
    ("2024-03-15T12:30:05+02:00", INSTANT),
    ("2024-03-15T10:30:05Z", INSTANT),
    (" 2024-03-15 ", datetime(2024, 3, 15)),
])
def test_as_of_reads_a_date_or_an_iso_datetime_as_naive_utc(text: str, expected: datetime) -> None:
    assert parse_as_of(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "15/03/2024", "", "2024-03-15T25:00"])
def test_as_of_names_what_it_expected_when_it_cannot_read_the_text(text: str) -> None:
    with pytest.raises(ParameterError, match=r"as_of must be a date YYYY-MM-DD or an ISO 8601 datetime"):
        parse_as_of(text)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_postgres_dump(DEFOG / "databases" / "broker.sql", tmp_path_factory.mktemp("clock") / "broker.duckdb")


def test_a_defog_gold_frozen_at_today_gives_the_rows_of_the_live_clock_and_another_day_changes_them(
        broker: Path) -> None:
    gold = next(q for q in defog_questions()["broker"] if "CURRENT_DATE - INTERVAL '70' DAY" in q.gold_sql[0])
    sql = sqlglot.transpile(gold.gold_sql[0], read="postgres", write="duckdb")[0]
    with duckdb.connect(str(broker), read_only=True) as connection:
        connection.execute("SET TimeZone = 'UTC'")
        (current_date,) = connection.execute("SELECT CURRENT_DATE").fetchall()[0]
        today = datetime.combine(current_date, datetime.min.time())
        live = connection.execute(sql).fetchall()
        frozen_today = connection.execute(freeze_clock(sql, "duckdb", today)).fetchall()
        frozen_later = connection.execute(freeze_clock(sql, "duckdb", today + timedelta(days=3650))).fetchall()
    assert uses_clock(sql, "duckdb")
    assert frozen_today == live
    assert live != [(0,)]  # the dump dates its rows from the day it is loaded: recent customers exist
    assert frozen_later == [(0,)]


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT date('now', '-7 days')", "2024-03-08"),
    ("SELECT date('NOW')", "2024-03-15"),
    ("SELECT datetime('now')", "2024-03-15 10:30:05"),
    ("SELECT time('now')", "10:30:05"),
    ("SELECT strftime('%Y-%m', 'now', '-1 month')", "2024-02"),
    ("SELECT CAST(strftime('%Y', 'now') AS INTEGER)", 2024),
    ("SELECT julianday('now') - julianday('2024-03-14 10:30:05')", 1.0),
    ("SELECT unixepoch('now')", 1710498605),
    ("SELECT unixepoch()", 1710498605),
    ("SELECT date()", "2024-03-15"),
    ("SELECT datetime()", "2024-03-15 10:30:05"),
    ("SELECT strftime('%Y')", "2024"),
    ("SELECT CURRENT_DATE", "2024-03-15"),
    ("SELECT CURRENT_TIMESTAMP", "2024-03-15 10:30:05"),
])
def test_each_sqlite_clock_form_becomes_the_frozen_instant(sql: str, expected: object) -> None:
    frozen = freeze_clock(sql, "sqlite", INSTANT)
    assert uses_clock(sql, "sqlite")
    assert not uses_clock(frozen, "sqlite")
    assert "'NOW'" not in frozen.upper(), frozen
    assert run_sqlite(frozen) == [(expected,)]


@pytest.mark.parametrize(("gold", "answer"), [
    ("SELECT id FROM orders WHERE d >= date(CURRENT_DATE, '-7 days') ORDER BY id",
     "SELECT id FROM orders WHERE d >= date('now', '-7 days') ORDER BY id"),
    ("SELECT count(*) FROM orders WHERE d >= date(CURRENT_DATE, '-20 days')",
     "SELECT count(*) FROM orders WHERE julianday('now') - julianday(d) <= 21"),
    ("SELECT count(*) FROM orders WHERE strftime('%Y-%m', d) = strftime('%Y-%m', CURRENT_TIMESTAMP)",
     "SELECT count(*) FROM orders WHERE strftime('%Y-%m', d) = strftime('%Y-%m', 'now')"),
    ("SELECT count(*) FROM orders WHERE d > datetime(CURRENT_TIMESTAMP, '-10 days')",
     "SELECT count(*) FROM orders WHERE unixepoch(d) > unixepoch() - 10 * 86400"),
])
def test_in_sqlite_a_gold_on_current_date_and_an_answer_on_now_agree_once_both_are_frozen(
        gold: str, answer: str) -> None:
    as_of = parse_as_of("2024-03-15T10:30:05Z")
    frozen_gold, frozen_answer = run_sqlite(freeze_clock(gold, "sqlite", as_of)), run_sqlite(
        freeze_clock(answer, "sqlite", as_of))
    assert frozen_gold == frozen_answer
    later = as_of + timedelta(days=365)
    assert run_sqlite(freeze_clock(answer, "sqlite", later)) != frozen_answer  # the frozen day decides the rows


def test_a_sqlite_now_keeps_its_localtime_modifier_and_reads_the_instant_as_utc() -> None:
    aware = datetime(2024, 3, 15, 12, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    assert freeze_clock("SELECT datetime('now', 'localtime')", "sqlite", aware) == (
        "SELECT DATETIME('2024-03-15 10:30:05', 'localtime')")


@pytest.mark.parametrize("sql", [
    "SELECT id FROM orders WHERE status = 'now'",
    "SELECT 'now' AS word, upper('now') FROM orders",
    "SELECT date(d, 'now') FROM orders",  # a modifier, not a time value: SQLite gives NULL
    "SELECT strftime('now', d) FROM orders",  # the format: the text itself
    "SELECT date(' now ') FROM orders",  # SQLite reads 'now' only without spaces: NULL
])
def test_a_sqlite_now_that_is_not_a_time_value_is_left_alone(sql: str) -> None:
    assert freeze_clock(sql, "sqlite", INSTANT) is sql
    assert not uses_clock(sql, "sqlite")


def test_a_sqlite_now_kept_as_text_still_selects_the_rows_it_names() -> None:
    sql = "SELECT count(*) FROM orders WHERE status = 'now' AND d >= date('now', '-7 days')"
    frozen = freeze_clock(sql, "sqlite", INSTANT)
    assert frozen == "SELECT COUNT(*) FROM orders WHERE status = 'now' AND d >= DATE('2024-03-15 10:30:05', '-7 days')"
    assert run_sqlite(frozen) == [(1,)]


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT CURDATE()", "SELECT CAST('2024-03-15' AS DATE)"),
    ("SELECT UNIX_TIMESTAMP()", "SELECT 1710498605"),
    ("SELECT UNIX_TIMESTAMP() - UNIX_TIMESTAMP(created) FROM t",
     "SELECT 1710498605 - UNIX_TIMESTAMP(created) FROM t"),
    ("SELECT CURTIME()", "SELECT CAST('10:30:05' AS TIME)"),
    ("SELECT SYSDATE()", "SELECT CAST('2024-03-15 10:30:05' AS DATETIME)"),
    ("SELECT NOW(3)", "SELECT CAST('2024-03-15 10:30:05' AS DATETIME)"),
    ("SELECT UTC_TIMESTAMP()", "SELECT CAST('2024-03-15 10:30:05' AS DATETIME)"),
    ("SELECT UTC_TIMESTAMP", "SELECT CAST('2024-03-15 10:30:05' AS DATETIME)"),
    ("SELECT UTC_DATE - INTERVAL 1 DAY", "SELECT CAST('2024-03-15' AS DATE) - INTERVAL '1' DAY"),
    ("SELECT LOCALTIME", "SELECT CAST('2024-03-15 10:30:05' AS DATETIME)"),  # MySQL's LOCALTIME is NOW()
    ("SELECT LOCALTIMESTAMP()", "SELECT CAST('2024-03-15 10:30:05' AS DATETIME)"),
])
def test_mysql_clock_functions_are_frozen(sql: str, expected: str) -> None:
    assert uses_clock(sql, "mysql")
    assert freeze_clock(sql, "mysql", INSTANT) == expected


@pytest.mark.parametrize("sql", [
    "SELECT UNIX_TIMESTAMP(created) FROM t",
    "SELECT t.utc_date, `utc_time` FROM t",
    "SELECT * FROM t WHERE status = 'now'",
])
def test_mysql_text_that_does_not_read_the_clock_is_left_alone(sql: str) -> None:
    assert freeze_clock(sql, "mysql", INSTANT) is sql
