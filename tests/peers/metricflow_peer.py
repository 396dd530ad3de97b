"""Run queries through MetricFlow's engine (the ``mf`` CLI's own configuration), in MetricFlow's venv.

    python metricflow_peer.py PROJECT_DIR QUERIES.json  ->  one JSON list on stdout

Each query is ``{"metrics": [...], "group_by": [...], "where": [...]}``; each answer ``{"columns", "rows",
"seconds"}`` or ``{"error": ...}``. Dates are ISO strings and decimals floats, as ``metrics query --json`` prints
them. Run by tests/analytics/test_metricflow_parity.py and benchmarks/bench_metrics.py.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def main(project: str, queries_file: str) -> None:
    from dbt_metricflow.cli.cli_configuration import CLIConfiguration
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

    configuration = CLIConfiguration()
    configuration.setup(dbt_profiles_path=Path(project), dbt_project_path=Path(project), configure_file_logging=False)
    answers = []
    for query in json.loads(Path(queries_file).read_text()):
        request = MetricFlowQueryRequest.create(metric_names=query["metrics"], group_by_names=query["group_by"],
                                                where_constraints=query.get("where") or None)
        started = time.perf_counter()
        try:
            result = configuration.mf.query(request).result_df
        except Exception as error:  # the peer's refusal is an answer too
            answers.append({"error": f"{type(error).__name__}: {error}"})
            continue
        answers.append({"columns": list(result.column_names), "seconds": time.perf_counter() - started,
                        "rows": [[_plain(v) for v in row] for row in result.rows]})
    print(json.dumps(answers))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
