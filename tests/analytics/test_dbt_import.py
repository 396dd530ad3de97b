"""context import dbt: tables, columns and metrics from a semantic manifest, without overwriting anything."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from answerkey.analytics.context import load_context
from answerkey.analytics.dbt import import_dbt, read_semantic_manifest
from answerkey.errors import ImportValidationError

MANIFEST = Path(__file__).parent.parent / "data" / "semantic_manifest.json"


def test_semantic_models_become_tables_and_metrics_keep_their_types() -> None:
    found = read_semantic_manifest(MANIFEST)
    orders = found.tables[0]
    assert orders.name == "analytics.orders"
    assert [(c.name, c.unique) for c in orders.columns] == [
        ("order_id", True), ("customer_id", False), ("ordered_at", False), ("has_food", False)]
    model = found.semantic_models[0]
    assert model.agg_time_dimension == "ordered_at"
    assert model.dimension("ordered_at").granularity == "day"  # type: ignore[union-attr]
    assert model.dimension("is_food_order").sql == "has_food"  # type: ignore[union-attr]
    by_name = {m.name: m for m in found.metrics}
    assert by_name["revenue"].measure.name == "order_total"  # type: ignore[union-attr]
    assert by_name["food_revenue"].filter == "{{ Dimension('order_id__is_food_order') }} = true"
    ratio = by_name["average_order_value"]
    assert (ratio.numerator.name, ratio.denominator.name) == ("revenue", "orders")  # type: ignore[union-attr]
    assert by_name["non_food_revenue"].expr == "revenue - food_revenue"
    assert found.unmapped == []


def test_importing_twice_keeps_what_was_described_and_defined(tmp_path: Path) -> None:
    folder = tmp_path / "context"
    written, metrics, _unmapped = import_dbt(MANIFEST, folder)
    assert [p.name for p in written] == ["analytics.orders.yaml"]
    assert metrics == 5
    (folder / "tables" / "analytics.orders.yaml").write_text(
        yaml.safe_dump({"name": "analytics.orders", "status": "certified"}))
    again = import_dbt(MANIFEST, folder)
    assert again == ([], 0, [])
    layer = load_context(folder)
    assert layer.table("orders") is not None
    assert layer.table("orders").status == "certified"  # type: ignore[union-attr]
    assert len(layer.metrics) == 5
    assert [m.name for m in layer.semantic_models] == ["orders"]


def test_a_file_that_is_not_a_semantic_manifest_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.json"
    bad.write_text('{"nodes": {}}')
    with pytest.raises(ImportValidationError, match=r"semantic_manifest\.json"):
        read_semantic_manifest(bad)
