"""GLAD as a consensus method: annotator ability and item difficulty, recovered from simulated judgements."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_consensus import accuracy_of, simulated

from answerkey.quality.aggregation import consensus
from answerkey.quality.aggregation.glad import GLAD


def hard_and_easy(seed: int = 0, items: int = 3000) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Five annotators on items whose difficulty varies: on hard items even good annotators guess."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, items)
    hard = rng.random(items) < 0.3
    ability = {"a": 2.5, "b": 2.0, "c": 1.5, "d": 0.2, "e": 2.2}
    rows = []
    for item in range(items):
        for annotator in rng.choice(list(ability), 4, replace=False):
            p_right = 1 / (1 + np.exp(-ability[annotator] * (0.3 if hard[item] else 2.0)))
            label = truth[item] if rng.random() < p_right else (truth[item] + rng.integers(1, 3)) % 3
            rows.append((f"i{item}", annotator, f"c{label}"))
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"]), truth, hard


def test_glad_ranks_the_careless_annotator_lowest_and_finds_the_hard_items() -> None:
    frame, _, hard = hard_and_easy()
    model = GLAD().fit(frame)
    assert model.abilities_.idxmin() == "d"
    assert model.accuracies_.idxmin() == "d"
    difficulty = model.difficulties_.reindex([f"i{i}" for i in range(len(hard))]).to_numpy()
    assert np.median(difficulty[hard]) > np.median(difficulty[~hard])


def test_glad_is_as_accurate_as_dawid_skene_and_beats_majority_vote() -> None:
    frame, truth = simulated(seed=2, items=3000, confuse=False)
    glad = accuracy_of(consensus(frame, "glad"), truth)
    assert glad > accuracy_of(consensus(frame, "majority"), truth)
    assert glad > accuracy_of(consensus(frame, "dawid-skene"), truth) - 0.01


def test_glad_does_not_depend_on_row_order() -> None:
    frame, _ = simulated(seed=3, items=400)
    first = consensus(frame, "glad").set_index("item_id")
    second = consensus(frame.sample(frac=1.0, random_state=4), "glad").set_index("item_id").loc[first.index]
    assert first["label"].equals(second["label"])
    assert np.allclose(first["confidence"], second["confidence"], atol=1e-6)
    assert set(first["method"]) == {"glad"}
