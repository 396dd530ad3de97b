"""The context layer as files under ``context/``: what an analytics agent should know about the warehouse.

- ``context/tables/<table>.yaml``: a table and its columns, with descriptions, synonyms and an endorsement
  status (``certified``, ``endorsed``, ``draft``, ``deprecated`` with owner, reason and replacement);
- ``context/relationships.yaml``: join keys and their cardinality;
- ``context/semantic_models.yaml``: tables as MetricFlow semantic models (entities, dimensions, measures);
- ``context/metrics.yaml``: metrics in MetricFlow's shape (simple, ratio, derived, cumulative, conversion);
- ``context/time_spine.yaml``: the days cumulative and offset metrics are laid over (a table or a date range);
- ``context/rules.md``: rules always given to the agent; ``context/guides/<topic>.md``: guides by topic.

Everything is plain files kept in git; nothing here is stored in the database.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from answerkey.analytics.metric_model import Metric
from answerkey.analytics.semantic_model import SemanticModel, TimeSpine
from answerkey.errors import ImportValidationError, RowProblem
from answerkey.excerpt import excerpt
from answerkey.yaml_input import read_yaml

__all__ = ["Column", "ContextLayer", "Metric", "Relationship", "TableEntry", "load_context", "render_for_agent"]

Status = Literal["certified", "endorsed", "draft", "deprecated"]


class Column(BaseModel):
    """A column: what it means, what people call it, whether it is a key."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    synonyms: list[str] = Field(default_factory=list)
    type: str | None = None
    unique: bool = False
    status: Status | None = None


