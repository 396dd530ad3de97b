"""Feedback loops: labels whose existence or value depends on the deployed model's own decisions.

A deployed model decides which items people look at, so the labels that come back are not a sample of the traffic,
and a label source may be fed the model's output. Three checks over a prediction log and the labels, each returning
``Finding`` objects that state the evidence and what it would bias:

- ``labels.selective_labels``: whether an item got a label depends on whether the model flagged it (labelled share
  of flagged against unflagged items, overall and per segment) [1]_;
- ``labels.deployment_shift``: the label rate (share of predictions that got a label) or the positive-label share
  moved at the deployment date;
- ``labels.source_copies_model``: a label source agrees with the model's prediction more than with the trusted
  labels on the items where all three exist (a labeling function that reads the model's score, annotators shown
  the prediction).

This module reads and checks the inputs and builds the checks' tables. The statistics behind them (chi-square test,
Newcombe and Katz intervals, Agresti-Min margin with the exact McNemar test, Holm's correction) and the rule that
makes a row alert are in :mod:`answerkey.quality.feedback_stats`; the findings' texts and evidence in
:mod:`answerkey.quality.feedback_findings`.

References
----------
.. [1] H. Lakkaraju, J. Kleinberg, J. Leskovec, J. Ludwig and S. Mullainathan, "The selective labels problem:
   evaluating algorithmic predictions in the presence of unobservables", KDD 2017.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.findings import Finding, Severity
from answerkey.jsonable import records
from answerkey.quality.feedback_findings import (
    COPIES,
    DEPLOYMENT,
    SELECTIVE,
    copies_finding,
    deployment_finding,
    selective_findings,
)
from answerkey.quality.feedback_stats import (
    AgreementMargin,
    CheckSettings,
    ProportionComparison,
    agreement_margin,
    check_settings,
    compare_proportions,
    compared_row,
    with_alerts,
)
from answerkey.timestamps import parse_timestamps

__all__ = [
    "CHECKS",
    "AgreementMargin",
    "FeedbackReport",
    "ProportionComparison",
    "agreement_margin",
    "compare_proportions",
    "feedback_check",
]

CHECKS = (SELECTIVE, DEPLOYMENT, COPIES)
"""The finding names this module produces, in the order the checks run."""
EFFECTS = ["difference", "difference_low", "difference_high", "ratio", "ratio_low", "ratio_high", "chi2", "p_value",
           "p_adjusted", "tested", "material", "alert"]
SELECTIVE_COLUMNS = ["scope", "segment", "flagged_items", "flagged_labelled", "flagged_share", "unflagged_items",
                     "unflagged_labelled", "unflagged_share", *EFFECTS]
DEPLOYMENT_COLUMNS = ["metric", "before_total", "before_count", "before_share", "after_total", "after_count",
                      "after_share", *EFFECTS]
SOURCE_COLUMNS = ["source", "items", "agree_model", "agree_trusted", "model_accuracy", "margin", "margin_low",
                  "margin_high", "model_only", "trusted_only", "p_value", "p_adjusted", "tested", "material", "alert"]


@dataclass(frozen=True)
class FeedbackReport:
    """The three checks' tables, the findings, and a summary of what was compared.

    ``selective_labels``: one row for all items (``scope`` ``all``) and one per segment (``scope`` ``segment``):
    ``flagged_items``, ``flagged_labelled``, ``flagged_share`` and the same for ``unflagged``; ``difference`` and
    ``ratio`` are flagged against unflagged. ``deployment``: one row per ``metric`` (``labelled_share``: labelled
    among predictions; ``positive_share``: positive among labelled), ``before_total``, ``before_count``,
    ``before_share`` and the same ``after``; ``difference`` and ``ratio`` are after against before. Both carry
    ``difference_low``/``_high``, ``ratio_low``/``_high``, ``chi2``, ``p_value``, ``p_adjusted`` (Holm, within the
    segments, or within the metrics), ``tested``, ``material`` and ``alert``. ``source_agreement``: one row per
    source, ``items`` (with a label of the source, a prediction and a trusted label), ``agree_model``,
    ``agree_trusted``, ``model_accuracy`` (the model against the trusted labels on those items), ``margin``
    (agree_model - agree_trusted) with ``margin_low``/``_high``, ``model_only``/``trusted_only`` (discordant items),
    ``p_value`` (exact McNemar), ``p_adjusted``, ``tested``, ``material``, ``alert``. A check not run has an empty
    table with these columns.
    """

    selective_labels: pd.DataFrame
    deployment: pd.DataFrame
    source_agreement: pd.DataFrame
    findings: list[Finding]
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the summary, each table's rows (NaN as None) and the findings."""
        return {"summary": self.summary, "selective_labels": records(self.selective_labels),
                "deployment": records(self.deployment), "source_agreement": records(self.source_agreement),
                "findings": [f.to_dict() for f in self.findings]}


