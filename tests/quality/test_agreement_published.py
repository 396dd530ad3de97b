"""Agreement coefficients reproduce published worked examples to the digits the sources give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import answerkey
from answerkey.quality.agreement import agreement, brennan_prediger, scott_pi

FIXTURES = Path(__file__).parent.parent / "fixtures"


def krippendorff_2011() -> pd.DataFrame:
    wide = pd.read_csv(FIXTURES / "krippendorff_2011.csv", comment="#", index_col="observer", dtype=str)
    long = wide.stack().rename("label").reset_index()
    long.columns = ["annotator_id", "item_id", "label"]
    return long[long["label"] != "."].assign(label=lambda f: f["label"].astype(int))


def from_table(table: list[list[int]]) -> pd.DataFrame:
    """Two raters' contingency table (rows: rater A's category, columns: rater B's) as long annotations."""
    rows = []
    item = 0
    for a, row in enumerate(table):
        for b, count in enumerate(row):
            for _ in range(count):
                rows += [(item, "A", a), (item, "B", b)]
                item += 1
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])


def from_subject_counts(table: list[list[int]]) -> pd.DataFrame:
    """Fleiss-style subject x category counts as long annotations (raters anonymous per subject)."""
    rows = []
    for subject, counts in enumerate(table):
        rater = 0
        for category, count in enumerate(counts):
            for _ in range(count):
                rows.append((subject, f"r{rater}", category))
                rater += 1
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])


@pytest.mark.parametrize(("level", "published"), [
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797),
])
def test_krippendorff_alpha_matches_krippendorff_2011(level: str, published: float) -> None:
    assert answerkey.krippendorff_alpha(krippendorff_2011(), level=level) == pytest.approx(published, abs=5e-4)


def test_gwet_ac1_and_generalised_fleiss_match_irrcac_on_krippendorff_2011() -> None:
    data = krippendorff_2011()
    assert answerkey.gwet_ac1(data) == pytest.approx(0.77544, abs=5e-6)
    assert answerkey.fleiss_kappa(data) == pytest.approx(0.76117, abs=5e-6)


FLEISS_1971 = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
               [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]


def test_fleiss_kappa_is_0_210_on_the_classic_ten_subjects_by_fourteen_raters() -> None:
    assert answerkey.fleiss_kappa(from_subject_counts(FLEISS_1971)) == pytest.approx(0.210, abs=5e-4)


def test_cohen_kappa_is_0_4_on_the_fifty_proposal_table() -> None:
    assert answerkey.cohen_kappa(from_table([[20, 5], [10, 15]])) == pytest.approx(0.4, abs=1e-12)


def test_gwet_ac1_and_cohen_kappa_match_gwets_hundred_women_table() -> None:
    data = from_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    assert answerkey.gwet_ac1(data) == pytest.approx(0.8493, abs=5e-5)
    assert answerkey.cohen_kappa(data) == pytest.approx(0.7964, abs=5e-5)


def test_weighted_kappa_with_ordinal_weights_is_not_krippendorffs_ordinal_alpha() -> None:
    data = krippendorff_2011()
    alpha = answerkey.krippendorff_alpha(data, level="ordinal")
    assert alpha == pytest.approx(0.815, abs=5e-4)
    assert answerkey.fleiss_kappa(data, weights="quadratic") != pytest.approx(alpha, abs=1e-3)


def test_two_raters_without_missing_judgements_make_fleiss_equal_scotts_pi() -> None:
    data = from_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    assert answerkey.fleiss_kappa(data) == pytest.approx(scott_pi(data), abs=1e-12)


def test_brennan_prediger_uses_uniform_chance() -> None:
    data = from_table([[20, 5], [10, 15]])
    assert brennan_prediger(data) == pytest.approx((0.7 - 0.5) / 0.5)


def test_agreement_reports_every_coefficient_with_intervals_around_the_value() -> None:
    report = agreement(krippendorff_2011(), level="ordinal", ci=0.95, n_boot=300, seed=7)
    for name in ("percent_agreement", "krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "gwet_ac2",
                 "brennan_prediger"):
        estimate = report.estimates[name]
        assert estimate.ci_low is not None
        assert estimate.ci_high is not None
        assert estimate.ci_low <= estimate.value <= estimate.ci_high, name
        assert (estimate.n_items, estimate.n_pairable) == (12, 11)
    assert report["krippendorff_alpha"] == pytest.approx(0.815, abs=5e-4)
    assert "cohen_kappa" not in report.estimates
    again = agreement(krippendorff_2011(), level="ordinal", ci=0.95, n_boot=300, seed=7)
    assert again.estimates == report.estimates
    assert np.isfinite(report.to_dict()["krippendorff_alpha"])
