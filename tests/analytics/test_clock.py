"""A frozen clock: every way SQL reads "now" becomes one literal instant, and SQL that does not is left alone."""

from __future__ import annotations

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
