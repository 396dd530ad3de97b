"""A new workspace has a report too, and a recorded monitor run reaches it, on every store backend."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from answerkey.demo.production import SCORE_COLUMNS, generate_production
from answerkey.monitoring import ColumnMap, load_prediction_log
from answerkey.monitoring.job import run_monitor
from answerkey.project import Workspace
from answerkey.project.monitor_log import latest_monitor_runs, record_monitor_run
from answerkey.report import render_report
from answerkey.store import tables as t


def test_an_empty_workspace_renders_every_section(workspace: Workspace) -> None:
    html = render_report(workspace).read_text(encoding="utf-8")
    assert "No monitor runs recorded" in html


def test_a_recorded_monitor_run_is_kept_append_only_and_shown(workspace: Workspace) -> None:
    data = generate_production(per_day=15)
    columns = ColumnMap(score=None, class_scores=dict(SCORE_COLUMNS))
    log = load_prediction_log(data.predictions, data.outcomes, columns=columns)
    reference = load_prediction_log(data.reference, columns=columns, engine=log.con)
    run = run_monitor(log, reference=reference, window="month", as_of=data.as_of, multivariate=False)
    first = record_monitor_run(workspace, run)
    later = record_monitor_run(workspace, run)
    runs = latest_monitor_runs(workspace)
    assert [r["model"] for r in runs] == ["ticket-router"]
    assert runs[0]["run_id"] in {first, later}
    assert pd.Timestamp(runs[0]["as_of"]) == data.as_of
    with pytest.raises(sa.exc.DBAPIError), workspace.transaction() as connection:
        connection.execute(sa.delete(t.monitor_runs))
    with workspace.reading() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(t.monitor_runs)).scalar() == 2
    html = render_report(workspace).read_text(encoding="utf-8")
    assert "<h3>ticket-router</h3>" in html
