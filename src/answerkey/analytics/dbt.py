"""``context import dbt``: a dbt ``semantic_manifest.json`` (MetricFlow) as the context layer, meaning kept.

Each semantic model is written as it is (entities, dimensions with their type and granularity, measures with
their aggregation, expression, ``agg_time_dimension`` and non-additive dimension) to ``semantic_models.yaml``, and
as a described table under ``tables/`` (the relation's schema kept); shared entities become join paths in
``relationships.yaml``; every metric keeps its type and parameters (filters as their Jinja templates, input
aliases, offsets, cumulative windows, conversion parameters); the project's time spine becomes
``time_spine.yaml``. What has no place in the context layer is listed in the result's ``unmapped``, never dropped
silently. The manifest is read as JSON (the shape dbt documents), so the dbt packages are not needed at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from answerkey.analytics.context import Column, Relationship, TableEntry
from answerkey.analytics.metric_model import Metric
from answerkey.analytics.semantic_model import GRAINS, SemanticModel, TimeSpine
from answerkey.errors import ImportValidationError, RowProblem
from answerkey.excerpt import clip
from answerkey.json_input import load_json
from answerkey.yaml_input import read_yaml

__all__ = ["ManifestImport", "import_dbt", "read_semantic_manifest"]

_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class ManifestImport:
    """What a semantic manifest maps to, and what it holds that the context layer cannot carry."""

    tables: list[TableEntry] = field(default_factory=list)
    semantic_models: list[SemanticModel] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    time_spine: TimeSpine | None = None
    unmapped: list[str] = field(default_factory=list)


def _window(value: Any) -> str | None:
    """``{"count": 7, "granularity": "day"}`` (or the text ``'7 days'``) as ``'7 days'``."""
    if not value:
        return None
    if isinstance(value, dict):
        count = value.get("count")
        return f"{count} {value.get('granularity')}{'' if count == 1 else 's'}"
    return str(value)


def _filter(value: Any) -> str | list[str] | None:
    """MetricFlow filters (a string, or ``{"where_filters": [{"where_sql_template": ...}]}``) as templates."""
    if not value:
        return None
    if isinstance(value, dict):
        templates = [f.get("where_sql_template", "") for f in value.get("where_filters", []) if f]
        templates = [t for t in templates if t]
        return templates[0] if len(templates) == 1 else (templates or None)
    return str(value)


def _measure_input(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    if isinstance(value, str):
        return {"name": value}
    out = {"name": value.get("name"), "filter": _filter(value.get("filter")), "alias": value.get("alias"),
           "join_to_timespine": bool(value.get("join_to_timespine")), "fill_nulls_with": value.get("fill_nulls_with")}
    return {k: v for k, v in out.items() if v is not None and v is not False}  # keeps fill_nulls_with: 0


def _metric_input(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"name": value}
    out = {"name": value.get("name"), "alias": value.get("alias"), "filter": _filter(value.get("filter")),
           "offset_window": _window(value.get("offset_window")), "offset_to_grain": value.get("offset_to_grain")}
    return {k: v for k, v in out.items() if v is not None}


def _semantic_model(model: dict[str, Any], unmapped: list[str]) -> dict[str, Any]:
    name = model["name"]
    relation = model.get("node_relation") or {}
    schema = relation.get("schema_name")
    table = relation.get("alias") or name
    if model.get("primary_entity"):
        unmapped.append(f"semantic model {name}: primary_entity {model['primary_entity']!r} (an entity without a "
                        "column) has no place in the context layer; its dimensions are reached through its entities")
    entities = []
    for entity in model.get("entities", []):
        if entity.get("role"):
            unmapped.append(f"semantic model {name}: entity {entity['name']} role {entity['role']!r} is not kept")
        entities.append({k: v for k, v in {"name": entity["name"], "type": entity.get("type"),
                                           "expr": entity.get("expr"), "description": entity.get("description"),
                                           "label": entity.get("label")}.items() if v})
    dimensions = []
    for dimension in model.get("dimensions", []):
        params = dimension.get("type_params") or {}
        if params.get("validity_params"):
            unmapped.append(f"semantic model {name}: dimension {dimension['name']} is a validity window "
                            "(slowly changing dimension), which metrics query does not join by")
        grain = params.get("time_granularity")
        if grain is not None and str(grain).lower() not in GRAINS:
            unmapped.append(f"semantic model {name}: dimension {dimension['name']} has granularity {grain}; "
                            f"metrics query groups it from a day up ({', '.join(GRAINS)})")
            grain = "day"
        dimensions.append({k: v for k, v in {
            "name": dimension["name"], "type": dimension.get("type", "categorical").lower(),
            "expr": dimension.get("expr"), "granularity": grain.lower() if isinstance(grain, str) else grain,
            "description": dimension.get("description"), "label": dimension.get("label")}.items() if v})
    measures = []
    for measure in model.get("measures", []):
        params = measure.get("agg_params") or {}
        nad = measure.get("non_additive_dimension")
        measures.append({k: v for k, v in {
            "name": measure["name"], "agg": measure.get("agg", "sum"), "expr": measure.get("expr"),
            "percentile": params.get("percentile"), "use_discrete_percentile": params.get("use_discrete_percentile"),
            "agg_time_dimension": measure.get("agg_time_dimension"), "description": measure.get("description"),
            "label": measure.get("label"),
            "non_additive_dimension": {k2: v2 for k2, v2 in {
                "name": nad.get("name"), "window_choice": nad.get("window_choice"),
                "window_groupings": nad.get("window_groupings")}.items() if v2} if nad else None}.items() if v})
    return {k: v for k, v in {
        "name": name, "table": f"{schema}.{table}" if schema else table, "description": model.get("description"),
        "label": model.get("label"), "agg_time_dimension": (model.get("defaults") or {}).get("agg_time_dimension"),
        "entities": entities, "dimensions": dimensions, "measures": measures}.items() if v}


def _metric(metric: dict[str, Any]) -> dict[str, Any]:
    params = metric.get("type_params") or {}
    kind = str(metric.get("type", "simple")).lower()
    out: dict[str, Any] = {"name": metric["name"], "label": metric.get("label"),
                           "description": metric.get("description"), "type": kind, "status": "endorsed",
                           "filter": _filter(metric.get("filter"))}
    if kind in ("simple", "cumulative"):
        out["measure"] = _measure_input(params.get("measure"))
    if kind == "cumulative":
        cumulative = params.get("cumulative_type_params") or {}
        out["window"] = _window(cumulative.get("window") or params.get("window"))
        out["grain_to_date"] = cumulative.get("grain_to_date") or params.get("grain_to_date")
        out["period_agg"] = cumulative.get("period_agg")
    elif kind == "ratio":
        out["numerator"] = _metric_input(params.get("numerator"))
        out["denominator"] = _metric_input(params.get("denominator"))
    elif kind == "derived":
        out["expr"] = params.get("expr")
        out["metrics"] = [_metric_input(m) for m in params.get("metrics") or []]
    elif kind == "conversion":
        conversion = params.get("conversion_type_params") or {}
        out["conversion"] = {k: v for k, v in {
            "base_measure": _measure_input(conversion.get("base_measure")),
            "conversion_measure": _measure_input(conversion.get("conversion_measure")),
            "entity": conversion.get("entity"), "calculation": conversion.get("calculation"),
            "window": _window(conversion.get("window")),
            "constant_properties": conversion.get("constant_properties")}.items() if v}
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def _relationships(models: list[SemanticModel], unmapped: list[str]) -> list[Relationship]:
    """A join path for every entity one model holds and another identifies."""
    found: dict[frozenset[str], Relationship] = {}
    for near in models:
        for entity in near.entities:
            for far in models:
                other = far.entity(entity.name)
                if far is near or other is None or not other.identifies:
                    continue
                if not (_COLUMN.match(entity.sql) and _COLUMN.match(other.sql)):
                    unmapped.append(f"entity {entity.name}: {near.name} joins {far.name} on an expression, which "
                                    "relationships.yaml cannot hold (metrics query still joins it)")
                    continue
                left, right = f"{near.table}.{entity.sql}", f"{far.table}.{other.sql}"
                one = entity.identifies
                found.setdefault(frozenset((left, right)), Relationship(
                    left=left, right=right, cardinality="one_to_one" if one else "many_to_one"))
    return list(found.values())


def _table(model: SemanticModel) -> TableEntry:
    columns: dict[str, Column] = {}
    for entity in model.entities:
        if _COLUMN.match(entity.sql):
            columns.setdefault(entity.sql, Column(name=entity.sql, description=entity.description or
                                                  f"{entity.type} key of entity {entity.name}",
                                                  unique=entity.type in ("primary", "unique")))
    for dimension in model.dimensions:
        if _COLUMN.match(dimension.sql):
            grain = f" ({dimension.granularity} grain)" if dimension.type == "time" else ""
            columns.setdefault(dimension.sql, Column(
                name=dimension.sql, description=((dimension.description or dimension.label or "") + grain).strip(),
                synonyms=[dimension.name] if dimension.sql != dimension.name else []))
    return TableEntry(name=model.table, description=model.description or model.label or "", status="endorsed",
                      columns=list(columns.values()))


def _time_spine(configuration: dict[str, Any], unmapped: list[str]) -> TimeSpine | None:
    """The project's day spine: from ``time_spines`` (the one whose primary column has day grain), or from the
    older ``time_spine_table_configurations``."""
    spines = configuration.get("time_spines") or []
    days = [s for s in spines if str((s.get("primary_column") or {}).get("time_granularity") or "day").lower()
            == "day"]
    if len(spines) > len(days[:1]):
        unmapped.append(f"{len(spines) - len(days[:1])} time spine(s) at other grains are not kept; only the day "
                        "spine is")
    if days:
        relation, column = days[0].get("node_relation") or {}, days[0].get("primary_column") or {}
        schema = relation.get("schema_name")
        return TimeSpine(table=f"{schema}.{relation['alias']}" if schema else relation["alias"],
                         column=column.get("name", "date_day"))
    legacy = [s for s in configuration.get("time_spine_table_configurations") or []
              if str(s.get("grain") or "day").lower() == "day"]
    if legacy:
        return TimeSpine(table=legacy[0]["location"], column=legacy[0].get("column_name") or "date_day")
    return None


def _problem(path: Path, where: str, found: object, expected: str) -> RowProblem:
    return RowProblem(str(path), None, where, clip(repr(found) if not isinstance(found, str) else found), expected)


def read_semantic_manifest(path: str | Path) -> ManifestImport:
    """Everything a semantic manifest means for the context layer; a malformed file is one clear error."""
    path = Path(path)
    try:
        data = load_json(path.read_text(encoding="utf-8"))
        models, metrics = data["semantic_models"], data.get("metrics") or []
        if not isinstance(models, list) or not isinstance(metrics, list):
            raise TypeError("semantic_models and metrics must be lists")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ImportValidationError([RowProblem(str(path), None, None, f"{type(error).__name__}: {clip(str(error))}",
                                                "a dbt semantic_manifest.json with semantic_models")],
                                    consequence="nothing was imported") from None
    result, problems = ManifestImport(), list[RowProblem]()
    for where, entries in (("semantic_models", models), ("metrics", metrics)):
        for entry in entries:
            try:
                if where == "semantic_models":
                    result.semantic_models.append(SemanticModel.model_validate(_semantic_model(entry,
                                                                                               result.unmapped)))
                else:
                    result.metrics.append(Metric.model_validate(_metric(entry)))
            except ValidationError as error:
                name = entry.get("name") if isinstance(entry, dict) else None
                problems.extend(_problem(path, ".".join([where, str(name), *map(str, issue["loc"])]),
                                         issue.get("input"), issue["msg"]) for issue in error.errors())
            except (KeyError, TypeError, AttributeError) as error:
                problems.append(_problem(path, where, f"{type(error).__name__}: {error}",
                                         "a dbt semantic manifest entry"))
    if problems:
        raise ImportValidationError(problems, consequence="nothing was imported")
    result.tables = [_table(m) for m in result.semantic_models]
    result.relationships = _relationships(result.semantic_models, result.unmapped)
    result.time_spine = _time_spine(data.get("project_configuration") or {}, result.unmapped)
    if (data.get("saved_queries") or []):
        result.unmapped.append(f"{len(data['saved_queries'])} saved queries are not imported")
    return result


def _merge_list(path: Path, new: list[dict[str, Any]], key: Any) -> int:
    """Append entries whose key is not yet in the YAML list at ``path``; nothing already there is changed."""
    existing = read_yaml(path) if path.is_file() else []
    existing = existing or []
    if not isinstance(existing, list) or not all(isinstance(m, dict) for m in existing):
        raise ImportValidationError([RowProblem(str(path), None, None, type(existing).__name__, "a list")],
                                    consequence="nothing was imported")
    known = {key(m) for m in existing}
    added = [m for m in new if key(m) not in known]
    if added:
        path.write_text(yaml.safe_dump(existing + added, sort_keys=False), encoding="utf-8")
    return len(added)


def import_dbt(manifest: str | Path, folder: str | Path) -> tuple[list[Path], int, list[str]]:
    """Write what the context does not hold yet (tables, semantic models, relationships, metrics, the time spine)
    and never overwrite what it does. Returns the table files written, the metrics added and what was not
    mapped."""
    found = read_semantic_manifest(manifest)
    root = Path(folder)
    (root / "tables").mkdir(parents=True, exist_ok=True)
    written = []
    for table in found.tables:
        path = root / "tables" / f"{table.name}.yaml"
        if not path.exists():
            path.write_text(yaml.safe_dump(table.model_dump(exclude_defaults=True), sort_keys=False),
                            encoding="utf-8")
            written.append(path)

    def dump(model: BaseModel) -> dict[str, Any]:
        return model.model_dump(exclude_defaults=True, exclude_none=True)

    _merge_list(root / "semantic_models.yaml", [dump(m) for m in found.semantic_models], lambda m: m.get("name"))
    _merge_list(root / "relationships.yaml", [dump(r) for r in found.relationships],
                lambda r: frozenset((r.get("left"), r.get("right"))))
    added = _merge_list(root / "metrics.yaml", [dump(m) for m in found.metrics], lambda m: m.get("name"))
    spine_path = root / "time_spine.yaml"
    if found.time_spine is not None and not spine_path.exists():
        spine_path.write_text(yaml.safe_dump(dump(found.time_spine), sort_keys=False), encoding="utf-8")
    return written, added, found.unmapped
