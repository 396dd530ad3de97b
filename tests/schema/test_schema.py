"""The labeling schema: loading errors, lint findings, diffs between versions, label checking."""

from __future__ import annotations

from pathlib import Path

import pytest

from answerkey.errors import SchemaError
from answerkey.schema import (
    LabelingSchema,
    TaskKind,
    canonical_label,
    check_schema,
    diff_schemas,
    dump_schema,
    load_schema,
    parse_schema,
)

BASE = """
name: tickets
version: 1
task: single_label
labels:
  - name: billing
    definition: Money matters.
    examples: ["Why was I charged twice?"]
    edge_cases:
      - text: "Refund my order that never arrived"
        label: shipping
        why: The root cause is delivery.
  - name: shipping
    definition: Delivery of goods.
"""


def schema(text: str = BASE) -> LabelingSchema:
    return parse_schema(text, "schema.yaml")


def checks(s: LabelingSchema) -> dict[str, str]:
    return {f.check: f.severity.value for f in check_schema(s)}


@pytest.mark.parametrize(("text", "message"), [
    ("name: [unclosed", "schema.yaml:1: found invalid YAML"),
    ("version: 1\nlabels: []", "schema.yaml: field name: Field required"),
    ("name: x\nversion: 0", "schema.yaml: field version"),
    ("name: x\nversion: 1\ncolour: red", "schema.yaml: field colour: Extra inputs are not permitted"),
    ("- a\n- b", "expected a mapping"),
])
def test_a_broken_schema_file_names_the_file_and_the_field(text: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        parse_schema(text, "schema.yaml")


def test_a_missing_or_undecodable_schema_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="schema file not found"):
        load_schema(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(SchemaError, match="not UTF-8"):
        load_schema(tmp_path / "bad.yaml")


def test_a_clean_schema_has_no_findings() -> None:
    assert check_schema(schema()) == []


def test_a_label_without_a_definition_is_a_warning() -> None:
    assert checks(schema(BASE + "  - name: other\n")) == {"schema.definition": "warning"}


@pytest.mark.parametrize("name", ["Billing", "billing ", "BILL-ING"])
def test_the_same_name_spelled_differently_is_a_duplicate_error(name: str) -> None:
    assert checks(schema(BASE + f"  - name: '{name}'\n    definition: d\n"))["schema.duplicate_label"] == "error"


def test_a_near_duplicate_name_is_a_warning_with_its_similarity() -> None:
    s = schema(BASE + "  - name: cancellation\n    definition: d\n  - name: cancelation\n    definition: e\n")
    finding = next(f for f in check_schema(s) if f.check == "schema.near_duplicate_label")
    assert finding.severity.value == "warning"
    assert finding.score is not None
    assert finding.score > 0.9


def test_an_ordinal_schema_needs_an_order_listing_every_label_once() -> None:
    ordinal = ("name: q\nversion: 1\ntask: ordinal\nlabels:\n  - {name: low, definition: a}\n"
               "  - {name: high, definition: b}\n")
    assert checks(schema(ordinal)) == {"schema.order": "error"}
    assert checks(schema(ordinal + "order: [low]\n")) == {"schema.order": "error"}
    assert checks(schema(ordinal + "order: [low, high]\n")) == {}
    assert schema(ordinal + "order: [high, low]\n").label_names == ["high", "low"]


def test_an_example_naming_an_unknown_label_is_an_error_with_a_hint() -> None:
    s = schema(BASE + "examples:\n  - text: t\n    label: biling\n")
    finding = next(f for f in check_schema(s) if f.check == "schema.example_label")
    assert "unknown label 'biling' (did you mean 'billing'?)" in finding.what
    assert finding.where == "examples[0]"


def test_a_multi_label_name_may_not_contain_the_separator() -> None:
    text = "name: m\nversion: 1\ntask: multi_label\nlabels:\n  - {name: 'a|b', definition: x}\n"
    assert checks(schema(text))["schema.label_name"] == "error"


def test_a_numeric_schema_without_a_range_is_a_warning() -> None:
    assert checks(schema("name: n\nversion: 1\ntask: numeric\n")) == {"schema.range": "warning"}


def two(labels_v2: str) -> tuple[LabelingSchema, LabelingSchema]:
    old = schema("name: t\nversion: 1\nlabels:\n  - {name: billing, definition: money}\n"
                 "  - {name: tech, definition: broken}\n  - {name: misc, definition: other}\n")
    return old, schema(f"name: t\nversion: 2\nlabels:\n{labels_v2}")


def test_diff_finds_added_removed_renamed_and_redefined_labels() -> None:
    old, new = two("  - {name: billing, definition: money and invoices}\n"
                   "  - {name: technical, definition: broken, replaces: tech}\n  - {name: praise, definition: nice}\n")
    diff = diff_schemas(old, new)
    assert diff.added == ["praise"]
    assert diff.removed == ["misc"]
    assert diff.renamed == {"tech": "technical"}
    assert diff.redefined == ["billing"]


def test_diff_finds_splits_and_merges() -> None:
    old, new = two("  - {name: refund, definition: a, replaces: [billing]}\n"
                   "  - {name: invoice, definition: b, replaces: [billing]}\n"
                   "  - {name: rest, definition: c, replaces: [tech, misc]}\n")
    diff = diff_schemas(old, new)
    assert diff.split == {"billing": ["invoice", "refund"]}
    assert diff.merged == {"rest": ["misc", "tech"]}
    assert diff.added == []
    assert diff.removed == []


def test_an_unchanged_schema_diffs_empty() -> None:
    assert diff_schemas(schema(), schema(BASE.replace("version: 1", "version: 2"))).is_empty


def test_the_content_hash_ignores_yaml_layout_but_not_content() -> None:
    assert schema().content_hash == parse_schema(dump_schema(schema())).content_hash
    assert schema().content_hash != schema(BASE.replace("Money matters.", "Money.")).content_hash


@pytest.mark.parametrize(("task", "extra", "raw", "expected"), [
    (TaskKind.SINGLE_LABEL, "", " billing ", "billing"),
    (TaskKind.SINGLE_LABEL, "", "Billing", None),
    (TaskKind.MULTI_LABEL, "", "shipping|billing|billing", "billing|shipping"),
    (TaskKind.MULTI_LABEL, "", "billing|nope", None),
    (TaskKind.NUMERIC, "range: {min: 1, max: 5}\n", "3.0", "3"),
    (TaskKind.NUMERIC, "range: {min: 1, max: 5}\n", "2.5", "2.5"),
    (TaskKind.NUMERIC, "range: {min: 1, max: 5}\n", "6", None),
    (TaskKind.NUMERIC, "", "nan", None),
    (TaskKind.NUMERIC, "", "inf", None),
])
def test_labels_are_checked_and_canonicalised_by_task_kind(
    task: TaskKind, extra: str, raw: str, expected: str | None
) -> None:
    s = schema(BASE.replace("task: single_label", f"task: {task.value}") + extra)
    assert canonical_label(s, raw) == expected
