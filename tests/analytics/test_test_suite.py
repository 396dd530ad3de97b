"""Test-suite mode: perturbed copies catch answers that pass on the real data by luck; equivalents still pass."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from answerkey.analytics.evaluation import evaluate
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.test_suite import Literal, literals, perturbed_databases
from answerkey.analytics.warehouse import Warehouse, open_warehouse
from answerkey.errors import ParameterError


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE payments(id INTEGER NOT NULL, amount INTEGER NOT NULL, status VARCHAR, "
                           "paid_on DATE, note VARCHAR)")
        connection.execute("INSERT INTO payments VALUES (1, 50, 'paid', '2026-01-03', NULL), "
                           "(2, 150, 'paid', '2026-02-01', 'x'), (3, 250, 'refunded', '2026-02-10', NULL), "
                           "(4, 90, 'paid', '2026-03-05', 'y')")
    return open_warehouse(str(path))


CASES = [
    ("> became >=", "SELECT count(*) FROM payments WHERE amount > 100",
     "SELECT count(*) FROM payments WHERE amount >= 100", False),
    ("a filter left out", "SELECT sum(amount) FROM payments WHERE status = 'paid' AND amount < 200",
     "SELECT sum(amount) FROM payments WHERE status = 'paid'", False),
    ("a value outside an IN list", "SELECT count(*) FROM payments WHERE status IN ('paid', 'refunded')",
     "SELECT count(*) FROM payments", False),
    ("a date bound moved by a day", "SELECT count(*) FROM payments WHERE paid_on < DATE '2026-02-02'",
     "SELECT count(*) FROM payments WHERE paid_on <= DATE '2026-02-02'", False),
    ("BETWEEN written out", "SELECT count(*) FROM payments WHERE amount BETWEEN 100 AND 300",
     "SELECT count(*) FROM payments WHERE amount >= 100 AND amount <= 300", True),
    ("COUNT of a NOT NULL column", "SELECT count(*) FROM payments", "SELECT count(id) FROM payments", True),
    ("an alias and another order of conditions",
     "SELECT p.id FROM payments p WHERE p.status = 'paid' AND p.amount > 60",
     "SELECT id FROM payments WHERE amount > 60 AND status = 'paid'", True),
]


@pytest.mark.parametrize(("name", "gold", "answer", "equivalent"), CASES, ids=[c[0] for c in CASES])
def test_lucky_answers_fail_and_equivalent_ones_pass(warehouse: Warehouse, name: str, gold: str, answer: str,
                                                     equivalent: bool) -> None:
    question = GoldenQuestion(id="q", question=name, gold_sql=gold)
    on_real_data = evaluate([question], {"q": {"sql": answer}}, warehouse).results[0]
    assert on_real_data.verdict == "pass"  # every case agrees on the real rows
    judged = evaluate([question], {"q": {"sql": answer}}, warehouse, test_suite=True).results[0]
    assert (judged.verdict == "pass") is equivalent, judged.reason
    if not equivalent:
        assert "perturbed copy" in judged.reason


def test_literals_are_found_with_their_tables_through_aliases() -> None:
    found = literals("SELECT * FROM payments p WHERE p.amount > 100 AND status IN ('a', 'b') AND "
                     "paid_on BETWEEN '2026-01-01' AND '2026-02-01'")
    assert Literal("payments", "amount", 100) in found
    assert {lit.value for lit in found if lit.column == "status"} == {"a", "b"}
    assert {lit.value for lit in found if lit.column == "paid_on"} == {"2026-01-01", "2026-02-01"}


def test_the_warehouse_itself_is_never_changed(warehouse: Warehouse, tmp_path: Path) -> None:
    source = Path(warehouse.url.removeprefix("duckdb:///"))
    before = source.read_bytes()
    copies = perturbed_databases(source, ["SELECT count(*) FROM payments WHERE amount > 100 AND note = 'x'"],
                                 "duckdb", tmp_path)
    assert [c.name for c in copies] == ["boundary-0", "boundary-1", "boundary-2", "dropped", "nulls"]
    assert source.read_bytes() == before
    with duckdb.connect(str(copies[0].path), read_only=True) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM payments").fetchall()]
    assert len(ids) == len(set(ids)) > 4  # rows were added, and the key stayed a key


def test_test_suite_mode_needs_a_duckdb_warehouse() -> None:
    other = Warehouse("sqlite:///:memory:", "sqlite")
    with pytest.raises(ParameterError, match="DuckDB warehouse"):
        evaluate([GoldenQuestion(id="q", question="?", gold_sql="SELECT 1")], {"q": {"sql": "SELECT 1"}}, other,
                 test_suite=True)
