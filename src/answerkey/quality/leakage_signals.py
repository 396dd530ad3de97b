"""The statistics behind the leakage checks: feature kinds, one-feature models, AUC, mutual information, encodings.

Every function here is pure and works on numpy arrays of one column at a time; ``leakage.py`` turns the numbers
into findings. A one-feature model is a *histogram model*: the feature is cut into codes (quantile bins for
numbers, one code per category, a code of its own for missing values) and each held-out row is scored with the
class rates of its code on the training folds, shrunk toward the training prior by one pseudo-row. That is a
decision tree over quantile bins without the greedy search: it catches non-monotone relations (which the AUC of
the raw value would miss), treats missingness as a signal of its own, and costs a few bincounts per fold, so
every column of a 100k-row table can be scored in well under a second. Free text gets TF-IDF and a logistic
regression instead.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "BINS_MAX",
    "MI_ROWS",
    "auc_by_class",
    "feature_kind",
    "fold_ids",
    "lateness",
    "macro_auc",
    "missing_auc",
    "mutual_information",
    "numeric_codes",
    "numeric_values",
    "order_rank",
    "out_of_fold_rates",
    "passing_auc",
    "target_encoding_match",
    "text_probabilities",
]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

BINS_MAX = 64
"""Most quantile bins a numeric feature is cut into (fewer on small data: about 100 rows a bin, which keeps
the out-of-fold rates of a weak feature from drowning in noise; 64 still resolves a sharp threshold)."""
MI_ROWS = 50_000
"""Rows the k-nearest-neighbour mutual information estimator sees at most (a seeded subsample above that)."""
NEAR_UNIQUE = 0.95
"""Share of distinct values among the non-missing ones from which a column is taken for an identifier."""
TEXT_WORDS = 3.0
"""Mean words per value from which a string column with many distinct values is taken for free text."""
NULL_SD_INFLATION = 1.5
"""How much wider a fitted one-feature model's out-of-fold AUC spreads under no signal than a fixed score's
(the Mann-Whitney standard deviation); measured on shuffled labels at 500 to 100k rows: 1.35 to 1.6."""
SIGNIFICANT_Z = 4.0
"""Null standard deviations above 0.5 an AUC must also reach to be flagged."""
_ID_NAME = re.compile(r"(^|[_\s.-])(id|key|uuid|guid|number|no|num|nr|index|idx)$|[a-z](Id|ID|Key|Number|No)$",
                      re.IGNORECASE)
_SMOOTHING = 1.0


def feature_kind(values: pd.Series, name: str) -> str:
    """``time``, ``numeric``, ``identifier``, ``text`` or ``categorical``: which one-feature model suits it.

    Identifiers are near-unique integers that are dense (auto-increment) or named like ids, and near-unique
    strings without spaces; floats are never identifiers, however unique.
    """
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "time"
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    present = values.dropna()
    distinct = present.nunique()
    near_unique = len(present) > 0 and distinct >= NEAR_UNIQUE * len(present) and distinct > 1
    if pd.api.types.is_numeric_dtype(dtype):
        if near_unique and pd.api.types.is_integer_dtype(dtype):
            span = float(present.max()) - float(present.min()) + 1.0
            if span <= 20.0 * distinct or _ID_NAME.search(name):
                return "identifier"
        return "numeric"
    texts = present.astype(str)
    words = texts.str.count(r"\S+")
    if len(texts) and distinct >= 0.2 * len(texts) and float(words.mean()) >= TEXT_WORDS:
        return "text"
    if near_unique:
        return "identifier"
    return "categorical"


def numeric_values(values: pd.Series) -> Floats:
    """A numeric or time column as floats (times as seconds since the epoch, UTC), missing as NaN."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = pd.to_datetime(values)
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        seconds = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float) / 1e9
        return np.where(stamps.isna().to_numpy(), np.nan, seconds)
    return np.asarray(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan), dtype=float)


