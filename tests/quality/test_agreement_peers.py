"""Equal to the peers a user would otherwise use, to 1e-9, on random data; invariant where it must be."""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pandas as pd
import polars
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

import answerkey
from answerkey.quality.agreement import UndefinedAgreementWarning, agreement


def random_long(seed: int, items: int = 300, annotators: int = 5, labels: int = 4, missing: float = 0.3,
                skill: float = 0.6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, labels, items)
    rows = []
    for item in range(items):
        for annotator in range(annotators):
            if rng.random() < missing:
                continue
            label = truth[item] if rng.random() < skill else rng.integers(0, labels)
            rows.append((f"i{item}", f"a{annotator}", int(label)))
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])


def reliability_matrix(frame: pd.DataFrame) -> np.ndarray:
    wide = frame.pivot(index="annotator_id", columns="item_id", values="label")
    return wide.to_numpy(dtype=float)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_alpha_equals_the_krippendorff_package(seed: int, level: str) -> None:
    frame = random_long(seed)
    if level == "ratio":
        frame = frame.assign(label=frame["label"] + 1)
    ours = answerkey.krippendorff_alpha(frame, level=level)
    theirs = krippendorff.alpha(reliability_data=reliability_matrix(frame), level_of_measurement=level)
    assert ours == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_equals_scikit_learn(seed: int, weights: str | None) -> None:
    frame = random_long(seed, annotators=2, missing=0.0)
    wide = frame.pivot(index="item_id", columns="annotator_id", values="label")
    theirs = cohen_kappa_score(wide["a0"], wide["a1"], weights=weights)
    assert answerkey.cohen_kappa(frame, weights=weights) == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_fleiss_kappa_equals_statsmodels_when_every_item_has_every_rater(seed: int) -> None:
    frame = random_long(seed, annotators=6, missing=0.0)
    table, _ = aggregate_raters(frame.pivot(index="item_id", columns="annotator_id", values="label").to_numpy())
    assert answerkey.fleiss_kappa(frame) == pytest.approx(statsmodels_fleiss(table), abs=1e-9)


METRICS = {
    "krippendorff_alpha": answerkey.krippendorff_alpha,
    "fleiss_kappa": answerkey.fleiss_kappa,
    "gwet_ac1": answerkey.gwet_ac1,
    "percent_agreement": answerkey.percent_agreement,
    "brennan_prediger": answerkey.brennan_prediger,
}


@pytest.mark.parametrize("name", METRICS)
def test_metrics_do_not_depend_on_row_order_annotator_names_or_label_names(name: str) -> None:
    metric = METRICS[name]
    frame = random_long(11)
    base = metric(frame)
    shuffled = frame.sample(frac=1.0, random_state=1)
    renamed = frame.assign(annotator_id=frame["annotator_id"].map(lambda a: f"z-{a[::-1]}"),
                           item_id=frame["item_id"].map(lambda i: f"item/{i}"))
    relabeled = frame.assign(label=frame["label"].map({0: "delta", 1: "alpha", 2: "charlie", 3: "bravo"}))
    for variant in (shuffled, renamed, relabeled):
        assert metric(variant) == pytest.approx(base, abs=1e-12)


def test_cohen_kappa_is_symmetric_in_its_two_annotators() -> None:
    frame = random_long(3, annotators=2)
    assert answerkey.cohen_kappa(frame, annotators=("a0", "a1")) == pytest.approx(
        answerkey.cohen_kappa(frame, annotators=("a1", "a0")), abs=1e-12)


def test_perfect_agreement_on_one_category_is_undefined_not_zero() -> None:
    frame = pd.DataFrame({"item_id": [1, 1, 2, 2], "annotator_id": ["a", "b"] * 2, "label": ["x"] * 4})
    with pytest.warns(UndefinedAgreementWarning, match="no variation"):
        report = agreement(frame)
    assert report["percent_agreement"] == 1.0
    for name in ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "cohen_kappa"):
        assert np.isnan(report[name]), name
    assert report.to_dict()["krippendorff_alpha"] is None


def test_items_with_a_single_judgement_leave_agreement_undefined() -> None:
    frame = pd.DataFrame({"item_id": [1, 2], "annotator_id": ["a", "b"], "label": ["x", "y"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert np.isnan(answerkey.krippendorff_alpha(frame))
        assert np.isnan(answerkey.percent_agreement(frame))
    assert all(issubclass(w.category, UndefinedAgreementWarning) for w in caught)
    assert len(caught) == 2


def test_cohen_kappa_needs_two_named_annotators_when_there_are_more() -> None:
    with pytest.raises(ValueError, match="annotators must be two annotator ids"):
        answerkey.cohen_kappa(random_long(1))


def test_a_polars_frame_is_accepted_like_pandas() -> None:
    frame = random_long(4)
    assert answerkey.krippendorff_alpha(polars.from_pandas(frame)) == answerkey.krippendorff_alpha(frame)
