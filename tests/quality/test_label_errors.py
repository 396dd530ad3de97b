"""Confident learning on numpy: equal to cleanlab where cleanlab is the reference, with label names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from answerkey.errors import ParameterError
from answerkey.quality.label_confident import estimate_joint
from answerkey.quality.label_errors import (
    SCORES,
    confident_joint,
    find_label_issues,
    label_issues,
    label_quality,
)
from answerkey.quality.label_posterior import NOISE_PRIOR


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


def pair_flipped(n: int = 3000, k: int = 5, rate: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray,
                                                                                        np.ndarray]:
    """Synthetic items: class c mislabelled c + 1 for a share of them, and a model of the given labels (the
    true class favoured, the class it is confused into half as much)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    flipped = np.zeros(n, dtype=bool)
    flipped[rng.choice(n, round(rate * n), replace=False)] = True
    labels = np.where(flipped, (truth + 1) % k, truth)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), truth] += 3.0
    logits[np.arange(n), (truth + 1) % k] += 1.0
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return labels, probabilities, flipped


def test_injected_pair_flips_are_recovered_with_precision_and_recall() -> None:
    labels, probabilities, flipped = pair_flipped()
    flagged = find_label_issues(labels, probabilities)["is_issue"].to_numpy()
    assert flipped[flagged].mean() > 0.8  # precision, against a base rate of 0.2
    assert flagged[flipped].mean() > 0.75  # recall


