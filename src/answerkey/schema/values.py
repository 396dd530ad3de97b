"""Checking and canonicalising one judgement's label text against a schema version."""

from __future__ import annotations

from collections.abc import Callable

from answerkey.schema.model import MULTI_LABEL_SEPARATOR, LabelingSchema, TaskKind

__all__ = ["canonical_label", "expected_labels", "label_checker"]


def expected_labels(schema: LabelingSchema) -> str:
    """What a valid label looks like under ``schema``, for error messages."""
    if schema.task is TaskKind.NUMERIC:
        return str(schema.range) if schema.range else "a number"
    names = ", ".join(schema.label_names)
    if schema.task is TaskKind.MULTI_LABEL:
        return f"labels of schema v{schema.version} joined by {MULTI_LABEL_SEPARATOR!r} ({names})"
    return f"a label of schema v{schema.version} ({names})"


def canonical_label(schema: LabelingSchema, raw: str) -> str | None:
    """The canonical text of ``raw`` under ``schema``, or None when it is not a valid label.

    Multi-label judgements are sorted and de-duplicated; numbers are written in shortest round-trip form.
    """
    text = raw.strip()
    if schema.task is TaskKind.NUMERIC:
        if "_" in text:
            return None  # float() reads "1_0" as 10; a label file never means that
        try:
            value = float(text)
        except ValueError:
            return None
        if schema.range is not None and not schema.range.contains(value):
            return None
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return repr(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    names = set(schema.label_names)
    if schema.task is TaskKind.MULTI_LABEL:
        parts = sorted({part.strip() for part in text.split(MULTI_LABEL_SEPARATOR) if part.strip()})
        if not parts or any(part not in names for part in parts):
            return None
        return MULTI_LABEL_SEPARATOR.join(parts)
    return text if text in names else None


def label_checker(schema: LabelingSchema) -> Callable[[str], str | None]:
    """A memoised ``canonical_label`` for one schema: label columns repeat a few values many times."""
    cache: dict[str, str | None] = {}

    def check(raw: str) -> str | None:
        try:
            return cache[raw]
        except KeyError:
            cache[raw] = result = canonical_label(schema, raw)
            return result

    return check
