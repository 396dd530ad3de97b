"""``metrics query`` returns MetricFlow's rows: the peer itself, on the same DuckDB.

The dbt project under tests/data/metricflow_shop is seeded, built and parsed by dbt in the test; its
``semantic_manifest.json`` is imported with ``context import dbt``; every query runs through MetricFlow's engine
(tests/peers/metricflow_peer.py, in the venv ``make install`` builds for it, .venv-metricflow) and through
``metrics query`` on a byte copy of the same file, and the rows must agree (values to 1e-9 relative).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from answerkey.analytics.context import ContextLayer, load_context
from answerkey.analytics.dbt import import_dbt
from answerkey.analytics.metric_compile import MetricQuery
from answerkey.analytics.metric_query import query_metrics
from answerkey.analytics.warehouse import Warehouse, open_warehouse

pytestmark = pytest.mark.xdist_group("metricflow")

PROJECT = Path(__file__).parent.parent / "data" / "metricflow_shop"
REGION = "{{ Dimension('customer__region') }} = 'east'"

QUERIES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    # simple, filtered, count distinct; day, week, month, quarter, year, joined and local dimensions, entities
    ("revenue", ("metric_time__day",), ()),
    ("revenue", ("metric_time__week",), ()),
    ("revenue,orders", ("metric_time__month",), ()),
    ("revenue", ("metric_time__quarter", "customer__region"), ()),
    ("revenue", ("metric_time__year",), ()),
    ("revenue", ("customer__region",), ()),
    ("revenue", ("customer",), ()),
    ("revenue,orders", (), ()),
    ("revenue", ("metric_time__month",), (REGION,)),
    ("revenue", ("metric_time__month",), ("{{ TimeDimension('metric_time', 'month') }} >= '2024-02-01'",)),
    ("completed_revenue", ("metric_time__day",), ()),
    ("completed_revenue", ("customer__region", "order__status"), ()),
    ("east_revenue", ("metric_time__month",), ()),
    ("frequent_customer_revenue", ("metric_time__month", "customer__region"), ()),
    ("revenue", ("customer__region",), ("{{ Metric('orders', group_by=['customer']) }} >= 10",)),
    ("visits", ("metric_time__day", "visit__channel"), ()),
    ("new_customers", ("metric_time__month", "customer__region"), ()),
    ("ordering_customer_count", ("metric_time__month",), ()),
    # ratio, with input filters
    ("avg_order_value", ("metric_time__day",), ()),
    ("avg_order_value", ("metric_time__month", "customer__region"), ()),
    ("avg_order_value", ("customer__region",), ("{{ Dimension('order__status') }} = 'completed'",)),
    ("completed_share", ("metric_time__month",), ()),
    ("completed_share", ("customer__region",), ()),
    # derived: aliases, input filters, offset_window, offset_to_grain
    ("revenue_wow_growth", ("metric_time__day",), ()),
    ("revenue_wow_growth", ("metric_time__week",), ()),
    ("revenue_wow_growth", ("metric_time__month",), ()),
    ("revenue_wow_growth", ("metric_time__month", "customer__region"), ()),
    ("web_visit_share", ("metric_time__month",), ()),
    ("web_visit_share", ("customer__region",), ()),
    ("revenue_at_month_start", ("metric_time__day",), ()),
    ("revenue_at_month_start", ("metric_time__week",), ()),
    ("revenue_at_month_start", ("metric_time__month",), ()),
    ("revenue_at_month_start", ("metric_time__quarter",), ()),
    ("revenue_at_month_start", ("metric_time__year",), ()),
    # cumulative: window, grain to date, all time; period_agg first, last, average
    ("revenue_7d", ("metric_time__day",), ()),
    ("revenue_7d", ("metric_time__month",), ()),
    ("revenue_7d", ("metric_time__day", "customer__region"), ()),
    ("revenue_7d_average", ("metric_time__month",), ()),
    ("revenue_mtd", ("metric_time__day",), ()),
    ("revenue_mtd", ("metric_time__week",), ()),
    ("revenue_mtd_last", ("metric_time__month",), ()),
    ("revenue_all_time", ("metric_time__month",), ()),
    ("revenue_all_time", (), ()),
    # conversion: rate and count, by day, month and a joined dimension
    ("visit_to_order_rate", ("metric_time__day",), ()),
    ("visit_to_order_rate", ("metric_time__month",), ()),
    ("visit_to_order_rate", ("metric_time__month", "customer__region"), ()),
    ("visit_conversions", ("metric_time__month",), ()),
    # semi-additive measures (non_additive_dimension, with and without window groupings), join_to_timespine
    ("customer_balance", ("metric_time__month",), ()),
    ("customer_balance", (), ()),
    ("customer_balance", ("metric_time__week", "customer__region"), ()),
    ("last_day_balance", ("customer__region",), ()),
    ("last_day_balance", ("metric_time__month",), ()),
    ("opening_balance", ("metric_time__month", "customer__region"), ()),
    ("revenue_every_day", ("metric_time__month",), ()),
    ("revenue_every_day", ("metric_time__day", "customer__region"), ()),
    ("revenue_every_day", (), ()),
    ("orders_filled", ("metric_time__day",), ()),
    # several metrics of different types together
    ("revenue,visits,avg_order_value,revenue_7d", ("metric_time__month",), ()),
    ("revenue_every_day,customer_balance,visit_to_order_rate", ("metric_time__month",), ()),
]


ROOT = Path(__file__).parent.parent.parent
PEER = Path(__file__).parent.parent / "peers" / "metricflow_peer.py"


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI=true: make install builds the MetricFlow venv)")
    pytest.skip(reason)


def metricflow_bin() -> Path:
    """The bin folder of MetricFlow's venv (ANSWERKEY_METRICFLOW_VENV, else .venv-metricflow)."""
    return Path(os.environ.get("ANSWERKEY_METRICFLOW_VENV", ROOT / ".venv-metricflow")) / "bin"


