"""metrics query: a query that cannot be compiled says what is missing, and what compiles returns the right rows on
DuckDB (a tiny shop, values worked out by hand)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from answerkey.analytics.context import ContextLayer
from answerkey.analytics.metric_compile import MetricQuery, compile_metric_query
from answerkey.analytics.metric_model import Metric
from answerkey.analytics.semantic_model import SemanticModel, TimeSpine
from answerkey.errors import MetricQueryError
from conftest import postgres_schema

CUSTOMERS = SemanticModel.model_validate({
    "name": "customers", "table": "customers", "entities": [{"name": "customer", "type": "primary",
                                                            "expr": "customer_id"}],
    "dimensions": [{"name": "region"}]})
ORDERS = SemanticModel.model_validate({
    "name": "orders", "table": "orders", "agg_time_dimension": "ordered_at",
    "entities": [{"name": "order", "type": "primary", "expr": "order_id"},
                 {"name": "customer", "type": "foreign", "expr": "customer_id"}],
    "dimensions": [{"name": "ordered_at", "type": "time"}, {"name": "status"},
                   {"name": "shipped_month", "type": "time", "granularity": "month"}],
    "measures": [{"name": "order_total", "agg": "sum", "expr": "amount"},
                 {"name": "shipped_total", "agg": "sum", "expr": "amount", "agg_time_dimension": "shipped_month"},
                 {"name": "median_amount", "agg": "median", "expr": "amount"},
                 {"name": "p75_amount", "agg": "percentile", "expr": "amount", "percentile": 0.75},
                 {"name": "p90_disc", "agg": "percentile", "expr": "amount", "percentile": 0.9,
                  "use_discrete_percentile": True},
                 {"name": "gifts", "agg": "sum_boolean", "expr": "is_gift"},
                 {"name": "balance", "agg": "sum", "expr": "amount", "non_additive_dimension": {
                     "name": "ordered_at", "window_choice": "max", "window_groupings": ["customer"]}},
                 {"name": "opening", "agg": "sum", "expr": "amount", "non_additive_dimension": {
                     "name": "ordered_at", "window_choice": "min"}}]})
ITEMS = SemanticModel.model_validate({
    "name": "order_items", "table": "order_items", "agg_time_dimension": "added_at",
    "entities": [{"name": "order_item", "type": "primary", "expr": "item_id"},
                 {"name": "order", "type": "foreign", "expr": "order_id"}],
    "dimensions": [{"name": "added_at", "type": "time"}], "measures": [{"name": "quantity", "agg": "sum"}]})


def simple(name: str, measure: str | dict[str, Any]) -> Metric:
    return Metric.model_validate({"name": name, "measure": measure})


METRICS = [simple("revenue", "order_total"), simple("shipped_revenue", "shipped_total"),
           simple("median_order", "median_amount"), simple("p75_order", "p75_amount"),
           simple("p90_order", "p90_disc"), simple("gift_orders", "gifts"), simple("units", "quantity"),
           simple("balance_now", "balance"), simple("opening_total", "opening"),
           simple("revenue_filled", {"name": "order_total", "fill_nulls_with": 0}),
           simple("revenue_daily", {"name": "order_total", "join_to_timespine": True, "fill_nulls_with": 0}),
           Metric.model_validate({"name": "balance_7d", "type": "cumulative", "measure": "balance",
                                  "window": "7 days"}),
           Metric.model_validate({"name": "balance_to_order", "type": "conversion", "conversion": {
               "base_measure": "balance", "conversion_measure": "order_total", "entity": "customer"}}),
           Metric.model_validate({"name": "revenue_7d", "type": "cumulative", "measure": "order_total",
                                  "window": "7 days"}),
           Metric.model_validate({"name": "revenue_all_time", "type": "cumulative", "measure": "order_total"}),
           Metric.model_validate({"name": "wow", "type": "derived", "expr": "revenue - prev", "metrics": [
               "revenue", {"name": "revenue", "alias": "prev", "offset_window": "7 days"}]}),
           Metric(name="table_revenue", table="orders", sql="sum(amount)")]
SPINE_TABLE = TimeSpine(table="spine")
SPINE_RANGE = TimeSpine(start="2024-01-01", end="2024-01-15")
CONTEXT = ContextLayer(semantic_models=[CUSTOMERS, ORDERS, ITEMS], metrics=METRICS)
SPINED = CONTEXT.model_copy(update={"time_spine": SPINE_TABLE})

SHOP = """
CREATE TABLE customers (customer_id INTEGER, region VARCHAR);
INSERT INTO customers VALUES (1, 'east'), (2, 'west'), (3, 'east');
CREATE TABLE orders (order_id INTEGER, customer_id INTEGER, ordered_at DATE, shipped_month DATE, amount DOUBLE,
                     is_gift BOOLEAN, status VARCHAR);
