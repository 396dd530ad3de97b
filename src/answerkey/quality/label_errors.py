"""Likely label errors by confident learning (Northcutt, Jiang & Chuang 2021), on numpy, with label names.

Given each item's label and out-of-sample predicted probabilities, confident learning counts given label against
confident class (the confident joint), calibrates the counts to estimate the joint of given and true labels and
the noise matrix P(given | true), and from these finds the items whose labels are likely wrong.

Two ways to decide which items to flag (``filter_by``):

- ``"posterior"`` (default): the probability that each label is wrong, by Bayes with the estimated noise
  (:mod:`~answerkey.quality.label_posterior`); flag as many items as the expected number of errors, the most
  likely first. On scikit-learn's bundled data sets with 20% pair-flip noise it is both more precise and better
  in F1 than prune by noise rate (``benchmarks/bench_label_issues.py``).
- ``"prune_by_noise_rate"``: cleanlab's default, equal to ``cleanlab.filter.find_label_issues``.

Multi-label tasks (labels given as lists or sets of names) are handled one class at a time
(:mod:`~answerkey.quality.label_errors_multilabel`); :func:`find_label_issues` dispatches to it.

References
----------
Northcutt, C., Jiang, L. & Chuang, I. (2021). Confident learning: estimating uncertainty in dataset labels.
Journal of Artificial Intelligence Research 70, 1373-1411.
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
    as_probabilities,
    encode_labels,
    is_multi_label,
    item_ids_of,
    resolve_classes,
)
from answerkey.quality.label_errors_multilabel import multilabel_issues
from answerkey.quality.label_posterior import NOISE_PRIOR, error_posterior, flag_expected_errors
from answerkey.quality.label_support import align_support, supported_error_posterior

__all__ = [
    "FILTERS",
    "METHODS",
    "SCORES",
    "LabelIssues",
    "confident_joint",
    "find_label_issues",
    "label_issues",
    "label_quality",
]

SCORES = core.SCORES
FILTERS = ("posterior", "prune_by_noise_rate")
"""How flagged items are chosen: by the posterior that the label is wrong, or by cleanlab's noise-rate pruning."""
METHODS = ("posterior", *SCORES)
"""Label quality scores: ``posterior`` is P(given label right | model, estimated noise); the others are
cleanlab's model-only scores."""


def _codes_and_probabilities(labels: Any, probabilities: Any) -> tuple[np.ndarray, np.ndarray]:
    codes = np.asarray(labels)
    array = as_probabilities(probabilities, len(codes), rows_sum_to_one=False)
    if codes.dtype.kind not in "iu":
        raise ParameterError.invalid("labels", "integer class codes", f"dtype {codes.dtype}")
    if len(codes) and (codes.min() < 0 or codes.max() >= array.shape[1]):
        raise ParameterError.invalid("labels", f"class codes 0..{array.shape[1] - 1}", "a code outside")
    return codes.astype(np.int64, copy=False), array


def label_quality(labels: Any, probabilities: Any, method: str = "self_confidence") -> np.ndarray:
    """Per item, how likely the given label (an integer code) is right, in [0, 1] (low: look at it)."""
    if method not in METHODS:
        raise ParameterError.invalid("method", f"one of {', '.join(METHODS)}", method)
    codes, array = _codes_and_probabilities(labels, probabilities)
    if method != "posterior":
        return core.label_quality(codes, array, method)
    noise = core.noise_matrix(_estimated_joint(codes, array, core.confident_joint(codes, array), NOISE_PRIOR))
    right: np.ndarray = 1.0 - error_posterior(codes, array, noise)[0]
    return right


def confident_joint(labels: Any, probabilities: Any) -> np.ndarray:
    """Given label x confident true label counts, for integer codes (items confident in no class not counted)."""
    codes, array = _codes_and_probabilities(labels, probabilities)
    return core.confident_joint(codes, array)


def _estimated_joint(codes: np.ndarray, probabilities: np.ndarray, joint: np.ndarray,
                     prior: float = 0.0) -> np.ndarray:
    counts = np.bincount(codes, minlength=probabilities.shape[1]).astype(np.float64)
    return core.estimate_joint(joint, counts, prior)


