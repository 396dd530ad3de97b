"""The labeling schema as code: what can be labeled, what each label means, and its version."""

from __future__ import annotations

import hashlib
import json
import math
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "MULTI_LABEL_SEPARATOR",
    "EdgeCase",
    "Example",
    "LabelDefinition",
    "LabelingSchema",
    "NumericRange",
    "TaskKind",
]

MULTI_LABEL_SEPARATOR = "|"
"""Separates the labels of one multi-label judgement in long-format files (``billing|refund``)."""


class TaskKind(StrEnum):
    """What one judgement is: one label, a set of labels, an ordered grade, or a number."""

    SINGLE_LABEL = "single_label"
    MULTI_LABEL = "multi_label"
    ORDINAL = "ordinal"
    NUMERIC = "numeric"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EdgeCase(_Frozen):
    """A hard case and the label it should get, with the reason."""

    text: str
    label: str | list[str]
    why: str | None = None


class Example(_Frozen):
    """A worked example of the whole schema: an input and its correct label(s)."""

    text: str
    label: str | list[str]


class LabelDefinition(_Frozen):
    """One label: its name, what it means, examples, edge cases, and the labels it replaces."""

    name: str
    definition: str | None = None
    examples: list[str] = Field(default_factory=list)
    edge_cases: list[EdgeCase] = Field(default_factory=list)
    replaces: list[str] = Field(default_factory=list)

    @field_validator("replaces", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class NumericRange(_Frozen):
    """The closed interval a numeric label must fall in (either end may be open)."""

    min: float | None = None
    max: float | None = None

    def contains(self, value: float) -> bool:
        """True when ``value`` is a finite number within the range."""
        if not math.isfinite(value):
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def __str__(self) -> str:
        low = "-inf" if self.min is None else f"{self.min:g}"
        high = "inf" if self.max is None else f"{self.max:g}"
        return f"a number in [{low}, {high}]"


class LabelingSchema(_Frozen):
    """A labeling schema version. Every annotation records the version it was made under."""

    name: str
    version: int = Field(ge=1)
    task: TaskKind = TaskKind.SINGLE_LABEL
    description: str | None = None
    labels: list[LabelDefinition] = Field(default_factory=list)
    order: list[str] | None = None
    range: NumericRange | None = None
    examples: list[Example] = Field(default_factory=list)

    @property
    def label_names(self) -> list[str]:
        """Label names in the schema's order (the declared ``order`` for ordinal schemas)."""
        if self.task is TaskKind.ORDINAL and self.order:
            return list(self.order)
        return [label.name for label in self.labels]

    def label(self, name: str) -> LabelDefinition | None:
        """The definition of ``name``, or None when the schema has no such label."""
        return next((label for label in self.labels if label.name == name), None)

    def canonical_json(self) -> str:
        """A canonical JSON text of the schema: same content, same text, whatever the YAML layout."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    @property
    def content_hash(self) -> str:
        """sha256 of the canonical JSON, to tell whether a file changed under the same version."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()
