"""Agreement broken down by label, annotator, pair and item group."""

from __future__ import annotations

import pandas as pd
import pytest

from answerkey.demo import generate_demo
from answerkey.quality.agreement import by_annotator, by_group, by_label, krippendorff_alpha, pairwise_kappa

# items 1-3: a, b, c; c disagrees on item 3
FRAME = pd.DataFrame({
    "item_id": [1, 1, 1, 2, 2, 2, 3, 3, 3],
    "annotator_id": list("abcabcabc"),
    "label": ["x", "x", "x", "y", "y", "y", "x", "x", "y"],
})


def test_each_annotator_is_compared_with_the_others_and_with_the_majority_without_them() -> None:
    result = by_annotator(FRAME).set_index("annotator_id")
    assert result.at["c", "agreement_with_others"] == pytest.approx(4 / 6)
    assert result.at["a", "agreement_with_others"] == pytest.approx(5 / 6)
    assert result.at["c", "agreement_with_reference"] == pytest.approx(2 / 3)
    assert result.at["a", "agreement_with_reference"] == pytest.approx(1.0)
    assert result.index[0] == "c"  # lowest agreement first


def test_an_explicit_reference_replaces_the_leave_one_out_majority() -> None:
    result = by_annotator(FRAME, reference={1: "x", 2: "x", 3: "y"}).set_index("annotator_id")
    assert result.at["c", "agreement_with_reference"] == pytest.approx(2 / 3)
    assert result.at["a", "agreement_with_reference"] == pytest.approx(1 / 3)


def test_one_vs_rest_per_label_equals_alpha_of_the_binarised_labels() -> None:
    result = by_label(FRAME).set_index("label")
    binary = FRAME.assign(label=FRAME["label"].eq("x"))
    assert result.at["x", "krippendorff_alpha"] == pytest.approx(krippendorff_alpha(binary))
    assert result.at["x", "judgements"] == 5


def test_pairwise_kappa_covers_each_pair_with_enough_shared_items() -> None:
    result = pairwise_kappa(FRAME, min_shared=3)
    assert len(result) == 3
    ab = result[(result["annotator_a"] == "a") & (result["annotator_b"] == "b")]
    assert ab["cohen_kappa"].iloc[0] == pytest.approx(1.0)
    assert pairwise_kappa(FRAME, min_shared=4).empty


def test_groups_get_their_own_agreement() -> None:
    result = by_group(FRAME, {1: "smb", 2: "smb", 3: "enterprise"}).set_index("group")
    assert result.at["smb", "percent_agreement"] == 1.0
    assert result.at["enterprise", "percent_agreement"] == pytest.approx(1 / 3)
    assert result.at["smb", "krippendorff_alpha"] == pytest.approx(1.0)


def test_the_demo_careless_annotator_agrees_least_with_the_others() -> None:
    demo = generate_demo(seed=7, n_items=2000)
    people = demo.annotations[(demo.annotations["source"] == "human") & (demo.annotations["schema_version"] == 1)]
    ranked = by_annotator(people).sort_values("agreement_with_others")
    assert ranked["annotator_id"].iloc[0] == "kai"
