"""Label leakage checks on seeded churn tables whose leaks are planted and whose honest features are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from answerkey.errors import ParameterError
from answerkey.findings import Severity
from answerkey.quality.leakage import LeakageReport, check_leakage

N = 2_000
REASONS = ["price", "competitor", "moved", "support", "features"]


def churn_table(seed: int = 0, n: int = N) -> pd.DataFrame:
    """Customers by signup, a churn rate that drifts with time, and planted leaks; rows shuffled.

    - ``customer_id`` is assigned in signup order, so it encodes time, and churn rises with time;
    - ``monthly_spend`` is an honest weak feature (AUC about 0.6);
    - ``cancellation_reason`` is filled in almost only for churned customers (a post-outcome field);
    - ``nps_score`` is noise, but surveyed after the churn date for most churned customers;
    - ``region_churn_rate`` is each region's churn rate over the whole set (in-sample target encoding) and
      ``region_churn_rate_oof`` the same computed out of fold.
    """
    rng = np.random.default_rng(seed)
    signup_at = pd.Timestamp("2023-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 730, n)), unit="D")
    drift = np.linspace(0.0, 1.0, n)
    region = rng.choice([f"R{r:02d}" for r in range(20)], n)
    region_effect = pd.Series(rng.normal(0, 0.05, 20), index=[f"R{r:02d}" for r in range(20)])
    churned = rng.random(n) < np.clip(0.04 + 0.5 * drift + region_effect[region].to_numpy(), 0.01, 0.99)
    churned_at = pd.Series(signup_at + pd.to_timedelta(rng.uniform(30, 300, n), unit="D")).where(churned)
    filled = (churned & (rng.random(n) < 0.95)) | (~churned & (rng.random(n) < 0.01))
    reason = pd.Series(rng.choice(REASONS, n)).where(filled)
    surveyed_late = churned & (rng.random(n) < 0.7)
    survey_at = np.where(surveyed_late, churned_at + pd.Timedelta(days=14), signup_at + pd.Timedelta(days=20))
    frame = pd.DataFrame({
        "customer_id": np.arange(1, n + 1),
        "signup_at": signup_at,
        "plan": rng.choice(["basic", "pro", "team"], n),
        "monthly_spend": rng.normal(50, 10, n) + 4.5 * churned,
        "cancellation_reason": reason,
        "nps_score": rng.integers(0, 11, n),
        "survey_at": pd.to_datetime(survey_at),
        "region": region,
        "churned_at": churned_at,
        "churned": churned,
    })
    frame["region_churn_rate"] = frame.groupby("region")["churned"].transform("mean")
    frame["region_churn_rate_oof"] = out_of_fold_rate(frame["region"], frame["churned"], rng)
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def out_of_fold_rate(groups: pd.Series, label: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """A target encoding done right: each row's group rate from the other four folds."""
    fold = rng.integers(0, 5, len(groups))
    encoded = np.zeros(len(groups))
    for k in range(5):
        held = fold == k
        rates = label[~held].groupby(groups[~held]).mean()
        encoded[held] = groups[held].map(rates).fillna(label[~held].mean()).to_numpy()
    return encoded


FEATURE_TIMES = {"nps_score": "survey_at", "plan": "signup_at", "monthly_spend": "signup_at"}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return churn_table()


@pytest.fixture(scope="module")
def report(table: pd.DataFrame) -> LeakageReport:
    return check_leakage(table, "churned", label_time="churned_at", feature_times=FEATURE_TIMES)


def findings_for(report: LeakageReport, check: str) -> dict[str, Severity]:
    return {f.where: f.severity for f in report.findings if f.check == check}


def row(report: LeakageReport, feature: str) -> pd.Series:
    return pd.Series(report.features.set_index("feature").loc[feature])


def test_an_honest_weak_feature_is_scored_but_not_flagged(report: LeakageReport) -> None:
    spend = row(report, "monthly_spend")
    assert 0.55 < spend["auc"] < 0.68
    assert not spend["flagged"]
    assert "monthly_spend" not in {f.where for f in report.findings}


