"""Is an answer's result the gold result? Every rule of the published text-to-SQL evaluators, each an option.

A result is a list of column names and a list of row tuples, as a DB-API cursor returns them. Values are
normalised first: every number (int, float, Decimal, numpy) compares as a number within a relative and an
absolute tolerance; NULL equals only NULL (never 0 or ""); dates and timestamps compare as ISO text; text
may be folded for case and whitespace. ``equality="python"`` keeps the values as the driver returns them and
compares them with Python's ``==``, as the official evaluators do.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from answerkey.analytics.compare_python import python_cell, quick_rejection

if TYPE_CHECKING:  # compare_ties builds on this module's helpers, so it is imported where ties are compared
    from answerkey.analytics.compare_ties import TieRows

__all__ = [
    "PRESETS", "CompareOptions", "Comparison", "ResultTable", "Ties", "compare_results", "gold_is_ordered", "normalise",
]

Cell = tuple[int, Any]
"""A normalised value: (0, None) NULL, (1, float) number, (2, str) text, (3, None) NaN; with
``equality="python"`` numbers keep their type and (4, (type name, value)) holds any other value."""
Row = tuple[Cell, ...]

MAX_PERMUTATIONS = 20_000
"""Column assignments tried before giving up (only columns with identical values can cause this many)."""
MAX_MATCHING_ROWS = 2_000
"""Above this many rows, tolerance matching of unordered rows relies on sorting alone."""


class CompareOptions(BaseModel):
    """How two results are compared; ``PRESETS`` reproduce the published evaluators."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order: Literal["auto", "ordered", "unordered", "gold-text"] = "auto"
    """``auto``: rows in order only when the gold query has a top-level ORDER BY; ``gold-text``: when the gold's
    text says "order by" anywhere (the official Spider rule, see ``gold_is_ordered``)."""
    duplicates: Literal["bag", "set"] = "bag"
    columns: Literal["permutation", "position", "name", "subset"] = "permutation"
    """``permutation``: a one-to-one column matching that keeps rows aligned, no extra or missing columns;
    ``subset``: the gold's columns among the answer's (extra answer columns allowed)."""
    same_names: bool = False
    """Matched columns must also have the same names (case folded)."""
    align_rows: bool = True
    """False compares each gold column with an answer column on its own (Spider 2.0), not whole rows."""
    rtol: float = 1e-6
    atol: float = 1e-9
    fold_case: bool = False
    fold_whitespace: bool = False
    empty_passes: bool = True
    """Both results empty is a pass, whatever their columns."""
    equality: Literal["normalised", "python"] = "normalised"
    """``normalised``: numbers as floats, dates as ISO text, bytes as hex; ``python``: the values as the driver
    returns them, equal when Python's ``==`` says so (1 == 1.0, but '1' != 1, Decimal('0.1') != 0.1 and a date
    is not its text), as the official Spider and BIRD evaluators compare them; NaN equals NaN (SQLite, their
    engine, returns NULL instead)."""
    strip_distinct: bool = False
    """Run both queries with DISTINCT removed (``official.without_distinct``), as the official Spider evaluator
    does unless told ``keep_distinct``; the evaluation applies it, the comparison itself does not."""
    quick_reject: bool = False
    """Also reject when each row's values, sorted by text and type, disagree (``official.text_sorted_rows_agree``):
    the official Spider evaluator's shortcut, which fails e.g. (1, 1.5) against (1.0, 1.5); skipped when ``ties``
    relax the order, which the official evaluator knows nothing of."""


