"""context import dbt, construct by construct: every part of a semantic manifest lands where MetricFlow meant it,
what the context layer cannot hold is named, and hand-written files in the same shape load the same way."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from answerkey.analytics.context import Relationship, load_context
from answerkey.analytics.dbt import ManifestImport, import_dbt, read_semantic_manifest
from answerkey.analytics.metric_model import ConstantProperty, MeasureInput, MetricInput
from answerkey.analytics.semantic_model import NonAdditiveDimension, TimeSpine
from answerkey.errors import ImportValidationError

REGION = "{{ Dimension('customer__region') }} = 'east'"
MONTH = "{{ TimeDimension('metric_time', 'month') }} >= '2024-01-01'"
BUYER = "{{ Entity('customer') }} IS NOT NULL"
FREQUENT = "{{ Metric('orders', group_by=['customer']) }} > 2"
DONE = "{{ Dimension('order__status') }} = 'done'"
CASE = "CASE WHEN amount >= 100 THEN 'large' ELSE 'small' END"


def where(*templates: str) -> dict[str, Any]:
    return {"where_filters": [{"where_sql_template": t} for t in templates]}


def dim(name: str, kind: str = "categorical", expr: str | None = None, grain: str | None = None,
        **extra: Any) -> dict[str, Any]:
    params = {"time_granularity": grain} if grain else None
    return {"name": name, "type": kind, "expr": expr, "type_params": params, "description": None, **extra}


def measure(name: str, agg: str, expr: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "agg": agg, "expr": expr, "agg_params": None, "non_additive_dimension": None, **extra}


def metric(name: str, kind: str, **params: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "label": None, "description": None, "filter": None, "type_params": params}


MEASURES = [measure("order_total", "sum", "amount"), measure("order_count", "count", "1"),
            measure("smallest", "min", "amount"), measure("largest", "max", "amount"),
            measure("buyers", "count_distinct", "customer_id"), measure("gifts", "sum_boolean", "is_gift"),
            measure("mean_amount", "average", "amount"), measure("median_amount", "median", "amount"),
            measure("p90_amount", "percentile", "amount", agg_params={"percentile": 0.9,
                                                                     "use_discrete_percentile": True}),
            measure("shipped_total", "sum", "amount", agg_time_dimension="shipped_at"),
            measure("open_balance", "sum", "balance", non_additive_dimension={
                "name": "ordered_at", "window_choice": "min", "window_groupings": ["customer"]})]

MANIFEST: dict[str, Any] = {
    "semantic_models": [
        {"name": "customers", "label": "Customers", "description": "One row per customer.",
         "node_relation": {"alias": "dim_customers", "schema_name": "analytics"}, "defaults": None,
         "primary_entity": None,
         "entities": [{"name": "customer", "type": "primary", "expr": "customer_id", "role": None},
                      {"name": "email", "type": "unique", "expr": "email_address"}],
         "dimensions": [dim("region", label="Sales region"), dim("signup_at", "time", grain="week")],
         "measures": []},
        {"name": "orders", "node_relation": {"alias": "fct_orders", "schema_name": "analytics"},
         "defaults": {"agg_time_dimension": "ordered_at"},
         "entities": [{"name": "order", "type": "primary", "expr": "order_id"},
                      {"name": "customer", "type": "foreign", "expr": "customer_id"}],
         "dimensions": [dim("ordered_at", "time", grain="day"), dim("shipped_at", "time", grain="month"),
                        dim("status"), dim("size", expr=CASE)],
         "measures": MEASURES},
        {"name": "order_profiles", "node_relation": {"alias": "order_profiles", "schema_name": "analytics"},
         "entities": [{"name": "order", "type": "primary", "expr": "order_id"}], "dimensions": [dim("channel")]},
        {"name": "visits", "node_relation": {"alias": "visits", "schema_name": "web"}, "primary_entity": "visit",
         "defaults": {"agg_time_dimension": "visited_at"},
         "entities": [{"name": "customer", "type": "foreign", "expr": "CAST(customer_ref AS INTEGER)",
                       "role": "visitor"}],
         "dimensions": [dim("visited_at", "time", grain="day"), dim("channel")],
         "measures": [measure("visit_count", "count", "1")]},
        {"name": "subscriptions", "node_relation": {"alias": "subscription_history", "schema_name": None},
         "entities": [{"name": "subscription", "type": "natural", "expr": "subscription_id"}],
         "dimensions": [dim("valid_from", "time", grain="day", type_params={
                            "time_granularity": "day", "validity_params": {"is_start": True, "is_end": False}}),
                        dim("plan")]}],
    "metrics": [
        {**metric("revenue", "simple", measure={"name": "order_total", "filter": where(DONE), "alias": None,
                                                "join_to_timespine": False, "fill_nulls_with": None}),
         "label": "Revenue", "description": "Completed order value.", "filter": where(MONTH, BUYER)},
        {**metric("east_revenue", "simple", measure={"name": "order_total"}), "filter": where(REGION)},
        {**metric("frequent_revenue", "simple", measure={"name": "order_total"}), "filter": where(FREQUENT)},
        metric("orders", "simple", measure={"name": "order_count", "filter": None}),
        metric("aov", "ratio", numerator={"name": "revenue", "filter": where(REGION), "alias": "east"},
               denominator={"name": "orders", "filter": None, "alias": "n"}),
        metric("wow", "derived", expr="revenue - last_week + 0 * month_start", metrics=[
            {"name": "revenue", "alias": None, "filter": None, "offset_window": None, "offset_to_grain": None},
            {"name": "revenue", "alias": "last_week", "offset_window": {"count": 7, "granularity": "day"}},
            {"name": "revenue", "alias": "month_start", "offset_to_grain": "month", "filter": where(DONE)}]),
        metric("revenue_7d", "cumulative", measure={"name": "order_total"}, cumulative_type_params={
            "window": {"count": 7, "granularity": "day"}, "grain_to_date": None, "period_agg": "average"}),
        metric("revenue_mtd", "cumulative", measure={"name": "order_total"}, cumulative_type_params={
            "window": None, "grain_to_date": "month", "period_agg": "last"}),
        metric("revenue_legacy_month", "cumulative", measure={"name": "order_total"},
               window={"count": 1, "granularity": "month"}),
        metric("revenue_legacy_wtd", "cumulative", measure={"name": "order_total"}, grain_to_date="week"),
        metric("visit_conversions", "conversion", conversion_type_params={
            "base_measure": {"name": "visit_count"}, "conversion_measure": {"name": "buyers", "filter": where(DONE)},
            "entity": "customer", "calculation": "conversions", "window": {"count": 7, "granularity": "day"},
            "constant_properties": [{"base_property": "channel", "conversion_property": "channel"}]})],
    "project_configuration": {"time_spines": [
        {"node_relation": {"alias": "all_days", "schema_name": "analytics"},
         "primary_column": {"name": "date_day", "time_granularity": "day"}},
        {"node_relation": {"alias": "all_months", "schema_name": "analytics"},
         "primary_column": {"name": "date_month", "time_granularity": "month"}}]},
    "saved_queries": [{"name": "weekly_revenue", "query_params": {"metrics": ["revenue"]}}],
}


def write(tmp_path: Path, manifest: dict[str, Any]) -> Path:
    path = tmp_path / "semantic_manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return path


@pytest.fixture
def found(tmp_path: Path) -> ManifestImport:
    return read_semantic_manifest(write(tmp_path, MANIFEST))


def test_simple_metrics_keep_measure_and_metric_filters_verbatim_in_all_four_reference_forms(
        found: ManifestImport) -> None:
    by_name = {m.name: m for m in found.metrics}
    revenue = by_name["revenue"]
    assert (revenue.type, revenue.label, revenue.description) == ("simple", "Revenue", "Completed order value.")
    assert revenue.measure == MeasureInput(name="order_total", filter=DONE)
    assert revenue.filters() == [MONTH, BUYER]
    assert by_name["east_revenue"].filter == REGION
    assert by_name["frequent_revenue"].filter == FREQUENT
    assert by_name["orders"].measure == MeasureInput(name="order_count")


def test_ratio_inputs_keep_their_filters_and_aliases(found: ManifestImport) -> None:
    aov = next(m for m in found.metrics if m.name == "aov")
    assert aov.numerator == MetricInput(name="revenue", alias="east", filter=REGION)
    assert aov.denominator == MetricInput(name="orders", alias="n")
    assert aov.inputs() == ["revenue", "orders"]


def test_derived_inputs_keep_aliases_and_offsets_with_the_window_object_written_as_text(
        found: ManifestImport) -> None:
    wow = next(m for m in found.metrics if m.name == "wow")
    assert wow.expr == "revenue - last_week + 0 * month_start"
    assert wow.metrics == [MetricInput(name="revenue"),
                           MetricInput(name="revenue", alias="last_week", offset_window="7 days"),
                           MetricInput(name="revenue", alias="month_start", offset_to_grain="month", filter=DONE)]
    assert [i.reference for i in wow.metrics] == ["revenue", "last_week", "month_start"]


def test_cumulative_metrics_keep_window_grain_to_date_and_period_agg_in_the_new_and_the_legacy_form(
        found: ManifestImport) -> None:
    shape = {m.name: (m.type, m.measure.name if m.measure else None, m.window, m.grain_to_date, m.period_agg)
             for m in found.metrics if m.type == "cumulative"}
    assert shape == {"revenue_7d": ("cumulative", "order_total", "7 days", None, "average"),
                     "revenue_mtd": ("cumulative", "order_total", None, "month", "last"),
                     "revenue_legacy_month": ("cumulative", "order_total", "1 month", None, "first"),
                     "revenue_legacy_wtd": ("cumulative", "order_total", None, "week", "first")}


def test_conversion_metrics_keep_entity_window_calculation_and_constant_properties(found: ManifestImport) -> None:
    conversion = next(m for m in found.metrics if m.name == "visit_conversions").conversion
    assert conversion is not None
    assert conversion.base_measure == MeasureInput(name="visit_count")
    assert conversion.conversion_measure == MeasureInput(name="buyers", filter=DONE)
    assert (conversion.entity, conversion.calculation, conversion.window) == ("customer", "conversions", "7 days")
    assert conversion.constant_properties == [ConstantProperty(base_property="channel", conversion_property="channel")]


def test_measures_keep_every_aggregation_percentile_agg_time_dimension_and_non_additive_dimension(
        found: ManifestImport) -> None:
    orders = next(m for m in found.semantic_models if m.name == "orders")
    assert [(m.name, m.agg, m.sql) for m in orders.measures] == [(m["name"], m["agg"], m["expr"]) for m in MEASURES]
    p90 = orders.measure("p90_amount")
    assert p90 is not None
    assert (p90.percentile, p90.use_discrete_percentile) == (0.9, True)
    shipped, total = orders.measure("shipped_total"), orders.measure("order_total")
    assert shipped is not None
    assert total is not None
    assert shipped.agg_time_dimension == "shipped_at"
    assert total.agg_time_dimension is None
    assert orders.time_dimension_of(shipped).name == "shipped_at"  # type: ignore[union-attr]
    assert orders.time_dimension_of(total).name == "ordered_at"  # type: ignore[union-attr]
    balance = orders.measure("open_balance")
    assert balance is not None
    assert balance.non_additive_dimension == NonAdditiveDimension(name="ordered_at", window_choice="min",
                                                                  window_groupings=["customer"])


def test_time_dimensions_keep_their_type_and_granularity_and_labels_are_kept(found: ManifestImport) -> None:
    models = {m.name: m for m in found.semantic_models}
    assert [(d.name, d.type, d.granularity) for d in models["orders"].dimensions] == [
        ("ordered_at", "time", "day"), ("shipped_at", "time", "month"), ("status", "categorical", None),
        ("size", "categorical", None)]
    assert models["customers"].dimension("signup_at").granularity == "week"  # type: ignore[union-attr]
    assert models["customers"].label == "Customers"
    assert models["customers"].dimension("region").label == "Sales region"  # type: ignore[union-attr]
    assert models["orders"].agg_time_dimension == "ordered_at"


def test_a_case_expression_dimension_keeps_its_expr_and_does_not_become_a_column(found: ManifestImport) -> None:
    orders = next(m for m in found.semantic_models if m.name == "orders")
    size = orders.dimension("size")
    assert size is not None
    assert (size.name, size.expr, size.sql) == ("size", CASE, CASE)
    table = next(t for t in found.tables if t.name == "analytics.fct_orders")
    assert [c.name for c in table.columns] == ["order_id", "customer_id", "ordered_at", "shipped_at", "status"]
    assert table.column(CASE) is None
    assert table.column("size") is None


def test_entities_of_all_four_types_are_kept_and_the_relation_schema_names_the_table(found: ManifestImport) -> None:
    kinds = {(e.name, e.type, e.sql) for m in found.semantic_models for e in m.entities}
    assert {k for _, k, _ in kinds} == {"primary", "unique", "natural", "foreign"}
    assert ("email", "unique", "email_address") in kinds
    assert ("subscription", "natural", "subscription_id") in kinds
    assert {m.name: m.table for m in found.semantic_models} == {
        "customers": "analytics.dim_customers", "orders": "analytics.fct_orders",
        "order_profiles": "analytics.order_profiles", "visits": "web.visits", "subscriptions": "subscription_history"}
    customers = next(t for t in found.tables if t.name == "analytics.dim_customers")
    assert [(c.name, c.unique) for c in customers.columns] == [
        ("customer_id", True), ("email_address", True), ("region", False), ("signup_at", False)]


def test_join_paths_become_relationships_and_an_expression_join_is_listed_as_unmapped(found: ManifestImport) -> None:
    assert sorted(found.relationships, key=lambda r: r.left) == [
        Relationship(left="analytics.fct_orders.customer_id", right="analytics.dim_customers.customer_id",
                     cardinality="many_to_one"),
        Relationship(left="analytics.fct_orders.order_id", right="analytics.order_profiles.order_id",
                     cardinality="one_to_one")]
    notes = [n for n in found.unmapped if "expression" in n]
    assert len(notes) == 1
    assert "visits" in notes[0]
    assert "customers" in notes[0]
    assert "customer" in notes[0]


def test_the_first_time_spine_is_kept_with_its_schema_and_column(found: ManifestImport) -> None:
    assert found.time_spine == TimeSpine(table="analytics.all_days", column="date_day")


@pytest.mark.parametrize(("construct", "words"), [
    ("primary_entity", ("visits", "primary_entity", "'visit'")),
    ("entity role", ("visits", "customer", "role", "'visitor'")),
    ("validity_params", ("subscriptions", "valid_from", "validity")),
    ("extra time spines", ("1 time spine(s) at other grains are not kept",)),
    ("saved_queries", ("1 saved queries",))])
def test_each_construct_the_context_layer_cannot_hold_leaves_a_note(found: ManifestImport, construct: str,
                                                                    words: tuple[str, ...]) -> None:
    matching = [n for n in found.unmapped if all(w in n for w in words)]
    assert len(matching) == 1, (construct, found.unmapped)


def test_a_manifest_with_only_mappable_constructs_leaves_no_notes(tmp_path: Path) -> None:
    manifest = {"semantic_models": [MANIFEST["semantic_models"][1]], "metrics": MANIFEST["metrics"][:4]}
    assert read_semantic_manifest(write(tmp_path, manifest)).unmapped == []


def test_fill_nulls_with_zero_survives_the_import(tmp_path: Path) -> None:
    manifest = copy.deepcopy(MANIFEST)
    manifest["metrics"][3]["type_params"]["measure"]["fill_nulls_with"] = 0
    orders = next(m for m in read_semantic_manifest(write(tmp_path, manifest)).metrics if m.name == "orders")
    assert orders.measure is not None
    assert orders.measure.fill_nulls_with == 0


def test_the_day_spine_is_kept_even_when_a_coarser_spine_is_listed_first(tmp_path: Path) -> None:
    manifest = copy.deepcopy(MANIFEST)
    manifest["project_configuration"]["time_spines"].reverse()
    assert read_semantic_manifest(write(tmp_path, manifest)).time_spine == TimeSpine(table="analytics.all_days")


def _break_cumulative(m: dict[str, Any]) -> str:
    m["metrics"][6]["type_params"]["cumulative_type_params"]["grain_to_date"] = "month"
    return r"metrics\.revenue_7d\b.*window or grain_to_date"


def _break_agg(m: dict[str, Any]) -> str:
    m["semantic_models"][1]["measures"][2]["agg"] = "mode"
    return r"semantic_models\.orders\.measures\.2\.agg"


def _break_offset(m: dict[str, Any]) -> str:
    m["metrics"][5]["type_params"]["metrics"][1]["offset_window"] = {"count": 2, "granularity": "fortnight"}
    return r"metrics\.wow\.metrics\.1\.offset_window"


def _break_percentile(m: dict[str, Any]) -> str:
    m["semantic_models"][1]["measures"][8]["agg_params"] = None
    return r"semantic_models\.orders\.measures\.8\b.*percentile"


@pytest.mark.parametrize("breaker", [_break_cumulative, _break_agg, _break_offset, _break_percentile])
def test_a_malformed_manifest_is_refused_naming_the_entry_and_field_and_nothing_is_written(
        tmp_path: Path, breaker: Any) -> None:
    manifest = copy.deepcopy(MANIFEST)
    pattern = breaker(manifest)
    folder = tmp_path / "context"
    with pytest.raises(ImportValidationError, match=pattern) as caught:
        import_dbt(write(tmp_path, manifest), folder)
    assert "nothing was imported" in str(caught.value)
    assert not folder.exists()


def test_importing_twice_writes_nothing_new_and_keeps_hand_edits(tmp_path: Path) -> None:
    manifest, folder = write(tmp_path, MANIFEST), tmp_path / "context"
    written, added, unmapped = import_dbt(manifest, folder)
    assert sorted(p.name for p in written) == [
        "analytics.dim_customers.yaml", "analytics.fct_orders.yaml", "analytics.order_profiles.yaml",
        "subscription_history.yaml", "web.visits.yaml"]
    assert added == len(MANIFEST["metrics"])
    assert len(unmapped) == 6
    metrics = yaml.safe_load((folder / "metrics.yaml").read_text())
    metrics[0]["description"] = "Edited by hand."
    (folder / "metrics.yaml").write_text(yaml.safe_dump(metrics, sort_keys=False))
    (folder / "time_spine.yaml").write_text(yaml.safe_dump({"start": "2020-01-01", "end": "2030-01-01"}))
    (folder / "tables" / "web.visits.yaml").write_text(yaml.safe_dump({"name": "web.visits", "status": "certified"}))
    before = {p: p.read_bytes() for p in folder.rglob("*.yaml")}
    assert import_dbt(manifest, folder) == ([], 0, unmapped)
    assert {p: p.read_bytes() for p in folder.rglob("*.yaml")} == before
    layer = load_context(folder)
    assert layer.metric("revenue").description == "Edited by hand."  # type: ignore[union-attr]
    assert layer.time_spine == TimeSpine(start="2020-01-01", end="2030-01-01")
    assert layer.table("web.visits").status == "certified"  # type: ignore[union-attr]


def test_what_import_writes_loads_back_equal_to_what_was_read(tmp_path: Path, found: ManifestImport) -> None:
    import_dbt(write(tmp_path, MANIFEST), tmp_path / "context")
    layer = load_context(tmp_path / "context")
    assert sorted(layer.tables, key=lambda t: t.name) == sorted(found.tables, key=lambda t: t.name)
    assert layer.semantic_models == found.semantic_models
    assert layer.metrics == found.metrics
    assert layer.relationships == found.relationships
    assert layer.time_spine == found.time_spine


HAND_MODELS = """
- name: orders
  table: shop.orders
  agg_time_dimension: ordered_at
  entities: [{name: order, type: primary, expr: order_id}]
  dimensions:
    - {name: ordered_at, type: time, granularity: day}
    - {name: status}
  measures:
    - {name: order_total, agg: sum, expr: amount}
    - {name: order_count, agg: count, expr: "1"}
