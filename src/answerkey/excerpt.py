"""A short quotation of input for an error message, whatever the size of the input.

Messages quote what they found; a hostile file can make that a string of megabytes or a structure of millions
of nodes, so a quotation is built by ``reprlib`` (which never renders more than it shows) and cut to a length.
"""

from __future__ import annotations

import reprlib

__all__ = ["EXCERPT_CHARS", "clip", "excerpt", "first_line"]

EXCERPT_CHARS = 80
"""The longest quotation of input an error message carries."""

_REPR = reprlib.Repr()
_REPR.maxstring = EXCERPT_CHARS
_REPR.maxother = EXCERPT_CHARS
_REPR.maxlong = 40
_REPR.maxlevel = 3
_REPR.maxdict = _REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxfrozenset = 6


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """``repr(value)`` cut to at most ``limit`` characters (ending in ``...`` when cut), computed in bounded time.

    >>> excerpt("x" * 1_000_000, 12)
    "'xxxxxxxx..."
    >>> excerpt([1, 2])
    '[1, 2]'
    """
    try:
        text = _REPR.repr(value)
    except Exception:  # a value whose repr fails (an int too long to print): name its type instead
        text = f"<{type(value).__name__}>"
    return clip(text, limit)


def clip(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` itself (no quotes) cut to at most ``limit`` characters, ending in ``...`` when cut.

    >>> clip("abcdef", 5)
    'ab...'
    """
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def first_line(error: object, limit: int = 300) -> str:
    """The first line of an error's message, cut to ``limit`` characters; its type's name when it has none.

    >>> first_line(ValueError("bad\\nmore")), first_line(KeyError())
    ('bad', 'KeyError')
    """
    text = str(error).strip()
    return clip(text.splitlines()[0], limit) if text else type(error).__name__
