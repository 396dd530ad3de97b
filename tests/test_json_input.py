"""Reading JSON with bounded nesting: deep documents are refused as JsonNestingError, never a RecursionError."""

from __future__ import annotations

import json

import pytest

from answerkey.errors import AnswerkeyError
from answerkey.json_input import MAX_JSON_DEPTH, JsonNestingError, load_json


@pytest.mark.parametrize("text", [
    pytest.param("[" * 200_000 + "]" * 200_000, id="200000-arrays"),
    pytest.param('{"a":' * 5_000 + "1" + "}" * 5_000, id="5000-objects"),
    pytest.param("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), id="one-over-the-limit"),
])
def test_json_nested_deeper_than_the_limit_is_refused(text: str) -> None:
    with pytest.raises(JsonNestingError, match=f"nested more than {MAX_JSON_DEPTH} deep"):
        load_json(text)
    with pytest.raises(JsonNestingError):
        load_json(text.encode())


def test_json_nested_up_to_the_limit_is_read() -> None:
    text = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert load_json(text) == json.loads(text)


def test_many_shallow_values_are_read_whatever_their_number() -> None:
    text = json.dumps([{"data": {"text": "t", "tags": [1, 2]}} for _ in range(10_000)])
    assert load_json(text) == json.loads(text)


def test_invalid_json_raises_the_usual_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        load_json("[1, 2")


def test_a_nesting_error_is_an_answerkey_error_and_a_value_error() -> None:
    assert issubclass(JsonNestingError, AnswerkeyError)
    assert issubclass(JsonNestingError, ValueError)