"""
HAND_METRICS = """
- {name: revenue, measure: order_total}
- {name: orders, measure: {name: order_count, filter: "{{ Dimension('order__status') }} = 'done'"}}
- {name: aov, type: ratio, numerator: revenue, denominator: orders}
- {name: both, type: derived, expr: revenue + orders, metrics: [revenue, orders]}
- {name: revenue_7d, type: cumulative, measure: order_total, window: 7 days}
- {name: legacy_revenue, table: shop.orders, sql: sum(amount), filter: status = 'done'}
"""


def test_hand_written_metrics_and_semantic_models_in_the_same_shape_load_with_their_legacy_forms(
        tmp_path: Path) -> None:
    (tmp_path / "semantic_models.yaml").write_text(HAND_MODELS)
    (tmp_path / "metrics.yaml").write_text(HAND_METRICS)
    layer = load_context(tmp_path)
    assert layer.semantic_models[0].measure("order_count").sql == "1"  # type: ignore[union-attr]
    by_name = {m.name: m for m in layer.metrics}
    assert by_name["revenue"].measure == MeasureInput(name="order_total")
    assert by_name["orders"].measure == MeasureInput(name="order_count", filter=DONE)
    assert (by_name["aov"].numerator, by_name["aov"].denominator) == (MetricInput(name="revenue"),
                                                                      MetricInput(name="orders"))
    assert by_name["both"].metrics == [MetricInput(name="revenue"), MetricInput(name="orders")]
    assert by_name["revenue_7d"].window == "7 days"
    legacy = by_name["legacy_revenue"]
    assert not legacy.semantic
    assert legacy.query() == "SELECT sum(amount) AS legacy_revenue FROM shop.orders WHERE status = 'done'"


@pytest.mark.parametrize(("file", "text", "entry", "words"), [
    ("semantic_models.yaml", HAND_MODELS.replace("agg_time_dimension: ordered_at", "agg_time_dimension: status"),
     1, ("agg_time_dimension", "'status'", "not a time dimension")),
    ("semantic_models.yaml", HAND_MODELS + HAND_MODELS.replace("name: orders", "name: orders_again").replace(
        "{name: status}", "{name: order_total}"), 2, ("used twice", "order_total")),
    ("metrics.yaml", HAND_METRICS.replace("expr: revenue + orders, ", ""), 4, ("derived", "expr")),
    ("metrics.yaml", HAND_METRICS.replace("window: 7 days", "window: 7 fortnights"), 5, ("window", "'7 fortnights'")),
])
def test_a_bad_hand_written_entry_is_refused_naming_file_entry_and_field(
        tmp_path: Path, file: str, text: str, entry: int, words: tuple[str, ...]) -> None:
    (tmp_path / "semantic_models.yaml").write_text(HAND_MODELS)
    (tmp_path / "metrics.yaml").write_text(HAND_METRICS)
    (tmp_path / file).write_text(text)
    with pytest.raises(ImportValidationError) as caught:
        load_context(tmp_path)
    problems = caught.value.problems
    assert len(problems) == 1
    assert problems[0].file.endswith(file)
    assert problems[0].row == entry
    assert f"{file}:{entry}" in str(caught.value)
    assert all(w in str(caught.value) for w in words), str(caught.value)