PRESETS: dict[str, CompareOptions] = {
    "default": CompareOptions(),
    "spider": CompareOptions(order="auto", duplicates="bag", columns="permutation", rtol=0.0, atol=0.0),
    "spider-official": CompareOptions(order="gold-text", duplicates="bag", columns="permutation", rtol=0.0,
                                      atol=0.0, equality="python", strip_distinct=True, quick_reject=True),
    "bird": CompareOptions(order="unordered", duplicates="set", columns="position", rtol=0.0, atol=0.0,
                           equality="python"),
    "spider2": CompareOptions(order="unordered", duplicates="bag", columns="subset", align_rows=False,
                              rtol=0.0, atol=0.01),
    "strict": CompareOptions(order="ordered", duplicates="bag", columns="position", same_names=True, rtol=0.0,
                             atol=0.0),
}
"""What each preset means:

- ``default``: rows as a multiset (in order when the gold has a top-level ORDER BY), columns matched one to
  one in any order, numbers equal within 1e-6 relative, dates as ISO text;
- ``spider``: the Spider test-suite rules as its paper states them (multiset of rows, columns permuted, exact
  numbers), in order only when the gold has a top-level ORDER BY, on normalised values (1 == 1.0 == Decimal 1,
  a date equals its ISO text); not the official code's verdict, see ``spider-official``;
- ``spider-official``: the official Spider test-suite evaluator's ``result_eq``: in order when "order by"
  appears anywhere in the gold's text, DISTINCT removed from both queries, Python ``==`` on the driver's
  values, and its quick rejection; pinned to the official function's verdicts on recorded pairs;
- ``bird``: BIRD's ``set(predicted) == set(gold)``: a set of row tuples, columns by position, order and
  duplicates ignored, Python ``==`` on the driver's values; pinned like ``spider-official``;
- ``spider2``: every gold column found among the answer's columns, each column on its own, order ignored,
  numbers within 0.01;
- ``strict``: the same column names in the same places, the same rows in the same order, exact numbers.

The two official presets judge the values the warehouse's driver returns: on DuckDB or PostgreSQL a DECIMAL
stays a ``Decimal`` (``Decimal('0.1') != 0.1``) and a DATE a ``date``, where SQLite, the engine of their
evaluators, gives floats and text; a verdict there is the official function's on those values, not on a SQLite
copy of the data."""


@dataclass(frozen=True)
class Ties:
    """Where the gold's ORDER BY leaves rows tied, so that their order (and, at a LIMIT, their choice) is free."""

    blocks: list[int]
    """Sizes of the consecutive runs of gold rows tied on every ORDER BY key, in gold order; they add up to the
    gold's row count."""
    cut_pool: list[tuple[Any, ...]] = field(default_factory=list)
    """Rows (in the gold's columns) tied with the gold's last row that its LIMIT cut off."""