def feedback_check(
    predictions: pd.DataFrame, labels: pd.DataFrame, *, trusted: pd.DataFrame | Iterable[str] | None = None,
    deployed_at: Any = None, segment: str | None = None, prediction: str | None = None, positive: Any = None,
    source_column: str = "source", ignore_sources: Iterable[str] = ("model",), alpha: float = 0.01,
    min_ratio: float = 2.0, min_difference: float = 0.1, min_margin: float = 0.1, min_count: int = 30,
    confidence: float = 0.95,
) -> FeedbackReport:
    """Whether the labels depend on the model's decisions: selective labels, a shift at deployment, copying sources.

    Parameters
    ----------
    predictions : the model's past predictions: ``item_id``, the decision (``prediction``, or ``flag`` when there
        is no ``prediction`` column), ``predicted_at`` (needed with ``deployed_at``) and any other columns (a score
        is not used). An item predicted more than once counts once, with its first prediction: the one that routed it.
    labels : every annotation, of any source: ``item_id``, ``label``, ``source`` (needed with ``trusted``; also
        what ``ignore_sources`` reads), ``created_at`` (optional: the latest label of an item or source is the one
        compared; row order when absent). An item is labelled when it has any label.
    trusted : labels to hold the others against (expert, adjudicated): a frame with ``item_id`` and ``label``
        (latest per item kept), or the names of the ``source`` values in ``labels`` that are trusted (those labels
        are then not compared themselves). Without it the source check does not run.
    deployed_at : the deployment time (ISO 8601 text, datetime or Timestamp; naive means UTC); predictions made at or
        after it are "after". Without it the deployment check does not run. When labels lag, recent predictions are
        not labelled yet: pass only predictions old enough to have been labelled.
    segment : a column of ``predictions`` to run the selective-labels check within each value of, too.
    prediction : the column holding the decision; default ``prediction``, else ``flag``.
    positive : the value (or list of values) that counts as flagged when the decision, or the label, is not a flag
        (bool, or 0/1 where 1 is flagged); it also says which labels are positive for ``positive_share``.
    source_column : the labels' column whose values are compared with the model and the trusted labels
        (``annotator_id`` to find the one labeling function or annotator that copies the model).
    ignore_sources : ``source`` values that are not labels at all and are dropped first; by default ``model``
        (annotations the model itself wrote).
    alpha : significance level of every test, after Holm's correction within each table.
    min_ratio : a ratio of shares at least this large (or at most its inverse) is material; 2 by default.
    min_difference : a difference of shares at least this large either way is material; 0.1 by default.
    min_margin : how much more a source must agree with the model than with the trusted labels; 0.1 by default.
    min_count : the fewest items each compared group (or a source's paired items) needs to be tested; 30.
    confidence : the level of every interval.

    Returns
    -------
    FeedbackReport
        The tables (see :class:`FeedbackReport`) and the findings, errors first.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> flagged = rng.random(1000) < 0.3
    >>> predictions = pd.DataFrame({"item_id": range(1000), "prediction": flagged})
    >>> reviewed = np.flatnonzero(np.where(flagged, rng.random(1000) < 0.9, rng.random(1000) < 0.1))
    >>> labels = pd.DataFrame({"item_id": reviewed, "label": True, "source": "human"})
    >>> report = feedback_check(predictions, labels)
    >>> [f.check for f in report.findings]
    ['labels.selective_labels']
    >>> report.selective_labels[["flagged_share", "unflagged_share"]].round(1).to_numpy().tolist()
    [[0.9, 0.1]]
    """
    settings = check_settings(alpha, min_ratio, min_difference, min_margin, min_count, confidence)
    positives = _positives(positive)
    ignored = [ignore_sources] if isinstance(ignore_sources, str) else list(ignore_sources)
    trusted_sources = None if trusted is None or isinstance(trusted, pd.DataFrame) else _sources(trusted)
    instant = _instant(deployed_at) if deployed_at is not None else None
    preds, repeated = _predictions(_frame(predictions, "predictions"), prediction, segment, instant is not None)
    flags = _flags(preds["prediction"], positives)
    if flags is None:
        raise ParameterError.invalid("positive", "the prediction value(s) that count as flagged, since the decision "
                                     f"holds labels such as {_examples(preds['prediction'])}", positive)
    needs_group = trusted is not None
    frame, dropped = _labels(_frame(labels, "labels"), "labels", source_column if needs_group else None, ignored)
    labelled = preds["item_id"].isin(frame["item_id"]).to_numpy()
    notes: list[str] = []
    selective = _selective(preds, flags.to_numpy(), labelled, segment, settings)
    deployment = pd.DataFrame(columns=DEPLOYMENT_COLUMNS)
    if instant is not None:
        latest = frame.drop_duplicates("item_id", keep="last").set_index("item_id")["label"]
        positive_flags = _flags(latest, positives)
        if positive_flags is None:
            notes.append("positive_share not compared: the labels are not flags and no positive label was given")
        deployment = _deployment(preds, labelled, positive_flags, instant, settings)
    sources = pd.DataFrame(columns=SOURCE_COLUMNS)
    if trusted is not None:
        if trusted_sources is not None:
            _require(frame, "labels", "source", "needed when trusted names sources")
            chosen = frame["source"].isin(trusted_sources)
            if not chosen.any():
                raise ParameterError.invalid("trusted", "source values found in labels (such as "
                                             f"{_examples(frame['source'])})", trusted_sources)
            reference, compared = frame[chosen], frame[~chosen]
        else:
            reference, compared = _labels(_frame(trusted, "trusted"), "trusted", None, [])[0], frame
        sources = _source_agreement(preds, flags, compared, reference, positives, settings)
    findings = selective_findings(selective, segment, settings)
    if instant is not None:
        findings += [deployment_finding(row, instant, settings)
                     for row in deployment[deployment["alert"]].itertuples()]
    findings += [copies_finding(row, source_column, settings) for row in sources[sources["alert"]].itertuples()]
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    findings.sort(key=lambda f: order[f.severity])
    unmatched = int((~frame["item_id"].drop_duplicates().isin(preds["item_id"])).sum())
    if unmatched:
        notes.append(f"{unmatched} labelled item(s) have no prediction and are left out of the first two checks")
    if repeated:
        notes.append(f"{repeated} repeated prediction(s) of an item left out: its first one counts")
    summary = {"predictions": len(predictions), "items": len(preds), "flagged_items": int(flags.sum()),
               "labels": len(frame), "labelled_items": int(labelled.sum()),
               "ignored_labels": dropped, "deployed_at": None if instant is None else instant.isoformat(),
               "checks": [SELECTIVE] + [DEPLOYMENT] * (instant is not None) + [COPIES] * (trusted is not None),
               "notes": notes}
    return FeedbackReport(selective, deployment, sources, findings, summary)


