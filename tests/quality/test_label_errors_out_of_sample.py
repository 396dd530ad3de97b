"""Out-of-sample probabilities from features: no row is predicted by a model that saw it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from answerkey.errors import ParameterError
from answerkey.quality.label_errors import find_label_issues
from answerkey.quality.out_of_sample import FoldsReducedWarning, out_of_sample_probabilities


def test_no_row_is_predicted_by_a_model_trained_on_it() -> None:
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    labels = rng.choice(["x", "y"], 300)  # random: nothing to learn, only to memorise
    memoriser = KNeighborsClassifier(n_neighbors=1)
    assert (memoriser.fit(features, labels).predict(features) == labels).all()  # in-sample: perfect
    probabilities = out_of_sample_probabilities(features, labels, estimator=memoriser)
    accuracy = (probabilities.idxmax(axis=1).to_numpy() == labels).mean()
    assert accuracy < 0.65  # out of fold: chance
    assert list(probabilities.columns) == ["x", "y"]
    assert probabilities.index.equals(features.index)


def test_the_default_model_uses_numeric_categorical_and_text_columns() -> None:
    rng = np.random.default_rng(1)
    n = 240
    labels = rng.choice(["refund", "outage", "question"], n)
    words = {"refund": "money back charge", "outage": "down error broken", "question": "how do i"}
    features = pd.DataFrame({
        "amount": np.where(labels == "refund", 50.0, 5.0) + rng.normal(0, 5, n),
        "plan": rng.choice(["free", "pro"], n),
        "body": [f"{words[label]} please {rng.integers(100)}" for label in labels],
    })
    features.loc[3, "amount"] = np.nan
    features.loc[4, "body"] = None
    probabilities = out_of_sample_probabilities(features, labels, text_column="body", folds=4)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert (probabilities.idxmax(axis=1).to_numpy() == labels).mean() > 0.9
    issues = find_label_issues(labels, probabilities)
    assert issues["is_issue"].mean() < 0.1


def test_folds_are_reduced_for_a_rare_class_with_a_warning() -> None:
    rng = np.random.default_rng(2)
    features = pd.DataFrame({"v": rng.normal(size=40)})
    labels = np.array(["common"] * 37 + ["rare"] * 3)
    with pytest.warns(FoldsReducedWarning, match="using 3 folds"):
        probabilities = out_of_sample_probabilities(features, labels, folds=5)
    assert probabilities.shape == (40, 2)


def test_a_class_missing_from_a_training_fold_gets_probability_zero_there() -> None:
    features = pd.DataFrame({"v": np.arange(21.0)})
    labels = ["a"] * 10 + ["b"] * 10 + ["lonely"]
    with pytest.warns(FoldsReducedWarning):
        probabilities = out_of_sample_probabilities(features, labels, folds=3)
    assert probabilities.loc[20, "lonely"] == 0.0


def test_estimators_without_predict_proba_and_bad_folds_are_refused() -> None:
    from sklearn.svm import LinearSVC

    features = pd.DataFrame({"v": np.arange(10.0)})
    labels = ["a", "b"] * 5
    with pytest.raises(ParameterError, match=r"^estimator must be"):
        out_of_sample_probabilities(features, labels, estimator=LinearSVC())
    with pytest.raises(ParameterError, match=r"^folds must be"):
        out_of_sample_probabilities(features, labels, folds=1)
    with pytest.raises(ParameterError, match=r"^text_column must be"):
        out_of_sample_probabilities(features, labels, text_column="body")
    with pytest.raises(ParameterError, match=r"^features must be"):
        out_of_sample_probabilities(features.iloc[:5], labels)