class TableEntry(BaseModel):
    """A table: its description, endorsement, and columns."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    synonyms: list[str] = Field(default_factory=list)
    status: Status = "draft"
    owner: str | None = None
    reason: str | None = None
    replacement: str | None = None
    columns: list[Column] = Field(default_factory=list)

    @model_validator(mode="after")
    def _deprecation_says_why(self) -> TableEntry:
        if self.status == "deprecated" and not (self.reason and self.replacement):
            raise ValueError("a deprecated table needs a reason and a replacement")
        return self

    def column(self, name: str) -> Column | None:
        """The column called ``name`` (case folded), if described."""
        return next((c for c in self.columns if c.name.casefold() == name.casefold()), None)


class Relationship(BaseModel):
    """A join: ``left`` and ``right`` as ``table.column``, and how many rows meet on each side."""

    model_config = ConfigDict(extra="forbid")

    left: str = Field(pattern=r"^[\w.]+\.\w+$")
    right: str = Field(pattern=r"^[\w.]+\.\w+$")
    cardinality: Literal["one_to_one", "one_to_many", "many_to_one", "many_to_many"]


class ContextLayer(BaseModel):
    """The whole context layer, as read from ``context/``."""

    tables: list[TableEntry] = Field(default_factory=list)
    relationships: list[Relationship] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    semantic_models: list[SemanticModel] = Field(default_factory=list)
    time_spine: TimeSpine | None = None
    rules: str = ""
    guides: dict[str, str] = Field(default_factory=dict)

    def table(self, name: str) -> TableEntry | None:
        """The table called ``name`` (case folded, schema prefix optional)."""
        wanted = name.casefold()
        exact = next((t for t in self.tables if t.name.casefold() == wanted), None)
        if exact is not None or "." in wanted:
            return exact or next((t for t in self.tables if t.name.casefold() == wanted.split(".")[-1]), None)
        return next((t for t in self.tables if t.name.casefold().split(".")[-1] == wanted), None)

    def metric(self, name: str) -> Metric | None:
        """The metric called ``name``."""
        return next((m for m in self.metrics if m.name == name), None)

    def content_hash(self) -> str:
        """The version of the context: a sha256 of its canonical JSON."""
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()


def _yaml(path: Path, problems: list[RowProblem]) -> Any:
    """The file's data (no aliases, bounded size and nesting: see :mod:`answerkey.yaml_input`), or None after
    adding why it cannot be read to ``problems``."""
    try:
        return read_yaml(path)
    except ImportValidationError as error:
        problems.extend(error.problems)
        return None
    except OSError as error:
        problems.append(RowProblem(str(path), None, None, f"a file that cannot be read ({error.strerror or error})",
                                   "a readable YAML file"))
        return None


def _validated(model: type[BaseModel], data: Any, path: Path, row: int | None,
               problems: list[RowProblem]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        for issue in error.errors():
            column = ".".join(str(p) for p in issue["loc"]) or None
            problems.append(RowProblem(str(path), row, column, excerpt(issue.get("input")), issue["msg"]))
        return None


def load_context(folder: str | Path) -> ContextLayer:
    """Read ``context/``; any bad entry fails the whole read, naming file, entry and field."""
    root = Path(folder)
    problems: list[RowProblem] = []
    tables = []
    for path in sorted((root / "tables").glob("*.y*ml")):
        before = len(problems)
        data = _yaml(path, problems)
        entry = _validated(TableEntry, data, path, None, problems) if len(problems) == before else None
        if entry is not None:
            tables.append(entry)
    lists: dict[str, list[Any]] = {}
    for name, model in (("relationships", Relationship), ("metrics", Metric),
                        ("semantic_models", SemanticModel)):
        path = root / f"{name}.yaml"
        lists[name] = []
        data = _yaml(path, problems) if path.is_file() else []
        if data is not None and not isinstance(data, list):
            problems.append(RowProblem(str(path), None, None, type(data).__name__, f"a list of {name}"))
            continue
        for number, item in enumerate(data or [], start=1):
            parsed = _validated(model, item, path, number, problems)
            if parsed is not None:
                lists[name].append(parsed)
    spine_path = root / "time_spine.yaml"
    spine = (_validated(TimeSpine, _yaml(spine_path, problems), spine_path, None, problems)
             if spine_path.is_file() else None)
    if problems:
        raise ImportValidationError(problems, consequence="the context was not read")
    rules = (root / "rules.md").read_text(encoding="utf-8") if (root / "rules.md").is_file() else ""
    guides = {p.stem: p.read_text(encoding="utf-8") for p in sorted((root / "guides").glob("*.md"))}
    return ContextLayer(tables=tables, relationships=lists["relationships"], metrics=lists["metrics"],
                        semantic_models=lists["semantic_models"], time_spine=spine, rules=rules, guides=guides)


def render_for_agent(context: ContextLayer, question: str | None = None, fmt: str = "markdown") -> str:
    """What an agent should be given: endorsed knowledge first, deprecated tables with their replacement,
    metrics with their SQL, the rules, and the guides whose topic words appear in ``question``."""
    guides = {topic: text for topic, text in context.guides.items()
              if question is None or any(word in question.casefold() for word in topic.casefold().split("_"))}
    if fmt == "json":
        return json.dumps({**context.model_dump(exclude={"guides"}), "guides": guides}, indent=2)
    lines = ["# Warehouse context", ""]
    order = {"certified": 0, "endorsed": 1, "draft": 2, "deprecated": 3}
    for table in sorted(context.tables, key=lambda t: (order[t.status], t.name)):
        note = f" — DEPRECATED: {table.reason}; use {table.replacement}" if table.status == "deprecated" else ""
        lines.append(f"## {table.name} ({table.status}){note}")
        if table.description:
            lines.append(table.description)
        for column in table.columns:
            extra = f" (also: {', '.join(column.synonyms)})" if column.synonyms else ""
            key = " [unique]" if column.unique else ""
            lines.append(f"- `{column.name}`{key}: {column.description}{extra}")
        lines.append("")
    if context.relationships:
        lines += ["## Joins", *[f"- {r.left} = {r.right} ({r.cardinality.replace('_', '-')})"
                                for r in context.relationships], ""]
    if context.metrics:
        from answerkey.analytics.metric_words import describe_metric, metric_sql_for_agent

        lines.append("## Metrics (use these definitions; do not recompute them another way)")
        if any(m.semantic for m in context.metrics):
            lines.append("A semantic metric's SQL is what it means; grouped by a grain or a dimension it is computed "
                         "the same way per group (as `answerkey metrics query` does).")
        lines.append("")
        for metric in context.metrics:
            label = f" ({metric.label})" if metric.label else ""
            description = f" {metric.description.strip()}" if metric.description.strip() else ""
            lines += [f"### {metric.name}{label}, {metric.type}, {metric.status}", *([description.strip()]
                      if description else []), f"Means: {describe_metric(metric, context)}.", "```sql",
                      metric_sql_for_agent(metric, context), "```", ""]
    if context.rules:
        lines += ["## Rules", context.rules.strip(), ""]
    for topic, text in guides.items():
        lines += [f"## Guide: {topic}", text.strip(), ""]
    return "\n".join(lines).strip() + "\n"
