"""``context import dbt``: tables, columns and metrics from a dbt ``semantic_manifest.json`` (MetricFlow).

Each semantic model becomes a table (its ``node_relation`` alias), its entities and dimensions the columns
(primary entities unique); each metric keeps its type: ``simple`` over its measure's aggregation and
expression, ``ratio`` with numerator and denominator, ``derived`` with its ``expr`` and input metrics. Jinja
filters (``{{ Dimension('order__is_food') }} = true``) become the column they name. The manifest is read as
JSON: its shape is the one dbt documents, and ``dbt-semantic-interfaces`` would add a heavy dependency for
no field we use.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from answerkey.analytics.context import Column, Metric, TableEntry
from answerkey.errors import ImportValidationError, RowProblem
from answerkey.excerpt import clip
from answerkey.json_input import load_json
from answerkey.yaml_input import read_yaml

__all__ = ["import_dbt", "read_semantic_manifest"]

_JINJA = re.compile(r"\{\{\s*(?:Dimension|Entity|TimeDimension)\(\s*'([^']+)'[^)]*\)\s*\}\}")
_AGGREGATES = {"sum": "sum", "count": "count", "count_distinct": "count(DISTINCT {})", "average": "avg",
               "min": "min", "max": "max", "median": "median", "sum_boolean": "sum(CAST({} AS INTEGER))"}


def _filter_sql(value: Any, columns: dict[str, str]) -> str | None:
    """MetricFlow filters (a string or ``{"where_filters": [...]}``) as plain SQL conjuncts, each Jinja
    reference replaced by the column behind the dimension it names."""
    if not value:
        return None
    templates = ([f.get("where_sql_template", "") for f in value.get("where_filters", [])]
                 if isinstance(value, dict) else [str(value)])
    def column(match: re.Match[str]) -> str:
        name = match.group(1).split("__")[-1]
        return columns.get(name, name)

    conjuncts = [_JINJA.sub(column, t) for t in templates if t]
    return " AND ".join(f"({c})" for c in conjuncts) or None


def _aggregate(agg: str, expr: str) -> str:
    template = _AGGREGATES.get(agg, agg)
    return template.format(expr) if "{}" in template else f"{template}({expr})"


def read_semantic_manifest(path: str | Path) -> tuple[list[TableEntry], list[Metric]]:
    """Tables and metrics of a semantic manifest; a malformed file is one clear error."""
    path = Path(path)
    try:
        data = load_json(path.read_text(encoding="utf-8"))
        models, metrics = data["semantic_models"], data.get("metrics", [])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ImportValidationError([RowProblem(str(path), None, None, f"{type(error).__name__}: {clip(str(error))}",
                                                "a dbt semantic_manifest.json with semantic_models")],
                                    consequence="nothing was imported") from None
    tables, measures = [], {}
    dimension_columns = {d["name"]: d.get("expr") or d["name"] for m in models for d in m.get("dimensions", [])}
    for model in models:
        relation = model.get("node_relation") or {}
        table = relation.get("alias") or model["name"]
        columns = []
        for entity in model.get("entities", []):
            columns.append(Column(name=entity.get("expr") or entity["name"], description=entity.get("description")
                                  or f"{entity.get('type', '')} key".strip(), unique=entity.get("type") == "primary"))
        for dimension in model.get("dimensions", []):
            columns.append(Column(name=dimension.get("expr") or dimension["name"],
                                  description=dimension.get("description") or "",
                                  synonyms=[dimension["name"]] if dimension.get("expr") else []))
        tables.append(TableEntry(name=table, description=model.get("description") or "", status="endorsed",
                                 columns=columns))
        for measure in model.get("measures", []):
            measures[measure["name"]] = (table, _aggregate(measure.get("agg", "sum"), measure.get("expr")
                                                           or measure["name"]), measure)
    result = []
    for metric in metrics:
        params = metric.get("type_params") or {}
        kind = metric.get("type", "simple")
        common = {"name": metric["name"], "description": metric.get("description") or "", "status": "endorsed"}
        if kind in ("simple", "cumulative", "conversion"):
            reference = params.get("measure") or {}
            measure_name = reference.get("name") if isinstance(reference, dict) else reference
            if measure_name not in measures:
                continue
            table, sql, _ = measures[measure_name]
            filters = [f for f in (_filter_sql(metric.get("filter"), dimension_columns), _filter_sql(
                reference.get("filter") if isinstance(reference, dict) else None, dimension_columns)) if f]
            result.append(Metric(**common, type="simple", table=table, sql=sql,
                                 filter=" AND ".join(filters) or None))
        elif kind == "ratio":
            result.append(Metric(**common, type="ratio", numerator=(params.get("numerator") or {}).get("name"),
                                 denominator=(params.get("denominator") or {}).get("name")))
        elif kind == "derived":
            result.append(Metric(**common, type="derived", expr=params.get("expr"),
                                 metrics=[m.get("name") for m in params.get("metrics", [])]))
    return tables, result


def import_dbt(manifest: str | Path, folder: str | Path) -> tuple[list[Path], int]:
    """Write table entries not yet described and append metrics not yet defined (nothing is overwritten)."""
    tables, metrics = read_semantic_manifest(manifest)
    root = Path(folder)
    (root / "tables").mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        path = root / "tables" / f"{table.name}.yaml"
        if not path.exists():
            path.write_text(yaml.safe_dump(table.model_dump(exclude_defaults=True), sort_keys=False),
                            encoding="utf-8")
            written.append(path)
    metrics_path = root / "metrics.yaml"
    existing = read_yaml(metrics_path) if metrics_path.is_file() else []
    existing = existing or []
    if not isinstance(existing, list) or not all(isinstance(m, dict) for m in existing):
        raise ImportValidationError([RowProblem(str(metrics_path), None, None, type(existing).__name__,
                                                "a list of metrics")], consequence="nothing was imported")
    known = {m.get("name") for m in existing}
    added = [m.model_dump(exclude_defaults=True) for m in metrics if m.name not in known]
    if added:
        metrics_path.write_text(yaml.safe_dump(existing + added, sort_keys=False), encoding="utf-8")
    return written, len(added)
