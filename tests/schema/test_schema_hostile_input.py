"""Hostile schema files: an alias bomb, deep nesting, a huge file or a huge value are refused at once, in one
short line naming the file (and the line, where there is one)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from answerkey.errors import SchemaError
from answerkey.schema import load_schema, parse_schema
from answerkey.yaml_input import MAX_YAML_BYTES


def bomb_schema() -> str:
    """A schema whose labels are a billion-laughs alias bomb (18 s, 2 GB and a 312 MB message before)."""
    lines = ['a0: &a0 [{name: lol}, {name: lol}, {name: lol}, {name: lol}, {name: lol}]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]
    return "\n".join([*lines, "name: t", "version: 1", "labels: *a8"]) + "\n"


def test_a_schema_alias_bomb_is_refused_at_once_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(bomb_schema(), encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(SchemaError) as caught:
        load_schema(path)
    assert time.perf_counter() - started < 1
    message = str(caught.value)
    assert message.startswith(f"{path}:2: found an alias (*a0)")
    assert "aliases * are not accepted" in message
    assert "\n" not in message
    assert len(message) < 400


def test_a_schema_nested_too_deep_is_a_schema_error_not_a_recursion_error() -> None:
    with pytest.raises(SchemaError, match=r"^s\.yaml:1: found .*nest"):
        parse_schema("labels: " + "[" * 100_000 + "]" * 100_000, "s.yaml")


def test_a_schema_file_over_the_size_limit_is_refused_without_parsing_it(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text("# padding\n" * (MAX_YAML_BYTES // 10 + 1), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"schema\.yaml: found a file of .* bytes, expected a YAML file of at most"):
        load_schema(path)


@pytest.mark.parametrize("text", [
    pytest.param("name: t\nversion: 1\nlabels: " + "x" * 5_000_000 + "\n", id="huge-value-in-a-field"),
    pytest.param("- " + "y" * 5_000_000 + "\n", id="huge-non-mapping"),
    pytest.param("name: t\nversion: [" + ", ".join(["1"] * 20_000) + "]\n", id="huge-list-in-a-field"),
])
def test_a_schema_error_quotes_only_a_short_excerpt_of_what_it_found(text: str) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_schema(text, "s.yaml")
    message = str(caught.value)
    assert message.startswith("s.yaml: ")
    assert "\n" not in message
    assert len(message) < 400
