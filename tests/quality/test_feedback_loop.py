"""Feedback-loop checks on seeded prediction logs whose selection, deployment shift and copying source are planted."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from answerkey.errors import ParameterError
from answerkey.findings import Severity
from answerkey.quality.feedback_loop import (
    CHECKS,
    SELECTIVE_COLUMNS,
    SOURCE_COLUMNS,
    agreement_margin,
    compare_proportions,
    feedback_check,
)

START, DEPLOYED = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-04-01")


def prediction_log(seed: int = 0, n: int = 3_000, flagged_labelled: float = 0.9, unflagged_labelled: float = 0.1,
                   after_labelled: float | None = None, positive_before: float = 0.3,
                   positive_after: float = 0.3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A model that flags 30% of items over six months; items labelled with the given chances.

    With ``after_labelled`` the labelling chance ignores the flag: ``unflagged_labelled`` before the deployment on
    2024-04-01 and ``after_labelled`` from then on. Labels are positive with ``positive_before`` / ``_after``.
    """
    rng = np.random.default_rng(seed)
    flagged = rng.random(n) < 0.3
    predicted_at = START + pd.to_timedelta(rng.uniform(0, 182, n), unit="D")
    after = np.asarray(predicted_at >= DEPLOYED)
    chance = np.where(flagged, flagged_labelled, unflagged_labelled)
    if after_labelled is not None:
        chance = np.where(after, after_labelled, unflagged_labelled)
    labelled = rng.random(n) < chance
    positive = rng.random(n) < np.where(after, positive_after, positive_before)
    predictions = pd.DataFrame({"item_id": [f"i{k}" for k in range(n)], "predicted_at": predicted_at,
                                "prediction": flagged, "score": rng.random(n),
                                "region": rng.choice(["eu", "us"], n)})
    labels = pd.DataFrame({"item_id": predictions["item_id"][labelled].to_numpy(), "label": positive[labelled],
                           "source": "human",
                           "created_at": predicted_at[labelled] + pd.Timedelta(days=3)})
    return predictions, labels


