"""``answerkey leakage`` from the command line: findings as JSON, exit 1 on errors, 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_consensus_cli import answerkey


@pytest.fixture
def churn(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    n = 1500
    churned = rng.random(n) < 0.3
    start = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    churned_at = start + pd.to_timedelta(rng.integers(20, 90, n), unit="D")
    frame = pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in rng.permutation(n)],
        "seats": rng.poisson(5, n) + churned,
        "contract_sent_at": churned_at + pd.to_timedelta(rng.integers(1, 10, n), unit="D"),
        "contract_sent": churned & (rng.random(n) < 0.97),
        "churned": churned,
        "churned_at": churned_at,
    })
    frame.to_parquet(tmp_path / "items.parquet", index=False)
    pd.DataFrame({"feature": ["contract_sent", "seats"], "available_at": ["contract_sent_at", "2025-12-31"]}).to_csv(
        tmp_path / "feature_times.csv", index=False)
    return tmp_path


def test_leakage_finds_the_post_outcome_field_and_exits_1(churn: Path) -> None:
    result = answerkey("leakage", churn / "items.parquet", "--label", "churned", "--label-time", "churned_at",
                       "--feature-times", churn / "feature_times.csv", "--json", cwd=churn)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    flagged = {(f["check"], f["where"]) for f in report["findings"]}
    assert ("leakage.after_label_time", "contract_sent") in flagged
    assert ("leakage.single_feature", "contract_sent") in flagged
    assert not any(where == "seats" for _, where in flagged)
    assert report["features"][0]["feature"] == "contract_sent"


def test_a_label_column_that_is_not_there_exits_2_naming_it(churn: Path) -> None:
    result = answerkey("leakage", churn / "items.parquet", "--label", "cancelled", cwd=churn)
    assert result.returncode == 2
    assert "cancelled" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_feature_times_file_without_its_columns_exits_2_naming_the_file(churn: Path) -> None:
    (churn / "bad_times.csv").write_text("name,when\ncontract_sent,contract_sent_at\n", encoding="utf-8")
    result = answerkey("leakage", churn / "items.parquet", "--label", "churned", "--label-time", "churned_at",
                       "--feature-times", churn / "bad_times.csv", cwd=churn)
    assert result.returncode == 2
    assert "bad_times.csv" in result.stderr
    assert "available_at" in result.stderr