INSERT INTO orders VALUES
  (10, 1, '2024-01-01', '2024-02-01', 100, true, 'done'), (11, 1, '2024-01-03', '2024-02-01', 50, false, 'done'),
  (12, 2, '2024-01-03', '2024-01-01', NULL, true, 'void'), (13, 3, '2024-01-10', '2024-02-01', 30, true, 'done'),
  (14, 2, '2024-01-12', '2024-01-01', 20, false, 'open');
CREATE TABLE order_items (item_id INTEGER, order_id INTEGER, quantity INTEGER, added_at DATE);
INSERT INTO order_items VALUES (1, 10, 2, '2024-01-01'), (2, 10, 1, '2024-01-01'), (3, 11, 5, '2024-01-03'),
  (4, 12, 7, '2024-01-03'), (5, 13, 1, '2024-01-10'), (6, 14, 4, '2024-01-12');
CREATE TABLE spine AS SELECT CAST(range AS DATE) AS date_day FROM range(DATE '2024-01-01', DATE '2024-01-15',
                                                                       INTERVAL 1 DAY);
"""


def compile_(metrics: str, group_by: tuple[str, ...] = (), where: tuple[str, ...] = (),
             context: ContextLayer = SPINED, dialect: str = "duckdb") -> str:
    return compile_metric_query(context, MetricQuery(tuple(metrics.split(",")), group_by, where), dialect)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path_factory.mktemp("shop") / "shop.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(SHOP)
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


def rows(shop: duckdb.DuckDBPyConnection, metrics: str, group_by: tuple[str, ...] = (),
         context: ContextLayer = SPINED) -> list[tuple[Any, ...]]:
    """The query's rows, dates as ISO days."""
    found = shop.execute(compile_(metrics, group_by, context=context)).fetchall()
    return [tuple(str(v)[:10] if hasattr(v, "isoformat") else v for v in row) for row in found]


# --- errors


def test_an_unknown_metric_gets_a_did_you_mean() -> None:
    with pytest.raises(MetricQueryError, match=r"metric 'revenu' is not defined \(did you mean revenue\?\)"):
        compile_("revenu")


def test_an_unknown_joined_dimension_names_the_semantic_model_and_lists_its_dimensions() -> None:
    with pytest.raises(MetricQueryError, match=r"semantic model customers .*no dimension 'planet'.*region"):
        compile_("revenue", ("customer__planet",))
    with pytest.raises(MetricQueryError, match=r"semantic model orders has no dimension 'ordered_att'.*"
                                               r"its dimensions: ordered_at, status, shipped_month"):
        compile_("revenue", ("ordered_att__month",))


def test_an_unknown_dimension_of_the_measures_own_model_lists_its_dimensions() -> None:
    with pytest.raises(MetricQueryError, match=r"semantic model orders.*(did you mean status|its dimensions)"):
        compile_("revenue", ("order__statsu",))


def test_a_dimension_without_a_join_path_names_the_metric_the_dimension_and_the_entity_hop() -> None:
    alone = CONTEXT.model_copy(update={"semantic_models": [ORDERS]})
    with pytest.raises(MetricQueryError, match=r"metric revenue: no join path for customer__region: from semantic "
                                               r"model orders over entity 'customer'"):
        compile_("revenue", ("customer__region",), context=alone)
    with pytest.raises(MetricQueryError, match=r"metric revenue: visit__channel needs entity 'visit'.*orders"):
        compile_("revenue", ("visit__channel",))


def test_two_models_identifying_the_same_entity_with_the_same_dimension_is_more_than_one_join_path() -> None:
    twin = CUSTOMERS.model_copy(update={"name": "customers_copy", "table": "customers_copy"})
    both = CONTEXT.model_copy(update={"semantic_models": [CUSTOMERS, twin, ORDERS]})
    with pytest.raises(MetricQueryError, match=r"more than one join path for customer__region.*customers, "
                                               r"customers_copy"):
        compile_("revenue", ("customer__region",), context=both)


def test_a_windowed_cumulative_metric_must_be_grouped_by_metric_time() -> None:
    with pytest.raises(MetricQueryError, match=r"revenue_7d accumulates over 7 days, so the query must group by "
                                               r"metric_time"):
        compile_("revenue_7d", ("customer__region",))


def test_an_offset_derived_metric_must_be_grouped_by_metric_time() -> None:
    with pytest.raises(MetricQueryError, match=r"metric wow: input prev has a time offset.*metric_time"):
        compile_("wow", ("customer__region",))


def test_a_cumulative_metric_without_a_time_spine_points_to_time_spine_yaml() -> None:
    with pytest.raises(MetricQueryError, match=r"revenue_all_time: a cumulative metric needs a time spine; add "
                                               r"context/time_spine\.yaml"):
        compile_("revenue_all_time", ("metric_time__month",), context=CONTEXT)