def copying_sources(seed: int = 0, n: int = 1_500) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A model right 80% of the time, a source that repeats it 95% of the time, one right 90% of the time, and
    trusted labels (the truth) for 40% of the items."""
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < 0.3
    model = truth ^ (rng.random(n) < 0.2)
    ids = np.arange(n)
    predictions = pd.DataFrame({"item_id": ids, "prediction": model})
    echo = np.where(rng.random(n) < 0.95, model, ~model)
    careful = np.where(rng.random(n) < 0.9, truth, ~truth)
    labels = pd.DataFrame({"item_id": np.concatenate([ids, ids]), "label": np.concatenate([echo, careful]),
                           "source": ["lf_model_score"] * n + ["human"] * n})
    checked = rng.random(n) < 0.4
    trusted = pd.DataFrame({"item_id": ids[checked], "label": truth[checked]})
    return predictions, labels, trusted


def test_selective_labels_fire_when_flagged_items_are_labelled_far_more_often() -> None:
    predictions, labels = prediction_log()
    report = feedback_check(predictions, labels)
    assert [f.check for f in report.findings] == ["labels.selective_labels"]
    finding = report.findings[0]
    assert finding.severity is Severity.WARNING
    assert "labels exist mostly where the model flagged" in finding.what
    assert "recall on unflagged cases cannot" in finding.what
    assert finding.evidence["flagged_share"] == pytest.approx(0.9, abs=0.03)
    assert finding.evidence["unflagged_share"] == pytest.approx(0.1, abs=0.03)
    assert finding.evidence["p_value"] < 1e-100
    row = report.selective_labels.iloc[0]
    assert row["difference_low"] < row["difference"] < row["difference_high"]
    assert row["ratio_low"] < row["ratio"] < row["ratio_high"]
    assert list(report.selective_labels.columns) == SELECTIVE_COLUMNS


def test_selective_labels_stay_quiet_when_labels_are_random_at_one_rate() -> None:
    predictions, labels = prediction_log(flagged_labelled=0.3, unflagged_labelled=0.3)
    report = feedback_check(predictions, labels, segment="region")
    assert report.findings == []
    assert not report.selective_labels["alert"].any()
    assert report.selective_labels["tested"].all()


def test_selective_labels_fire_the_other_way_when_only_unflagged_items_get_outcomes() -> None:
    predictions, labels = prediction_log(flagged_labelled=0.02, unflagged_labelled=0.7)
    (finding,) = feedback_check(predictions, labels).findings
    assert "where the model did not flag" in finding.what
    assert finding.evidence["difference"] < 0


def test_selective_labels_are_checked_within_each_segment() -> None:
    predictions, _ = prediction_log()
    eu = (predictions["region"] == "eu").to_numpy()
    chance = np.where(eu, np.where(predictions["prediction"], 0.9, 0.1), 0.3)
    labelled = np.random.default_rng(2).random(len(predictions)) < chance
    labels = pd.DataFrame({"item_id": predictions["item_id"][labelled], "label": True, "source": "human"})
    report = feedback_check(predictions, labels, segment="region")
    table = report.selective_labels.set_index("segment", drop=False)
    assert bool(table.loc["eu", "alert"])
    assert not bool(table.loc["us", "alert"])
    segment_findings = [f for f in report.findings if f.where == "segments of region"]
    assert len(segment_findings) == 1
    assert [s["segment"] for s in segment_findings[0].evidence["segments"]] == ["eu"]


def test_deployment_shift_fires_when_the_label_rate_jumps_after_deployment() -> None:
    predictions, labels = prediction_log(unflagged_labelled=0.1, after_labelled=0.4)
    report = feedback_check(predictions, labels, deployed_at="2024-04-01")
    assert [f.check for f in report.findings] == ["labels.deployment_shift"]
    finding = report.findings[0]
    assert finding.evidence["metric"] == "labelled_share"
    assert finding.evidence["before_share"] == pytest.approx(0.1, abs=0.03)
    assert finding.evidence["after_share"] == pytest.approx(0.4, abs=0.03)
    assert "different samples" in finding.what
    assert report.deployment.set_index("metric")["alert"].to_dict() == {"labelled_share": True,
                                                                        "positive_share": False}


def test_deployment_shift_stays_quiet_when_the_label_rate_is_steady() -> None:
    predictions, labels = prediction_log(unflagged_labelled=0.25, after_labelled=0.25)
    report = feedback_check(predictions, labels, deployed_at=DEPLOYED.to_pydatetime())
    assert report.findings == []
    assert len(report.deployment) == 2
    assert report.deployment["tested"].all()


def test_deployment_shift_fires_when_the_positive_share_moves_at_a_steady_label_rate() -> None:
    predictions, labels = prediction_log(unflagged_labelled=0.3, after_labelled=0.3, positive_before=0.2,
                                         positive_after=0.5)
    (finding,) = feedback_check(predictions, labels, deployed_at="2024-04-01T00:00:00Z").findings
    assert finding.evidence["metric"] == "positive_share"
    assert "changes the outcomes it is judged by" in finding.what


def test_source_that_echoes_the_model_is_found_and_one_that_follows_the_truth_is_not() -> None:
    predictions, labels, trusted = copying_sources()
    report = feedback_check(predictions, labels, trusted=trusted)
    assert [(f.check, f.where) for f in report.findings] == [("labels.source_copies_model", "source lf_model_score")]
    finding = report.findings[0]
    assert finding.severity is Severity.ERROR
    assert "copies the model" in finding.what
    assert "overstate its accuracy" in finding.what
    table = report.source_agreement.set_index("source")
    assert list(report.source_agreement.columns) == SOURCE_COLUMNS
    assert table.loc["lf_model_score", "agree_model"] == pytest.approx(0.95, abs=0.03)
    assert table.loc["lf_model_score", "agree_trusted"] == pytest.approx(0.77, abs=0.04)
    assert table.loc["lf_model_score", "margin_low"] > 0.1
    assert table.loc["human", "margin"] < 0
    assert not table.loc["human", "alert"]


def test_trusted_sources_and_annotators_find_the_copying_labeling_function_among_label_names() -> None:
    predictions, labels, trusted = copying_sources(seed=3)
    predictions["prediction"] = np.where(predictions["prediction"], "spam", "ham")
    labels["label"] = np.where(labels["label"], "spam", "ham")
    labels["annotator_id"] = labels["source"].map({"lf_model_score": "lf_links", "human": "alice"})
    labels["source"] = labels["source"].map({"lf_model_score": "synthetic", "human": "human"})
    experts = pd.DataFrame({"item_id": trusted["item_id"], "label": np.where(trusted["label"], "spam", "ham"),
                            "source": "expert", "annotator_id": "bob"})
    labels = pd.concat([labels, experts], ignore_index=True)
    report = feedback_check(predictions, labels, trusted=["expert"], positive="spam", source_column="annotator_id")
    assert [f.where for f in report.findings] == ["annotator_id lf_links"]
    assert set(report.source_agreement["source"]) == {"lf_links", "alice"}


def test_proportion_test_equals_scipy_chi_square_without_correction_and_peer_intervals() -> None:
    from statsmodels.stats.proportion import confint_proportions_2indep

    for counts in [(45, 50, 5, 50), (56, 70, 48, 80), (3, 40, 1, 35), (120, 1_000, 95, 1_100)]:
        result = compare_proportions(*counts)
        table = np.array([[counts[0], counts[1] - counts[0]], [counts[2], counts[3] - counts[2]]])
        expected = stats.chi2_contingency(table, correction=False)
        assert result.chi2 == pytest.approx(expected.statistic, rel=1e-10)
        assert result.p_value == pytest.approx(expected.pvalue, rel=1e-10)
        low, high = confint_proportions_2indep(*counts, method="newcomb", compare="diff")
        assert (result.difference_low, result.difference_high) == pytest.approx((low, high), rel=1e-8)
        low, high = confint_proportions_2indep(*counts, method="log", compare="ratio")
        assert (result.ratio_low, result.ratio_high) == pytest.approx((low, high), rel=1e-8)


def test_proportion_test_is_one_and_the_ratio_finite_when_shares_are_zero() -> None:
    result = compare_proportions(0, 40, 0, 35)
    assert (result.chi2, result.p_value) == (0.0, 1.0)
    assert result.ratio == pytest.approx((0.5 / 41) / (0.5 / 36))  # Haldane-Anscombe: 0.5 added to every cell
    assert np.isfinite(compare_proportions(30, 40, 0, 35).ratio_high)
    assert np.isnan(compare_proportions(0, 0, 3, 10).p_value)


def test_agreement_margin_p_value_equals_the_exact_mcnemar_test() -> None:
    from statsmodels.stats.contingency_tables import mcnemar

    rng = np.random.default_rng(0)
    first, second = rng.random(200) < 0.8, rng.random(200) < 0.7
    result = agreement_margin(first, second)
    table = [[int((first & second).sum()), result.a_only], [result.b_only, int((~first & ~second).sum())]]
    assert result.p_value == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-10)
    assert result.margin == pytest.approx(first.mean() - second.mean())
    assert result.margin_low < result.margin < result.margin_high


def test_results_do_not_depend_on_row_order() -> None:
    predictions, labels = prediction_log(seed=4)
    first = feedback_check(predictions, labels, segment="region", deployed_at="2024-04-01")
    shuffled = feedback_check(predictions.sample(frac=1.0, random_state=1), labels.sample(frac=1.0, random_state=2),
                              segment="region", deployed_at="2024-04-01")
    pd.testing.assert_frame_equal(first.selective_labels.sort_values("segment", na_position="first"),
                                  shuffled.selective_labels.sort_values("segment", na_position="first"))
    pd.testing.assert_frame_equal(first.deployment, shuffled.deployment)


def test_report_is_json_ready_and_names_the_checks_it_ran() -> None:
    predictions, labels, trusted = copying_sources()
    predictions["predicted_at"] = START
    report = feedback_check(pd.concat([predictions, predictions.iloc[:10]]), labels, trusted=trusted,
                            deployed_at="2024-01-02")
    text = json.dumps(report.to_dict(), allow_nan=False)
    assert json.loads(text)["summary"]["checks"] == list(CHECKS)
    assert any("repeated prediction" in note for note in report.summary["notes"])
    assert not report.deployment["tested"].any()


@pytest.mark.parametrize(("change", "message"), [
    (lambda p, lab: (p.rename(columns={"item_id": "item"}), lab), "column 'item_id'.*did you mean 'item'"),
    (lambda p, lab: (p.iloc[:0], lab), "predictions must be a frame with at least one row"),
    (lambda p, lab: (p, lab.iloc[:0]), "labels must be a frame with at least one row"),
    (lambda p, lab: (p, lab.drop(columns="label")), "labels must be a frame with a column 'label'"),
    (lambda p, lab: (p.assign(prediction=np.where(p["prediction"], "block", "allow")), lab),
     "positive must be the prediction value.*'block'"),
    (lambda p, lab: (p, lab.assign(source="model")), "at least one label"),
], ids=["missing-item-id", "empty-predictions", "empty-labels", "no-label-column", "labels-without-positive",
        "only-model-labels"])
def test_bad_input_is_refused_with_a_message_naming_what_is_wrong(change: object, message: str) -> None:
    predictions, labels = prediction_log(n=200)
    predictions, labels = change(predictions, labels)  # type: ignore[operator]
    with pytest.raises(ParameterError, match=message):
        feedback_check(predictions, labels)


def test_bad_parameters_are_refused_at_the_boundary() -> None:
    predictions, labels = prediction_log(n=200)
    with pytest.raises(ParameterError, match="deployed_at must be a timestamp"):
        feedback_check(predictions, labels, deployed_at="next tuesday")
    with pytest.raises(ParameterError, match="column 'predicted_at'"):
        feedback_check(predictions.drop(columns="predicted_at"), labels, deployed_at="2024-04-01")
    with pytest.raises(ParameterError, match="column 'annotator_id'"):
        feedback_check(predictions, labels, trusted=labels, source_column="annotator_id")
    with pytest.raises(ParameterError, match="trusted must be source values found in labels"):
        feedback_check(predictions, labels, trusted=["expert"])
    with pytest.raises(ValueError, match=r"alpha must be a number strictly between 0 and 1; got 1\.5"):
        feedback_check(predictions, labels, alpha=1.5)
    with pytest.raises(ParameterError, match="min_ratio must be a number above 1"):
        feedback_check(predictions, labels, min_ratio=0.5)
    with pytest.raises(ParameterError, match="segment must be a column of predictions"):
        feedback_check(predictions, labels, segment="country")
