"""Multivariate drift: can a classifier tell current rows from reference rows?

:func:`domain_classifier_drift` samples both tables in the engine and brings only the samples to Python;
:func:`classify_domains` (pure: two data frames in, a :class:`DomainClassifier` out) cross-validates gradient
boosting on them. It catches shifts in how columns move together that no single column shows.

References
----------
Rabanser, S., Günnemann, S. & Lipton, Z. (2019). Failing loudly: an empirical study of methods for detecting
dataset shift. NeurIPS. (Domain classifiers.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.monitoring.drift_plan import MAX_CATEGORIES, RESOLUTION, WASSERSTEIN_TOLERANCE, build_spec
from answerkey.monitoring.drift_queries import fetch

__all__ = ["DomainClassifier", "classify_domains", "domain_classifier_drift"]


@dataclass(frozen=True, slots=True)
class DomainClassifier:
    """How well a classifier tells the current sample from the reference one (multivariate drift).

    ``auc`` is the cross-validated ROC AUC (0.5: the samples look alike; 1.0: fully separable), ``p_value``
    the one-sided Mann-Whitney test of AUC > 0.5 on the out-of-fold scores, ``importances`` the drop in AUC
    when a column is shuffled in the held-out fold (largest first): the columns that carry the shift.
    """

    auc: float
    p_value: float
    threshold: float
    drifted: bool
    importances: dict[str, float]
    n_reference: int
    n_current: int


def domain_classifier_drift(reference: ir.Table, current: ir.Table, *, columns: Sequence[str] | None = None,
                            categorical: Sequence[str] = (), sample_size: int = 20_000, threshold: float = 0.55,
                            alpha: float = 0.05, folds: int = 5, seed: int = 0) -> DomainClassifier:
    """Multivariate drift: can a classifier tell current rows from reference rows?

    Up to ``sample_size`` rows are sampled from each table in the engine (seeded where the engine allows;
    Ibis's PySpark backend takes no seed), and only the samples come to Python, where gradient boosting is
    cross-validated on them (:func:`classify_domains`). It catches shifts in how columns move together that no
    single column shows.
    """
    spec = build_spec(reference, current, columns, (), categorical, None, None, None, "chi_square", None, 10, alpha,
                      MAX_CATEGORIES, RESOLUTION, WASSERSTEIN_TOLERANCE)
    if isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 10 * folds:
        raise ParameterError.invalid("sample_size", f"an integer of at least {10 * folds}", sample_size)
    names = [*spec.numeric, *spec.categorical]
    samples = [_sample(table, names, sample_size, seed, name)
               for name, table in (("reference", reference), ("current", current))]
    return classify_domains(*samples, categorical=spec.categorical, threshold=threshold, alpha=alpha,
                            folds=folds, seed=seed)


def _sample(table: ir.Table, columns: list[str], size: int, seed: int, name: str) -> pd.DataFrame:
    rows = int(table.count().execute())
    if rows < 5:
        raise ParameterError.invalid(name, "a table with at least 5 rows", f"{rows} rows")
    picked = table.select(*columns)
    fraction = min(1.0, 1.5 * size / rows)
    if fraction < 1.0:
        try:
            return fetch(picked.sample(fraction, seed=seed).limit(size))
        except ibis.common.exceptions.UnsupportedOperationError:  # a backend without seeded sampling
            picked = picked.sample(fraction)
    return fetch(picked.limit(size))


def classify_domains(reference: pd.DataFrame, current: pd.DataFrame, *, categorical: Sequence[str] = (),
                     threshold: float = 0.55, alpha: float = 0.05, folds: int = 5, seed: int = 0) -> DomainClassifier:
    """Train gradient boosting to tell ``current`` rows from ``reference`` rows, with ``folds``-fold CV.

    Numeric columns go in as they are (missing values allowed), ``categorical`` ones as category codes (the 254
    most frequent, the rest together). ``drifted`` when the AUC exceeds ``threshold`` and its p-value is below
    ``alpha``: AUC 0.55 is what a mean shift of about 0.18 standard deviations in one normal column gives
    (AUC = Phi(delta / sqrt 2)), the same order as the per-column Wasserstein threshold of 0.1.
    """
    from scipy.stats import mannwhitneyu
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    columns = list(reference.columns)
    both = pd.concat([reference[columns], current[columns]], ignore_index=True)
    features = pd.DataFrame(index=both.index)
    for column in columns:
        if column in categorical:
            values = both[column].astype("string")
            top = values.value_counts().index[:254]
            features[column] = pd.Categorical(values.where(values.isin(top), "(other)")).codes.astype(float)
            features.loc[values.isna().to_numpy(), column] = np.nan
        else:
            features[column] = pd.to_numeric(both[column], errors="coerce").astype(float)
    target = np.r_[np.zeros(len(reference)), np.ones(len(current))]
    matrix = features.to_numpy()
    is_categorical = np.array([c in categorical for c in columns])
    scores = np.zeros(len(target))
    drops = np.zeros(len(columns))
    rng = np.random.default_rng(seed)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(matrix, target):
        model = HistGradientBoostingClassifier(max_iter=100, categorical_features=is_categorical if
                                               is_categorical.any() else None, random_state=seed)
        model.fit(matrix[train], target[train])
        scores[test] = model.predict_proba(matrix[test])[:, 1]
        base = roc_auc_score(target[test], scores[test])
        for j in range(len(columns)):
            shuffled = matrix[test].copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            drops[j] += (base - roc_auc_score(target[test], model.predict_proba(shuffled)[:, 1])) / folds
    auc = float(roc_auc_score(target, scores))
    p_value = float(mannwhitneyu(scores[target == 1], scores[target == 0], alternative="greater").pvalue)
    order = np.argsort(-drops)
    return DomainClassifier(auc, p_value, threshold, bool(auc > threshold and p_value < alpha),
                            {columns[j]: float(drops[j]) for j in order}, len(reference), len(current))
