"""Feedback loops: labels whose existence or value depends on the deployed model's own decisions.

A deployed model decides which items people look at, so the labels that come back are not a sample of the traffic,
and a label source may be fed the model's output. Three checks over a prediction log and the labels, each returning
``Finding`` objects that state the evidence and what it would bias:

- ``labels.selective_labels``: whether an item got a label depends on whether the model flagged it (labelled share
  of flagged against unflagged items, overall and per segment);
- ``labels.deployment_shift``: the label rate (share of predictions that got a label) or the positive-label share
  moved at the deployment date;
- ``labels.source_copies_model``: a label source agrees with the model's prediction more than with the trusted
  labels on the items where all three exist (a labeling function that reads the model's score, annotators shown
  the prediction).

Two independent shares are compared by Pearson's chi-square test of the 2x2 table without continuity correction (the
square of the pooled two-proportion z statistic), with both effect sizes beside the p-value: the difference of
shares with Newcombe's hybrid score interval [2]_ and the risk ratio with Katz's log interval [3]_. A comparison
alerts when it is material (ratio at least ``min_ratio`` either way, or difference at least ``min_difference``
either way), significant (p below ``alpha`` after Holm's correction within its table) and both groups hold at least
``min_count`` items. A source's agreement with the model and with the trusted labels are paired (the same items):
their margin gets the Agresti-Min interval [4]_ and the exact McNemar test on the discordant items.

References
----------
.. [1] H. Lakkaraju, J. Kleinberg, J. Leskovec, J. Ludwig and S. Mullainathan, "The selective labels problem:
   evaluating algorithmic predictions in the presence of unobservables", KDD 2017.
.. [2] R. G. Newcombe, "Interval estimation for the difference between independent proportions: comparison of
   eleven methods", Statistics in Medicine 17(8), 1998 (method 10).
.. [3] D. Katz, J. Baptista, S. P. Azen and M. C. Pike, "Obtaining confidence intervals for the risk ratio in
   cohort studies", Biometrics 34(3), 1978.
.. [4] A. Agresti and Y. Min, "Simple improved confidence intervals for comparing matched proportions",
   Statistics in Medicine 24(5), 2005.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.findings import Finding, Severity
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

SELECTIVE, DEPLOYMENT, COPIES = "labels.selective_labels", "labels.deployment_shift", "labels.source_copies_model"
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


@dataclass(frozen=True, slots=True)
class ProportionComparison:
    """Share ``a`` against share ``b``: both effect sizes with their intervals, and the chi-square test.

    ``difference = share_a - share_b``; ``ratio = share_a / share_b``, with 0.5 added to every cell of the 2x2 table
    when a count is zero (Haldane-Anscombe), so it stays finite. ``p_value`` is two-sided; 1.0 when the pooled share
    is 0 or 1 (nothing to tell apart). Everything is NaN when a total is 0.
    """

    share_a: float
    share_b: float
    difference: float
    difference_low: float
    difference_high: float
    ratio: float
    ratio_low: float
    ratio_high: float
    chi2: float
    p_value: float


def compare_proportions(count_a: int, total_a: int, count_b: int, total_b: int, *,
                        confidence: float = 0.95) -> ProportionComparison:
    """Two independent shares compared: Pearson's chi-square (no continuity correction), difference, risk ratio.

    Parameters
    ----------
    count_a, total_a, count_b, total_b : the successes and trials of each group.
    confidence : the level of both intervals (Newcombe's hybrid score interval of the difference, Katz's log
        interval of the ratio).

    Examples
    --------
    Newcombe's worked example (1998, method 10: 0.0524 to 0.3339):

    >>> result = compare_proportions(56, 70, 48, 80)
    >>> round(result.difference, 4), round(result.difference_low, 4), round(result.difference_high, 4)
    (0.2, 0.0524, 0.3339)
    >>> round(result.ratio, 3), round(result.p_value, 4)
    (1.333, 0.008)
    """
    from scipy import stats  # scipy.stats costs half a second to import: only when a test runs

    for name, count, total in (("count_a", count_a, total_a), ("count_b", count_b, total_b)):
        if not 0 <= count <= total:
            raise ParameterError.invalid(name, f"a count between 0 and its total ({total})", count)
    _check_open("confidence", confidence)
    if not total_a or not total_b:
        return ProportionComparison(*[float("nan")] * 10)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    a, b = count_a / total_a, count_b / total_b
    low_a, high_a = _wilson(count_a, total_a, z)
    low_b, high_b = _wilson(count_b, total_b, z)
    difference = a - b
    x_a, n_a, x_b, n_b = float(count_a), float(total_a), float(count_b), float(total_b)
    if 0 in (count_a, count_b):
        x_a, n_a, x_b, n_b = x_a + 0.5, n_a + 1.0, x_b + 0.5, n_b + 1.0
    ratio = (x_a / n_a) / (x_b / n_b)
    spread = z * math.sqrt(max(1 / x_a - 1 / n_a + 1 / x_b - 1 / n_b, 0.0))
    pooled = (count_a + count_b) / (total_a + total_b)
    chi2, p_value = 0.0, 1.0
    if 0 < pooled < 1:
        chi2 = difference**2 / (pooled * (1 - pooled) * (1 / total_a + 1 / total_b))
        p_value = float(stats.chi2.sf(chi2, 1))
    return ProportionComparison(a, b, difference, difference - math.hypot(a - low_a, high_b - b),
                                difference + math.hypot(high_a - a, b - low_b), ratio, ratio * math.exp(-spread),
                                ratio * math.exp(spread), chi2, p_value)


def _wilson(count: int, total: int, z: float) -> tuple[float, float]:
    centre = (count + z * z / 2) / (total + z * z)
    half = z * math.sqrt(count * (1 - count / total) + z * z / 4) / (total + z * z)
    return centre - half, centre + half


@dataclass(frozen=True, slots=True)
class AgreementMargin:
    """One rater's agreement with ``a`` against its agreement with ``b`` on the same items.

    ``margin = agree_a - agree_b`` with the Agresti-Min interval (0.5 added to each cell of the paired table);
    ``a_only`` items agree with ``a`` and not ``b``, ``b_only`` the reverse; ``p_value`` is the exact two-sided
    McNemar test (binomial on the discordant items; 1.0 when there are none). NaN when there are no items.
    """

    items: int
    agree_a: float
    agree_b: float
    margin: float
    margin_low: float
    margin_high: float
    a_only: int
    b_only: int
    p_value: float


def agreement_margin(agrees_a: npt.ArrayLike, agrees_b: npt.ArrayLike, *, confidence: float = 0.95) -> AgreementMargin:
    """How much more a rater agrees with ``a`` than with ``b``, paired by item.

    Examples
    --------
    A source that repeats the model (right 80% of the time) on 95 of 100 items:

    >>> with_model = np.arange(100) < 95
    >>> with_trusted = np.arange(100) < 80
    >>> result = agreement_margin(with_model, with_trusted)
    >>> round(result.margin, 2), result.a_only, result.b_only, result.p_value < 0.001
    (0.15, 15, 0, True)
    """
    from scipy import stats

    first, second = np.asarray(agrees_a, dtype=bool), np.asarray(agrees_b, dtype=bool)
    if first.ndim != 1 or first.shape != second.shape:
        raise ParameterError.invalid("agrees_b", f"a 1-d array as long as agrees_a ({first.shape})", second.shape)
    _check_open("confidence", confidence)
    n = len(first)
    a_only, b_only = int((first & ~second).sum()), int((~first & second).sum())
    if not n:
        nan = float("nan")
        return AgreementMargin(0, nan, nan, nan, nan, nan, 0, 0, nan)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    total = n + 2.0
    centre = (a_only - b_only) / total
    half = z * math.sqrt(max((a_only + b_only + 1.0) - (a_only - b_only) ** 2 / total, 0.0)) / total
    discordant = a_only + b_only
    p_value = float(stats.binomtest(a_only, discordant, 0.5).pvalue) if discordant else 1.0
    return AgreementMargin(n, float(first.mean()), float(second.mean()), (a_only - b_only) / n,
                           max(centre - half, -1.0), min(centre + half, 1.0), a_only, b_only, p_value)


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
        def rows(table: pd.DataFrame) -> list[dict[str, Any]]:
            return [{str(k): v for k, v in row.items()} for row in table.replace({np.nan: None}).to_dict("records")]
        return {"summary": self.summary, "selective_labels": rows(self.selective_labels),
                "deployment": rows(self.deployment), "source_agreement": rows(self.source_agreement),
                "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True, slots=True)
class _Settings:
    alpha: float
    min_ratio: float
    min_difference: float
    min_margin: float
    min_count: int
    confidence: float


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
    settings = _settings(alpha, min_ratio, min_difference, min_margin, min_count, confidence)
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
    findings = _selective_findings(selective, segment, settings)
    if instant is not None:
        findings += [_deployment_finding(row, instant, settings)
                     for row in deployment[deployment["alert"]].itertuples()]
    findings += [_copies_finding(row, source_column, settings) for row in sources[sources["alert"]].itertuples()]
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


def _settings(alpha: float, min_ratio: float, min_difference: float, min_margin: float, min_count: int,
              confidence: float) -> _Settings:
    _check_open("alpha", alpha)
    _check_open("confidence", confidence)
    if isinstance(min_ratio, bool) or not isinstance(min_ratio, int | float) or not min_ratio > 1:
        raise ParameterError.invalid("min_ratio", "a number above 1", min_ratio)
    for name, value in (("min_difference", min_difference), ("min_margin", min_margin)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise ParameterError.invalid(name, "a number in (0, 1]", value)
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ParameterError.invalid("min_count", "an integer of at least 1", min_count)
    return _Settings(float(alpha), float(min_ratio), float(min_difference), float(min_margin), min_count,
                     float(confidence))


def _check_open(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ParameterError.invalid(name, "a number strictly between 0 and 1", value)


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


def _compared(names: tuple[str, str, str, str], counts: tuple[int, int, int, int], s: _Settings) -> dict[str, Any]:
    """One table row comparing group ``a`` (count of total) with group ``b``; ``names`` = a, b, count, total."""
    a, b, count, total = names
    result = compare_proportions(*counts, confidence=s.confidence)
    ratio = result.ratio
    material = not math.isnan(ratio) and (abs(result.difference) >= s.min_difference
                                          or ratio >= s.min_ratio or ratio <= 1 / s.min_ratio)
    return {f"{a}_{total}": counts[1], f"{a}_{count}": counts[0], f"{a}_share": result.share_a,
            f"{b}_{total}": counts[3], f"{b}_{count}": counts[2], f"{b}_share": result.share_b,
            "difference": result.difference, "difference_low": result.difference_low,
            "difference_high": result.difference_high, "ratio": result.ratio, "ratio_low": result.ratio_low,
            "ratio_high": result.ratio_high, "chi2": result.chi2, "p_value": result.p_value,
            "tested": min(counts[1], counts[3]) >= s.min_count, "material": material}


def _with_alerts(rows: list[dict[str, Any]], columns: list[str], family: npt.NDArray[np.bool_],
                 s: _Settings) -> pd.DataFrame:
    """The rows as a table with ``p_adjusted`` (Holm over the tested rows of ``family``; others as they are)."""
    table = pd.DataFrame(rows, columns=columns)
    tested = table["tested"].to_numpy(dtype=bool)
    p_values = table["p_value"].to_numpy(dtype=float)
    adjusted = np.where(tested, p_values, np.nan)
    adjusted[family] = _holm(np.where(tested[family], p_values[family], np.nan))
    table["p_adjusted"] = adjusted
    table["alert"] = tested & table["material"].to_numpy(dtype=bool) & (np.nan_to_num(adjusted, nan=1.0) < s.alpha)
    return table


def _holm(p_values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Holm's step-down adjusted p-values; NaN stays NaN and does not count as a test."""
    adjusted = np.full(len(p_values), np.nan)
    tested = np.flatnonzero(~np.isnan(p_values))
    order = tested[np.argsort(p_values[tested], kind="stable")]
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(p_values[order] * (len(order) - np.arange(len(order)))))
    return adjusted


