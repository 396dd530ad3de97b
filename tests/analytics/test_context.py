"""The context layer: files read strictly, rendered for an agent, and checked against data and gold SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from answerkey.analytics.context import load_context, render_for_agent
from answerkey.analytics.context_check import check_context, draft_from_warehouse
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.warehouse import Warehouse, open_warehouse
from answerkey.errors import ImportValidationError


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE accounts AS SELECT * FROM (VALUES (1, 'acme', 'pro'), (2, 'beta', 'pro'), "
                           "(3, 'corp', 'basic')) v(account_id, name, plan)")
        connection.execute("CREATE TABLE invoices AS SELECT * FROM (VALUES (10, 1, 100.0), (11, 1, 50.0), "
                           "(12, 2, 50.0)) v(invoice_id, account_id, amount)")
        connection.execute("CREATE TABLE invoices_old AS SELECT * FROM invoices")
    return open_warehouse(str(path))


def write(folder: Path, name: str, data: object) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")


@pytest.fixture
def context(tmp_path: Path) -> Path:
    folder = tmp_path / "context"
    write(folder, "tables/accounts.yaml", {"name": "accounts", "status": "certified", "description": "Customers.",
                                           "columns": [{"name": "account_id", "unique": True},
                                                       {"name": "plan", "unique": True, "description": "Plan name."}]})
    write(folder, "tables/invoices_old.yaml", {"name": "invoices_old", "status": "deprecated",
                                               "reason": "frozen in 2025", "replacement": "invoices"})
    write(folder, "tables/gone.yaml", {"name": "gone", "status": "draft"})
    write(folder, "relationships.yaml", [
        {"left": "accounts.account_id", "right": "invoices.account_id", "cardinality": "one_to_many"},
        {"left": "invoices.account_id", "right": "accounts.account_id", "cardinality": "one_to_one"},
        {"left": "accounts.nope", "right": "invoices.account_id", "cardinality": "one_to_many"}])
    write(folder, "metrics.yaml", [
        {"name": "revenue", "table": "invoices", "sql": "sum(amount)", "status": "certified"},
        {"name": "revenue", "table": "invoices", "sql": "sum(amount) - 0", "status": "draft"},
        {"name": "old_revenue", "table": "invoices_old", "sql": "sum(amount)", "status": "endorsed"}])
    write(folder, "rules.md", "Revenue excludes refunds.")
    write(folder, "guides/churn.md", "Churn means no invoice for 90 days.")
    return folder


def test_every_lint_finds_what_it_should(context: Path, warehouse: Warehouse) -> None:
    golden = [GoldenQuestion(id="q1", question="Revenue by plan?", gold_sql="SELECT a.plan, sum(i.amount) FROM "
                             "accounts a JOIN invoices i ON a.account_id = i.account_id GROUP BY a.plan")]
    findings = {(f.check.removeprefix("context."), f.where) for f in check_context(load_context(context), warehouse,
                                                                                    golden)}
    assert findings == {
        ("not_unique", "column accounts.plan"),
        ("stale_table", "table gone"),
        ("metric_conflict", "metric revenue"),
        ("metric_on_deprecated", "metric old_revenue"),
        ("cardinality_contradicted", "relationship invoices.account_id = accounts.account_id"),
        ("relationship_key_missing", "relationship accounts.nope = invoices.account_id"),
        ("undescribed_table", "table invoices"),
        ("undescribed_column", "column accounts.account_id"),
    }


def test_the_agent_gets_endorsed_tables_first_deprecated_ones_with_their_replacement_and_matching_guides(
        context: Path) -> None:
    text = render_for_agent(load_context(context), "What is our churn rate?")
    assert text.index("## accounts (certified)") < text.index("## invoices_old (deprecated)")
    assert "DEPRECATED: frozen in 2025; use invoices" in text
    assert "SELECT sum(amount) AS revenue FROM invoices" in text
    assert "Revenue excludes refunds." in text
    assert "Churn means no invoice for 90 days." in text
    assert "Guide: churn" not in render_for_agent(load_context(context), "Revenue by plan?")


def test_a_bad_entry_is_named_and_nothing_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "context"
    write(folder, "tables/t.yaml", {"name": "t", "status": "deprecated"})
    write(folder, "metrics.yaml", [{"name": "m", "type": "ratio", "numerator": "a"}])
    with pytest.raises(ImportValidationError) as caught:
        load_context(folder)
    text = str(caught.value)
    assert "t.yaml" in text
    assert "reason and a replacement" in text
    assert "metrics.yaml:1" in text
    assert "needs denominator" in text


def test_drafting_from_the_warehouse_never_touches_a_described_table(context: Path, warehouse: Warehouse) -> None:
    before = (context / "tables" / "accounts.yaml").read_text()
    written = draft_from_warehouse(warehouse, context)
    assert sorted(p.name for p in written) == ["invoices.yaml"]
    assert (context / "tables" / "accounts.yaml").read_text() == before
    drafted = load_context(context).table("invoices")
    assert drafted is not None
    assert drafted.status == "draft"
    assert [c.name for c in drafted.columns if c.unique] == ["invoice_id"]


def test_the_context_hash_changes_with_the_context(context: Path) -> None:
    first = load_context(context).content_hash()
    write(context, "rules.md", "Revenue includes refunds.")
    assert load_context(context).content_hash() != first