def _positives(positive: Any) -> list[Any] | None:
    if positive is None:
        return None
    values = list(positive) if isinstance(positive, list | tuple | set | frozenset) else [positive]
    if not values:
        raise ParameterError.invalid("positive", "a label or a non-empty list of labels", positive)
    return values


def _sources(trusted: Iterable[str]) -> list[str]:
    names = [trusted] if isinstance(trusted, str) else list(trusted)
    if not names or not all(isinstance(n, str) for n in names):
        raise ParameterError.invalid("trusted", "a frame of trusted labels or a non-empty list of source names",
                                     trusted)
    return names


def _instant(value: Any) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise ParameterError.invalid("deployed_at", "a timestamp (ISO 8601 text, datetime or Timestamp)", value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def _frame(frame: Any, name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError.invalid(name, "a pandas DataFrame", type(frame).__name__)
    if frame.empty:
        raise ParameterError.invalid(name, "a frame with at least one row", f"no rows (columns {list(frame.columns)})")
    return frame


def _require(frame: pd.DataFrame, name: str, column: str, what: str) -> None:
    if column not in frame.columns:
        close = difflib.get_close_matches(str(column), [str(c) for c in frame.columns], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError.invalid(name, f"a frame with a column {column!r}, {what}{hint}",
                                     [str(c) for c in frame.columns])


def _examples(values: pd.Series) -> list[Any]:
    return list(pd.unique(values.dropna()))[:5]


def _times(values: pd.Series, name: str) -> pd.Series:
    """A column of timestamps (datetimes or ISO 8601 text) as naive UTC."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = pd.to_datetime(values)
        return stamps.dt.tz_convert("UTC").dt.tz_localize(None) if stamps.dt.tz is not None else stamps
    if pd.api.types.is_numeric_dtype(values.dtype) and values.notna().any():
        raise ParameterError.invalid(name, "a column of timestamps", f"{values.name!r} of {values.dtype}")
    return parse_timestamps(values.astype("object").where(values.notna(), None))


def _predictions(frame: pd.DataFrame, column: str | None, segment: str | None,
                 timed: bool) -> tuple[pd.DataFrame, int]:
    """One row per item (its first prediction): ``item_id``, ``prediction``, [``predicted_at``], [``segment``];
    and how many repeated predictions were left out."""
    if column is None:
        column = "prediction" if "prediction" in frame.columns or "flag" not in frame.columns else "flag"
    _require(frame, "predictions", "item_id", "the item each prediction is about")
    _require(frame, "predictions", column, "the model's decision (a flag or a label)")
    if segment is not None and segment not in frame.columns:
        raise ParameterError.invalid("segment", f"a column of predictions ({list(frame.columns)})", segment)
    if timed:
        _require(frame, "predictions", "predicted_at", "when each prediction was made, needed with deployed_at")
    rows = frame[frame["item_id"].notna() & frame[column].notna()].reset_index(drop=True)
    if rows.empty:
        raise ParameterError.invalid("predictions", f"rows with both an item_id and a {column!r}", "none")
    out = pd.DataFrame({"item_id": rows["item_id"], "prediction": rows[column]})
    if "predicted_at" in frame.columns:
        try:
            out["predicted_at"] = _times(rows["predicted_at"], "predicted_at")
        except ParameterError:
            if timed:
                raise
            out["predicted_at"] = pd.NaT  # only orders repeated predictions here: row order will do
        out = out.sort_values("predicted_at", kind="stable", na_position="last")
    if segment is not None:
        out["segment"] = rows[segment].loc[out.index]
    first = out.drop_duplicates("item_id", keep="first").reset_index(drop=True)
    return first, len(out) - len(first)


def _labels(frame: pd.DataFrame, name: str, group: str | None, ignored: list[str]) -> tuple[pd.DataFrame, int]:
    """Labels in time order (the latest of anything last; no time first): ``item_id``, ``label``, [``source``],
    [``group``]; and how many labels of ``ignored`` sources were dropped."""
    _require(frame, name, "item_id", "the item each label is for")
    _require(frame, name, "label", "the label given")
    if group is not None:
        _require(frame, name, group, "the source to compare with the model (source_column)")
    rows = frame[frame["item_id"].notna() & frame["label"].notna()].reset_index(drop=True)
    dropped = rows["source"].isin(ignored) if ignored and "source" in rows.columns else rows["item_id"].isna()
    rows = rows[~dropped].reset_index(drop=True)
    if rows.empty:
        raise ParameterError.invalid(name, "a frame with at least one label (item_id and label set"
                                     + (f", source not one of {ignored})" if ignored else ")"), "none")
    out = pd.DataFrame({"item_id": rows["item_id"], "label": rows["label"]})
    for column, target in (("source", "source"), (group, "group")):
        if column is not None and column in rows.columns:
            out[target] = rows[column]
    if "created_at" in rows.columns:
        out = out.loc[_times(rows["created_at"], "created_at").sort_values(kind="stable", na_position="first").index]
    return out.reset_index(drop=True), int(dropped.sum())


def _flags(values: pd.Series, positives: list[Any] | None) -> pd.Series | None:
    """True where ``values`` count as flagged: a flag column (bool, or 0/1) as is, else ``values in positives``."""
    present = values.dropna()
    flag_like = pd.api.types.is_bool_dtype(values.dtype)
    if not flag_like and (pd.api.types.is_numeric_dtype(present.dtype) or present.dtype == object):
        try:
            flag_like = set(pd.unique(present)) <= {0, 1}
        except TypeError:  # unhashable values
            flag_like = False
    if flag_like:
        return pd.Series(values.to_numpy(dtype=float, na_value=0.0) == 1.0, index=values.index)
    return values.isin(positives) if positives is not None else None


def _selective(preds: pd.DataFrame, flags: npt.NDArray[np.bool_], labelled: npt.NDArray[np.bool_],
               segment: str | None, s: CheckSettings) -> pd.DataFrame:
    names = ("flagged", "unflagged", "labelled", "items")

    def counts(mask: npt.NDArray[np.bool_]) -> tuple[int, int, int, int]:
        on, off = mask & flags, mask & ~flags
        return int(labelled[on].sum()), int(on.sum()), int(labelled[off].sum()), int(off.sum())

    rows = [{"scope": "all", "segment": None, **compared_row(names, counts(np.ones(len(flags), bool)), s)}]
    if segment is not None:
        try:
            codes, values = pd.factorize(preds["segment"], sort=True, use_na_sentinel=False)
        except TypeError:  # segment values of mixed types do not sort
            codes, values = pd.factorize(preds["segment"], use_na_sentinel=False)
        rows += [{"scope": "segment", "segment": value, **compared_row(names, counts(codes == code), s)}
                 for code, value in enumerate(values)]
    return with_alerts(rows, SELECTIVE_COLUMNS, np.arange(len(rows)) > 0, s)


def _deployment(preds: pd.DataFrame, labelled: npt.NDArray[np.bool_], positive: pd.Series | None,
                instant: pd.Timestamp, s: CheckSettings) -> pd.DataFrame:
    stamps = preds["predicted_at"]
    after = (stamps >= instant).to_numpy(dtype=bool)
    before = (stamps < instant).to_numpy(dtype=bool)
    names = ("after", "before", "count", "total")
    rows = [{"metric": "labelled_share", **compared_row(names, (int(labelled[after].sum()), int(after.sum()),
                                                               int(labelled[before].sum()), int(before.sum())), s)}]
    if positive is not None:
        hits = positive.reindex(preds["item_id"], fill_value=False).to_numpy(dtype=bool)
        rows.append({"metric": "positive_share", **compared_row(names, (
            int(hits[after].sum()), int(labelled[after].sum()), int(hits[before].sum()), int(labelled[before].sum())
        ), s)})
    return with_alerts(rows, DEPLOYMENT_COLUMNS, np.ones(len(rows), bool), s)


def _source_agreement(preds: pd.DataFrame, flags: pd.Series, compared: pd.DataFrame, reference: pd.DataFrame,
                      positives: list[Any] | None, s: CheckSettings) -> pd.DataFrame:
    """Per source: agreement with the model and with the trusted label, on items with all three."""
    truth = reference.drop_duplicates("item_id", keep="last").set_index("item_id")["label"]
    decided = preds.set_index("item_id")
    given = compared[compared["group"].notna()].drop_duplicates(["item_id", "group"], keep="last")
    given = given[given["item_id"].isin(truth.index) & given["item_id"].isin(decided.index)]
    expected = truth.reindex(given["item_id"])
    if _flags(preds["prediction"], None) is not None:  # the decision is a flag: compare flags
        label_flags, truth_flags = _flags(given["label"], positives), _flags(expected, positives)
        if label_flags is None or truth_flags is None:
            raise ParameterError.invalid("positive", "the label(s) that mean flagged, since the model's decision is "
                                         f"a flag and the labels are not (such as {_examples(given['label'])})", None)
        model_said = flags.set_axis(preds["item_id"]).reindex(given["item_id"]).to_numpy(dtype=bool)
        with_model = label_flags.to_numpy(dtype=bool) == model_said
        with_truth = label_flags.to_numpy(dtype=bool) == truth_flags.to_numpy(dtype=bool)
        accurate = model_said == truth_flags.to_numpy(dtype=bool)
    else:  # the decision is a label: compare labels as they are
        model = decided["prediction"].reindex(given["item_id"])
        said, right = given["label"].to_numpy(dtype=object), expected.to_numpy(dtype=object)
        with_model = np.asarray(said == model.to_numpy(dtype=object), dtype=bool)
        with_truth = np.asarray(said == right, dtype=bool)
        accurate = np.asarray(model.to_numpy(dtype=object) == right, dtype=bool)
        if len(said) and not (with_model.any() or accurate.any()):
            raise ParameterError.invalid("labels", "labels from the label set of the predictions",
                                         f"labels such as {_examples(given['label'])} and predictions such as "
                                         f"{_examples(preds['prediction'])}")
    rows = []
    for name in pd.unique(given["group"]):
        mask = (given["group"] == name).to_numpy()
        result = agreement_margin(with_model[mask], with_truth[mask], confidence=s.confidence)
        rows.append({"source": name, "items": result.items, "agree_model": result.agree_a,
                     "agree_trusted": result.agree_b, "model_accuracy": float(accurate[mask].mean()),
                     "margin": result.margin, "margin_low": result.margin_low, "margin_high": result.margin_high,
                     "model_only": result.a_only, "trusted_only": result.b_only, "p_value": result.p_value,
                     "tested": result.items >= s.min_count,
                     "material": bool(result.margin >= s.min_margin and result.margin_low > 0)})
    return with_alerts(rows, SOURCE_COLUMNS, np.ones(len(rows), bool), s).sort_values(
        "margin", ascending=False, kind="stable").reset_index(drop=True)
