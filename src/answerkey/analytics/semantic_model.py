"""Semantic models in MetricFlow's shape: a table with its entities, dimensions and measures.

Entities are the join keys (``primary``, ``unique``, ``natural``, ``foreign``): two semantic models that share an
entity can be joined on it when the far side holds it as ``primary``, ``unique`` or ``natural``. Dimensions are
what metrics are grouped and filtered by (``categorical`` or ``time`` with a granularity); measures are the
aggregations metrics are built from. ``context/semantic_models.yaml`` holds a list of them; ``context import dbt``
writes it from a dbt semantic manifest.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["AGGREGATIONS", "GRAINS", "Dimension", "Entity", "Measure", "NonAdditiveDimension", "SemanticModel",
           "TimeSpine", "parse_window"]

GRAINS = ("day", "week", "month", "quarter", "year")
"""Time granularities, finest first (MetricFlow's standard grains from a day up)."""

AGGREGATIONS = ("sum", "min", "max", "count", "count_distinct", "sum_boolean", "average", "median", "percentile")

Grain = Literal["day", "week", "month", "quarter", "year"]
_WINDOW = re.compile(r"^\s*(\d+)\s+(day|week|month|quarter|year)s?\s*$", re.IGNORECASE)


def parse_window(text: str) -> tuple[int, str]:
    """``'7 days'`` -> ``(7, 'day')``: a count and one of :data:`GRAINS`."""
    match = _WINDOW.match(text)
    if not match:
        raise ValueError(f"a window like '7 days' or '1 month' (count and one of {', '.join(GRAINS)}), got {text!r}")
    return int(match.group(1)), match.group(2).lower()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Entity(_Strict):
    """A join key of a semantic model; ``expr`` is its column (or SQL) when it differs from the name."""

    name: str = Field(min_length=1)
    type: Literal["primary", "unique", "natural", "foreign"]
    expr: str | None = None
    description: str = ""
    label: str | None = None

    @property
    def sql(self) -> str:
        return self.expr or self.name

    @property
    def identifies(self) -> bool:
        """Whether a row of the model is found by this entity (the far side of a join may only be these)."""
        return self.type in ("primary", "unique", "natural")


class Dimension(_Strict):
    """A column or SQL expression to group and filter by; time dimensions carry their granularity."""

    name: str = Field(min_length=1)
    type: Literal["categorical", "time"] = "categorical"
    expr: str | None = None
    granularity: Grain | None = None
    description: str = ""
    label: str | None = None

    @model_validator(mode="after")
    def _time_has_grain(self) -> Dimension:
        if self.type == "time" and self.granularity is None:
            self.granularity = "day"
        if self.type == "categorical" and self.granularity is not None:
            raise ValueError("only a time dimension has a granularity")
        return self

    @property
    def sql(self) -> str:
        return self.expr or self.name


class NonAdditiveDimension(_Strict):
    """A measure that cannot be summed over this time dimension (a balance): only the rows at the window's
    ``min`` or ``max`` of it count, per ``window_groupings`` entity."""

    name: str = Field(min_length=1)
    window_choice: Literal["min", "max"] = "max"
    window_groupings: list[str] = Field(default_factory=list)


class Measure(_Strict):
    """An aggregation over a semantic model's rows: ``agg`` of ``expr`` (the name when no expr)."""

    name: str = Field(min_length=1)
    agg: Literal["sum", "min", "max", "count", "count_distinct", "sum_boolean", "average", "median", "percentile"]
    expr: str | None = None
    percentile: float | None = Field(default=None, gt=0, lt=1)
    use_discrete_percentile: bool = False
    agg_time_dimension: str | None = None
    non_additive_dimension: NonAdditiveDimension | None = None
    description: str = ""
    label: str | None = None

    @model_validator(mode="after")
    def _percentile_given(self) -> Measure:
        if (self.agg == "percentile") != (self.percentile is not None):
            raise ValueError("a percentile measure needs percentile (between 0 and 1), and only it takes one")
        return self

    @property
    def sql(self) -> str:
        return self.expr or self.name


class SemanticModel(_Strict):
    """A table (``schema.table`` allowed) seen as entities, dimensions and measures."""

    name: str = Field(min_length=1)
    table: str = Field(min_length=1)
    description: str = ""
    label: str | None = None
    agg_time_dimension: str | None = None
    entities: list[Entity] = Field(default_factory=list)
    dimensions: list[Dimension] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_resolve(self) -> SemanticModel:
        names = [e.name for e in self.entities] + [d.name for d in self.dimensions] + [m.name for m in self.measures]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"names used twice in one semantic model: {', '.join(repeated)}")
        times = {d.name for d in self.dimensions if d.type == "time"}
        for owner, wanted in [("the model", self.agg_time_dimension),
                              *((f"measure {m.name}", m.agg_time_dimension) for m in self.measures)]:
            if wanted is not None and wanted not in times:
                raise ValueError(f"{owner}'s agg_time_dimension {wanted!r} is not a time dimension of it "
                                 f"(time dimensions: {', '.join(sorted(times)) or 'none'})")
        return self

    def entity(self, name: str) -> Entity | None:
        return next((e for e in self.entities if e.name == name), None)

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def measure(self, name: str) -> Measure | None:
        return next((m for m in self.measures if m.name == name), None)

    def primary_entity(self) -> Entity | None:
        return next((e for e in self.entities if e.type == "primary"), None)

    def time_dimension_of(self, measure: Measure) -> Dimension | None:
        """The time dimension a measure is aggregated over (its own, else the model's default)."""
        name = measure.agg_time_dimension or self.agg_time_dimension
        return self.dimension(name) if name else None


class TimeSpine(_Strict):
    """The days cumulative windows, offsets and conversions are laid over: a table of days (``table`` and
    ``column``) or a range generated in SQL (``start`` inclusive, ``end`` exclusive)."""

    table: str | None = None
    column: str = "date_day"
    start: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    end: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")

    @model_validator(mode="after")
    def _one_source(self) -> TimeSpine:
        if (self.table is None) == (self.start is None or self.end is None):
            raise ValueError("a time spine is either a table (table, column) or a range (start and end dates)")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError(f"the time spine's start {self.start} must come before its end {self.end}")
        return self