def order_rank(values: pd.Series) -> Floats:
    """The rank of each value in its natural order (missing: NaN), for identifiers and the ``order`` column.

    Strings of the form ``prefix + number`` (``TICKET-9`` before ``TICKET-10``) sort by prefix, then number;
    other strings sort as text, numbers and times by value.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_datetime64_any_dtype(values.dtype):
        return np.asarray(pd.Series(numeric_values(values)).rank(method="average").to_numpy(), dtype=float)
    text = values.astype("string")
    parts = text.str.extract(r"^(\D*)(\d+)$")
    if parts[1].notna().sum() >= NEAR_UNIQUE * text.notna().sum():
        key = pd.DataFrame({"prefix": parts[0].fillna(text), "number": pd.to_numeric(parts[1], errors="coerce")})
        order = key.sort_values(["prefix", "number"], kind="stable", na_position="last").index
        ranks = pd.Series(np.arange(1, len(key) + 1, dtype=float), index=order).reindex(key.index)
        ranks[text.isna()] = np.nan
        return np.asarray(ranks.to_numpy(dtype=float), dtype=float)
    return np.asarray(text.rank(method="average").to_numpy(dtype=float, na_value=np.nan), dtype=float)


def numeric_codes(values: Floats) -> Ints:
    """Quantile-bin codes of a numeric column, NaN and infinities in codes of their own.

    Columns with few distinct values get one code per value. Bin edges use no label, so cutting once on all rows
    leaks nothing into the out-of-fold rates.
    """
    n = len(values)
    bins = int(min(BINS_MAX, max(4, n // 100)))
    finite = np.isfinite(values)
    codes = np.zeros(n, dtype=np.int64)
    distinct = np.unique(values[finite])
    if len(distinct) <= bins:
        codes[finite] = np.searchsorted(distinct, values[finite])
    else:
        edges = np.unique(np.quantile(values[finite], np.linspace(0.0, 1.0, bins + 1)[1:-1]))
        codes[finite] = np.searchsorted(edges, values[finite], side="right")
    top = int(codes.max(initial=0)) + 1
    codes[np.isnan(values)] = top
    codes[values == np.inf] = top + 1
    codes[values == -np.inf] = top + 2
    return codes


def fold_ids(labels: Ints, folds: int, seed: int) -> Ints:
    """The stratified, shuffled fold of every row (shuffled: contiguous folds would hide row-order effects)."""
    from sklearn.model_selection import StratifiedKFold

    assigned = np.zeros(len(labels), dtype=np.int64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a class smaller than the number of folds is fine here
        for fold, (_, held_out) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
            assigned[held_out] = fold
    return assigned


def out_of_fold_rates(codes: Ints, labels: Ints, folds: Ints, n_classes: int) -> Floats:
    """Per row, the class rates of its code among the other folds' rows, shrunk toward their prior.

    A code unseen in training gets the prior. Rows sum to one, so the matrix reads as probabilities.
    """
    n_codes = int(codes.max(initial=0)) + 1
    rates = np.zeros((len(codes), n_classes))
    for fold in np.unique(folds):
        train, held = folds != fold, folds == fold
        counts = np.bincount(codes[train] * n_classes + labels[train], minlength=n_codes * n_classes)
        table = counts.reshape(n_codes, n_classes).astype(float)
        prior = np.bincount(labels[train], minlength=n_classes) / max(int(train.sum()), 1)
        smoothed = (table + _SMOOTHING * prior) / (table.sum(axis=1, keepdims=True) + _SMOOTHING)
        rates[held] = smoothed[codes[held]]
    return rates


def text_probabilities(texts: pd.Series, labels: Ints, folds: Ints, n_classes: int, seed: int) -> Floats:
    """Out-of-fold class probabilities of TF-IDF words and pairs, plus a missing flag, by logistic regression.

    The vocabulary and IDF are fitted once on all rows (they use no label); the regression on training folds.
    """
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    missing = texts.isna().to_numpy()
    documents = texts.fillna("").astype(str).tolist()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=20_000, sublinear_tf=True)
    try:
        words = vectorizer.fit_transform(documents)
    except ValueError:  # no word occurs twice: only the missing flag is left
        words = csr_matrix((len(documents), 0))
    matrix = hstack([words, csr_matrix(missing.astype(float)[:, None])]).tocsr()
    probabilities = np.tile(np.bincount(labels, minlength=n_classes) / len(labels), (len(labels), 1))
    for fold in np.unique(folds):
        train, held = folds != fold, folds == fold
        if len(np.unique(labels[train])) < 2:
            continue
        model = LogisticRegression(C=1.0, max_iter=300, random_state=seed)
        model.fit(matrix[train], labels[train])
        probabilities[np.ix_(held, model.classes_)] = model.predict_proba(matrix[held])
        absent = np.setdiff1d(np.arange(n_classes), model.classes_)
        probabilities[np.ix_(held, absent)] = 0.0
    return probabilities


def _auc(positive: NDArray[np.bool_], score: Floats) -> float:
    """ROC AUC by the Mann-Whitney rank sum (ties count half); NaN without both classes."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    from scipy.stats import rankdata  # lazily: scipy.stats costs the CLI 0.2 s at start

    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def auc_by_class(labels: Ints, probabilities: Floats) -> Floats:
    """One-vs-rest ROC AUC of each class's column (NaN for a class absent from ``labels``)."""
    return np.array([_auc(labels == k, probabilities[:, k]) for k in range(probabilities.shape[1])])


