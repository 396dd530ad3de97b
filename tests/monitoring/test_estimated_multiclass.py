"""Estimated performance (CBPE) of a multiclass model tracks the realized values scikit-learn computes, parts
from them under concept shift, and works from a top-class confidence alone (accuracy only).

Tolerances: with chunks of 5,000 rows the realized accuracy or macro F1 of a chunk has a sampling standard
deviation of about sqrt(0.25 / 5,000) = 0.007 around what a perfect estimate predicts, so the mean absolute gap
over chunks is about 0.8 x 0.007 = 0.006 even for an exact estimator; macro AUC's is about half that. The
assertions allow twice those (0.012, 0.008) on average: an estimate biased by a few points, or uncalibrated,
fails them (the last test checks that they can fail).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from answerkey.errors import ParameterError
from answerkey.monitoring.estimated import estimate_performance

CLASSES = ("billing", "outage", "sales", "spam")
SCORE = {c: f"p_{c}" for c in CLASSES}
CHUNK = 5_000


def router(n: int, seed: int, mix: tuple[float, ...] = (0.25, 0.25, 0.25, 0.25), signal: float = 1.5,
           relabel: float = 0.0, temperature: float = 1.0) -> pd.DataFrame:
    """A 4-class router whose probabilities are the outcome's true distribution (calibrated by construction).

    ``mix`` is the share of each class among the inputs (changing it is covariate shift: P(outcome | scores)
    stays the same), ``signal`` how separable they are, ``relabel`` the share of rows whose outcome is redrawn
    uniformly whatever the scores (concept shift), ``temperature`` sharpens the logged probabilities (> 1:
    overconfident, no longer calibrated).
    """
    rng = np.random.default_rng(seed)
    source = rng.choice(len(CLASSES), n, p=mix)
    logits = rng.normal(0.0, 1.0, (n, len(CLASSES))) + signal * np.eye(len(CLASSES))[source]
    truth = np.exp(logits - logits.max(axis=1, keepdims=True))
    truth /= truth.sum(axis=1, keepdims=True)
    outcome = (rng.random(n)[:, None] > np.cumsum(truth, axis=1)).sum(axis=1).clip(max=len(CLASSES) - 1)
    redrawn = rng.random(n) < relabel
    outcome[redrawn] = rng.integers(0, len(CLASSES), redrawn.sum())
    shown = np.exp(temperature * (logits - logits.max(axis=1, keepdims=True)))
    shown /= shown.sum(axis=1, keepdims=True)
    frame = pd.DataFrame(shown, columns=list(SCORE.values()))
    labels = np.array(CLASSES)
    return frame.assign(ts=pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n), unit="min"),
                        outcome=labels[outcome], predicted=labels[shown.argmax(axis=1)],
                        confidence=shown.max(axis=1))


def sklearn_by_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """Realized accuracy, macro F1 and macro one-vs-rest AUC per chunk of ``CHUNK`` rows, by scikit-learn."""
    rows = []
    for start in range(0, len(frame), CHUNK):
        chunk = frame.iloc[start:start + CHUNK]
        rows += [{"chunk": start // CHUNK, "metric": "accuracy",
                  "sklearn": accuracy_score(chunk["outcome"], chunk["predicted"])},
                 {"chunk": start // CHUNK, "metric": "f1",
                  "sklearn": f1_score(chunk["outcome"], chunk["predicted"], average="macro")},
                 {"chunk": start // CHUNK, "metric": "roc_auc",
                  "sklearn": roc_auc_score(chunk["outcome"], chunk[list(SCORE.values())], multi_class="ovr",
                                           labels=list(CLASSES))}]
    return pd.DataFrame(rows)


def estimate(reference: Any, analysis: Any, **options: object) -> pd.DataFrame:
    settings: dict[str, object] = {"target": "outcome", "score": SCORE, "chunk_size": CHUNK, "timestamp": "ts",
                                   "metrics": ["accuracy", "f1", "roc_auc"]} | options
    return estimate_performance(reference, analysis, **settings)  # type: ignore[arg-type]


def gaps(result: pd.DataFrame, analysis: pd.DataFrame) -> pd.Series:
    """Mean absolute gap between the estimate and scikit-learn's realized value, per metric."""
    merged = result.merge(sklearn_by_chunk(analysis), on=["chunk", "metric"], validate="one_to_one")
    assert len(merged) == len(result)
    return (merged["estimated"] - merged["sklearn"]).abs().groupby(merged["metric"]).mean()


