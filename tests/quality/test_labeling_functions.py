"""Labeling functions: loaded from a rules file, applied to items, measured like Snorkel's LFAnalysis, combined."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from answerkey.errors import AnswerkeyError, ParameterError
from answerkey.quality.labeling_functions import (
    ABSTAIN,
    ANALYSIS_COLUMNS,
    LabelingFunction,
    LabelingFunctionError,
    analyse_labeling_functions,
    apply_labeling_functions,
    combine_labeling_functions,
    labeling_function,
    load_labeling_functions,
    summarise_labeling_functions,
)

# Seven support tickets; i5 matches no rule. Votes of the fixture's rules (b = billing, t = technical):
#
#   item  text                        lf_refund  lf_invoice  lf_broken  votes  distinct labels
#   i1    refund my invoice           b          b           .          2      1
#   i2    refund, the app is broken   b          .           t          2      2
#   i3    invoice missing             .          b           .          1      1
#   i4    screen broken               .          .           t          1      1
#   i5    hello                       .          .           .          0      0
#   i6    broken invoice link         .          b           t          2      2
#   i7    refund invoice broken       b          b           t          3      2
#
# coverage (votes / 7):                         refund 3/7, invoice 4/7, broken 4/7, never 0
# overlap (votes on items with >= 2 votes / 7): refund 3/7 (i1 i2 i7), invoice 3/7 (i1 i6 i7),
#                                               broken 3/7 (i2 i6 i7)
# conflict (votes on items with >= 2 labels):   refund 2/7 (i2 i7), invoice 2/7 (i6 i7), broken 3/7 (i2 i6 i7)
# all functions: coverage 6/7 (all but i5), overlap 4/7 (i1 i2 i6 i7), conflict 3/7 (i2 i6 i7)
ITEMS = pd.DataFrame({
    "item_id": ["i1", "i2", "i3", "i4", "i5", "i6", "i7"],
    "text": ["refund my invoice", "refund, the app is broken", "invoice missing", "screen broken", "hello",
             "broken invoice link", "refund invoice broken"],
    "segment": ["web", "app", "web", "app", "web", "app", "web"],
})

RULES = """
from answerkey.quality.labeling_functions import ABSTAIN, labeling_function


def lf_refund(item):
    return "billing" if "refund" in item["text"] else ABSTAIN


@labeling_function(name="lf_invoice")
def invoice_rule(item):
    return "billing" if "invoice" in item["text"] else None


@labeling_function
def lf_broken(item):
    if "broken" in item["text"]:
        return "technical"
    return ABSTAIN


def lf_never(item):
    return ABSTAIN


def helper(item):
    return "not a labeling function"
