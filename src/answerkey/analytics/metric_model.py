"""Metrics in MetricFlow's shape, as ``context/metrics.yaml`` holds them.

Five types, with MetricFlow's meaning: ``simple`` (a measure, optionally filtered), ``ratio`` (numerator over
denominator, each a metric with its own filter), ``derived`` (an expression over input metrics, each with an
alias, a filter and a time offset), ``cumulative`` (a measure over a trailing ``window``, to date from the start of
a ``grain_to_date`` period, or over all time, reported per coarser period by ``period_agg``) and ``conversion``
(base events followed by conversion events of the same entity within a window). A ``simple`` metric may instead
give its aggregate ``sql`` over a ``table`` directly (the shape before semantic models); such a metric can be
shown to agents but not grouped by entity paths.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from answerkey.analytics.semantic_model import Grain, parse_window

__all__ = ["ConstantProperty", "ConversionParams", "MeasureInput", "Metric", "MetricInput", "filters_of"]

Status = Literal["certified", "endorsed", "draft", "deprecated"]
Filter = str | list[str] | None


def filters_of(value: Filter) -> list[str]:
    """A filter field (one template or a list) as a list of where-templates."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _named(value: Any) -> Any:
    """A bare name where an input object is expected becomes ``{"name": ...}``."""
    return {"name": value} if isinstance(value, str) else value


def _window(value: str | None) -> str | None:
    if value is not None:
        parse_window(value)
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MeasureInput(_Strict):
    """A measure as a metric uses it: its own filter, and whether days without rows are filled from the spine."""

    name: str = Field(min_length=1)
    filter: Filter = None
    alias: str | None = None
    join_to_timespine: bool = False
    fill_nulls_with: int | None = None


class MetricInput(_Strict):
    """A metric as a ratio or derived metric uses it: an alias, a filter, and a time offset."""

    name: str = Field(min_length=1)
    alias: str | None = None
    filter: Filter = None
    offset_window: str | None = None
    offset_to_grain: Grain | None = None

    _window_ok = field_validator("offset_window")(classmethod(lambda cls, v: _window(v)))

    @model_validator(mode="after")
    def _one_offset(self) -> MetricInput:
        if self.offset_window and self.offset_to_grain:
            raise ValueError("an input takes offset_window or offset_to_grain, not both")
        return self

    @property
    def reference(self) -> str:
        """The name the expression of a derived metric uses for this input."""
        return self.alias or self.name


class ConstantProperty(_Strict):
    """A property that must be equal on the base and the conversion event (the same product, say)."""

    base_property: str
    conversion_property: str


class ConversionParams(_Strict):
    """Base events of ``entity`` followed, within ``window``, by a conversion event of the same entity."""

    base_measure: MeasureInput
    conversion_measure: MeasureInput
    entity: str = Field(min_length=1)
    calculation: Literal["conversion_rate", "conversions"] = "conversion_rate"
    window: str | None = None
    constant_properties: list[ConstantProperty] = Field(default_factory=list)

    _named_measures = field_validator("base_measure", "conversion_measure", mode="before")(
        classmethod(lambda cls, v: _named(v)))
    _window_ok = field_validator("window")(classmethod(lambda cls, v: _window(v)))


class Metric(_Strict):
    """A metric: what it means in words, and its definition in one of the five types."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    label: str | None = None
    description: str = ""
    type: Literal["simple", "ratio", "derived", "cumulative", "conversion"] = "simple"
    status: Status = "draft"
    owner: str | None = None
    table: str | None = None
    sql: str | None = None
    measure: MeasureInput | None = None
    filter: Filter = None
    numerator: MetricInput | None = None
    denominator: MetricInput | None = None
    expr: str | None = None
    metrics: list[MetricInput] = Field(default_factory=list)
    window: str | None = None
    grain_to_date: Grain | None = None
    period_agg: Literal["first", "last", "average"] = "first"
    conversion: ConversionParams | None = None
    time_grain: Grain | None = None

    _named_inputs = field_validator("measure", "numerator", "denominator", mode="before")(
        classmethod(lambda cls, v: _named(v)))
    _window_ok = field_validator("window")(classmethod(lambda cls, v: _window(v)))

    @field_validator("metrics", mode="before")
    @classmethod
    def _named_list(cls, value: Any) -> Any:
        return [_named(v) for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _complete(self) -> Metric:
        if self.type == "simple" and self.measure is None and not (self.table and self.sql):
            raise ValueError("a simple metric needs a measure (or, without a semantic model, table and sql)")
        if self.type == "simple" and self.measure is not None and (self.table or self.sql):
            raise ValueError("a simple metric takes a measure or table and sql, not both")
        needed = {"simple": (), "ratio": ("numerator", "denominator"), "derived": ("expr", "metrics"),
                  "cumulative": ("measure",), "conversion": ("conversion",)}[self.type]
        missing = [name for name in needed if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.type} metric needs {' and '.join(missing)}")
        if self.type != "cumulative" and (self.window or self.grain_to_date):
            raise ValueError("only a cumulative metric takes window or grain_to_date")
        if self.window and self.grain_to_date:
            raise ValueError("a cumulative metric takes window or grain_to_date, not both")
        return self

    @property
    def semantic(self) -> bool:
        """Whether the metric is defined on semantic models (rather than as table SQL)."""
        return self.table is None

    def filters(self) -> list[str]:
        return filters_of(self.filter)

    def query(self) -> str | None:
        """The SQL of a table-SQL simple metric: ``SELECT <sql> FROM <table> [WHERE <filter>]``."""
        if self.type != "simple" or self.table is None:
            return None
        where = f" WHERE {' AND '.join(self.filters())}" if self.filter else ""
        return f"SELECT {self.sql} AS {self.name} FROM {self.table}{where}"

    def definition(self) -> str:
        """What the metric computes, as canonical text (two definitions of one name conflict when this differs):
        the table SQL of a table metric, else its defining fields as sorted JSON."""
        if self.query() is not None:
            return self.query() or ""
        return self.model_dump_json(exclude={"name", "label", "description", "status", "owner"},
                                    exclude_defaults=True)

    def inputs(self) -> list[str]:
        """The metrics this one is computed from."""
        if self.type == "ratio" and self.numerator and self.denominator:
            return [self.numerator.name, self.denominator.name]
        return [m.name for m in self.metrics]