def build_project(folder: Path) -> Path:
    """The dbt project seeded, built and parsed in ``folder`` (the DuckDB path made absolute), with a byte copy of
    the DuckDB file for answerkey (MetricFlow holds the first one open)."""
    shutil.copytree(PROJECT, folder, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb"))
    profile = (folder / "profiles.yml").read_text().replace("path: mf_probe.duckdb",
                                                            f"path: {folder / 'mf_probe.duckdb'}")
    (folder / "profiles.yml").write_text(profile)
    env = {**os.environ, "DBT_PROFILES_DIR": str(folder), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    for command in (["seed"], ["run"], ["parse"]):
        done = subprocess.run([str(metricflow_bin() / "dbt"), *command, "--quiet", "--project-dir", str(folder)],
                              cwd=folder, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    shutil.copyfile(folder / "mf_probe.duckdb", folder / "warehouse.duckdb")
    return folder


def metricflow_answers(project: Path, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """MetricFlow's answer to each query, from one run of the peer script."""
    path = project / "queries.json"
    path.write_text(json.dumps(queries))
    done = subprocess.run([str(metricflow_bin() / "python"), str(PEER), str(project), str(path)], cwd=project,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    answers: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return answers


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (metricflow_bin() / "dbt").exists():
        _missing(f"MetricFlow's venv is not at {metricflow_bin().parent} (make install builds it)")
    return build_project(tmp_path_factory.mktemp("metricflow") / "shop")


@pytest.fixture(scope="module")
def metricflow(project: Path) -> dict[tuple[str, tuple[str, ...], tuple[str, ...]], dict[str, Any]]:
    """MetricFlow's answers to every query of the module, keyed like QUERIES."""
    answers = metricflow_answers(project, [{"metrics": m.split(","), "group_by": list(g), "where": list(w)}
                                           for m, g, w in QUERIES])
    return dict(zip(QUERIES, answers, strict=True))


@pytest.fixture(scope="module")
def warehouse(project: Path) -> Iterator[Warehouse]:
    """The same DuckDB, byte for byte, as answerkey opens a warehouse: read-only, in its sandbox."""
    opened = open_warehouse(str(project / "warehouse.duckdb"))
    yield opened
    opened.close_all()


@pytest.fixture(scope="module")
def context(project: Path, tmp_path_factory: pytest.TempPathFactory) -> ContextLayer:
    folder = tmp_path_factory.mktemp("context")
    _, _, unmapped = import_dbt(project / "target" / "semantic_manifest.json", folder)
    assert unmapped == []
    return load_context(folder)


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return float(value)
    return value


def _rows(rows: Any) -> list[tuple[Any, ...]]:
    return sorted((tuple(_value(v) for v in row) for row in rows), key=lambda r: [(v is None, str(v)) for v in r])


def _same(ours: tuple[Any, ...], theirs: tuple[Any, ...]) -> bool:
    return len(ours) == len(theirs) and all(
        a == b or (isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12))
        for a, b in zip(ours, theirs, strict=True))


@pytest.mark.parametrize(("metrics", "group_by", "where"), QUERIES,
                         ids=[f"{m}|{','.join(g)}|{len(w)}" for m, g, w in QUERIES])
def test_metrics_query_returns_metricflows_rows(metrics: str, group_by: tuple[str, ...], where: tuple[str, ...],
                                                metricflow: dict[Any, dict[str, Any]], context: ContextLayer,
                                                warehouse: Warehouse) -> None:
    theirs = metricflow[(metrics, group_by, where)]
    assert "error" not in theirs, theirs.get("error")
    ours = query_metrics(context, MetricQuery(tuple(metrics.split(",")), group_by, where), warehouse)
    assert sorted(ours.columns) == sorted(theirs["columns"])  # MetricFlow orders dimensions its own way
    order = [ours.columns.index(c) for c in theirs["columns"]]
    expected, got = _rows(theirs["rows"]), _rows([tuple(row[i] for i in order) for row in ours.rows])
    assert len(got) == len(expected), f"{len(got)} rows against MetricFlow's {len(expected)}"
    wrong = [(a, b) for a, b in zip(got, expected, strict=True) if not _same(a, b)]
    assert not wrong, f"{len(wrong)} rows differ, first: ours {wrong[0][0]} against MetricFlow's {wrong[0][1]}"


SEEDS = {"customers": ("raw_customers", "customer_id integer, first_name text, region text, signup_date date"),
         "orders": ("raw_orders", "order_id integer, customer_id integer, order_date date, amount numeric(10, 2), "
                                  "status text"),
         "visits": ("raw_visits", "visit_id integer, customer_id integer, visit_date date, channel text"),
         "balances": ("raw_balances", "customer_id integer, balance_date date, balance numeric(10, 2)")}


@pytest.fixture(scope="module")
def postgres_warehouse(postgres_server: str) -> Iterator[Warehouse]:
    """The project's tables, loaded from the same seeds into a PostgreSQL schema of their own."""
    import csv

    import sqlalchemy as sa

    from conftest import postgres_schema

    with postgres_schema(postgres_server) as url:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            for table, (seed, columns) in SEEDS.items():
                connection.execute(sa.text(f"CREATE TABLE {table} ({columns})"))
                with (PROJECT / "seeds" / f"{seed}.csv").open() as handle:
                    rows = list(csv.DictReader(handle))
                names = list(rows[0])
                connection.execute(sa.text(f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                                           f"({', '.join(':' + n for n in names)})"), rows)
            connection.execute(sa.text("CREATE TABLE metricflow_time_spine AS SELECT d::date AS date_day FROM "
                                       "generate_series(date '2023-01-01', date '2025-12-31', interval '1 day') d"))
        engine.dispose()
        opened = open_warehouse(url)
        yield opened
        opened.close_all()


@pytest.mark.postgres
@pytest.mark.parametrize(("metrics", "group_by", "where"), QUERIES,
                         ids=[f"{m}|{','.join(g)}|{len(w)}" for m, g, w in QUERIES])
def test_metrics_query_on_postgresql_returns_metricflows_rows(
        metrics: str, group_by: tuple[str, ...], where: tuple[str, ...], metricflow: dict[Any, dict[str, Any]],
        context: ContextLayer, postgres_warehouse: Warehouse) -> None:
    """The same definitions compiled for PostgreSQL (its tables in the search path) give MetricFlow's rows."""
    on_postgres = context.model_copy(update={
        "semantic_models": [m.model_copy(update={"table": m.table.removeprefix("main.")})
                            for m in context.semantic_models],
        "time_spine": context.time_spine.model_copy(update={"table": "metricflow_time_spine"})
        if context.time_spine else None})
    theirs = metricflow[(metrics, group_by, where)]
    ours = query_metrics(on_postgres, MetricQuery(tuple(metrics.split(",")), group_by, where), postgres_warehouse)
    order = [ours.columns.index(c) for c in theirs["columns"]]
    expected, got = _rows(theirs["rows"]), _rows([tuple(row[i] for i in order) for row in ours.rows])
    assert len(got) == len(expected), f"{len(got)} rows against MetricFlow's {len(expected)}"
    wrong = [(a, b) for a, b in zip(got, expected, strict=True) if not _same(a, b)]
    assert not wrong, f"{len(wrong)} rows differ, first: ours {wrong[0][0]} against MetricFlow's {wrong[0][1]}"
