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
    tables, metrics = read_semantic_manifest(MANIFEST)
    orders = tables[0]
    assert orders.name == "orders"
    assert [(c.name, c.unique) for c in orders.columns] == [
        ("order_id", True), ("customer_id", False), ("ordered_at", False), ("has_food", False)]
    by_name = {m.name: m for m in metrics}
    assert by_name["revenue"].query() == "SELECT sum(amount) AS revenue FROM orders"
    assert by_name["food_revenue"].filter == "(has_food = true)"
    assert (by_name["average_order_value"].numerator, by_name["average_order_value"].denominator) == (
        "revenue", "orders")
    assert by_name["non_food_revenue"].expr == "revenue - food_revenue"


def test_importing_twice_keeps_what_was_described_and_defined(tmp_path: Path) -> None:
    folder = tmp_path / "context"
    written, metrics = import_dbt(MANIFEST, folder)
    assert [p.name for p in written] == ["orders.yaml"]
    assert metrics == 5
    (folder / "tables" / "orders.yaml").write_text(yaml.safe_dump({"name": "orders", "status": "certified"}))
    again = import_dbt(MANIFEST, folder)
    assert again == ([], 0)
    layer = load_context(folder)
    assert layer.table("orders") is not None
    assert layer.table("orders").status == "certified"  # type: ignore[union-attr]
    assert len(layer.metrics) == 5


def test_a_file_that_is_not_a_semantic_manifest_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.json"
    bad.write_text('{"nodes": {}}')
    with pytest.raises(ImportValidationError, match=r"semantic_manifest\.json"):
        read_semantic_manifest(bad)
