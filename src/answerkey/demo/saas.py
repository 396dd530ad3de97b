"""A SaaS warehouse for the analytics demo: accounts, plans, subscriptions, invoices, refunds, events.

MRR has real traps: trials pay nothing, annual plans count a twelfth of their price per month, and a
deprecated ``mrr_legacy`` table counts both wrong. The context layer describes most of it; the golden
questions are generated from templates over the data; a rule-based baseline agent answers them, right on
some and wrong on others for reasons the diagnosis must find (a deprecated table, an undescribed column, a
metric the context does not define).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

__all__ = ["MONTHS", "baseline_agent", "build_analytics_demo", "build_saas_warehouse", "golden_questions",
           "write_context"]

MONTHS = [f"2026-{m:02d}" for m in range(1, 10)]
SEGMENTS = ("smb", "mid", "enterprise")
PLANS = [(1, "starter", "month", 29.0), (2, "growth", "month", 99.0), (3, "growth_annual", "year", 990.0),
         (4, "scale", "month", 499.0), (5, "scale_annual", "year", 4990.0)]


def build_saas_warehouse(path: str | Path, seed: int = 11, n_accounts: int = 400) -> Path:
    """Write the DuckDB warehouse (deterministic for a seed)."""
    import duckdb

    rng = np.random.default_rng(seed)
    start = dt.date(2025, 10, 1)
    accounts: list[tuple[Any, ...]] = []
    subscriptions: list[tuple[Any, ...]] = []
    invoices: list[tuple[Any, ...]] = []
    refunds: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    for account in range(1, n_accounts + 1):
        created = start + dt.timedelta(days=int(rng.integers(0, 330)))
        segment = SEGMENTS[int(rng.choice(3, p=[0.6, 0.3, 0.1]))]
        churned = created + dt.timedelta(days=int(rng.integers(60, 500))) if rng.random() < 0.3 else None
        accounts.append((account, f"account-{account:04d}", segment, created, churned))
        plan = int(rng.choice([1, 2, 3, 4, 5], p=[0.35, 0.3, 0.15, 0.12, 0.08]))
        trial = rng.random() < 0.25
        trial_end = created + dt.timedelta(days=14)
        subscription = len(subscriptions) + 1
        subscriptions.append((subscription, account, plan, created, trial_end if trial else churned, trial))
        if trial:
            if rng.random() < 0.5:  # converted after the trial
                subscription = len(subscriptions) + 1
                subscriptions.append((subscription, account, plan, trial_end, churned, False))
            else:
                continue
        price, interval = PLANS[plan - 1][3], PLANS[plan - 1][2]
        issued = subscriptions[-1][3]
        while issued < dt.date(2026, 10, 1) and (churned is None or issued < churned):
            invoice = len(invoices) + 1
            status = "paid" if rng.random() < 0.93 else "void"
            invoices.append((invoice, account, subscription, issued, price, status))
            if status == "paid" and rng.random() < 0.05:
                refunds.append((len(refunds) + 1, invoice, round(price * float(rng.uniform(0.2, 1.0)), 2),
                                issued + dt.timedelta(days=int(rng.integers(1, 20)))))
            issued = _add_months(issued, 12 if interval == "year" else 1)
        for _ in range(int(rng.integers(1, 12))):
            events.append((len(events) + 1, account, str(rng.choice(["login", "export", "invite", "api_call"])),
                           created + dt.timedelta(days=int(rng.integers(0, 300)))))
    target = Path(path)
    target.unlink(missing_ok=True)
    with duckdb.connect(str(target)) as connection:
        connection.execute("CREATE TABLE plans (plan_id INTEGER, name VARCHAR, billing_interval VARCHAR, "
                           "price DECIMAL(10,2))")
        connection.executemany("INSERT INTO plans VALUES (?, ?, ?, ?)", PLANS)
        connection.execute("CREATE TABLE accounts (account_id INTEGER, name VARCHAR, segment VARCHAR, "
                           "created_at DATE, churned_at DATE)")
        connection.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?)", accounts)
        connection.execute("CREATE TABLE subscriptions (subscription_id INTEGER, account_id INTEGER, "
                           "plan_id INTEGER, started_at DATE, ended_at DATE, is_trial BOOLEAN)")
        connection.executemany("INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?, ?)", subscriptions)
        connection.execute("CREATE TABLE invoices (invoice_id INTEGER, account_id INTEGER, subscription_id INTEGER, "
                           "issued_at DATE, amount DECIMAL(10,2), status VARCHAR)")
        connection.executemany("INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?)", invoices)
        connection.execute("CREATE TABLE refunds (refund_id INTEGER, invoice_id INTEGER, amount DECIMAL(10,2), "
                           "refunded_at DATE)")
        connection.executemany("INSERT INTO refunds VALUES (?, ?, ?, ?)", refunds)
        connection.execute("CREATE TABLE events (event_id INTEGER, account_id INTEGER, kind VARCHAR, occurred_at DATE)")
        connection.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", events)
        # the legacy MRR table: every subscription at its full price, trials and annual plans included
        connection.execute(
            "CREATE TABLE mrr_legacy AS SELECT strftime(m.month, '%Y-%m') AS month, sum(p.price) AS mrr "
            "FROM (SELECT unnest(generate_series(DATE '2026-01-01', DATE '2026-09-01', INTERVAL 1 MONTH)) AS month) m "
            "JOIN subscriptions s ON s.started_at <= m.month AND (s.ended_at IS NULL OR s.ended_at > m.month) "
            "JOIN plans p ON p.plan_id = s.plan_id GROUP BY 1")
    return target


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


MRR_SQL = ("SELECT round(sum(CASE WHEN p.billing_interval = 'year' THEN p.price / 12 ELSE p.price END), 2) AS mrr "
           "FROM subscriptions s JOIN plans p ON p.plan_id = s.plan_id WHERE NOT s.is_trial "
           "AND s.started_at <= DATE '{day}' AND (s.ended_at IS NULL OR s.ended_at > DATE '{day}')")


def golden_questions() -> list[dict[str, Any]]:
    """The golden set: questions generated from templates over segments, plans and months."""
    questions: list[dict[str, Any]] = []

    def add(qid: str, question: str, sql: str, tags: list[str], metrics: list[str] | None = None) -> None:
        questions.append({"id": qid, "question": question, "gold_sql": sql, "tags": tags,
                          "metrics": metrics or [], "owner": "finance-data", "verified_at": "2026-11-01"})

    for segment in SEGMENTS:
        add(f"accounts-{segment}", f"How many {segment} accounts do we have?",
            f"SELECT count(*) FROM accounts WHERE segment = '{segment}'", ["accounts"])
        add(f"churned-{segment}", f"How many {segment} accounts have churned?",
            f"SELECT count(*) FROM accounts WHERE segment = '{segment}' AND churned_at IS NOT NULL", ["churn"])
    for plan_id, name, _, _ in PLANS:
        add(f"paying-{name}", f"How many paying subscriptions are on the {name} plan?",
            f"SELECT count(*) FROM subscriptions WHERE plan_id = {plan_id} AND NOT is_trial", ["subscriptions"])
    for month in MONTHS:
        first = f"{month}-01"
        add(f"mrr-{month}", f"What was MRR on {first}?", MRR_SQL.format(day=first), ["mrr"], ["mrr"])
        add(f"revenue-{month}", f"What was gross invoiced revenue in {month}?",
            f"SELECT round(sum(amount), 2) AS revenue FROM invoices WHERE status = 'paid' "
            f"AND strftime(issued_at, '%Y-%m') = '{month}'", ["revenue"], ["revenue"])
        add(f"net-revenue-{month}", f"What was net revenue (after refunds) in {month}?",
            "SELECT round(coalesce(sum(i.amount), 0) - coalesce((SELECT sum(r.amount) FROM refunds r JOIN invoices "
            f"i2 ON i2.invoice_id = r.invoice_id WHERE i2.status = 'paid' AND strftime(i2.issued_at, '%Y-%m') = "
            f"'{month}'), 0), 2) AS net_revenue FROM invoices i WHERE i.status = 'paid' AND "
            f"strftime(i.issued_at, '%Y-%m') = '{month}'", ["revenue"], ["net_revenue"])
        add(f"signups-{month}", f"How many accounts signed up in {month}?",
            f"SELECT count(*) FROM accounts WHERE strftime(created_at, '%Y-%m') = '{month}'", ["accounts"])
    add("top-accounts", "Which 5 accounts paid the most in total?",
        "SELECT a.name, sum(i.amount) AS paid FROM accounts a JOIN invoices i ON i.account_id = a.account_id "
        "WHERE i.status = 'paid' GROUP BY a.name ORDER BY paid DESC, a.name LIMIT 5", ["revenue"])
    add("ceo", "Who is our CEO?", "", ["unanswerable"])
    questions[-1].pop("gold_sql")
    questions[-1]["unanswerable"] = True
    return questions


def write_context(folder: str | Path) -> Path:
    """The demo's context layer. ``subscriptions.is_trial`` is left undescribed and no net-revenue metric is
    defined, on purpose: those are the gaps the baseline agent falls into."""
    root = Path(folder)
    tables = {
        "accounts": ("certified", "One row per customer account.", [
            ("account_id", "Account key.", True), ("name", "Account name.", True),
            ("segment", "smb, mid or enterprise.", False), ("created_at", "Sign-up date.", False),
            ("churned_at", "Date the account left; NULL while active.", False)]),
        "plans": ("certified", "Price list.", [
            ("plan_id", "Plan key.", True), ("name", "Plan name.", True),
            ("billing_interval", "month or year: annual plans bill twelve months at once.", False),
            ("price", "Price per billing interval.", False)]),
        "subscriptions": ("certified", "Subscriptions of accounts to plans.", [
            ("subscription_id", "Subscription key.", True), ("account_id", "The account.", False),
            ("plan_id", "The plan.", False), ("started_at", "Start date.", False),
            ("ended_at", "End date; NULL while running.", False), ("is_trial", "", False)]),
        "invoices": ("certified", "Invoices issued to accounts.", [
            ("invoice_id", "Invoice key.", True), ("account_id", "The account.", False),
            ("issued_at", "Issue date.", False), ("amount", "Invoiced amount.", False),
            ("status", "paid or void; only paid invoices are revenue.", False)]),
        "refunds": ("endorsed", "Money returned on paid invoices.", [
            ("refund_id", "Refund key.", True), ("invoice_id", "The refunded invoice.", False),
            ("amount", "Refunded amount.", False)]),
    }
    for name, (status, description, columns) in tables.items():
        path = root / "tables" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"name": name, "status": status, "description": description, "columns": [
            {"name": c, "description": d, **({"unique": True} if u else {})} for c, d, u in columns]},
            sort_keys=False), encoding="utf-8")
    (root / "tables" / "mrr_legacy.yaml").write_text(yaml.safe_dump({
        "name": "mrr_legacy", "status": "deprecated", "owner": "finance-data",
        "reason": "counts trials and annual plans at full price", "replacement": "subscriptions",
        "description": "Monthly MRR snapshots from the old billing system."}, sort_keys=False), encoding="utf-8")
    (root / "relationships.yaml").write_text(yaml.safe_dump([
        {"left": "accounts.account_id", "right": "subscriptions.account_id", "cardinality": "one_to_many"},
        {"left": "plans.plan_id", "right": "subscriptions.plan_id", "cardinality": "one_to_many"},
        {"left": "accounts.account_id", "right": "invoices.account_id", "cardinality": "one_to_many"},
        {"left": "invoices.invoice_id", "right": "refunds.invoice_id", "cardinality": "one_to_many"}]),
        encoding="utf-8")
    (root / "metrics.yaml").write_text(yaml.safe_dump([
        {"name": "mrr", "type": "simple", "table": "subscriptions", "status": "certified",
         "description": "Monthly recurring revenue: non-trial subscriptions running on the day, annual plans at a "
                        "twelfth of their price.",
         "sql": "sum(CASE WHEN p.billing_interval = 'year' THEN p.price / 12 ELSE p.price END)"},
        {"name": "revenue", "type": "simple", "table": "invoices", "status": "certified", "filter": "status = 'paid'",
         "description": "Gross invoiced revenue: paid invoices.", "sql": "sum(amount)"}], sort_keys=False),
        encoding="utf-8")
    (root / "rules.md").write_text("Revenue means paid invoices only: `status = 'paid'`. Round money to cents.\n",
                                   encoding="utf-8")
    (root / "guides").mkdir(exist_ok=True)
    (root / "guides" / "churn.md").write_text("An account has churned when churned_at is set.\n", encoding="utf-8")
    return root


def baseline_agent(request: Mapping[str, Any]) -> dict[str, Any]:
    """A deterministic, rule-based agent: right where the context is clear, wrong where it is not."""
    question = str(request["question"])
    month = re.search(r"(2026-\d\d)", question)
    segment = next((s for s in SEGMENTS if f" {s} " in question), None)
    plan = next((p for p in PLANS if f" {p[1]} plan" in question), None)
    if question.startswith("How many") and "churned" in question and segment:
        return {"sql": f"SELECT count(*) FROM accounts WHERE segment = '{segment}' AND churned_at IS NOT NULL"}
    if question.startswith("How many") and "accounts do we have" in question and segment:
        return {"sql": f"SELECT count(*) FROM accounts WHERE segment = '{segment}'"}
    if plan is not None:  # is_trial is undescribed, so trials are counted as paying
        return {"sql": f"SELECT count(*) FROM subscriptions WHERE plan_id = {plan[0]}"}
    if "MRR" in question and month:  # the deprecated table looks like the answer
        return {"sql": f"SELECT round(mrr, 2) AS mrr FROM mrr_legacy WHERE month = '{month.group(1)}'"}
    if "net revenue" in question and month:  # no net-revenue metric: refunds are forgotten
        return {"sql": "SELECT round(sum(amount), 2) AS net_revenue FROM invoices WHERE status = 'paid' AND "
                       f"strftime(issued_at, '%Y-%m') = '{month.group(1)}'"}
    if "gross invoiced revenue" in question and month:
        return {"sql": "SELECT round(sum(amount), 2) AS revenue FROM invoices WHERE status = 'paid' AND "
                       f"strftime(issued_at, '%Y-%m') = '{month.group(1)}'"}
    if "signed up" in question and month:
        return {"sql": f"SELECT count(*) FROM accounts WHERE strftime(created_at, '%Y-%m') = '{month.group(1)}'"}
    if "paid the most" in question:
        return {"sql": "SELECT a.name, sum(i.amount) AS paid FROM accounts a JOIN invoices i ON "
                       "i.account_id = a.account_id GROUP BY a.name ORDER BY paid DESC LIMIT 5"}
    return {"refused": True}


def build_analytics_demo(root: str | Path) -> tuple[Path, Path, Any]:
    """Warehouse, context and golden set under ``root`` (a workspace), and the baseline agent's recorded run."""
    import json as _json

    from answerkey.analytics.agents import CallableAgent
    from answerkey.analytics.context import load_context
    from answerkey.analytics.evaluation import evaluate
    from answerkey.analytics.golden import load_golden
    from answerkey.analytics.runs import save_run
    from answerkey.analytics.warehouse import open_warehouse
    from answerkey.project.workspace import Workspace

    folder = Path(root)
    warehouse_path = build_saas_warehouse(folder / "warehouse.duckdb")
    context = load_context(write_context(folder / "context"))
    golden = folder / "golden.jsonl"
    golden.write_text("".join(_json.dumps(q) + "\n" for q in golden_questions()), encoding="utf-8")
    warehouse_url = f"duckdb:///{warehouse_path}"
    run = evaluate(load_golden(golden), None, open_warehouse(warehouse_url), agent=CallableAgent(baseline_agent,
                   name="baseline"), context=context)
    save_run(Workspace.open(folder), run, agent="py:answerkey.demo.saas:baseline_agent", golden_file=golden,
             warehouse=warehouse_url, context_hash=context.content_hash())
    return warehouse_path, golden, run