def _selective(preds: pd.DataFrame, flags: npt.NDArray[np.bool_], labelled: npt.NDArray[np.bool_],
               segment: str | None, s: _Settings) -> pd.DataFrame:
    names = ("flagged", "unflagged", "labelled", "items")

    def counts(mask: npt.NDArray[np.bool_]) -> tuple[int, int, int, int]:
        on, off = mask & flags, mask & ~flags
        return int(labelled[on].sum()), int(on.sum()), int(labelled[off].sum()), int(off.sum())

    rows = [{"scope": "all", "segment": None, **_compared(names, counts(np.ones(len(flags), bool)), s)}]
    if segment is not None:
        try:
            codes, values = pd.factorize(preds["segment"], sort=True, use_na_sentinel=False)
        except TypeError:  # segment values of mixed types do not sort
            codes, values = pd.factorize(preds["segment"], use_na_sentinel=False)
        rows += [{"scope": "segment", "segment": value, **_compared(names, counts(codes == code), s)}
                 for code, value in enumerate(values)]
    return _with_alerts(rows, SELECTIVE_COLUMNS, np.arange(len(rows)) > 0, s)


def _deployment(preds: pd.DataFrame, labelled: npt.NDArray[np.bool_], positive: pd.Series | None,
                instant: pd.Timestamp, s: _Settings) -> pd.DataFrame:
    stamps = preds["predicted_at"]
    after = (stamps >= instant).to_numpy(dtype=bool)
    before = (stamps < instant).to_numpy(dtype=bool)
    names = ("after", "before", "count", "total")
    rows = [{"metric": "labelled_share", **_compared(names, (int(labelled[after].sum()), int(after.sum()),
                                                            int(labelled[before].sum()), int(before.sum())), s)}]
    if positive is not None:
        hits = positive.reindex(preds["item_id"], fill_value=False).to_numpy(dtype=bool)
        rows.append({"metric": "positive_share", **_compared(names, (
            int(hits[after].sum()), int(labelled[after].sum()), int(hits[before].sum()), int(labelled[before].sum())
        ), s)})
    return _with_alerts(rows, DEPLOYMENT_COLUMNS, np.ones(len(rows), bool), s)