REFERENCE = router(40_000, 1)
SHIFTED = router(40_000, 2, mix=(0.55, 0.25, 0.15, 0.05))


def test_the_estimate_tracks_sklearns_realized_accuracy_f1_and_auc_on_a_calibrated_model() -> None:
    analysis = router(40_000, 3)
    result = estimate(REFERENCE, analysis)
    assert len(result) == 8 * 3
    error = gaps(result, analysis)
    assert error[["accuracy", "f1"]].max() < 0.012, error
    assert error["roc_auc"] < 0.008, error


def test_the_realized_values_reported_beside_the_estimate_are_sklearns() -> None:
    analysis = router(20_000, 3)
    merged = estimate(REFERENCE, analysis).merge(sklearn_by_chunk(analysis), on=["chunk", "metric"])
    assert np.allclose(merged["realized"], merged["sklearn"], atol=1e-4)  # scores are rounded to 4 decimals
    assert (merged["labeled"] == CHUNK).all()


def test_the_estimate_still_tracks_when_the_class_mix_shifts() -> None:
    result = estimate(REFERENCE, SHIFTED)
    error = gaps(result, SHIFTED)
    assert error[["accuracy", "f1"]].max() < 0.012, error
    assert error["roc_auc"] < 0.008, error
    inside = (result["realized"] >= result["lower"]) & (result["realized"] <= result["upper"])
    assert inside.mean() >= 0.9


def test_under_concept_shift_the_realized_value_leaves_the_estimates_band() -> None:
    result = estimate(REFERENCE, router(20_000, 4, relabel=0.3))
    outside = (result["realized"] < result["lower"]) | (result["realized"] > result["upper"])
    assert outside.all()
    assert (result["realized"] < result["estimated"]).all()
    assert not result["alert"].any()  # the scores look as usual: only the outcomes tell


def test_a_harder_population_raises_an_alert_before_any_label() -> None:
    analysis = router(10_000, 5, signal=0.5).drop(columns="outcome")
    result = estimate(REFERENCE, analysis)
    assert "realized" not in result.columns
    assert result["alert"].all()
    assert (result["estimated"] < result["lower_threshold"]).all()


def test_an_overconfident_model_is_calibrated_on_the_reference() -> None:
    reference, analysis = router(40_000, 1, temperature=2.5), router(20_000, 6, temperature=2.5)
    assert gaps(estimate(reference, analysis), analysis)[["accuracy", "f1"]].max() < 0.012
    naive = (analysis["confidence"].mean() - accuracy_score(analysis["outcome"], analysis["predicted"]))
    assert naive > 0.05  # what the raw probabilities would promise instead


def test_without_a_prediction_column_the_argmax_is_taken_in_the_engine() -> None:
    analysis = router(10_000, 7)
    given = estimate(REFERENCE, analysis, prediction="predicted", metrics=["accuracy", "f1", "precision", "recall"])
    taken = estimate(REFERENCE.drop(columns="predicted"), analysis.drop(columns="predicted"),
                     metrics=["accuracy", "f1", "precision", "recall"])
    assert np.allclose(given["estimated"], taken["estimated"])
    assert np.allclose(given["realized"], taken["realized"])


def test_integer_labels_work_as_well_as_strings() -> None:
    codes = {c: k for k, c in enumerate(CLASSES)}
    reference = REFERENCE.assign(outcome=REFERENCE["outcome"].map(codes))
    analysis = SHIFTED.iloc[:10_000].assign(outcome=lambda f: f["outcome"].map(codes))
    by_code = estimate(reference, analysis, score={codes[c]: column for c, column in SCORE.items()})
    by_name = estimate(REFERENCE, SHIFTED.iloc[:10_000])
    assert np.allclose(by_code["estimated"], by_name["estimated"])
    assert np.allclose(by_code["realized"], by_name["realized"])


