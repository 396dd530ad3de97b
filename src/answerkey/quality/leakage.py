"""Label leakage: features that know the answer because of how or when they were recorded, not what they mean.

Five checks over one table of features and a label, each returning ``Finding`` objects that say why the column
is suspicious and what to do:

- ``leakage.single_feature``: the feature alone predicts the label (cross-validated one-feature model, ROC AUC at
  or above ``auc_threshold``);
- ``leakage.after_label_time``: the feature's value becomes known after the label does (the "contract sent"
  pattern: a field filled in because the customer already churned);
- ``leakage.identifier``: an id whose order predicts the label (auto-increment ids encode time, prefixes source);
- ``leakage.row_order``: the row order predicts the label (a file sorted by label or by time);
- ``leakage.target_encoding``: a column equal to the label mean of the rows sharing its value, i.e. a target
  encoding computed over the whole set, each row's own label included.

The statistics live in ``leakage_signals``; see there for the one-feature model.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.findings import Finding, Severity
from answerkey.quality import leakage_signals as signals
from answerkey.timestamps import parse_timestamps

__all__ = ["MODEL_ROWS", "LeakageReport", "check_leakage"]

MODEL_ROWS = 200_000
"""Labeled rows the one-feature models see at most (a seeded random subsample above that)."""
ENCODING_TOLERANCE = 0.005
"""How far a value may sit from its group's label rate and still count as equal (values rounded to 2 places)."""
ENCODING_SHARE = 0.8
"""Share of rows in matching groups from which a column is reported as an in-sample target encoding."""


@dataclass(frozen=True)
class LeakageReport:
    """Every feature's leakage statistics, most suspicious first, and the findings behind the flags.

    ``features`` has one row per feature: ``feature``, ``kind`` (numeric, categorical, text, identifier, time),
    ``auc`` (cross-validated one-feature ROC AUC; macro one-vs-rest for more than two classes),
    ``mutual_information`` (with the label, in nats), ``missing_share``, ``missing_auc`` (AUC of missingness
    alone), ``late_share`` (share of rows available after the label time; NaN when not checked), ``n`` (rows
    scored), ``flagged`` and ``reasons`` (the checks that flagged it, ``'; '``-joined, empty when none). Flagged
    features come first, then by AUC. ``row_order_auc`` is the AUC of the row position.
    """

    features: pd.DataFrame
    findings: list[Finding]
    row_order_auc: float


