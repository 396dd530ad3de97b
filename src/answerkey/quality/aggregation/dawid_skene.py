"""Dawid-Skene: each annotator's full confusion matrix and each item's posterior, by EM over sparse judgements.

Vectorised over judgements (no item x annotator matrix is ever built): an EM step is 2K weighted bincounts.
``one_coin=True`` gives the one-coin model, where an annotator is right with one probability and errs
uniformly otherwise.

References
----------
Dawid, A. P. & Skene, A. M. (1979). Maximum likelihood estimation of observer error-rates using the EM
algorithm. Journal of the Royal Statistical Society C 28(1), 20-28.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from answerkey.errors import ParameterError
from answerkey.quality.aggregation._encoding import EncodedJudgements, encode_judgements

__all__ = ["DawidSkene", "incidence", "posterior_labels"]


def posterior_labels(
    items: np.ndarray, labels: Sequence[Any], posteriors: np.ndarray, method: str, disputed_below: float
) -> pd.DataFrame:
    """The result shape every aggregator returns: item_id, label, confidence, status, method."""
    best = posteriors.argmax(axis=1)
    confidence = posteriors[np.arange(len(best)), best]
    label_array = np.asarray(list(labels), dtype=object)
    return pd.DataFrame({
        "item_id": items,
        "label": label_array[best],
        "confidence": confidence,
        "status": np.where(confidence < disputed_below, "disputed", "agreed"),
        "method": method,
    })


class DawidSkene:
    """Dawid-Skene EM from majority-vote initialisation.

    Parameters
    ----------
    max_iter : int
        Most EM iterations.
    tol : float
        Stop when the mean log-likelihood per judgement improves by less than this.
    smoothing : float
        Pseudo-count added to every confusion cell (keeps unseen confusions possible).
    one_coin : bool
        One accuracy per annotator instead of a full confusion matrix.
    disputed_below : float
        Items whose top posterior is below this are ``disputed``.

    Attributes
    ----------
    labels_ : DataFrame
        ``item_id``, ``label``, ``confidence`` (posterior of the label), ``status``, ``method``.
    posteriors_ : DataFrame
        Items x labels posterior probabilities.
    confusions_ : ndarray of shape (annotators, labels, labels)
        ``confusions_[a, true, given]``: how annotator ``a`` labels items of each true class.
    accuracies_ : Series
        Each annotator's estimated probability of giving the true label.
    priors_ : Series
        Estimated class shares.
    n_iter_ : int
        EM iterations run.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"item_id": [1, 1, 1, 2, 2, 2], "annotator_id": list("abcabc"),
    ...                       "label": ["x", "x", "y", "y", "y", "y"]})
    >>> DawidSkene().fit(frame).labels_["label"].tolist()
    ['x', 'y']
    """

    def __init__(
        self, max_iter: int = 100, tol: float = 1e-7, smoothing: float = 0.01, one_coin: bool = False,
        disputed_below: float = 0.5,
    ) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing
        self.one_coin = one_coin
        self.disputed_below = disputed_below

    def fit(self, annotations: Any, labels: Sequence[Any] | None = None) -> DawidSkene:
        """Estimate confusions and posteriors from long-format annotations."""
        if self.max_iter < 1:
            raise ParameterError.invalid("max_iter", "a positive integer", self.max_iter)
        data = encode_judgements(annotations, labels)
        k = data.shape[2]
        counts = incidence(data)
        votes = data.vote_counts()
        posteriors = votes / votes.sum(axis=1, keepdims=True)
        previous = -np.inf
        self.n_iter_ = 0
        for iteration in range(1, self.max_iter + 1):
            priors, log_confusion = self._m_step(counts, posteriors)
            posteriors, likelihood = self._e_step(counts, priors, log_confusion)
            self.n_iter_ = iteration
            if likelihood - previous < self.tol:
                break
            previous = likelihood
        priors, log_confusion = self._m_step(counts, posteriors)
        method = "one-coin" if self.one_coin else "dawid-skene"
        self.labels_ = posterior_labels(data.items, data.labels, posteriors, method, self.disputed_below)
        self.posteriors_ = pd.DataFrame(posteriors, index=pd.Index(data.items, name="item_id"), columns=data.labels)
        self.confusions_ = np.exp(log_confusion)
        self.priors_ = pd.Series(priors, index=data.labels)
        diagonal = self.confusions_[:, np.arange(k), np.arange(k)]
        self.accuracies_ = pd.Series(diagonal @ priors, index=pd.Index(data.annotators, name="annotator_id"))
        self.annotators_ = data.annotators
        self.log_likelihood_ = previous
        return self

    def _m_step(self, counts: sparse.csr_matrix, posteriors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = posteriors.shape[1]
        a = counts.shape[1] // k
        priors = posteriors.mean(axis=0)
        # cells[a, given, true]: posterior mass of each true class behind annotator a saying "given"
        cells = np.asarray(counts.T @ posteriors).reshape(a, k, k)
        if self.one_coin:
            right = np.einsum("agg->a", cells)
            total = cells.sum(axis=(1, 2))
            accuracy = (right + self.smoothing) / (total + 2 * self.smoothing)
            wrong = (1.0 - accuracy) / max(k - 1, 1)
            confusion = np.repeat(wrong[:, None, None], k, axis=1).repeat(k, axis=2)
            confusion[:, np.arange(k), np.arange(k)] = accuracy[:, None]
        else:
            confusion = cells.transpose(0, 2, 1) + self.smoothing
            confusion /= confusion.sum(axis=2, keepdims=True)
        return priors, np.log(confusion)

    @staticmethod
    def _e_step(
        counts: sparse.csr_matrix, priors: np.ndarray, log_confusion: np.ndarray
    ) -> tuple[np.ndarray, float]:
        a, k = log_confusion.shape[0], log_confusion.shape[1]
        # log_given[a * k + given, true] = log P(annotator a says "given" | true)
        log_given = log_confusion.transpose(0, 2, 1).reshape(a * k, k)
        log_post = np.asarray(counts @ log_given) + np.log(np.clip(priors, 1e-300, None))
        top = log_post.max(axis=1, keepdims=True)
        unnormalised = np.exp(log_post - top)
        total = unnormalised.sum(axis=1, keepdims=True)
        likelihood = float((np.log(total) + top).sum() / counts.sum())
        return unnormalised / total, likelihood


def incidence(data: EncodedJudgements) -> sparse.csr_matrix:
    """Items x (annotator, label) judgement counts as a sparse matrix; both EM steps are products with it."""
    n, a, k = data.shape
    return sparse.csr_matrix((np.ones(len(data.item)), (data.item, data.annotator * k + data.label)), shape=(n, a * k))
