"""Label lag: how long outcomes take to arrive, how many have arrived, and when a window will be mature.

The lag of a prediction is ``observed_at - predicted_at`` of its outcome. Its distribution (median, p90,
p99) tells how long to wait before a window's performance can be trusted. Outcomes still outstanding at
``as_of`` are the slow ones, so the distribution is a Kaplan-Meier estimate (:mod:`.lag_survival`) that counts
them as censored at their follow-up, not the quantiles of the arrived lags (biased short while outcomes are
still arriving); those naive quantiles are kept beside it as ``arrived_*``. With ``max_lag``, predictions not
labelled within it are taken never to be, and the quantiles are those of outcomes arriving within it.

Per window, the coverage is the share of predictions with an outcome yet, and the expected maturity date is the
window's end plus the lag quantile ``maturity_quantile`` (0.9 by default): the date by which, if lags keep their
distribution, that share of the eventual outcomes of the window's last predictions has arrived. The counts are
aggregates in the engine (follow-up times binned to 1/4000 of the longest); only the curve is computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.monitoring.inputs import PredictionLog, timestamp_literal
from answerkey.monitoring.lag_survival import LagSurvival, kaplan_meier
from answerkey.monitoring.windows import assign_windows, check_segments, parse_windows, window_bounds

__all__ = ["LagReport", "label_lag", "lag_seconds"]


@dataclass(frozen=True)
class LagReport:
    """Label lag over the whole log and per window.

    ``median``, ``p90``, ``p99`` and ``maturity_lag`` (the ``maturity_quantile`` of the lag) are Kaplan-Meier
    estimates, NaT when no outcome has arrived; a quantile beyond the log's follow-up is NaT too, and
    ``maturity_lag`` is then the follow-up itself (a lower bound: no window is called mature). ``p90_low`` and
    ``p90_high`` bound the p90 (95%, Brookmeyer-Crowley); ``arrived_median`` and ``arrived_p90`` are the quantiles
    of the arrived lags alone (biased short while outcomes still arrive); ``followed`` is the longest follow-up.
    ``windows`` has ``window_start``, ``window_end`` (``chunk``), the segment columns, ``predictions``,
    ``labelled``, ``coverage``, ``lag_median``, ``lag_p90``, ``expected_maturity`` and ``mature`` (``as_of`` is
    at or past the expected maturity).
    """

    predictions: int
    labelled: int
    coverage: float
    median: pd.Timedelta
    p90: pd.Timedelta
    p99: pd.Timedelta
    maturity_quantile: float
    maturity_lag: pd.Timedelta
    as_of: pd.Timestamp
    windows: pd.DataFrame
    p90_low: pd.Timedelta
    p90_high: pd.Timedelta
    arrived_median: pd.Timedelta
    arrived_p90: pd.Timedelta
    followed: pd.Timedelta
    max_lag: pd.Timedelta | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (timestamps and durations as ISO 8601 text)."""
        def text(value: Any) -> Any:
            return None if pd.isna(value) else value.isoformat()

        rows = self.windows.astype(object).where(self.windows.notna(), None)
        for column in ("window_start", "window_end", "expected_maturity", "lag_median", "lag_p90"):
            rows[column] = rows[column].map(text)
        return {"predictions": self.predictions, "labelled": self.labelled, "coverage": self.coverage,
                "median": text(self.median), "p90": text(self.p90), "p99": text(self.p99),
                "p90_low": text(self.p90_low), "p90_high": text(self.p90_high),
                "arrived_median": text(self.arrived_median), "arrived_p90": text(self.arrived_p90),
                "followed": text(self.followed), "max_lag": text(self.max_lag) if self.max_lag is not None else None,
                "estimator": "kaplan-meier", "maturity_quantile": self.maturity_quantile,
                "maturity_lag": text(self.maturity_lag), "as_of": text(self.as_of),
                "windows": rows.to_dict(orient="records")}


def lag_seconds(table: Any) -> Any:
    """The Ibis expression ``observed_at - predicted_at`` in seconds (millisecond precision, on any engine)."""
    return table.observed_at.delta(table.predicted_at, unit="millisecond") / 1000.0