def macro_auc(labels: Ints, probabilities: Floats) -> float:
    """ROC AUC of the positive class for two classes; the macro one-vs-rest mean for more."""
    if probabilities.shape[1] == 2:
        return _auc(labels == 1, probabilities[:, 1])
    per_class = auc_by_class(labels, probabilities)
    return float(np.nanmean(per_class)) if np.isfinite(per_class).any() else float("nan")


def _null_sd(n_pos: int, n_neg: int) -> float:
    """The spread of a fitted one-feature model's out-of-fold AUC when the feature carries no signal."""
    if n_pos == 0 or n_neg == 0:
        return float("inf")
    return NULL_SD_INFLATION * float(np.sqrt((n_pos + n_neg + 1) / (12.0 * n_pos * n_neg)))


def passing_auc(labels: Ints, probabilities: Floats, threshold: float) -> tuple[float, int | None] | None:
    """The AUC that flags a one-feature model at ``threshold`` and the class it is for; None when none passes.

    An AUC passes when it reaches ``threshold`` and sits ``SIGNIFICANT_Z`` null standard deviations above 0.5
    (so a low threshold does not flag noise on small data). With two classes that is the positive class's AUC
    (class None). With more, the macro one-vs-rest AUC, or failing that the best single class's: a feature that
    gives away one class of nine is a leak even though the macro average dilutes it.
    """
    counts = np.bincount(labels, minlength=probabilities.shape[1])
    if probabilities.shape[1] == 2:
        auc = _auc(labels == 1, probabilities[:, 1])
        sd = _null_sd(int(counts[1]), int(counts[0]))
        return (auc, None) if auc >= threshold and auc - 0.5 >= SIGNIFICANT_Z * sd else None
    per_class = auc_by_class(labels, probabilities)
    present = np.isfinite(per_class)
    sds = np.array([_null_sd(int(c), len(labels) - int(c)) for c in counts])
    macro = float(per_class[present].mean()) if present.any() else float("nan")
    macro_sd = float(np.sqrt((sds[present] ** 2).sum())) / max(int(present.sum()), 1)
    if macro >= threshold and macro - 0.5 >= SIGNIFICANT_Z * macro_sd:
        return macro, None
    passing = present & (per_class >= threshold) & (per_class - 0.5 >= SIGNIFICANT_Z * sds)
    if not passing.any():
        return None
    best = int(np.flatnonzero(passing)[np.argmax(per_class[passing])])
    return float(per_class[best]), best


