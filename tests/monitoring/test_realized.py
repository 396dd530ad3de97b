"""Realized performance equals scikit-learn on the rows with outcomes, per window and segment, on each engine."""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from answerkey.errors import ParameterError
from answerkey.intervals import wilson_interval
from answerkey.monitoring import ColumnMap, load_prediction_log, realized_performance
from answerkey.monitoring.roc_auc import auc_rows, hanley_mcneil_se, rank_auc_table

START = pd.Timestamp("2024-05-06")


def binary_log(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predictions over two weeks with scores on a coarse grid (many ties); about 70% have an outcome."""
    rng = np.random.default_rng(seed)
    score = rng.integers(0, 11, n) / 10
    predicted_at = START + pd.to_timedelta(rng.integers(0, 14 * 86400, n), unit="s")
    predictions = pd.DataFrame({
        "prediction_id": np.arange(n), "predicted_at": predicted_at, "score": score,
        "prediction": (score >= 0.5).astype(int), "channel": rng.choice(["web", "app"], n),
    })
    has = rng.random(n) < 0.7
    outcomes = pd.DataFrame({
        "prediction_id": np.arange(n)[has], "outcome": (rng.random(n) < score * 0.8 + 0.1).astype(int)[has],
        "observed_at": predicted_at[has] + pd.to_timedelta(rng.integers(3600, 10 * 86400, has.sum()), unit="s"),
    })
    return predictions, outcomes


def labelled_rows(predictions: pd.DataFrame, outcomes: pd.DataFrame, window: str = "W") -> pd.DataFrame:
    """The rows with an outcome, with their calendar window, for the scikit-learn side."""
    rows = predictions.merge(outcomes, on="prediction_id")
    return rows.assign(window_start=rows["predicted_at"].dt.to_period(window).dt.start_time)


def value(result: pd.DataFrame, metric: str, label: Any = None, **keys: Any) -> float:
    """The value of one metric row."""
    rows = result[(result["metric"] == metric) & (result["label"].isna() if label is None else
                                                  result["label"] == label)]
    for key, wanted in keys.items():
        rows = rows[rows[key] == wanted]
    assert len(rows) == 1, (metric, label, keys)
    return float(rows["value"].iloc[0])


def test_binary_metrics_equal_scikit_learn_per_window(engine: Any) -> None:
    predictions, outcomes = binary_log()
    result = realized_performance(load_prediction_log(predictions, outcomes, engine=engine), window="week")
    for start, rows in labelled_rows(predictions, outcomes).groupby("window_start"):
        truth, predicted, score = rows["outcome"], rows["prediction"], rows["score"]
        assert value(result, "accuracy", window_start=start) == pytest.approx(skm.accuracy_score(truth, predicted))
        precision, recall, f1, _ = skm.precision_recall_fscore_support(truth, predicted)
        for label in (0, 1):
            assert value(result, "precision", label, window_start=start) == pytest.approx(precision[label])
            assert value(result, "recall", label, window_start=start) == pytest.approx(recall[label])
            assert value(result, "f1", label, window_start=start) == pytest.approx(f1[label])
        assert value(result, "f1_macro", window_start=start) == pytest.approx(
            skm.f1_score(truth, predicted, average="macro"))
        assert value(result, "roc_auc", window_start=start) == pytest.approx(skm.roc_auc_score(truth, score))
        assert value(result, "log_loss", window_start=start) == pytest.approx(skm.log_loss(truth, score))
    sizes = result[result["metric"] == "accuracy"]["n"].tolist()
    assert sizes == labelled_rows(predictions, outcomes).groupby("window_start").size().tolist()


def multiclass_log(n: int = 600, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame, ColumnMap, list[str]]:
    """Three classes with probabilities on a grid of tenths (many ties), under other column names."""
    rng = np.random.default_rng(seed)
    classes = ["account", "billing", "technical"]
    probabilities = np.floor(rng.dirichlet([2, 2, 2], n) * 10) / 10
    probabilities[:, 2] = 1 - probabilities[:, 0] - probabilities[:, 1]
    truth = np.array([rng.choice(classes, p=p) for p in probabilities])
    predictions = pd.DataFrame({"id": np.arange(n), "at": START + pd.to_timedelta(np.arange(n) * 1800, unit="s"),
                                "tier": rng.choice(["free", "paid"], n),
                                **{f"p_{c}": probabilities[:, i] for i, c in enumerate(classes)}})
    outcomes = pd.DataFrame({"id": np.arange(n), "label": truth, "seen": predictions["at"] + pd.Timedelta(days=2)})
    columns = ColumnMap(prediction_id="id", predicted_at="at", outcome="label", observed_at="seen",
                        class_scores={c: f"p_{c}" for c in classes})
    return predictions, outcomes, columns, classes


@pytest.mark.spark
def test_duckdb_and_spark_give_the_same_numbers(spark_session: Any) -> None:
    binary_predictions, binary_outcomes = binary_log(seed=5)
    predictions, outcomes, columns, _ = multiclass_log(n=300)
    for engine_results in zip(*[
        (realized_performance(load_prediction_log(binary_predictions, binary_outcomes, engine=engine),
                              window="week", by="channel"),
         realized_performance(load_prediction_log(predictions, outcomes, columns=columns, engine=engine),
                              window=100, by="tier", min_labels=10, as_of=START + pd.Timedelta(days=5)))
        for engine in (ibis.duckdb.connect(), ibis.pyspark.connect(spark_session))], strict=True):
        duck, spark = engine_results
        numbers = ["value", "lower", "upper"]
        pd.testing.assert_frame_equal(duck.drop(columns=numbers), spark.drop(columns=numbers), check_dtype=False)
        np.testing.assert_allclose(duck[numbers].to_numpy(float), spark[numbers].to_numpy(float), rtol=1e-9)


def test_regression_metrics_equal_scikit_learn(engine: Any) -> None:
    rng = np.random.default_rng(2)
    n = 120
    truth = rng.normal(50, 10, n)
    predictions = pd.DataFrame({"prediction_id": np.arange(n), "predicted_at": START + pd.to_timedelta(
        np.arange(n) * 3600, unit="s"), "prediction": truth + rng.normal(0, 5, n)})
    outcomes = pd.DataFrame({"prediction_id": np.arange(n), "outcome": truth,
                             "observed_at": predictions["predicted_at"] + pd.Timedelta(days=1)})
    result = realized_performance(load_prediction_log(predictions, outcomes, engine=engine), window="month",
                                  task="regression")
    assert value(result, "mae") == pytest.approx(skm.mean_absolute_error(truth, predictions["prediction"]))
    assert value(result, "rmse") == pytest.approx(np.sqrt(skm.mean_squared_error(truth, predictions["prediction"])))
    assert value(result, "mape") == pytest.approx(
        skm.mean_absolute_percentage_error(truth, predictions["prediction"]))
    mae = result[result["metric"] == "mae"].iloc[0]
    assert mae["lower"] < mae["value"] < mae["upper"]
    assert mae["n"] == n


def test_roc_auc_in_the_engine_equals_scikit_learn_with_ties() -> None:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"group": rng.integers(0, 4, 3000), "score": rng.integers(0, 6, 3000) / 5})
    frame["positive"] = rng.random(3000) < 0.2 + 0.5 * frame["score"]
    table = ibis.memtable(frame)
    counts = ibis.duckdb.connect().execute(rank_auc_table(table, ["group"], table.score, table.positive))
    aucs = auc_rows(counts, ["group"], 0.95).set_index("group").sort_index()
    for group, rows in frame.groupby("group"):
        assert aucs.loc[group, "value"] == pytest.approx(skm.roc_auc_score(rows["positive"], rows["score"]),
                                                         abs=1e-12)
        assert aucs.loc[group, "n"] == len(rows)


def test_multiclass_metrics_from_class_probabilities_equal_scikit_learn() -> None:
    predictions, outcomes, columns, classes = multiclass_log()
    probabilities = predictions[[f"p_{c}" for c in classes]].to_numpy()
    truth = outcomes["label"].to_numpy()
    result = realized_performance(load_prediction_log(predictions, outcomes, columns=columns), window="month")
    predicted = np.array(classes)[probabilities.argmax(axis=1)]
    precision, recall, f1, _ = skm.precision_recall_fscore_support(truth, predicted, labels=classes)
    for i, label in enumerate(classes):
        assert value(result, "precision", label) == pytest.approx(precision[i])
        assert value(result, "recall", label) == pytest.approx(recall[i])
        assert value(result, "f1", label) == pytest.approx(f1[i])
        assert value(result, "roc_auc", label) == pytest.approx(
            skm.roc_auc_score(truth == label, probabilities[:, i]))
    assert value(result, "accuracy") == pytest.approx(skm.accuracy_score(truth, predicted))
    assert value(result, "roc_auc_macro") == pytest.approx(
        skm.roc_auc_score(truth, probabilities, multi_class="ovr", labels=classes))
    assert value(result, "log_loss") == pytest.approx(skm.log_loss(truth, probabilities, labels=classes))
    confidence, hit = probabilities.max(axis=1), predicted == truth  # top-label calibration, ten bins
    bins = np.minimum(np.floor(confidence * 10), 9)
    gaps = [np.sum(bins == b) * abs(hit[bins == b].mean() - confidence[bins == b].mean()) for b in np.unique(bins)]
    assert value(result, "calibration_error") == pytest.approx(sum(gaps) / len(truth))


def test_segments_equal_scikit_learn_on_each_segment() -> None:
    predictions, outcomes = binary_log(n=800, seed=3)
    result = realized_performance(load_prediction_log(predictions, outcomes), window="week", by="channel")
    for (start, channel), rows in labelled_rows(predictions, outcomes).groupby(["window_start", "channel"]):
        keys = {"window_start": start, "channel": channel}
        assert value(result, "roc_auc", **keys) == pytest.approx(skm.roc_auc_score(rows["outcome"], rows["score"]))
        assert value(result, "f1_macro", **keys) == pytest.approx(
            skm.f1_score(rows["outcome"], rows["prediction"], average="macro"))


def test_calibration_error_is_the_binned_gap_between_score_and_positive_rate() -> None:
    predictions, outcomes = binary_log(n=500, seed=4)
    result = realized_performance(load_prediction_log(predictions, outcomes), window="month", n_bins=5)
    rows = labelled_rows(predictions, outcomes)
    bins = np.minimum((rows["score"] * 5).astype(int), 4)
    gaps = rows.groupby(bins).apply(lambda b: len(b) * abs(b["outcome"].mean() - b["score"].mean()),
                                    include_groups=False)
    assert value(result, "calibration_error") == pytest.approx(gaps.sum() / len(rows))


def test_windows_with_too_few_labels_say_so_instead_of_reporting_noise() -> None:
    predictions, outcomes = binary_log(n=200, seed=1)
    late = predictions["predicted_at"] >= START + pd.Timedelta(days=7)
    outcomes = outcomes[~outcomes["prediction_id"].isin(predictions.loc[late, "prediction_id"])]
    early = outcomes["prediction_id"].isin(predictions.loc[~late, "prediction_id"])
    outcomes = pd.concat([outcomes[early].head(20), outcomes[~early]])
    result = realized_performance(load_prediction_log(predictions, outcomes), window="week", min_labels=30)
    first = result[result["window_start"] == START]
    assert first["value"].isna().all()
    assert (first["note"] == "too few labels: 20 < min_labels=30").all()
    second = result[result["window_start"] == START + pd.Timedelta(days=7)]
    assert set(second["metric"]) == {"accuracy", "precision_macro", "recall_macro", "f1_macro", "roc_auc",
                                     "log_loss", "calibration_error"}
    assert second["value"].isna().all()
    assert (second["n"] == 0).all()
    assert second["note"].str.startswith("no labels yet: 0 of ").all()


def test_intervals_contain_the_value_and_use_the_documented_methods() -> None:
    predictions, outcomes = binary_log(n=600, seed=9)
    result = realized_performance(load_prediction_log(predictions, outcomes), window="month")
    defined = result.dropna(subset=["value"])
    assert ((defined["lower"] <= defined["value"] + 1e-12) & (defined["value"] <= defined["upper"] + 1e-12)).all()
    accuracy = result[result["metric"] == "accuracy"].iloc[0]
    low, high = wilson_interval([round(accuracy["value"] * accuracy["n"])], [accuracy["n"]], 0.95)
    assert (accuracy["lower"], accuracy["upper"]) == pytest.approx((low[0], high[0]))
    auc = result[result["metric"] == "roc_auc"].iloc[0]
    rows = labelled_rows(predictions, outcomes)
    se = hanley_mcneil_se(auc["value"], rows["outcome"].sum(), (1 - rows["outcome"]).sum())
    assert auc["upper"] - auc["value"] == pytest.approx(1.959964 * se, rel=1e-5)


def test_predictions_from_a_score_and_text_labels_need_the_positive_label() -> None:
    predictions, outcomes = binary_log(n=300, seed=6)
    outcomes = outcomes.assign(outcome=outcomes["outcome"].map({1: "churn", 0: "stay"}))
    log = load_prediction_log(predictions.drop(columns="prediction"), outcomes)
    with pytest.raises(ParameterError, match="positive_label is needed"):
        realized_performance(log)
    result = realized_performance(log, window="month", positive_label="churn", threshold=0.5)
    rows = labelled_rows(predictions, outcomes)
    predicted = np.where(rows["score"] >= 0.5, "churn", "stay")
    assert value(result, "recall", "churn") == pytest.approx(skm.recall_score(rows["outcome"], predicted,
                                                                              pos_label="churn"))
    assert value(result, "roc_auc") == pytest.approx(skm.roc_auc_score(rows["outcome"] == "churn", rows["score"]))


def test_a_score_that_is_not_a_class_probability_can_be_left_out() -> None:
    predictions, outcomes = binary_log(n=300, seed=6)
    outcomes = outcomes.assign(outcome=outcomes["outcome"].map({1: "churn", 0: "stay"}))
    predictions = predictions.assign(prediction=predictions["prediction"].map({1: "churn", 0: "stay"}))
    result = realized_performance(load_prediction_log(predictions, outcomes, columns=ColumnMap(score=None)),
                                  window="month")
    assert set(result["metric"]) == {"accuracy", "precision", "recall", "f1", "precision_macro", "recall_macro",
                                     "f1_macro"}


def test_a_class_never_predicted_has_zero_precision_as_in_scikit_learn() -> None:
    predictions, outcomes = binary_log(n=300, seed=8)
    predictions = predictions.assign(prediction=1)
    result = realized_performance(load_prediction_log(predictions, outcomes), window="month")
    rows = labelled_rows(predictions, outcomes)
    assert value(result, "precision", 0) == 0.0
    assert result[(result["metric"] == "precision") & (result["label"] == 0)]["note"].iloc[0].startswith("never")
    assert value(result, "precision_macro") == pytest.approx(
        skm.precision_score(rows["outcome"], rows["prediction"], average="macro", zero_division=0))


def test_as_of_measures_only_the_outcomes_observed_by_then() -> None:
    predictions, outcomes = binary_log(n=400, seed=12)
    as_of = START + pd.Timedelta(days=9)
    result = realized_performance(load_prediction_log(predictions, outcomes), window="month", as_of=as_of)
    rows = labelled_rows(predictions, outcomes[outcomes["observed_at"] <= as_of])
    assert value(result, "accuracy") == pytest.approx(skm.accuracy_score(rows["outcome"], rows["prediction"]))
    assert result[result["metric"] == "accuracy"]["n"].iloc[0] == len(rows)


def test_the_order_of_the_rows_does_not_change_the_result() -> None:
    predictions, outcomes = binary_log(n=300, seed=10)
    first = realized_performance(load_prediction_log(predictions, outcomes), window="week")
    shuffled = realized_performance(load_prediction_log(predictions.sample(frac=1, random_state=1),
                                                        outcomes.sample(frac=1, random_state=2)), window="week")
    pd.testing.assert_frame_equal(first, shuffled)


@pytest.mark.parametrize(("option", "bad"), [("task", "ranking"), ("min_labels", 0), ("confidence", 1.5),
                                             ("n_bins", 0), ("window", "fortnight")])
def test_bad_parameters_are_refused_with_one_message_form(option: str, bad: Any) -> None:
    predictions, outcomes = binary_log(n=50)
    with pytest.raises(ParameterError, match=rf"^{option} must be"):
        realized_performance(load_prediction_log(predictions, outcomes), **{option: bad})
