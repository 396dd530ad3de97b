"""Realized regression metrics (MAE, RMSE, MAPE) from sums computed in the engine.

One aggregate per window and segment returns the count and the sums and sums of squares of the absolute
error, the squared error and the absolute percentage error. MAE and MAPE get the normal interval of a mean;
RMSE gets the square root of the normal interval of the mean squared error (lower end clipped at 0). MAPE is
a fraction, not a percentage, with the denominator ``max(|outcome|, eps)`` as in scikit-learn, so an outcome
of 0 makes it huge; the note says when that happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import numpy as np
import pandas as pd

from answerkey.intervals import mean_and_sd, normal_interval
from answerkey.monitoring.classification import metric_row

__all__ = ["regression_metrics", "regression_table"]

_EPS = float(np.finfo(np.float64).eps)


def regression_table(table: Any, keys: Sequence[str], predicted: Any) -> Any:
    """Ibis expression: per group of ``keys``, the count and error sums of the rows with a prediction."""
    rows = table.select(*keys, e=(predicted - table.outcome).cast("float64"),
                        y=table.outcome.cast("float64")).filter(lambda t: t.e.notnull())
    rows = rows.mutate(a=rows.e.abs(), s=rows.e * rows.e)
    rows = rows.mutate(pct=rows.a / ibis.greatest(rows.y.abs(), _EPS))
    return rows.group_by(list(keys)).agg(
        n=rows.count(), abs=rows.a.sum(), abs_sq=(rows.a * rows.a).sum(), sq=rows.s.sum(),
        sq_sq=(rows.s * rows.s).sum(), pct=rows.pct.sum(), pct_sq=(rows.pct * rows.pct).sum(),
        zero_outcomes=rows.count(where=rows.y == 0))


def regression_metrics(frame: pd.DataFrame, keys: Sequence[str], confidence: float) -> list[dict[str, Any]]:
    """``mae``, ``rmse`` and ``mape`` rows per group of :func:`regression_table` results."""
    rows: list[dict[str, Any]] = []
    for record in frame.to_dict(orient="records"):
        key_values = {key: record[key] for key in keys}
        n = int(record["n"])
        for metric, total, squares in (("mae", "abs", "abs_sq"), ("rmse", "sq", "sq_sq"), ("mape", "pct", "pct_sq")):
            mean, sd = mean_and_sd(n, record[total], record[squares])
            low, high = (max(float(bound), 0.0) for bound in normal_interval(mean, sd, n, confidence))
            centre = float(mean)
            if metric == "rmse":  # the square root of the interval of the mean squared error
                centre, low, high = np.sqrt(centre), np.sqrt(low), np.sqrt(high)
            zeros = int(record["zero_outcomes"]) if metric == "mape" else 0
            note = f"{zeros} outcomes of 0 make MAPE huge" if zeros else ""
            rows.append(metric_row(key_values, metric, None, centre, low, high, n, note))
    return rows
