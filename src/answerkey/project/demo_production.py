"""The demo's deployed model: the ticket router's six months in production, monitored and recorded, as a team
would run ``answerkey monitor`` on its prediction log every week."""

from __future__ import annotations

from pathlib import Path

from answerkey.monitoring.job import MonitorRun
from answerkey.project.workspace import Workspace

__all__ = ["monitor_demo_router"]


def monitor_demo_router(workspace: Workspace, data_dir: Path, seed: int = 11) -> MonitorRun:
    """Write the router's prediction log, outcomes and training reference as Parquet under ``data_dir``/production,
    run the monitor on them (DuckDB, in place) with the workspace's stale labels, and record the run."""
    from answerkey.demo.production import SCORE_COLUMNS, generate_production
    from answerkey.monitoring import ColumnMap, load_prediction_log
    from answerkey.monitoring.job import run_monitor
    from answerkey.project.monitor_log import record_monitor_run
    from answerkey.project.staleness import workspace_staleness
    data = generate_production(seed=seed)
    folder = data_dir / "production"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.parquet" for name in ("predictions", "outcomes", "reference")}
    data.predictions.to_parquet(paths["predictions"], index=False)
    data.outcomes.to_parquet(paths["outcomes"], index=False)
    data.reference.to_parquet(paths["reference"], index=False)
    columns = ColumnMap(score=None, class_scores=dict(SCORE_COLUMNS))
    log = load_prediction_log(str(paths["predictions"]), str(paths["outcomes"]), columns=columns)
    reference = load_prediction_log(str(paths["reference"]), columns=columns, engine=log.con)
    stale = workspace_staleness(workspace, data.as_of).findings
    run = run_monitor(log, reference=reference, window="week", by="segment", as_of=data.as_of,
                      features=["segment", "channel", "message_words", "customer_tenure_days"], ground_truth=stale)
    record_monitor_run(workspace, run)
    return run
