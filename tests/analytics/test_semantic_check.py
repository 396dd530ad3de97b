"""The semantic layer in `context check`, in the agent's export and on the `metrics query` command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from answerkey.analytics.context import ContextLayer, load_context, render_for_agent
from answerkey.analytics.semantic_check import check_semantic_layer
from answerkey.analytics.warehouse import Warehouse, open_warehouse
from answerkey.cli.main import app

MODELS = [
    {"name": "orders", "table": "orders", "agg_time_dimension": "ordered_on",
     "entities": [{"name": "order", "type": "primary", "expr": "order_id"},
                  {"name": "customer", "type": "foreign", "expr": "customer_id"}],
     "dimensions": [{"name": "ordered_on", "type": "time", "granularity": "day"}, {"name": "status"}],
     "measures": [{"name": "order_total", "agg": "sum", "expr": "amount"},
                  {"name": "order_count", "agg": "sum", "expr": "1"}]},
    {"name": "customers", "table": "customers",
     "entities": [{"name": "customer", "type": "primary", "expr": "customer_id"}],
     "dimensions": [{"name": "region"}]},
]
METRICS = [
    {"name": "revenue", "measure": "order_total", "status": "certified", "description": "Order value."},
    {"name": "orders", "measure": "order_count"},
    {"name": "revenue_7d", "type": "cumulative", "measure": "order_total", "window": "7 days"},
    {"name": "revenue_mtd", "type": "cumulative", "measure": "order_total", "grain_to_date": "month",
     "period_agg": "last"},
    {"name": "aov", "type": "ratio", "numerator": "revenue", "denominator": "orders"},
    {"name": "wow", "type": "derived", "expr": "revenue - last_week",
     "metrics": ["revenue", {"name": "revenue", "alias": "last_week", "offset_window": "1 week"}]},
]


def shop_warehouse(tmp_path: Path) -> Warehouse:
    """Two customers and three orders in a DuckDB file, opened as answerkey opens a warehouse."""
    path = tmp_path / "shop.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE customers AS SELECT * FROM (VALUES (1, 'east'), (2, 'west')) "
                           "AS t(customer_id, region)")
        connection.execute("CREATE TABLE orders AS SELECT * FROM (VALUES (1, 1, DATE '2024-01-01', 10.0, 'done'), "
                           "(2, 2, DATE '2024-01-03', 5.0, 'done'), (3, 1, DATE '2024-01-20', 7.5, 'open')) "
                           "AS t(order_id, customer_id, ordered_on, amount, status)")
    return open_warehouse(str(path))


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return shop_warehouse(tmp_path)


def _context(folder: Path, models: list[dict[str, object]] = MODELS, metrics: list[dict[str, object]] = METRICS,
             spine: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "semantic_models.yaml").write_text(yaml.safe_dump(models))
    (folder / "metrics.yaml").write_text(yaml.safe_dump(metrics))
    if spine is not None:
        (folder / "time_spine.yaml").write_text(yaml.safe_dump(spine))
    return folder


SPINE = {"start": "2024-01-01", "end": "2024-03-01"}


def test_a_sound_semantic_layer_gives_no_findings(tmp_path: Path, warehouse: Warehouse) -> None:
    context = load_context(_context(tmp_path / "context", spine=SPINE))
    assert check_semantic_layer(context, warehouse) == []


def test_windows_and_offsets_without_a_time_spine_are_errors(tmp_path: Path, warehouse: Warehouse) -> None:
    findings = check_semantic_layer(load_context(_context(tmp_path / "context")), warehouse)
    assert {(f.check, f.where) for f in findings} == {("context.no_time_spine", f"metric {name}")
                                                      for name in ("revenue_7d", "revenue_mtd", "wow")}


def test_a_time_spine_that_ends_before_the_data_is_a_warning(tmp_path: Path, warehouse: Warehouse) -> None:
    context = load_context(_context(tmp_path / "context", spine={"start": "2024-01-02", "end": "2024-01-15"}))
    findings = check_semantic_layer(context, warehouse)
    assert [(f.check, f.severity.value) for f in findings] == [("context.time_spine_short", "warning")]
    assert findings[0].what.startswith("the spine runs 2024-01-02 to 2024-01-14 but orders.ordered_on runs "
                                       "2024-01-01 to 2024-01-20")


def test_an_entity_with_no_join_path_and_a_filter_on_a_missing_dimension_are_errors(
        tmp_path: Path, warehouse: Warehouse) -> None:
    models = [MODELS[0]]
    metrics = [{"name": "east", "measure": "order_total", "filter": "{{ Dimension('customer__region') }} = 'east'"}]
    findings = check_semantic_layer(load_context(_context(tmp_path / "context", models, metrics)), warehouse)
    by_check = {f.check: f for f in findings}
    assert by_check["context.no_join_path"].where == "semantic model orders, entity customer"
    compile_error = by_check["context.metric_does_not_compile"]
    assert compile_error.where == "metric east"
    assert "no join path for customer__region" in compile_error.what


def test_a_metric_whose_sql_fails_on_the_warehouse_is_an_error(tmp_path: Path, warehouse: Warehouse) -> None:
    models = [{**MODELS[0], "measures": [{"name": "order_total", "agg": "sum", "expr": "amount_usd"}]}, MODELS[1]]
    findings = check_semantic_layer(load_context(_context(tmp_path / "context", models, METRICS[:1])), warehouse)
    assert [(f.check, f.where) for f in findings] == [("context.metric_fails", "metric revenue")]
    assert "amount_usd" in findings[0].what


def test_the_agent_is_shown_each_metrics_sql_with_its_window_and_grain_in_words(tmp_path: Path) -> None:
    context: ContextLayer = load_context(_context(tmp_path / "context", spine=SPINE))
    text = render_for_agent(context)
    assert "### revenue_7d, cumulative" in text
    assert "over the trailing 7 days up to and including each day" in text
    assert "from the first day of each month up to and including each day (it restarts every month)" in text
    assert "each period shows its last day's value, not a sum" in text
    assert "revenue as last_week as of 1 week earlier" in text
    section = text[text.index("### revenue_7d"):text.index("### revenue_mtd")]
    assert "INTERVAL '7' DAY" in section
    assert "metric_time__day" in section


def test_metrics_query_on_the_command_line_prints_json_sql_and_clear_errors(tmp_path: Path,
                                                                           warehouse: Warehouse) -> None:
    folder = _context(tmp_path / "context", spine=SPINE)
    url = warehouse.url
    runner = CliRunner()
    done = runner.invoke(app, ["metrics", "query", "--metrics", "revenue,aov", "--group-by",
                               "metric_time__month,customer__region", "--warehouse", url, "--context", str(folder),
                               "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"columns": ["metric_time__month", "customer__region", "revenue", "aov"],
                                       "rows": [["2024-01-01", "east", 17.5, 8.75], ["2024-01-01", "west", 5.0, 5.0]]}
    done = runner.invoke(app, ["metrics", "query", "--metrics", "revenue_7d", "--group-by", "metric_time__day",
                               "--order-by=-revenue_7d,-metric_time__day", "--limit", "1", "--warehouse", url,
                               "--context", str(folder), "--json"])
    assert json.loads(done.stdout)["rows"] == [["2024-01-07", 15.0]]
    done = runner.invoke(app, ["metrics", "query", "--metrics", "revenue", "--sql", "--context", str(folder)])
    assert done.exit_code == 0
    assert "SUM(" in done.stdout
    failed = subprocess.run([sys.executable, "-m", "answerkey.cli.main", "metrics", "query", "--metrics", "revenue",
                             "--group-by", "customer__regoin", "--warehouse", url, "--context", str(folder)],
                            capture_output=True, text=True, check=False)
    assert failed.returncode == 2
    assert failed.stderr.strip() == (
        "error: metric revenue: no join path for customer__regoin: semantic model customers identifies entity "
        "'customer' but has no dimension 'regoin' (did you mean region?)")
    assert "Traceback" not in failed.stderr


@pytest.mark.parametrize(("where", "message"), [
    ("1=1; DROP TABLE orders", "--where: filter '1=1; DROP TABLE orders' is not one SQL condition"),
    ("{{ Dimension('customer__region') }} = 'east')", "is not one SQL condition (Invalid expression"),
    ("status IN (SELECT status FROM orders)", "must be a condition on the query's items, without subqueries"),
    ("{{ __import__('os').system('id') }} = 0", "is not Dimension('...'), TimeDimension"),
])
def test_a_hostile_or_broken_filter_is_refused_before_anything_runs(tmp_path: Path, where: str, message: str) -> None:
    from answerkey.analytics.metric_compile import MetricQuery, compile_metric_query
    from answerkey.errors import MetricQueryError

    context = load_context(_context(tmp_path / "context", spine=SPINE))
    with pytest.raises(MetricQueryError) as caught:
        compile_metric_query(context, MetricQuery(("revenue",), ("customer__region",), (where,)))
    assert message in str(caught.value)
    assert "SELECT" not in str(caught.value).replace(where, "")  # the compiled query is not dumped on the user
