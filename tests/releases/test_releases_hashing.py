"""A release's content hash: same ground truth, same hash; any change to what was frozen, another hash."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from answerkey.releases import RELEASE_FORMAT, release_hash

SCHEMA_HASH = "a" * 64


def labels() -> pd.DataFrame:
    return pd.DataFrame({
        "item_id": ["T1", "T2", "T3", "T4"],
        "label": pd.Series(["billing", None, "account", None], dtype=object),
        "confidence": [1.0, 0.5, 2 / 3, np.nan],
        "status": ["agreed", "disputed", "agreed", "unlabeled"],
        "n_judgements": [2, 2, 3, 0],
    })


def digest(frame: pd.DataFrame, schema_version: int = 1, schema_hash: str = SCHEMA_HASH,
           method: str = "majority") -> str:
    return release_hash(frame, schema_version, schema_hash, method)


def test_the_hash_is_the_documented_canonical_serialisation() -> None:
    golden = (
        '{"format": "answerkey.release/1", "method": "majority", "schema_hash": "' + SCHEMA_HASH + '", '
        '"schema_version": 1}\n'
        '["T1","billing","1.000000000","agreed",2]\n'
        '["T2",null,"0.500000000","disputed",2]\n'
        '["T3","account","0.666666667","agreed",3]\n'
        '["T4",null,null,"unlabeled",0]\n'
    )
    assert RELEASE_FORMAT == "answerkey.release/1"
    assert digest(labels()) == hashlib.sha256(golden.encode()).hexdigest()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_hash_does_not_depend_on_row_order_or_index(seed: int) -> None:
    shuffled = labels().sample(frac=1.0, random_state=seed)
    assert digest(shuffled) == digest(labels())
    assert digest(shuffled.reset_index(drop=True)) == digest(labels())


def test_the_hash_does_not_depend_on_column_order_or_extra_columns() -> None:
    frame = labels()
    reordered = frame[["status", "n_judgements", "item_id", "confidence", "label"]].assign(note="x")
    assert digest(reordered) == digest(frame)


def test_items_are_ordered_by_code_point_not_by_locale_or_number() -> None:
    ids = ["b", "item10", "A", "item2", "a", "Z", "é"]
    frame = pd.DataFrame({"item_id": ids, "label": "x", "confidence": 1.0, "status": "agreed", "n_judgements": 1})
    assert digest(frame) == digest(frame.iloc[::-1])
    assert digest(frame) == digest(frame.sort_values("item_id"))


def _changed(column: str, value: object, row: int = 0) -> pd.DataFrame:
    frame = labels()
    frame[column] = frame[column].astype(object)
    frame.at[row, column] = value
    return frame


@pytest.mark.parametrize("frame", [
    pytest.param(_changed("label", "technical"), id="a-label"),
    pytest.param(_changed("label", None), id="a-label-removed"),
    pytest.param(_changed("label", "billing", row=1), id="a-label-given"),
    pytest.param(_changed("status", "outdated"), id="a-status"),
    pytest.param(_changed("confidence", 0.9), id="a-confidence"),
    pytest.param(_changed("confidence", np.nan), id="a-confidence-dropped"),
    pytest.param(_changed("n_judgements", 3), id="a-judgement-count"),
    pytest.param(_changed("item_id", "T9"), id="an-item-id"),
    pytest.param(labels().iloc[1:], id="an-item-removed"),
    pytest.param(pd.concat([labels(), labels().iloc[[0]].assign(item_id="T5")]), id="an-item-added"),
])
def test_changing_what_was_frozen_changes_the_hash(frame: pd.DataFrame) -> None:
    assert digest(frame) != digest(labels())


@pytest.mark.parametrize("kwargs", [
    pytest.param({"schema_hash": "b" * 64}, id="schema-hash"),
    pytest.param({"schema_version": 2}, id="schema-version"),
    pytest.param({"method": "dawid-skene"}, id="method"),
])
def test_changing_the_schema_or_the_method_changes_the_hash(kwargs: dict[str, object]) -> None:
    assert digest(labels(), **kwargs) != digest(labels())  # type: ignore[arg-type]


def test_a_missing_confidence_hashes_the_same_as_nan_or_none() -> None:
    with_nan = labels()
    with_none = labels().assign(confidence=pd.Series([1.0, 0.5, 2 / 3, None], dtype=object))
    assert with_none.at[3, "confidence"] is None
    assert digest(with_none) == digest(with_nan)


def test_a_missing_label_hashes_the_same_as_nan_or_none() -> None:
    with_none = labels()
    with_nan = labels().assign(label=pd.Series(["billing", np.nan, "account", np.nan], dtype=object))
    assert digest(with_nan) == digest(with_none)


def test_confidences_equal_to_nine_decimals_hash_alike_across_backends() -> None:
    stored = labels().assign(confidence=[1.0, 0.5, 0.6666666666666667, np.nan])
    rounded = labels().assign(confidence=[1.0, 0.5000000000001, 0.66666666667, np.nan])
    assert digest(stored) == digest(rounded)


def test_numpy_and_python_scalars_hash_alike() -> None:
    frame = labels()
    as_python = frame.astype(object)
    as_python["n_judgements"] = [int(n) for n in frame["n_judgements"]]
    assert digest(as_python) == digest(frame.assign(n_judgements=frame["n_judgements"].astype("int32")))


def test_an_empty_release_has_a_hash_of_its_header_alone() -> None:
    empty = labels().iloc[:0]
    assert len(digest(empty)) == 64
    assert digest(empty) != digest(empty, schema_hash="b" * 64)
    assert digest(empty) != digest(labels())


@pytest.mark.parametrize("text", ["T1", "é and ü", 'quote " and backslash \\', "new\nline\ttab", "\u2028\x00\x1f",
                                  "emoji 🙂"])
def test_each_record_is_written_exactly_as_json_dumps_writes_it(text: str) -> None:
    from answerkey.releases.hashing import _record

    for record in ([text, text, "0.500000000", text, 3], [text, None, None, "unlabeled", 0]):
        assert _record(*record) == json.dumps(record, separators=(",", ":"), ensure_ascii=False)
