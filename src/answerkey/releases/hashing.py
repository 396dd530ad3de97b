"""The content hash of a release: same ground truth, same hash, on any store backend."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd

__all__ = ["RELEASE_FORMAT", "release_hash"]

RELEASE_FORMAT = "answerkey.release/1"


def _confidence_text(value: float | None) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return f"{float(value):.9f}"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def release_hash(labels: pd.DataFrame, schema_version: int, schema_hash: str, method: str) -> str:
    """sha256 over a canonical serialisation of the labels, the item set, the schema and the method.

    Items are ordered by code point of their id (not by any database collation) and confidences are written
    with nine decimals, so SQLite and PostgreSQL give the same hash for the same ground truth.
    """
    order = np.argsort(labels["item_id"].to_numpy(dtype=str), kind="stable")
    ordered = labels.iloc[order]
    digest = hashlib.sha256()
    header = {"format": RELEASE_FORMAT, "schema_version": int(schema_version), "schema_hash": schema_hash,
              "method": method}
    digest.update(json.dumps(header, sort_keys=True).encode() + b"\n")
    for item_id, label, confidence, status, n in zip(
        ordered["item_id"], ordered["label"], ordered["confidence"], ordered["status"], ordered["n_judgements"],
        strict=True,
    ):
        record = [str(item_id), None if _missing(label) else str(label), _confidence_text(confidence), str(status),
                  int(n)]
        digest.update(json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()