@dataclass(frozen=True)
class ResultTable:
    """Column names and rows, as a cursor returns them."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    @classmethod
    def of(cls, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> ResultTable:
        """From any sequences."""
        return cls([str(c) for c in columns], [tuple(r) for r in rows])


@dataclass(frozen=True)
class Comparison:
    """The verdict of one comparison, why, and partial credit."""

    passed: bool
    reason: str
    column_overlap: float
    row_f1: float
    first_difference: dict[str, Any] | None = None
    column_mapping: list[int] | None = field(default=None, compare=False)


def normalise(value: Any, options: CompareOptions) -> Cell:
    """One value as a comparable cell."""
    if value is None:
        return (0, None)
    if options.equality == "python":
        cell = python_cell(value)
        return (2, _folded(cell[1], options)) if cell[0] == 2 else cell
    if isinstance(value, bool | np.bool_):
        return (1, float(value))
    if isinstance(value, int | float | Decimal | np.integer | np.floating):
        number = float(value)
        if math.isnan(number):
            return (3, None)
        return (1, number)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        text = value.isoformat(sep=" ")
        return (2, text[:-7] if text.endswith(".000000") else text)
    if isinstance(value, dt.date | dt.time):
        return (2, value.isoformat())
    if isinstance(value, np.datetime64):
        return normalise(value.astype("datetime64[us]").item(), options)
    if isinstance(value, bytes | bytearray | memoryview):
        return (2, bytes(value).hex())
    return (2, _folded(str(value), options))


def _folded(text: str, options: CompareOptions) -> str:
    if options.fold_whitespace:
        text = " ".join(text.split())
    if options.fold_case:
        text = text.casefold()
    return text


def gold_is_ordered(options: CompareOptions, gold_sql: str, top_level_order_by: bool) -> bool:
    """Whether the answer must give the gold's rows in the gold's order, as ``options.order`` decides.

    ``auto`` follows ``top_level_order_by`` (the caller parses the gold); ``gold-text`` is the official Spider
    rule, ``"order by" in gold_sql.lower()``: an ORDER BY in a subquery or a window counts, so does the phrase in
    a string literal, while ``ORDER  BY`` with two spaces or a line break does not.
    """
    if options.order == "gold-text":
        return "order by" in gold_sql.lower()
    return options.order == "ordered" or (options.order == "auto" and top_level_order_by)


def compare_results(
    gold: ResultTable, answer: ResultTable, options: CompareOptions | None = None, *, gold_ordered: bool = False,
    ties: Ties | None = None,
) -> Comparison:
    """Compare ``answer`` with ``gold`` under ``options``.

    ``gold_ordered`` says the gold's row order is meaningful (``gold_is_ordered`` computes it); ``order="auto"``
    and ``"gold-text"`` follow it. When the comparison is ordered, ``ties`` says which gold rows its ORDER BY
    leaves tied: those may come in any order, and at a LIMIT that cuts through a tie any choice of the tied rows
    passes.
    """
    options = options or CompareOptions()
    ordered = options.order == "ordered" or (options.order in ("auto", "gold-text") and gold_ordered)
    gold_rows = [tuple(normalise(v, options) for v in row) for row in gold.rows]
    answer_rows = [tuple(normalise(v, options) for v in row) for row in answer.rows]
    tied: TieRows | None = None
    if ties is not None:
        from answerkey.analytics.compare_ties import tie_rows

        tied = tie_rows(ties, gold, options)
    tied = tied if ordered else None
    overlap = _column_overlap(gold_rows, answer_rows, len(gold.columns), len(answer.columns), options)
    if not gold_rows and not answer_rows and options.empty_passes:
        return Comparison(True, "both results are empty", 1.0, 1.0)
    candidates = _candidate_mappings(gold, answer, gold_rows, answer_rows, options, ordered, tied)
    if isinstance(candidates, str):
        difference = None
        if len(gold.columns) == len(answer.columns) and options.align_rows:  # say where, by position
            _, difference, _ = _tables_equal(gold, gold_rows, answer_rows, list(range(len(gold.columns))), options,
                                             ordered, tied)
        reason = candidates + (f"; {_difference_text(difference)}" if difference else "")
        return Comparison(False, reason, overlap, _row_f1(gold_rows, answer_rows, None, options), difference)
    rejection = quick_rejection(gold.rows, answer.rows, ordered) if options.quick_reject and tied is None else None
    if rejection is not None:
        return Comparison(False, rejection, overlap, _row_f1(gold_rows, answer_rows, None, options))
    first_difference: dict[str, Any] | None = None
    first_mapping: list[int] | None = None
    for mapping in candidates:
        if options.same_names and any(gold.columns[i].casefold() != answer.columns[j].casefold()
                                      for i, j in enumerate(mapping)):
            first_mapping = first_mapping or list(mapping)
            first_difference = first_difference or {"row": None, "column": None, "gold": gold.columns,
                                                    "answer": answer.columns, "names": True}
            continue
        equal, difference, note = _tables_equal(gold, gold_rows, answer_rows, mapping, options, ordered, tied)
        if equal:
            return Comparison(True, "results match" + note, overlap, 1.0, None, list(mapping))
        if first_mapping is None:
            first_mapping, first_difference = list(mapping), difference
    f1 = _row_f1(gold_rows, answer_rows, first_mapping, options)
    if first_mapping is None:
        return Comparison(False, "no one-to-one column matching keeps the rows aligned", overlap, f1)
    best_difference = first_difference
    reason = _difference_text(best_difference) if best_difference else "results differ"
    return Comparison(False, reason, overlap, f1, best_difference)


def _cells_equal(a: Cell, b: Cell, options: CompareOptions) -> bool:
    if a[0] != b[0]:
        return False
    if a[1] == b[1] or a[0] != 1 or not (options.rtol or options.atol):
        return bool(a[1] == b[1])
    try:
        return math.isclose(a[1], b[1], rel_tol=options.rtol, abs_tol=options.atol)
    except OverflowError:  # an int too large for a float (``equality="python"``)
        return False


def _rows_equal(a: Row, b: Row, options: CompareOptions) -> bool:
    return all(_cells_equal(x, y, options) for x, y in zip(a, b, strict=True))


def _sort_key(row: Row) -> tuple[Any, ...]:
    return tuple((kind, _orderable(value)) for kind, value in row)


def _orderable(value: Any) -> Any:
    """A stand-in for a cell's value that sorts against any other of its kind."""
    if value is None:
        return ""
    if isinstance(value, tuple):  # (type name, value): only dates, times and bytes are sure to compare
        kind, inner = value
        return (kind, inner if isinstance(inner, dt.date | dt.time | dt.timedelta | bytes | str) else repr(inner))
    return value


def _column(rows: list[Row], index: int) -> list[Cell]:
    return [row[index] for row in rows]


