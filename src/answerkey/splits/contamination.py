"""Contamination across train, validation and test: the same or nearly the same item on both sides of a split.

Six tiers, from the most certain to the most circumstantial, each a pair of items in two different splits
(``conflicting_labels`` also within one split):

- ``exact``: the same inputs after normalisation (texts by :func:`~answerkey.splits.minhash.normalise_text`,
  numbers rounded to 40 significant bits, about 12 decimal digits; a hash of the row's input columns);
- ``near_text``: texts whose word n-gram shingle sets have Jaccard index at or above ``threshold``, found by
  MinHash LSH and re-checked exactly (:mod:`answerkey.splits.minhash`);
- ``near_numeric``: numeric rows within ``numeric_distance`` of each other, the root mean square difference
  over the standardised numeric columns;
- ``group``: the same group (customer, patient, conversation...) in two splits;
- ``temporal``: a validation or test item not after the newest training item, in a split meant to be by time;
- ``conflicting_labels``: identical inputs with different labels.

Pairs name one item of each side, the one in the earlier split first (train, validation, test, then other
split names in sorted order). Where many items are the same thing, a pair names a representative instead
of every combination: an exact duplicate or a group names the first item (in item-id order) of the earlier
split, so the number of pairs grows with the items, not with their square.

References
----------
.. [1] Lee, K. et al. (2022). Deduplicating training data makes language models better. ACL.
.. [2] Kapoor, S., Narayanan, A. (2023). Leakage and the reproducibility crisis in machine-learning-based
   science. Patterns 4(9).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from answerkey.errors import ParameterError
from answerkey.findings import Finding, Severity
from answerkey.splits import _contamination_inputs as inputs
from answerkey.splits.minhash import near_duplicate_documents, shingle_hashes

__all__ = [
    "NUMERIC_DISTANCE",
    "PAIR_COLUMNS",
    "SPLIT_ORDER",
    "TIERS",
    "contamination_findings",
    "contamination_pairs",
    "summary",
]

TIERS = ("exact", "near_text", "near_numeric", "group", "temporal", "conflicting_labels")
SPLIT_ORDER = inputs.SPLIT_ORDER
PAIR_COLUMNS = ("tier", "item", "other_item", "split", "other_split", "similarity", "detail")
NUMERIC_DISTANCE = 0.01
"""Default ``numeric_distance``: rows whose standardised columns differ by 0.01 standard deviation (root mean
square over the columns) or less. With one or two numeric columns natural neighbours fall this close in a
large set; the tier is meant for rows of several features."""
_PARTS = ("left", "right", "similarity", "detail")


def contamination_pairs(
    items: pd.DataFrame, *, split: str = "split", item_id: str = "item_id", text_columns: Sequence[str] = (),
    numeric_columns: Sequence[str] = (), group: str | None = None, time: str | None = None,
    label: str | None = None, threshold: float = 0.8, ngram: int = 3, num_perm: int = 128,
    numeric_distance: float = NUMERIC_DISTANCE, seed: int = 1,
) -> pd.DataFrame:
    """Every contaminated pair of items across splits, tier by tier.

    Parameters
    ----------
    items
        One row per item: its id, its split and the columns named below. Rows without a split are ignored.
    split, item_id
        The split column (``train``, ``validation``, ``test`` or any other names) and the unique item id.
    text_columns, numeric_columns
        The inputs. Text columns feed ``exact`` and ``near_text`` (their shingle sets are united, shingles
        tagged by column); numeric columns feed ``exact`` and ``near_numeric`` (rows with a missing numeric
        value are left out of ``near_numeric``). Rows whose inputs are all missing or empty are left out of
        ``exact`` and ``conflicting_labels``.
    group, time, label
        Optional columns for the ``group``, ``temporal`` and ``conflicting_labels`` tiers (missing values
        ignored). ``time`` holds datetimes, ISO 8601 text or numbers; its tier needs a ``train`` split.
    threshold
        Jaccard index in (0, 1] from which two texts are near duplicates.
    ngram
        Words per shingle; a text shorter than that is one shingle of all its words.
    num_perm, seed
        MinHash permutations and their seed (datasketch's, so signatures equal datasketch's ``MinHash``).
    numeric_distance
        Largest root mean square difference of standardised numeric columns for a numeric near duplicate.

    Returns
    -------
    pandas.DataFrame
        One row per pair, columns ``PAIR_COLUMNS``: ``item`` in ``split`` is in the earlier split (for
        ``conflicting_labels`` within one split, the first by id). ``similarity`` is 1.0 for ``exact`` and
        ``conflicting_labels``, the exact Jaccard index for ``near_text``, ``1 / (1 + distance)`` for
        ``near_numeric`` (the distance is in ``detail``) and NaN for ``group`` and ``temporal``. Sorted by
        tier (``TIERS`` order), then the two splits, then the items. Near tiers leave out what ``exact``
        already reports: a ``near_text`` pair of identical texts, or a ``near_numeric`` pair, whose later
        item has an exact duplicate in the other split.

    Examples
    --------
    >>> frame = pd.DataFrame({"item_id": ["a", "b", "c"], "split": ["train", "test", "test"],
    ...                       "text": ["Refund not received", "refund, NOT received!", "reset my password"]})
    >>> contamination_pairs(frame, text_columns=["text"])[["tier", "item", "other_item"]].to_dict("records")
    [{'tier': 'exact', 'item': 'a', 'other_item': 'b'}]
    """
    inputs.validate(items, split=split, item_id=item_id, text_columns=text_columns,
                    numeric_columns=numeric_columns, group=group, time=time, label=label, threshold=threshold,
                    ngram=ngram, num_perm=num_perm, numeric_distance=numeric_distance, seed=seed)
    prepared = inputs.prepare(items, split, item_id, list(text_columns), list(numeric_columns))
    exact = _exact(prepared)
    exact_codes = (exact["right"] * len(prepared.names) + prepared.ranks[exact["left"]]).to_numpy()
    parts = {
        "exact": exact,
        "near_text": _near_text(prepared, exact_codes, threshold, ngram, num_perm, seed),
        "near_numeric": _near_numeric(prepared, exact_codes, numeric_distance),
        "group": _group(prepared, items, group) if group else _empty(),
        "temporal": _temporal(prepared, items, time) if time else _empty(),
        "conflicting_labels": _conflicting(prepared, items, label) if label else _empty(),
    }
    return _assemble(prepared, parts)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"left": np.zeros(0, np.int64), "right": np.zeros(0, np.int64),
                         "similarity": np.zeros(0), "detail": np.zeros(0, dtype=object)})


def _exact(prepared: inputs.Prepared) -> pd.DataFrame:
    """Each item whose inputs occur in an earlier split, paired with that split's first such item."""
    rows = np.flatnonzero(prepared.has_input)
    frame = pd.DataFrame({"key": prepared.exact_key[rows], "rank": prepared.ranks[rows], "row": rows})
    first = frame.groupby(["key", "rank"], sort=False)["row"].agg(["min", "size"]).reset_index()
    joined = frame.merge(first, on="key", suffixes=("", "_other"))
    joined = joined[joined["rank_other"] < joined["rank"]]
    names = np.asarray(prepared.names, dtype=object)
    detail = (joined["size"].astype(str) + " " + names[joined["rank_other"].to_numpy()]
              + " item(s) have these inputs after normalisation")
    return pd.DataFrame({"left": joined["min"].to_numpy(), "right": joined["row"].to_numpy(),
                         "similarity": 1.0, "detail": detail.to_numpy()})


