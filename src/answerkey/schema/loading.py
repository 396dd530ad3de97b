"""Reading and writing schema files (YAML), with errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from answerkey.errors import ImportValidationError, SchemaError
from answerkey.excerpt import excerpt
from answerkey.schema.model import LabelingSchema
from answerkey.yaml_input import load_yaml, read_yaml_text

__all__ = ["dump_schema", "load_schema", "parse_schema"]


def parse_schema(text: str, source: str = "<schema>") -> LabelingSchema:
    """Parse schema YAML text; ``source`` names the file in error messages (which quote at most a short excerpt).

    YAML aliases, deep nesting and oversized text are refused (see :mod:`answerkey.yaml_input`).
    """
    try:
        data: Any = load_yaml(text, source)
    except ImportValidationError as exc:
        raise _not_yaml(exc) from None
    if not isinstance(data, dict):
        raise SchemaError(f"{source}: expected a mapping with name, version, task and labels; found {excerpt(data)}")
    try:
        return LabelingSchema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise SchemaError(
            f"{source}: field {field}: {first['msg']} (found {excerpt(first.get('input'))})"
        ) from None


def load_schema(path: str | Path) -> LabelingSchema:
    """Load a schema file."""
    path = Path(path)
    try:
        text = read_yaml_text(path)
    except ImportValidationError as exc:
        raise _not_yaml(exc) from None
    except FileNotFoundError:
        raise SchemaError(f"{path}: schema file not found; `answerkey init` writes one") from None
    except UnicodeDecodeError as exc:
        raise SchemaError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read the schema file ({exc.strerror or exc})") from None
    return parse_schema(text, str(path))


def _not_yaml(exc: ImportValidationError) -> SchemaError:
    """A refusal of the YAML reader as a schema error: ``file:line: found ..., expected ...`` on one line."""
    return SchemaError(str(exc.problems[0]))


def dump_schema(schema: LabelingSchema) -> str:
    """Schema as YAML text, omitting empty fields, in a stable key order."""
    data = schema.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    data = _drop_empty(data)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _drop_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value
