"""Each annotator's agreement with the consensus and with every other annotator, with intervals: the numbers
behind the workbench's annotators page, from one read of the judgements.

- Agreement with the consensus is a share of the annotator's judgements, so its interval is Wilson's.
- Cohen's kappa of a pair comes with a percentile bootstrap interval over the items the two share.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from answerkey.errors import ParameterError
from answerkey.intervals import wilson_interval
from answerkey.project.agreement import PEOPLE, workspace_judgements
from answerkey.project.workspace import Workspace
from answerkey.quality.agreement import UndefinedAgreementWarning, paired_judgements
from answerkey.quality.agreement.pairwise import cohen_from_table
from answerkey.quality.agreement.report import bootstrap_interval
from answerkey.quality.agreement.weights import agreement_weights
from answerkey.quality.annotators import AnnotatorProfiles, annotator_profiles

__all__ = ["PAIR_COLUMNS", "AnnotatorAgreement", "annotator_agreement", "pairwise_kappa_intervals"]

PAIR_COLUMNS = ["annotator_a", "annotator_b", "items_shared", "cohen_kappa", "ci_low", "ci_high"]


@dataclass(frozen=True)
class AnnotatorAgreement:
    """Profiles (their ``table`` gains ``consensus_low`` and ``consensus_high``), pairwise kappas with
    intervals, and the interval's confidence level."""

    profiles: AnnotatorProfiles
    pairs: pd.DataFrame
    confidence: float

    @property
    def empty(self) -> bool:
        """Whether nobody has judged anything under the schema version."""
        return self.profiles.table.empty


def annotator_agreement(workspace: Workspace, schema_version: int | None = None, *, confidence: float = 0.95,
                        n_boot: int = 200, seed: int = 0, min_shared: int = 10) -> AnnotatorAgreement:
    """The people's profiles under one schema version (default: the current one) with Wilson intervals on their
    agreement with the consensus, and Cohen's kappa of every pair sharing ``min_shared`` items or more."""
    _check_confidence(confidence)
    judgements = workspace_judgements(workspace, schema_version, PEOPLE)
    if judgements.empty:
        table = pd.DataFrame(columns=["annotator_id", "judgements", "items", "agreement_with_consensus",
                                      "agreement_with_others", "estimated_accuracy", "top_confusion",
                                      "top_confusion_rate", "consensus_low", "consensus_high"])
        return AnnotatorAgreement(AnnotatorProfiles(table, {}), pd.DataFrame(columns=PAIR_COLUMNS), confidence)
    profiles = annotator_profiles(judgements)
    table = profiles.table.copy()
    counts = table["judgements"].to_numpy(dtype=float)
    hits = np.round(table["agreement_with_consensus"].to_numpy(dtype=float) * counts)
    table["consensus_low"], table["consensus_high"] = wilson_interval(hits, counts, confidence)
    pairs = pairwise_kappa_intervals(judgements, confidence=confidence, n_boot=n_boot, seed=seed,
                                     min_shared=min_shared)
    return AnnotatorAgreement(AnnotatorProfiles(table, profiles.confusions), pairs, confidence)


def pairwise_kappa_intervals(judgements: Any, *, confidence: float = 0.95, n_boot: int = 200, seed: int = 0,
                             min_shared: int = 10) -> pd.DataFrame:
    """Cohen's kappa of every pair of annotators sharing at least ``min_shared`` items (the values of
    :func:`~answerkey.quality.agreement.pairwise_kappa`), with a percentile bootstrap interval over those items.

    >>> frame = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3], "annotator_id": list("ababab"),
    ...                       "label": ["x", "x", "y", "y", "x", "y"]})
    >>> row = pairwise_kappa_intervals(frame, min_shared=3).iloc[0]
    >>> round(float(row["cohen_kappa"]), 3), int(row["items_shared"])
    (0.4, 3)
    """
    _check_confidence(confidence)
    frame = judgements.loc[judgements["label"].notna(), ["item_id", "annotator_id", "label"]]
    annotators = sorted(pd.unique(frame["annotator_id"]), key=str)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedAgreementWarning)
        for a, b in combinations(annotators, 2):
            pairs = paired_judgements(frame, (a, b))
            shared = len(pairs.first)
            if shared < min_shared:
                continue
            k = len(pairs.categories)
            weights = agreement_weights(None, pairs.values)

            def kappa(rows_: np.ndarray, first: np.ndarray = pairs.first, second: np.ndarray = pairs.second,
                      k: int = k, weights: np.ndarray = weights) -> float:
                table = np.bincount(first[rows_] * k + second[rows_], minlength=k * k).reshape(k, k)
                return cohen_from_table(table.astype(float), weights)

            low, high = bootstrap_interval(kappa, shared, confidence, n_boot, seed)
            rows.append({"annotator_a": a, "annotator_b": b, "items_shared": shared,
                         "cohen_kappa": cohen_from_table(pairs.table, weights), "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ParameterError.invalid("confidence", "a confidence level between 0 and 1", confidence)