def _column(frame: pd.DataFrame, name: str | None, parameter: str) -> None:
    if name is not None and name not in frame.columns:
        close = difflib.get_close_matches(str(name), [str(c) for c in frame.columns], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError.invalid(parameter, f"a column of the frame{hint}", name)


def _times(values: pd.Series, parameter: str) -> pd.Series:
    """A column of timestamps (datetimes or ISO 8601 text) as naive UTC."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = pd.to_datetime(values)
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        return stamps.astype("datetime64[ns]")
    if pd.api.types.is_numeric_dtype(values.dtype) and values.notna().any():
        raise ParameterError.invalid(parameter, "a column of timestamps", f"{values.name!r} of {values.dtype}")
    return parse_timestamps(values.astype("object").where(values.notna(), None)).astype("datetime64[ns]")


def _availability(frame: pd.DataFrame, feature_times: Mapping[str, str] | pd.DataFrame | None) -> dict[str, str]:
    """``feature_times`` as feature -> column name or fixed ISO timestamp, checked against the frame."""
    if feature_times is None:
        return {}
    if isinstance(feature_times, pd.DataFrame):
        if not {"feature", "available_at"} <= set(feature_times.columns):
            raise ParameterError.invalid("feature_times", "a table with columns feature and available_at",
                                         list(feature_times.columns))
        if feature_times["feature"].duplicated().any():
            twice = sorted(feature_times.loc[feature_times["feature"].duplicated(), "feature"].astype(str))[:5]
            raise ParameterError.invalid("feature_times", "one row per feature", f"repeated {twice}")
        pairs = dict(zip(feature_times["feature"].astype(str), feature_times["available_at"], strict=True))
    elif isinstance(feature_times, Mapping):
        pairs = dict(feature_times)
    else:
        raise ParameterError.invalid("feature_times", "a mapping or a table", type(feature_times).__name__)
    unknown = sorted(str(f) for f in pairs if f not in frame.columns)
    if unknown:
        raise ParameterError.invalid("feature_times", "features that are columns of the frame", unknown[:5])
    for feature, when in pairs.items():
        if not isinstance(when, str) or (when not in frame.columns and pd.isna(_fixed_time(when))):
            raise ParameterError.invalid("feature_times", "column names or ISO timestamps as available_at",
                                         f"{when!r} for {feature!r}")
    return {str(f): str(w) for f, w in pairs.items()}


def _fixed_time(text: str) -> pd.Timestamp:
    parsed = parse_timestamps(pd.Series([text], dtype="object"))
    return pd.Timestamp(parsed.iloc[0])


def _validate(frame: pd.DataFrame, label: str, features: Sequence[str] | None, label_time: str | None,
              availability: dict[str, str], order: str | None, thresholds: Mapping[str, float], folds: int,
              seed: int, max_rows: int) -> list[str]:
    """Check every parameter once; the features to score."""
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError.invalid("frame", "a pandas DataFrame", type(frame).__name__)
    _column(frame, label, "label")
    _column(frame, label_time, "label_time")
    _column(frame, order, "order")
    for name, value in thresholds.items():
        low, high = (0.0, 1.0) if name == "late_tolerance" else (0.5, 1.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ParameterError.invalid(name, f"a number in [{low}, {high}]", value)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ParameterError.invalid("folds", "an integer of at least 2", folds)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ParameterError.invalid("seed", "an integer", seed)
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 10:
        raise ParameterError.invalid("max_rows", "an integer of at least 10", max_rows)
    if availability and label_time is None:
        raise ParameterError.invalid("label_time", "a column of the frame when feature_times is given", None)
    if features is None:
        skip = {label, label_time, order, *availability.values()}
        return [str(c) for c in frame.columns if c not in skip]
    if isinstance(features, str):
        raise ParameterError.invalid("features", "a sequence of column names", features)
    unknown = [f for f in features if f not in frame.columns]
    if unknown:
        raise ParameterError.invalid("features", "columns of the frame", unknown[:5])
    if label in features or (label_time is not None and label_time in features):
        raise ParameterError.invalid("features", "columns other than the label and the label time", list(features))
    return list(dict.fromkeys(features))


def _auc_text(label: str, stats: Mapping[str, Any]) -> str:
    """How the flagging AUC reads: overall, or for one class against the rest."""
    auc, flagged_class = stats["passing"]
    if flagged_class is None:
        by_class: Mapping[str, float] = stats.get("auc_by_class") or {}
        if not by_class:
            return f"with cross-validated AUC {auc:.3f}"
        best = max(by_class, key=lambda c: by_class[c] if np.isfinite(by_class[c]) else -1.0)
        return f"with cross-validated macro AUC {auc:.3f} (best class {best!r}: {by_class[best]:.3f})"
    return (f"with cross-validated AUC {auc:.3f} for {label}={flagged_class!r} against the other classes "
            f"(macro {stats['auc']:.3f})")


def _single_feature(feature: str, kind: str, label: str, stats: dict[str, Any], threshold: float) -> Finding:
    auc = stats["passing"][0]
    what = (f"{feature!r} alone predicts {label!r} {_auc_text(label, stats)} (threshold {threshold:.2f}): "
            "one feature this predictive is usually recorded after the outcome or derived from the label. ")
    if stats["missing_auc"] >= max(0.75, auc - 0.05):
        what += (f"Whether it is missing alone gives AUC {stats['missing_auc']:.3f}: it is probably filled in only "
                 "once the outcome is known. ")
    what += "Check when its value becomes known; drop it or use its value as of the prediction time."
    return Finding("leakage.single_feature", what, feature, Severity.ERROR, auc, _evidence(kind, stats, threshold))


def _evidence(kind: str, stats: Mapping[str, Any], threshold: float) -> dict[str, Any]:
    keep = ("auc", "mutual_information", "missing_share", "missing_auc", "n", "auc_by_class")
    found = {key: stats[key] for key in keep if key in stats}
    if stats.get("passing") is not None and stats["passing"][1] is not None:
        found["flagged_class"] = stats["passing"][1]
    return {"kind": kind, **found, "threshold": threshold}


def _score_feature(values: pd.Series, kind: str, labels: np.ndarray, folds: np.ndarray, classes: list[str],
                   seed: int, threshold: float) -> dict[str, Any]:
    """The one-feature model's AUC (and whether it passes ``threshold``), mutual information, missingness."""
    n_classes = len(classes)
    missing = values.isna().to_numpy()
    if kind == "text":
        probabilities = signals.text_probabilities(values, labels, folds, n_classes, seed)
        information = float("nan")
    else:
        if kind == "categorical":
            codes, _ = pd.factorize(values.astype("object"), use_na_sentinel=True)
            codes = np.where(codes < 0, int(codes.max(initial=-1)) + 1, codes).astype(np.int64)
            represented: np.ndarray = codes
        else:
            represented = signals.order_rank(values) if kind == "identifier" else signals.numeric_values(values)
            codes = signals.numeric_codes(represented)
        probabilities = signals.out_of_fold_rates(codes, labels, folds, n_classes)
        information = signals.mutual_information(kind, represented, labels, seed)
    stats: dict[str, Any] = {
        "auc": signals.macro_auc(labels, probabilities),
        "mutual_information": information,
        "missing_share": float(missing.mean()) if len(missing) else 0.0,
        "missing_auc": signals.missing_auc(missing, labels, n_classes),
        "n": len(labels),
        "passing": _passing(labels, probabilities, threshold, classes),
    }
    if n_classes > 2:
        per_class = signals.auc_by_class(labels, probabilities)
        stats["auc_by_class"] = {c: round(float(a), 4) for c, a in zip(classes, per_class, strict=True)}
    return stats


def _passing(labels: np.ndarray, probabilities: np.ndarray, threshold: float,
             classes: list[str]) -> tuple[float, str | None] | None:
    passing = signals.passing_auc(labels, probabilities, threshold)
    if passing is None:
        return None
    return passing[0], (classes[passing[1]] if passing[1] is not None else None)


def check_leakage(
    frame: pd.DataFrame, label: str, *, features: Sequence[str] | None = None, label_time: str | None = None,
    feature_times: Mapping[str, str] | pd.DataFrame | None = None, order: str | None = None,
    auc_threshold: float = 0.9, identifier_threshold: float = 0.6, late_tolerance: float = 0.01, folds: int = 5,
    seed: int = 0, max_rows: int = MODEL_ROWS,
) -> LeakageReport:
    """Features that leak the label: too predictive alone, known after the label, ids, row order, target encoding.

    Parameters
    ----------
    frame : one row per example, with the label and the features.
    label : the label column; rows without a label are left out.
    features : the columns to check; default every column except ``label``, ``label_time``, ``order`` and the
        columns named in ``feature_times`` as availability times.
    label_time : the column of when each row's label (outcome) became known; needed with ``feature_times``.
    feature_times : when each feature's value became known: a mapping feature -> column of the frame, or a table
        with columns ``feature`` and ``available_at`` (a column name or one fixed ISO 8601 timestamp). Only given
        times are checked; columns named like ``<feature>_at`` are never guessed.
    order : the column giving the rows' order (default: the frame's order), for the row-order check.
    auc_threshold : the one-feature AUC from which a feature is flagged. 0.9 by default: honest single features
        rarely pass 0.8, and a feature this good alone is worth a look even when it turns out to be legitimate.
        With more than two classes the macro AUC, or any one class's one-vs-rest AUC, may reach it; either must
        also stand clearly above chance for the sample size (``leakage_signals.passing_auc``).
    identifier_threshold : the AUC from which an identifier or the row order is flagged, lower (0.6) because an
        id carries no meaning, so any real signal in it comes from how rows were numbered.
    late_tolerance : the share of rows available after the label time from which a feature is flagged.
    folds, seed : the stratified, shuffled cross-validation of the one-feature models.
    max_rows : labeled rows the one-feature models see at most (a seeded random subsample above that; the
        time and target-encoding checks use every row).

    Returns
    -------
    LeakageReport
        The per-feature table, most suspicious first, and the findings.

    References
    ----------
    .. [1] S. Kaufman, S. Rosset, C. Perlich and O. Stitelman, "Leakage in data mining: formulation, detection,
       and avoidance", ACM Transactions on Knowledge Discovery from Data 6(4), 2012.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> churned = rng.random(400) < 0.3
    >>> frame = pd.DataFrame({"churned": churned, "tenure": rng.normal(size=400) - churned,
    ...                       "exit_survey": np.where(churned, "done", None)})
    >>> report = check_leakage(frame, "churned")
    >>> report.features[["feature", "flagged"]].to_numpy().tolist()
    [['exit_survey', True], ['tenure', False]]
    >>> [f.check for f in report.findings]
    ['leakage.single_feature']
    """
    availability = _availability(frame, feature_times) if isinstance(frame, pd.DataFrame) else {}
    thresholds = {"auc_threshold": auc_threshold, "identifier_threshold": identifier_threshold,
                  "late_tolerance": late_tolerance}
    chosen = _validate(frame, label, features, label_time, availability, order, thresholds, folds, seed, max_rows)
    labeled = frame[label].notna().to_numpy()
    try:
        codes, uniques = pd.factorize(frame.loc[labeled, label], sort=True)
    except TypeError:  # labels of mixed types do not sort
        codes, uniques = pd.factorize(frame.loc[labeled, label])
    classes = [str(c) for c in uniques]
    if len(classes) < 2:
        raise ParameterError.invalid("label", "a column with at least two classes", f"only {classes}")
    labels = np.asarray(codes, dtype=np.int64)
    rows = np.flatnonzero(labeled)
    scored = np.arange(len(rows))
    if len(rows) > max_rows:
        scored = np.sort(np.random.default_rng(seed).choice(len(rows), max_rows, replace=False))
    fold = signals.fold_ids(labels[scored], folds, seed)
    subset = frame.iloc[rows[scored]]

    table: list[dict[str, Any]] = []
    findings: list[Finding] = []
    for feature in chosen:
        kind = signals.feature_kind(frame[feature].iloc[rows], feature)
        threshold = identifier_threshold if kind == "identifier" else auc_threshold
        stats = _score_feature(subset[feature], kind, labels[scored], fold, classes, seed, threshold)
        found: list[Finding] = []
        if kind == "identifier" and stats["passing"] is not None:
            found.append(_identifier(feature, label, frame[feature].iloc[rows], stats, threshold, auc_threshold))
        elif stats["passing"] is not None:
            found.append(_single_feature(feature, kind, label, stats, threshold))
        late_share = float("nan")
        if feature in availability and label_time is not None:
            late, late_share = _after_label_time(frame.iloc[rows], feature, availability[feature], label_time,
                                                 late_tolerance)
            found += late
        if kind in ("numeric", "identifier"):
            found += _target_encoding(feature, label, frame[feature].iloc[rows], labels, classes)
        findings += found
        table.append({
            "feature": feature, "kind": kind, "auc": stats["auc"], "mutual_information": stats["mutual_information"],
            "missing_share": stats["missing_share"], "missing_auc": stats["missing_auc"], "late_share": late_share,
            "n": stats["n"], "flagged": bool(found), "reasons": "; ".join(f.check for f in found),
        })
    position = signals.order_rank(frame[order]) if order is not None else np.arange(len(frame), dtype=float)
    by_position = signals.out_of_fold_rates(signals.numeric_codes(position[rows[scored]]), labels[scored], fold,
                                            len(classes))
    order_stats: dict[str, Any] = {"auc": signals.macro_auc(labels[scored], by_position), "n": len(scored),
                                   "passing": _passing(labels[scored], by_position, identifier_threshold, classes)}
    if len(classes) > 2:
        per_class = signals.auc_by_class(labels[scored], by_position)
        order_stats["auc_by_class"] = {c: round(float(a), 4) for c, a in zip(classes, per_class, strict=True)}
    if order_stats["passing"] is not None:
        findings.append(_row_order(order, label, order_stats, identifier_threshold, auc_threshold))
    return LeakageReport(_ranked(table), _ranked_findings(findings), float(order_stats["auc"]))


def _ranked(table: list[dict[str, Any]]) -> pd.DataFrame:
    columns = ["feature", "kind", "auc", "mutual_information", "missing_share", "missing_auc", "late_share", "n",
               "flagged", "reasons"]
    ranked = pd.DataFrame(table, columns=columns)
    ranked["rank_auc"] = ranked["auc"].fillna(0.0)
    ranked = ranked.sort_values(["flagged", "rank_auc"], ascending=[False, False], kind="stable")
    return ranked.drop(columns="rank_auc").reset_index(drop=True)


def _ranked_findings(findings: list[Finding]) -> list[Finding]:
    severity = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda f: (severity[f.severity], -(f.score if f.score is not None else 0.0)))


