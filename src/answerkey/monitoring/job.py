"""The monitor job: one pass over a prediction log that says how the model is doing and what to do about it.

Label lag and coverage, realized performance by window (and segment), estimated performance from calibrated
scores where the outcomes have not arrived, drift of the inputs, the predictions and the outcomes against the
reference (the training ground truth, or the log's own early period), segments production has and the
reference lacks, the findings, and the retraining signal. Every pass over rows runs in the log's engine
(DuckDB or Spark through Ibis); only aggregates reach pandas.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import ibis
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.findings import Finding
from answerkey.jsonable import plain, records
from answerkey.monitoring import alerts
from answerkey.monitoring.inputs import PredictionLog, timestamp_literal
from answerkey.monitoring.lag import LagReport, label_lag
from answerkey.monitoring.realized import realized_performance
from answerkey.monitoring.signal import RetrainingSignal, retraining_signal
from answerkey.monitoring.windows import check_segments, parse_windows

__all__ = ["MonitorRun", "reference_period", "run_monitor"]

_REALIZED_NAME = {"binary": {"roc_auc": "roc_auc", "f1": "f1", "accuracy": "accuracy"},
                  "multiclass": {"roc_auc": "roc_auc_macro", "f1": "f1_macro", "accuracy": "accuracy"},
                  "confidence": {"accuracy": "accuracy"}}
"""The realized metric each estimated metric is compared with, by kind of score."""


@dataclass(frozen=True)
class MonitorRun:
    """What one monitor run found for one model, as of one moment."""

    model: str
    source: str
    as_of: pd.Timestamp
    window: str | int
    lag: LagReport
    realized: pd.DataFrame
    realized_by_segment: pd.DataFrame | None = None
    estimated: pd.DataFrame | None = None
    drift: pd.DataFrame | None = None
    multivariate: dict[str, Any] | None = None
    mismatch: pd.DataFrame | None = None
    findings: list[Finding] = field(default_factory=list)
    signal: RetrainingSignal | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; the shape ``answerkey monitor --json`` prints and a recorded run stores."""
        drift = None if self.drift is None else self.drift.drop(columns=["details"], errors="ignore")
        return {"model": self.model, "source": self.source, "as_of": self.as_of.isoformat(),
                "window": self.window, "lag": self.lag.to_dict(), "realized": records(self.realized),
                "realized_by_segment": records(self.realized_by_segment), "estimated": records(self.estimated),
                "drift": records(drift), "multivariate": plain(self.multivariate),
                "mismatch": records(self.mismatch), "findings": [plain(f.to_dict()) for f in self.findings],
                "signal": None if self.signal is None else plain(self.signal.to_dict()), "notes": self.notes}


def reference_period(log: PredictionLog, until: Any) -> tuple[PredictionLog, PredictionLog]:
    """Cut a log in two at ``until``: the predictions before it (with their outcomes) as the reference, the rest
    as the log to monitor; for a model whose training data is not at hand."""
    cut = timestamp_literal(until, "reference_until")
    preds = log.inputs_known_by()
    before = log.table.filter(log.table.predicted_at < cut)
    after = log.table.filter(log.table.predicted_at >= cut)
    return (replace(log, table=before, predictions=preds.filter(preds.predicted_at < cut),
                    source=f"{log.source} before {until}"),
            replace(log, table=after, predictions=preds.filter(preds.predicted_at >= cut),
                    source=f"{log.source} from {until}"))


def _model_name(log: PredictionLog) -> str:
    if "model" not in log.optional:
        return log.source
    names = log.execute(log.table.select("model").distinct().limit(3))["model"].dropna().astype(str).tolist()
    if len(names) > 1:
        raise ParameterError(f"{log.source} holds predictions of several models ({', '.join(names)}, ...): "
                             "monitor one at a time (--model)")
    return names[0] if names else log.source


