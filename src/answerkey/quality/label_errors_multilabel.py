"""Likely label errors of a multi-label task, one class at a time (one-vs-rest confident learning).

Each item carries a set of class names and the model gives one independent probability per class (rows need
not sum to 1). For each class, "present" versus "absent" is a binary task: confident learning estimates how
often the class is missed and how often it is added wrongly, and flags the items whose presence or absence of
that class is likely wrong. An item is an issue if any of its classes is; its ``score`` is the lowest per-class
label quality (the worst-annotated class decides, as a reviewer looks at the whole item). This is cleanlab's
``multilabel_classification.filter.find_label_issues`` reduction; cleanlab scores items by an exponential
moving average of the sorted per-class scores instead of their minimum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.quality import label_confident as core
from answerkey.quality.label_encoding import (
    MULTI_LABEL_TYPES,
    as_probabilities,
    encode_labels,
    item_ids_of,
    resolve_classes,
)
from answerkey.quality.label_posterior import NOISE_PRIOR, error_posterior, flag_expected_errors

__all__ = ["MultiLabelIssues", "label_sets", "multilabel_issues"]

_FILTERS = ("posterior", "prune_by_noise_rate")
_METHODS = ("posterior", *core.SCORES)


@dataclass(frozen=True)
class MultiLabelIssues:
    """Every item's label quality, the flagged ones with the classes that look missing or extra, per-class noise."""

    items: pd.DataFrame
    """One row per item in input order: ``item_id``, ``given_label``, ``suggested_label`` (the given set with the
    flagged classes added or removed), ``missing_labels``, ``extra_labels`` (tuples in class order), ``score``
    (lowest per-class label quality, lower is worse), ``rank`` (1 is the worst) and ``is_issue``."""
    per_class: pd.DataFrame
    """Per class: items labelled with it, flagged ``missing`` and ``extra``, and the estimated rates
    P(absent | truly present) and P(present | truly absent)."""

    def issues(self) -> pd.DataFrame:
        """The flagged items, worst first."""
        flagged: pd.DataFrame = self.items[self.items["is_issue"]].sort_values("rank", kind="stable")
        return flagged


def label_sets(labels: Sequence[Any] | np.ndarray | pd.Series, sep: str = "|") -> list[list[Any]]:
    """Each item's names: a list, tuple or set as is, a string split on ``sep`` (spaces around names dropped,
    ``""`` is no label), any other value a set of one; ``None`` and NaN are refused (use ``[]`` for none)."""
    sets: list[list[Any]] = []
    for position, label in enumerate(labels):
        if isinstance(label, MULTI_LABEL_TYPES):
            sets.append(list(label))
        elif isinstance(label, str):
            sets.append([part.strip() for part in label.split(sep)] if label.strip() else [])
        elif label is None or (isinstance(label, float) and np.isnan(label)):
            raise ParameterError.invalid("labels", "a list, set or sep-joined string of names per item ([] for "
                                         "none)", f"{label!r} at position {position}")
        else:
            sets.append([label])
    return sets


def _indicator(sets: list[list[Any]], pred_probs: Any, classes: Sequence[Any] | None,
               k: int) -> tuple[np.ndarray, list[Any]]:
    flat = [name for names in sets for name in names]
    flat_array = np.empty(len(flat), dtype=object)
    flat_array[:] = flat
    class_list = resolve_classes(flat_array, pred_probs, classes, k)
    codes = encode_labels(flat_array, class_list)
    rows = np.repeat(np.arange(len(sets)), [len(names) for names in sets])
    present = np.zeros((len(sets), k), dtype=bool)
    present[rows, codes] = True
    return present, class_list


def _tuples(matrix: np.ndarray, classes: list[Any]) -> np.ndarray:
    """Each row's classes as a tuple (one tuple object per distinct row)."""
    out = np.empty(len(matrix), dtype=object)
    if not len(matrix):
        return out
    patterns, inverse = np.unique(matrix, axis=0, return_inverse=True)
    names = [tuple(c for c, on in zip(classes, row, strict=True) if on) for row in patterns]
    lookup = np.empty(len(names), dtype=object)
    lookup[:] = names
    out[:] = lookup[inverse.reshape(-1)]
    return out


