"""Checking one judgement's label text against a schema version, and its canonical form, per task kind."""

from __future__ import annotations

import pytest

from answerkey.schema import (
    LabelDefinition,
    LabelingSchema,
    NumericRange,
    TaskKind,
    canonical_label,
    expected_labels,
    label_checker,
)


def schema(task: TaskKind, labels: tuple[str, ...] = ("a", "b", "c"), **extra: object) -> LabelingSchema:
    return LabelingSchema(name="t", version=3, task=task, labels=[LabelDefinition(name=n) for n in labels],
                          **extra)  # type: ignore[arg-type]


SINGLE = schema(TaskKind.SINGLE_LABEL, ("billing", "shipping", "Billing Refund"))
MULTI = schema(TaskKind.MULTI_LABEL)
ORDINAL = schema(TaskKind.ORDINAL, ("low", "mid", "high"), order=["low", "mid", "high"])
NUMERIC = schema(TaskKind.NUMERIC, (), range=NumericRange(min=1, max=5))
UNBOUNDED = schema(TaskKind.NUMERIC, ())


@pytest.mark.parametrize(("raw", "expected"), [
    ("billing", "billing"),
    ("  billing\t", "billing"),
    ("Billing Refund", "Billing Refund"),
    ("Billing", None),
    ("billing|shipping", None),
    ("", None),
    ("   ", None),
    ("refund", None),
])
def test_a_single_label_is_one_of_the_schema_labels_exactly(raw: str, expected: str | None) -> None:
    assert canonical_label(SINGLE, raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("a", "a"),
    ("b|a", "a|b"),
    ("c|a|b", "a|b|c"),
    ("b|a|b", "a|b"),
    (" b | a ", "a|b"),
    ("a|d", None),
    ("A|b", None),
    ("", None),
    ("|", None),
])
def test_a_multi_label_judgement_is_sorted_and_deduplicated(raw: str, expected: str | None) -> None:
    assert canonical_label(MULTI, raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("low", "low"), (" high ", "high"), ("medium", None), ("1", None), ("low|mid", None),
])
def test_an_ordinal_label_is_one_of_the_ordered_grades(raw: str, expected: str | None) -> None:
    assert canonical_label(ORDINAL, raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("3", "3"),
    ("3.0", "3"),
    (" 3.00 ", "3"),
    ("+3", "3"),
    ("2.5", "2.5"),
    ("2.50", "2.5"),
    ("1", "1"),
    ("5", "5"),
    ("5e0", "5"),
    ("0.5", None),
    ("5.000001", None),
    ("6", None),
    ("three", None),
    ("", None),
    ("nan", None),
    ("NaN", None),
    ("inf", None),
    ("-inf", None),
])
def test_a_numeric_label_is_a_finite_number_in_range_in_its_shortest_form(raw: str, expected: str | None) -> None:
    assert canonical_label(NUMERIC, raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("-7", "-7"), ("1e3", "1000"), ("0.1", "0.1"), ("-0.0", "0"), ("123.456", "123.456"),
    ("nan", None), ("inf", None), ("-infinity", None), ("1e400", None),
])
def test_a_numeric_label_without_a_range_is_any_finite_number(raw: str, expected: str | None) -> None:
    assert canonical_label(UNBOUNDED, raw) == expected


@pytest.mark.parametrize("raw", ["3", "3.0", "0.1", "2.5e-3", "-12.75", "1e15", "7.000000000000001"])
def test_a_canonical_number_means_the_same_number_and_is_its_own_canonical_form(raw: str) -> None:
    canonical = canonical_label(UNBOUNDED, raw)
    assert canonical is not None
    assert float(canonical) == float(raw)
    assert canonical_label(UNBOUNDED, canonical) == canonical


@pytest.mark.parametrize(("s", "raw"), [(SINGLE, "billing"), (MULTI, "b|a"), (ORDINAL, "mid"), (NUMERIC, "4.0")])
def test_a_canonical_label_is_its_own_canonical_form(s: LabelingSchema, raw: str) -> None:
    canonical = canonical_label(s, raw)
    assert canonical is not None
    assert canonical_label(s, canonical) == canonical


@pytest.mark.parametrize("s", [SINGLE, MULTI, ORDINAL, NUMERIC])
def test_the_label_checker_agrees_with_canonical_label_and_repeats_itself(s: LabelingSchema) -> None:
    check = label_checker(s)
    raws = ["billing", "Billing", "b|a", "a|b|b", "mid", "medium", "3.0", "9", "nan", "", "b|a", "3.0"]
    assert [check(raw) for raw in raws] == [canonical_label(s, raw) for raw in raws]
    assert [check(raw) for raw in raws] == [canonical_label(s, raw) for raw in raws]


def test_a_label_checker_is_bound_to_its_own_schema() -> None:
    first, second = label_checker(SINGLE), label_checker(MULTI)
    assert first("billing") == "billing"
    assert second("billing") is None
    assert first("a") is None
    assert second("a") == "a"


@pytest.mark.parametrize(("s", "fragment"), [
    (SINGLE, "a label of schema v3 (billing, shipping, Billing Refund)"),
    (MULTI, "labels of schema v3 joined by '|' (a, b, c)"),
    (ORDINAL, "a label of schema v3 (low, mid, high)"),
    (NUMERIC, "a number in [1, 5]"),
    (UNBOUNDED, "a number"),
])
def test_the_expected_label_text_says_what_a_valid_label_looks_like(s: LabelingSchema, fragment: str) -> None:
    assert expected_labels(s) == fragment
