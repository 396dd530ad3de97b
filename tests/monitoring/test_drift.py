"""Column drift in the engine: pinned to scipy, to hand computations, and equal on DuckDB and Spark."""

from __future__ import annotations

import math
import uuid
import warnings
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from answerkey.errors import ParameterError
from answerkey.monitoring.drift import column_drift, domain_classifier_drift, window_drift
from answerkey.monitoring.drift_stats import alert_band, chi_square, jensen_shannon, ks_pvalue, psi


def table(engine: Any, frame: pd.DataFrame) -> Any:
    """A table on the engine (DuckDB or Spark): a view over an in-memory frame."""
    return engine.create_view(f"t_{uuid.uuid4().hex[:10]}", ibis.memtable(frame), overwrite=True)


def drift(reference: pd.DataFrame, current: pd.DataFrame, **options: Any) -> pd.DataFrame:
    return column_drift(ibis.memtable(reference), ibis.memtable(current), **options)


def row(result: pd.DataFrame, column: str) -> pd.Series:
    return result.set_index("column").loc[column]


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference and a shifted current sample: normal, skewed, tied and categorical columns."""
    rng = np.random.default_rng(7)
    n_ref, n_cur = 3000, 2000
    reference = pd.DataFrame({
        "normal": rng.normal(0, 1, n_ref), "skewed": rng.lognormal(0, 1, n_ref),
        "tied": rng.integers(0, 6, n_ref).astype(float), "rounded": np.round(rng.normal(0, 1, n_ref), 1),
        "color": rng.choice(["red", "green", "blue"], n_ref), "segment": rng.choice(["north", "south"], n_ref)})
    current = pd.DataFrame({
        "normal": rng.normal(0.3, 1.2, n_cur), "skewed": rng.lognormal(0.1, 1, n_cur),
        "tied": rng.integers(0, 7, n_cur).astype(float), "rounded": np.round(rng.normal(0.05, 1, n_cur), 1),
        "color": rng.choice(["red", "green", "violet"], n_cur), "segment": rng.choice(["north", "south"], n_cur)})
    return reference, current


# ---------------------------------------------------------------- hand computations


def test_psi_equals_a_hand_computation() -> None:
    # shares 0.5/0.5 -> 0.4/0.6: (0.4 - 0.5) ln(0.4 / 0.5) + (0.6 - 0.5) ln(0.6 / 0.5)
    assert psi([50, 50], [40, 60]) == pytest.approx(0.1 * math.log(1.25) + 0.1 * math.log(1.2), rel=1e-12)
    assert psi([50, 50], [40, 60]) == pytest.approx(0.0405465108, rel=1e-9)


def test_psi_of_an_empty_bin_uses_the_stated_epsilon() -> None:
    # reference shares 1/0 -> 1/0.0001: (0.5 - 1) ln(0.5) + (0.5 - 0.0001) ln(0.5 / 0.0001)
    expected = -0.5 * math.log(0.5) + 0.4999 * math.log(5000)
    assert psi([100, 0], [50, 50]) == pytest.approx(expected, rel=1e-12)
    assert psi([100, 0], [50, 50]) == pytest.approx(4.6043184667, rel=1e-9)


def test_jensen_shannon_distance_is_in_base_two_and_bounded_by_one() -> None:
    assert jensen_shannon([1, 0], [0, 1]) == pytest.approx(1.0)
    assert jensen_shannon([5, 5], [5, 5]) == 0.0
    from scipy.spatial.distance import jensenshannon

    assert jensen_shannon([3, 1, 6], [2, 5, 3]) == pytest.approx(jensenshannon([0.3, 0.1, 0.6], [0.2, 0.5, 0.3],
                                                                               base=2), rel=1e-12)


def test_ks_and_wasserstein_equal_a_hand_computation_through_the_engine() -> None:
    # F_ref - F_cur on [1,2) [2,3) [3,4) [4,5) [5,6): 1/4, 2/4, 2/4, 2/4, 1/4 -> D = 1/2, W = 2;
    # P(D >= 1/2) for 4 and 4 values: 27 of the 35 pairs of lattice paths stay outside... = 27/35
    result = drift(pd.DataFrame({"x": [1.0, 2, 3, 4]}), pd.DataFrame({"x": [3.0, 4, 5, 6]}), wasserstein_tolerance=0)
    details = row(result, "x")["details"]
    assert details["ks"] == 0.5
    assert details["ks_p_value"] == pytest.approx(27 / 35, rel=1e-12)
    assert details["wasserstein"] == pytest.approx(2.0, rel=1e-12)
    assert details["wasserstein_normalised"] == pytest.approx(2.0 / np.std([1, 2, 3, 4]), rel=1e-12)


def test_chi_square_equals_a_hand_computation_with_yates_correction_for_two_categories() -> None:
    # expected 40/60 per row; Yates: 2 * (10 - 0.5)^2 / 40 + 2 * (10 - 0.5)^2 / 60 = 7.5208...
    result = chi_square([30, 70], [50, 50])
    assert result.statistic == pytest.approx(2 * 9.5**2 / 40 + 2 * 9.5**2 / 60, rel=1e-12)
    assert result.dof == 1
    # Cramér's V from the uncorrected statistic: sqrt((2 * 100 / 40 + 2 * 100 / 60) / 200)
    assert result.cramers_v == pytest.approx(math.sqrt((5 + 10 / 3) / 200), rel=1e-12)


def test_alert_band_is_mean_plus_minus_three_standard_errors_unless_fixed() -> None:
    assert alert_band([0.01, 0.02, 0.03]) == pytest.approx((-0.01, 0.05))
    assert alert_band([0.01, 0.02, 0.03], width=1) == pytest.approx((0.01, 0.03))
    assert alert_band([0.5], fixed=0.2) == (-math.inf, 0.2)
    with pytest.raises(ParameterError, match="values"):
        alert_band([0.1])


# ---------------------------------------------------------------- equal to scipy


@pytest.mark.parametrize(("n_ref", "n_cur"), [(37, 53), (100, 100), (400, 250), (1000, 1000), (1500, 900)])
def test_ks_p_value_equals_scipy_exact_for_small_samples_and_asymptotic_above(n_ref: int, n_cur: int) -> None:
    rng = np.random.default_rng(n_ref)
    a, b = rng.normal(size=n_ref), rng.normal(0.15, size=n_cur)
    method = "exact" if n_ref * n_cur <= 1_000_000 else "asymp"
    expected = stats.ks_2samp(a, b, method=method)
    p_value, how = ks_pvalue(float(expected.statistic), n_ref, n_cur)
    assert how == ("exact" if method == "exact" else "asymptotic")
    assert p_value == pytest.approx(expected.pvalue, rel=1e-5, abs=1e-12)


def test_ks_p_value_for_large_samples_is_within_two_ten_thousandths_of_scipy_near_alpha() -> None:
    # above en = 10,000 the limiting distribution with Stephens' correction replaces scipy's kstwo
    n = 40_000
    statistic = stats.kstwobign.isf(0.05) / math.sqrt(n / 2)
    p_value, how = ks_pvalue(statistic, n, n)
    assert how == "limiting"
    assert p_value == pytest.approx(stats.kstwo.sf(statistic, n // 2), rel=2e-4)


@pytest.mark.parametrize("resolution", [16, 65_536])
def test_numeric_statistics_equal_scipy_and_numpy_at_any_bin_resolution(frames: tuple[pd.DataFrame, pd.DataFrame],
                                                                        resolution: int) -> None:
    # resolution 16 forces dense bins, their split into sub-bins and the row-by-row pass
    reference, current = frames
    result = drift(reference, current, resolution=resolution, wasserstein_tolerance=0)
    for column in ("normal", "skewed", "tied", "rounded"):
        a, b = reference[column].to_numpy(), current[column].to_numpy()
        details = row(result, column)["details"]
        ks = stats.ks_2samp(a, b, method="asymp")
        assert details["ks"] == pytest.approx(ks.statistic, abs=1e-15)
        assert details["ks_p_value"] == pytest.approx(ks.pvalue, rel=1e-9)
        assert details["wasserstein"] == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-9)
        assert details["wasserstein_bound"] == 0
        assert details["reference_std"] == pytest.approx(np.std(a), rel=1e-9)
        edges = np.unique(np.quantile(a, np.arange(1, 10) / 10, method="inverted_cdf"))
        assert details["psi_edges"] == pytest.approx(list(edges), abs=0)
        counts = [np.bincount(np.searchsorted(edges, v, side="left"), minlength=len(edges) + 1) for v in (a, b)]
        assert details["reference_counts"] == counts[0].tolist()
        assert details["current_counts"] == counts[1].tolist()
        assert details["psi"] == pytest.approx(psi(*counts), rel=1e-12)


@pytest.mark.parametrize("resolution", [16, 65_536])
def test_wasserstein_is_within_its_reported_bound_of_scipy_and_the_bound_within_tolerance(
        frames: tuple[pd.DataFrame, pd.DataFrame], resolution: int) -> None:
    reference, current = frames
    result = drift(reference, current, resolution=resolution)
    for column in ("normal", "skewed", "tied", "rounded"):
        a, b = reference[column].to_numpy(), current[column].to_numpy()
        details = row(result, column)["details"]
        assert abs(details["wasserstein"] - stats.wasserstein_distance(a, b)) <= details["wasserstein_bound"] + 1e-12
        assert details["wasserstein_bound"] <= 1e-3 * np.std(a)
        assert details["ks"] == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-15)


def test_chi_square_equals_scipy_on_the_contingency_table_of_both_samples(
        frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reference, current = frames
    details = row(drift(reference, current), "color")["details"]
    table = np.array([details["reference_counts"], details["current_counts"]])
    expected = stats.chi2_contingency(table)
    assert details["chi_square"] == pytest.approx(expected.statistic, rel=1e-12)
    assert details["p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
    assert details["cramers_v"] == pytest.approx(stats.contingency.association(table, method="cramer"), rel=1e-12)
    counts = reference["color"].value_counts()
    assert dict(zip(details["categories"], details["reference_counts"], strict=True))["red"] == counts["red"]


# ---------------------------------------------------------------- what drifted means


def test_identical_distributions_at_1000_rows_are_rarely_flagged_by_the_two_sample_chi_square() -> None:
    rng = np.random.default_rng(0)
    shares = np.full(10, 0.1)
    significant, drifted, goodness_of_fit = 0, 0, 0
    for _ in range(100):
        ref, cur = rng.multinomial(1000, shares), rng.multinomial(1000, shares)
        result = chi_square(ref, cur)
        significant += result.p_value < 0.05
        drifted += result.p_value < 0.05 and result.cramers_v > 0.1
        # the mistake: the reference shares taken as exact expected frequencies for the current sample
        goodness_of_fit += stats.chisquare(cur, ref / ref.sum() * cur.sum()).pvalue < 0.05
    assert significant <= 10  # near alpha = 0.05
    # drifted also needs V > 0.1: with 9 degrees of freedom that is chi-square > 20, P = 0.018 under H0
    assert drifted <= min(significant, 5)
    assert goodness_of_fit >= 30  # about half, as the issue says


def test_a_clear_shift_is_drifted_and_a_negligible_one_at_a_million_rows_is_not_although_significant() -> None:
    rng = np.random.default_rng(1)
    n = 1_000_000
    reference = pd.DataFrame({"clear": rng.normal(0, 1, n), "negligible": rng.normal(0, 1, n)})
    current = pd.DataFrame({"clear": rng.normal(0.5, 1, n), "negligible": rng.normal(0.01, 1, n)})
    result = drift(reference, current)
    clear, negligible = row(result, "clear"), row(result, "negligible")
    assert clear["method"] == "wasserstein"
    assert bool(clear["drifted"])
    assert clear["effect_size"] == pytest.approx(0.5, abs=0.01)
    assert negligible["p_value"] < 1e-6
    assert negligible["effect_size"] < 0.02
    assert not negligible["drifted"]


def test_new_and_vanished_categories_are_listed(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    details = row(drift(*frames), "color")["details"]
    assert details["new_categories"] == ["violet"]
    assert details["vanished_categories"] == ["blue"]
    assert row(drift(*frames), "color")["drifted"]


def test_categories_beyond_the_most_frequent_are_counted_together_as_other() -> None:
    reference = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 30 + ["c"] * 15 + ["d"] * 5})
    current = pd.DataFrame({"c": ["a"] * 40 + ["b"] * 30 + ["e"] * 20 + ["d"] * 10})
    details = row(drift(reference, current, max_categories=3), "c")["details"]
    # by count over both tables: a 90, b 60, e 20 | c 15, d 15 together
    assert details["categories"] == ["a", "b", "e", "(other)"]
    assert details["reference_counts"] == [50, 30, 0, 20]
    assert details["current_counts"] == [40, 30, 20, 10]
    assert details["new_categories"] == ["e"]


def test_the_default_method_is_ks_below_1000_values_and_wasserstein_above(
        frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reference, current = frames
    assert row(drift(reference, current), "normal")["method"] == "wasserstein"
    small = drift(reference.head(500), current.head(500))
    assert row(small, "normal")["method"] == "ks"
    assert row(small, "normal")["effect_size"] == row(small, "normal")["details"]["ks"]
    assert row(drift(reference, current, numeric_method="psi"), "normal")["method"] == "psi"


def test_thresholds_are_parameters(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    result = drift(*frames, thresholds={"wasserstein": 10.0, "chi_square": 0.99})
    assert not result["drifted"].any()
    assert set(result["threshold"]) == {10.0, 0.99}


def test_missing_values_are_left_out_and_their_shares_reported() -> None:
    reference = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0, None], "c": ["a", None, "b", "a", "b"]})
    current = pd.DataFrame({"x": [1.0, 3.0, 5.0, 7.0], "c": ["a", "a", "b", None]})
    result = drift(reference, current)
    x = row(result, "x")
    assert (x["n_reference"], x["n_current"]) == (3, 4)
    assert x["details"]["reference_missing"] == pytest.approx(0.4)
    assert x["details"]["ks"] == pytest.approx(stats.ks_2samp([1, 2, 4], [1, 3, 5, 7]).statistic)
    assert row(result, "c")["details"]["current_missing"] == pytest.approx(0.25)


def test_prediction_and_label_are_compared_and_integer_ones_count_as_classes() -> None:
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"score": rng.random(2000), "label": rng.integers(0, 2, 2000), "x": rng.random(2000)})
    current = pd.DataFrame({"score": rng.random(2000) ** 0.5, "label": (rng.random(2000) < 0.7).astype(int),
                            "x": rng.random(2000)})
    result = drift(reference, current, columns=["x"], prediction="score", label="label")
    assert list(result["column"]) == ["x", "score", "label"]
    assert list(result["role"]) == ["feature", "prediction", "label"]
    assert row(result, "label")["kind"] == "categorical"
    assert bool(row(result, "score")["drifted"])
    assert bool(row(result, "label")["drifted"])


def test_a_constant_reference_that_moves_has_infinite_normalised_wasserstein() -> None:
    result = drift(pd.DataFrame({"x": [1.0] * 50}), pd.DataFrame({"x": [1.0] * 25 + [2.0] * 25}),
                   numeric_method="wasserstein")
    assert row(result, "x")["effect_size"] == math.inf
    assert bool(row(result, "x")["drifted"])


def test_segments_are_compared_with_the_same_segment_of_the_reference(
        frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reference, current = frames
    result = drift(reference, current, by="segment")
    assert set(result["segment"]) == {"north", "south"}
    assert "segment" not in set(result["column"])
    north = result[result["segment"] == "north"].set_index("column")
    alone = drift(reference[reference["segment"] == "north"], current[current["segment"] == "north"])
    pd.testing.assert_series_equal(north["effect_size"], alone.set_index("column")["effect_size"].drop("segment"),
                                   check_exact=False, rtol=1e-12)


def test_a_segment_missing_from_the_reference_warns_and_gives_nan() -> None:
    reference = pd.DataFrame({"x": [1.0, 2.0, 3.0], "s": ["a", "a", "a"]})
    current = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "s": ["a", "a", "b", "b"]})
    with pytest.warns(RuntimeWarning, match="no values on the reference side"):
        result = drift(reference, current, by="s")
    b = result[result["segment"] == "b"].iloc[0]
    assert math.isnan(b["effect_size"])
    assert not b["drifted"]


# ---------------------------------------------------------------- windows


def test_each_window_is_compared_with_the_whole_reference_and_alerts_above_its_reference_band() -> None:
    rng = np.random.default_rng(5)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10 * 86400, 5000), unit="s")
    reference = pd.DataFrame({"x": rng.normal(0, 1, 5000), "at": days})
    later = pd.Timestamp("2024-02-01") + pd.to_timedelta(rng.integers(0, 3 * 86400, 1500), unit="s")
    current = pd.DataFrame({"x": rng.normal(0, 1, 1500), "at": later})
    current.loc[current["at"] >= "2024-02-03", "x"] += 1.0
    result = window_drift(ibis.memtable(reference), ibis.memtable(current), time_column="at", window="day")
    assert list(result["window"]) == list(pd.to_datetime(["2024-02-01", "2024-02-02", "2024-02-03"]))
    assert set(result["band"]) == {"reference"}
    assert list(result["alert"]) == [False, False, True]
    one_day = current[(current["at"] >= "2024-02-02") & (current["at"] < "2024-02-03")]
    alone = row(drift(reference[["x"]], one_day[["x"]]), "x")
    assert result.iloc[1]["effect_size"] == pytest.approx(alone["effect_size"], rel=1e-12)
    fixed = window_drift(ibis.memtable(reference), ibis.memtable(current), time_column="at", band="fixed")
    assert list(fixed["alert"]) == list(fixed["drifted"])


def test_ks_stays_exact_when_a_bin_left_alone_is_chosen_after_the_dense_bins_split() -> None:
    # 100,000 normal values a side in 256 fine bins: splitting the dense bins moves the KS bound onto a fine bin
    # the first scan had not chosen; the exact pass must read all of its rows (it once dropped them)
    rng = np.random.default_rng(1)
    reference, current = pd.DataFrame({"x": rng.normal(0, 1, 100_000)}), pd.DataFrame({"x": rng.normal(0, 1, 100_000)})
    result = row(drift(reference, current, numeric_method="ks", resolution=256), "x")
    assert result["effect_size"] == pytest.approx(stats.ks_2samp(reference["x"], current["x"]).statistic, rel=1e-12)
    deciles = np.quantile(reference["x"], np.arange(1, 10) / 10, method="inverted_cdf")
    assert result["details"]["psi_edges"] == pytest.approx(list(deciles), rel=1e-12)


def _days(rng: np.random.Generator, start: str, days: int, rows: int) -> pd.Series:
    return pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days * 86400, rows), unit="s")


def test_windows_smaller_than_the_reference_windows_get_a_band_scaled_to_their_size() -> None:
    rng = np.random.default_rng(11)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 200_000), "c": rng.choice(["a", "b", "c"], 200_000),
                              "at": _days(rng, "2024-01-01", 10, 200_000)})
    current = pd.DataFrame({"x": rng.normal(0, 1, 3000), "c": rng.choice(["a", "b", "c"], 3000),
                            "at": _days(rng, "2024-02-01", 6, 3000)})
    late = current["at"] >= "2024-02-06"
    current.loc[late, "x"] += 0.4
    current.loc[late, "c"] = rng.choice(["a", "b", "c"], int(late.sum()), p=[0.6, 0.2, 0.2])
    result = window_drift(ibis.memtable(reference), ibis.memtable(current), time_column="at", window="day")
    quiet = result[result["window"] < "2024-02-06"]
    assert not quiet["alert"].any(), quiet[["column", "window", "effect_size", "upper"]]
    assert result[result["window"] == "2024-02-06"]["alert"].all()
    # the band of a 500-row window is wider than that of a 20,000-row reference window would be
    ks_of_noise = stats.ks_2samp(reference["x"][:20_000], reference["x"][20_000:40_000]).statistic
    assert quiet[quiet["column"] == "x"]["upper"].min() > 2 * ks_of_noise


def test_window_drift_reads_the_cdfs_to_within_its_tolerance_and_exactly_at_zero() -> None:
    rng = np.random.default_rng(12)
    reference = pd.DataFrame({"x": rng.lognormal(0, 1.5, 40_000), "at": _days(rng, "2024-01-01", 4, 40_000)})
    current = pd.DataFrame({"x": rng.lognormal(0.02, 1.5, 30_000), "at": _days(rng, "2024-02-01", 3, 30_000)})
    for tolerance in (1e-2, 0.0):
        result = window_drift(ibis.memtable(reference), ibis.memtable(current), time_column="at", window="day",
                              numeric_method="ks", cdf_tolerance=tolerance, resolution=256)
        for start, found in zip(result["window"], result.itertuples(), strict=True):
            day = current[(current["at"] >= start) & (current["at"] < start + pd.Timedelta(days=1))]["x"]
            exact = stats.ks_2samp(reference["x"], day).statistic
            details = found.details
            assert exact - details["ks_bound"] - 1e-12 <= found.effect_size <= exact + 1e-12
            assert details["ks_bound"] <= tolerance
            shares = np.array(details["reference_counts"]) / len(reference)
            assert np.abs(shares - 0.1).max() <= tolerance + 1e-12
            if tolerance == 0:
                assert found.effect_size == pytest.approx(exact, rel=1e-12)
                assert details["psi_edges"] == pytest.approx(list(np.quantile(reference["x"], np.arange(1, 10) / 10,
                                                                              method="inverted_cdf")))


# ---------------------------------------------------------------- engines


def test_the_same_numbers_on_duckdb_and_spark(engine: Any, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reference, current = (frame.head(1200) for frame in frames)
    rng = np.random.default_rng(2)
    current = current.assign(at=pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 3 * 86400, 1200),
                                                                               unit="s"))
    expected = drift(reference, current.drop(columns="at"), resolution=16)
    windows = window_drift(ibis.memtable(reference), ibis.memtable(current), time_column="at", resolution=16)
    ref, cur = table(engine, reference), table(engine, current)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # PySpark on pandas 3
        result = column_drift(ref, cur, columns=list(reference.columns), resolution=16)
        segments = column_drift(ref, cur, by="segment", resolution=16)
        per_window = window_drift(ref, cur, time_column="at", resolution=16)
    numbers = ["statistic", "effect_size", "p_value", "n_reference", "n_current"]
    np.testing.assert_allclose(result[numbers].to_numpy(float), expected[numbers].to_numpy(float), rtol=1e-9)
    assert list(result["drifted"]) == list(expected["drifted"])
    np.testing.assert_allclose(per_window[numbers].to_numpy(float), windows[numbers].to_numpy(float), rtol=1e-9)
    assert list(per_window["window"]) == list(windows["window"])
    north = segments[segments["segment"] == "north"].set_index("column")["effect_size"]
    alone = drift(reference[reference["segment"] == "north"], current[current["segment"] == "north"].drop(
        columns="at"))
    np.testing.assert_allclose(north.to_numpy(), alone.set_index("column")["effect_size"].drop("segment").to_numpy(),
                               rtol=1e-9)


# ---------------------------------------------------------------- multivariate


def test_a_domain_classifier_finds_a_shift_in_correlation_that_no_column_shows() -> None:
    rng = np.random.default_rng(11)
    n = 3000
    a, b = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
    b[:, 1] = 0.9 * b[:, 0] + math.sqrt(1 - 0.81) * b[:, 1]
    reference, current = pd.DataFrame(a, columns=["u", "v", "w"]), pd.DataFrame(b, columns=["u", "v", "w"])
    assert not drift(reference, current)["drifted"].any()
    result = domain_classifier_drift(ibis.memtable(reference), ibis.memtable(current), sample_size=2000, folds=3)
    assert result.drifted
    assert result.auc > 0.7
    assert result.p_value < 1e-6
    assert set(list(result.importances)[:2]) == {"u", "v"}
    same = domain_classifier_drift(ibis.memtable(reference), ibis.memtable(pd.DataFrame(
        rng.normal(size=(n, 3)), columns=["u", "v", "w"])), sample_size=2000, folds=3)
    assert not same.drifted
    assert same.auc < 0.55


# ---------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(("options", "parameter"), [
    ({"columns": ["normal", "nope"]}, "columns"),
    ({"by": "region"}, "by"),
    ({"bins": 1}, "bins"),
    ({"alpha": 1.5}, "alpha"),
    ({"wasserstein_tolerance": -1}, "wasserstein_tolerance"),
    ({"thresholds": {"wasserstien": 0.1}}, "thresholds"),
    ({"numeric_method": "t_test"}, "numeric_method"),
    ({"categorical": ["nope"]}, "categorical"),
])
def test_bad_parameters_raise_a_parameter_error_naming_the_parameter(frames: tuple[pd.DataFrame, pd.DataFrame],
                                                                       options: dict[str, Any], parameter: str) -> None:
    with pytest.raises(ParameterError, match=rf"^{parameter} must be"):
        drift(*frames, **options)


def test_an_empty_table_raises_a_parameter_error_naming_it(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reference, current = frames
    with pytest.raises(ParameterError, match=r"^reference must be a table with at least one row"):
        drift(reference.head(0), current)
    with pytest.raises(ParameterError, match=r"^current must be"):
        drift(reference, current.head(0))
    with pytest.raises(ParameterError, match=r"^reference must be an Ibis table"):
        column_drift(reference, ibis.memtable(current))  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"^time_column must be"):
        window_drift(ibis.memtable(reference), ibis.memtable(current), time_column="at")