def _source_agreement(preds: pd.DataFrame, flags: pd.Series, compared: pd.DataFrame, reference: pd.DataFrame,
                      positives: list[Any] | None, s: _Settings) -> pd.DataFrame:
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
    return _with_alerts(rows, SOURCE_COLUMNS, np.ones(len(rows), bool), s).sort_values(
        "margin", ascending=False, kind="stable").reset_index(drop=True)


def _evidence(row: Any, keys: list[str], s: _Settings | None, **extra: Any) -> dict[str, Any]:
    """The row's ``keys`` JSON-ready (numpy scalars as Python, NaN as None, floats but p-values to 4 places), then
    the settings that decided the alert and ``extra``."""
    found: dict[str, Any] = {}
    for key in keys:
        value = getattr(row, key)
        value = value.item() if isinstance(value, np.generic) else value
        if isinstance(value, float):
            value = None if math.isnan(value) else value if key.startswith("p_") else round(value, 4)
        found[key] = value
    return found if s is None else {**found, "alpha": s.alpha, "confidence": s.confidence, **extra}


def _p(value: Any) -> str:
    return "p < 1e-300" if value == 0 else f"p {value:.2g}"


def _effects(row: Any, s: _Settings) -> str:
    return (f"difference {row.difference:+.2f}, {s.confidence:.0%} CI [{row.difference_low:+.2f}, "
            f"{row.difference_high:+.2f}]; ratio {row.ratio:.2f} [{row.ratio_low:.2f}, {row.ratio_high:.2f}]; "
            f"chi-square {_p(row.p_adjusted)}")


