"""The ``spider-official`` and ``bird`` presets give the official evaluators' verdicts on recorded result pairs.

``tests/data/official_result_pairs.json`` holds result pairs (SQLite results and hand-made values another driver
returns: dates, Decimals, bytes, booleans) with the verdicts of the official functions, recorded by running them
outside this repository: test-suite-sql-eval's ``result_eq`` (ordered when the gold's text says "order by") and
BIRD's ``set(predicted) == set(gold)``; and queries with the output of the official ``remove_distinct``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from answerkey.analytics.compare import PRESETS, ResultTable, compare_results, gold_is_ordered
from answerkey.analytics.official import text_sorted_rows_agree, without_distinct
from answerkey.analytics.sql import has_top_level_order_by

RECORDED = json.loads((Path(__file__).parents[1] / "data" / "official_result_pairs.json").read_text("utf-8"))
PAIRS: list[dict[str, Any]] = RECORDED["pairs"]
TAGS = {"$date": dt.date.fromisoformat, "$datetime": dt.datetime.fromisoformat, "$time": dt.time.fromisoformat,
        "$decimal": Decimal, "$bytes": bytes.fromhex, "$float": float}


def decoded(value: Any) -> Any:
    """A recorded value as the driver returned it (tagged forms for what JSON cannot hold)."""
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        return TAGS[tag](text)
    return value


def table(recorded: dict[str, Any]) -> ResultTable:
    return ResultTable.of(recorded["columns"], [[decoded(v) for v in row] for row in recorded["rows"]])


def verdict(pair: dict[str, Any], preset: str) -> bool:
    options = PRESETS[preset]
    ordered = gold_is_ordered(options, pair["gold_sql"], has_top_level_order_by(pair["gold_sql"], "sqlite"))
    return compare_results(table(pair["gold"]), table(pair["answer"]), options, gold_ordered=ordered).passed


def test_the_recording_has_enough_pairs_of_each_verdict() -> None:
    assert len(PAIRS) >= 150
    for key in ("spider", "bird"):
        verdicts = [pair["official"][key] for pair in PAIRS]
        assert verdicts.count(True) >= 50
        assert verdicts.count(False) >= 50


@pytest.mark.parametrize("pair", PAIRS, ids=[pair["note"] for pair in PAIRS])
def test_spider_official_gives_the_official_result_eq_verdict(pair: dict[str, Any]) -> None:
    options = PRESETS["spider-official"]
    assert gold_is_ordered(options, pair["gold_sql"], False) is pair["official"]["spider_order_matters"]
    assert verdict(pair, "spider-official") is pair["official"]["spider"]


@pytest.mark.parametrize("pair", PAIRS, ids=[pair["note"] for pair in PAIRS])
def test_bird_gives_the_official_set_verdict(pair: dict[str, Any]) -> None:
    assert verdict(pair, "bird") is pair["official"]["bird"]


def test_the_spider_preset_differs_from_the_official_code_where_documented() -> None:
    """``spider`` orders by a top-level ORDER BY only and compares normalised values, so it passes some pairs
    the official code fails (an ORDER BY in a subquery, a date and its text, the quick rejection)."""
    notes = {pair["note"] for pair in PAIRS if verdict(pair, "spider") != pair["official"]["spider"]}
    assert "sqlite: ORDER BY only in a subquery, answer in another order" in notes
    assert "hand: date vs its ISO text" in notes
    assert "sqlite: int and real in a row, sort apart as text" in notes


@pytest.mark.parametrize("case", RECORDED["distinct"], ids=[case["sql"] for case in RECORDED["distinct"]])
def test_without_distinct_cuts_distinct_as_the_official_rewrite_does(case: dict[str, str]) -> None:
    assert without_distinct(case["sql"], "sqlite") == case["official"]


@pytest.mark.parametrize("sql", [
    "SELECT a FROM t WHERE a IS DISTINCT FROM b",
    "SELECT a FROM t WHERE a IS NOT DISTINCT FROM b",
    "SELECT DISTINCT ON (a) a, b FROM t ORDER BY a",
])
def test_without_distinct_keeps_the_forms_the_official_rewrite_would_break(sql: str) -> None:
    assert without_distinct(sql, "postgres") == sql


def test_without_distinct_leaves_text_it_cannot_tokenize() -> None:
    assert without_distinct("SELECT DISTINCT 'unterminated", None) == "SELECT DISTINCT 'unterminated"


def test_the_quick_rejection_compares_rows_sorted_as_text() -> None:
    assert text_sorted_rows_agree([(1, "a")], [("a", 1)], ordered=True)
    assert not text_sorted_rows_agree([(1.0, 1.5)], [(1, 1.5)], ordered=False)
    assert text_sorted_rows_agree([([1],)], [([1],)], ordered=False)  # unhashable values compare as repr
