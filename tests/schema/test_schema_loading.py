"""Loading schema files: every error is a SchemaError that names the file and, where there is one, the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from answerkey.errors import AnswerkeyError, SchemaError
from answerkey.schema import LabelingSchema, TaskKind, dump_schema, load_schema, parse_schema

GOOD = """\
name: tickets
version: 2
task: single_label
labels:
  - name: billing
    definition: Money matters.
  - name: shipping
    definition: Delivery of goods.
"""


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("name: [unclosed\nversion: 1\n", r"^tickets\.yaml:2: found invalid YAML", id="bad-yaml"),
    pytest.param("version: 1\nlabels: []\n", r"^tickets\.yaml: field name: Field required", id="missing-name"),
    pytest.param("name: t\nversion: 0\n", r"^tickets\.yaml: field version: .*greater than or equal to 1.*found 0",
                 id="version-zero"),
    pytest.param("name: t\nversion: -3\n", r"^tickets\.yaml: field version: .*found -3", id="version-negative"),
    pytest.param("name: t\nversion: one\n", r"^tickets\.yaml: field version: .*found 'one'", id="version-text"),
    pytest.param("name: t\nversion: 1\ncolour: red\n",
                 r"^tickets\.yaml: field colour: Extra inputs are not permitted \(found 'red'\)", id="unknown-key"),
    pytest.param("name: t\nversion: 1\ntask: ranking\n", r"^tickets\.yaml: field task: .*found 'ranking'",
                 id="unknown-task"),
    pytest.param("name: t\nversion: 1\nlabels:\n  - definition: no name\n",
                 r"^tickets\.yaml: field labels\.0\.name: Field required", id="label-without-name"),
    pytest.param("name: t\nversion: 1\nlabels:\n  - name: a\n    colour: red\n",
                 r"^tickets\.yaml: field labels\.0\.colour: Extra inputs", id="unknown-label-key"),
    pytest.param("- a\n- b\n", r"^tickets\.yaml: expected a mapping", id="a-list"),
    pytest.param("", r"^tickets\.yaml: expected a mapping", id="empty"),
])
def test_a_broken_schema_names_the_file_and_the_field(text: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        parse_schema(text, "tickets.yaml")


def test_a_schema_error_is_also_a_value_error_and_an_answerkey_error() -> None:
    with pytest.raises(ValueError, match="field name") as caught:
        parse_schema("version: 1\n", "s.yaml")
    assert isinstance(caught.value, AnswerkeyError)


def test_an_error_message_is_one_line_without_a_pydantic_url() -> None:
    with pytest.raises(SchemaError) as caught:
        parse_schema("name: t\nversion: 0\n", "s.yaml")
    assert "\n" not in str(caught.value)
    assert "errors.pydantic.dev" not in str(caught.value)


def test_a_missing_schema_file_is_named_and_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(SchemaError, match="schema file not found") as caught:
        load_schema(path)
    assert str(path) in str(caught.value)
    assert "answerkey init" in str(caught.value)


def test_a_schema_file_that_is_not_utf8_is_named_with_the_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\nversion: 1\n")
    with pytest.raises(SchemaError, match=r"not UTF-8 text .* at byte 9") as caught:
        load_schema(path)
    assert str(path) in str(caught.value)


def test_a_field_error_in_a_file_names_the_file_path(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text("name: t\nversion: 0\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"schema\.yaml: field version"):
        load_schema(path)


def test_a_directory_where_the_schema_file_should_be_is_a_schema_error(tmp_path: Path) -> None:
    folder = tmp_path / "schema.yaml"
    folder.mkdir()
    with pytest.raises(SchemaError, match=r"schema\.yaml"):
        load_schema(folder)


def test_a_good_schema_file_loads_with_its_fields(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(GOOD, encoding="utf-8")
    schema = load_schema(path)
    assert isinstance(schema, LabelingSchema)
    assert (schema.name, schema.version, schema.task) == ("tickets", 2, TaskKind.SINGLE_LABEL)
    assert schema.label_names == ["billing", "shipping"]
    assert schema.label("billing") is not None
    assert schema.label("nope") is None


def test_the_task_defaults_to_single_label_and_replaces_accepts_one_name_or_a_list() -> None:
    schema = parse_schema("name: t\nversion: 1\nlabels:\n  - {name: a, replaces: old}\n"
                          "  - {name: b, replaces: [x, y]}\n")
    assert schema.task is TaskKind.SINGLE_LABEL
    assert [label.replaces for label in schema.labels] == [["old"], ["x", "y"]]


def test_a_schema_is_frozen() -> None:
    schema = parse_schema(GOOD)
    with pytest.raises(ValueError, match="frozen"):
        schema.version = 3  # type: ignore[misc]


def test_dumping_and_parsing_a_schema_gives_the_same_schema() -> None:
    schema = parse_schema(GOOD + "examples:\n  - {text: 'Charged twice', label: billing}\n")
    assert parse_schema(dump_schema(schema)) == schema