SELECTIVE_KEYS = ["flagged_items", "flagged_labelled", "flagged_share", "unflagged_items", "unflagged_labelled",
                  "unflagged_share", "difference", "difference_low", "difference_high", "ratio", "ratio_low",
                  "ratio_high", "chi2", "p_value", "p_adjusted"]
FLAGGED_BIAS = (
    "labels exist mostly where the model flagged: a model trained on them learns its own decisions, and on them "
    "precision can be measured but recall on unflagged cases cannot (its misses stay unlabelled), so metrics on "
    "the labelled set overstate it. Label a random sample of unflagged items, or weight each label by the inverse "
    "of its item's chance of being labelled")
UNFLAGGED_BIAS = (
    "labels exist mostly where the model did not flag (outcomes seen only for what it let through, like chargebacks "
    "on approved payments): the outcome of what it flagged stays unknown, so the precision of its flags is "
    "unmeasured and a model retrained on these labels never learns from what it stopped. Let a small random share "
    "of flagged items through, or review them, to observe their outcomes")


def _selective_findings(table: pd.DataFrame, segment: str | None, s: _Settings) -> list[Finding]:
    findings: list[Finding] = []
    overall: Any = next(table.iloc[:1].itertuples())
    if overall.alert:
        what = (f"{overall.flagged_share:.1%} of the {overall.flagged_items:,} items the model flagged have a label "
                f"against {overall.unflagged_share:.1%} of the {overall.unflagged_items:,} it did not "
                f"({_effects(overall, s)}): " + (FLAGGED_BIAS if overall.difference > 0 else UNFLAGGED_BIAS))
        findings.append(Finding(SELECTIVE, what, "all predictions", Severity.WARNING, float(abs(overall.difference)),
                                _evidence(overall, SELECTIVE_KEYS, s, min_ratio=s.min_ratio,
                                          min_difference=s.min_difference)))
    alerting = table[(table["scope"] == "segment") & table["alert"]]
    if len(alerting):
        alerting = alerting.sort_values("difference", key=abs, ascending=False, kind="stable")
        parts = [f"{row.segment} ({row.flagged_share:.1%} of flagged items labelled against "
                 f"{row.unflagged_share:.1%} of unflagged, {_p(row.p_adjusted)})" for row in alerting.itertuples()]
        bias = FLAGGED_BIAS if all(alerting["difference"] > 0) else UNFLAGGED_BIAS if all(
            alerting["difference"] < 0) else "in some segments " + FLAGGED_BIAS + "; in others " + UNFLAGGED_BIAS
        what = (f"in {len(alerting)} of {int((table['scope'] == 'segment').sum())} values of {segment!r} whether an "
                "item has a label depends on the model's flag" + ("" if overall.alert else " (not over all items)")
                + ": " + "; ".join(parts[:5]) + (f" and {len(parts) - 5} more" if len(parts) > 5 else "") + ". In "
                "these segments " + bias)
        rows = [_evidence(row, ["segment", *SELECTIVE_KEYS], None) for row in alerting.itertuples()]
        findings.append(Finding(SELECTIVE, what, f"segments of {segment}", Severity.WARNING,
                                float(alerting["difference"].abs().max()),
                                {"segment_column": segment, "segments": rows, "alpha": s.alpha,
                                 "confidence": s.confidence, "min_ratio": s.min_ratio,
                                 "min_difference": s.min_difference}))
    return findings


