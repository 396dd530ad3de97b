"""Long-format judgements as integer codes: items, annotators and labels, for the aggregation models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from answerkey.quality.agreement._data import long_frame

__all__ = ["EncodedJudgements", "encode_judgements"]


@dataclass(frozen=True)
class EncodedJudgements:
    """One row per judgement as codes into ``items``, ``annotators`` and ``labels``."""

    item: np.ndarray
    annotator: np.ndarray
    label: np.ndarray
    items: np.ndarray
    annotators: np.ndarray
    labels: list[Any]

    @property
    def shape(self) -> tuple[int, int, int]:
        """(items, annotators, labels)."""
        return len(self.items), len(self.annotators), len(self.labels)

    def vote_counts(self) -> np.ndarray:
        """Items x labels vote counts."""
        n, _, k = self.shape
        counts: np.ndarray = np.bincount(self.item * k + self.label, minlength=n * k).reshape(n, k).astype(float)
        return counts


def encode_judgements(annotations: Any, labels: Sequence[Any] | None = None) -> EncodedJudgements:
    """Codes for a long frame (``item_id``, ``annotator_id``, ``label``); ``labels`` fixes the label set."""
    frame = long_frame(annotations)
    item, items = pd.factorize(frame["item_id"], sort=True)
    annotator, annotators = pd.factorize(frame["annotator_id"], sort=True)
    label_set = list(labels) if labels is not None else sorted(pd.unique(frame["label"]), key=str)
    label = pd.Index(label_set).get_indexer(frame["label"])
    if (label < 0).any():
        unknown = sorted(set(frame["label"][label < 0]), key=str)[:5]
        from answerkey.errors import ParameterError

        raise ParameterError.invalid("labels", "every label in the annotations", f"missing {unknown}")
    return EncodedJudgements(item.astype(np.int64), annotator.astype(np.int64), label.astype(np.int64),
                             np.asarray(items, dtype=object), np.asarray(annotators, dtype=object), label_set)
