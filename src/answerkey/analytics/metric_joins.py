"""Join paths between semantic models: how a measure's rows reach the dimensions a query names.

From the measure's semantic model, each entity of an item's path is a hop: it stays in the model when the model
identifies that entity (primary, unique or natural) and holds what comes next, and otherwise joins the one other
model that identifies the entity, left outer, so no measure row is lost or repeated. Each model is read in its own
subquery, so dimension expressions are evaluated against their own table.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from answerkey.analytics.metric_items import Item
from answerkey.analytics.semantic_model import GRAINS, SemanticModel
from answerkey.errors import MetricQueryError

__all__ = ["JoinTree", "q", "truncate"]


def q(name: str) -> str:
    """A quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def truncate(grain: str, sql: str) -> str:
    """``sql`` at the start of its ``grain`` period, as a DATE (grains run from a day up, and an agent's answer
    would give a date, not a midnight timestamp)."""
    return f"CAST(DATE_TRUNC('{grain}', {sql}) AS DATE)"


@dataclass
class _Node:
    model: SemanticModel
    alias: str
    columns: dict[str, str] = field(default_factory=dict)
    key: str | None = None
    children: dict[str, _Node] = field(default_factory=dict)


class JoinTree:
    """The measure's model and the models joined to it, with the columns each must expose."""

    def __init__(self, root: SemanticModel, models: Sequence[SemanticModel], metric: str) -> None:
        self._models = models
        self._metric = metric
        self._count = 0
        self._exposed: dict[str, str] = {}
        self.root = _Node(root, "src")

    def _alias(self) -> str:
        self._count += 1
        return f"j{self._count}"

    def _holds(self, model: SemanticModel, item: Item, rest: Sequence[str]) -> bool:
        if rest:
            return model.entity(rest[0]) is not None
        if item.kind == "entity":
            return model.entity(item.target) is not None
        return model.dimension(item.target) is not None

    def _hop(self, node: _Node, entity: str, item: Item, rest: Sequence[str]) -> _Node:
        here = node.model.entity(entity)
        if here is None:
            raise MetricQueryError(f"metric {self._metric}: {item.name} needs entity {entity!r}, which semantic "
                                   f"model {node.model.name} does not have (its entities: "
                                   f"{', '.join(e.name for e in node.model.entities) or 'none'})")
        if here.identifies and self._holds(node.model, item, rest):
            return node
        if entity in node.children:
            return node.children[entity]
        candidates = [m for m in self._models if m.name != node.model.name and (e := m.entity(entity)) is not None
                      and e.identifies and self._holds(m, item, rest)]
        identifying = [m for m in self._models if (e := m.entity(entity)) is not None and e.identifies]
        if not candidates and len(identifying) == 1 and not rest and item.kind != "entity":
            known = [d.name for d in identifying[0].dimensions]
            close = difflib.get_close_matches(item.target, known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"its dimensions: {', '.join(known) or 'none'}"
            raise MetricQueryError(f"metric {self._metric}: no join path for {item.name}: semantic model "
                                   f"{identifying[0].name} identifies entity {entity!r} but has no dimension "
                                   f"{item.target!r} ({hint})")
        if len(candidates) != 1:
            what = (f"entity {rest[0]!r}" if rest else
                    f"{'entity' if item.kind == 'entity' else 'dimension'} {item.target!r}")
            problem = "no join path" if not candidates else "more than one join path"
            raise MetricQueryError(
                f"metric {self._metric}: {problem} for {item.name}: from semantic model {node.model.name} over "
                f"entity {entity!r} to a model that identifies {entity!r} and has {what}"
                + (f" ({', '.join(m.name for m in candidates)})" if candidates else ""))
        far = candidates[0]
        far_entity = far.entity(entity)
        assert far_entity is not None
        child = _Node(far, self._alias(), {"__key": far_entity.sql}, key=f"__e_{entity}")
        node.columns[f"__e_{entity}"] = here.sql
        node.children[entity] = child
        return child

    def _node(self, item: Item) -> _Node:
        node = self.root
        for position, entity in enumerate(item.path):
            node = self._hop(node, entity, item, item.path[position + 1:])
        return node

    def add(self, item: Item) -> None:
        """Expose ``item`` (a dimension, a time dimension at a grain, or an entity) as a column named after it."""
        node = self._node(item)
        if item.kind == "entity":
            entity = node.model.entity(item.target)
            if entity is None:
                raise MetricQueryError(f"metric {self._metric}: semantic model {node.model.name} has no entity "
                                       f"{item.target!r} for {item.name}")
            node.columns[item.name] = entity.sql
            self._expose(node, item.name)
            return
        dimension = node.model.dimension(item.target)
        if dimension is None:
            known = ", ".join(d.name for d in node.model.dimensions) or "none"
            raise MetricQueryError(f"metric {self._metric}: semantic model {node.model.name} has no dimension "
                                   f"{item.target!r} for {item.name} (its dimensions: {known})")
        sql = dimension.sql
        if dimension.type == "time":
            grain = item.grain or dimension.granularity or "day"
            if GRAINS.index(grain) < GRAINS.index(dimension.granularity or "day"):
                raise MetricQueryError(f"metric {self._metric}: {item.name} asks for grain {grain}, finer than "
                                       f"{dimension.name}'s granularity {dimension.granularity}")
            sql = truncate(grain, sql)
        elif item.kind == "time":
            raise MetricQueryError(f"metric {self._metric}: {item.target} is not a time dimension, so {item.name} "
                                   "cannot take a grain")
        node.columns[item.name] = sql
        self._expose(node, item.name)

    def add_root_column(self, name: str, sql: str) -> None:
        """A column of the measure's own model (the measure, its time, an entity key)."""
        self.root.columns[name] = sql

    def _expose(self, node: _Node, name: str) -> None:
        self._exposed[name] = node.alias

    def sql(self) -> str:
        """``SELECT`` every exposed column ``FROM`` the measure's model and its joins."""
        exposed = self._exposed
        selected = [f"src.{q(c)} AS {q(c)}" for c in self.root.columns if not c.startswith("__e_")
                    and c not in exposed] + [f"{alias}.{q(name)} AS {q(name)}" for name, alias in exposed.items()]
        parts = [f"FROM {self._read(self.root)} AS src"]

        def walk(node: _Node) -> None:
            for child in node.children.values():
                parts.append(f"LEFT OUTER JOIN {self._read(child)} AS {child.alias} "
                             f"ON {node.alias}.{q(child.key or '')} = {child.alias}.\"__key\"")
                walk(child)

        walk(self.root)
        return "SELECT " + ", ".join(selected) + " " + " ".join(parts)

    @staticmethod
    def _read(node: _Node) -> str:
        columns = ", ".join(f"{sql} AS {q(name)}" for name, sql in node.columns.items())
        return f"(SELECT {columns} FROM {node.model.table})"