def test_a_top_class_confidence_alone_estimates_accuracy() -> None:
    result = estimate(REFERENCE, SHIFTED, score="confidence", prediction="predicted", metrics=None)
    assert set(result["metric"]) == {"accuracy"}
    assert gaps(result, SHIFTED)["accuracy"] < 0.012
    full = estimate(REFERENCE, SHIFTED, metrics=["accuracy"])
    assert np.allclose(result["estimated"], full["estimated"], atol=0.005)


def test_a_top_class_confidence_detects_concept_shift_on_accuracy() -> None:
    result = estimate(REFERENCE, router(10_000, 4, relabel=0.3), score="confidence", prediction="predicted",
                      metrics=["accuracy"])
    assert (result["realized"] < result["lower"]).all()


@pytest.mark.parametrize("score", [SCORE, "confidence"], ids=["class probabilities", "top-class confidence"])
def test_numbered_chunks_come_back_in_time_order_past_ten(score: dict[str, str] | str) -> None:
    analysis = SHIFTED.iloc[:12_000].sample(frac=1.0, random_state=0)  # rows out of time order: ts decides
    result = estimate(REFERENCE.iloc[:20_000], analysis, score=score, prediction="predicted", chunk_size=1_000,
                      metrics=["accuracy"])
    assert result["start"].is_monotonic_increasing
    assert (result["n"] == 1_000).all()
    assert result["chunk"].tolist() == list(range(12))  # numbers, so a user's own sort keeps time order
    assert result["chunk"].dtype == "int64"


@pytest.mark.parametrize("metric", ["f1", "roc_auc", "precision"])
def test_a_top_class_confidence_refuses_metrics_that_need_class_probabilities(metric: str) -> None:
    with pytest.raises(ParameterError, match=r"metrics.*class probabilities"):
        estimate(REFERENCE, SHIFTED, score="confidence", prediction="predicted", metrics=["accuracy", metric])


def test_polars_and_ibis_inputs_give_the_same_estimate_as_pandas() -> None:
    import ibis

    reference, analysis = REFERENCE.iloc[:20_000], SHIFTED.iloc[:10_000]
    expected = estimate(reference, analysis)
    from_polars = estimate(pl.from_pandas(reference), pl.from_pandas(analysis))
    from_ibis = estimate(ibis.memtable(reference), ibis.memtable(analysis))
    for other in (from_polars, from_ibis):
        assert np.allclose(other["estimated"], expected["estimated"])
        assert np.allclose(other["realized"], expected["realized"])


@pytest.mark.parametrize(("change", "named"), [
    ({"score": SCORE | {"spam": "p_junk"}}, "reference.*p_junk"),
    ({"score": SCORE | {"refund": "p_spam"}}, r"score.*\['refund'\] never seen"),
    ({"score": {c: SCORE[c] for c in CLASSES[:3]}}, r"score.*every class.*\['spam'\]"),
    ({"score": {"billing": "p_billing"}}, "score.*two or more"),
    ({"score": "confidence", "metrics": None}, "prediction"),
    ({"score": "confidence", "prediction": "predicted", "metrics": ["roc_auc"]}, "metrics"),
    ({"metrics": ["mape"]}, "metrics"),
])
def test_bad_input_names_the_parameter(change: dict[str, object], named: str) -> None:
    with pytest.raises(ParameterError, match=named):
        estimate(REFERENCE.iloc[:2_000], SHIFTED.iloc[:2_000], **change)


def test_the_tolerances_can_fail_an_estimator_that_ignores_calibration() -> None:
    """The tolerance is tight enough to catch an uncalibrated estimate: an overconfident model's raw top-class
    probabilities, averaged per chunk, miss the realized accuracy by far more than 0.012."""
    analysis = router(20_000, 6, temperature=2.5)
    raw_accuracy = analysis.groupby(np.arange(len(analysis)) // CHUNK)["confidence"].mean().to_numpy()
    realized = sklearn_by_chunk(analysis).query("metric == 'accuracy'")["sklearn"].to_numpy()
    assert np.abs(raw_accuracy - realized).mean() > 0.012
