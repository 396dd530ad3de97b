"""The prediction log and its outcomes: column mapping, validation, and the join, as Ibis expressions.

A prediction log has one row per prediction: its id, when it was made, the model and version that made it,
the predicted label and/or score (or one probability column per class), and any feature and segment columns.
Outcomes arrive later, one row per prediction: its id, the outcome, and when the outcome was observed. They
may also be columns of the prediction log itself (pass no ``outcomes``); a missing outcome means "not yet".

:func:`load_prediction_log` puts both on one engine, renames the mapped columns to the canonical names below,
checks the data in the engine (a handful of aggregate queries, no rows pulled) and left-joins the outcomes to
the predictions. Everything downstream (label lag, realized performance) reads the joined table.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from answerkey.errors import ImportValidationError, ParameterError, RowProblem
from answerkey.monitoring.engines import as_table, connect, table_backend
from answerkey.monitoring.log_checks import CONSEQUENCE, check_inputs, check_not_empty

__all__ = ["CANONICAL", "ColumnMap", "PredictionLog", "load_prediction_log", "timestamp_literal"]

CANONICAL = ("prediction_id", "model", "model_version", "predicted_at", "prediction", "score", "outcome",
             "observed_at")
"""The canonical column names of a joined log, in order; the mapped columns are renamed to these."""

_OPTIONAL = ("model", "model_version", "prediction", "score")


@dataclass(frozen=True)
class ColumnMap:
    """Which input column holds each canonical field; the defaults are the canonical names.

    ``model``, ``model_version``, ``prediction`` and ``score`` are optional: left at their default and absent
    from the data, they are simply not used; mapped to another name, they must exist; mapped to None, they are
    not used even when present. A log needs a ``prediction`` (the predicted label or value), a ``score`` (the
    probability of the positive class) or ``class_scores`` (class label -> the column with its probability,
    for multiclass ROC AUC, log loss and calibration).
    """

    prediction_id: str = "prediction_id"
    model: str | None = "model"
    model_version: str | None = "model_version"
    predicted_at: str = "predicted_at"
    prediction: str | None = "prediction"
    score: str | None = "score"
    outcome: str = "outcome"
    observed_at: str = "observed_at"
    class_scores: Mapping[Any, str] = field(default_factory=dict)

    def explicit(self, name: str) -> bool:
        """True when the field ``name`` was mapped to another column than its default (None is no column)."""
        return getattr(self, name) not in (name, None)


@dataclass(frozen=True)
class PredictionLog:
    """Predictions left-joined to their outcomes, as an Ibis table on ``con``, ready for monitoring.

    ``table`` has the canonical columns that exist (see :data:`CANONICAL`), the ``class_scores`` columns,
    and every other prediction column (features, segments) under its own name. ``source`` names the inputs
    in messages; ``optional`` lists the optional canonical columns present. ``predictions`` is ``table``
    before the outcomes were joined (the same rows, without ``outcome`` and ``observed_at`` when those came
    from another table): passes that read no outcome read it, and the engine skips the join.
    """

    table: Any
    con: Any
    columns: ColumnMap
    source: str
    optional: frozenset[str]
    extra: tuple[str, ...]
    predictions: Any = None

    def inputs_known_by(self, as_of: Any = None) -> Any:
        """The predictions made by ``as_of`` without their outcomes (:meth:`known_by` without the join)."""
        table = self.table if self.predictions is None else self.predictions
        if as_of is None:
            return table
        return table.filter(table.predicted_at <= timestamp_literal(as_of))

    def known_by(self, as_of: Any = None) -> Any:
        """The log as it stood at ``as_of``: only the predictions made by then (all of them without ``as_of``).

        Outcomes observed later are left out by :meth:`labelled` with the same ``as_of``.
        """
        if as_of is None:
            return self.table
        return self.table.filter(self.table.predicted_at <= timestamp_literal(as_of))

    def labelled(self, table: Any = None, as_of: Any = None) -> Any:
        """The Ibis condition "this prediction's outcome had arrived" (by ``as_of``, when given).

        ``table`` is the log's table or one derived from it (default: the log's table): the condition is
        built on the table the query reads.
        """
        table = self.table if table is None else table
        condition = table.outcome.notnull()
        if as_of is not None:
            condition &= table.observed_at <= timestamp_literal(as_of)
        return condition

    def execute(self, expr: Any) -> pd.DataFrame:
        """Run an expression on the log's engine and return the (small) result as a pandas frame."""
        result = self.con.execute(expr)
        return result if isinstance(result, pd.DataFrame) else pd.DataFrame(result)