def test_a_grain_finer_than_the_dimensions_granularity_is_refused() -> None:
    with pytest.raises(MetricQueryError, match=r"order__shipped_month__week asks for grain week, finer than "
                                               r"shipped_month's granularity month"):
        compile_("revenue", ("order__shipped_month__week",))


def test_metric_time_finer_than_the_measures_time_granularity_is_refused() -> None:
    with pytest.raises(MetricQueryError, match=r"finer"):
        compile_("shipped_revenue", ("metric_time__day",))


@pytest.mark.parametrize(("template", "pattern"), [
    ("{{ Column('status') }} = 'done'", r"Column is not Dimension, TimeDimension, Entity or Metric"),
    ("{{ Dimension }} = 'done'", r"\{\{ Dimension \}\} is not Dimension\('\.\.\.'\)"),
    ("{{ Dimension(status) }} = 'done'", r"is not Dimension\('\.\.\.'\)"),
    ("{{ Metric('orders') }} > 1", r"needs group_by=\['<entity>'\]"),
    ("{{ TimeDimension('metric_time', 'hour') }} > '2024-01-01'", r"grain 'hour' is not one of day, week"),
])
def test_a_filter_reference_that_is_not_one_of_the_four_forms_is_named(template: str, pattern: str) -> None:
    with pytest.raises(MetricQueryError, match=pattern):
        compile_("revenue", where=(template,))


def test_a_table_sql_metric_cannot_be_grouped_or_filtered() -> None:
    with pytest.raises(MetricQueryError, match=r"metric table_revenue is table SQL .*cannot be grouped or filtered"):
        compile_("table_revenue", ("customer",))
    with pytest.raises(MetricQueryError, match=r"table_revenue is table SQL"):
        compile_("table_revenue", where=("{{ Dimension('order__status') }} = 'done'",))
    assert "SUM(amount)" in compile_("table_revenue").replace('"', "")


@pytest.mark.parametrize(("metric", "pattern"), [
    ("balance_7d", r"metric balance_7d: a cumulative metric over measure balance, which has a "
                   r"non_additive_dimension, is not compiled"),
    ("balance_to_order", r"metric balance_to_order: a conversion over measure balance, which has a "
                         r"non_additive_dimension, is not compiled")])
def test_what_is_not_compiled_yet_says_so(metric: str, pattern: str) -> None:
    with pytest.raises(MetricQueryError, match=pattern):
        compile_(metric, ("metric_time__day",))


def test_join_to_timespine_without_a_time_spine_points_to_time_spine_yaml() -> None:
    with pytest.raises(MetricQueryError, match=r"revenue_daily: join_to_timespine needs a time spine.*time_spine"):
        compile_("revenue_daily", ("metric_time__day",), context=CONTEXT)


# --- rows on DuckDB


def test_a_two_hop_join_path_reaches_the_customers_region_from_order_items(shop: duckdb.DuckDBPyConnection) -> None:
    assert rows(shop, "units", ("order__customer__region",)) == [("east", 2 + 1 + 5 + 1), ("west", 7 + 4)]


def test_an_entity_is_a_group_by(shop: duckdb.DuckDBPyConnection) -> None:
    assert rows(shop, "revenue", ("customer",)) == [(1, 150.0), (2, 20.0), (3, 30.0)]


def test_a_measure_with_its_own_month_agg_time_dimension_is_reported_over_that_dimension(
        shop: duckdb.DuckDBPyConnection) -> None:
    assert rows(shop, "shipped_revenue,revenue", ("metric_time__month",)) == [
        ("2024-01-01", 20.0, 200.0), ("2024-02-01", 180.0, None)]


def test_fill_nulls_with_replaces_a_null_value_and_leaves_the_others(shop: duckdb.DuckDBPyConnection) -> None:
    assert rows(shop, "revenue_filled,revenue", ("order__status",)) == [
        ("done", 180.0, 180.0), ("open", 20.0, 20.0), ("void", 0.0, None)]


def test_join_to_timespine_with_fill_nulls_with_gives_every_spine_day(shop: duckdb.DuckDBPyConnection) -> None:
    by_day = dict(rows(shop, "revenue_daily", ("metric_time__day",)))
    assert len(by_day) == 14
    assert {d: v for d, v in by_day.items() if v != 0} == {"2024-01-01": 100.0, "2024-01-03": 50.0,
                                                           "2024-01-10": 30.0, "2024-01-12": 20.0}