def _identifier(feature: str, label: str, values: pd.Series, stats: dict[str, Any], threshold: float,
                auc_threshold: float) -> Finding:
    auc = stats["passing"][0]
    distinct = float(values.nunique() / max(int(values.notna().sum()), 1))
    what = (f"{feature!r} looks like an identifier ({distinct:.0%} distinct values) yet its order predicts "
            f"{label!r} {_auc_text(label, stats)}: ids encode time or source (auto-increment ids grow "
            "with time, prefixes name the system that made the row). Split by time or group, and drop it from the "
            "features.")
    severity = Severity.ERROR if auc >= auc_threshold else Severity.WARNING
    evidence = {**_evidence("identifier", stats, threshold), "distinct_share": distinct}
    return Finding("leakage.identifier", what, feature, severity, auc, evidence)


def _row_order(order: str | None, label: str, stats: Mapping[str, Any], threshold: float,
               auc_threshold: float) -> Finding:
    source = f"the order of {order!r}" if order is not None else "the frame's row order"
    auc = stats["passing"][0]
    what = (f"The row position ({source}) predicts {label!r} {_auc_text(label, stats)}: the rows are "
            "sorted by the label or by something tied to it, such as time. Shuffle before any positional split "
            "(or split by time on purpose), and never use the row number as a feature.")
    severity = Severity.ERROR if auc >= auc_threshold else Severity.WARNING
    evidence = {"auc": stats["auc"], "n": stats["n"], "order": order, "threshold": threshold,
                **({"auc_by_class": stats["auc_by_class"]} if "auc_by_class" in stats else {})}
    if stats["passing"][1] is not None:
        evidence["flagged_class"] = stats["passing"][1]
    return Finding("leakage.row_order", what, order or "<row order>", severity, auc, evidence)