def _score_kind(log: PredictionLog) -> tuple[str | None, Any]:
    """How performance can be estimated: from class probabilities, a binary score, or a top-class confidence."""
    if log.columns.class_scores:
        return "multiclass", dict(log.columns.class_scores)
    if "score" not in log.optional:
        return None, None
    outcome_type = log.table.outcome.type()
    binary = outcome_type.is_boolean()
    if outcome_type.is_numeric():
        values = log.execute(log.table.select("outcome").filter(log.table.outcome.notnull()).distinct().limit(3))
        binary = set(values["outcome"].tolist()) <= {0, 1}
    return ("binary" if binary else "confidence"), "score"


def _as_of_visible(log: PredictionLog, as_of: Any) -> Any:
    """The log as known at ``as_of``: outcomes observed later are set to null."""
    table = log.known_by(as_of)
    if as_of is None:
        return table
    seen = log.labelled(table, as_of)
    return table.mutate(outcome=ibis.ifelse(seen, table.outcome, ibis.null(table.outcome.type())))


def _estimated(log: PredictionLog, reference: PredictionLog, current: Any, window: str | int,
               lag: LagReport) -> tuple[pd.DataFrame | None, str | None]:
    from answerkey.monitoring.estimated import estimate_performance

    kind, score = _score_kind(log)
    if kind is None:
        return None, "no score or class probabilities in the log: performance is not estimated before outcomes"
    prediction = "prediction" if "prediction" in log.optional else None
    if kind == "binary" and prediction is not None and not log.table.prediction.type().is_numeric():
        prediction = None
    names = _REALIZED_NAME[kind]
    ref = reference.table.filter(reference.labelled())
    calendar = window if isinstance(window, str) else None
    frame = estimate_performance(ref, current, target="outcome", score=score, prediction=prediction,
                                 metrics=list(names), window=calendar,
                                 chunk_size=None if calendar else int(window), timestamp="predicted_at")
    frame["window_start"] = pd.to_datetime(frame["chunk"]) if calendar else pd.to_datetime(frame["start"])
    frame["realized_metric"] = frame["metric"].map(names)
    maturity = lag.windows[["window_start", "mature", "coverage"]].copy()
    maturity["window_start"] = pd.to_datetime(maturity["window_start"])
    frame = frame.merge(maturity.drop_duplicates("window_start"), on="window_start", how="left")
    frame["mature"] = frame["mature"].fillna(False).astype(bool)
    if "labeled" not in frame:
        frame["labeled"], frame["realized"] = 0, float("nan")
    return frame, None


def _drift(reference: PredictionLog, current: Any, window: str | int, features: Sequence[str] | None,
           log: PredictionLog, segments: list[str], as_of: Any) -> tuple[pd.DataFrame, list[str]]:
    from answerkey.monitoring.drift import window_drift

    available = set(reference.table.columns)
    wanted = list(features) if features is not None else [
        c for c in (*log.extra, *(("score",) if "score" in log.optional else ())) if c in available]
    missing = [c for c in wanted if c not in available or c not in current.columns]
    if missing:
        raise ParameterError.invalid("features", "columns of both the reference and the log", missing)
    categorical = [c for c in segments if c in wanted]
    prediction = "prediction" if "prediction" in log.optional and "prediction" in available else None
    options: dict[str, Any] = {"time_column": "predicted_at", "window": window if isinstance(window, str) else "week"}
    # the features and predictions from the predictions alone (no outcome join to run), the outcomes apart
    inputs = window_drift(reference.table, log.inputs_known_by(as_of), columns=wanted, categorical=categorical,
                          prediction=prediction, **options)
    with warnings.catch_warnings():  # windows whose outcomes have not arrived have no label drift: expected
        warnings.filterwarnings("ignore", message="drift of 'outcome'", category=RuntimeWarning)
        outcomes = window_drift(reference.table, current, columns=[], label="outcome", **options)
    frame = pd.concat([inputs, outcomes], ignore_index=True).sort_values("window", kind="stable")
    return frame.reset_index(drop=True), wanted