def missing_auc(missing: NDArray[np.bool_], labels: Ints, n_classes: int) -> float:
    """How well missingness alone separates the classes: AUC of the flag, either direction, macro over classes."""
    if not missing.any() or missing.all():
        return 0.5
    flag = missing.astype(float)
    classes = [1] if n_classes == 2 else range(n_classes)
    values = [_auc(labels == k, flag) for k in classes]
    found = [max(v, 1.0 - v) for v in values if np.isfinite(v)]
    return float(np.mean(found)) if found else float("nan")


def _discrete_mi(codes: Ints, labels: Ints, seed: int) -> float:
    from sklearn.feature_selection import mutual_info_classif

    return float(mutual_info_classif(codes[:, None], labels, discrete_features=[True], random_state=seed,
                                     n_jobs=1)[0])


def mutual_information(kind: str, values: Floats | Ints, labels: Ints, seed: int) -> float:
    """Mutual information with the label in nats, ``mutual_info_classif`` with the right ``discrete_features``.

    Categories (integer codes, missing a code of its own) are discrete: a plug-in estimate, biased upward when
    there are many categories. Numbers, times and identifier ranks are continuous (k-nearest neighbours on at
    most ``MI_ROWS`` rows), unless they take at most ``BINS_MAX`` values; missing values enter by the chain rule,
    I(X; Y) = I(missing; Y) + P(present) I(X; Y | present). Free text has none (NaN).
    """
    from sklearn.feature_selection import mutual_info_classif

    if kind == "text":
        return float("nan")
    if kind == "categorical":
        return _discrete_mi(np.asarray(values, dtype=np.int64), labels, seed)
    x = np.asarray(values, dtype=float)
    present = np.isfinite(x)
    if len(np.unique(x[present])) <= BINS_MAX:
        return _discrete_mi(numeric_codes(x), labels, seed)
    information = _discrete_mi(present.astype(np.int64), labels, seed) if not present.all() else 0.0
    rows = np.flatnonzero(present)
    if len(rows) > MI_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MI_ROWS, replace=False))
    if len(rows) > 3 and len(np.unique(labels[rows])) > 1:
        share = float(present.mean())
        information += share * float(mutual_info_classif(x[rows, None], labels[rows], discrete_features=[False],
                                                         random_state=seed, n_jobs=1)[0])
    return information


def target_encoding_match(values: Floats, labels: Ints, n_classes: int, tolerance: float) -> tuple[float, int, int]:
    """How much of a column equals, value by value, the class rate of the rows sharing that value.

    Rows are grouped by equal value; a group matches when its value is within ``tolerance`` of the share of class
    k among its own rows (which includes each row's own label). Returns the best share of all rows in matching
    groups of two or more rows, the class k it is for, and the number of distinct values.
    """
    present = np.isfinite(values)
    if not present.any():
        return 0.0, 0, 0
    distinct, groups = np.unique(values[present], return_inverse=True)
    sizes = np.bincount(groups, minlength=len(distinct)).astype(float)
    best, best_class = 0.0, 0
    for k in range(n_classes):
        rate = np.bincount(groups, weights=(labels[present] == k).astype(float), minlength=len(distinct)) / sizes
        matching = (np.abs(rate - distinct) <= tolerance) & (sizes >= 2)
        share = float(sizes[matching].sum()) / len(values)
        if share > best:
            best, best_class = share, k
    return best, best_class, len(distinct)


def lateness(available: pd.Series, known: pd.Series) -> tuple[int, int, pd.Timedelta | None]:
    """Rows where both times are known, how many of them have ``available`` after ``known``, the median lag."""
    both = available.notna() & known.notna()
    lag = (available[both] - known[both])
    late = lag[lag > pd.Timedelta(0)]
    median = pd.Timedelta(late.median()) if len(late) else None
    return int(both.sum()), len(late), median
