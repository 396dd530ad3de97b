"""Result comparison: every rule and corner case, with the verdict of every preset."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from answerkey.analytics.compare import (
    PRESETS,
    CompareOptions,
    ResultTable,
    Ties,
    compare_results,
    gold_is_ordered,
)
from answerkey.errors import ParameterError

R = ResultTable.of
GOLD = R(["name", "total"], [("ann", 3), ("bob", 5), ("cy", 5)])

VERDICT_COLUMNS = ("default", "spider", "spider-official", "bird", "spider2", "strict")
# case: answer, gold has a top-level ORDER BY, verdict per preset (1 pass, 0 fail) in VERDICT_COLUMNS order
CASES: dict[str, tuple[ResultTable, bool, tuple[int, ...]]] = {
    "identical": (GOLD, False, (1, 1, 1, 1, 1, 1)),
    "rows permuted, no ORDER BY": (R(["name", "total"], [("cy", 5), ("ann", 3), ("bob", 5)]), False,
                                   (1, 1, 1, 1, 1, 0)),
    "rows permuted, gold ORDER BY": (R(["name", "total"], [("cy", 5), ("ann", 3), ("bob", 5)]), True,
                                     (0, 0, 0, 1, 1, 0)),
    "extra duplicate row": (R(["name", "total"], [("ann", 3), ("bob", 5), ("cy", 5), ("cy", 5)]), False,
                            (0, 0, 0, 1, 0, 0)),
    "swapped columns": (R(["total", "name"], [(3, "ann"), (5, "bob"), (5, "cy")]), False, (1, 1, 1, 0, 1, 0)),
    "extra column": (R(["name", "total", "x"], [("ann", 3, 1), ("bob", 5, 1), ("cy", 5, 1)]), False,
                     (0, 0, 0, 0, 1, 0)),
    "int vs float vs decimal": (R(["name", "total"], [("ann", 3.0), ("bob", Decimal("5")), ("cy", 5)]), False,
                                (1, 1, 1, 1, 1, 1)),
    "within 1e-6 relative": (R(["name", "total"], [("ann", 3.000001), ("bob", 5), ("cy", 5)]), False,
                             (1, 0, 0, 0, 1, 0)),
    "off by 0.005": (R(["name", "total"], [("ann", 3.005), ("bob", 5), ("cy", 5)]), False, (0, 0, 0, 0, 1, 0)),
    "NULL vs 0": (R(["name", "total"], [("ann", None), ("bob", 5), ("cy", 5)]), False, (0, 0, 0, 0, 0, 0)),
    "scrambled rows across columns": (R(["name", "total"], [("ann", 5), ("bob", 3), ("cy", 5)]), False,
                                      (0, 0, 0, 0, 1, 0)),
    "different column names": (R(["who", "n"], [("ann", 3), ("bob", 5), ("cy", 5)]), False, (1, 1, 1, 1, 1, 0)),
}


def test_every_preset_has_a_verdict_column() -> None:
    assert set(VERDICT_COLUMNS) == set(PRESETS)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset_gives_its_verdict_on_each_case(case: str, preset: str) -> None:
    answer, ordered, verdicts = CASES[case]
    result = compare_results(GOLD, answer, PRESETS[preset], gold_ordered=ordered)
    assert result.passed is bool(verdicts[VERDICT_COLUMNS.index(preset)]), result.reason


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


# Ties: gold ``SELECT id, n FROM t ORDER BY n DESC`` over ids 1-4 with n = 5, 5, 3, 3; the engine returned the
# tied ids in its own order, an answer ``ORDER BY n DESC, id`` in id order.
TIED_GOLD = R(["id", "n"], [(2, 5), (1, 5), (4, 3), (3, 3)])
TIED_BLOCKS = Ties([2, 2])


def test_tied_rows_in_another_order_pass_when_the_ties_are_given() -> None:
    answer = R(["id", "n"], [(1, 5), (2, 5), (3, 3), (4, 3)])
    assert not compare_results(TIED_GOLD, answer, gold_ordered=True).passed
    result = compare_results(TIED_GOLD, answer, gold_ordered=True, ties=TIED_BLOCKS)
    assert result.passed
    assert result.reason == "results match (tied rows in another order)"


def test_a_swap_across_two_different_keys_still_fails() -> None:
    answer = R(["id", "n"], [(2, 5), (4, 3), (1, 5), (3, 3)])
    result = compare_results(TIED_GOLD, answer, gold_ordered=True, ties=TIED_BLOCKS)
    assert not result.passed
    assert result.first_difference is not None
    assert result.first_difference["tied_rows"] == [1, 2]


def test_tied_rows_may_move_with_the_columns_permuted() -> None:
    answer = R(["n", "id"], [(5, 1), (5, 2), (3, 4), (3, 3)])
    result = compare_results(TIED_GOLD, answer, PRESETS["spider"], gold_ordered=True, ties=TIED_BLOCKS)
    assert result.passed, result.reason
    assert result.column_mapping == [1, 0]


def test_ties_change_nothing_when_the_comparison_is_unordered_or_already_in_order() -> None:
    answer = R(["id", "n"], [(3, 3), (1, 5), (4, 3), (2, 5)])
    assert compare_results(TIED_GOLD, answer, ties=TIED_BLOCKS).passed  # unordered: any order passes anyway
    assert compare_results(TIED_GOLD, TIED_GOLD, gold_ordered=True, ties=TIED_BLOCKS).reason == "results match"


# ``SELECT id, n FROM t ORDER BY n DESC LIMIT 3`` over n = 9, 7, 7, 7, 7, 1: the LIMIT cuts through the tie at 7.
CUT_GOLD = R(["id", "n"], [(1, 9), (2, 7), (3, 7)])
CUT_TIES = Ties([1, 2], cut_pool=[(4, 7), (5, 7)])


@pytest.mark.parametrize("rows", [
    [(1, 9), (2, 7), (3, 7)],
    [(1, 9), (3, 7), (2, 7)],
    [(1, 9), (4, 7), (2, 7)],
    [(1, 9), (5, 7), (4, 7)],
])
def test_a_limit_cutting_through_a_tie_passes_any_choice_of_the_tied_rows(rows: list[tuple[int, int]]) -> None:
    assert compare_results(CUT_GOLD, R(["id", "n"], rows), gold_ordered=True, ties=CUT_TIES).passed


@pytest.mark.parametrize("rows", [
    [(1, 9), (2, 7), (6, 1)],  # not tied with the last row
    [(1, 9), (4, 7), (4, 7)],  # a cut row taken twice
    [(4, 7), (1, 9), (2, 7)],  # a tied row ahead of the first key
])
def test_a_limit_cutting_through_a_tie_fails_rows_outside_the_pool(rows: list[tuple[int, int]]) -> None:
    result = compare_results(CUT_GOLD, R(["id", "n"], rows), gold_ordered=True, ties=CUT_TIES)
    assert not result.passed


def test_a_row_outside_the_pool_is_named() -> None:
    result = compare_results(CUT_GOLD, R(["id", "n"], [(1, 9), (2, 7), (6, 1)]), gold_ordered=True, ties=CUT_TIES)
    assert result.first_difference is not None
    assert result.first_difference["row"] == 3
    assert "none of the rows tied at the gold's LIMIT" in result.reason


def test_a_choice_of_cut_rows_says_so_and_survives_a_column_permutation() -> None:
    answer = R(["n", "id"], [(9, 1), (7, 5), (7, 2)])
    result = compare_results(CUT_GOLD, answer, PRESETS["spider"], gold_ordered=True, ties=CUT_TIES)
    assert result.passed, result.reason
    assert "another choice of the rows tied at the LIMIT" in result.reason


def test_a_limit_one_cut_through_a_tie_passes_any_of_the_tied_rows() -> None:
    gold = R(["id", "n"], [(2, 7)])
    ties = Ties([1], cut_pool=[(3, 7), (4, 7)])
    result = compare_results(gold, R(["id", "n"], [(4, 7)]), gold_ordered=True, ties=ties)
    assert result.reason == "results match (another choice of the rows tied at the LIMIT)"
    assert not compare_results(gold, R(["id", "n"], [(5, 7)]), gold_ordered=True, ties=ties).passed


def test_ties_keep_the_set_semantics_of_duplicates() -> None:
    gold = R(["id", "n"], [(1, 5), (1, 5), (2, 5), (3, 3)])
    answer = R(["id", "n"], [(2, 5), (1, 5), (3, 3)])
    options = CompareOptions(order="ordered", duplicates="set")
    assert compare_results(gold, answer, options, ties=Ties([3, 1])).passed
    assert not compare_results(gold, answer, options).passed


@pytest.mark.parametrize("ties", [Ties([2, 1]), Ties([0, 4]), Ties([], cut_pool=[(1, 2)]), Ties([4], [(1,)])])
def test_ties_that_do_not_fit_the_gold_are_refused(ties: Ties) -> None:
    with pytest.raises(ParameterError, match="ties"):
        compare_results(TIED_GOLD, TIED_GOLD, gold_ordered=True, ties=ties)


@pytest.mark.parametrize(("order", "sql", "top_level", "expected"), [
    ("auto", "SELECT a FROM t ORDER BY a", True, True),
    ("auto", "SELECT a FROM (SELECT a FROM t ORDER BY a LIMIT 3)", False, False),
    ("gold-text", "SELECT a FROM (SELECT a FROM t ORDER BY a LIMIT 3)", False, True),
    ("gold-text", "SELECT a FROM t WHERE note = 'in Order By date'", False, True),
    ("gold-text", "SELECT a FROM t ORDER  BY a", True, False),
    ("ordered", "SELECT a FROM t", False, True),
    ("unordered", "SELECT a FROM t ORDER BY a", True, False),
])
def test_gold_is_ordered_follows_the_order_option(order: str, sql: str, top_level: bool, expected: bool) -> None:
    assert gold_is_ordered(CompareOptions.model_validate({"order": order}), sql, top_level) is expected


@pytest.mark.parametrize(("gold", "answer", "normalised", "python"), [
    (dt.date(2026, 1, 2), "2026-01-02", True, False),
    (Decimal("0.1"), 0.1, True, False),
    (Decimal("1.50"), 1.5, True, True),
    (2**53 + 1, 2**53, True, False),
    (1, True, True, True),
    (b"ab", "6162", True, False),
    (dt.datetime(2026, 1, 2, 4, tzinfo=dt.timezone(dt.timedelta(hours=1))),
     dt.datetime(2026, 1, 2, 3, tzinfo=dt.UTC), True, True),
])
def test_python_equality_keeps_the_values_the_driver_returned(gold: Any, answer: Any, normalised: bool,
                                                              python: bool) -> None:
    exact = CompareOptions(rtol=0, atol=0)
    assert compare_results(R(["v"], [(gold,)]), R(["v"], [(answer,)]), exact).passed is normalised
    python_options = exact.model_copy(update={"equality": "python"})
    assert compare_results(R(["v"], [(gold,)]), R(["v"], [(answer,)]), python_options).passed is python


def test_the_quick_rejection_fails_equal_numbers_of_different_types_that_sort_apart_as_text() -> None:
    gold, answer = R(["a", "b"], [(1.0, 1.5)]), R(["a", "b"], [(1, 1.5)])
    assert compare_results(gold, answer, PRESETS["spider"]).passed
    result = compare_results(gold, answer, PRESETS["spider-official"])
    assert not result.passed
    assert "quick check" in result.reason