@dataclass(frozen=True)
class LabelIssues:
    """Every item's label quality, the flagged ones ranked for review, and the estimated noise."""

    items: pd.DataFrame
    """One row per item in input order: ``item_id``, ``given_label``, ``suggested_label``, ``score`` (label
    quality in [0, 1], lower is worse), ``rank`` (1 is the worst) and ``is_issue``."""
    confident_joint: pd.DataFrame
    """Counts of given label (rows) x confident class (columns)."""
    noise_matrix: pd.DataFrame
    """P(given label | true label), estimated from the calibrated confident joint (columns: true), as cleanlab
    does; the posterior uses it with a small prior (:data:`~answerkey.quality.label_posterior.NOISE_PRIOR`)."""

    def issues(self) -> pd.DataFrame:
        """The flagged items, worst first."""
        flagged: pd.DataFrame = self.items[self.items["is_issue"]].sort_values("rank", kind="stable")
        return flagged

    def summary(self) -> pd.DataFrame:
        """Per given label: items, flagged issues, and the estimated share of its labels that are wrong."""
        joint = self.confident_joint.to_numpy().astype(np.float64)
        rows = joint.sum(axis=1)
        right = np.divide(np.diag(joint), rows, out=np.ones(len(rows)), where=rows > 0)
        flagged = self.items.groupby("given_label", observed=False, sort=True)["is_issue"]
        return pd.DataFrame({"items": flagged.size().to_numpy(), "issues": flagged.sum().to_numpy(),
                             "estimated_error_rate": 1.0 - right}, index=self.confident_joint.index)


def label_issues(
    labels: Sequence[Any] | np.ndarray | pd.Series,
    pred_probs: Any,
    classes: Sequence[Any] | None = None,
    *,
    item_ids: Sequence[Any] | None = None,
    filter_by: str = "posterior",
    method: str = "posterior",
    support: pd.DataFrame | None = None,
) -> LabelIssues:
    """Likely label errors of a single-label task, with the class each item more likely belongs to.

    Parameters
    ----------
    labels : sequence of names or integer codes
        The given label of each item.
    pred_probs : array or DataFrame of shape (items, classes)
        Out-of-sample predicted probabilities (rows sum to 1), one column per class in ``classes`` order (a
        DataFrame's columns name the classes when ``classes`` is not given; integer labels are codes
        ``0..k-1``; other names default to sorted order, as scikit-learn's ``classes_``).
    classes : sequence, optional
        The class of each column.
    item_ids : sequence, optional
        Ids for the ``item_id`` column (default: a Series' index, else positions); ``support`` is matched on them.
    filter_by : {"posterior", "prune_by_noise_rate"}
        How the flagged items are chosen (see the module docstring).
    method : {"posterior", "self_confidence", "normalized_margin", "confidence_weighted_entropy"}
        The ``score``: ``posterior`` is P(given label right | model, estimated noise).
    support : DataFrame, optional
        Annotator support per item: ``consensus_confidence`` and optionally ``n_judgements``
        (:mod:`~answerkey.quality.label_support`); needs ``filter_by`` and ``method`` ``"posterior"``.

    Returns
    -------
    LabelIssues
        ``items`` (input order), ``confident_joint``, ``noise_matrix``; ``issues()`` worst first.
    """
    if filter_by not in FILTERS:
        raise ParameterError.invalid("filter_by", f"one of {', '.join(FILTERS)}", filter_by)
    if method not in METHODS:
        raise ParameterError.invalid("method", f"one of {', '.join(METHODS)}", method)
    if support is not None and (filter_by, method) != ("posterior", "posterior"):
        raise ParameterError.invalid("support", "used with filter_by='posterior' and method='posterior' (the "
                                     "probabilities it combines with)", f"filter_by={filter_by!r}, method={method!r}")
    names = labels.to_numpy() if isinstance(labels, pd.Series) else labels
    if is_multi_label(names):
        raise ParameterError.invalid("labels", "one name per item (for lists or sets of names use "
                                     "multilabel_issues or find_label_issues)", "a list or set of names")
    n = len(names)
    probabilities = as_probabilities(pred_probs, n, rows_sum_to_one=True)
    class_list = resolve_classes(names, pred_probs, classes, probabilities.shape[1])
    codes = encode_labels(names, class_list)
    ids = item_ids_of(labels, item_ids, n)
    joint = core.confident_joint(codes, probabilities)
    estimated = _estimated_joint(codes, probabilities, joint)
    noise = core.noise_matrix(estimated)
    wrong = best = other = None
    if "posterior" in (filter_by, method):
        smoothed = _estimated_joint(codes, probabilities, joint, NOISE_PRIOR)
        wrong, best, other = error_posterior(codes, probabilities, core.noise_matrix(smoothed))
    if wrong is not None and support is not None:
        confidence, counts = align_support(support, ids)
        row_totals = smoothed.sum(axis=1)
        base = np.divide(np.diag(smoothed), row_totals, out=np.ones(len(row_totals)), where=row_totals > 0)
        wrong = supported_error_posterior(wrong, base[codes], confidence, counts)
    if filter_by == "posterior" and wrong is not None:
        is_issue = flag_expected_errors(wrong, ~core.predicted_given(codes, probabilities))
    else:
        is_issue = core.prune_by_noise_rate(codes, probabilities, estimated)
    if method == "posterior" and wrong is not None:
        score = np.subtract(1.0, wrong, out=wrong)  # in place: no second items-long array
    else:
        score = core.label_quality(codes, probabilities, method)
    if best is None or other is None:
        best, other = _model_suggestions(codes, probabilities)
    suggested = np.where(is_issue, other, best)
    del best, other
    index = pd.Index(class_list)
    items = pd.DataFrame({
        "item_id": ids,
        "given_label": pd.Categorical.from_codes(codes.astype(suggested.dtype), categories=index),
        "suggested_label": pd.Categorical.from_codes(suggested, categories=index),
        "score": score,
        "rank": _ranks(score),
        "is_issue": is_issue,
    }, copy=False)
    return LabelIssues(items, pd.DataFrame(joint, index=index.rename("given"), columns=index.rename("confident")),
                       pd.DataFrame(noise, index=index.rename("given"), columns=index.rename("true")))


