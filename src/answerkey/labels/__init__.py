"""Derived ground truth: labels defined as code (behavioural definitions) and derived in the engine."""

from answerkey.labels.definition import BehavioralDefinition, load_definition, parse_window
from answerkey.labels.derive import DERIVED_COLUMNS, STATUSES, derive_behavioral

__all__ = ["DERIVED_COLUMNS", "STATUSES", "BehavioralDefinition", "derive_behavioral", "load_definition",
           "parse_window"]