def test_flagged_items_are_mostly_the_flipped_ones(digits: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    labels, probabilities, flipped = digits
    names = [f"digit-{d}" for d in range(10)]
    issues = label_issues([names[v] for v in labels], probabilities, classes=names)
    flagged = issues.items["is_issue"].to_numpy()
    assert flipped[flagged].mean() > 0.6  # precision, against a base rate of 0.1 (prune by noise rate: 0.59)
    assert flagged[flipped].mean() > 0.9  # recall
    worst = issues.issues().iloc[0]
    assert worst["rank"] == 1
    assert worst["suggested_label"] != worst["given_label"]
    assert worst["given_label"].startswith("digit-")


def test_names_and_codes_give_the_same_issues(digits: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    labels, probabilities, _ = digits
    names = [f"digit-{d}" for d in range(10)]
    by_code = find_label_issues(labels, probabilities)
    by_name = find_label_issues([names[v] for v in labels], pd.DataFrame(probabilities, columns=names))
    assert (by_code["is_issue"] == by_name["is_issue"]).all()
    assert np.allclose(by_code["score"], by_name["score"])
    assert [names[v] for v in by_code["suggested_label"]] == by_name["suggested_label"].tolist()


def test_the_result_is_in_input_order_with_the_contract_columns(
        digits: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    labels, probabilities, _ = digits
    found = find_label_issues(pd.Series(labels, index=[f"item-{i}" for i in range(len(labels))]), probabilities)
    assert {"is_issue", "score", "suggested_label", "given_label", "rank", "item_id"} <= set(found.columns)
    assert found["item_id"].tolist()[:2] == ["item-0", "item-1"]
    assert (found["given_label"].to_numpy() == labels).all()
    assert found["score"].between(0, 1).all()
    assert sorted(found["rank"]) == list(range(1, len(labels) + 1))
    flagged, kept = found[found["is_issue"]], found[~found["is_issue"]]
    assert flagged["score"].max() <= kept["score"].min()  # the flags are the lowest scores
    assert (flagged["suggested_label"] != flagged["given_label"]).all()


def test_the_confident_joint_of_a_small_example_is_counted_by_hand() -> None:
    # thresholds (mean probability of each class among the items given it): 0: (0.8 + 0.6 + 0.2) / 3 = 0.533,
    # 1: (0.8 + 0.6) / 2 = 0.7, 2: 0.7. Item 2 (given 0) reaches only class 1's threshold -> cell (0, 1);
    # item 4 (given 1) reaches none (0.3 < 0.533, 0.6 < 0.7) and is not counted.
    labels = np.array([0, 0, 0, 1, 1, 2])
    probabilities = np.array([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1],
                              [0.1, 0.8, 0.1], [0.3, 0.6, 0.1], [0.1, 0.2, 0.7]])
    expected = np.array([[2, 1, 0], [0, 1, 0], [0, 0, 1]])
    assert (confident_joint(labels, probabilities) == expected).all()
    # calibrated to the label counts (3, 2, 1): rows (2, 1, 0), (0, 2, 0), (0, 0, 1) over 6 items, so
    # P(given 0 | true 1) = 1 / 3; item 2's own label explains nothing once class 1 is this often called 0
    issues = label_issues(labels, probabilities)
    assert issues.noise_matrix.loc[0, 1] == pytest.approx(1 / 3)
    assert issues.noise_matrix.loc[1, 1] == pytest.approx(2 / 3)
    assert issues.items.loc[2, "score"] == pytest.approx(0.0)
    assert issues.items.loc[2, "suggested_label"] == 1
    count = pytest.importorskip("cleanlab.count")
    assert (count.compute_confident_joint(labels, probabilities, calibrate=False) == expected).all()


def test_the_confident_joint_and_the_scores_equal_cleanlab(digits: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    count = pytest.importorskip("cleanlab.count")
    rank = pytest.importorskip("cleanlab.rank")
    labels, probabilities, _ = digits
    assert (confident_joint(labels, probabilities) == count.compute_confident_joint(labels, probabilities,
                                                                                        calibrate=False)).all()
    for method in SCORES:
        ours = label_quality(labels, probabilities, method)
        assert np.abs(ours - rank.get_label_quality_scores(labels, probabilities, method=method)).max() < 1e-9
    ours_noise = label_issues(labels, probabilities).noise_matrix.to_numpy()
    theirs_joint = count.estimate_joint(labels, probabilities)
    theirs_noise = theirs_joint / theirs_joint.sum(axis=0, keepdims=True)
    assert np.abs(ours_noise - theirs_noise).max() < 0.01  # cleanlab rounds the calibrated counts


def test_flagged_items_agree_with_cleanlab_prune_by_noise_rate(
        digits: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    labels, probabilities, _ = digits
    ours = find_label_issues(labels, probabilities, filter_by="prune_by_noise_rate")["is_issue"].to_numpy()
    theirs = cleanlab_filter.find_label_issues(labels, probabilities, filter_by="prune_by_noise_rate")
    assert (ours == theirs).mean() > 0.99  # 4 of 1,797 differ: the per-class counts are rounded differently


def test_clean_labels_give_an_almost_diagonal_noise_matrix_and_no_issues() -> None:
    labels = np.repeat(np.arange(3), 50)
    probabilities = np.full((150, 3), 0.05)
    probabilities[np.arange(150), labels] = 0.9
    for filter_by in ("posterior", "prune_by_noise_rate"):
        issues = label_issues(labels, probabilities, classes=[0, 1, 2], filter_by=filter_by)
        assert not issues.items["is_issue"].any()
        assert np.allclose(np.diag(issues.noise_matrix.to_numpy()), 1.0)
    assert issues.summary()["issues"].tolist() == [0, 0, 0]


def test_a_model_that_knows_nothing_flags_nothing() -> None:
    labels = list("abc" * 10)
    uniform = np.full((30, 3), 1 / 3)  # every class ties: the confident joint puts all items in the first class
    for filter_by in ("posterior", "prune_by_noise_rate"):
        assert not find_label_issues(labels, uniform, filter_by=filter_by)["is_issue"].any()


def test_the_summary_counts_items_and_issues_per_given_label() -> None:
    labels, probabilities, _ = pair_flipped(n=600)
    issues = label_issues(labels, probabilities)
    summary = issues.summary()
    assert summary["items"].tolist() == np.bincount(labels).tolist()
    assert summary["issues"].sum() == issues.items["is_issue"].sum()
    assert summary["estimated_error_rate"].between(0.05, 0.5).all()


def test_a_confident_consensus_is_harder_to_flag_and_a_single_vote_easier() -> None:
    labels, probabilities, _ = pair_flipped(n=1000, seed=1)
    base = find_label_issues(labels, probabilities)
    doubtful = base[base["is_issue"]].sort_values("score").index[-1]  # the least sure of the flagged
    support = pd.DataFrame({"consensus_confidence": [1.0, 1.0], "n_judgements": [5, 1]},
                           index=[doubtful, doubtful + 1])
    probabilities[doubtful + 1] = probabilities[doubtful]  # the same model view ...
    labels[doubtful + 1] = labels[doubtful]  # ... of the same label
    unsupported = find_label_issues(labels, probabilities)
    supported = find_label_issues(labels, probabilities, support=support)
    five, one = supported.loc[doubtful], supported.loc[doubtful + 1]
    assert unsupported.loc[doubtful, "score"] == unsupported.loc[doubtful + 1, "score"]
    assert five["score"] > one["score"]  # five agreeing annotators outweigh one vote
    assert five["score"] > unsupported.loc[doubtful, "score"]
    assert not five["is_issue"]
    others = supported.index.difference([doubtful, doubtful + 1])
    assert np.allclose(supported.loc[others, "score"], unsupported.loc[others, "score"])
    # a posterior from a careless annotator (Dawid-Skene: 0.55) against a confident crowd (0.99)
    posteriors = pd.DataFrame({"item_id": [doubtful, doubtful + 1], "consensus_confidence": [0.99, 0.55]})
    by_posterior = find_label_issues(labels, probabilities, support=posteriors)
    assert by_posterior.loc[doubtful + 1, "score"] < by_posterior.loc[doubtful, "score"]


def test_support_at_the_base_rate_changes_nothing() -> None:
    labels, probabilities, _ = pair_flipped(n=500, seed=2)
    issues = label_issues(labels, probabilities)
    # the base rate of each given label being right, from the noise estimate the posterior uses
    estimated = estimate_joint(issues.confident_joint.to_numpy(), np.bincount(labels), NOISE_PRIOR)
    base_rate = (np.diag(estimated) / estimated.sum(axis=1))[labels]
    support = pd.DataFrame({"consensus_confidence": base_rate})
    supported = find_label_issues(labels, probabilities, support=support)
    assert np.allclose(supported["score"], issues.items["score"], atol=1e-8)  # probabilities clipped at 1e-9


@pytest.mark.parametrize(("call", "parameter"), [
    (lambda: find_label_issues(["a", "z"], np.array([[0.5, 0.5], [0.5, 0.5]]), classes=["a", "b"]), "labels"),
    (lambda: label_quality(np.array([0, 1, 0]), np.array([[0.5, 0.5], [0.5, 0.5]])), "pred_probs"),
    (lambda: find_label_issues([0, 1], np.array([[0.5, 0.5], [np.nan, 0.5]])), "pred_probs"),
    (lambda: find_label_issues([0, 1], np.array([[0.9, 0.9], [0.5, 0.5]])), "pred_probs"),
    (lambda: find_label_issues(["a", "b", "c"], np.full((3, 2), 0.5)), "classes"),
    (lambda: find_label_issues([0, 1], np.full((2, 2), 0.5), classes=["a", "a"]), "classes"),
    (lambda: find_label_issues([0, 1], np.full((2, 2), 0.5), filter_by="both"), "filter_by"),
    (lambda: find_label_issues([0, 1], np.full((2, 2), 0.5), method="entropy"), "method"),
    (lambda: find_label_issues([0, 1], np.full((2, 2), 0.5), support=pd.DataFrame({"votes": [1, 2]})), "support"),
    (lambda: find_label_issues([0, 1], np.full((2, 2), 0.5), filter_by="prune_by_noise_rate",
                               support=pd.DataFrame({"consensus_confidence": [1.0, 1.0]})), "support"),
    (lambda: find_label_issues([0, 1], np.full((2, 2), 0.5),
                               support=pd.DataFrame({"consensus_confidence": [1.5, 1.0]})), "support"),
    (lambda: find_label_issues([0, 1], np.full((2, 2), 0.5), item_ids=["x"]), "item_ids"),
])
def test_bad_inputs_are_refused_naming_the_parameter(call: object, parameter: str) -> None:
    with pytest.raises(ParameterError, match=rf"^{parameter} must be"):
        call()  # type: ignore[operator]
