"""Agreement weights between categories: full credit on the diagonal, partial credit near it when ordered."""

from __future__ import annotations

import numpy as np

from answerkey.errors import ParameterError

__all__ = ["WEIGHTS", "agreement_weights"]

WEIGHTS = ("identity", "linear", "quadratic")


def agreement_weights(kind: str | None, values: np.ndarray) -> np.ndarray:
    """K x K weights: identity (nominal), or linear / quadratic in the categories' scale positions."""
    kind = kind or "identity"
    if kind not in WEIGHTS:
        raise ParameterError.invalid("weights", f"one of {', '.join(WEIGHTS)} (or None)", kind)
    k = len(values)
    if kind == "identity" or k < 2:
        return np.eye(k)
    span = float(values.max() - values.min()) or 1.0
    distance = np.abs(values[:, None] - values[None, :]) / span
    weights: np.ndarray = 1.0 - (distance if kind == "linear" else distance**2)
    return weights
