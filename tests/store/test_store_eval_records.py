"""Evaluation runs are records: once written, the database refuses to change or delete them."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from answerkey.store import open_engine
from answerkey.store import tables as t


@pytest.mark.parametrize("statement", [
    "UPDATE eval_runs SET passed = 2", "DELETE FROM eval_runs", "UPDATE eval_results SET verdict = 'pass'",
    "DELETE FROM eval_results",
])
def test_a_recorded_run_cannot_be_rewritten(store_url: str, statement: str) -> None:
    engine = open_engine(store_url)
    with engine.begin() as connection:
        connection.execute(sa.insert(t.eval_runs).values(
            run_id="r1", started_at=datetime(2026, 1, 1), agent="a", golden_file="g", golden_hash="0" * 64,
            warehouse="w", options={}, questions=1, passed=0, seconds=1.0))
        connection.execute(sa.insert(t.eval_results).values(
            run_id="r1", question_id="q", verdict="result-mismatch", reason="x", column_overlap=0.0, row_f1=0.0,
            seconds=0.1, tags=[], differences=[]))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)
    with engine.connect() as connection:
        assert connection.execute(sa.select(t.eval_runs.c.passed)).scalar_one() == 0
        assert connection.execute(sa.select(t.eval_results.c.verdict)).scalar_one() == "result-mismatch"
    engine.dispose()


@pytest.mark.parametrize("statement", ["UPDATE feedback SET verdict = 'correct'", "DELETE FROM feedback"])
def test_logged_feedback_cannot_be_rewritten(store_url: str, statement: str) -> None:
    engine = open_engine(store_url)
    with engine.begin() as connection:
        connection.execute(sa.insert(t.feedback).values(
            question="q", verdict="incorrect", reviewer="maria", feedback_key="0" * 64,
            recorded_at=datetime(2026, 1, 1)))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)
    with engine.connect() as connection:
        assert connection.execute(sa.select(t.feedback.c.verdict)).scalar_one() == "incorrect"
    engine.dispose()