def label_lag(
    log: PredictionLog,
    *,
    window: str | int = "day",
    by: str | Sequence[str] | None = None,
    as_of: Any = None,
    maturity_quantile: float = 0.9,
    max_lag: Any = None,
) -> LagReport:
    """Distribution of label lag, label coverage per window, and each window's expected maturity date.

    Parameters
    ----------
    log : PredictionLog
        From :func:`~answerkey.monitoring.load_prediction_log`.
    window : str or int
        ``"day"``, ``"week"``, ``"month"``, or a number of predictions per chunk.
    by : str or list of str, optional
        Segment columns: coverage and lag per window and segment.
    as_of : datetime or ISO 8601 text, optional
        Look at the log as it stood then: the predictions made and the outcomes observed by then. Default:
        the whole log, and ``as_of`` is the latest prediction or observation time in it.
    maturity_quantile : float
        The lag quantile added to a window's end for its expected maturity date.
    max_lag : timedelta or text such as ``"90 days"``, optional
        Predictions without an outcome after this long never get one; the quantiles are those of the outcomes
        that arrive within it. Default: every prediction gets an outcome eventually.

    Returns
    -------
    LagReport

    Raises
    ------
    ParameterError
        A bad parameter, an unknown segment column, or a log without predictions.

    Examples
    --------
    >>> import pandas as pd
    >>> from answerkey.monitoring import load_prediction_log
    >>> predictions = pd.DataFrame({"prediction_id": [1, 2, 3], "prediction": [1, 0, 1],
    ...     "predicted_at": pd.to_datetime(["2024-01-01 08:00", "2024-01-01 20:00", "2024-01-02 09:00"])})
    >>> outcomes = pd.DataFrame({"prediction_id": [1, 2], "outcome": [1, 1],
    ...     "observed_at": pd.to_datetime(["2024-01-02 08:00", "2024-01-04 20:00"])})
    >>> report = label_lag(load_prediction_log(predictions, outcomes))
    >>> str(report.median), str(report.arrived_median), report.coverage   # prediction 3 still waits: censored
    ('3 days 00:00:00', '2 days 00:00:00', 0.6666666666666666)
    >>> report.windows[["window_start", "predictions", "labelled", "coverage"]]
      window_start  predictions  labelled  coverage
    0   2024-01-01            2         2       1.0
    1   2024-01-02            1         0       0.0
    """
    windows = parse_windows(window)
    segments = check_segments(by, log.table.columns, log.source)
    if isinstance(maturity_quantile, bool) or not 0 < maturity_quantile < 1:
        raise ParameterError.invalid("maturity_quantile", "a number strictly between 0 and 1", maturity_quantile)
    table = assign_windows(log.known_by(as_of), windows)
    labelled = log.labelled(table, as_of)
    lag = lag_seconds(table)
    ceiling = _max_lag(max_lag)
    overall = log.execute(table.agg(
        predictions=table.count(), labelled=table.count(where=labelled),
        median=lag.quantile(0.5, where=labelled), p90=lag.quantile(0.9, where=labelled),
        first_predicted=table.predicted_at.min(),
        last_predicted=table.predicted_at.max(), last_observed=table.observed_at.max(where=labelled),
    )).iloc[0]
    predictions = int(overall["predictions"])
    if predictions == 0:
        raise ParameterError(f"no predictions in {log.source}: nothing to measure label lag on")
    stamp = _as_of(as_of, overall["last_predicted"], overall["last_observed"])
    curve = _survival(log, table, labelled, stamp, pd.Timestamp(overall["first_predicted"]), ceiling)
    median, p90, p99, maturity = (curve.quantile(q) for q in (0.5, 0.9, 0.99, maturity_quantile))
    keys = [windows.key, *segments]
    per_window = log.execute(table.group_by(keys).agg(
        predictions=table.count(), labelled=table.count(where=labelled),
        lag_median=lag.quantile(0.5, where=labelled), lag_p90=lag.quantile(0.9, where=labelled)))
    # beyond the log's follow-up the quantile is unknown; it is at least that follow-up, so no window is called mature
    known = not np.isnan(maturity[0]) or int(overall["labelled"]) == 0
    maturity_lag = _duration(maturity[0] if known else curve.followed)
    frame = window_bounds(per_window, windows, log, table)
    frame["predictions"] = frame["predictions"].astype("int64")
    frame["labelled"] = frame["labelled"].astype("int64")
    frame["coverage"] = frame["labelled"] / frame["predictions"]
    frame["lag_median"] = pd.to_timedelta(frame["lag_median"].astype(float), unit="s")
    frame["lag_p90"] = pd.to_timedelta(frame["lag_p90"].astype(float), unit="s")
    frame["expected_maturity"] = frame["window_end"] + maturity_lag
    frame["mature"] = (frame["expected_maturity"] <= stamp).fillna(False).astype(bool)
    frame = frame[[*windows.columns, *segments, "predictions", "labelled", "coverage", "lag_median", "lag_p90",
                   "expected_maturity", "mature"]]
    frame = frame.sort_values([windows.columns[0], *segments], kind="stable", na_position="last")
    labelled_count = int(overall["labelled"])
    return LagReport(
        predictions=predictions, labelled=labelled_count, coverage=labelled_count / predictions,
        median=_duration(median[0]), p90=_duration(p90[0]), p99=_duration(p99[0]),
        maturity_quantile=maturity_quantile, maturity_lag=maturity_lag, as_of=stamp,
        windows=frame.reset_index(drop=True), p90_low=_duration(p90[1]), p90_high=_duration(p90[2]),
        arrived_median=_duration(overall["median"]), arrived_p90=_duration(overall["p90"]),
        followed=_duration(curve.followed), max_lag=pd.Timedelta(seconds=ceiling) if ceiling is not None else None)


