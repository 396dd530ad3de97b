"""The names a metric query groups and filters by, in MetricFlow's spelling.

A group-by name is ``metric_time[__grain]``, an entity (``customer``), a dimension behind an entity path
(``customer__region``, ``order__customer__region``) or a time dimension with a grain
(``order__order_date__month``). Filters are SQL with Jinja references: ``{{ Dimension('customer__region') }}``,
``{{ TimeDimension('metric_time', 'month') }}``, ``{{ Dimension('metric_time').grain('week') }}``,
``{{ Entity('customer') }}`` and ``{{ Metric('revenue', group_by=['customer']) }}``; each reference becomes the
column of the item it names.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import sqlglot
from sqlglot.errors import SqlglotError

from answerkey.analytics.semantic_model import GRAINS
from answerkey.errors import MetricQueryError

__all__ = ["METRIC_TIME", "Item", "check_filter", "filter_items", "parse_item", "render_filter"]

METRIC_TIME = "metric_time"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REFERENCE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_GRAIN_CALL = re.compile(r"\.grain\(\s*['\"](\w+)['\"]\s*\)\s*$")


@dataclass(frozen=True)
class Item:
    """A thing to group or filter by: its output column ``name`` and what it resolves to."""

    name: str
    kind: Literal["time", "dimension", "entity", "metric"]
    path: tuple[str, ...] = ()
    target: str = ""
    grain: str | None = None
    group_by: tuple[str, ...] = ()

    @property
    def is_metric_time(self) -> bool:
        return self.kind == "time" and self.target == METRIC_TIME


def parse_item(name: str, grain: str | None = None) -> Item:
    """A group-by name as an :class:`Item`; ``grain`` overrides a grain given in the name."""
    name = name.strip()
    parts = name.split("__")
    if not all(_NAME.match(p) for p in parts):
        raise MetricQueryError(f"group-by {name!r} is not a name like metric_time__month or customer__region")
    if parts[0] == METRIC_TIME and len(parts) > 1 and (len(parts) > 2 or parts[1] not in GRAINS):
        raise MetricQueryError(f"group-by {name!r}: metric_time takes one grain, one of {', '.join(GRAINS)}")
    if parts[-1] in GRAINS and len(parts) >= 2:
        grain, parts = grain or parts[-1], parts[:-1]
    if parts == [METRIC_TIME]:
        final = grain
        return Item(f"{METRIC_TIME}__{final}" if final else METRIC_TIME, "time", (), METRIC_TIME, final)
    if len(parts) == 1 and grain is None:
        return Item(name, "entity", (), parts[0])
    *path, target = parts
    if grain is not None:
        return Item("__".join([*path, target, grain]), "time", tuple(path), target, grain)
    return Item(name, "dimension", tuple(path), target)


def _call(source: str) -> Item:
    """One Jinja reference (the text between the braces) as an Item."""
    text = source.strip()
    grain_call = _GRAIN_CALL.search(text)
    grain = grain_call.group(1) if grain_call else None
    if grain_call:
        text = text[:grain_call.start()]
    try:
        call = ast.parse(text, mode="eval").body
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
            raise ValueError("not a call")
        args = [ast.literal_eval(a) for a in call.args]
        keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    except (SyntaxError, ValueError) as error:
        raise MetricQueryError(f"filter reference {{{{ {source.strip()} }}}} is not Dimension('...'), "
                               f"TimeDimension('...', 'grain'), Entity('...') or Metric('...', group_by=[...]) "
                               f"({error})") from None
    kind, name = call.func.id, (args[0] if args else keywords.get("name"))
    if not isinstance(name, str):
        raise MetricQueryError(f"filter reference {{{{ {source.strip()} }}}} names no element")
    if kind == "Dimension":
        return parse_item(name, grain)
    if kind == "TimeDimension":
        chosen = grain or (args[1] if len(args) > 1 else keywords.get("time_granularity_name"))
        if chosen is not None and chosen not in GRAINS:
            raise MetricQueryError(f"filter reference {{{{ {source.strip()} }}}}: grain {chosen!r} is not one of "
                                   f"{', '.join(GRAINS)}")
        item = parse_item(name, chosen)
        return item if item.kind == "time" else Item(item.name, "time", item.path, item.target, None)
    if kind == "Entity":
        *path, target = name.split("__")
        return Item(name, "entity", tuple(path), target)
    if kind == "Metric":
        group_by = keywords.get("group_by", args[1] if len(args) > 1 else [])
        if not isinstance(group_by, list | tuple) or not group_by or not all(isinstance(g, str) for g in group_by):
            raise MetricQueryError(f"filter reference {{{{ {source.strip()} }}}} needs group_by=['<entity>']")
        return Item("__".join([*group_by, name]), "metric", (), name, None, tuple(group_by))
    raise MetricQueryError(f"filter reference {{{{ {source.strip()} }}}}: {kind} is not Dimension, "
                           "TimeDimension, Entity or Metric")


def filter_items(template: str) -> list[Item]:
    """The items a filter references, in order."""
    return [_call(match.group(1)) for match in _REFERENCE.finditer(template)]


def check_filter(template: str, owner: str) -> None:
    """Refuse a filter that is not one SQL condition once its references are columns, naming ``owner`` (the
    metric, or --where) rather than showing the whole compiled query."""
    rendered = render_filter(template, lambda item: '"' + item.name + '"')
    try:
        tree = sqlglot.parse_one(f"SELECT 1 WHERE ({rendered})", read="duckdb")
    except SqlglotError as error:
        details = getattr(error, "errors", None) or [{"description": str(error).splitlines()[0]}]
        raise MetricQueryError(f"{owner}: filter {template!r} is not one SQL condition "
                               f"({details[0].get('description')})") from None
    if not isinstance(tree, sqlglot.exp.Select) or tree.find(sqlglot.exp.Subquery, sqlglot.exp.Union) is not None:
        raise MetricQueryError(f"{owner}: filter {template!r} must be a condition on the query's items, without "
                               "subqueries")


def render_filter(template: str, column: Callable[[Item], str]) -> str:
    """The filter as SQL: each reference replaced by ``column(item)``."""
    return _REFERENCE.sub(lambda match: column(_call(match.group(1))), template)
