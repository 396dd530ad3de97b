"""Consensus labels: Dawid-Skene recovers who is reliable and how each annotator errs; one shape for all."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from answerkey.demo import generate_demo
from answerkey.errors import ParameterError
from answerkey.quality.aggregation import METHODS, DawidSkene, consensus


def simulated(seed: int = 0, items: int = 4000, confuse: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
    """Five annotators on three classes; annotator 'e' calls class 0 '1' most of the time."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, items)
    accuracy = {"a": 0.9, "b": 0.85, "c": 0.8, "d": 0.55, "e": 0.95}
    rows = []
    for item, true in enumerate(truth):
        for annotator in rng.choice(list(accuracy), 3, replace=False):
            if confuse and annotator == "e" and true == 0:
                label = 1 if rng.random() < 0.8 else 0
            elif rng.random() < accuracy[annotator]:
                label = true
            else:
                label = (true + rng.integers(1, 3)) % 3
            rows.append((f"i{item}", annotator, f"c{label}"))
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"]), truth


def accuracy_of(labels: pd.DataFrame, truth: np.ndarray) -> float:
    predicted = labels.set_index("item_id")["label"]
    expected = pd.Series([f"c{t}" for t in truth], index=[f"i{i}" for i in range(len(truth))])
    return float((predicted.reindex(expected.index) == expected).mean())


def test_dawid_skene_beats_majority_vote_and_finds_the_systematic_confusion() -> None:
    frame, truth = simulated()
    model = DawidSkene().fit(frame)
    assert accuracy_of(model.labels_, truth) > accuracy_of(consensus(frame, "majority").dropna(), truth) + 0.01
    e = list(model.annotators_).index("e")
    confusion = pd.DataFrame(model.confusions_[e], index=model.priors_.index, columns=model.priors_.index)
    assert confusion.loc["c0", "c1"] > 0.7
    assert confusion.loc["c1", "c1"] > 0.9
    assert model.accuracies_.idxmin() == "d"


def test_estimated_accuracies_are_close_to_the_true_ones() -> None:
    frame, _ = simulated(seed=1, items=6000, confuse=False)
    model = DawidSkene(one_coin=True).fit(frame)
    expected = pd.Series({"a": 0.9, "b": 0.85, "c": 0.8, "d": 0.55, "e": 0.95})
    assert np.abs(model.accuracies_.sort_index() - expected).max() < 0.03


@pytest.mark.parametrize("method", METHODS)
def test_every_method_returns_one_row_per_item_in_the_same_shape(method: str) -> None:
    frame, _ = simulated(items=300)
    result = consensus(frame, method)
    assert list(result.columns) == ["item_id", "label", "confidence", "status", "method"]
    assert result["item_id"].is_unique
    assert len(result) == frame["item_id"].nunique()
    assert result["confidence"].between(0, 1).all()
    assert set(result["status"]) <= {"agreed", "disputed"}
    assert (result["method"] == method).all()


def test_dawid_skene_does_not_depend_on_row_order() -> None:
    frame, _ = simulated(items=500)
    a = DawidSkene().fit(frame).labels_.set_index("item_id").sort_index()
    b = DawidSkene().fit(frame.sample(frac=1, random_state=2)).labels_.set_index("item_id").sort_index()
    pd.testing.assert_series_equal(a["label"], b["label"])
    np.testing.assert_allclose(a["confidence"], b["confidence"], atol=1e-9)


def test_a_correction_replaces_the_annotators_earlier_judgement_in_consensus() -> None:
    frame = pd.DataFrame({"item_id": ["x"] * 4, "annotator_id": ["a", "b", "c", "c"],
                          "label": ["p", "q", "q", "p"], "created_at": pd.to_datetime(
                              ["2026-01-01", "2026-01-01", "2026-01-01", "2026-01-02"])})
    assert consensus(frame, "majority")["label"].tolist() == ["p"]


def test_an_unknown_method_is_refused_with_the_choices() -> None:
    with pytest.raises(ParameterError, match="method must be one of majority, weighted-majority, dawid-skene"):
        consensus(simulated(items=10)[0], "glad-ish")


def test_the_demo_annotators_come_out_as_generated() -> None:
    demo = generate_demo(seed=7, n_items=3000)
    people = demo.annotations[(demo.annotations["source"] == "human") & (demo.annotations["schema_version"] == 1)]
    model = DawidSkene().fit(people)
    ranked = model.accuracies_.sort_values()
    assert ranked.index[0] == "kai"  # the careless one last
    lena = list(model.annotators_).index("lena")
    confusion = pd.DataFrame(model.confusions_[lena], index=model.priors_.index, columns=model.priors_.index)
    assert confusion.loc["account_access", "technical_issue"] > 0.6  # her systematic confusion


def test_the_configuration_accepts_exactly_auto_and_every_method() -> None:
    from answerkey.config import CONSENSUS_METHODS

    assert ("auto", *METHODS) == CONSENSUS_METHODS