"""

SQL_RULES = """
SQL = {
    "lf_refund": "CASE WHEN text LIKE '%refund%' THEN 'billing' END",
    "lf_invoice": "CASE WHEN text LIKE '%invoice%' THEN 'billing' END",
    "lf_broken": "CASE WHEN text LIKE '%broken%' THEN 'technical' ELSE NULL END",
    "lf_never": "NULL",
}
"""

# Expert labels for five of the items (none for i3 and i5). Votes on them, right (+) or wrong (-):
#   lf_refund  i1 b+  i2 b-  i7 b+        -> 2 of 3
#   lf_invoice i1 b+  i6 b-  i7 b+        -> 2 of 3 (its i3 vote has no trusted label)
#   lf_broken  i2 t+  i4 t+  i6 t+  i7 t- -> 3 of 4
TRUSTED = pd.DataFrame({"item_id": ["i1", "i2", "i4", "i6", "i7"],
                        "label": ["billing", "technical", "technical", "technical", "billing"]})


def rules_file(tmp_path: Path, text: str, name: str = "rules.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def votes(tmp_path: Path) -> pd.DataFrame:
    return apply_labeling_functions(load_labeling_functions(rules_file(tmp_path, RULES)), ITEMS)


def wilson_by_hand(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """(p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)."""
    p = k / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def test_a_rules_file_yields_lf_functions_and_decorated_ones_in_definition_order(tmp_path: Path) -> None:
    functions = load_labeling_functions(rules_file(tmp_path, RULES + SQL_RULES.replace("lf_", "sql_")))
    assert [f.name for f in functions] == ["lf_refund", "lf_invoice", "lf_broken", "lf_never",
                                           "sql_refund", "sql_invoice", "sql_broken", "sql_never"]
    assert [f.kind for f in functions] == ["python"] * 4 + ["sql"] * 4
    assert {f.source for f in functions} == {str(tmp_path / "rules.py")}


def test_the_votes_table_is_long_with_abstains_left_out(votes: pd.DataFrame) -> None:
    assert list(votes.columns) == ["item_id", "function", "label"]
    by_function = votes.groupby("function", observed=False)["item_id"].agg(list).to_dict()
    assert by_function == {"lf_refund": ["i1", "i2", "i7"], "lf_invoice": ["i1", "i3", "i6", "i7"],
                           "lf_broken": ["i2", "i4", "i6", "i7"], "lf_never": []}
    assert votes["label"].notna().all()
    assert "i5" not in set(votes["item_id"])


def test_coverage_overlap_and_conflict_match_the_hand_computed_values(votes: pd.DataFrame) -> None:
    table = analyse_labeling_functions(votes, n_items=len(ITEMS)).set_index("function")
    assert list(table.reset_index().columns) == list(ANALYSIS_COLUMNS)
    assert table["n_votes"].tolist() == [3, 4, 4, 0]
    np.testing.assert_allclose(table["coverage"], np.array([3, 4, 4, 0]) / 7)
    np.testing.assert_allclose(table["overlap"], np.array([3, 3, 3, 0]) / 7)
    np.testing.assert_allclose(table["conflict"], np.array([2, 2, 3, 0]) / 7)
    assert table["polarity"].tolist() == [("billing",), ("billing",), ("technical",), ()]


def test_the_summary_counts_items_with_any_vote_two_votes_and_two_labels(votes: pd.DataFrame) -> None:
    summary = summarise_labeling_functions(votes, n_items=len(ITEMS))
    assert (summary.n_items, summary.n_functions, summary.n_votes) == (7, 4, 11)
    assert summary.coverage == pytest.approx(6 / 7)
    assert summary.overlap == pytest.approx(4 / 7)
    assert summary.conflict == pytest.approx(3 / 7)


def test_without_n_items_the_denominator_is_the_items_voted_on(votes: pd.DataFrame) -> None:
    table = analyse_labeling_functions(votes).set_index("function")
    np.testing.assert_allclose(table["coverage"], np.array([3, 4, 4, 0]) / 6)
    assert summarise_labeling_functions(votes).coverage == 1.0
    with pytest.raises(ParameterError, match="n_items must be an integer of at least the 6 items"):
        analyse_labeling_functions(votes, n_items=5)


def test_accuracy_against_trusted_labels_equals_the_hand_count_with_a_wilson_interval(votes: pd.DataFrame) -> None:
    table = analyse_labeling_functions(votes, TRUSTED, n_items=7).set_index("function")
    assert table["n_trusted"].tolist() == [3, 3, 4, 0]
    np.testing.assert_allclose(table["accuracy"].iloc[:3], [2 / 3, 2 / 3, 3 / 4])
    for name, (k, n) in {"lf_refund": (2, 3), "lf_invoice": (2, 3), "lf_broken": (3, 4)}.items():
        assert (table.loc[name, "accuracy_low"], table.loc[name, "accuracy_high"]) == pytest.approx(
            wilson_by_hand(k, n))
    # 3 of 4 by hand: p = 0.75, z^2/n = 0.9604, centre 1.2302 / 1.9604 = 0.6275, half 0.3269 -> (0.3006, 0.9544)
    interval = table.loc["lf_broken", ["accuracy_low", "accuracy_high"]].to_numpy(dtype=float)
    np.testing.assert_allclose(interval, [0.3006, 0.9544], atol=5e-5)
    assert table.loc["lf_never", ["accuracy", "accuracy_low", "accuracy_high"]].isna().all()


def test_the_wilson_interval_equals_statsmodels(votes: pd.DataFrame) -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    table = analyse_labeling_functions(votes, TRUSTED, n_items=7, confidence=0.9).set_index("function")
    for name, (k, n) in {"lf_refund": (2, 3), "lf_broken": (3, 4)}.items():
        low, high = proportion.proportion_confint(k, n, alpha=0.1, method="wilson")
        assert (table.loc[name, "accuracy_low"], table.loc[name, "accuracy_high"]) == pytest.approx((low, high))


def test_without_trusted_labels_the_accuracy_columns_are_there_and_empty(votes: pd.DataFrame) -> None:
    table = analyse_labeling_functions(votes, n_items=7)
    assert list(table.columns) == list(ANALYSIS_COLUMNS)
    assert (table["n_trusted"] == 0).all()
    assert table[["accuracy", "accuracy_low", "accuracy_high"]].isna().all().all()


def test_trusted_labels_must_be_one_per_item(votes: pd.DataFrame) -> None:
    twice = pd.concat([TRUSTED, pd.DataFrame({"item_id": ["i1"], "label": ["technical"]})])
    with pytest.raises(ParameterError, match=r"trusted must be one label per item.*'i1'"):
        analyse_labeling_functions(votes, twice)
    repeated = pd.concat([TRUSTED, TRUSTED])
    assert analyse_labeling_functions(votes, repeated)["n_trusted"].tolist() == [3, 3, 4, 0]


def test_none_and_abstain_both_abstain_and_missing_values_reach_functions_as_none() -> None:
    assert ABSTAIN is None
    seen: list[object] = []

    def lf_text(item: dict[str, object]) -> str | None:
        seen.append(item["text"])
        return "has_text" if item["text"] is not None else ABSTAIN

    items = pd.DataFrame({"item_id": ["a", "b", "c"], "text": ["x", None, np.nan]})
    votes = apply_labeling_functions([LabelingFunction("lf_text", function=lf_text)], items)
    assert votes[["item_id", "label"]].values.tolist() == [["a", "has_text"]]
    assert seen == ["x", None, None]


def test_a_function_that_always_abstains_still_gets_a_row_with_zero_coverage(votes: pd.DataFrame) -> None:
    table = analyse_labeling_functions(votes, n_items=7).set_index("function")
    assert list(table.loc["lf_never", ["n_votes", "coverage", "overlap", "conflict"]]) == [0, 0, 0, 0]


def test_sql_functions_vote_exactly_like_the_equivalent_python_ones(tmp_path: Path, votes: pd.DataFrame) -> None:
    from_sql = apply_labeling_functions(load_labeling_functions(rules_file(tmp_path, SQL_RULES, "sql.py")), ITEMS)
    pd.testing.assert_frame_equal(from_sql, votes)
    pd.testing.assert_frame_equal(analyse_labeling_functions(from_sql, TRUSTED, 7),
                                  analyse_labeling_functions(votes, TRUSTED, 7))


def test_store_items_have_their_payload_fields_flattened_for_python_and_sql(tmp_path: Path) -> None:
    stored = pd.DataFrame({"item_id": ITEMS["item_id"], "payload": [{"text": t} for t in ITEMS["text"]],
                           "segment": ITEMS["segment"]})
    python = load_labeling_functions(rules_file(tmp_path, RULES))
    sql = load_labeling_functions(rules_file(tmp_path, SQL_RULES, "sql.py"))
    expected = apply_labeling_functions(python, ITEMS)
    pd.testing.assert_frame_equal(apply_labeling_functions(python, stored), expected)
    pd.testing.assert_frame_equal(apply_labeling_functions(sql, stored), expected)


def test_a_file_that_fails_to_import_names_the_file_the_line_and_the_error(tmp_path: Path) -> None:
    path = rules_file(tmp_path, "import math\n\nKEYWORDS = undefined_name\n")
    with pytest.raises(LabelingFunctionError, match=r"rules\.py: cannot load .*line 3: NameError") as caught:
        load_labeling_functions(path)
    assert caught.value.file == str(path)
    broken = rules_file(tmp_path, "def lf_x(item)\n    return None\n", "broken.py")
    with pytest.raises(LabelingFunctionError, match=r"broken\.py: cannot load .*line 1: SyntaxError"):
        load_labeling_functions(broken)


def test_a_missing_file_and_a_file_without_functions_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LabelingFunctionError, match=r"nope\.py: no such file"):
        load_labeling_functions(tmp_path / "nope.py")
    with pytest.raises(LabelingFunctionError, match="defines no labeling function"):
        load_labeling_functions(rules_file(tmp_path, "def helper(item):\n    return 'x'\n"))


def test_two_functions_with_one_name_are_refused(tmp_path: Path) -> None:
    text = RULES + "\nSQL = {'lf_refund': \"'billing'\"}\n"
    with pytest.raises(LabelingFunctionError, match="two labeling functions are named 'lf_refund'"):
        load_labeling_functions(rules_file(tmp_path, text))


def test_a_function_that_raises_names_the_file_the_function_and_the_item(tmp_path: Path) -> None:
    path = rules_file(tmp_path, """
        def lf_shout(item):
            return "billing" if item["txt"].isupper() else None
    """)
    with pytest.raises(LabelingFunctionError) as caught:
        apply_labeling_functions(load_labeling_functions(path), ITEMS)
    error = caught.value
    assert (error.file, error.function, error.item_id) == (str(path), "lf_shout", "i1")
    assert str(error).startswith(f"{path}: labeling function 'lf_shout' on item 'i1': raised KeyError")
    assert "did you mean 'text'?" in str(error)
    assert isinstance(error, AnswerkeyError)
    assert isinstance(error, ValueError)


def test_a_function_returning_a_non_string_names_the_file_the_function_and_the_item(tmp_path: Path) -> None:
    path = rules_file(tmp_path, """
        def lf_count(item):
            return len(item["text"]) if item["item_id"] == "i3" else None
    """)
    with pytest.raises(LabelingFunctionError, match=r"rules\.py: labeling function 'lf_count' on item 'i3': "
                                                    r"returned 15 \(int\); return a non-empty label string"):
        apply_labeling_functions(load_labeling_functions(path), ITEMS)


def test_an_sql_function_of_the_wrong_type_or_a_bad_column_names_the_function(tmp_path: Path) -> None:
    typed = rules_file(tmp_path, "SQL = {'lf_len': \"CASE WHEN text LIKE '%invoice%' THEN length(text) END\"}\n")
    with pytest.raises(LabelingFunctionError, match=r"'lf_len' on item 'i1': returned 17 \(BIGINT\).*or NULL"):
        apply_labeling_functions(load_labeling_functions(typed), ITEMS)
    unknown = rules_file(tmp_path, "SQL = {'lf_body': \"CASE WHEN body LIKE '%x%' THEN 'a' END\"}\n", "bad.py")
    with pytest.raises(LabelingFunctionError, match=r"bad\.py: labeling function 'lf_body': its SQL failed: .*body"):
        apply_labeling_functions(load_labeling_functions(unknown), ITEMS)


def test_the_decorator_only_marks_the_function() -> None:
    @labeling_function(name="renamed")
    def rule(item: dict[str, object]) -> str | None:
        return "x"

    assert rule({"item_id": "a"}) == "x"
    assert rule.__answerkey_labeling_function__ == "renamed"  # type: ignore[attr-defined]
    with pytest.raises(ParameterError, match="name must be a non-empty string or None"):
        labeling_function(name="")


def test_majority_of_the_functions_gives_the_expected_labels(votes: pd.DataFrame) -> None:
    # i1 b,b -> billing; i2 b,t -> tie; i3 b; i4 t; i5 no vote; i6 b,t -> tie; i7 b,b,t -> billing (2/3)
    combined = combine_labeling_functions(votes, method="majority").set_index("item_id")
    assert list(combined.index) == ["i1", "i2", "i3", "i4", "i6", "i7"]
    assert combined["label"].tolist() == ["billing", None, "billing", "technical", None, "billing"]
    assert combined["status"].tolist() == ["agreed", "disputed", "agreed", "agreed", "disputed", "agreed"]
    assert combined.loc["i7", "confidence"] == pytest.approx(2 / 3)


def test_combining_accepts_every_consensus_method_and_refuses_others(votes: pd.DataFrame) -> None:
    combined = combine_labeling_functions(votes, method="dawid-skene")
    assert list(combined.columns) == ["item_id", "label", "confidence", "status", "method"]
    assert set(combined["item_id"]) == {"i1", "i2", "i3", "i4", "i6", "i7"}
    with pytest.raises(ParameterError, match="method must be one of"):
        combine_labeling_functions(votes, method="snorkel")


def test_the_analysis_does_not_depend_on_vote_order(votes: pd.DataFrame) -> None:
    shuffled = votes.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(analyse_labeling_functions(shuffled, TRUSTED, 7),
                                  analyse_labeling_functions(votes, TRUSTED, 7))
