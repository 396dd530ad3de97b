"""``check_schema``: what a labeling lead should fix before anyone labels, each as a Finding."""

from __future__ import annotations

import pytest

from answerkey.findings import Finding, Severity
from answerkey.schema import (
    EdgeCase,
    Example,
    LabelDefinition,
    LabelingSchema,
    NumericRange,
    TaskKind,
    check_schema,
)


def label(name: str, definition: str | None = "A definition.", **extra: object) -> LabelDefinition:
    return LabelDefinition(name=name, definition=definition, **extra)  # type: ignore[arg-type]


def schema(*labels: LabelDefinition, task: TaskKind = TaskKind.SINGLE_LABEL, **extra: object) -> LabelingSchema:
    return LabelingSchema(name="tickets", version=1, task=task, labels=list(labels), **extra)  # type: ignore[arg-type]


CLEAN = (label("billing"), label("shipping"), label("account"))


def only(findings: list[Finding], check: str) -> list[Finding]:
    return [finding for finding in findings if finding.check == check]


@pytest.mark.parametrize("s", [
    pytest.param(schema(*CLEAN), id="single-label"),
    pytest.param(schema(*CLEAN, task=TaskKind.MULTI_LABEL), id="multi-label"),
    pytest.param(schema(label("low"), label("mid"), label("high"), task=TaskKind.ORDINAL,
                        order=["low", "mid", "high"]), id="ordinal"),
    pytest.param(schema(task=TaskKind.NUMERIC, range=NumericRange(min=1, max=5)), id="numeric"),
    pytest.param(schema(
        label("billing", edge_cases=[EdgeCase(text="refund", label="billing", why="money")]), label("shipping"),
        examples=[Example(text="charged twice", label="billing")]), id="with-examples"),
])
def test_a_clean_schema_has_no_findings(s: LabelingSchema) -> None:
    assert check_schema(s) == []


@pytest.mark.parametrize("definition", [None, "", "   \n"])
def test_a_label_without_a_definition_is_a_warning_naming_the_label(definition: str | None) -> None:
    findings = check_schema(schema(label("billing"), label("shipping", definition)))
    assert len(findings) == 1
    finding = findings[0]
    assert finding.check == "schema.definition"
    assert finding.severity is Severity.WARNING
    assert finding.where == "labels.shipping"
    assert "'shipping'" in finding.what


@pytest.mark.parametrize(("first", "second"), [
    ("billing", "billing"),
    ("Billing", "billing "),
    ("billing", "BILLING"),
    ("billing-refund", "Billing Refund"),
    ("billing_refund", "billing.refund"),
])
def test_the_same_name_spelled_differently_is_a_duplicate_error(first: str, second: str) -> None:
    findings = check_schema(schema(label(first), label("shipping"), label(second)))
    duplicates = only(findings, "schema.duplicate_label")
    assert len(duplicates) == 1
    assert duplicates[0].severity is Severity.ERROR
    assert duplicates[0].evidence["labels"] == [first, second]
    assert duplicates[0].where == "labels[2]"
    assert only(findings, "schema.near_duplicate_label") == []  # reported once, as the stronger finding


def test_a_near_duplicate_name_is_a_warning_with_its_similarity() -> None:
    findings = check_schema(schema(label("cancellation"), label("billing"), label("cancelation")))
    assert [f.check for f in findings] == ["schema.near_duplicate_label"]
    finding = findings[0]
    assert finding.severity is Severity.WARNING
    assert finding.evidence["labels"] == ["cancellation", "cancelation"]
    assert finding.score is not None
    assert 0.85 <= finding.score < 1
    assert finding.evidence["similarity"] == finding.score


@pytest.mark.parametrize(("first", "second"), [("billing", "shipping"), ("positive", "negative"), ("low", "high")])
def test_distinct_names_are_not_near_duplicates(first: str, second: str) -> None:
    assert check_schema(schema(label(first), label(second))) == []


def test_an_ordinal_schema_without_an_order_is_an_error() -> None:
    findings = check_schema(schema(label("low"), label("high"), task=TaskKind.ORDINAL))
    assert [(f.check, f.severity, f.where) for f in findings] == [("schema.order", Severity.ERROR, "order")]
    assert "order" in findings[0].what


@pytest.mark.parametrize(("order", "not_labels", "not_ordered"), [
    pytest.param(["low", "mid"], [], ["high"], id="a-label-missing"),
    pytest.param(["low", "mid", "high", "extreme"], ["extreme"], [], id="an-unknown-name"),
    pytest.param(["low", "mid", "mid", "high"], [], [], id="a-label-twice"),
    pytest.param(["low", "medium", "high"], ["medium"], ["mid"], id="a-misspelt-label"),
])
def test_an_ordinal_order_that_does_not_list_every_label_exactly_once_is_an_error(
    order: list[str], not_labels: list[str], not_ordered: list[str]
) -> None:
    s = schema(label("low"), label("mid"), label("high"), task=TaskKind.ORDINAL, order=order)
    findings = only(check_schema(s), "schema.order")
    assert len(findings) == 1
    assert findings[0].severity is Severity.ERROR
    assert sorted(findings[0].evidence["not_labels"]) == not_labels
    assert sorted(findings[0].evidence["not_ordered"]) == not_ordered


