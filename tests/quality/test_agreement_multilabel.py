"""Krippendorff's alpha for multi-label judgements (sets of labels) with MASI and Jaccard distances.

Pinned to a hand-computed example, to NLTK's ``AnnotationTask(distance=...).alpha()`` on random data, and to the
invariances a set-valued metric must have (annotator, item and row order, label names, order inside a value).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

import answerkey
from answerkey.errors import ParameterError
from answerkey.quality.agreement import UndefinedAgreementWarning, agreement, rating_counts
from answerkey.quality.agreement._data import canonical_sets, label_set, membership
from answerkey.quality.agreement.krippendorff import set_distances

SET_LEVELS = ("masi", "jaccard")
LABELS = ("billing", "shipping", "refund", "account", "bug")

# Three items, two annotators, and one item only annotator a judged (unpairable, so it does not count):
#
#   item 1: {a, b} and {b, a}   -> same set, distance 0
#   item 2: {c}    and {c}      -> distance 0
#   item 3: {a}    and {a, c}   -> subset: Jaccard 1/2, MASI 1 - 1/2 * 2/3 = 2/3
#   item 4: {a, d}              -> unpairable
#
# Pairable values n = 6: {a,b} x2, {c} x2, {a} x1, {a,c} x1.
# Observed disagreement D_o = (1/n) sum_u sum_{ordered pairs in u} d / (m_u - 1) = (1/6) * 2 * d(item 3).
# Expected D_e = sum_{c != k} n_c n_k d(c, k) / (n (n - 1)), over unordered pairs times 2:
#
#   pair            n_c n_k   MASI   Jaccard
#   {a,b} - {c}        4      1      1         (disjoint)
#   {a,b} - {a}        2      2/3    1/2       (subset)
#   {a,b} - {a,c}      2      8/9    2/3       (overlap: J = 1/3, M = 1/3 -> 1 - 1/9)
#   {c}   - {a}        2      1      1         (disjoint)
#   {c}   - {a,c}      2      2/3    1/2       (subset)
#   {a}   - {a,c}      1      2/3    1/2       (subset)
#
# MASI:    sum = 4 + 4/3 + 16/9 + 2 + 4/3 + 2/3 = 100/9; D_e = 2 * 100/9 / 30 = 20/27; D_o = 2/9;
#          alpha = 1 - (2/9) / (20/27) = 1 - 3/10 = 0.7
# Jaccard: sum = 4 + 1 + 4/3 + 2 + 1 + 1/2 = 59/6;   D_e = 2 * 59/6 / 30 = 59/90; D_o = 1/6;
#          alpha = 1 - (1/6) / (59/90) = 1 - 15/59 = 44/59
HAND = pd.DataFrame({
    "item_id": [1, 1, 2, 2, 3, 3, 4],
    "annotator_id": ["a", "b", "a", "b", "a", "b", "a"],
    "label": ["a|b", "b|a", "c", "c", "a", "a|c", "a|d"],
})


def random_sets(seed: int, items: int = 200, annotators: int = 4, missing: float = 0.25,
                keep: float = 0.8, extra: float = 0.15) -> pd.DataFrame:
    """Each item has a true non-empty label set; an annotator keeps each true label with probability ``keep`` and
    adds each other label with probability ``extra`` (never the empty set, which NLTK cannot compare)."""
    rng = np.random.default_rng(seed)
    rows = []
    for item in range(items):
        truth = {label for label in LABELS if rng.random() < 0.35} or {LABELS[rng.integers(len(LABELS))]}
        for annotator in range(annotators):
            if rng.random() < missing:
                continue
            chosen = [label for label in LABELS if (rng.random() < keep if label in truth else rng.random() < extra)]
            chosen = chosen or sorted(truth)
            rng.shuffle(chosen)  # the written order inside a value must not matter
            rows.append((f"i{item}", f"a{annotator}", "|".join(chosen)))
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])


def nltk_alpha(frame: pd.DataFrame, level: str) -> float:
    nltk_agreement = pytest.importorskip("nltk.metrics.agreement")
    nltk_distance = pytest.importorskip("nltk.metrics.distance")
    distance = nltk_distance.masi_distance if level == "masi" else nltk_distance.jaccard_distance
    data = [(coder, item, label_set(label)) for item, coder, label in frame.itertuples(index=False)]
    task = nltk_agreement.AnnotationTask(data=data, distance=distance)
    return float(task.alpha())


def skip_unless_nltk_masi_uses_exact_thirds() -> None:
    nltk_distance = pytest.importorskip("nltk.metrics.distance")
    if nltk_distance.masi_distance({1, 2}, {1, 2, 3, 4}) != pytest.approx(2 / 3, abs=1e-12):
        pytest.skip("this NLTK rounds MASI's 2/3 and 1/3 to 0.67 and 0.33 (NLTK < 3.10.4)")


# --- published definition, by hand ---------------------------------------------------------------------------------


def test_masi_alpha_of_the_hand_computed_example_is_seven_tenths() -> None:
    assert answerkey.krippendorff_alpha(HAND, level="masi") == pytest.approx(0.7, abs=1e-12)


def test_jaccard_alpha_of_the_hand_computed_example_is_44_59ths() -> None:
    assert answerkey.krippendorff_alpha(HAND, level="jaccard") == pytest.approx(44 / 59, abs=1e-12)


def test_masi_distance_follows_passonneau_for_each_kind_of_overlap() -> None:
    _, members = membership(["a|b", "a|b", "a|b|c|d", "c", "b|c"])
    distance = set_distances("masi", members)
    assert distance[0, 1] == 0.0  # identical
    assert distance[0, 2] == pytest.approx(1 - 2 / 4 * 2 / 3)  # subset
    assert distance[0, 4] == pytest.approx(1 - 1 / 3 * 1 / 3)  # overlap
    assert distance[0, 3] == 1.0  # disjoint


def test_the_empty_set_is_at_distance_zero_from_itself_and_one_from_any_other_set() -> None:
    _, members = membership(["", "a", "a|b"])
    for level in SET_LEVELS:
        distance = set_distances(level, members)
        assert distance[0].tolist() == [0.0, 1.0, 1.0]
        assert distance[:, 0].tolist() == [0.0, 1.0, 1.0]


def test_an_empty_value_is_the_empty_set_and_a_missing_one_is_no_judgement() -> None:
    frame = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3, 3], "annotator_id": ["a", "b", "a", "b", "a", "b", "c"],
                          "label": ["", "", "x", "x", "", "x", None]})
    data = rating_counts(frame, level="masi")
    assert data.categories == ["", "x"]
    assert data.counts.sum() == 6  # the None is dropped, the empty strings count
    # with sets of at most one label every two different sets are disjoint: set alpha is nominal alpha
    nominal = answerkey.krippendorff_alpha(frame.assign(label=frame["label"].replace("", "none")))
    for level in SET_LEVELS:
        assert answerkey.krippendorff_alpha(frame, level=level) == pytest.approx(nominal, abs=1e-12)


# --- the peer users compare with ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_masi_alpha_equals_nltk_on_random_label_sets(seed: int) -> None:
    skip_unless_nltk_masi_uses_exact_thirds()
    frame = random_sets(seed)
    assert answerkey.krippendorff_alpha(frame, level="masi") == pytest.approx(nltk_alpha(frame, "masi"), abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_jaccard_alpha_equals_nltk_on_random_label_sets(seed: int) -> None:
    frame = random_sets(seed, annotators=3, missing=0.1)
    theirs = nltk_alpha(frame, "jaccard")
    assert answerkey.krippendorff_alpha(frame, level="jaccard") == pytest.approx(theirs, abs=1e-9)


def test_set_distances_equal_nltk_for_every_pair_of_subsets_of_four_labels() -> None:
    nltk_distance = pytest.importorskip("nltk.metrics.distance")
    skip_unless_nltk_masi_uses_exact_thirds()
    subsets = [frozenset(c) for r in range(1, 5) for c in itertools.combinations("abcd", r)]  # NLTK fails on {}
    _, members = membership(["|".join(sorted(s)) for s in subsets])
    for level, theirs in (("masi", nltk_distance.masi_distance), ("jaccard", nltk_distance.jaccard_distance)):
        expected = np.array([[theirs(a, b) for b in subsets] for a in subsets])
        np.testing.assert_allclose(set_distances(level, members), expected, rtol=0, atol=1e-15)


# --- properties -----------------------------------------------------------------------------------------------------


def test_masi_distance_is_never_below_jaccard_distance() -> None:
    subsets = ["|".join(c) for r in range(5) for c in itertools.combinations("abcd", r)]
    _, members = membership(subsets)
    masi, jaccard = set_distances("masi", members), set_distances("jaccard", members)
    assert (masi >= jaccard - 1e-15).all()
    assert (masi > jaccard).any()
    for distance in (masi, jaccard):
        assert np.array_equal(distance, distance.T)
        assert (np.diag(distance) == 0).all()
        assert ((distance >= 0) & (distance <= 1)).all()


def test_hundreds_of_distinct_sets_get_the_same_distances_as_one_pair_at_a_time() -> None:
    rng = np.random.default_rng(0)
    sets = sorted({"|".join(f"l{j}" for j in np.flatnonzero(rng.random(12) < 0.3)) for _ in range(600)})
    assert len(sets) > 300
    _, members = membership(sets)
    distance = set_distances("masi", members)
    for a, b in rng.integers(0, len(sets), (200, 2)):
        first, second = label_set(sets[a]), label_set(sets[b])
        union = len(first | second)
        similarity = len(first & second) / union if union else 1.0
        smaller = min(len(first), len(second))
        weight = (1.0 if first == second else 2 / 3 if len(first & second) == smaller
                  else 1 / 3 if first & second else 0.0)
        assert distance[a, b] == pytest.approx(1 - similarity * weight, abs=1e-15)


@pytest.mark.parametrize("level", SET_LEVELS)
def test_identical_sets_everywhere_leave_alpha_undefined_not_one(level: str) -> None:
    frame = pd.DataFrame({"item_id": [1, 1, 2, 2], "annotator_id": ["a", "b"] * 2,
                          "label": ["x|y", "y|x", "x | y", "y|x|y"]})
    with pytest.warns(UndefinedAgreementWarning, match="no variation"):
        assert np.isnan(answerkey.krippendorff_alpha(frame, level=level))


@pytest.mark.parametrize("level", SET_LEVELS)
def test_alpha_does_not_depend_on_row_order_annotator_or_item_names_or_label_names(level: str) -> None:
    frame = random_sets(7)
    base = answerkey.krippendorff_alpha(frame, level=level)
    rename = {"billing": "zeta", "shipping": "alpha", "refund": "mu", "account": "beta", "bug": "omega"}
    variants = [
        frame.sample(frac=1.0, random_state=1),
        frame.assign(annotator_id=frame["annotator_id"].map(lambda a: f"z-{a[::-1]}")),
        frame.assign(item_id=frame["item_id"].map(lambda i: f"item/{i}")),
        frame.assign(label=frame["label"].map(lambda v: "|".join(rename[x] for x in v.split("|")))),
    ]
    for variant in variants:
        assert answerkey.krippendorff_alpha(variant, level=level) == pytest.approx(base, abs=1e-12)


@pytest.mark.parametrize("level", SET_LEVELS)
def test_the_order_inside_a_value_spacing_and_repeats_do_not_matter(level: str) -> None:
    frame = random_sets(3)
    canonical = frame.assign(label=canonical_sets(frame["label"]))
    reversed_ = frame.assign(label=frame["label"].map(lambda v: " | ".join(reversed(v.split("|")))))
    repeated = frame.assign(label=frame["label"] + "|" + frame["label"])
    python_sets = frame.assign(label=frame["label"].map(lambda v: set(v.split("|"))))
    base = answerkey.krippendorff_alpha(canonical, level=level)
    for variant in (frame, reversed_, repeated, python_sets):
        assert answerkey.krippendorff_alpha(variant, level=level) == pytest.approx(base, abs=1e-12)
    assert canonical_sets(pd.Series(["b|a", "a|b", " b | a ", "a|a|b"])).nunique() == 1


def test_partial_overlap_earns_partial_credit_that_nominal_alpha_does_not_give() -> None:
    frame = random_sets(5)
    nominal = answerkey.krippendorff_alpha(frame.assign(label=canonical_sets(frame["label"])))
    assert answerkey.krippendorff_alpha(frame, level="masi") > nominal


# --- agreement() and the boundary -----------------------------------------------------------------------------------


@pytest.mark.parametrize("level", SET_LEVELS)
def test_agreement_reports_set_alpha_with_an_interval_and_exact_set_kappas(level: str) -> None:
    frame = random_sets(2, items=80, annotators=2, missing=0.0)
    report = agreement(frame, level, ci=0.9, n_boot=200)
    alpha = report.estimates["krippendorff_alpha"]
    assert alpha.value == pytest.approx(answerkey.krippendorff_alpha(frame, level=level), abs=1e-12)
    assert alpha.ci_low is not None
    assert alpha.ci_high is not None
    assert alpha.ci_low <= alpha.value <= alpha.ci_high
    exact = frame.assign(label=canonical_sets(frame["label"]))
    assert report["fleiss_kappa"] == pytest.approx(answerkey.fleiss_kappa(exact), abs=1e-12)
    assert report["percent_agreement"] == pytest.approx(answerkey.percent_agreement(exact), abs=1e-12)
    assert report["cohen_kappa"] == pytest.approx(answerkey.cohen_kappa(exact), abs=1e-12)
    assert "gwet_ac2" not in report.estimates
    assert "cohen_kappa_quadratic" not in report.estimates
    assert report.set_valued
    assert report.to_dict()["level"] == level


def test_an_order_is_ignored_at_the_set_levels() -> None:
    assert answerkey.krippendorff_alpha(HAND, level="masi", order=["z", "y"]) == pytest.approx(0.7, abs=1e-12)


def test_an_unknown_level_names_the_set_levels_in_the_error() -> None:
    with pytest.raises(ParameterError, match=r"level must be one of .*masi, jaccard; got 'masy'"):
        answerkey.krippendorff_alpha(HAND, level="masy")


def test_a_single_judgement_per_item_leaves_set_alpha_undefined() -> None:
    frame = pd.DataFrame({"item_id": [1, 2], "annotator_id": ["a", "b"], "label": ["x|y", "y"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert np.isnan(answerkey.krippendorff_alpha(frame, level="masi"))
    assert [w.category for w in caught] == [UndefinedAgreementWarning]
