"""A behavioural label defined as code: which entity, from which anchor time, which events within which window
count as the outcome, and what the labels are called.

A definition is a YAML file (see :class:`BehavioralDefinition`); its content hash covers every field that can
change a label (not ``description``), so editing the rule, the window or a table makes a new version when it is
registered, and a cosmetic edit does not.

Example (``churn.yaml``)::

    name: churn
    description: A subscription cancelled within 90 days of its start
    entity: customer_id          # the item id, a column of both tables
    anchor: {table: subscriptions.parquet, time: started_at}
    events: {table: events.parquet, time: occurred_at}
    outcome: "event_type = 'cancel'"
    window: 90 days              # [anchor, anchor + 90 days): the start counts, the end does not
    labels: {positive: churned, negative: retained}
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlglot
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from answerkey.errors import ImportValidationError, ParameterError
from answerkey.yaml_input import read_yaml

__all__ = ["BehavioralDefinition", "Source", "load_definition", "parse_window"]

_WINDOW = re.compile(r"^\s*(\d+)\s*(second|minute|hour|day|week)s?\s*$", re.IGNORECASE)


def parse_window(text: str) -> timedelta:
    """An observation window such as ``90 days`` or ``12 hours`` (months are refused: their length varies).

    >>> parse_window("90 days")
    datetime.timedelta(days=90)
    """
    found = _WINDOW.match(str(text))
    if not found or int(found.group(1)) <= 0:
        raise ValueError(f"a positive number of seconds, minutes, hours, days or weeks, such as '90 days'; "
                         f"got {text!r}")
    return timedelta(**{f"{found.group(2).lower()}s": int(found.group(1))})


class Source(BaseModel):
    """A table of the engine (a name, or a Parquet/CSV path) with its entity and time columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    time: str
    entity: str | None = None
    """The entity column when it is not named like the definition's ``entity``."""


class Labels(BaseModel):
    """The label an entity gets when the outcome happened in its window, and when its window closed without."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    positive: str
    negative: str | None = None
    """None for a one-sided signal (a refund marks a refund request; no refund marks nothing): a closed window
    without the outcome is then status ``negative`` with no label written."""


class BehavioralDefinition(BaseModel):
    """A behavioural label: ``labels.positive`` when an event of ``events`` matching ``outcome`` (a SQL boolean
    over the event table's columns) happens in ``[anchor, anchor + window)``, ``labels.negative`` when the
    window has closed without one, and immature (no label) while it is still open."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    kind: str = "behavioral"
    description: str = ""
    entity: str
    anchor: Source
    events: Source
    outcome: str
    window: str
    labels: Labels

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value != "behavioral":
            raise ValueError(f"'behavioral' (the only kind of definition so far); got {value!r}")
        return value

    @field_validator("window")
    @classmethod
    def _valid_window(cls, value: str) -> str:
        parse_window(value)
        return value

    @field_validator("outcome")
    @classmethod
    def _valid_sql(cls, value: str) -> str:
        try:
            sqlglot.parse_one(value, read="duckdb")
        except sqlglot.errors.ParseError as exc:
            first = str(exc).splitlines()[0]
            raise ValueError(f"a SQL boolean expression over the event table's columns ({first})") from None
        return value

    @property
    def window_length(self) -> timedelta:
        return parse_window(self.window)

    @property
    def anchor_entity(self) -> str:
        return self.anchor.entity or self.entity

    @property
    def event_entity(self) -> str:
        return self.events.entity or self.entity

    @property
    def annotator_id(self) -> str:
        """The annotator its labels are written under: one per definition, whatever the version."""
        return f"behavioral:{self.name}"

    def canonical(self) -> dict[str, Any]:
        """Every field that can change a label, in a fixed form (the window as seconds)."""
        body = self.model_dump(exclude={"description"})
        body["window"] = int(self.window_length.total_seconds())
        return body

    def content_hash(self) -> str:
        """sha256 of :meth:`canonical` as sorted JSON: equal for definitions that label alike."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def load_definition(path: str | Path) -> BehavioralDefinition:
    """Read a definition file; a bad one is refused naming the file and each field with what was expected."""
    path = Path(path)
    try:
        raw = read_yaml(path)
    except FileNotFoundError:
        raise ParameterError(f"{path}: no such definition file") from None
    except OSError as exc:
        raise ParameterError(f"{path}: cannot read the definition file ({exc.strerror or exc})") from None
    except ImportValidationError as exc:  # invalid YAML, an alias, too deep or too large
        raise ParameterError(str(exc.problems[0])) from None
    if not isinstance(raw, dict):
        raise ParameterError(f"{path}: a mapping of fields (name, entity, anchor, events, outcome, window, labels) "
                             f"expected; got {type(raw).__name__}")
    try:
        return BehavioralDefinition.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'definition'}: {e['msg']}"
                             for e in exc.errors())
        raise ParameterError(f"{path}: {problems}") from None