def multilabel_issues(
    labels: Sequence[Any] | np.ndarray | pd.Series,
    pred_probs: Any,
    classes: Sequence[Any] | None = None,
    *,
    item_ids: Sequence[Any] | None = None,
    filter_by: str = "posterior",
    method: str = "posterior",
    sep: str = "|",
) -> MultiLabelIssues:
    """Likely label errors of a multi-label task, with the classes that look missing or wrongly added.

    ``labels`` holds each item's set of names (lists, tuples, sets, or strings joined by ``sep``, see
    :func:`label_sets`); ``pred_probs`` one independent probability per class (columns in ``classes`` order,
    as for single-label). ``filter_by`` and ``method`` apply to each class's binary task as in
    :func:`~answerkey.quality.label_errors.label_issues`.

    Examples
    --------
    >>> import numpy as np
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.9], [0.1, 0.9], [0.9, 0.2], [0.1, 0.8], [0.9, 0.85]] * 3)
    >>> labels = [["a"], ["a", "b"], ["b"], ["a"], ["b"], ["a", "b"]] * 3
    >>> labels[3] = ["a", "b"]  # the model is sure item 3 has no b
    >>> probs[3] = [0.9, 0.02]
    >>> found = multilabel_issues(labels, probs)
    >>> found.issues()[["given_label", "extra_labels"]].values.tolist()
    [[('a', 'b'), ('b',)]]
    """
    if filter_by not in _FILTERS:
        raise ParameterError.invalid("filter_by", f"one of {', '.join(_FILTERS)}", filter_by)
    if method not in _METHODS:
        raise ParameterError.invalid("method", f"one of {', '.join(_METHODS)}", method)
    sets = label_sets(labels.to_numpy() if isinstance(labels, pd.Series) else labels, sep)
    n = len(sets)
    probabilities = as_probabilities(pred_probs, n, rows_sum_to_one=False)
    k = probabilities.shape[1]
    present, class_list = _indicator(sets, pred_probs, classes, k)
    flags = np.zeros((n, k), dtype=bool)
    score = np.ones(n)
    rates = np.zeros((k, 2))
    binary = np.empty((n, 2))
    for c in range(k):
        codes = present[:, c].astype(np.int64)
        binary[:, 1] = probabilities[:, c]
        binary[:, 0] = 1.0 - binary[:, 1]
        joint = core.confident_joint(codes, binary)
        counts = np.bincount(codes, minlength=2).astype(np.float64)
        estimated = core.estimate_joint(joint, counts)
        noise = core.noise_matrix(estimated)
        rates[c] = noise[0, 1], noise[1, 0]
        wrong = None
        if "posterior" in (filter_by, method):
            smoothed = core.estimate_joint(joint, counts, NOISE_PRIOR)
            wrong = error_posterior(codes, binary, core.noise_matrix(smoothed))[0]
        if filter_by == "posterior" and wrong is not None:
            flags[:, c] = flag_expected_errors(wrong, ~core.predicted_given(codes, binary))
        else:
            flags[:, c] = core.prune_by_noise_rate(codes, binary, estimated)
        quality = 1.0 - wrong if method == "posterior" and wrong is not None else core.label_quality(
            codes, binary, method)
        np.minimum(score, quality, out=score)
    ranks = np.empty(n, dtype=np.int64)
    ranks[np.argsort(score, kind="stable")] = np.arange(1, n + 1)
    items = pd.DataFrame({
        "item_id": item_ids_of(labels, item_ids, n),
        "given_label": _tuples(present, class_list),
        "suggested_label": _tuples(present ^ flags, class_list),
        "missing_labels": _tuples(flags & ~present, class_list),
        "extra_labels": _tuples(flags & present, class_list),
        "score": score,
        "rank": ranks,
        "is_issue": flags.any(axis=1),
    })
    per_class = pd.DataFrame({
        "items": present.sum(axis=0), "missing": (flags & ~present).sum(axis=0),
        "extra": (flags & present).sum(axis=0), "estimated_missing_rate": rates[:, 0],
        "estimated_extra_rate": rates[:, 1],
    }, index=pd.Index(class_list, name="class"))
    return MultiLabelIssues(items, per_class)
