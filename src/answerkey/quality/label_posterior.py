"""The probability that each given label is wrong, by Bayes with the estimated noise, and how many to flag.

A model trained on noisy labels predicts the *given* label: p(x) ~ c(x) T, where c(x) holds the true-class
probabilities and ``T[j, g] = P(given g | true j)`` is the noise estimated by confident learning. Inverting T
(backward correction, Patrini et al. 2017) recovers c(x), clipped to the simplex. Bayes then gives, for an
item labelled g,

    P(true = j | x, given g) = c_j(x) T[j, g] / sum_i c_i(x) T[i, g],

so the chance the label is wrong is one minus the j = g term. T comes from the confident joint with one
pseudo-count per given label spread over its classes (``NOISE_PRIOR``, a Dirichlet prior): with few items a
confusion the confident joint never counted would otherwise be impossible, and an item the model firmly puts
in that class could never be flagged.

Structured noise (a class often mistaken for one other) makes this sharper than a margin: an item whose
runner-up is the class often confused *into* g is more suspect than one whose runner-up never is. The items
flagged are the ``round(sum of the posteriors)`` most likely wrong: as many as the expected number of errors,
worst first. Like cleanlab, an item whose given label is the model's own prediction is never flagged (so an
uninformative model flags nothing).

References
----------
Patrini, G., Rozza, A., Menon, A. K., Nock, R. & Qu, L. (2017). Making deep neural networks robust to label
noise: a loss correction approach. CVPR, 1944-1952.
"""

from __future__ import annotations

import numpy as np

from answerkey.quality.label_confident import row_chunks, small_codes

__all__ = ["NOISE_PRIOR", "error_posterior", "flag_expected_errors", "transition_matrix"]

NOISE_PRIOR = 1.0
"""Pseudo-counts per given label added to the confident joint (evenly over the classes) for the posterior."""


def transition_matrix(noise: np.ndarray) -> np.ndarray:
    """``T[true, given]`` from the noise matrix (columns true); a class never seen as true keeps its label."""
    transition = noise.T.copy()
    empty = transition.sum(axis=1) <= 0
    transition[empty] = np.eye(len(transition))[empty]
    return transition


def _inverse(transition: np.ndarray) -> np.ndarray:
    if np.linalg.cond(transition) < 1e8:
        inverse: np.ndarray = np.linalg.inv(transition)
    else:  # noise so heavy that two classes are indistinguishable: the least-squares inverse
        inverse = np.linalg.pinv(transition)
    return inverse


def error_posterior(codes: np.ndarray, probabilities: np.ndarray,
                    noise: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per item: P(true label != given | x), the most probable true class, and the most probable other class
    (codes in the smallest integer type that holds them).

    ``noise`` is P(given | true) with the true class in columns (:func:`~.label_confident.noise_matrix`).
    """
    n, k = probabilities.shape
    transition = transition_matrix(noise)
    inverse = _inverse(transition)
    into = np.ascontiguousarray(transition.T)  # into[g, j] = P(given g | true j): one row per given label
    wrong, best, other = np.empty(n), np.empty(n, dtype=small_codes(k)), np.empty(n, dtype=small_codes(k))
    for rows in row_chunks(n, k):
        chunk = probabilities[rows]
        given = codes[rows]
        local = np.arange(len(given))
        # true-class probabilities up to a per-row scale, which cancels in the ratio below
        # (einsum for few classes: BLAS threads cost more than they save on a tall, narrow product)
        joint = np.einsum("ij,jk->ik", chunk, inverse) if k <= 32 else chunk @ inverse
        np.maximum(joint, 0.0, out=joint)
        joint *= into[given]  # P(true j, given g | x), up to the same scale
        evidence = joint.sum(axis=1)
        right = joint[local, given]
        fallback = chunk[local, given].astype(np.float64)  # nothing explains the given label: the model's view
        wrong[rows] = 1.0 - np.divide(right, evidence, out=fallback, where=evidence > 0)
        best[rows] = joint.argmax(axis=1)
        joint[local, given] = -1.0
        other[rows] = joint.argmax(axis=1)
    np.clip(wrong, 0.0, 1.0, out=wrong)
    return wrong, best, other


def flag_expected_errors(wrong: np.ndarray, eligible: np.ndarray | None = None) -> np.ndarray:
    """Flag as many items as the expected number of errors, ``round(sum(wrong))``, the most likely wrong first,
    choosing among the ``eligible`` ones only (and none with a zero probability)."""
    flagged = np.zeros(len(wrong), dtype=bool)
    count = min(int(np.rint(wrong.sum())), len(wrong))
    if count <= 0:
        return flagged
    candidates = wrong if eligible is None else np.where(eligible, wrong, 0.0)
    top = np.argpartition(-candidates, count - 1)[:count]
    flagged[top] = True
    flagged &= candidates > 0
    return flagged