def run_monitor(
    log: PredictionLog,
    *,
    reference: PredictionLog | None = None,
    window: str | int = "week",
    by: str | Sequence[str] | None = None,
    features: Sequence[str] | None = None,
    as_of: Any = None,
    min_labels: int = 30,
    multivariate: bool = True,
    ground_truth: Sequence[Finding] = (),
) -> MonitorRun:
    """Run the whole monitor on ``log`` against ``reference`` (a labelled log: training ground truth with the
    model's predictions, or :func:`reference_period` of the log itself).

    Without a reference there is no drift, no estimate and no band: only lag and realized performance.
    ``ground_truth`` adds the workspace's own findings (stale labels) to the retraining signal.
    """
    windows = parse_windows(window)
    segments = check_segments(by, log.table.columns, log.source)
    model = _model_name(log)
    lag = label_lag(log, window=window, as_of=as_of)
    realized = realized_performance(log, window=window, min_labels=min_labels, as_of=as_of)
    by_segment = (realized_performance(log, window=window, by=segments, min_labels=min_labels, as_of=as_of)
                  if segments else None)
    findings = [*alerts.lag_findings(lag.windows, model), *ground_truth]
    notes: list[str] = []
    estimated = drift = mismatch = None
    multi: dict[str, Any] | None = None
    if reference is not None:
        current = _as_of_visible(log, as_of)
        estimated, note = _estimated(log, reference, current, window, lag)
        notes += [note] if note else []
        if estimated is not None:
            findings += alerts.performance_findings(estimated, model, min_labels)
        drift, columns = _drift(reference, current, windows.unit or "week", features, log, segments, as_of)
        findings += alerts.drift_findings(drift, model)
        if multivariate and columns:
            multi, found = _multivariate(reference, current, columns, segments, model)
            findings += found
        if segments:
            mismatch, found = _mismatch(log, reference, current, segments, min_labels, as_of)
            findings += found
    else:
        notes.append("no reference: drift, estimated performance and alert bands need the training ground truth "
                     "(--reference) or an early period of the log (--reference-until)")
    first, last = _maturities(lag)
    signal = retraining_signal(model, findings, maturity=last, next_window=first)
    return MonitorRun(model=model, source=log.source, as_of=lag.as_of, window=window, lag=lag, realized=realized,
                      realized_by_segment=by_segment, estimated=estimated, drift=drift, multivariate=multi,
                      mismatch=mismatch, findings=findings, signal=signal, notes=notes)


def _multivariate(reference: PredictionLog, current: Any, columns: list[str], segments: list[str],
                  model: str) -> tuple[dict[str, Any], list[Finding]]:
    from answerkey.monitoring.drift import domain_classifier_drift

    latest = current.predicted_at.max()
    start = latest.truncate("W")
    last_window = current.filter(current.predicted_at >= start)
    result = domain_classifier_drift(reference.table, last_window, columns=columns,
                                     categorical=[c for c in segments if c in columns], sample_size=5_000)
    stamp = reference.con.execute(start)
    summary = {"window": pd.Timestamp(stamp).isoformat(), "auc": result.auc, "p_value": result.p_value,
               "threshold": result.threshold, "drifted": result.drifted, "importances": result.importances,
               "n_reference": result.n_reference, "n_current": result.n_current}
    return summary, alerts.multivariate_finding(result, model, stamp)


def _mismatch(log: PredictionLog, reference: PredictionLog, current: Any, segments: list[str], min_labels: int,
              as_of: Any) -> tuple[pd.DataFrame, list[Finding]]:
    from answerkey.monitoring.mismatch import segment_mismatch

    total = max(int(log.execute(log.known_by(as_of).count().name("n").as_table())["n"].iloc[0]), 1)
    overall = realized_performance(log, window=total, by=segments, min_labels=min_labels, as_of=as_of)
    performance = overall[overall["metric"].isin(["accuracy", "f1_macro"]) & overall["label"].isna()]
    return segment_mismatch(reference.table, current, by=segments, performance=performance)


def _maturities(lag: LagReport) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """When the first and the last window still waiting for outcomes will be mature (None: all are)."""
    waiting = pd.to_datetime(lag.windows.loc[~lag.windows["mature"].astype(bool), "expected_maturity"])
    if waiting.empty:
        return None, None
    return pd.Timestamp(waiting.min()), pd.Timestamp(waiting.max())