def _near_text(prepared: inputs.Prepared, exact_codes: np.ndarray, threshold: float, ngram: int, num_perm: int,
               seed: int) -> pd.DataFrame:
    """Documents (distinct normalised texts within a split) near each other, expanded back to items."""
    rows = np.flatnonzero(prepared.has_text)
    if not len(rows) or not prepared.texts:
        return _empty()
    frame = pd.DataFrame({"rank": prepared.ranks[rows], "key": prepared.text_key[rows], "row": rows})
    document = frame.groupby(["rank", "key"], sort=False).ngroup().to_numpy()
    firsts = frame.groupby(document)["row"].min().to_numpy()
    parts = [shingle_hashes([column[r] for r in firsts], ngram, column=c)
             for c, column in enumerate(prepared.texts)]
    hashes = np.concatenate([p[0] for p in parts])
    documents = np.concatenate([p[1] for p in parts])
    if len(parts) > 1:
        order = np.argsort(documents, kind="stable")
        hashes, documents = hashes[order], documents[order]
    earlier, later, similarity = near_duplicate_documents(
        hashes, documents, prepared.ranks[firsts], threshold=threshold, num_perm=num_perm, seed=seed)
    found = pd.DataFrame({"document": later, "left": firsts[earlier], "similarity": similarity})
    joined = found.merge(pd.DataFrame({"document": document, "right": rows}), on="document")
    left, right = joined["left"].to_numpy(), joined["right"].to_numpy()
    same_text = prepared.text_key[left] == prepared.text_key[right]
    keep = ~(same_text & np.isin(right * len(prepared.names) + prepared.ranks[left], exact_codes))
    joined, same_text = joined[keep], same_text[keep]
    detail = np.where(same_text, "the same text; other inputs differ",
                      "Jaccard " + joined["similarity"].round(3).astype(str) + f" over word {ngram}-grams")
    return pd.DataFrame({"left": joined["left"].to_numpy(), "right": joined["right"].to_numpy(),
                         "similarity": joined["similarity"].to_numpy(), "detail": detail})