def test_a_field_filled_in_after_churn_is_flagged_as_an_error(report: LeakageReport) -> None:
    reason = row(report, "cancellation_reason")
    assert reason["auc"] > 0.95
    assert findings_for(report, "leakage.single_feature")["cancellation_reason"] is Severity.ERROR
    finding = next(f for f in report.findings if f.where == "cancellation_reason")
    assert "prediction time" in finding.what
    assert finding.evidence["missing_auc"] > 0.9  # its missingness is the signal


def test_a_feature_available_after_the_label_time_is_flagged_with_share_and_lag(report: LeakageReport) -> None:
    late = [f for f in report.findings if f.check == "leakage.after_label_time"]
    assert [f.where for f in late] == ["nps_score"]
    finding = late[0]
    assert finding.severity is Severity.ERROR
    assert finding.evidence["late_share"] == pytest.approx(0.7, abs=0.08)  # of the churned rows, where both known
    assert finding.evidence["median_lag_hours"] == pytest.approx(14 * 24)
    assert "contract sent" in finding.what
    assert "use its value as of the prediction time" in finding.what
    assert "nps_score" not in findings_for(report, "leakage.single_feature")  # noise by value, late by time


def test_availability_times_are_not_scored_as_features_by_default(report: LeakageReport) -> None:
    assert {"survey_at", "signup_at", "churned_at", "churned"}.isdisjoint(report.features["feature"])
    assert row(report, "nps_score")["late_share"] > 0.5
    assert row(report, "plan")["late_share"] == 0.0


def test_feature_times_as_a_table_with_a_fixed_timestamp_work_like_the_mapping(table: pd.DataFrame) -> None:
    times = pd.DataFrame({"feature": ["nps_score", "plan"], "available_at": ["survey_at", "2030-01-01T00:00:00Z"]})
    found = check_leakage(table, "churned", label_time="churned_at", feature_times=times)
    assert set(findings_for(found, "leakage.after_label_time")) == {"nps_score", "plan"}


def test_an_id_assigned_in_time_order_predicts_a_drifting_label(report: LeakageReport, table: pd.DataFrame) -> None:
    assert row(report, "customer_id")["kind"] == "identifier"
    assert "customer_id" in findings_for(report, "leakage.identifier")
    finding = next(f for f in report.findings if f.check == "leakage.identifier")
    assert "split by time or group" in finding.what.lower()
    shuffled = table.assign(customer_id=np.random.default_rng(1).permutation(table["customer_id"].to_numpy()))
    clean = check_leakage(shuffled, "churned", features=["customer_id", "monthly_spend"])
    assert row(clean, "customer_id")["kind"] == "identifier"
    assert not findings_for(clean, "leakage.identifier")


def test_string_ids_are_ordered_by_their_number(table: pd.DataFrame) -> None:
    numbered = check_leakage(table, "churned", features=["customer_id"])
    named = table.assign(customer_id="CUST-" + table["customer_id"].astype(str))  # CUST-9 before CUST-10
    found = check_leakage(named, "churned", features=["customer_id"])
    assert row(found, "customer_id")["kind"] == "identifier"
    assert row(found, "customer_id")["auc"] == row(numbered, "customer_id")["auc"]  # the same order, not text order
    assert "customer_id" in findings_for(found, "leakage.identifier")


def test_a_frame_sorted_by_label_has_a_row_order_finding_and_shuffled_it_has_none(table: pd.DataFrame) -> None:
    features = ["monthly_spend", "plan"]
    ordered = table.sort_values("churned", kind="stable").reset_index(drop=True)
    found = check_leakage(ordered, "churned", features=features)
    assert findings_for(found, "leakage.row_order") == {"<row order>": Severity.ERROR}
    assert found.row_order_auc > 0.95
    shuffled = check_leakage(ordered.sample(frac=1.0, random_state=3), "churned", features=features)
    assert not findings_for(shuffled, "leakage.row_order")
    assert shuffled.row_order_auc < 0.6


