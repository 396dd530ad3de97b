"""``answerkey monitor`` and ``answerkey drift`` on the demo router's files, with --json."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_consensus_cli import answerkey

from answerkey.demo.production import generate_production


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("production")
    data = generate_production(per_day=40)
    data.predictions.to_parquet(folder / "predictions.parquet", index=False)
    data.outcomes.to_parquet(folder / "outcomes.parquet", index=False)
    data.reference.drop(columns=["outcome", "observed_at"]).to_parquet(folder / "reference.parquet", index=False)
    data.reference.to_parquet(folder / "training.parquet", index=False)
    return folder


def _monitor(files: Path, *options: object, cwd: Path | None = None) -> dict[str, object]:
    result = answerkey("monitor", files / "predictions.parquet", files / "outcomes.parquet", "--reference",
                       files / "training.parquet", "--class-scores-prefix", "p_", "--as-of", "2026-10-31",
                       "--json", *options, cwd=cwd or files)
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_monitor_against_training_data_estimates_drifts_and_signals(files: Path) -> None:
    report = _monitor(files, "--by", "segment", "--feature", "message_words", "--feature", "segment")
    estimated = report["estimated"]
    assert isinstance(estimated, list)
    assert {r["metric"] for r in estimated} >= {"accuracy", "roc_auc", "f1"}
    checks = {f["check"] for f in report["findings"]}  # type: ignore[union-attr]
    assert "monitor.drift" in checks
    drifted = {f["where"] for f in report["findings"] if f["check"] == "monitor.drift"}  # type: ignore[union-attr]
    assert "ticket-router message_words" in drifted
    assert report["signal"]["decision"] in {"retrain", "refresh_ground_truth"}  # type: ignore[index]
    assert {r["segment"] for r in report["realized_by_segment"]} == {"smb", "enterprise"}  # type: ignore[union-attr]


def test_monitor_records_its_run_for_the_report(files: Path, tmp_path: Path) -> None:
    assert answerkey("init", "--name", "router", cwd=tmp_path).returncode == 0
    _monitor(files, "--record", "--no-multivariate", cwd=tmp_path)
    assert answerkey("report", cwd=tmp_path).returncode == 0
    html = next(tmp_path.rglob("report.html")).read_text(encoding="utf-8")
    assert "Ground truth in production" in html
    assert "ticket-router" in html
    assert "Signal:" in html


def test_a_malformed_column_mapping_exits_2_naming_the_option(files: Path) -> None:
    result = answerkey("monitor", files / "predictions.parquet", "--column", "predicted=when", cwd=files)
    assert result.returncode == 2
    assert "--column" in result.stderr
    assert "Traceback" not in result.stderr


def test_monitor_reports_lag_and_the_month_four_drop_in_accuracy(files: Path) -> None:
    result = answerkey("monitor", files / "predictions.parquet", files / "outcomes.parquet", "--window", "month",
                       "--as-of", "2026-10-31", "--json", cwd=files)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert 0.8 < report["lag"]["coverage"] < 0.95
    accuracy = [r["value"] for r in report["realized"] if r["metric"] == "accuracy"]
    assert len(accuracy) == 6
    assert min(accuracy[:3]) > max(accuracy[3:]) + 0.05


def test_drift_flags_the_shifted_columns_and_not_the_stable_one(files: Path) -> None:
    result = answerkey("drift", files / "reference.parquet", files / "predictions.parquet", "--column", "segment",
                       "--column", "channel", "--column", "message_words", "--json", cwd=files)
    assert result.returncode == 0, result.stderr
    columns = {c["column"]: c for c in json.loads(result.stdout)["columns"]}
    assert columns["segment"]["drifted"]
    assert columns["message_words"]["drifted"]
    assert not columns["channel"]["drifted"]
    assert {"column", "method", "statistic", "effect_size", "p_value", "drifted"} <= set(columns["channel"])


def test_monitor_on_a_missing_file_exits_2_naming_it(files: Path) -> None:
    result = answerkey("monitor", files / "nope.parquet", cwd=files)
    assert result.returncode == 2
    assert "nope.parquet" in result.stderr
    assert "Traceback" not in result.stderr


def test_drift_json_stays_valid_when_a_constant_reference_column_moves(tmp_path: Path) -> None:
    pd.DataFrame({"x": [1.0] * 500}).to_parquet(tmp_path / "ref.parquet", index=False)
    pd.DataFrame({"x": [1.0] * 250 + [2.0] * 250}).to_parquet(tmp_path / "cur.parquet", index=False)
    result = answerkey("drift", tmp_path / "ref.parquet", tmp_path / "cur.parquet", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Infinity" not in result.stdout
    assert json.loads(result.stdout)["columns"][0]["drifted"]


# --engine spark: the same numbers as on DuckDB.
#
# The command runs in this process (typer's CliRunner), so that ``connect("spark")`` finds the test's Spark
# session active and works on it instead of starting a JVM of its own. Each Spark query costs about a second, so
# the run is kept small: monthly windows, two features, no segments (the job's own Spark test covers --by), and no
# domain classifier (the engines return its sample rows in different orders, so its folds and AUC differ).

_ENGINE_OPTIONS = ("--reference", "training.parquet", "--class-scores-prefix", "p_", "--as-of", "2026-10-31",
                   "--window", "month", "--feature", "message_words", "--feature", "segment", "--no-multivariate",
                   "--json")


def _monitor_in_process(files: Path, engine: str) -> dict[str, Any]:
    """``answerkey monitor --engine ENGINE --json`` on the files, in this process; its exit status must be 0 and
    its output one strictly valid JSON document (no NaN or Infinity)."""
    from typer.testing import CliRunner

    from answerkey.cli.main import app

    arguments = ["monitor", str(files / "predictions.parquet"), str(files / "outcomes.parquet"), "--engine", engine,
                 *(str(files / o) if o.endswith(".parquet") else o for o in _ENGINE_OPTIONS)]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, f"{engine}: exit {result.exit_code}, {result.exception!r}\n{result.stderr}"

    def invalid(constant: str) -> None:
        raise AssertionError(f"{engine}: {constant} in the JSON output")

    report: dict[str, Any] = json.loads(result.stdout, parse_constant=invalid)
    return report


@pytest.fixture(scope="module")
def duckdb_and_spark(files: Path, spark_session: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """The monitor report of the same files on DuckDB and on Spark (the test session)."""
    return _monitor_in_process(files, "duckdb"), _monitor_in_process(files, "spark")


def _differences(left: Any, right: Any, where: str = "", rel: float = 1e-9) -> list[str]:
    """Where two JSON values differ: numbers beyond ``rel`` (relative), anything else at all; nested values too."""
    if isinstance(left, dict) and isinstance(right, dict):
        return [found for key in sorted(set(left) | set(right))
                for found in _differences(left.get(key), right.get(key), f"{where}.{key}", rel)]
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [f"{where}: {len(left)} items against {len(right)}"]
        return [found for number, (x, y) in enumerate(zip(left, right, strict=True))
                for found in _differences(x, y, f"{where}[{number}]", rel)]
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
    same = math.isclose(left, right, rel_tol=rel, abs_tol=1e-12) if numbers else left == right
    return [] if same else [f"{where}: {left!r} against {right!r}"]


def _durations_differ(left: dict[str, Any], right: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    """Lags are measured in whole milliseconds on each engine (which may truncate the other way), so a quantile
    may move by up to a millisecond: allow two."""
    tolerance = pd.Timedelta(milliseconds=2)
    found = []
    for key in keys:
        x, y = left[key], right[key]
        parse = pd.Timestamp if key == "expected_maturity" else pd.Timedelta
        if (x is None) != (y is None) or (x is not None and abs(parse(x) - parse(y)) > tolerance):
            found.append(f"{key}: {x} against {y}")
    return found


@pytest.mark.spark
def test_monitor_on_spark_matches_duckdb_on_lag_realized_metrics_and_drift(
        duckdb_and_spark: tuple[dict[str, Any], dict[str, Any]]) -> None:
    duck, spark = duckdb_and_spark
    assert (spark["model"], spark["as_of"], spark["window"]) == (duck["model"], duck["as_of"], duck["window"])
    durations = ("median", "p90", "p99", "maturity_lag", "p90_low", "p90_high", "arrived_median", "arrived_p90",
                 "followed")
    assert not _durations_differ(duck["lag"], spark["lag"], durations)
    assert not _differences({k: v for k, v in duck["lag"].items() if k not in (*durations, "windows")},
                            {k: v for k, v in spark["lag"].items() if k not in (*durations, "windows")})
    windows = ("lag_median", "lag_p90", "expected_maturity")
    duck_windows, spark_windows = duck["lag"]["windows"], spark["lag"]["windows"]
    assert len(duck_windows) == len(spark_windows) == 6
    assert not [(d, s) for d, s in zip(duck_windows, spark_windows, strict=True) if _durations_differ(d, s, windows)]
    assert not _differences([{k: v for k, v in w.items() if k not in windows} for w in duck_windows],
                            [{k: v for k, v in w.items() if k not in windows} for w in spark_windows])
    for part in ("realized", "drift"):
        assert duck[part], part
        assert not _differences(duck[part], spark[part]), part
    assert {r["column"] for r in spark["drift"] if r["role"] == "feature"} == {"message_words", "segment"}


@pytest.mark.spark
def test_monitor_on_spark_matches_duckdb_on_estimated_performance_alerts_and_signal(
        duckdb_and_spark: tuple[dict[str, Any], dict[str, Any]]) -> None:
    duck, spark = duckdb_and_spark
    assert duck["estimated"]
    assert not _differences(duck["estimated"], spark["estimated"])
    assert not _differences(duck["findings"], spark["findings"])
    assert not _differences(duck["signal"], spark["signal"])