DEPLOYMENT_BIAS = {
    "labelled_share": (
        "the share of predictions that get a label moved with the deployment: which items are labelled now depends "
        "on the new model's decisions, so labels before and after are different samples; metrics or base rates "
        "compared across the date compare different populations, and a model retrained on post-deployment labels "
        "inherits the deployed model's selection. If labels lag, recent predictions are simply not labelled yet: "
        "compare only predictions old enough to have been labelled"),
    "positive_share": (
        "the share of positive labels moved with the deployment: either the traffic changed or the model now "
        "changes the outcomes it is judged by (flagged items are reviewed, blocked or treated, and only some get "
        "labelled); prevalence, calibration and a model retrained on post-deployment labels all absorb the deployed "
        "model's policy rather than the outcome without it"),
}


def _deployment_finding(row: Any, instant: pd.Timestamp, s: _Settings) -> Finding:
    day = f"{instant:%Y-%m-%d %H:%M}"
    measure = "predictions with a label" if row.metric == "labelled_share" else "labels that are positive"
    what = (f"{measure}: {row.after_share:.1%} of {row.after_total:,} after the deployment at {day} against "
            f"{row.before_share:.1%} of {row.before_total:,} before ({_effects(row, s)}): "
            + DEPLOYMENT_BIAS[row.metric])
    keys = ["metric", "before_total", "before_count", "before_share", "after_total", "after_count", "after_share",
            *SELECTIVE_KEYS[6:]]
    return Finding(DEPLOYMENT, what, f"{row.metric} before vs after {day}", Severity.WARNING,
                   float(abs(row.difference)), _evidence(row, keys, s, deployed_at=instant.isoformat(),
                             min_ratio=s.min_ratio, min_difference=s.min_difference))


def _copies_finding(row: Any, source_column: str, s: _Settings) -> Finding:
    what = (f"{source_column} {row.source!r} agrees with the model's prediction on {row.agree_model:.1%} of the "
            f"{row.items:,} items that also have a trusted label, but with the trusted label on only "
            f"{row.agree_trusted:.1%} (margin {row.margin:+.2f}, {s.confidence:.0%} CI [{row.margin_low:+.2f}, "
            f"{row.margin_high:+.2f}]; exact McNemar {_p(row.p_adjusted)} on {row.model_only + row.trusted_only:,} "
            f"discordant items; the model itself matches the trusted labels on {row.model_accuracy:.1%}): this "
            "source copies the model (a labeling function or tool reading its output, or annotators shown its "
            "prediction). Trained on, its labels teach the model its own decisions and mistakes; evaluated on, they "
            "overstate its accuracy. Find how the prediction reaches this source and keep its labels out of "
            "training and evaluation until it is independent.")
    keys = ["source", "items", "agree_model", "agree_trusted", "model_accuracy", "margin", "margin_low",
            "margin_high", "model_only", "trusted_only", "p_value", "p_adjusted"]
    return Finding(COPIES, what, f"{source_column} {row.source}", Severity.ERROR, float(row.margin),
                   _evidence(row, keys, s, source_column=source_column, min_margin=s.min_margin))
