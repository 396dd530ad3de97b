"""Quoting input in error messages: short, whatever the size or shape of the input."""

from __future__ import annotations

import time

from answerkey.excerpt import EXCERPT_CHARS, clip, excerpt


def test_a_huge_string_is_quoted_in_at_most_the_excerpt_length() -> None:
    text = excerpt("x" * 50_000_000)
    assert len(text) <= EXCERPT_CHARS
    assert text.startswith("'xxx")
    assert "..." in text


def test_a_huge_shared_structure_is_quoted_without_expanding_it() -> None:
    value: list[object] = ["lol"] * 9
    for _ in range(12):  # 9**13 leaves: never walked
        value = [value] * 9
    started = time.perf_counter()
    text = excerpt({"labels": value})
    assert time.perf_counter() - started < 0.1
    assert len(text) <= EXCERPT_CHARS


def test_a_short_value_is_quoted_as_repr_quotes_it() -> None:
    assert excerpt("T\x009") == repr("T\x009")
    assert excerpt(1.5) == "1.5"


def test_an_int_too_long_to_print_is_quoted_short_without_an_error() -> None:
    assert len(excerpt(10 ** 5000)) <= EXCERPT_CHARS


def test_clip_cuts_plain_text_without_quoting_it() -> None:
    assert clip("abc") == "abc"
    assert clip("a" * 200) == "a" * (EXCERPT_CHARS - 3) + "..."