def timestamp_literal(value: Any, name: str = "as_of") -> Any:
    """A naive-UTC Ibis timestamp literal from a datetime, pandas Timestamp or ISO 8601 text (``name`` for errors).

    >>> timestamp_literal("2024-05-01T12:00:00+02:00").op().value
    datetime.datetime(2024, 5, 1, 10, 0)
    """
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError.invalid(name, "a datetime or ISO 8601 text", value) from exc
    if pd.isna(stamp):
        raise ParameterError.invalid(name, "a datetime or ISO 8601 text", value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return ibis.literal(stamp.to_pydatetime(), type="timestamp")


def load_prediction_log(
    predictions: Any,
    outcomes: Any = None,
    *,
    columns: ColumnMap | None = None,
    engine: Any = None,
    model: str | None = None,
    model_version: str | None = None,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    validate: bool = True,
) -> PredictionLog:
    """Put a prediction log and its outcomes on an engine, check them, and join them.

    Parameters
    ----------
    predictions, outcomes : path, Ibis table or frame
        Parquet or CSV paths (read in place by the engine), Ibis tables, or pandas/polars/pyarrow frames.
        Without ``outcomes``, the outcome and observed_at columns are read from ``predictions``.
    columns : ColumnMap, optional
        Which column holds each field; the defaults are the canonical names.
    engine : str or Ibis backend, optional
        ``"duckdb"``, ``"spark"``, a DuckDB file, an Ibis URL or a connection (see
        :mod:`answerkey.monitoring.engines`). Default: the connection of ``predictions`` when it is an Ibis
        table, else DuckDB in memory.
    model, model_version : str, optional
        Keep only the predictions of this model (and version).
    start, end : datetime or ISO 8601 text, optional
        Keep only the predictions made at or after ``start`` and before ``end``.
    validate : bool
        Check the data in the engine (default). Turn off only for data already checked.

    Raises
    ------
    ImportValidationError
        A mapped column is missing or has the wrong type, prediction ids repeat (in the predictions or in the
        outcomes), an outcome's prediction id has no prediction, an outcome has no observed_at or was observed
        before its prediction, or there are no predictions; the message names the input, the column and a few
        examples, and counts them all.
    ParameterError
        The filters (model, version, start, end) leave no predictions: an empty window.
    """
    mapping = columns or ColumnMap()
    con = connect(engine) if engine is not None else _engine_of(predictions)
    preds = _conform(as_table(predictions, con, what="predictions"), mapping, _describe(predictions, "predictions"),
                     with_outcomes=outcomes is None)
    source = _describe(predictions, "predictions")
    outs = None
    if outcomes is not None:
        outs = _conform(as_table(outcomes, con, what="outcomes"), mapping, _describe(outcomes, "outcomes"),
                        outcome_table=True)
        source += f" + {_describe(outcomes, 'outcomes')}"
        _check_key_types(preds, outs, mapping)
    by_model = _filter_models(preds, model, model_version)
    filtered = _filter_times(by_model, start, end)
    if validate:
        filters = {"model": model, "model_version": model_version, "start": start, "end": end}
        if any(value is not None for value in filters.values()):
            check_not_empty(con, filtered, preds, source, filters)
        check_inputs(con, by_model, preds, outs, mapping,
                     (_describe(predictions, "predictions"), _describe(outcomes, "outcomes")))
    joined = filtered
    if outs is not None:
        joined = filtered.left_join(outs, "prediction_id").select(
            *filtered.columns, outcome=outs.outcome, observed_at=outs.observed_at)
    _check_value_types(joined, mapping, source)
    optional = frozenset(name for name in _OPTIONAL if name in joined.columns)
    extra = tuple(name for name in joined.columns if name not in CANONICAL
                  and name not in mapping.class_scores.values())
    return PredictionLog(table=joined, con=con, columns=mapping, source=source, optional=optional, extra=extra,
                         predictions=filtered)


def _engine_of(predictions: Any) -> Any:
    """The connection of an Ibis table, else DuckDB in memory."""
    backend = table_backend(predictions) if hasattr(predictions, "get_backend") else None
    return backend if backend is not None else connect("duckdb")


def _describe(data: Any, what: str) -> str:
    """How an input is named in messages: its path, or what it is."""
    return str(data) if isinstance(data, str | Path) else what


def _conform(table: Any, mapping: ColumnMap, name: str, *, with_outcomes: bool = False,
             outcome_table: bool = False) -> Any:
    """Check the mapped columns exist and have usable types; rename them to the canonical names."""
    if outcome_table:
        wanted: tuple[str, ...] = ("prediction_id", "outcome", "observed_at")
    else:
        wanted = ("prediction_id", "predicted_at") + (("outcome", "observed_at") if with_outcomes else ())
    present = set(table.columns)
    problems = [_missing(name, field_name, getattr(mapping, field_name), table.columns)
                for field_name in wanted if getattr(mapping, field_name) not in present]
    optional: list[str] = []
    if not outcome_table:
        for field_name in _OPTIONAL:
            column = getattr(mapping, field_name)
            if column is None:
                continue
            if column in present:
                optional.append(field_name)
            elif mapping.explicit(field_name):
                problems.append(_missing(name, field_name, column, table.columns))
        problems += [_missing(name, f"class_scores[{label!r}]", column, table.columns)
                     for label, column in mapping.class_scores.items() if column not in present]
        if not {"prediction", "score"} & set(optional) and not mapping.class_scores:
            problems.append(RowProblem(name, None, None, "no prediction, score or class score column",
                                       "a predicted label or value (prediction), a score, or class_scores"))
    mapped = {getattr(mapping, f) for f in (*wanted, *optional)} | set(mapping.class_scores.values())
    if outcome_table:  # only the mapped columns of the outcomes are used; the rest may have any name
        table = table.select(*[getattr(mapping, f) for f in wanted]) if not problems else table
    else:
        unused = [f for f in _OPTIONAL if getattr(mapping, f) is None and f in present and f not in mapped]
        table = table.drop(*unused) if unused else table  # mapped to None: not used, even under its own name
        problems += [RowProblem(name, None, c, "an unmapped column with a canonical name",
                                "the column mapped to it, or no such column (rename or drop it)")
                     for c in table.columns if c in CANONICAL and c not in mapped]
    if problems:
        raise ImportValidationError(problems, consequence=CONSEQUENCE)
    renamed = table.rename({f: getattr(mapping, f) for f in (*wanted, *optional) if getattr(mapping, f) != f})
    return _timestamps(renamed, name, mapping, [f for f in ("predicted_at", "observed_at") if f in renamed.columns])


def _missing(name: str, field_name: str, column: str, available: Any) -> RowProblem:
    """The problem "the mapped column is not there", with the columns that are and a close match."""
    names = [str(c) for c in available]
    close = difflib.get_close_matches(column, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    shown = ", ".join(names[:15]) + (", ..." if len(names) > 15 else "")
    return RowProblem(name, None, column, f"no such column{hint}; the columns are {shown}",
                      f"the {field_name} column (map another with ColumnMap({field_name.split('[')[0]}=...))")


def _timestamps(table: Any, name: str, mapping: ColumnMap, time_columns: list[str]) -> Any:
    """Time columns as timestamps: text and dates are cast in the engine; anything else is refused."""
    casts = {}
    for column in time_columns:
        dtype = table[column].type()
        if dtype.is_timestamp():
            continue
        if dtype.is_string() or dtype.is_date():
            casts[column] = table[column].cast("timestamp")
            continue
        raise ImportValidationError([RowProblem(name, None, getattr(mapping, column), f"type {dtype}",
                                                "a timestamp (or ISO 8601 text)")], consequence=CONSEQUENCE)
    return table.mutate(**casts) if casts else table


def _check_key_types(preds: Any, outs: Any, mapping: ColumnMap) -> None:
    """Prediction ids of both inputs must be of comparable types to be joined."""
    left, right = preds.prediction_id.type(), outs.prediction_id.type()
    if _kind(left) != _kind(right):
        raise ImportValidationError([RowProblem("outcomes", None, mapping.prediction_id, f"type {right}",
                                                f"the type of the predictions' prediction ids ({left})")],
                                    consequence=CONSEQUENCE)


def _check_value_types(joined: Any, mapping: ColumnMap, name: str) -> None:
    """Predicted labels must compare with outcomes; scores must be numbers."""
    problems = []
    kinds = {_kind(joined[c].type()) for c in ("prediction", "outcome") if c in joined.columns} - {"null"}
    if len(kinds) > 1:
        problems.append(RowProblem(name, None, mapping.outcome, f"type {joined.outcome.type()}",
                                   f"the type of the predictions ({joined.prediction.type()})"))
    scores = {"score": mapping.score} if "score" in joined.columns else {}
    scores |= {column: column for column in mapping.class_scores.values()}
    problems += [RowProblem(name, None, original, f"type {joined[column].type()}", "numbers (probabilities)")
                 for column, original in scores.items() if not joined[column].type().is_numeric()]
    if problems:
        raise ImportValidationError(problems, consequence=CONSEQUENCE)


def _kind(dtype: Any) -> str:
    """Coarse type kind for comparability: numbers (and booleans) compare with numbers, text with text."""
    if dtype.is_null():
        return "null"
    if dtype.is_numeric() or dtype.is_boolean():
        return "number"
    return "text" if dtype.is_string() else str(dtype)


def _filter_models(preds: Any, model: str | None, model_version: str | None) -> Any:
    """Only the predictions of one model (and version)."""
    for name, value in (("model", model), ("model_version", model_version)):
        if value is None:
            continue
        if name not in preds.columns:
            raise ParameterError(f"{name}={value!r} was given but the predictions have no {name} column")
        preds = preds.filter(preds[name] == value)
    return preds


def _filter_times(preds: Any, start: Any, end: Any) -> Any:
    """Only the predictions made in [start, end)."""
    if start is not None:
        preds = preds.filter(preds.predicted_at >= timestamp_literal(start, "start"))
    if end is not None:
        preds = preds.filter(preds.predicted_at < timestamp_literal(end, "end"))
    return preds
