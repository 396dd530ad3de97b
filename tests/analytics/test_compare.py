"""Result comparison: every rule and corner case, with the verdict of every preset."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from answerkey.analytics.compare import PRESETS, CompareOptions, ResultTable, compare_results

R = ResultTable.of
GOLD = R(["name", "total"], [("ann", 3), ("bob", 5), ("cy", 5)])

# case: answer, gold has a top-level ORDER BY, expected verdict per preset
CASES: dict[str, tuple[ResultTable, bool, dict[str, bool]]] = {
    "identical": (GOLD, False,
                  {"default": True, "spider": True, "bird": True, "spider2": True, "strict": True}),
    "rows permuted, no ORDER BY": (R(["name", "total"], [("cy", 5), ("ann", 3), ("bob", 5)]), False,
                                   {"default": True, "spider": True, "bird": True, "spider2": True, "strict": False}),
    "rows permuted, gold ORDER BY": (R(["name", "total"], [("cy", 5), ("ann", 3), ("bob", 5)]), True,
                                     {"default": False, "spider": False, "bird": True, "spider2": True,
                                      "strict": False}),
    "extra duplicate row": (R(["name", "total"], [("ann", 3), ("bob", 5), ("cy", 5), ("cy", 5)]), False,
                            {"default": False, "spider": False, "bird": True, "spider2": False, "strict": False}),
    "swapped columns": (R(["total", "name"], [(3, "ann"), (5, "bob"), (5, "cy")]), False,
                        {"default": True, "spider": True, "bird": False, "spider2": True, "strict": False}),
    "extra column": (R(["name", "total", "x"], [("ann", 3, 1), ("bob", 5, 1), ("cy", 5, 1)]), False,
                     {"default": False, "spider": False, "bird": False, "spider2": True, "strict": False}),
    "int vs float vs decimal": (R(["name", "total"], [("ann", 3.0), ("bob", Decimal("5")), ("cy", 5)]), False,
                                {"default": True, "spider": True, "bird": True, "spider2": True, "strict": True}),
    "within 1e-6 relative": (R(["name", "total"], [("ann", 3.000001), ("bob", 5), ("cy", 5)]), False,
                             {"default": True, "spider": False, "bird": False, "spider2": True, "strict": False}),
    "off by 0.005": (R(["name", "total"], [("ann", 3.005), ("bob", 5), ("cy", 5)]), False,
                     {"default": False, "spider": False, "bird": False, "spider2": True, "strict": False}),
    "NULL vs 0": (R(["name", "total"], [("ann", None), ("bob", 5), ("cy", 5)]), False,
                  {"default": False, "spider": False, "bird": False, "spider2": False, "strict": False}),
    "scrambled rows across columns": (R(["name", "total"], [("ann", 5), ("bob", 3), ("cy", 5)]), False,
                                      {"default": False, "spider": False, "bird": False, "spider2": True,
                                       "strict": False}),
    "different column names": (R(["who", "n"], [("ann", 3), ("bob", 5), ("cy", 5)]), False,
                               {"default": True, "spider": True, "bird": True, "spider2": True, "strict": False}),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset_gives_its_verdict_on_each_case(case: str, preset: str) -> None:
    answer, ordered, expected = CASES[case]
    result = compare_results(GOLD, answer, PRESETS[preset], gold_ordered=ordered)
    assert result.passed is expected[preset], result.reason


@pytest.mark.parametrize("preset", list(PRESETS))
def test_both_empty_is_a_pass_whatever_the_columns(preset: str) -> None:
    assert compare_results(R(["a"], []), R(["b", "c"], []), PRESETS[preset]).passed


def test_a_mismatch_names_the_first_differing_row_and_column() -> None:
    result = compare_results(GOLD, R(["name", "total"], [("ann", 3), ("bob", 6), ("cy", 5)]), gold_ordered=True)
    assert not result.passed
    assert result.first_difference == {"row": 2, "column": "total", "gold": 5, "answer": 6, "ordered": True}
    assert "row 2, column total: gold 5, answer 6" in result.reason


def test_partial_credit_counts_matching_columns_and_rows() -> None:
    result = compare_results(GOLD, R(["name", "total"], [("ann", 3), ("bob", 5), ("dan", 5)]))
    assert result.column_overlap == 0.5
    assert result.row_f1 == pytest.approx(2 / 3)


def test_null_equals_only_null_and_nan_only_nan() -> None:
    assert compare_results(R(["a"], [(None,)]), R(["a"], [(None,)])).passed
    assert not compare_results(R(["a"], [(None,)]), R(["a"], [("",)])).passed
    assert compare_results(R(["a"], [(float("nan"),)]), R(["a"], [(float("nan"),)])).passed


@pytest.mark.parametrize(("gold", "answer"), [
    (dt.date(2026, 1, 2), "2026-01-02"),
    (dt.datetime(2026, 1, 2, 3, 4, 5), "2026-01-02 03:04:05"),
    (dt.datetime(2026, 1, 2, 4, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=1))), dt.datetime(2026, 1, 2, 3, 4, 5)),
])
def test_dates_and_timestamps_are_normalised(gold: Any, answer: Any) -> None:
    assert compare_results(R(["d"], [(gold,)]), R(["d"], [(answer,)])).passed


def test_case_and_whitespace_fold_only_when_asked() -> None:
    gold, answer = R(["a"], [("New  York",)]), R(["a"], [("new york",)])
    assert not compare_results(gold, answer).passed
    assert compare_results(gold, answer, CompareOptions(fold_case=True, fold_whitespace=True)).passed


def test_identical_columns_do_not_blow_up_the_permutation_search() -> None:
    width = 9
    gold = R([f"c{i}" for i in range(width)], [tuple([1] * width)] * 3)
    answer = R([f"c{i}" for i in range(width)], [tuple([1] * width)] * 2 + [tuple([1] * (width - 1) + [2])])
    assert not compare_results(gold, answer).passed


def test_rows_that_sort_apart_within_tolerance_are_still_matched() -> None:
    gold = R(["x", "y"], [(1.0, "b"), (1.0000000001, "a")])
    answer = R(["x", "y"], [(1.0000000001, "b"), (1.0, "a")])
    assert compare_results(gold, answer).passed
