"""Out-of-sample predicted probabilities from features, by stratified K-fold: every row is predicted by a model
that never saw it, which is what confident learning needs (in-sample probabilities memorise the label errors).

The default model is a logistic regression on numeric columns (median-imputed, standardised), categorical
columns (one-hot, unseen categories ignored) and, when named, one text column (TF-IDF). Any scikit-learn
classifier or pipeline with ``predict_proba`` can be passed instead; it is cloned for every fold.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.quality.label_encoding import encode_labels, is_multi_label, sorted_names

__all__ = ["FoldsReducedWarning", "default_estimator", "out_of_sample_probabilities"]


class FoldsReducedWarning(UserWarning):
    """Fewer folds than asked, because a class has fewer items than folds."""


def default_estimator(features: pd.DataFrame, text_column: str | None = None) -> Any:
    """Logistic regression on the numeric, categorical and text columns of ``features`` (others are dropped)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    others = [c for c in features.columns if c != text_column]
    numeric = [c for c in others if pd.api.types.is_numeric_dtype(features[c])
               and not pd.api.types.is_bool_dtype(features[c])]
    categorical = [c for c in others if c not in numeric and (
        pd.api.types.is_bool_dtype(features[c]) or isinstance(features[c].dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(features[c]) or pd.api.types.is_string_dtype(features[c]))]
    parts: list[tuple[str, Any, Any]] = []
    if numeric:
        parts.append(("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric))
    if categorical:
        parts.append(("categorical", make_pipeline(
            SimpleImputer(strategy="constant", fill_value="(missing)"),
            OneHotEncoder(handle_unknown="ignore")), categorical))
    if text_column is not None:
        parts.append(("text", TfidfVectorizer(sublinear_tf=True, min_df=1), text_column))
    if not parts:
        raise ParameterError.invalid("features", "at least one numeric, categorical or text column",
                                     f"columns {list(features.columns)[:10]}")
    return make_pipeline(ColumnTransformer(parts, sparse_threshold=0.3), LogisticRegression(max_iter=2000))


def _frame(features: Any, text_column: str | None) -> pd.DataFrame:
    if isinstance(features, pd.DataFrame):
        frame = features
    else:
        array = np.asarray(features)
        if array.ndim != 2:
            raise ParameterError.invalid("features", "a DataFrame or a 2-d array", f"shape {array.shape}")
        frame = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    if text_column is not None:
        if text_column not in frame:
            raise ParameterError.invalid("text_column", f"a column of features {list(frame.columns)[:10]}",
                                         text_column)
        frame = frame.assign(**{text_column: frame[text_column].fillna("").astype(str)})
    return frame


def _folds(counts: np.ndarray, folds: int) -> int:
    """As many folds as asked, but no more than the rarest class has items (at least 2)."""
    rarest = int(counts[counts > 0].min())
    if rarest >= folds:
        return folds
    used = max(2, rarest)
    warnings.warn(f"the rarest class has {rarest} item(s), fewer than folds={folds}; using {used} folds "
                  "(a class with fewer items than folds is missing from some training folds, and gets "
                  "probability 0 there)", FoldsReducedWarning, stacklevel=3)
    return used


def out_of_sample_probabilities(
    features: Any,
    labels: Sequence[Any] | np.ndarray | pd.Series,
    *,
    estimator: Any = None,
    text_column: str | None = None,
    folds: int = 5,
    seed: int = 0,
    classes: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Each item's predicted class probabilities from a model fitted on the other folds.

    Parameters
    ----------
    features : DataFrame (or 2-d array)
        One row per item.
    labels : sequence
        Each item's given label (names or codes).
    estimator : scikit-learn classifier, optional
        Any estimator or pipeline with ``predict_proba``, cloned per fold. Default: :func:`default_estimator`.
    text_column : str, optional
        A free-text column for the default model's TF-IDF part.
    folds : int
        Stratified folds (shuffled with ``seed``). When a class has fewer items than folds, the folds are
        reduced to its count (at least 2) with a :class:`FoldsReducedWarning`.
    seed : int
        Seed of the fold assignment.
    classes : sequence, optional
        The columns of the result (default: the sorted label names, as ``classes_`` in scikit-learn).

    Returns
    -------
    DataFrame
        Items (``features``' index) x classes; a class absent from a training fold has probability 0 there.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.9, 1.0, 1.1] * 2})
    >>> probs = out_of_sample_probabilities(frame, ["lo", "lo", "lo", "hi", "hi", "hi"] * 2, folds=2)
    >>> list(probs.columns), probs.shape
    (['hi', 'lo'], (12, 2))
    """
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    if isinstance(folds, bool) or not isinstance(folds, int | np.integer) or folds < 2:
        raise ParameterError.invalid("folds", "an integer of at least 2", folds)
    names = labels.to_numpy() if isinstance(labels, pd.Series) else np.asarray(labels, dtype=object)
    if is_multi_label(names):
        raise ParameterError.invalid("labels", "one label per item (multi-label: one call per class with "
                                     "present/absent labels)", "a list or set of names")
    frame = _frame(features, text_column)
    if len(frame) != len(names):
        raise ParameterError.invalid("features", f"one row per label ({len(names)})", f"{len(frame)} rows")
    if estimator is None:
        estimator = default_estimator(frame, text_column)
    elif not hasattr(estimator, "predict_proba") or not hasattr(estimator, "fit"):
        raise ParameterError.invalid("estimator", "a scikit-learn classifier (or pipeline) with predict_proba",
                                     type(estimator).__name__)
    class_list = list(classes) if classes is not None else sorted_names(names)
    codes = encode_labels(names, class_list)
    counts = np.bincount(codes, minlength=len(class_list))
    if (counts > 0).sum() < 2:
        raise ParameterError.invalid("labels", "at least two classes with items", f"counts {counts.tolist()}")
    splitter = StratifiedKFold(_folds(counts, folds), shuffle=True, random_state=seed)
    probabilities = np.zeros((len(codes), len(class_list)))
    with warnings.catch_warnings():  # a class rarer than the folds was already reported, once
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splits = list(splitter.split(np.zeros(len(codes)), codes))
    for train, test in splits:
        model = clone(estimator).fit(frame.iloc[train], codes[train])
        columns = np.asarray(model.classes_, dtype=np.int64)
        probabilities[np.ix_(test, columns)] = model.predict_proba(frame.iloc[test])
    return pd.DataFrame(probabilities, index=frame.index, columns=pd.Index(class_list))
