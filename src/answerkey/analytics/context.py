"""The context layer as files under ``context/``: what an analytics agent should know about the warehouse.

- ``context/tables/<table>.yaml``: a table and its columns, with descriptions, synonyms and an endorsement
  status (``certified``, ``endorsed``, ``draft``, ``deprecated`` with owner, reason and replacement);
- ``context/relationships.yaml``: join keys and their cardinality;
- ``context/metrics.yaml``: metrics in a MetricFlow-like shape (simple, ratio, derived), with the SQL they mean;
- ``context/rules.md``: rules always given to the agent; ``context/guides/<topic>.md``: guides by topic.

Everything is plain files kept in git; nothing here is stored in the database.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

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


class Metric(BaseModel):
    """A metric in a MetricFlow-like shape: ``simple`` (an aggregate ``sql`` over ``table``), ``ratio``
    (``numerator`` / ``denominator``, metric names) or ``derived`` (``expr`` over other metrics)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    type: Literal["simple", "ratio", "derived"] = "simple"
    table: str | None = None
    sql: str | None = None
    filter: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    expr: str | None = None
    metrics: list[str] = Field(default_factory=list)
    time_grain: str | None = None
    status: Status = "draft"
    owner: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Metric:
        needed = {"simple": ("table", "sql"), "ratio": ("numerator", "denominator"), "derived": ("expr",)}[self.type]
        missing = [name for name in needed if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.type} metric needs {' and '.join(missing)}")
        return self

    def query(self) -> str | None:
        """The SQL a simple metric means: ``SELECT <sql> FROM <table> [WHERE <filter>]``."""
        if self.type != "simple":
            return None
        where = f" WHERE {self.filter}" if self.filter else ""
        return f"SELECT {self.sql} AS {self.name} FROM {self.table}{where}"


class ContextLayer(BaseModel):
    """The whole context layer, as read from ``context/``."""

    tables: list[TableEntry] = Field(default_factory=list)
    relationships: list[Relationship] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    rules: str = ""
    guides: dict[str, str] = Field(default_factory=dict)

    def table(self, name: str) -> TableEntry | None:
        """The table called ``name`` (case folded, schema prefix optional)."""
        wanted = name.casefold()
        return next((t for t in self.tables if t.name.casefold() in (wanted, wanted.split(".")[-1])), None)

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
    for name, model in (("relationships", Relationship), ("metrics", Metric)):
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
    if problems:
        raise ImportValidationError(problems, consequence="the context was not read")
    rules = (root / "rules.md").read_text(encoding="utf-8") if (root / "rules.md").is_file() else ""
    guides = {p.stem: p.read_text(encoding="utf-8") for p in sorted((root / "guides").glob("*.md"))}
    return ContextLayer(tables=tables, relationships=lists["relationships"], metrics=lists["metrics"], rules=rules,
                        guides=guides)


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
        lines.append("## Metrics (use these definitions; do not recompute them another way)")
        for metric in context.metrics:
            definition = metric.query() or (f"{metric.numerator} / {metric.denominator}" if metric.type == "ratio"
                                            else metric.expr)
            lines.append(f"- **{metric.name}** ({metric.status}): {metric.description} `{definition}`")
        lines.append("")
    if context.rules:
        lines += ["## Rules", context.rules.strip(), ""]
    for topic, text in guides.items():
        lines += [f"## Guide: {topic}", text.strip(), ""]
    return "\n".join(lines).strip() + "\n"
