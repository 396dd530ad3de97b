"""Confident learning on numpy: equal to cleanlab where cleanlab is the reference, with label names."""

from __future__ import annotations

import numpy as np
import pytest

from answerkey.errors import ParameterError
from answerkey.quality.label_errors import SCORES, confident_joint, find_label_issues, label_quality


def noisy_digits(seed: int = 0, rate: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Digits with a share of labels flipped, and out-of-sample probabilities from 5-fold cross-validation."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, truth = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    noisy = truth.copy()
    flipped = rng.random(len(truth)) < rate
    noisy[flipped] = (truth[flipped] + rng.integers(1, 10, flipped.sum())) % 10
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    probabilities = cross_val_predict(model, features, noisy, cv=5, method="predict_proba")
    return noisy, probabilities, flipped


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return noisy_digits()


def test_flagged_items_are_mostly_the_flipped_ones(digits: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    labels, probabilities, flipped = digits
    names = [f"digit-{d}" for d in range(10)]
    issues = find_label_issues([names[v] for v in labels], probabilities, classes=names)
    flagged = issues.items["is_issue"].to_numpy()
    assert flipped[flagged].mean() > 0.5  # precision, against a base rate of 0.1
    assert flagged[flipped].mean() > 0.8  # recall
    worst = issues.issues().iloc[0]
    assert worst["suggested_label"] != worst["given_label"]
    assert worst["given_label"].startswith("digit-")


def test_the_confident_joint_and_the_scores_equal_cleanlab(digits: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    count = pytest.importorskip("cleanlab.count")
    rank = pytest.importorskip("cleanlab.rank")
    labels, probabilities, _ = digits
    assert (confident_joint(labels, probabilities) == count.compute_confident_joint(labels, probabilities,
                                                                                        calibrate=False)).all()
    for method in SCORES:
        ours = label_quality(labels, probabilities, method)
        assert np.abs(ours - rank.get_label_quality_scores(labels, probabilities, method=method)).max() < 1e-9


def test_flagged_items_agree_with_cleanlab_prune_by_noise_rate(
        digits: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    labels, probabilities, _ = digits
    ours = find_label_issues(labels, probabilities, classes=list(range(10))).items["is_issue"].to_numpy()
    theirs = cleanlab_filter.find_label_issues(labels, probabilities, filter_by="prune_by_noise_rate")
    assert (ours == theirs).mean() > 0.99  # 4 of 1,797 differ: the per-class counts are rounded differently


def test_clean_labels_give_an_almost_diagonal_noise_matrix() -> None:
    labels = np.repeat(np.arange(3), 50)
    probabilities = np.full((150, 3), 0.05)
    probabilities[np.arange(150), labels] = 0.9
    issues = find_label_issues(labels, probabilities, classes=[0, 1, 2])
    assert not issues.items["is_issue"].any()
    assert np.allclose(np.diag(issues.noise_matrix.to_numpy()), 1.0)


def test_unknown_labels_and_mismatched_shapes_are_refused() -> None:
    with pytest.raises(ParameterError, match="unknown"):
        find_label_issues(["a", "z"], np.array([[0.5, 0.5], [0.5, 0.5]]), classes=["a", "b"])
    with pytest.raises(ParameterError, match="one row per label"):
        label_quality(np.array([0, 1, 0]), np.array([[0.5, 0.5], [0.5, 0.5]]))