def test_an_ordinal_schema_lists_its_labels_in_the_declared_order() -> None:
    s = schema(label("high"), label("low"), label("mid"), task=TaskKind.ORDINAL, order=["low", "mid", "high"])
    assert check_schema(s) == []
    assert s.label_names == ["low", "mid", "high"]


def test_an_order_on_a_nominal_schema_is_only_information() -> None:
    findings = check_schema(schema(*CLEAN, order=["billing", "shipping", "account"]))
    assert [(f.check, f.severity) for f in findings] == [("schema.order", Severity.INFO)]


def test_a_numeric_schema_without_a_range_is_a_warning() -> None:
    findings = check_schema(schema(task=TaskKind.NUMERIC))
    assert [(f.check, f.severity, f.where) for f in findings] == [("schema.range", Severity.WARNING, "range")]


def test_a_numeric_range_with_min_above_max_is_an_error() -> None:
    findings = check_schema(schema(task=TaskKind.NUMERIC, range=NumericRange(min=5, max=1)))
    assert [(f.check, f.severity) for f in findings] == [("schema.range", Severity.ERROR)]


@pytest.mark.parametrize("bounds", [{"min": 0}, {"max": 10}, {"min": 3, "max": 3}])
def test_a_half_open_or_single_point_range_is_fine(bounds: dict[str, float]) -> None:
    assert check_schema(schema(task=TaskKind.NUMERIC, range=NumericRange(**bounds))) == []


@pytest.mark.parametrize("task", [TaskKind.SINGLE_LABEL, TaskKind.MULTI_LABEL])
def test_a_schema_without_labels_is_an_error(task: TaskKind) -> None:
    findings = check_schema(schema(task=task))
    assert [(f.check, f.severity) for f in findings] == [("schema.labels", Severity.ERROR)]


def test_an_example_naming_an_unknown_label_is_an_error_with_a_did_you_mean_hint() -> None:
    s = schema(*CLEAN, examples=[Example(text="charged twice", label="biling")])
    findings = check_schema(s)
    assert len(findings) == 1
    finding = findings[0]
    assert (finding.check, finding.severity, finding.where) == ("schema.example_label", Severity.ERROR, "examples[0]")
    assert "unknown label 'biling'" in finding.what
    assert "did you mean 'billing'?" in finding.what
    assert finding.evidence == {"label": "biling"}


def test_an_edge_case_naming_an_unknown_label_is_an_error_at_the_edge_case() -> None:
    billing = label("billing", edge_cases=[EdgeCase(text="ok", label="billing"), EdgeCase(text="x", label="shiping")])
    findings = check_schema(schema(billing, label("shipping")))
    assert [(f.check, f.where) for f in findings] == [("schema.example_label", "labels.billing.edge_cases[1]")]
    assert "did you mean 'shipping'?" in findings[0].what


def test_an_unknown_label_unlike_any_label_gets_no_hint() -> None:
    findings = check_schema(schema(*CLEAN, examples=[Example(text="t", label="zzzzzz")]))
    assert len(findings) == 1
    assert "did you mean" not in findings[0].what


def test_each_unknown_label_of_a_multi_label_example_is_reported() -> None:
    s = schema(*CLEAN, task=TaskKind.MULTI_LABEL,
               examples=[Example(text="t", label=["billing", "acount", "nothing-like-it"])])
    findings = check_schema(s)
    assert sorted(f.evidence["label"] for f in findings) == ["acount", "nothing-like-it"]
    assert {f.where for f in findings} == {"examples[0]"}


def test_a_multi_label_label_containing_the_separator_is_an_error() -> None:
    findings = check_schema(schema(label("billing|refund"), label("shipping"), task=TaskKind.MULTI_LABEL))
    assert [(f.check, f.severity, f.where) for f in findings] == [
        ("schema.label_name", Severity.ERROR, "labels.billing|refund")
    ]
    assert "'|'" in findings[0].what


def test_a_finding_is_json_ready() -> None:
    findings = check_schema(schema(label("billing"), label("shipping", None)))
    assert findings[0].to_dict() == {
        "check": "schema.definition",
        "what": "label 'shipping' has no definition",
        "where": "labels.shipping",
        "severity": "warning",
        "score": None,
        "evidence": {"label": "shipping"},
    }