def _columns_compatible(gold: list[Cell], answer: list[Cell], options: CompareOptions, ordered: bool) -> bool:
    """Whether two columns could be the same column: equal values (as sequences when ordered, else sorted)."""
    if options.duplicates == "set":
        gold, answer = _dedupe_cells(gold), _dedupe_cells(answer)
    if len(gold) != len(answer):
        return False
    if not ordered:
        gold = sorted(gold, key=lambda c: _sort_key((c,)))
        answer = sorted(answer, key=lambda c: _sort_key((c,)))
    return all(_cells_equal(a, b, options) for a, b in zip(gold, answer, strict=True))


def _dedupe_cells(cells: list[Cell]) -> list[Cell]:
    return list(dict.fromkeys(cells))


def _candidate_mappings(
    gold: ResultTable, answer: ResultTable, gold_rows: list[Row], answer_rows: list[Row], options: CompareOptions,
    ordered: bool, tied: TieRows | None = None,
) -> Any:
    """Answer column index per gold column to try, or the reason no mapping can exist."""
    k, m = len(gold.columns), len(answer.columns)
    if options.columns in ("position", "permutation") and k != m:
        return f"answer has {m} column{'s' * (m != 1)}, gold has {k}"
    if options.columns == "subset" and m < k:
        return f"answer has {m} column{'s' * (m != 1)}, fewer than the gold's {k}"
    if options.columns == "position":
        return iter([list(range(k))])
    if options.columns == "name":
        names = [c.casefold() for c in answer.columns]
        missing = [c for c in gold.columns if c.casefold() not in names]
        if missing or k != m:
            return f"column names differ: gold {gold.columns}, answer {answer.columns}"
        return iter([[names.index(c.casefold()) for c in gold.columns]])

    def compatible(i: int, j: int) -> bool:
        gold_column, answer_column = _column(gold_rows, i), _column(answer_rows, j)
        if tied is not None and options.align_rows:
            from answerkey.analytics.compare_ties import tied_columns_compatible

            return tied_columns_compatible(gold_column, answer_column, _column(tied.pool, i),
                                           tied.blocks[-1] if tied.blocks else 0, options)
        return _columns_compatible(gold_column, answer_column, options, ordered and options.align_rows)

    matches = [[j for j in range(m) if compatible(i, j)] for i in range(k)]
    missing = [gold.columns[i] for i, c in enumerate(matches) if not c]
    if missing:
        return f"no answer column has the values of gold column {missing[0]}"
    if not options.align_rows:
        return iter([[c[0] for c in matches]])
    return islice(_assignments(matches), MAX_PERMUTATIONS)


def _assignments(compatible: list[list[int]]) -> Any:
    """One-to-one assignments of answer columns to gold columns, most constrained gold column first."""
    order = sorted(range(len(compatible)), key=lambda i: len(compatible[i]))
    chosen: dict[int, int] = {}
    used: set[int] = set()

    def walk(depth: int) -> Any:
        if depth == len(order):
            yield [chosen[i] for i in range(len(compatible))]
            return
        gold_index = order[depth]
        for answer_index in compatible[gold_index]:
            if answer_index in used:
                continue
            chosen[gold_index] = answer_index
            used.add(answer_index)
            yield from walk(depth + 1)
            used.discard(answer_index)
        chosen.pop(gold_index, None)

    return walk(0)


def _tables_equal(
    gold: ResultTable, gold_rows: list[Row], answer_rows: list[Row], mapping: list[int], options: CompareOptions,
    ordered: bool, tied: TieRows | None = None,
) -> tuple[bool, dict[str, Any] | None, str]:
    """Whether the answer's rows, in the gold's columns by ``mapping``, are the gold's; else where they differ;
    and a note on how they matched (tied rows moved)."""
    if not options.align_rows:
        return all(j >= 0 for j in mapping), None, ""
    projected = [tuple(row[j] for j in mapping) for row in answer_rows]
    if ordered and tied is not None:
        from answerkey.analytics.compare_ties import tied_tables_equal

        return tied_tables_equal(gold, gold_rows, projected, tied, options)
    expected = gold_rows
    if options.duplicates == "set":
        expected, projected = list(dict.fromkeys(expected)), list(dict.fromkeys(projected))
    if len(expected) != len(projected):
        return False, _row_count_difference(expected, projected), ""
    if ordered:
        for index, (a, b) in enumerate(zip(expected, projected, strict=True)):
            if not _rows_equal(a, b, options):
                return False, _cell_difference(gold, index, a, b, options, ordered=True), ""
        return True, None, ""
    where = _bag_difference(expected, projected, options)
    if where is None:
        return True, None, ""
    index, a, b = where
    return False, _cell_difference(gold, index, a, b, options, ordered=False), ""