def _max_lag(value: Any) -> float | None:
    """``max_lag`` in seconds (None: none declared)."""
    if value is None:
        return None
    try:
        seconds = pd.Timedelta(value).total_seconds()
    except (TypeError, ValueError) as exc:
        raise ParameterError.invalid("max_lag", "a positive duration such as '90 days'", value) from exc
    if not seconds > 0:
        raise ParameterError.invalid("max_lag", "a positive duration such as '90 days'", value)
    return float(seconds)


def _survival(log: PredictionLog, table: Any, labelled: Any, stamp: pd.Timestamp, first: pd.Timestamp,
              ceiling: float | None) -> LagSurvival:
    """The Kaplan-Meier curve of lag: arrived outcomes are events at their lag, the others censored at their
    follow-up by ``stamp``; both counted per bin of 1/4000 of the longest follow-up, in the engine."""
    followed = max((stamp - first).total_seconds(), 1.0)
    width = max(followed / 4000.0, 1.0)
    waited = timestamp_literal(stamp).delta(table.predicted_at, unit="millisecond") / 1000.0
    time = ibis.ifelse(labelled, lag_seconds(table), waited)
    binned = table.mutate(__bin=(time / width).ceil().cast("int64"), __event=labelled)
    counts = log.execute(binned.group_by(["__bin", "__event"]).agg(n=binned.count(), last=time.max()))
    counts["__event"] = counts["__event"].astype(bool)
    pivot = counts.pivot_table(index="__bin", columns="__event", values="n", aggfunc="sum", fill_value=0)
    events = pivot[True].to_numpy(float) if True in pivot.columns else np.zeros(len(pivot))
    waiting = pivot[False].to_numpy(float) if False in pivot.columns else np.zeros(len(pivot))
    # an event bin's time is its longest lag (exact when a bin holds one lag); a bin of censored rows only, its end
    last = counts[counts["__event"]].set_index("__bin")["last"].astype(float)
    times = last.reindex(pivot.index).fillna(pd.Series(pivot.index.to_numpy(float) * width, index=pivot.index))
    return kaplan_meier(times.to_numpy(float), events, waiting, followed, ceiling)


def _duration(seconds: Any) -> pd.Timedelta:
    """Seconds from the engine as a Timedelta (NaT when the engine had no labelled rows)."""
    value = float(seconds) if seconds is not None and not pd.isna(seconds) else np.nan
    return pd.Timedelta(np.nan) if np.isnan(value) else pd.Timedelta(seconds=value)


def _as_of(as_of: Any, last_predicted: Any, last_observed: Any) -> pd.Timestamp:
    """The time the report describes: the given ``as_of``, or the latest time the log knows of."""
    if as_of is not None:
        return pd.Timestamp(timestamp_literal(as_of).op().value)
    known = [pd.Timestamp(t) for t in (last_predicted, last_observed) if t is not None and not pd.isna(t)]
    return max(known)
