"""Reading JSON that others hand us (JSONL rows, Label Studio exports, golden sets, dbt manifests), nesting bounded.

``json.loads`` recurses once per level of nesting: 200,000 ``[`` in a row end in a ``RecursionError``, and a
document just under the interpreter's limit breaks whatever walks it next (payloads are converted and stored
recursively). :func:`load_json` refuses anything nested deeper than :data:`MAX_JSON_DEPTH` with
:class:`JsonNestingError`, which callers turn into an error naming the file and row.
"""

from __future__ import annotations

import json
from typing import Any

from answerkey.errors import AnswerkeyError

__all__ = ["MAX_JSON_DEPTH", "NESTING_EXPECTED", "JsonNestingError", "load_json"]

MAX_JSON_DEPTH = 100
"""The deepest nesting of arrays and objects accepted (a Label Studio task nests five or six levels)."""
NESTING_EXPECTED = f"at most {MAX_JSON_DEPTH} levels of nested arrays and objects"


class JsonNestingError(AnswerkeyError, ValueError):
    """JSON nested deeper than :data:`MAX_JSON_DEPTH`; the caller names the file and row."""

    def __init__(self) -> None:
        super().__init__(f"arrays or objects nested more than {MAX_JSON_DEPTH} deep")


def load_json(text: str | bytes) -> Any:
    """``json.loads(text)``, raising :class:`JsonNestingError` for nesting deeper than :data:`MAX_JSON_DEPTH`.

    Invalid JSON raises ``json.JSONDecodeError`` as ``json.loads`` does.

    >>> load_json('{"a": [1, 2]}')
    {'a': [1, 2]}
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonNestingError() from None
    openers = text.count("[") + text.count("{") if isinstance(text, str) else text.count(b"[") + text.count(b"{")
    if openers > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):  # only then can it be that deep
        raise JsonNestingError()
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """True when arrays and objects nest more than ``limit`` deep in ``value``, walked level by level (no
    recursion; ``json.loads`` makes only plain dicts and lists, hence the exact type tests)."""
    level = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for node in level:
            below.extend([child for child in (node.values() if type(node) is dict else node)
                          if type(child) is dict or type(child) is list])
        level = below
    return False