def _bag_difference(expected: list[Row], projected: list[Row], options: CompareOptions) -> tuple[int, Row, Row] | None:
    """None when the two lists hold the same rows in any order; else the first differing pair once sorted."""
    expected = sorted(expected, key=_sort_key)
    projected = sorted(projected, key=_sort_key)
    for index, (a, b) in enumerate(zip(expected, projected, strict=True)):
        if not _rows_equal(a, b, options):
            if len(expected) <= MAX_MATCHING_ROWS and _match_rows(expected, projected, options):
                return None
            return index, a, b
    return None


def _row_count_difference(expected: list[Row], projected: list[Row]) -> dict[str, Any]:
    return {"row": None, "column": None, "gold": f"{len(expected)} rows", "answer": f"{len(projected)} rows"}


def _cell_difference(gold: ResultTable, index: int, a: Row, b: Row, options: CompareOptions,
                     ordered: bool) -> dict[str, Any]:
    column = next(c for c, (x, y) in enumerate(zip(a, b, strict=True)) if not _cells_equal(x, y, options))
    return {"row": index + 1, "column": gold.columns[column], "gold": _display(a[column]),
            "answer": _display(b[column]), "ordered": ordered}


def _match_rows(expected: list[Row], projected: list[Row], options: CompareOptions) -> bool:
    """Greedy one-to-one matching within tolerance, for rows that sorting could not line up."""
    remaining = list(projected)
    for row in expected:
        for index, candidate in enumerate(remaining):
            if _rows_equal(row, candidate, options):
                del remaining[index]
                break
        else:
            return False
    return True


def _display(cell: Cell) -> Any:
    """A cell as plain JSON-ready data for a report."""
    kind, value = cell
    if kind == 1:
        if isinstance(value, int):
            return int(value)
        number = float(value)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == 4:
        return str(value[1])
    return {0: "NULL", 3: "NaN"}.get(kind, value)


def _difference_text(difference: dict[str, Any]) -> str:
    if difference.get("names"):
        return f"column names differ: gold {difference['gold']}, answer {difference['answer']}"
    if difference.get("row") is None:
        return f"row counts differ: gold {difference['gold']}, answer {difference['answer']}"
    if "cut" in difference:
        first, last = difference["tied_rows"]
        return (f"row {difference['row']} {difference['answer']!r} is none of the rows tied at the gold's LIMIT "
                f"(gold rows {first}-{last} and the {difference['cut']} it cut)")
    if "tied_rows" in difference:
        first, last = difference["tied_rows"]
        return (f"gold rows {first}-{last} are tied but differ from the answer's: at column "
                f"{difference['column']}, gold {difference['gold']!r}, answer {difference['answer']!r}")
    where = "row" if difference.get("ordered") else "sorted row"
    return (f"first difference at {where} {difference['row']}, column {difference['column']}: gold "
            f"{difference['gold']!r}, answer {difference['answer']!r}")


def _column_overlap(gold_rows: list[Row], answer_rows: list[Row], k: int, m: int, options: CompareOptions) -> float:
    """Share of gold columns whose values (as a bag, order ignored) some answer column has."""
    if k == 0:
        return 1.0
    matched = sum(any(_columns_compatible(_column(gold_rows, i), _column(answer_rows, j), options, False)
                      for j in range(m)) for i in range(k))
    return matched / k


def _rounded(row: Row) -> tuple[Any, ...]:
    return tuple((kind, float(f"{value:.9g}")) if kind == 1 else (kind, value) for kind, value in row)


def _row_f1(gold_rows: list[Row], answer_rows: list[Row], mapping: list[int] | None,
            options: CompareOptions) -> float:
    """F1 of the rows (as bags, numbers to nine significant digits), columns as given or by position."""
    if not gold_rows and not answer_rows:
        return 1.0
    width = min((len(gold_rows[0]) if gold_rows else 0), (len(answer_rows[0]) if answer_rows else 0))
    columns = mapping or list(range(width))
    gold_bag = Counter(_rounded(row[:width]) for row in gold_rows)
    answer_bag = Counter(_rounded(tuple(row[j] for j in columns[:width])) for row in answer_rows)
    if options.duplicates == "set":
        gold_bag, answer_bag = Counter(set(gold_bag)), Counter(set(answer_bag))
    common = sum((gold_bag & answer_bag).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(answer_bag.values()), common / sum(gold_bag.values())
    return 2 * precision * recall / (precision + recall)
