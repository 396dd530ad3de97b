"""What the official Spider evaluator does besides comparing rows: its DISTINCT rewrite and its quick rejection.

The test-suite evaluator (taoyds/test-suite-sql-eval, ``exec_eval.py``) removes every DISTINCT token from both
queries before running them (unless ``keep_distinct``), and rejects a pair of results at once when each row's
values, sorted by their text and type, disagree. Both are reproduced here so that the ``spider-official`` preset
gives the official verdict; ``tests/data/official_result_pairs.json`` pins them to the official functions' output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlglot import Token, TokenType
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

__all__ = ["text_sorted_rows_agree", "without_distinct"]


def without_distinct(sql: str, dialect: str | None = None) -> str:
    """``sql`` with every DISTINCT keyword cut out, the rest of the text untouched, as the official evaluator's
    ``remove_distinct`` does on its tokens (``SELECT DISTINCT a`` becomes ``SELECT  a``, ``COUNT(DISTINCT a)``
    becomes ``COUNT( a)``).

    Two forms keep their DISTINCT, where the official rewrite leaves SQL that cannot run: ``IS [NOT] DISTINCT
    FROM`` and ``DISTINCT ON (...)``. Text sqlglot cannot tokenize (an unterminated string) is returned as it is.
    """
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    except SqlglotError:
        return sql
    cuts = [token for index, token in enumerate(tokens) if _removable(tokens, index)]
    pieces, start = [], 0
    for token in cuts:
        pieces.append(sql[start:token.start])
        start = token.end + 1
    pieces.append(sql[start:])
    return "".join(pieces)


def _removable(tokens: Sequence[Token], index: int) -> bool:
    """Whether token ``index`` is a DISTINCT quantifier (not part of IS DISTINCT FROM or DISTINCT ON)."""
    if tokens[index].token_type != TokenType.DISTINCT:
        return False
    before = tokens[index - 1].token_type if index > 0 else None
    after = tokens[index + 1].token_type if index + 1 < len(tokens) else None
    return not (before in (TokenType.IS, TokenType.NOT) and after == TokenType.FROM) and after != TokenType.ON


def text_sorted_rows_agree(gold: Sequence[Sequence[Any]], answer: Sequence[Sequence[Any]], ordered: bool) -> bool:
    """The official evaluator's quick rejection: each row's values sorted by their text and type name must agree
    with Python ``==``, row for row when ``ordered``, else as sets of rows.

    It is a shortcut that can only reject, but it rejects some results the full comparison would accept: equal
    numbers of different types sort apart, so ``(1.0, 1.5)`` and ``(1, 1.5)`` disagree here. Values that cannot be
    hashed are compared as their ``repr`` in the unordered case (the official code would fail on them).
    """
    left = [_text_sorted(row) for row in gold]
    right = [_text_sorted(row) for row in answer]
    if ordered:
        return left == right
    try:
        return set(left) == set(right)
    except TypeError:
        return {repr(row) for row in left} == {repr(row) for row in right}


def _text_sorted(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(sorted(row, key=lambda value: str(value) + str(type(value))))