def test_a_non_additive_measure_keeps_only_the_rows_at_the_window_choice(shop: duckdb.DuckDBPyConnection) -> None:
    # balance: each customer's last order day (1: 01-03 -> 50, 2: 01-12 -> 20, 3: 01-10 -> 30); opening: 01-01
    assert rows(shop, "balance_now,opening_total") == [(50.0 + 20.0 + 30.0, 100.0)]
    assert rows(shop, "balance_now", ("metric_time__month",)) == [("2024-01-01", 100.0)]


def test_median_and_percentile_measures_interpolate_or_pick_as_asked(shop: duckdb.DuckDBPyConnection) -> None:
    # east orders 30, 50, 100; west orders NULL and 20 (the NULL is ignored)
    assert rows(shop, "median_order,p75_order,p90_order", ("customer__region",)) == [
        ("east", 50.0, 50 + 0.5 * (100 - 50), 100.0), ("west", 20.0, 20.0, 20.0)]


def test_a_sum_boolean_measure_counts_the_true_rows(shop: duckdb.DuckDBPyConnection) -> None:
    assert rows(shop, "gift_orders", ("customer__region",)) == [("east", 2), ("west", 1)]
    assert rows(shop, "gift_orders", ("metric_time__day",)) == [
        ("2024-01-01", 1), ("2024-01-03", 1), ("2024-01-10", 1), ("2024-01-12", 0)]


def test_a_generated_time_spine_gives_the_same_rows_as_the_same_days_in_a_table(
        shop: duckdb.DuckDBPyConnection) -> None:
    from_table = rows(shop, "revenue_7d", ("metric_time__day",))
    from_range = rows(shop, "revenue_7d", ("metric_time__day",), CONTEXT.model_copy(update={"time_spine":
                                                                                         SPINE_RANGE}))
    assert from_range == from_table
    by_day = dict(from_table)
    assert len(by_day) == 14
    assert (by_day["2024-01-01"], by_day["2024-01-03"], by_day["2024-01-07"]) == (100.0, 150.0, 150.0)
    assert (by_day["2024-01-08"], by_day["2024-01-10"], by_day["2024-01-12"], by_day["2024-01-14"]) == (
        50.0, 30.0, 50.0, 50.0)


def test_an_offset_input_is_the_value_seven_days_earlier(shop: duckdb.DuckDBPyConnection) -> None:
    by_day = dict(rows(shop, "wow", ("metric_time__day",)))
    assert by_day["2024-01-10"] == 30.0 - 50.0
    assert by_day["2024-01-01"] is None


def test_a_measure_without_an_agg_time_dimension_runs(shop: duckdb.DuckDBPyConnection) -> None:
    timeless = ITEMS.model_copy(update={"agg_time_dimension": None})
    context = CONTEXT.model_copy(update={"semantic_models": [CUSTOMERS, ORDERS, timeless]})
    assert shop.execute(compile_("units", context=context)).fetchall() == [(2 + 1 + 5 + 7 + 1 + 4,)]


def test_the_postgres_sql_parses_with_sqlglot_and_keeps_the_percentile_and_the_window() -> None:
    sql = compile_("revenue_7d,p75_order", ("metric_time__week", "order__customer__region"), dialect="postgres")
    tree = sqlglot.parse_one(sql, read="postgres")
    assert isinstance(tree, exp.Select)
    assert tree.named_selects == ["metric_time__week", "order__customer__region", "revenue_7d", "p75_order"]
    assert "PERCENTILE_CONT(0.75) WITHIN GROUP" in sql
    assert "INTERVAL '7 DAY'" in sql


@pytest.mark.postgres
@pytest.mark.parametrize("spine", [SPINE_TABLE, SPINE_RANGE])
def test_a_cumulative_metric_runs_on_postgresql_with_either_time_spine(postgres_server: str,
                                                                       spine: TimeSpine) -> None:
    sql = compile_("revenue_7d", ("metric_time__day",), context=CONTEXT.model_copy(update={"time_spine": spine}),
                   dialect="postgres")
    with postgres_schema(postgres_server) as url:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                for statement in ("CREATE TABLE orders (order_id int, customer_id int, ordered_at date, amount "
                                  "float)", "INSERT INTO orders VALUES (10, 1, '2024-01-01', 100), "
                                  "(11, 1, '2024-01-03', 50)", "CREATE TABLE spine AS SELECT d::date AS date_day "
                                  "FROM generate_series(date '2024-01-01', date '2024-01-14', interval '1 day') d"):
                    connection.execute(sa.text(statement))
            with engine.connect() as connection:
                found = [(str(day)[:10], value) for day, value in connection.execute(sa.text(sql))]
        finally:
            engine.dispose()
    assert found[:3] == [("2024-01-01", 100.0), ("2024-01-02", 100.0), ("2024-01-03", 150.0)]
    assert dict(found)["2024-01-09"] == 50.0
    assert len(found) == 9