def _near_numeric(prepared: inputs.Prepared, exact_codes: np.ndarray, numeric_distance: float) -> pd.DataFrame:
    """For each item, its nearest neighbour in each earlier split, when within ``numeric_distance``."""
    values = prepared.numeric
    if values.shape[1] == 0:
        return _empty()
    complete = ~np.isnan(values).any(axis=1)
    if not complete.any():
        return _empty()
    mean = values[complete].mean(axis=0)
    spread = values[complete].std(axis=0)
    scaled = (values - mean) / np.where(spread > 0, spread, 1.0)
    columns = values.shape[1]
    bound = numeric_distance * math.sqrt(columns)
    found = []
    for earlier in range(len(prepared.names)):
        base = np.flatnonzero(complete & (prepared.ranks == earlier))
        if not len(base):
            continue
        tree = cKDTree(scaled[base])
        later_rows = np.flatnonzero(complete & (prepared.ranks > earlier))
        later_rows = later_rows[~np.isin(later_rows * len(prepared.names) + earlier, exact_codes)]
        if not len(later_rows):
            continue
        distance, nearest = tree.query(scaled[later_rows], k=1, distance_upper_bound=bound * (1 + 1e-9) + 1e-12)
        hit = np.isfinite(distance) & (distance / math.sqrt(columns) <= numeric_distance)
        rms = distance[hit] / math.sqrt(columns)
        found.append(pd.DataFrame({
            "left": base[nearest[hit]], "right": later_rows[hit], "similarity": 1.0 / (1.0 + rms),
            "detail": [f"distance {d:.3g} (root mean square over {columns} standardised columns)" for d in rms],
        }))
    return pd.concat(found, ignore_index=True) if found else _empty()


def _group(prepared: inputs.Prepared, items: pd.DataFrame, group: str) -> pd.DataFrame:
    """One pair per group and pair of splits, naming the first item of the group on each side."""
    values = items[group].to_numpy(dtype=object)[prepared.source]
    present = ~pd.isna(values)
    rows = np.flatnonzero(present)
    codes, uniques = pd.factorize(pd.Series(values[rows], dtype=object).map(inputs.hashable))
    frame = pd.DataFrame({"code": codes, "rank": prepared.ranks[rows], "row": rows})
    first = frame.groupby(["code", "rank"])["row"].agg(["min", "size"]).reset_index()
    joined = first.merge(first, on="code", suffixes=("", "_other"))
    joined = joined[joined["rank"] < joined["rank_other"]]
    names = prepared.names
    detail = [f"{group}={inputs.plain(uniques[code])!r}: {n} {names[a]} and {m} {names[b]} item(s)"
              for code, n, a, m, b in zip(joined["code"], joined["size"], joined["rank"], joined["size_other"],
                                          joined["rank_other"], strict=True)]
    return pd.DataFrame({"left": joined["min"].to_numpy(), "right": joined["min_other"].to_numpy(),
                         "similarity": np.nan, "detail": np.asarray(detail, dtype=object)})


