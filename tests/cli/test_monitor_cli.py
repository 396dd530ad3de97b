"""``answerkey monitor`` and ``answerkey drift`` on the demo router's files, with --json."""

from __future__ import annotations

import json
from pathlib import Path

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
    import pandas as pd

    pd.DataFrame({"x": [1.0] * 500}).to_parquet(tmp_path / "ref.parquet", index=False)
    pd.DataFrame({"x": [1.0] * 250 + [2.0] * 250}).to_parquet(tmp_path / "cur.parquet", index=False)
    result = answerkey("drift", tmp_path / "ref.parquet", tmp_path / "cur.parquet", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Infinity" not in result.stdout
    assert json.loads(result.stdout)["columns"][0]["drifted"]
