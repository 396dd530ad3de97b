"""``agreement()``: every coefficient at once, each with the data it rests on and a bootstrap interval."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from answerkey.errors import ParameterError
from answerkey.quality.agreement._data import SET_LEVELS, RatingCounts, canonical_sets, long_frame, rating_counts
from answerkey.quality.agreement.chance import chance_corrected, observed_agreement
from answerkey.quality.agreement.krippendorff import alpha_from_counts
from answerkey.quality.agreement.pairwise import cohen_from_table, paired_judgements
from answerkey.quality.agreement.weights import agreement_weights

__all__ = ["AgreementReport", "Estimate", "agreement", "bootstrap_interval"]


@dataclass(frozen=True)
class Estimate:
    """A coefficient, its bootstrap interval (when asked for) and how much data it rests on."""

    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    n_items: int = 0
    n_pairable: int = 0


@dataclass(frozen=True)
class AgreementReport:
    """All coefficients for one set of annotations."""

    level: str
    n_items: int
    n_annotators: int
    n_judgements: int
    estimates: dict[str, Estimate] = field(default_factory=dict)
    ci: float | None = None

    def __getitem__(self, name: str) -> float:
        return self.estimates[name].value

    @property
    def set_valued(self) -> bool:
        """Whether judgements are label sets (level masi or jaccard): every coefficient but Krippendorff's alpha
        then measures exact-set agreement."""
        return self.level in SET_LEVELS

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: each coefficient's value at top level, details under ``estimates``."""
        values = {name: _json_float(e.value) for name, e in self.estimates.items()}
        details = {name: {k: _json_float(v) for k, v in asdict(e).items()} for name, e in self.estimates.items()}
        return {**values, "level": self.level, "n_items": self.n_items, "n_annotators": self.n_annotators,
                "n_judgements": self.n_judgements, "ci": self.ci, "estimates": details}


def _json_float(value: Any) -> Any:
    return None if isinstance(value, float) and np.isnan(value) else value


def bootstrap_interval(
    statistic: Callable[[np.ndarray], float], n_rows: int, ci: float, n_boot: int, seed: int
) -> tuple[float, float]:
    """Percentile interval of ``statistic`` over item resamples (rows drawn with replacement)."""
    rng = np.random.default_rng(seed)
    values = np.empty(n_boot)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for b in range(n_boot):
            values[b] = statistic(rng.integers(0, n_rows, n_rows))
    values = values[~np.isnan(values)]
    if not len(values):
        return float("nan"), float("nan")
    tail = (1.0 - ci) / 2.0 * 100.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)


def agreement(
    annotations: Any,
    level: str = "nominal",
    order: Sequence[Any] | None = None,
    *,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> AgreementReport:
    """Percent agreement, Krippendorff's alpha, Fleiss' kappa, Gwet's AC1 (and AC2 when ordered),
    Brennan-Prediger, and Cohen's kappa and Scott's pi when there are exactly two annotators.

    With ``ci`` (e.g. 0.95) each comes with a percentile bootstrap interval over items (``n_boot``
    resamples, seeded). Undefined coefficients are NaN with an ``UndefinedAgreementWarning``.

    At the set levels (``"masi"``, ``"jaccard"``: multi-label judgements such as ``"billing|shipping"``) only
    Krippendorff's alpha gives partial credit to overlapping sets. Percent agreement, Fleiss' kappa, Gwet's
    AC1, Brennan-Prediger and (two annotators) Cohen's kappa treat each distinct label set as one nominal
    category: they measure exact-set agreement, where ``"a|b"`` against ``"a"`` is a full disagreement. There is
    no Gwet's AC2 or weighted kappa for sets: their chance terms depend on which sets happen to be observed.
    """
    if ci is not None and not 0 < ci < 1:
        raise ParameterError.invalid("ci", "a confidence level between 0 and 1", ci)
    frame = long_frame(annotations)
    if level in SET_LEVELS:
        frame = frame.assign(label=canonical_sets(frame["label"]))  # "b|a" is "a|b" for the exact-set coefficients
    data = rating_counts(frame, level=level, order=order)
    rated = data.take(np.flatnonzero(data.per_item >= 1))
    n_pairable = int((rated.per_item >= 2).sum())
    identity = np.eye(len(data.categories))
    statistics: dict[str, Callable[[RatingCounts], float]] = {
        "percent_agreement": lambda d: observed_agreement(d.counts, identity),
        "krippendorff_alpha": lambda d: alpha_from_counts(d, level),
        "fleiss_kappa": lambda d: chance_corrected(d, "fleiss"),
        "gwet_ac1": lambda d: chance_corrected(d, "gwet"),
        "brennan_prediger": lambda d: chance_corrected(d, "brennan_prediger"),
    }
    if level not in ("nominal", *SET_LEVELS):
        statistics["gwet_ac2"] = lambda d: chance_corrected(d, "gwet", "quadratic")
    estimates: dict[str, Estimate] = {}
    for name, statistic in statistics.items():
        value = statistic(rated)
        low = high = None
        if ci is not None:
            def resampled(rows: np.ndarray, s: Callable[[RatingCounts], float] = statistic) -> float:
                return s(rated.take(rows))

            low, high = bootstrap_interval(resampled, len(rated.items), ci, n_boot, seed)
        estimates[name] = Estimate(value, low, high, len(rated.items), n_pairable)
    annotators = list(frame["annotator_id"].unique())
    if len(annotators) == 2:
        estimates.update(_two_rater_estimates(frame, level, order, ci, n_boot, seed))
    return AgreementReport(level, len(rated.items), len(annotators), len(frame), estimates, ci)


def _two_rater_estimates(
    frame: Any, level: str, order: Sequence[Any] | None, ci: float | None, n_boot: int, seed: int
) -> dict[str, Estimate]:
    unordered = level in ("nominal", *SET_LEVELS)  # label sets: each distinct set is a nominal category
    pairs = paired_judgements(frame, order=None if level in SET_LEVELS else order,
                              level="nominal" if unordered else "ordinal")
    k = len(pairs.categories)
    weighting = {"cohen_kappa": None} if unordered else {"cohen_kappa": None, "cohen_kappa_quadratic": "quadratic"}
    out = {}
    for name, kind in weighting.items():
        weights = agreement_weights(kind, pairs.values)

        def statistic(rows: np.ndarray, w: np.ndarray = weights) -> float:
            table = np.bincount(pairs.first[rows] * k + pairs.second[rows], minlength=k * k).reshape(k, k)
            return cohen_from_table(table.astype(float), w)

        everything = np.arange(len(pairs.first))
        value = statistic(everything)
        low = high = None
        if ci is not None:
            low, high = bootstrap_interval(statistic, len(everything), ci, n_boot, seed)
        out[name] = Estimate(value, low, high, len(everything), len(everything))
    return out
