"""Checks of a prediction log and its outcomes, run in the engine: a few aggregates, a few examples each.

Each check counts its problem in the engine and fetches at most :data:`EXAMPLES` examples, so a log of any
size is checked without pulling it. :func:`check_inputs` runs them all and raises one
:class:`~answerkey.errors.ImportValidationError` listing every problem found: predictions or outcomes without
a prediction id, predictions without a time, repeated prediction ids (in the predictions or in the
outcomes), outcomes whose prediction id has no prediction, outcomes without an observation time, and
outcomes observed before their prediction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from answerkey.errors import ImportValidationError, ParameterError, RowProblem

if TYPE_CHECKING:
    from answerkey.monitoring.inputs import ColumnMap

__all__ = ["CONSEQUENCE", "EXAMPLES", "check_inputs", "check_not_empty"]

EXAMPLES = 5
"""How many examples of each problem the checks fetch from the engine (all are counted)."""

CONSEQUENCE = "the prediction log was not loaded"
"""What the error says happened."""


def check_not_empty(con: Any, filtered: Any, unfiltered: Any, source: str, filters: dict[str, Any]) -> None:
    """Filters that leave no prediction are an error that says which filters and what the log does cover."""
    if int(con.execute(filtered.count())) > 0:
        return
    span = _one_row(con, unfiltered.agg(first=unfiltered.predicted_at.min(), last=unfiltered.predicted_at.max()))
    given = ", ".join(f"{name}={str(value)!r}" for name, value in filters.items() if value is not None)
    raise ParameterError(f"no predictions in {source} match {given}; the predictions run from "
                         f"{span['first']} to {span['last']}")


def check_inputs(con: Any, preds: Any, raw_preds: Any, outs: Any, mapping: ColumnMap,
                  names: tuple[str, str]) -> None:
    """Every check of the data, in the engine; one error listing a few examples of each problem found."""
    pname, oname = names
    stats = _one_row(con, preds.agg(rows=preds.count(), null_ids=preds.count(where=preds.prediction_id.isnull()),
                                     null_times=preds.count(where=preds.predicted_at.isnull())))
    if stats["rows"] == 0:
        empty = RowProblem(pname, None, None, "no predictions", "at least one prediction")
        raise ImportValidationError([empty], consequence=CONSEQUENCE)
    found: list[tuple[list[RowProblem], int]] = [
        _count_problem(pname, mapping.prediction_id, stats["null_ids"], "predictions without a prediction id",
                       "a prediction id on every prediction"),
        _count_problem(pname, mapping.predicted_at, stats["null_times"], "predictions without a predicted_at",
                       "the time of every prediction"),
        _duplicates(con, preds, pname, mapping),
    ]
    outcome_rows, outcome_name = (preds, pname) if outs is None else (outs, oname)
    stats = _one_row(con, outcome_rows.agg(
        null_ids=outcome_rows.count(where=outcome_rows.prediction_id.isnull()),
        no_time=outcome_rows.count(where=outcome_rows.outcome.notnull() & outcome_rows.observed_at.isnull())))
    found.append(_count_problem(outcome_name, mapping.observed_at, stats["no_time"], "outcomes without an observed_at",
                                "the time each outcome was observed"))
    joined = preds
    if outs is not None:
        found.append(_count_problem(oname, mapping.prediction_id, stats["null_ids"],
                                    "outcomes without a prediction id", "a prediction id on every outcome"))
        found.append(_duplicates(con, outs, oname, mapping))
        found.append(_orphans(con, outs, raw_preds, oname, mapping))
        joined = preds.inner_join(outs, "prediction_id")
    found.append(_early_outcomes(con, joined, outcome_name, mapping))
    problems = [problem for examples, _ in found for problem in examples]
    if problems:
        raise ImportValidationError(problems, total=sum(count for _, count in found), consequence=CONSEQUENCE)


def _one_row(con: Any, expr: Any) -> dict[str, Any]:
    """The single row of an aggregate, as a dict of Python values."""
    frame = con.execute(expr)
    return {name: frame[name].iloc[0] for name in frame.columns}


def _count_problem(name: str, column: str, count: Any, found: str, expected: str) -> tuple[list[RowProblem], int]:
    """A problem counted in the engine, with no examples to show (for null cells)."""
    count = int(count)
    return ([RowProblem(name, None, column, f"{count} {found}", expected)] if count else []), count


def _examples(con: Any, expr: Any, order: list[Any]) -> tuple[pd.DataFrame, int]:
    """How many rows ``expr`` has, and the first few of them in ``order``."""
    count = int(con.execute(expr.count()))
    if not count:
        return pd.DataFrame(), 0
    return con.execute(expr.order_by(order).limit(EXAMPLES)), count


def _duplicates(con: Any, table: Any, name: str, mapping: ColumnMap) -> tuple[list[RowProblem], int]:
    """Prediction ids that occur more than once (counted as distinct ids), with the most repeated first."""
    kept = table.filter(table.prediction_id.notnull())
    counts = kept.group_by("prediction_id").agg(times=kept.count())
    frame, count = _examples(con, counts.filter(counts.times > 1), [ibis.desc("times"), "prediction_id"])
    return [RowProblem(name, None, mapping.prediction_id, f"prediction id {row.prediction_id!r} {row.times} times",
                       "each prediction id once") for row in frame.itertuples()], count


def _orphans(con: Any, outs: Any, preds: Any, name: str, mapping: ColumnMap) -> tuple[list[RowProblem], int]:
    """Outcomes whose prediction id is not in the prediction log."""
    orphans = outs.filter(outs.prediction_id.notnull()).anti_join(preds, "prediction_id")
    frame, count = _examples(con, orphans.select("prediction_id"), ["prediction_id"])
    return [RowProblem(name, None, mapping.prediction_id,
                       f"an outcome for prediction id {row.prediction_id!r}, which has no prediction",
                       "outcomes only for predictions in the log") for row in frame.itertuples()], count


def _early_outcomes(con: Any, joined: Any, name: str, mapping: ColumnMap) -> tuple[list[RowProblem], int]:
    """Outcomes observed before their prediction was made: a clock or join problem, or leakage."""
    early = joined.filter(joined.observed_at < joined.predicted_at).select("prediction_id", "predicted_at",
                                                                           "observed_at")
    frame, count = _examples(con, early, ["prediction_id"])
    return [RowProblem(name, None, mapping.observed_at,
                       f"prediction id {row.prediction_id!r} observed at {row.observed_at} before its prediction "
                       f"at {row.predicted_at}", "an outcome observed at or after its prediction")
            for row in frame.itertuples()], count
