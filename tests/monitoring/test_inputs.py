"""Inputs: files, frames and tables on an engine, mapped columns, and clear errors for bad logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import polars as pl
import pytest

from answerkey.errors import ImportValidationError, ParameterError
from answerkey.monitoring import ColumnMap, connect, label_lag, load_prediction_log
from answerkey.monitoring.engines import as_table, backend_name

T0 = pd.Timestamp("2024-02-01 09:00")


def predictions(n: int = 6) -> pd.DataFrame:
    """``n`` predictions an hour apart, ids p0..p(n-1)."""
    return pd.DataFrame({"prediction_id": [f"p{i}" for i in range(n)],
                         "predicted_at": [T0 + pd.Timedelta(hours=i) for i in range(n)],
                         "model": ["churn"] * (n - 1) + ["fraud"], "prediction": [i % 2 for i in range(n)],
                         "region": ["eu", "us"] * (n // 2) + ["eu"] * (n % 2)})


def outcomes(ids: list[str], hours_late: float = 5) -> pd.DataFrame:
    """Outcomes for the given ids, observed ``hours_late`` after their prediction."""
    index = [int(i[1:]) for i in ids]
    return pd.DataFrame({"prediction_id": ids, "outcome": [i % 2 for i in index],
                         "observed_at": [T0 + pd.Timedelta(hours=i + hours_late) for i in index]})


def test_parquet_and_csv_files_are_read_in_place_with_mapped_columns(tmp_path: Path) -> None:
    preds = predictions().rename(columns={"prediction_id": "request", "predicted_at": "ts", "prediction": "label"})
    outs = outcomes(["p0", "p1", "p2"]).rename(columns={"prediction_id": "request", "outcome": "truth",
                                                         "observed_at": "seen"})
    preds.to_parquet(tmp_path / "predictions.parquet")
    outs.to_csv(tmp_path / "outcomes.csv", index=False)
    columns = ColumnMap(prediction_id="request", predicted_at="ts", prediction="label", outcome="truth",
                        observed_at="seen")
    log = load_prediction_log(tmp_path / "predictions.parquet", tmp_path / "outcomes.csv", columns=columns)
    assert list(log.table.columns) == ["prediction_id", "predicted_at", "model", "prediction", "region", "outcome",
                                       "observed_at"]
    assert log.optional == frozenset({"model", "prediction"})
    assert log.extra == ("region",)
    assert "predictions.parquet" in log.source
    assert "outcomes.csv" in log.source
    assert label_lag(log).median == pd.Timedelta(hours=5)


def test_a_missing_column_names_the_file_the_column_and_a_close_match(tmp_path: Path) -> None:
    path = tmp_path / "predictions.parquet"
    predictions().rename(columns={"predicted_at": "predicted_time"}).to_parquet(path)
    with pytest.raises(ImportValidationError) as error:
        load_prediction_log(path, outcomes(["p0"]))
    message = str(error.value)
    assert str(path) in message
    assert ":predicted_at: found no such column (did you mean 'predicted_time'?)" in message
    assert "expected the predicted_at column (map another with ColumnMap(predicted_at=...))" in message


def test_an_optional_column_mapped_by_name_must_exist() -> None:
    with pytest.raises(ImportValidationError, match="probability: found no such column"):
        load_prediction_log(predictions(), outcomes(["p0"]), columns=ColumnMap(score="probability"))


def test_errors_are_found_in_the_engine_and_reported_together(engine: Any) -> None:
    preds = pd.concat([predictions(), predictions().iloc[[2, 2, 4]]], ignore_index=True)
    outs = pd.concat([outcomes(["p0", "p1", "p1"]), outcomes(["x9"]).assign(observed_at=T0)], ignore_index=True)
    with pytest.raises(ImportValidationError) as error:
        load_prediction_log(preds, outs, engine=engine)
    message = str(error.value)
    assert "predictions:prediction_id: found prediction id 'p2' 3 times, expected each prediction id once" in message
    assert "found prediction id 'p4' 2 times" in message
    assert "outcomes:prediction_id: found prediction id 'p1' 2 times" in message
    assert "found an outcome for prediction id 'x9', which has no prediction" in message
    assert "4 problems in all; the prediction log was not loaded" in message
    assert error.value.total == 4


def test_an_outcome_observed_before_its_prediction_is_refused() -> None:
    outs = outcomes(["p0", "p3"])
    outs.loc[1, "observed_at"] = T0
    with pytest.raises(ImportValidationError, match="prediction id 'p3' observed at 2024-02-01 09:00:00 before its "
                                                    "prediction at 2024-02-01 12:00:00"):
        load_prediction_log(predictions(), outs)


def test_outcomes_without_an_observation_time_are_refused() -> None:
    outs = outcomes(["p0", "p1"]).astype({"observed_at": "object"})
    outs.loc[1, "observed_at"] = None
    with pytest.raises(ImportValidationError, match="found 1 outcomes without an observed_at"):
        load_prediction_log(predictions(), outs.astype({"observed_at": "datetime64[us]"}))


def test_filters_that_leave_no_prediction_are_an_empty_window_error() -> None:
    with pytest.raises(ParameterError, match=r"no predictions in predictions \+ outcomes match start='2025-01-01'"
                                             r".*the predictions run from 2024-02-01 09:00:00 to 2024-02-01 14:00:00"):
        load_prediction_log(predictions(), outcomes(["p0"]), start="2025-01-01")
    with pytest.raises(ParameterError, match="match model='spam'"):
        load_prediction_log(predictions(), outcomes(["p0"]), model="spam")


def test_an_empty_prediction_log_is_refused() -> None:
    with pytest.raises(ImportValidationError, match="predictions: found no predictions, expected at least one"):
        load_prediction_log(predictions().iloc[:0], outcomes(["p0"]).iloc[:0])


def test_filters_keep_one_model_and_a_time_range_and_outcomes_of_other_models_are_not_orphans() -> None:
    log = load_prediction_log(predictions(), outcomes(["p0", "p1", "p5"]), model="churn",
                              start=T0 + pd.Timedelta(hours=1), end=T0 + pd.Timedelta(hours=4))
    report = label_lag(log)
    assert (report.predictions, report.labelled) == (3, 1)


def test_outcomes_can_be_columns_of_the_prediction_log() -> None:
    joined = predictions().merge(outcomes(["p0", "p2"]), on="prediction_id", how="left")
    report = label_lag(load_prediction_log(joined))
    assert (report.predictions, report.labelled, report.median) == (6, 2, pd.Timedelta(hours=5))


def test_iso_text_timestamps_are_cast_in_the_engine() -> None:
    preds = predictions().assign(predicted_at=lambda f: f["predicted_at"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    log = load_prediction_log(preds, outcomes(["p1"]))
    assert log.table.predicted_at.type().is_timestamp()
    assert label_lag(log).median == pd.Timedelta(hours=5)


def test_prediction_ids_of_different_types_cannot_be_joined() -> None:
    outs = outcomes(["p0"]).assign(prediction_id=[0])
    with pytest.raises(ImportValidationError, match="outcomes:prediction_id: found type int64, expected the type of"):
        load_prediction_log(predictions(), outs)


def test_an_unmapped_prediction_column_with_a_canonical_name_is_refused() -> None:
    preds = predictions().assign(outcome="stale copy")
    with pytest.raises(ImportValidationError, match="predictions:outcome: found an unmapped column with a canonical"):
        load_prediction_log(preds, outcomes(["p0"]))


def test_other_outcome_columns_are_ignored_whatever_their_names() -> None:
    outs = outcomes(["p0"]).rename(columns={"outcome": "churned"}).assign(outcome="free text", model="churn")
    log = load_prediction_log(predictions(), outs, columns=ColumnMap(outcome="churned"))
    assert label_lag(log).labelled == 1


def test_polars_frames_and_ibis_tables_are_taken_as_they_are(tmp_path: Path) -> None:
    con = ibis.duckdb.connect()
    table = con.read_parquet(_parquet(predictions(), tmp_path))
    log = load_prediction_log(table, pl.from_pandas(outcomes(["p0", "p1"])))
    assert log.con is con
    assert label_lag(log).labelled == 2


def test_a_table_on_another_connection_is_refused_rather_than_copied(tmp_path: Path) -> None:
    table = ibis.duckdb.connect().read_parquet(_parquet(predictions(), tmp_path))
    with pytest.raises(ParameterError, match="predictions is a table on another duckdb connection"):
        load_prediction_log(table, outcomes(["p0"]), engine="duckdb")


def test_engines_are_named_by_a_word_a_file_or_a_url(tmp_path: Path) -> None:
    assert backend_name(connect()) == "duckdb"
    assert backend_name(connect(tmp_path / "warehouse.duckdb")) == "duckdb"
    assert backend_name(connect("duckdb://")) == "duckdb"
    with pytest.raises(ParameterError, match=r"^engine must be"):
        connect("oracle")
    with pytest.raises(ParameterError, match="does not exist"):
        as_table(tmp_path / "missing.parquet", connect(), what="predictions")
    (tmp_path / "predictions.json").write_text("{}")
    with pytest.raises(ParameterError, match=r"^predictions path must be a Parquet"):
        as_table(tmp_path / "predictions.json", connect(), what="predictions")


def _parquet(frame: pd.DataFrame, folder: Path) -> str:
    """The frame written to a Parquet file in ``folder``."""
    path = folder / "predictions.parquet"
    frame.to_parquet(path)
    return str(path)


@pytest.mark.spark
def test_the_spark_engine_is_the_active_session(spark_session: Any) -> None:
    con = connect("spark")
    assert backend_name(con) == "pyspark"
    assert con._session is spark_session


def test_a_spark_session_that_cannot_start_is_a_one_line_error_naming_java(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyspark.sql import SparkSession

    def no_java(self: Any) -> None:
        raise RuntimeError("[JAVA_GATEWAY_EXITED] Java gateway process exited before sending its port number.")

    monkeypatch.setattr(SparkSession, "getActiveSession", classmethod(lambda cls: None))
    monkeypatch.setattr(SparkSession.Builder, "getOrCreate", no_java)
    message = r"^engine .spark. could not start a local Spark session \(\[JAVA_GATEWAY_EXITED\].*Java 17"
    with pytest.raises(ParameterError, match=message) as error:
        connect("spark")
    assert "\n" not in str(error.value)
