"""GLAD: an ability per annotator and a difficulty per item, by EM over sparse judgements.

Annotator ``j`` labels item ``i`` correctly with probability ``sigmoid(alpha_j * beta_i)`` and otherwise picks
one of the other ``K - 1`` labels uniformly. ``alpha_j`` is the annotator's ability (negative: worse than
chance, systematically wrong), ``1 / beta_i > 0`` the item's difficulty. The E-step is two weighted bincounts;
the M-step maximises the expected complete log-likelihood plus Gaussian priors on ``alpha`` and ``log beta`` with
a few L-BFGS-B iterations over all parameters at once, each one a pass over the judgements.

References
----------
Whitehill, J., Ruvolo, P., Wu, T., Bergsma, J. & Movellan, J. (2009). Whose vote should count more: optimal
integration of labels from labelers of unknown expertise. Advances in Neural Information Processing Systems 22,
2035-2043.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.quality.aggregation._encoding import EncodedJudgements, encode_judgements
from answerkey.quality.aggregation.dawid_skene import posterior_labels

__all__ = ["GLAD"]


class GLAD:
    """GLAD EM from majority-vote initialisation.

    Parameters
    ----------
    max_iter : int
        Most EM iterations.
    tol : float
        Stop when the mean log posterior per judgement (log-likelihood plus log priors) improves by less
        than this.
    m_step_max_iter : int
        Most L-BFGS-B iterations in each M-step (warm-started from the previous one).
    alpha_mean : float
        Mean of the Gaussian prior on each ability ``alpha``.
    log_beta_mean : float
        Mean of the Gaussian prior on each ``log beta`` (1, as in the authors' code: ``beta`` near e).
    prior_sd : float
        Standard deviation of both priors; larger is weaker.
    fit_priors : bool
        Estimate the class shares (as Dawid-Skene does); ``False`` keeps them uniform, as in the paper.
    disputed_below : float
        Items whose top posterior is below this are ``disputed``.

    Attributes
    ----------
    labels_ : DataFrame
        ``item_id``, ``label``, ``confidence`` (posterior of the label), ``status``, ``method`` (``"glad"``).
    posteriors_ : DataFrame
        Items x labels posterior probabilities.
    abilities_ : Series
        ``alpha`` per annotator: 0 is chance, higher is better, negative is systematically wrong.
    difficulties_ : Series
        ``1 / beta`` per item: higher is harder.
    accuracies_ : Series
        Each annotator's mean estimated probability of giving the true label over the items they judged
        (comparable with ``DawidSkene.accuracies_``).
    priors_ : Series
        Class shares (uniform unless ``fit_priors``).
    annotators_ : ndarray
        Annotator ids in the order of the parameters.
    log_likelihood_ : float
        Final mean log posterior per judgement.
    n_iter_ : int
        EM iterations run.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"item_id": [1, 1, 1, 2, 2, 2], "annotator_id": list("abcabc"),
    ...                       "label": ["x", "x", "y", "y", "y", "y"]})
    >>> model = GLAD().fit(frame)
    >>> model.labels_["label"].tolist()
    ['x', 'y']
    >>> bool(model.difficulties_[1] > model.difficulties_[2])  # the split item is the harder one
    True
    """

    def __init__(
        self, max_iter: int = 100, tol: float = 1e-6, m_step_max_iter: int = 25, alpha_mean: float = 1.0,
        log_beta_mean: float = 1.0, prior_sd: float = 1.0, fit_priors: bool = True, disputed_below: float = 0.5,
    ) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.m_step_max_iter = m_step_max_iter
        self.alpha_mean = alpha_mean
        self.log_beta_mean = log_beta_mean
        self.prior_sd = prior_sd
        self.fit_priors = fit_priors
        self.disputed_below = disputed_below

    def fit(self, annotations: Any, labels: Sequence[Any] | None = None) -> GLAD:
        """Estimate abilities, difficulties and posteriors from long-format annotations."""
        self._validate()
        data = encode_judgements(annotations, labels)
        n, a, k = data.shape
        votes = data.vote_counts()
        posteriors = votes / votes.sum(axis=1, keepdims=True)
        params = np.concatenate([np.full(a, float(self.alpha_mean)), np.full(n, float(self.log_beta_mean))])
        priors = np.full(k, 1.0 / k)
        previous = -np.inf
        self.n_iter_ = 0
        for iteration in range(1, self.max_iter + 1):
            if self.fit_priors:
                priors = posteriors.mean(axis=0)
            params = self._m_step(data, params, posteriors[data.item, data.label])
            posteriors, likelihood = _e_step(data, params, priors)
            objective = (likelihood + self._log_prior(params, a)) / len(data.item)
            self.n_iter_ = iteration
            if objective - previous < self.tol:
                previous = objective
                break
            previous = objective
        alpha, log_beta = params[:a], params[a:]
        correct = _sigmoid(alpha[data.annotator] * np.exp(log_beta[data.item]))
        judged = np.bincount(data.annotator, minlength=a)
        annotator_index = pd.Index(data.annotators, name="annotator_id")
        item_index = pd.Index(data.items, name="item_id")
        self.labels_ = posterior_labels(data.items, data.labels, posteriors, "glad", self.disputed_below)
        self.posteriors_ = pd.DataFrame(posteriors, index=item_index, columns=data.labels)
        self.abilities_ = pd.Series(alpha, index=annotator_index, name="ability")
        self.difficulties_ = pd.Series(np.exp(-log_beta), index=item_index, name="difficulty")
        self.accuracies_ = pd.Series(np.bincount(data.annotator, weights=correct, minlength=a) / judged,
                                     index=annotator_index, name="accuracy")
        self.priors_ = pd.Series(priors, index=data.labels)
        self.annotators_ = data.annotators
        self.log_likelihood_ = float(previous)
        return self

    def _validate(self) -> None:
        if not isinstance(self.max_iter, int) or self.max_iter < 1:
            raise ParameterError.invalid("max_iter", "a positive integer", self.max_iter)
        if not isinstance(self.m_step_max_iter, int) or self.m_step_max_iter < 1:
            raise ParameterError.invalid("m_step_max_iter", "a positive integer", self.m_step_max_iter)
        if not self.prior_sd > 0:
            raise ParameterError.invalid("prior_sd", "a positive number", self.prior_sd)

    def _log_prior(self, params: np.ndarray, a: int) -> float:
        """Gaussian log densities of alpha and log beta, without the constant."""
        alpha_gap = params[:a] - self.alpha_mean
        beta_gap = params[a:] - self.log_beta_mean
        return float(-0.5 * (alpha_gap @ alpha_gap + beta_gap @ beta_gap) / self.prior_sd**2)

    def _m_step(self, data: EncodedJudgements, params: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Maximise the expected complete log posterior over (alpha, log beta); ``right`` is each judgement's
        posterior probability of being correct."""
        n, a, k = data.shape
        log_rivals = np.log(max(k - 1, 1))
        wrong = 1.0 - right
        precision = 1.0 / self.prior_sd**2
        means = np.concatenate([np.full(a, float(self.alpha_mean)), np.full(n, float(self.log_beta_mean))])

        def negative(x: np.ndarray) -> tuple[float, np.ndarray]:
            beta = np.exp(x[a:])[data.item]
            z = x[:a][data.annotator] * beta
            log_right = -np.logaddexp(0.0, -z)
            # log(1 - sigmoid(z)) = log sigmoid(z) - z
            value = right @ log_right + wrong @ (log_right - z - log_rivals)
            residual = right - np.exp(log_right)  # d/dz of each judgement's term
            gap = x - means
            gradient = np.concatenate([np.bincount(data.annotator, weights=residual * beta, minlength=a),
                                       np.bincount(data.item, weights=residual * z, minlength=n)])
            gradient -= precision * gap
            return -(float(value) - 0.5 * precision * float(gap @ gap)), -gradient

        from scipy.optimize import minimize  # lazily: scipy.optimize costs the CLI 0.1 s at start

        result = minimize(negative, params, jac=True, method="L-BFGS-B",
                          options={"maxiter": self.m_step_max_iter})
        fitted: np.ndarray = result.x
        return fitted


def _e_step(data: EncodedJudgements, params: np.ndarray, priors: np.ndarray) -> tuple[np.ndarray, float]:
    """Posteriors over the true label of every item and the log-likelihood of all judgements."""
    n, a, k = data.shape
    z = params[:a][data.annotator] * np.exp(params[a:])[data.item]
    log_right = -np.logaddexp(0.0, -z)
    log_wrong = log_right - z - np.log(max(k - 1, 1))
    # every judgement counts as wrong for each class, then the class it names gets the right-minus-wrong bonus
    log_post = np.bincount(data.item * k + data.label, weights=log_right - log_wrong, minlength=n * k).reshape(n, k)
    log_post += np.bincount(data.item, weights=log_wrong, minlength=n)[:, None]
    log_post += np.log(np.clip(priors, 1e-300, None))
    top = log_post.max(axis=1, keepdims=True)
    unnormalised = np.exp(log_post - top)
    total = unnormalised.sum(axis=1, keepdims=True)
    return unnormalised / total, float((np.log(total) + top).sum())


def _sigmoid(z: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.exp(-np.logaddexp(0.0, -z))
    return result
