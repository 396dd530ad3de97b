"""Likely label errors by confident learning (Northcutt, Jiang & Chuang 2021), on numpy, with label names.

Given each item's given label and out-of-sample predicted probabilities, an item is *confidently* of class j
when its probability for j reaches class j's threshold (the mean probability of j among items labelled j).
Counting given label against confident class gives the confident joint; calibrated to the label counts it
estimates the joint of given and true labels and the noise matrix. Off-diagonal items, pruned by the
estimated number of errors per given label, are the issues, ranked by their label quality score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError

__all__ = ["SCORES", "LabelIssues", "confident_joint", "find_label_issues", "label_quality"]

SCORES = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")


def _check(labels: np.ndarray, probabilities: np.ndarray) -> None:
    if probabilities.ndim != 2 or len(labels) != len(probabilities):
        raise ParameterError.invalid("pred_probs", "an items x classes matrix with one row per label",
                                     f"shape {probabilities.shape} for {len(labels)} labels")
    if len(labels) and (labels.min() < 0 or labels.max() >= probabilities.shape[1]):
        raise ParameterError.invalid("labels", f"class codes 0..{probabilities.shape[1] - 1}", "a code outside")


def label_quality(labels: np.ndarray, probabilities: np.ndarray, method: str = "self_confidence") -> np.ndarray:
    """Per item, how likely the given label is right, in [0, 1] (low: look at it)."""
    if method not in SCORES:
        raise ParameterError.invalid("method", f"one of {', '.join(SCORES)}", method)
    labels, probabilities = np.asarray(labels), np.asarray(probabilities, dtype=float)
    _check(labels, probabilities)
    given: np.ndarray = probabilities[np.arange(len(labels)), labels]
    if method == "self_confidence":
        return given
    if method == "normalized_margin":
        others = probabilities.copy()
        others[np.arange(len(labels)), labels] = -np.inf
        margin: np.ndarray = (given - others.max(axis=1) + 1.0) / 2.0
        return margin
    # normalised entropy over self-confidence, mapped into (0, 1] by log(1 + r) / r (1 when r -> 0)
    k = probabilities.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(probabilities > 0, probabilities * np.log(probabilities), 0.0)
    entropy = -terms.sum(axis=1) / np.log(k) if k > 1 else np.zeros(len(labels))
    ratio = entropy / np.maximum(given, 1e-6)
    score: np.ndarray = np.log1p(ratio) / np.maximum(ratio, 1e-6)
    return score


def _thresholds(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    k = probabilities.shape[1]
    sums = np.zeros(k)
    np.add.at(sums, labels, probabilities[np.arange(len(labels)), labels])
    counts = np.bincount(labels, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        # mean probability of class j among items labelled j (the self-confidence threshold)
        thresholds = np.array([probabilities[labels == j, j].mean() if counts[j] else np.inf for j in range(k)])
    return thresholds


def confident_joint(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Given label x confident true label counts (items confident in no class are not counted)."""
    labels, probabilities = np.asarray(labels), np.asarray(probabilities, dtype=float)
    _check(labels, probabilities)
    k = probabilities.shape[1]
    above = probabilities >= _thresholds(labels, probabilities)[None, :] - 1e-6
    masked = np.where(above, probabilities, -np.inf)
    confident = masked.argmax(axis=1)
    counted = above.any(axis=1)
    joint = np.zeros((k, k), dtype=np.int64)
    np.add.at(joint, (labels[counted], confident[counted]), 1)
    return joint


@dataclass(frozen=True)
class LabelIssues:
    """Every item's quality, the flagged ones ranked for review, and the estimated noise."""

    items: pd.DataFrame
    confident_joint: pd.DataFrame
    noise_matrix: pd.DataFrame
    """P(given label | true label), estimated from the calibrated confident joint (columns: true)."""

    def issues(self) -> pd.DataFrame:
        """The flagged items, worst first."""
        flagged: pd.DataFrame = self.items[self.items["is_issue"]].sort_values("label_quality", kind="stable")
        return flagged


def find_label_issues(
    labels: Sequence[Any], pred_probs: Any, classes: Sequence[Any] | None = None, item_ids: Sequence[Any] | None = None,
    method: str = "self_confidence",
) -> LabelIssues:
    """Likely label errors with the class each item more likely belongs to.

    ``labels`` are names (or codes) and ``pred_probs`` the out-of-sample probabilities, one column per class
    in ``classes`` order (a DataFrame's columns name the classes when ``classes`` is not given).
    """
    if classes is None:
        classes = list(pred_probs.columns) if isinstance(pred_probs, pd.DataFrame) else sorted(set(labels), key=str)
    probabilities = np.asarray(pred_probs, dtype=float)
    codes = pd.Index(list(classes)).get_indexer(list(labels))
    if (codes < 0).any():
        unknown = sorted({str(v) for v, c in zip(labels, codes, strict=True) if c < 0})[:5]
        raise ParameterError.invalid("labels", f"names among the classes {list(classes)}", f"unknown {unknown}")
    joint = confident_joint(codes, probabilities)
    k, n = len(classes), len(codes)
    counts = np.bincount(codes, minlength=k).astype(float)
    row_sums = joint.sum(axis=1, keepdims=True).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        calibrated = np.where(row_sums > 0, joint / row_sums, 0.0) * counts[:, None]
    estimated_joint = calibrated / max(calibrated.sum(), 1.0)
    true_marginal = estimated_joint.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        noise = np.where(true_marginal > 0, estimated_joint / true_marginal[None, :], 0.0)
    quality = label_quality(codes, probabilities, method)
    # prune by noise rate: per given label and other class, the estimated number of its items that truly
    # belong to that class, taken where that class's probability most exceeds the given one's (a union)
    margin = probabilities - probabilities[np.arange(n), codes][:, None]
    is_issue = np.zeros(n, dtype=bool)
    for given in range(k):
        members = np.flatnonzero(codes == given)
        for true in range(k):
            if true == given:
                continue
            wanted = round(float(estimated_joint[given, true]) * n)
            if wanted <= 0:
                continue
            if wanted >= len(members):
                is_issue[members] = True
                continue
            top = np.argpartition(-margin[members, true], wanted - 1)[:wanted]  # the largest margins, unordered
            is_issue[members[top]] = True
    suggested = np.asarray(list(classes), dtype=object)[probabilities.argmax(axis=1)]
    items = pd.DataFrame({
        "item_id": list(item_ids) if item_ids is not None else np.arange(n),
        "given_label": np.asarray(list(classes), dtype=object)[codes],
        "label_quality": quality,
        "suggested_label": suggested,
        "is_issue": is_issue,
    })
    names = pd.Index(list(classes))
    return LabelIssues(items, pd.DataFrame(joint, index=names.rename("given"), columns=names.rename("confident")),
                       pd.DataFrame(noise, index=names.rename("given"), columns=names.rename("true")))
