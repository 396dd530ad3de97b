"""Ordered comparison when the gold's ORDER BY leaves rows tied: the order within a tie is free, and so is the
choice of tied rows where the gold's LIMIT cuts through a tie.

``compare.compare_results`` comes here only when it is given ``Ties`` (``answerkey.analytics.ties`` finds them);
this module builds on its cell and row helpers, so ``compare`` imports it where it is needed, not at the top.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from answerkey.analytics.compare import (
    Cell,
    CompareOptions,
    ResultTable,
    Row,
    Ties,
    _bag_difference,
    _cell_difference,
    _columns_compatible,
    _dedupe_cells,
    _display,
    _row_count_difference,
    _rows_equal,
    normalise,
)
from answerkey.errors import ParameterError

__all__ = ["TieRows", "tie_rows", "tied_columns_compatible", "tied_tables_equal"]


@dataclass(frozen=True)
class TieRows:
    """``Ties`` with the cut rows normalised."""

    blocks: list[int]
    pool: list[Row]


def tie_rows(ties: Ties, gold: ResultTable, options: CompareOptions) -> TieRows:
    """Check ``ties`` against the gold (once, at the boundary) and normalise its cut rows."""
    if any(size < 1 for size in ties.blocks) or sum(ties.blocks) != len(gold.rows):
        raise ParameterError.invalid("ties.blocks", f"positive sizes adding up to the gold's {len(gold.rows)} rows",
                                     ties.blocks)
    if ties.cut_pool and not ties.blocks:
        raise ParameterError.invalid("ties.cut_pool", "empty when the gold has no rows", ties.cut_pool)
    if any(len(row) != len(gold.columns) for row in ties.cut_pool):
        raise ParameterError.invalid("ties.cut_pool", f"rows of the gold's {len(gold.columns)} columns",
                                     ties.cut_pool[:3])
    return TieRows(list(ties.blocks), [tuple(normalise(v, options) for v in row) for row in ties.cut_pool])


def tied_columns_compatible(gold: list[Cell], answer: list[Cell], pool: list[Cell], last: int,
                            options: CompareOptions) -> bool:
    """Whether two columns could be the same when tied rows may move and the last ``last`` rows may be any of
    the gold's last rows and the ``pool`` cut from their tie."""
    if not pool:
        return _columns_compatible(gold, answer, options, False)
    if options.duplicates == "set":
        return _sub_bag([(c,) for c in _dedupe_cells(answer)], [(c,) for c in _dedupe_cells(gold + pool)], options)
    kept = len(gold) - last
    return (len(gold) == len(answer) and _columns_compatible(gold[:kept], answer[:kept], options, False)
            and _sub_bag([(c,) for c in answer[kept:]], [(c,) for c in gold[kept:] + pool], options))


def tied_tables_equal(
    gold: ResultTable, gold_rows: list[Row], projected: list[Row], tied: TieRows, options: CompareOptions,
) -> tuple[bool, dict[str, Any] | None, str]:
    """Whether the answer's rows, in the gold's columns, are the gold's when the order is the gold's but for
    its ties; else where they differ; and a note on how they matched (tied rows moved, another choice at the
    LIMIT)."""
    expected, blocks = gold_rows, tied.blocks
    if options.duplicates == "set":
        expected, blocks = _dedupe_blocks(expected, blocks)
        projected = list(dict.fromkeys(projected))
    if len(expected) != len(projected):
        return False, _row_count_difference(expected, projected), ""
    return _blocks_equal(gold, expected, projected, blocks, tied.pool, options)


def _blocks_equal(
    gold: ResultTable, expected: list[Row], projected: list[Row], blocks: list[int], pool: list[Row],
    options: CompareOptions,
) -> tuple[bool, dict[str, Any] | None, str]:
    """Block by block: each run of tied gold rows as a multiset; the last one, when its LIMIT cut through a tie,
    any rows from it and the ``pool``."""
    moved = chosen = False
    start = 0
    for number, size in enumerate(blocks):
        want, got = expected[start:start + size], projected[start:start + size]
        tied_rows = [start + 1, start + size]
        if number == len(blocks) - 1 and pool:
            missing = _first_not_in(got, want + pool, options)
            if missing is not None:
                return False, {"row": start + missing + 1, "column": None, "gold": None,
                               "answer": [_display(cell) for cell in got[missing]], "ordered": True,
                               "tied_rows": tied_rows, "cut": len(pool)}, ""
            chosen = _bag_difference(want, got, options) is not None
            if chosen:
                break  # the last block holds other tied rows, whatever their order
        else:
            where = _bag_difference(want, got, options)
            if where is not None:
                index, a, b = where
                difference = _cell_difference(gold, start + index, a, b, options, ordered=True)
                return False, {**difference, "tied_rows": tied_rows}, ""
        moved = moved or not all(_rows_equal(a, b, options) for a, b in zip(want, got, strict=True))
        start += size
    notes = [text for flag, text in ((moved, "tied rows in another order"),
                                     (chosen, "another choice of the rows tied at the LIMIT")) if flag]
    return True, None, f" ({', '.join(notes)})" if notes else ""


def _dedupe_blocks(rows: list[Row], blocks: list[int]) -> tuple[list[Row], list[int]]:
    """Rows without repeats, and each block's size counting the rows it kept (possibly 0)."""
    seen: set[Row] = set()
    kept: list[Row] = []
    sizes: list[int] = []
    start = 0
    for size in blocks:
        fresh = list(dict.fromkeys(row for row in rows[start:start + size] if row not in seen))
        seen.update(fresh)
        kept.extend(fresh)
        sizes.append(len(fresh))
        start += size
    return (kept, sizes) if blocks else (list(dict.fromkeys(rows)), [])


def _first_not_in(part: list[Row], pool: list[Row], options: CompareOptions) -> int | None:
    """Index of the first row of ``part`` that ``pool`` (each row used once) cannot supply, or None."""
    if Counter(part) <= Counter(pool):
        return None
    remaining = list(pool)
    for index, row in enumerate(part):
        match = next((i for i, candidate in enumerate(remaining) if _rows_equal(row, candidate, options)), None)
        if match is None:
            return index
        del remaining[match]
    return None


def _sub_bag(part: list[Row], pool: list[Row], options: CompareOptions) -> bool:
    return _first_not_in(part, pool, options) is None
