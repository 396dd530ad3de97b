"""Confident learning's counting on numpy: thresholds, the confident joint, the noise estimate, prune by noise rate.

Everything here works on integer codes and an items x classes probability matrix, in row chunks, so no
full-size temporary (a float64 copy, an items x classes mask) is ever made: the extra memory stays a small
fraction of the input whatever its size. Results equal cleanlab 2.9's ``compute_confident_joint`` (uncalibrated),
``estimate_joint`` and ``get_label_quality_scores``.

References
----------
Northcutt, C., Jiang, L. & Chuang, I. (2021). Confident learning: estimating uncertainty in dataset labels.
Journal of Artificial Intelligence Research 70, 1373-1411.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from answerkey.errors import ParameterError

__all__ = [
    "SCORES",
    "class_thresholds",
    "confident_joint",
    "estimate_joint",
    "given_probabilities",
    "label_quality",
    "noise_matrix",
    "predicted_given",
    "prune_by_noise_rate",
    "row_chunks",
    "small_codes",
]

SCORES = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")
"""The model-only label quality scores (cleanlab's ``rank.get_label_quality_scores`` methods)."""

CHUNK_CELLS = 1 << 18
"""Cells per chunk: a float64 temporary of one chunk is 2 MiB whatever the number of classes."""


def row_chunks(n_rows: int, n_columns: int) -> Iterator[slice]:
    """Row slices covering ``0..n_rows`` with about ``CHUNK_CELLS`` cells each."""
    step = max(1, CHUNK_CELLS // max(n_columns, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def small_codes(n_classes: int) -> type[np.signedinteger[Any]]:
    """The smallest signed integer type that holds class codes ``0..n_classes - 1``."""
    for kind in (np.int8, np.int16, np.int32):
        if n_classes <= np.iinfo(kind).max:
            return kind
    return np.int64


def given_probabilities(codes: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Each item's probability of its given label (float64, one value per item)."""
    given: np.ndarray = np.take_along_axis(probabilities, codes[:, None], axis=1)[:, 0].astype(np.float64)
    return given


def class_thresholds(codes: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Per class, the mean probability of that class among the items labelled with it (inf if none are)."""
    k = probabilities.shape[1]
    counts = np.bincount(codes, minlength=k)
    sums = np.bincount(codes, weights=given_probabilities(codes, probabilities), minlength=k)
    thresholds: np.ndarray = np.full(k, np.inf)
    np.divide(sums, counts, out=thresholds, where=counts > 0)
    return thresholds


def confident_joint(codes: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Given label x confident class counts: an item counts for the most probable class whose threshold it
    reaches, and not at all when it reaches none (cleanlab's ``compute_confident_joint(calibrate=False)``)."""
    k = probabilities.shape[1]
    thresholds = class_thresholds(codes, probabilities) - 1e-6
    cells = np.zeros(k * k, dtype=np.int64)
    for rows in row_chunks(len(codes), k):
        chunk = probabilities[rows]
        above = chunk >= thresholds
        counted = above.any(axis=1)
        confident = np.where(above, chunk, -np.inf).argmax(axis=1)
        cells += np.bincount(codes[rows][counted] * k + confident[counted], minlength=k * k)
    return cells.reshape(k, k)


def estimate_joint(joint: np.ndarray, label_counts: np.ndarray, prior: float = 0.0) -> np.ndarray:
    """P(given, true): the confident joint's rows rescaled to the given-label counts, then normalised.

    ``prior`` > 0 adds that many pseudo-counts to each row, spread evenly over its cells (a Dirichlet prior),
    so a confusion the confident joint never counted is rare rather than impossible.
    """
    smoothed = joint + prior / joint.shape[1] if prior > 0 else joint
    row_sums = smoothed.sum(axis=1, keepdims=True).astype(np.float64)
    rates = np.divide(smoothed, row_sums, out=np.zeros(joint.shape), where=row_sums > 0)
    calibrated = rates * label_counts[:, None]
    total = calibrated.sum()
    estimated: np.ndarray = calibrated / total if total > 0 else calibrated
    return estimated


def noise_matrix(estimated_joint: np.ndarray) -> np.ndarray:
    """P(given | true) from P(given, true): columns are the true class and sum to 1 (0 for an unseen class)."""
    true_marginal = estimated_joint.sum(axis=0, keepdims=True)
    noise: np.ndarray = np.divide(estimated_joint, true_marginal, out=np.zeros(estimated_joint.shape),
                                  where=true_marginal > 0)
    return noise


def label_quality(codes: np.ndarray, probabilities: np.ndarray, method: str = "self_confidence") -> np.ndarray:
    """Per item, a model-only score of the given label in [0, 1] (low: look at it)."""
    if method not in SCORES:
        raise ParameterError.invalid("method", f"one of {', '.join(SCORES)}", method)
    given = given_probabilities(codes, probabilities)
    if method == "self_confidence":
        return given
    n, k = probabilities.shape
    score = np.empty(n)
    for rows in row_chunks(n, k):
        chunk = probabilities[rows].astype(np.float64)
        local = np.arange(rows.stop - rows.start)
        if method == "normalized_margin":
            chunk[local, codes[rows]] = -np.inf
            score[rows] = (given[rows] - chunk.max(axis=1) + 1.0) / 2.0
            continue
        # normalised entropy over self-confidence, mapped into (0, 1] by log(1 + r) / r (1 when r -> 0)
        logs = np.log(chunk, out=np.zeros_like(chunk), where=chunk > 0)
        entropy = -(chunk * logs).sum(axis=1) / np.log(k)
        ratio = entropy / np.maximum(given[rows], 1e-6)
        score[rows] = np.log1p(ratio) / np.maximum(ratio, 1e-6)
    return score


def prune_by_noise_rate(codes: np.ndarray, probabilities: np.ndarray, estimated_joint: np.ndarray) -> np.ndarray:
    """cleanlab's ``prune_by_noise_rate``: per given label g and other class t, flag the round(n P(g, t)) items
    labelled g where t's probability most exceeds g's (a union over t), except where g is the most probable."""
    n, k = probabilities.shape
    is_issue = np.zeros(n, dtype=bool)
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=k))])
    for given in range(k):
        members = order[bounds[given]:bounds[given + 1]]
        wanted = np.rint(estimated_joint[given] * n).astype(np.int64)
        wanted[given] = 0
        if not len(members) or not wanted.any():
            continue
        own = probabilities[members, given].astype(np.float64)
        for true in np.flatnonzero(wanted > 0):
            if wanted[true] >= len(members):
                is_issue[members] = True
                continue
            margin = probabilities[members, true] - own
            top = np.argpartition(-margin, wanted[true] - 1)[:wanted[true]]  # the largest margins, unordered
            is_issue[members[top]] = True
    flagged = np.flatnonzero(is_issue)
    is_issue[flagged[predicted_given(codes[flagged], probabilities[flagged])]] = False
    return is_issue


def predicted_given(codes: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Whether the model's most probable class is the given label (ties go to the given label)."""
    predicted = np.empty(len(codes), dtype=bool)
    for rows in row_chunks(len(codes), probabilities.shape[1]):
        chunk = probabilities[rows].astype(np.float64)
        chunk[np.arange(len(chunk)), codes[rows]] += 1e-6
        predicted[rows] = chunk.argmax(axis=1) == codes[rows]
    return predicted
