"""``schema check``: problems a labeling lead should fix before anyone labels with the schema."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from itertools import combinations

from answerkey.findings import Finding, Severity
from answerkey.schema.model import MULTI_LABEL_SEPARATOR, LabelingSchema, TaskKind

__all__ = ["check_schema", "normalise_label_name"]

NEAR_DUPLICATE_RATIO = 0.85
"""Two label names this similar (after normalising) are probably one label spelled twice."""


def normalise_label_name(name: str) -> str:
    """Lower-case and strip everything but letters and digits: ``Billing-Refund `` -> ``billingrefund``."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def check_schema(schema: LabelingSchema) -> list[Finding]:
    """Lint a schema: missing definitions, duplicate names, ordinal order, examples naming unknown labels."""
    findings: list[Finding] = []
    findings += _missing_definitions(schema)
    findings += _duplicate_names(schema)
    findings += _task_shape(schema)
    findings += _unknown_example_labels(schema)
    return findings


def _missing_definitions(schema: LabelingSchema) -> list[Finding]:
    return [
        Finding(
            check="schema.definition",
            what=f"label {label.name!r} has no definition",
            where=f"labels.{label.name}",
            severity=Severity.WARNING,
            evidence={"label": label.name},
        )
        for label in schema.labels
        if not (label.definition and label.definition.strip())
    ]


def _duplicate_names(schema: LabelingSchema) -> list[Finding]:
    findings = []
    names = [label.name for label in schema.labels]
    for a, b in combinations(range(len(names)), 2):
        na, nb = normalise_label_name(names[a]), normalise_label_name(names[b])
        if names[a] == names[b] or na == nb:
            findings.append(
                Finding(
                    check="schema.duplicate_label",
                    what=f"labels {names[a]!r} and {names[b]!r} are the same name",
                    where=f"labels[{b}]",
                    severity=Severity.ERROR,
                    score=1.0,
                    evidence={"labels": [names[a], names[b]]},
                )
            )
            continue
        ratio = SequenceMatcher(None, na, nb).ratio()
        if ratio >= NEAR_DUPLICATE_RATIO:
            findings.append(
                Finding(
                    check="schema.near_duplicate_label",
                    what=f"labels {names[a]!r} and {names[b]!r} are nearly the same name",
                    where=f"labels[{b}]",
                    severity=Severity.WARNING,
                    score=round(ratio, 3),
                    evidence={"labels": [names[a], names[b]], "similarity": round(ratio, 3)},
                )
            )
    return findings


def _task_shape(schema: LabelingSchema) -> list[Finding]:
    findings = []
    names = {label.name for label in schema.labels}
    if schema.task is TaskKind.NUMERIC:
        if schema.range is None:
            findings.append(
                Finding("schema.range", "numeric schema has no range", "range", Severity.WARNING)
            )
        elif None not in (schema.range.min, schema.range.max) and schema.range.min > schema.range.max:  # type: ignore[operator]
            findings.append(
                Finding("schema.range", "range min is greater than max", "range", Severity.ERROR)
            )
        return findings
    if not schema.labels:
        findings.append(Finding("schema.labels", "schema defines no labels", "labels", Severity.ERROR))
    if schema.task is TaskKind.ORDINAL:
        if not schema.order:
            findings.append(
                Finding(
                    "schema.order",
                    "ordinal schema has no order: add `order: [lowest, ..., highest]`",
                    "order",
                    Severity.ERROR,
                )
            )
        else:
            unknown = [name for name in schema.order if name not in names]
            missing = [label.name for label in schema.labels if label.name not in schema.order]
            if unknown or missing or len(set(schema.order)) != len(schema.order):
                findings.append(
                    Finding(
                        "schema.order",
                        "ordinal order must list every label exactly once",
                        "order",
                        Severity.ERROR,
                        evidence={"not_labels": unknown, "not_ordered": missing},
                    )
                )
    elif schema.order:
        findings.append(
            Finding("schema.order", f"`order` has no meaning for a {schema.task} schema", "order", Severity.INFO)
        )
    if schema.task is TaskKind.MULTI_LABEL:
        findings += [
            Finding(
                "schema.label_name",
                f"label {name!r} contains {MULTI_LABEL_SEPARATOR!r}, which separates multi-label judgements",
                f"labels.{name}",
                Severity.ERROR,
            )
            for name in (label.name for label in schema.labels)
            if MULTI_LABEL_SEPARATOR in name
        ]
    return findings


def _unknown_example_labels(schema: LabelingSchema) -> list[Finding]:
    if schema.task is TaskKind.NUMERIC:
        return []
    names = {label.name for label in schema.labels}
    findings = []
    places: list[tuple[str, str | list[str]]] = [
        (f"examples[{i}]", example.label) for i, example in enumerate(schema.examples)
    ]
    for label in schema.labels:
        places += [(f"labels.{label.name}.edge_cases[{i}]", case.label) for i, case in enumerate(label.edge_cases)]
    for where, value in places:
        for name in [value] if isinstance(value, str) else value:
            if name not in names:
                findings.append(
                    Finding(
                        "schema.example_label",
                        f"example names unknown label {name!r}{_did_you_mean(name, names)}",
                        where,
                        Severity.ERROR,
                        evidence={"label": name},
                    )
                )
    return findings


def _did_you_mean(name: str, names: set[str]) -> str:
    best = max(sorted(names), key=lambda n: SequenceMatcher(None, name, n).ratio(), default=None)
    if best is not None and SequenceMatcher(None, name, best).ratio() >= 0.6:
        return f" (did you mean {best!r}?)"
    return ""
