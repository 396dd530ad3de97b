"""Contamination across splits: every tier finds exactly the planted pairs, and nothing in a clean split."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from datasketch import MinHash

import answerkey.splits.minhash as minhash
from answerkey.errors import ParameterError
from answerkey.findings import Severity
from answerkey.splits import TIERS, contamination_findings, contamination_pairs, summary
from answerkey.splits.minhash import (
    datasketch_hashfunc,
    minhash_signatures,
    near_duplicate_documents,
    normalise_text,
    shingle_hashes,
)

NAN = np.nan
COLUMNS = ["item_id", "split", "text", "x", "y", "customer", "created", "label"]
ROWS = [
    ("T1", "train", "Refund not received for my order last week", NAN, NAN, "c1", "2026-01-01", "billing"),
    ("T2", "train", "the mobile app crashes every time i open the settings page on my phone", NAN, NAN, "c2",
     "2026-01-02", "technical"),
    ("T3", "train", "please help me change the billing address on my account today thanks", NAN, NAN, "c3",
     "2026-01-03", "billing"),
    ("T4", "train", "invoice totals look wrong", 10.0, 200.0, "c4", "2026-01-04", "billing"),
    ("T5", "train", "how do i export my data", NAN, NAN, "c9", "2026-01-05", "technical"),
    ("T6", "train", "cancel my subscription", NAN, NAN, "c6", "2026-01-06", "account"),
    ("T7", "train", "what is my password", NAN, NAN, "c7", "2026-01-07", "account"),
    ("T8", "train", "What is my password?", NAN, NAN, "c8", "2026-01-10", "technical"),
    ("T9", "train", "random other text about shipping delays", 50.0, 900.0, "c10", "2026-01-08", "billing"),
    ("V1", "validation", "i would like to upgrade my plan to premium", 30.0, 500.0, "c11", "2026-02-01", "billing"),
    ("V2", "validation", "delivery arrived damaged and broken box", 70.0, 100.0, "c12", "2026-02-02", "billing"),
    # exact: T1 in other case, spacing and punctuation
    ("S1", "test", "  refund NOT received, for my order -- last week! ", NAN, NAN, "c13", "2026-02-03", "billing"),
    # near text: T2 with its last word changed (Jaccard 11/13 over word 3-grams)
    ("S2", "test", "the mobile app crashes every time i open the settings page on my tablet", NAN, NAN, "c14",
     "2026-02-04", "technical"),
    # below the threshold: T3 with a middle word changed (Jaccard 7/13)
    ("S3", "test", "please help me change the shipping address on my account today thanks", NAN, NAN, "c17",
     "2026-02-04", "billing"),
    # near numeric: T4's numbers, x off by 0.001
    ("S4", "test", "totals on the invoice are wrong", 10.001, 200.0, "c18", "2026-02-04", "billing"),
    # group: customer c9, as T5
    ("S5", "test", "my screen goes blank after login", NAN, NAN, "c9", "2026-02-05", "technical"),
    # temporal: before T8, the newest train item
    ("S6", "test", "can i pay by bank transfer", NAN, NAN, "c15", "2026-01-09", "billing"),
    # exact and conflicting labels: T6 with another label
    ("S7", "test", "Cancel my subscription.", NAN, NAN, "c16", "2026-02-06", "billing"),
]
EXPECTED = [
    ("exact", "T1", "S1", "train", "test"),
    ("exact", "T6", "S7", "train", "test"),
    ("near_text", "T2", "S2", "train", "test"),
    ("near_numeric", "T4", "S4", "train", "test"),
    ("group", "T5", "S5", "train", "test"),
    ("temporal", "T8", "S6", "train", "test"),
    ("conflicting_labels", "T7", "T8", "train", "train"),
    ("conflicting_labels", "T6", "S7", "train", "test"),
]
EVERYTHING = {"text_columns": ["text"], "numeric_columns": ["x", "y"], "group": "customer", "time": "created",
              "label": "label"}


def fixture() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=COLUMNS)


def found(pairs: pd.DataFrame) -> list[tuple[str, str, str, str, str]]:
    return list(pairs[["tier", "item", "other_item", "split", "other_split"]].itertuples(index=False, name=None))


def test_every_tier_reports_exactly_the_planted_pairs() -> None:
    pairs = contamination_pairs(fixture(), **EVERYTHING)
    assert found(pairs) == EXPECTED
    assert list(pairs.columns) == ["tier", "item", "other_item", "split", "other_split", "similarity", "detail"]
    assert summary(pairs) == {"exact": 2, "near_text": 1, "near_numeric": 1, "group": 1, "temporal": 1,
                              "conflicting_labels": 2}


def test_the_pairs_do_not_depend_on_the_order_of_the_rows() -> None:
    shuffled = fixture().sample(frac=1.0, random_state=7).reset_index(drop=True)
    assert found(contamination_pairs(shuffled, **EVERYTHING)) == EXPECTED


def test_an_exact_duplicate_differs_only_in_case_whitespace_and_punctuation() -> None:
    assert normalise_text(ROWS[0][2]) == normalise_text(ROWS[11][2]) == "refund not received for my order last week"
    pairs = contamination_pairs(fixture(), text_columns=["text"])
    exact = pairs[pairs["tier"] == "exact"]
    assert found(exact) == EXPECTED[:2]
    assert exact["similarity"].tolist() == [1.0, 1.0]


def test_near_text_similarity_is_the_exact_jaccard_of_word_trigrams() -> None:
    pairs = contamination_pairs(fixture(), text_columns=["text"])
    near = pairs[pairs["tier"] == "near_text"]
    assert near["similarity"].tolist() == [pytest.approx(11 / 13)]


@pytest.mark.parametrize(("threshold", "expected"), [(0.9, []), (0.8, ["S2"]), (0.5, ["S2", "S3"])])
def test_the_threshold_decides_which_near_texts_are_reported(threshold: float, expected: list[str]) -> None:
    pairs = contamination_pairs(fixture(), text_columns=["text"], threshold=threshold)
    assert pairs.loc[pairs["tier"] == "near_text", "other_item"].tolist() == expected


def test_a_numeric_near_duplicate_is_within_the_distance_and_reports_it() -> None:
    pairs = contamination_pairs(fixture(), numeric_columns=["x", "y"])
    near = pairs[pairs["tier"] == "near_numeric"]
    assert found(near) == [("near_numeric", "T4", "S4", "train", "test")]
    distance = 1 / near["similarity"].iloc[0] - 1
    assert 0 < distance < 1e-4
    assert "root mean square over 2 standardised columns" in near["detail"].iloc[0]
    assert contamination_pairs(fixture(), numeric_columns=["x", "y"], numeric_distance=1e-6).empty


def test_a_clean_split_has_no_findings() -> None:
    clean = fixture()
    clean = clean[clean["item_id"].isin(["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T9", "V1", "V2", "S3"])]
    pairs = contamination_pairs(clean, **EVERYTHING, threshold=0.6)
    assert pairs.empty
    assert summary(pairs) == dict.fromkeys(TIERS, 0)
    assert contamination_findings(pairs) == []


def test_conflicting_labels_are_reported_within_one_split_too() -> None:
    train = fixture()[lambda f: f["split"] == "train"]
    pairs = contamination_pairs(train, text_columns=["text"], label="label")
    assert found(pairs) == [("conflicting_labels", "T7", "T8", "train", "train")]
    assert "'account' vs 'technical'" in pairs["detail"].iloc[0]


def test_each_finding_names_both_items_and_their_splits_test_pairs_first_in_each_tier() -> None:
    findings = contamination_findings(contamination_pairs(fixture(), **EVERYTHING))
    tiers = [tier for tier, *_ in EXPECTED]
    expected = sorted(EXPECTED, key=lambda e: (tiers.index(e[0]), "test" not in (e[3], e[4])))
    assert [f.check for f in findings] == [f"contamination.{tier}" for tier, *_ in expected]
    for finding, (_, item, other, split, other_split) in zip(findings, expected, strict=True):
        assert finding.where == f"item {item} ({split}) ~ item {other} ({other_split})"
        evidence = finding.evidence
        assert (evidence["item"], evidence["other_item"], evidence["split"], evidence["other_split"]) == (
            item, other, split, other_split)
    by_check = {f.check: f for f in findings}
    assert by_check["contamination.exact"].score == 1.0
    assert by_check["contamination.group"].score is None
    assert by_check["contamination.group"].evidence["similarity"] is None


def test_certain_tiers_reaching_test_are_errors_and_near_tiers_warnings() -> None:
    findings = contamination_findings(contamination_pairs(fixture(), **EVERYTHING))
    severities = {(f.check, f.evidence["other_split"]): f.severity for f in findings}
    assert severities[("contamination.exact", "test")] is Severity.ERROR
    assert severities[("contamination.group", "test")] is Severity.ERROR
    assert severities[("contamination.temporal", "test")] is Severity.ERROR
    assert severities[("contamination.conflicting_labels", "test")] is Severity.ERROR
    assert severities[("contamination.conflicting_labels", "train")] is Severity.WARNING
    assert severities[("contamination.near_text", "test")] is Severity.WARNING
    assert severities[("contamination.near_numeric", "test")] is Severity.WARNING


def test_an_exact_duplicate_between_train_and_validation_is_a_warning() -> None:
    frame = pd.DataFrame({"item_id": ["a", "b"], "split": ["validation", "train"],
                          "text": ["Same words", "same words"]})
    (finding,) = contamination_findings(contamination_pairs(frame, text_columns=["text"]))
    assert finding.where == "item b (train) ~ item a (validation)"
    assert finding.severity is Severity.WARNING


def test_findings_keep_at_most_the_limit_of_each_tier() -> None:
    pairs = contamination_pairs(fixture(), **EVERYTHING)
    limited = contamination_findings(pairs, limit_per_tier=1)
    assert [f.check for f in limited] == [f"contamination.{tier}" for tier in TIERS]


def test_many_copies_give_one_pair_per_later_item_not_every_combination() -> None:
    frame = pd.DataFrame({
        "item_id": ["t1", "t2", "t3", "v1", "s1", "s2"],
        "split": ["train", "train", "train", "validation", "test", "test"],
        "text": ["the same words"] * 6,
        "customer": ["c"] * 6,
    })
    pairs = contamination_pairs(frame, text_columns=["text"], group="customer")
    assert found(pairs) == [
        ("exact", "t1", "v1", "train", "validation"),
        ("exact", "t1", "s1", "train", "test"),
        ("exact", "t1", "s2", "train", "test"),
        ("exact", "v1", "s1", "validation", "test"),
        ("exact", "v1", "s2", "validation", "test"),
        ("group", "t1", "v1", "train", "validation"),
        ("group", "t1", "s1", "train", "test"),
        ("group", "v1", "s1", "validation", "test"),
    ]
    assert pairs["detail"].iloc[1] == "3 train item(s) have these inputs after normalisation"
    assert pairs["detail"].iloc[6] == "customer='c': 3 train and 2 test item(s)"


def test_an_exact_duplicate_is_not_reported_again_as_near_but_its_other_near_texts_are() -> None:
    words = "one two three four five six seven eight nine ten eleven twelve"
    frame = pd.DataFrame({"item_id": ["a", "b", "c"], "split": ["train", "train", "test"],
                          "text": [words, words + " thirteen", words.upper()], "x": [1.0, 1.0, 1.0]})
    pairs = contamination_pairs(frame, text_columns=["text"], numeric_columns=["x"])
    assert found(pairs) == [("exact", "a", "c", "train", "test"), ("near_text", "b", "c", "train", "test")]


def test_the_same_text_with_other_numbers_is_a_near_text_pair_of_similarity_one() -> None:
    frame = pd.DataFrame({"item_id": ["a", "b"], "split": ["train", "test"], "text": ["Hello there", "hello there"],
                          "amount": [1.0, 2.0]})
    pairs = contamination_pairs(frame, text_columns=["text"], numeric_columns=["amount"], numeric_distance=0.0)
    assert found(pairs) == [("near_text", "a", "b", "train", "test")]
    assert pairs["similarity"].tolist() == [1.0]
    assert pairs["detail"].tolist() == ["the same text; other inputs differ"]


def test_numbers_equal_after_rounding_are_exact_duplicates() -> None:
    frame = pd.DataFrame({"item_id": ["a", "b", "c"], "split": ["train", "test", "test"],
                          "x": [0.3, 0.1 + 0.2, 0.31], "y": [1, 1, 1]})
    pairs = contamination_pairs(frame, numeric_columns=["x", "y"])
    assert found(pairs) == [("exact", "a", "b", "train", "test")]


def test_temporal_pairs_need_a_time_column_and_accept_numbers() -> None:
    frame = pd.DataFrame({"item_id": ["a", "b", "c", "d"], "split": ["train", "train", "validation", "test"],
                          "step": [1, 5, 5, 9]})
    assert contamination_pairs(frame).empty
    pairs = contamination_pairs(frame, time="step")
    assert found(pairs) == [("temporal", "b", "c", "train", "validation")]
    assert pairs["detail"].tolist() == ["step 5 is not after the newest train item's 5"]


def test_items_without_a_split_are_left_out() -> None:
    frame = fixture()
    frame.loc[frame["item_id"] == "S1", "split"] = None
    pairs = contamination_pairs(frame, text_columns=["text"])
    assert "S1" not in set(pairs["other_item"])


def test_other_split_names_come_after_test_in_sorted_order() -> None:
    frame = pd.DataFrame({"item_id": ["a", "b", "c"], "split": ["zeta", "holdout", "test"], "text": ["x y z"] * 3})
    pairs = contamination_pairs(frame, text_columns=["text"])
    assert found(pairs) == [("exact", "c", "b", "test", "holdout"), ("exact", "c", "a", "test", "zeta"),
                            ("exact", "b", "a", "holdout", "zeta")]


def test_shingles_of_two_text_columns_are_kept_apart() -> None:
    frame = pd.DataFrame({"item_id": ["a", "b"], "split": ["train", "test"],
                          "subject": ["refund not received yet", ""], "body": ["", "refund not received yet"]})
    assert contamination_pairs(frame, text_columns=["subject", "body"], threshold=0.1).empty


@pytest.mark.parametrize(("arguments", "parameter"), [
    ({"split": "fold"}, "split"),
    ({"item_id": "id"}, "item_id"),
    ({"text_columns": ["txt"]}, "text_columns"),
    ({"text_columns": "text"}, "text_columns"),
    ({"numeric_columns": ["z"]}, "numeric_columns"),
    ({"numeric_columns": ["text"]}, "numeric_columns"),
    ({"group": "client"}, "group"),
    ({"time": "when"}, "time"),
    ({"time": "text"}, "time"),
    ({"label": "labels"}, "label"),
    ({"threshold": 0.0}, "threshold"),
    ({"threshold": 1.5}, "threshold"),
    ({"threshold": -0.2}, "threshold"),
    ({"ngram": 0}, "ngram"),
    ({"num_perm": 1}, "num_perm"),
    ({"numeric_distance": -1.0}, "numeric_distance"),
])
def test_bad_parameters_raise_a_parameter_error_naming_the_parameter(arguments: dict[str, object],
                                                                     parameter: str) -> None:
    with pytest.raises(ParameterError, match=rf"^{parameter} must be"):
        contamination_pairs(fixture(), **arguments)  # type: ignore[arg-type]


def test_repeated_item_ids_are_refused() -> None:
    frame = pd.concat([fixture(), fixture().head(1)])
    with pytest.raises(ParameterError, match=r"^item_id must be a column of unique ids"):
        contamination_pairs(frame, text_columns=["text"])


def test_a_threshold_of_one_keeps_only_identical_shingle_sets() -> None:
    pairs = contamination_pairs(fixture(), text_columns=["text"], threshold=1.0)
    assert set(pairs["tier"]) == {"exact"}


def test_findings_refuse_a_frame_that_is_not_pairs() -> None:
    with pytest.raises(ParameterError, match=r"^pairs must be"):
        contamination_findings(pd.DataFrame({"tier": ["exact"]}))
    with pytest.raises(ParameterError, match=r"^limit_per_tier must be"):
        contamination_findings(contamination_pairs(fixture(), text_columns=["text"]), limit_per_tier=-1)


def _texts(seed: int) -> list[str]:
    """A few hundred distinct short texts, many of them edited copies of one another (words changed, added)."""
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}" for i in range(300)]
    texts = []
    for _ in range(100):
        words = [str(w) for w in rng.choice(vocabulary, int(rng.integers(6, 40)))]
        texts.append(" ".join(words))
        for _ in range(3):
            copy = list(words)
            if rng.random() < 0.5:
                copy[int(rng.integers(0, len(copy)))] = str(rng.choice(vocabulary))
            if rng.random() < 0.3:
                copy[-1] = str(rng.choice(vocabulary))
            if rng.random() < 0.5:
                copy.append(str(rng.choice(vocabulary)))
            texts.append(" ".join(copy))
    return list(dict.fromkeys(texts))


def _brute_force(texts: list[str], ngram: int = 3) -> dict[tuple[int, int], float]:
    sets = []
    for text in texts:
        words = text.split()
        sets.append({tuple(words[i:i + ngram]) for i in range(max(len(words) - ngram + 1, 1))})
    return {(i, j): len(sets[i] & sets[j]) / len(sets[i] | sets[j])
            for i, j in itertools.combinations(range(len(texts)), 2)}


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8])
def test_minhash_near_text_agrees_with_brute_force_jaccard(threshold: float) -> None:
    texts = _texts(seed=3)
    order = np.random.default_rng(5).permutation(len(texts))
    frame = pd.DataFrame({"item_id": [f"i{k:03d}" for k in range(len(texts))], "text": texts,
                          "split": np.where(order % 2 == 0, "train", "test")})
    pairs = contamination_pairs(frame, text_columns=["text"], threshold=threshold)
    assert set(pairs["tier"]) == {"near_text"}
    truth = _brute_force(texts)
    split = frame["split"].to_numpy()
    index = {item: k for k, item in enumerate(frame["item_id"])}
    reported = {}
    for item, other, similarity in zip(pairs["item"], pairs["other_item"], pairs["similarity"], strict=True):
        key = tuple(sorted((index[item], index[other])))
        reported[key] = similarity
        assert similarity == pytest.approx(truth[key])
        assert truth[key] >= threshold
    strong = [key for key, j in truth.items() if j >= threshold + 0.1 and split[key[0]] != split[key[1]]]
    assert len(strong) >= 25
    recall = sum(key in reported for key in strong) / len(strong)
    assert recall >= 0.9


def test_signatures_equal_datasketch_minhash_of_the_same_shingles() -> None:
    texts = [normalise_text(t) for t in _texts(seed=1)[:40]] + ["", "two words"]
    hashes, documents = shingle_hashes(texts, ngram=3)
    signatures = minhash_signatures(hashes, documents, len(texts), num_perm=64, seed=9)
    for k, text in enumerate(texts):
        words = text.split()
        sketch = MinHash(num_perm=64, seed=9, hashfunc=datasketch_hashfunc)
        sketch.update_batch([tuple(words[i:i + 3]) for i in range(max(len(words) - 2, 1))] if words else [])
        assert np.array_equal(sketch.hashvalues, signatures[k])


def test_long_documents_are_folded_in_slices_to_the_same_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [normalise_text(t) for t in _texts(seed=2)[:30]]
    hashes, documents = shingle_hashes(texts, ngram=2)
    whole = minhash_signatures(hashes, documents, len(texts))
    monkeypatch.setattr(minhash, "SIGNATURE_CELLS", 128 * 5)
    assert np.array_equal(minhash_signatures(hashes, documents, len(texts)), whole)


def test_candidates_are_verified_the_same_in_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _texts(seed=4)
    hashes, documents = shingle_hashes(texts, ngram=3)
    ranks = np.arange(len(texts), dtype=np.int64) % 3
    whole = near_duplicate_documents(hashes, documents, ranks, threshold=0.6)
    monkeypatch.setattr(minhash, "CANDIDATES_PER_CHUNK", 7)
    chunked = near_duplicate_documents(hashes, documents, ranks, threshold=0.6, documents_per_chunk=50)
    assert len(whole[0]) > 20
    for ours, theirs in zip(whole, chunked, strict=True):
        assert np.array_equal(ours, theirs)