def _model_suggestions(codes: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The most probable class, and the most probable class other than the given one."""
    n, k = probabilities.shape
    best, other = np.empty(n, dtype=core.small_codes(k)), np.empty(n, dtype=core.small_codes(k))
    for rows in core.row_chunks(n, k):
        chunk = probabilities[rows].astype(np.float64)
        best[rows] = chunk.argmax(axis=1)
        chunk[np.arange(len(chunk)), codes[rows]] = -1.0
        other[rows] = chunk.argmax(axis=1)
    return best, other


def _ranks(score: np.ndarray) -> np.ndarray:
    """1 for the lowest score; ties keep input order."""
    order = np.argsort(score)  # quicksort is 4x faster than a stable sort; ties are put in input order below
    ordered = score[order]
    tied = ordered[1:] == ordered[:-1]
    del ordered
    if tied.sum() * 4 > len(score):
        order = np.argsort(score, kind="stable")
    elif tied.any():
        in_run = np.zeros(len(score), dtype=bool)
        in_run[1:] |= tied
        in_run[:-1] |= tied
        run = np.concatenate([[0], np.cumsum(~tied)])[in_run]
        positions = np.flatnonzero(in_run)
        order[positions] = order[positions][np.lexsort((order[positions], run))]
    ranks = np.empty(len(score), dtype=np.int64)
    ranks[order] = np.arange(1, len(score) + 1, dtype=np.int32)
    return ranks


def find_label_issues(
    labels: Sequence[Any] | np.ndarray | pd.Series,
    pred_probs: Any,
    classes: Sequence[Any] | None = None,
    *,
    item_ids: Sequence[Any] | None = None,
    filter_by: str = "posterior",
    method: str = "posterior",
    support: pd.DataFrame | None = None,
    multi_label: bool | None = None,
    sep: str = "|",
) -> pd.DataFrame:
    """Likely label errors, one row per item in input order, for single-label and multi-label tasks.

    Columns: ``item_id``, ``given_label``, ``suggested_label`` (the class the item more likely belongs to;
    for a flagged item, never its given label), ``score`` (label quality in [0, 1], lower is worse), ``rank``
    (1 is the worst) and ``is_issue``. Multi-label results also have ``missing_labels`` and ``extra_labels``.

    The task is multi-label when ``multi_label=True`` or, by default, when some label is a list, tuple or set
    of names; with ``multi_label=True`` a string label is split on ``sep`` (``"a|b"``; ``""`` is no label).
    ``labels`` may be names or integer codes; see :func:`label_issues` (single-label) and
    :func:`~answerkey.quality.label_errors_multilabel.multilabel_issues` for the other parameters (``support``,
    annotator agreement, is for single-label tasks).

    Examples
    --------
    >>> import numpy as np
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.85, 0.15], [0.1, 0.9], [0.2, 0.8], [0.9, 0.1]])
    >>> found = find_label_issues(["cat", "cat", "cat", "dog", "dog", "dog"], probs)
    >>> found.loc[found["is_issue"], ["given_label", "suggested_label"]].values.tolist()
    [['dog', 'cat']]
    """
    names = labels.to_numpy() if isinstance(labels, pd.Series) else labels
    if multi_label or (multi_label is None and is_multi_label(names)):
        if support is not None:
            raise ParameterError.invalid("support", "None for a multi-label task", "a support frame")
        return multilabel_issues(labels, pred_probs, classes, item_ids=item_ids, filter_by=filter_by,
                                 method=method, sep=sep).items
    return label_issues(labels, pred_probs, classes, item_ids=item_ids, filter_by=filter_by, method=method,
                        support=support).items
