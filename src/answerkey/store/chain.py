"""Hashes that make stored ground truth checkable (pure): the annotation log's hash chain and items' content hashes.

The annotation log is chained: each appended annotation gets an entry in ``annotation_chain`` whose
``chain_hash = sha256(previous entry's chain_hash + sha256(canonical row))``, entries in the order their
transactions committed, from :data:`GENESIS`. A row changed, deleted or slipped in without the store's writer
breaks the link at its entry (or the next one). Each item carries the sha256 of its canonical content, and each
release the :func:`items_hash` of its items, so a changed payload is found and named.

The canonical forms are fixed by :data:`CHAIN_FORMAT` and :data:`ITEM_FORMAT`: values are normalised as both
stores return them (timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff``, confidences as Python's shortest float text,
keys as hex), so a row hashes the same written on SQLite or PostgreSQL, and the same when read back.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

__all__ = [
    "ANNOTATION_CHAIN_COLUMNS",
    "CHAIN_FORMAT",
    "GENESIS",
    "ITEM_FORMAT",
    "ITEM_HASH_COLUMNS",
    "annotation_line",
    "annotation_lines",
    "chain_hashes",
    "item_content_hash",
    "items_hash",
    "link",
    "row_digest",
    "row_digests",
]

CHAIN_FORMAT = "answerkey.annotation-chain/1"
ITEM_FORMAT = "answerkey.item/1"
GENESIS = hashlib.sha256(CHAIN_FORMAT.encode()).digest()
"""The chain hash before the first annotation."""

ANNOTATION_CHAIN_COLUMNS = (
    "item_id", "annotator_id", "label", "source", "schema_version", "created_at", "confidence", "note",
    "import_id", "recorded_at", "judgement_key",
)
"""The columns of an annotation row that its chain hash covers, in this order (everything but its id)."""
ITEM_HASH_COLUMNS = ("item_id", "payload", "group_id", "segment", "created_at")
"""The columns of an item that its content hash covers."""

STAMP = "%Y-%m-%d %H:%M:%S.%f"
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_quote = json.encoder.encode_basestring  # json's own string encoder (C), as _encode writes strings
_payload = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NaTType", "NAType")  # pandas' missing markers, without importing pandas


def _stamp(value: Any) -> str | None:
    """A timestamp in the store's one text form, whether given as text or as the datetime a driver returns."""
    if type(value) is str and len(value) == 26 and value[10] == " ":
        return value  # already the form timestamp_text writes
    if _missing(value):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).strftime(STAMP)
    return datetime.fromisoformat(str(value)).replace(tzinfo=None).strftime(STAMP)


def _text(value: Any) -> str | None:
    return None if _missing(value) else str(value)


def _json(text: str | None) -> str:
    return "null" if text is None else _quote(text)


def annotation_lines(rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The canonical bytes of each annotation row, its values in :data:`ANNOTATION_CHAIN_COLUMNS` order: the
    compact JSON array (``ensure_ascii=False``) of its text values, schema version and import id as numbers,
    timestamps in the store's text form, the confidence as ``repr(float)`` text, the judgement key as hex.

    Written out rather than through ``json.dumps``, with the timestamps of a batch converted once each: this runs
    once per appended row.
    """
    quote = _quote
    stamps: dict[Any, str] = {}

    def stamp(value: Any) -> str:
        try:
            return stamps[value]
        except KeyError:
            stamps[value] = text = _json(_stamp(value))
            return text
        except TypeError:  # unhashable (pandas' NA)
            return _json(_stamp(value))

    for (item_id, annotator_id, label, source, schema_version, created_at, confidence, note, import_id, recorded_at,
         judgement_key) in rows:
        yield (f"[{quote(str(item_id))},{quote(str(annotator_id))},{quote(str(label))},{quote(str(source))},"
               f"{int(schema_version)},{stamp(created_at)},"
               f"{'null' if _missing(confidence) else quote(repr(float(confidence)))},{_json(_text(note))},"
               f"{'null' if _missing(import_id) else int(import_id)},{stamp(recorded_at)},"
               f"\"{bytes(judgement_key).hex()}\"]").encode()


def annotation_line(row: Sequence[Any]) -> bytes:
    """The canonical bytes of one annotation row (:func:`annotation_lines`)."""
    return next(annotation_lines([row]))


def row_digests(rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """sha256 of each annotation row's canonical line (what its chain entry links)."""
    sha256 = hashlib.sha256
    return (sha256(line).digest() for line in annotation_lines(rows))


def row_digest(row: Sequence[Any]) -> bytes:
    """sha256 of one annotation row's canonical line."""
    return hashlib.sha256(annotation_line(row)).digest()


def link(previous: bytes | None, digest: bytes) -> bytes:
    """One link of the chain: sha256 of the previous chain hash (:data:`GENESIS` for none) and a row digest."""
    return hashlib.sha256((previous or GENESIS) + digest).digest()


def chain_hashes(previous: bytes | None, digests: Iterable[bytes]) -> Iterator[bytes]:
    """The chain hashes of rows with ``digests`` (in commit order) following an entry whose hash is ``previous``."""
    sha256 = hashlib.sha256
    current = previous or GENESIS
    for digest in digests:
        current = sha256(current + digest).digest()
        yield current


def item_content_hash(row: Mapping[str, Any]) -> str:
    """sha256 (hex) of an item's canonical content: id, payload (canonical JSON), group, segment, time."""
    payload = row["payload"]
    record = [ITEM_FORMAT, str(row["item_id"]), None if payload is None else _payload(payload),
              _text(row.get("group_id")), _text(row.get("segment")), _stamp(row.get("created_at"))]
    return hashlib.sha256(_encode(record).encode("utf-8")).hexdigest()


def items_hash(content_hashes: Mapping[str, str | None]) -> str:
    """sha256 (hex) over a release's items: each id with its content hash, in code-point order of the ids."""
    digest = hashlib.sha256((ITEM_FORMAT + "/set\n").encode())
    for item_id in sorted(content_hashes, key=lambda i: i.encode("utf-8")):
        digest.update(_encode([item_id, content_hashes[item_id]]).encode("utf-8") + b"\n")
    return digest.hexdigest()