def test_the_order_column_replaces_the_frame_order(table: pd.DataFrame) -> None:
    by_column = check_leakage(table, "churned", features=["plan"], order="signup_at")
    assert "signup_at" in findings_for(by_column, "leakage.row_order")  # churn drifts with signup time
    assert not findings_for(check_leakage(table, "churned", features=["plan"]), "leakage.row_order")


def test_a_target_encoding_over_the_whole_set_is_flagged_and_out_of_fold_is_not(report: LeakageReport) -> None:
    encoded = findings_for(report, "leakage.target_encoding")
    assert encoded == {"region_churn_rate": Severity.ERROR}
    finding = next(f for f in report.findings if f.check == "leakage.target_encoding")
    assert finding.evidence["matched_share"] > 0.95
    assert "out of fold" in finding.what


def test_ranking_puts_the_strongest_leak_first(table: pd.DataFrame) -> None:
    rng = np.random.default_rng(5)
    churned = table["churned"].to_numpy()
    called = pd.Series("called", index=table.index).where(churned & (rng.random(len(table)) < 0.85))
    weaker = table.assign(retention_call=called)
    found = check_leakage(weaker, "churned", features=["monthly_spend", "retention_call", "cancellation_reason"])
    assert list(found.features["feature"]) == ["cancellation_reason", "retention_call", "monthly_spend"]
    assert [f.where for f in found.findings] == ["cancellation_reason", "retention_call"]


def test_a_non_monotone_relation_counts(table: pd.DataFrame) -> None:
    x = np.random.default_rng(2).normal(size=len(table))
    u_shaped = table.assign(balance_change=np.where(table["churned"], 2.5 * np.sign(x) + 0.3 * x, 0.5 * x))
    found = check_leakage(u_shaped, "churned", features=["balance_change"])
    assert row(found, "balance_change")["auc"] > 0.9  # the AUC of the raw value is about 0.5
    assert "balance_change" in findings_for(found, "leakage.single_feature")


def test_missingness_of_a_numeric_field_is_a_signal_of_its_own(table: pd.DataFrame) -> None:
    refund = np.random.default_rng(3).normal(100, 20, len(table))
    found = check_leakage(table.assign(refund_amount=np.where(table["churned"], refund, np.nan)), "churned",
                          features=["refund_amount"])
    assert row(found, "refund_amount")["auc"] > 0.99
    assert row(found, "refund_amount")["missing_auc"] > 0.99


def test_free_text_written_after_churn_is_flagged(table: pd.DataFrame) -> None:
    rng = np.random.default_rng(4)
    words = np.array(["account", "billing", "login", "invoice", "plan", "team", "upgrade", "report", "export"])
    notes = [" ".join(rng.choice(words, 5)) + (" asked to cancel" if c else "") for c in table["churned"]]
    found = check_leakage(table.assign(agent_notes=notes), "churned", features=["agent_notes"])
    assert row(found, "agent_notes")["kind"] == "text"
    assert "agent_notes" in findings_for(found, "leakage.single_feature")


def test_mutual_information_is_in_nats() -> None:
    label = np.tile([0, 1], 500)
    found = check_leakage(pd.DataFrame({"y": label, "copy": np.where(label == 1, "yes", "no")}), "y")
    assert row(found, "copy")["mutual_information"] == pytest.approx(np.log(2), abs=1e-3)


def test_multiclass_labels_use_macro_auc_and_match_encodings_per_class() -> None:
    rng = np.random.default_rng(6)
    group = rng.choice([f"g{i}" for i in range(15)], 1500)
    intent = np.where(rng.random(1500) < 0.8, rng.choice(["billing", "bug", "access"], 1500), "billing")
    frame = pd.DataFrame({"group": group, "intent": intent, "noise": rng.normal(size=1500)})
    frame["bug_rate"] = frame["intent"].eq("bug").groupby(frame["group"]).transform("mean")
    frame["team"] = frame["intent"].map({"billing": "finance", "bug": "eng", "access": "identity"})
    found = check_leakage(frame, "intent", features=["noise", "bug_rate", "team"])
    assert row(found, "team")["auc"] == pytest.approx(1.0)
    assert row(found, "noise")["auc"] < 0.6
    assert findings_for(found, "leakage.target_encoding") == {"bug_rate": Severity.ERROR}
    team = next(f for f in found.findings if f.where == "team")
    assert set(team.evidence["auc_by_class"]) == {"access", "billing", "bug"}