def _temporal(prepared: inputs.Prepared, items: pd.DataFrame, time: str) -> pd.DataFrame:
    """Items of later splits not after the newest training item, each paired with that training item."""
    if "train" not in prepared.names:
        return _empty()
    stamps = inputs.times(items[time])[prepared.source]
    train = prepared.names.index("train")
    known = ~pd.isna(stamps)
    training = np.flatnonzero(known & (prepared.ranks == train))
    if not len(training):
        return _empty()
    newest = training[int(np.argmax(stamps[training]))]
    limit = stamps[newest]
    late = np.flatnonzero(known & (prepared.ranks != train))
    late = late[stamps[late] <= limit]
    shown = inputs.time_text(stamps)
    detail = [f"{time} {shown[row]} is not after the newest train item's {shown[newest]}" for row in late]
    return pd.DataFrame({"left": np.full(len(late), newest), "right": late, "similarity": np.nan,
                         "detail": np.asarray(detail, dtype=object)})


def _conflicting(prepared: inputs.Prepared, items: pd.DataFrame, label: str) -> pd.DataFrame:
    """Items whose inputs equal an earlier item's (the first of their inputs) but whose label differs."""
    labels = items[label].to_numpy(dtype=object)[prepared.source]
    rows = np.flatnonzero(prepared.has_input & ~pd.isna(labels))
    codes, uniques = pd.factorize(pd.Series(labels[rows], dtype=object).map(inputs.hashable))
    frame = pd.DataFrame({"key": prepared.exact_key[rows], "row": rows, "code": codes})
    grouped = frame.groupby("key")
    frame["first"] = grouped["row"].transform("min")
    frame["labels"] = grouped["code"].transform("nunique")
    frame["size"] = grouped["row"].transform("size")
    first_code = frame.set_index("row")["code"]
    frame["first_code"] = first_code.loc[frame["first"].to_numpy()].to_numpy()
    frame = frame[frame["code"] != frame["first_code"]]
    detail = [f"label {inputs.plain(uniques[b])!r} vs {inputs.plain(uniques[a])!r} on identical inputs "
              f"({n} items, {k} labels)"
              for a, b, n, k in zip(frame["code"], frame["first_code"], frame["size"], frame["labels"],
                                    strict=True)]
    return pd.DataFrame({"left": frame["first"].to_numpy(), "right": frame["row"].to_numpy(),
                         "similarity": 1.0, "detail": np.asarray(detail, dtype=object)})


