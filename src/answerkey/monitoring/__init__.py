"""Production monitoring where labels arrive late: inputs, label lag, realized performance (Ibis expressions).

Everything runs in the engine where the prediction log is (DuckDB by default, Spark, or any Ibis backend);
only small per-window tables come back to pandas.
"""

from answerkey.monitoring.engines import as_table, connect
from answerkey.monitoring.inputs import ColumnMap, PredictionLog, load_prediction_log
from answerkey.monitoring.lag import LagReport, label_lag
from answerkey.monitoring.realized import realized_performance

__all__ = [
    "ColumnMap",
    "LagReport",
    "PredictionLog",
    "as_table",
    "connect",
    "label_lag",
    "load_prediction_log",
    "realized_performance",
]
