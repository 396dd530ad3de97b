"""Annotator support for a label: a single careless vote is weaker evidence than a confident consensus.

The model's posterior that a given label is right starts from the base rate of that label being right (from
the estimated noise). With annotator support, the item's own consensus confidence replaces that base rate as the
prior, and the model keeps its say as a likelihood ratio:

    odds(right | model, annotators) = odds(consensus) x odds(right | model) / odds(base rate of the label)

so a consensus no better than the base rate changes nothing, a confident consensus is harder to flag, and a
label resting on a doubtful vote is easier to flag. ``consensus_confidence`` is best the Dawid-Skene (or GLAD)
posterior of the given label, which already weighs how many annotators judged the item and how reliable each is;
it is then used as is. A vote share does not weigh them (one vote is a share of 1), so when ``n_judgements`` is
given the confidence is read as a vote share and shrunk toward the base rate by the number of *other*
judgements, ((n - 1) c + m base) / (n - 1 + m) with ``m = PRIOR_JUDGEMENTS``: a Beta prior centred on the base
rate. A single judgement is the label itself and adds no agreement, so it leaves the model's posterior unchanged;
five agreeing judgements make the label much harder to flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError

__all__ = ["PRIOR_JUDGEMENTS", "align_support", "supported_error_posterior"]

PRIOR_JUDGEMENTS = 1.0
"""Pseudo-judgements at the base rate that a vote share is shrunk with (when ``n_judgements`` is given)."""

_EDGE = 1e-9


def align_support(support: pd.DataFrame, item_ids: Sequence[Any] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each item's consensus confidence and judgement count (NaN where the support has no row for it).

    ``support`` is indexed by item id (or has an ``item_id`` column), with ``consensus_confidence`` in [0, 1]
    and optionally ``n_judgements`` (a positive count).
    """
    if not isinstance(support, pd.DataFrame) or "consensus_confidence" not in support:
        got = list(support.columns) if isinstance(support, pd.DataFrame) else type(support).__name__
        raise ParameterError.invalid("support", "a DataFrame indexed by item with a consensus_confidence column "
                                     "(and optionally n_judgements)", got)
    frame = support.set_index("item_id") if "item_id" in support.columns else support
    if not frame.index.is_unique:
        raise ParameterError.invalid("support", "one row per item", "repeated item ids")
    aligned = frame.reindex(pd.Index(item_ids))
    confidence = pd.to_numeric(aligned["consensus_confidence"], errors="coerce").to_numpy(dtype=np.float64)
    if ((confidence < 0) | (confidence > 1)).any():
        raise ParameterError.invalid("support", "consensus_confidence in [0, 1]",
                                     f"values from {np.nanmin(confidence)} to {np.nanmax(confidence)}")
    if "n_judgements" in frame:
        counts = pd.to_numeric(aligned["n_judgements"], errors="coerce").to_numpy(dtype=np.float64)
        if (counts <= 0).any():
            raise ParameterError.invalid("support", "n_judgements of at least 1", f"minimum {np.nanmin(counts)}")
    else:
        counts = np.full(len(confidence), np.nan)
    return confidence, counts


def _odds(probability: np.ndarray) -> np.ndarray:
    clipped = np.clip(probability, _EDGE, 1.0 - _EDGE)
    odds: np.ndarray = clipped / (1.0 - clipped)
    return odds


def supported_error_posterior(wrong: np.ndarray, base_rate: np.ndarray, confidence: np.ndarray,
                              counts: np.ndarray) -> np.ndarray:
    """P(label wrong) with the consensus as the prior and the model as the likelihood (items without support
    keep the model's posterior).

    ``wrong`` is the model's posterior that each label is wrong, ``base_rate`` each item's prior that its given
    label is right (the estimated P(true = given | given)), ``confidence`` and ``counts`` from
    :func:`align_support`.
    """
    others = np.where(np.isnan(counts), 0.0, counts - 1.0)  # the judgements besides the one the label may be
    prior = np.where(np.isnan(counts), confidence,
                     (others * confidence + PRIOR_JUDGEMENTS * base_rate) / (others + PRIOR_JUDGEMENTS))
    odds = _odds(prior) * _odds(1.0 - wrong) / _odds(base_rate)
    combined: np.ndarray = np.where(np.isnan(confidence), wrong, 1.0 / (1.0 + odds))
    return combined