def _assemble(prepared: inputs.Prepared, parts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The pairs of every tier as one frame of ids and split names, in tier, split and item order."""
    frames = [part[list(_PARTS)].assign(tier=TIERS.index(tier)) for tier, part in parts.items() if len(part)]
    every = pd.concat(frames, ignore_index=True) if frames else _empty().assign(tier=np.zeros(0, np.int64))
    left, right = every["left"].to_numpy(np.int64), every["right"].to_numpy(np.int64)
    order = np.lexsort((right, left, prepared.ranks[right], prepared.ranks[left], every["tier"].to_numpy()))
    left, right, every = left[order], right[order], every.iloc[order]
    names = np.asarray(prepared.names, dtype=object)
    return pd.DataFrame({
        "tier": np.asarray(TIERS, dtype=object)[every["tier"].to_numpy(np.int64)],
        "item": prepared.ids[left],
        "other_item": prepared.ids[right],
        "split": names[prepared.ranks[left]],
        "other_split": names[prepared.ranks[right]],
        "similarity": every["similarity"].to_numpy(np.float64),
        "detail": every["detail"].to_numpy(object),
    })


_WHAT = {
    "exact": "the same inputs in {split} and {other_split}",
    "near_text": "near-duplicate text in {split} and {other_split}",
    "near_numeric": "near-duplicate numeric row in {split} and {other_split}",
    "group": "the same group in {split} and {other_split}",
    "temporal": "{other_split} item not after the newest {split} item",
    "conflicting_labels": "identical inputs with different labels",
}
_BLOCKING = ("exact", "group", "temporal", "conflicting_labels")


def _severity(tier: str, split: str, other_split: str) -> Severity:
    """Error for a certain tier that reaches the test split; warning otherwise (near tiers always warn)."""
    return Severity.ERROR if tier in _BLOCKING and "test" in (split, other_split) else Severity.WARNING


def contamination_findings(pairs: pd.DataFrame, limit_per_tier: int | None = None) -> list[Finding]:
    """The pairs of :func:`contamination_pairs` as findings, at most ``limit_per_tier`` of each tier.

    ``check`` is ``contamination.<tier>``; ``where`` names both items and their splits; ``score`` is the
    similarity (None where it is NaN); ``evidence`` holds both items, both splits, the similarity and the
    detail. Severity: ``error`` for ``exact``, ``group``, ``temporal`` and ``conflicting_labels`` pairs that
    involve the test split (an estimate on test is then optimistic), ``warning`` for those between train and
    validation and for the near tiers, which are likely but not certain duplicates.

    >>> frame = pd.DataFrame({"item_id": ["a", "b"], "split": ["train", "test"], "text": ["Hi there", "hi there"]})
    >>> [f.where for f in contamination_findings(contamination_pairs(frame, text_columns=["text"]))]
    ['item a (train) ~ item b (test)']
    """
    if not isinstance(pairs, pd.DataFrame) or not set(PAIR_COLUMNS) <= set(pairs.columns):
        raise ParameterError.invalid("pairs", f"a frame with columns {', '.join(PAIR_COLUMNS)}",
                                     type(pairs).__name__ if not isinstance(pairs, pd.DataFrame)
                                     else list(pairs.columns))
    if limit_per_tier is not None and (not isinstance(limit_per_tier, numbers.Integral) or limit_per_tier < 0
                                       or isinstance(limit_per_tier, bool)):
        raise ParameterError.invalid("limit_per_tier", "None or an integer >= 0", limit_per_tier)
    # pairs that reach the test split first in each tier: a limit keeps the ones that bias the estimate
    reaches_test = (pairs["split"].astype(str) == "test") | (pairs["other_split"].astype(str) == "test")
    tier_rank = pd.factorize(pairs["tier"])[0]
    ordered = pairs.iloc[np.lexsort((~reaches_test.to_numpy(dtype=bool), tier_rank))]
    shown = ordered if limit_per_tier is None else ordered.groupby("tier", sort=False).head(int(limit_per_tier))
    findings = []
    for row in shown.itertuples(index=False):
        tier, split, other = str(row.tier), str(row.split), str(row.other_split)
        value = float(row.similarity)  # type: ignore[arg-type]
        similarity = None if math.isnan(value) else value
        item, other_item = inputs.plain(row.item), inputs.plain(row.other_item)
        evidence: dict[str, Any] = {"item": item, "other_item": other_item, "split": split, "other_split": other,
                                    "similarity": similarity, "detail": str(row.detail)}
        findings.append(Finding(
            f"contamination.{tier}", f"{_WHAT.get(tier, tier).format(split=split, other_split=other)}: {row.detail}",
            f"item {item} ({split}) ~ item {other_item} ({other})", _severity(tier, split, other), similarity,
            evidence))
    return findings


def summary(pairs: pd.DataFrame) -> dict[str, int]:
    """The number of pairs in each tier, every tier present (zero when none).

    >>> summary(pd.DataFrame({"tier": ["exact", "exact", "group"]}))["exact"]
    2
    """
    if not isinstance(pairs, pd.DataFrame) or "tier" not in pairs.columns:
        raise ParameterError.invalid("pairs", "a frame with a tier column", type(pairs).__name__)
    counts = pairs["tier"].value_counts()
    return {tier: int(counts.get(tier, 0)) for tier in TIERS}