def _after_label_time(frame: pd.DataFrame, feature: str, available_at: str, label_time: str,
                      tolerance: float) -> tuple[list[Finding], float]:
    known = _times(frame[label_time], "label_time")
    if available_at in frame.columns:
        available = _times(frame[available_at], "feature_times")
    else:
        available = pd.Series(_fixed_time(available_at), index=frame.index, dtype="datetime64[ns]")
    compared, late, lag = signals.lateness(available, known)
    share = late / compared if compared else float("nan")
    if not compared or share <= tolerance:
        return [], share
    lag_text = str(lag) if lag is not None else "n/a"
    what = (f"{feature!r} becomes available ({available_at!r}) after the label is known ({label_time!r}) in "
            f"{share:.0%} of rows (median lag {lag_text}): when the prediction is made its value does not exist "
            "yet (the 'contract sent' pattern). Drop it or use its value as of the prediction time.")
    evidence = {"late_share": share, "late_rows": late, "rows_compared": compared, "median_lag": lag_text,
                "median_lag_hours": lag / pd.Timedelta(hours=1) if lag is not None else None,
                "available_at": available_at, "label_time": label_time, "tolerance": tolerance}
    return [Finding("leakage.after_label_time", what, feature, Severity.ERROR, share, evidence)], share


def _target_encoding(feature: str, label: str, values: pd.Series, labels: np.ndarray,
                     classes: list[str]) -> list[Finding]:
    numbers = signals.numeric_values(values)
    share, k, distinct = signals.target_encoding_match(numbers, labels, len(classes), ENCODING_TOLERANCE)
    if share < ENCODING_SHARE or distinct > len(numbers) / 2:
        return []
    what = (f"{feature!r} equals the share of {label}={classes[k]!r} among the rows with the same value in "
            f"{share:.0%} of rows: it looks like a target encoding computed over the whole set, each row's own "
            "label included, so it hands the label to training and evaluation. Recompute it out of fold (fit the "
            "encoding on the training folds only) or drop it.")
    evidence = {"matched_share": share, "class": classes[k], "distinct_values": distinct, "n": len(numbers),
                "tolerance": ENCODING_TOLERANCE}
    return [Finding("leakage.target_encoding", what, feature, Severity.ERROR, share, evidence)]
