"""The labeling schema: model, YAML loading, lint, diff and label checking."""

from answerkey.schema.diff import SchemaDiff, diff_schemas
from answerkey.schema.lint import check_schema
from answerkey.schema.loading import dump_schema, load_schema, parse_schema
from answerkey.schema.model import (
    MULTI_LABEL_SEPARATOR,
    EdgeCase,
    Example,
    LabelDefinition,
    LabelingSchema,
    NumericRange,
    TaskKind,
)
from answerkey.schema.values import canonical_label, expected_labels, label_checker

__all__ = [
    "MULTI_LABEL_SEPARATOR",
    "EdgeCase",
    "Example",
    "LabelDefinition",
    "LabelingSchema",
    "NumericRange",
    "SchemaDiff",
    "TaskKind",
    "canonical_label",
    "check_schema",
    "diff_schemas",
    "dump_schema",
    "expected_labels",
    "label_checker",
    "load_schema",
    "parse_schema",
]