def test_a_feature_that_gives_away_one_class_of_several_is_flagged_for_that_class() -> None:
    rng = np.random.default_rng(8)
    intent = rng.choice(["refund", "bug", "access", "billing", "shipping", "other"], 1800)
    refunded = pd.Series("issued", index=range(1800)).where((intent == "refund") & (rng.random(1800) < 0.95))
    found = check_leakage(pd.DataFrame({"intent": intent, "refund_issued": refunded}), "intent")
    assert row(found, "refund_issued")["auc"] < 0.9  # the macro average dilutes it
    finding = next(f for f in found.findings if f.check == "leakage.single_feature")
    assert finding.evidence["flagged_class"] == "refund"
    assert finding.score is not None
    assert finding.score > 0.95


def test_the_same_seed_gives_the_same_report(table: pd.DataFrame) -> None:
    first = check_leakage(table, "churned", features=["monthly_spend", "plan", "region"], seed=9)
    again = check_leakage(table, "churned", features=["monthly_spend", "plan", "region"], seed=9)
    pd.testing.assert_frame_equal(first.features, again.features)


def test_subsampling_above_max_rows_keeps_the_verdicts(table: pd.DataFrame) -> None:
    found = check_leakage(table, "churned", features=["monthly_spend", "cancellation_reason"], max_rows=800)
    assert row(found, "monthly_spend")["n"] == 800
    assert [f.where for f in found.findings] == ["cancellation_reason"]


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"label": "churn"}, "label"),
        ({"label": "plan_one"}, "label"),
        ({"label": "churned", "features": ["monthly_spend", "tenure"]}, "features"),
        ({"label": "churned", "features": ["churned"]}, "features"),
        ({"label": "churned", "auc_threshold": 1.5}, "auc_threshold"),
        ({"label": "churned", "auc_threshold": 0.3}, "auc_threshold"),
        ({"label": "churned", "auc_threshold": "high"}, "auc_threshold"),
        ({"label": "churned", "identifier_threshold": 2}, "identifier_threshold"),
        ({"label": "churned", "late_tolerance": -0.1}, "late_tolerance"),
        ({"label": "churned", "folds": 1}, "folds"),
        ({"label": "churned", "label_time": "churn_at"}, "label_time"),
        ({"label": "churned", "order": "rank"}, "order"),
        ({"label": "churned", "feature_times": {"nps_score": "survey_at"}}, "label_time"),
        ({"label": "churned", "label_time": "churned_at", "feature_times": {"nps": "survey_at"}}, "feature_times"),
        ({"label": "churned", "label_time": "churned_at", "feature_times": {"nps_score": "surveyed"}},
         "feature_times"),
        ({"label": "churned", "label_time": "churned_at", "feature_times": pd.DataFrame({"feature": ["plan"]})},
         "feature_times"),
        ({"label": "churned", "label_time": "monthly_spend", "feature_times": {"plan": "signup_at"}}, "label_time"),
    ],
)
def test_bad_parameters_raise_a_parameter_error_naming_the_parameter(
    table: pd.DataFrame, arguments: dict[str, object], parameter: str
) -> None:
    frame = table.assign(plan_one="basic")
    label = arguments.pop("label")
    with pytest.raises(ParameterError, match=f"^{parameter} must"):
        check_leakage(frame, label, **arguments)  # type: ignore[arg-type]


def test_an_unknown_label_suggests_the_closest_column(table: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="did you mean 'churned'"):
        check_leakage(table, "churn")
