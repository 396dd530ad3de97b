"""Releases: freeze the current ground truth, list, show, diff and export them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, insert

from answerkey.errors import NotFoundError, ParameterError, StoreError
from answerkey.io.labelstudio import label_studio_tasks
from answerkey.project.workspace import Workspace
from answerkey.quality.aggregation import ADJUDICATED, consensus, default_method, latest_per_annotator
from answerkey.releases import ReleaseDiff, diff_release_labels, release_hash
from answerkey.schema import LabelingSchema, dump_schema
from answerkey.store import integrity, reads, writes
from answerkey.store import tables as t
from answerkey.store.chain import items_hash

__all__ = [
    "EXPORT_FORMATS",
    "Release",
    "create_release",
    "diff_releases",
    "export_release",
    "freeze_release",
    "get_release",
    "list_releases",
]

EXPORT_FORMATS = ("parquet", "csv", "jsonl", "label-studio")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class Release:
    """A frozen snapshot of ground truth: its name, content hash, schema version and labels."""

    name: str
    content_hash: str
    schema_version: int
    method: str
    annotation_watermark: int
    item_count: int
    created_at: Any
    note: str | None
    labels: pd.DataFrame
    items_hash: str | None = None

    def status_counts(self) -> dict[str, int]:
        """How many items are agreed, disputed, outdated, unlabeled."""
        return {str(k): int(v) for k, v in self.labels["status"].value_counts().sort_index().items()}

    def label_counts(self) -> dict[str, int]:
        """How many items carry each label."""
        return {str(k): int(v) for k, v in self.labels["label"].dropna().value_counts().sort_index().items()}

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary without the per-item labels."""
        return {
            "name": self.name,
            "content_hash": self.content_hash,
            "items_hash": self.items_hash,
            "schema_version": self.schema_version,
            "method": self.method,
            "annotation_watermark": self.annotation_watermark,
            "items": self.item_count,
            "created_at": str(self.created_at),
            "note": self.note,
            "status_counts": self.status_counts(),
            "label_counts": self.label_counts(),
        }


def current_labels(
    connection: Connection, schema: LabelingSchema, exclude_sources: tuple[str, ...], up_to: int | None = None,
    method: str = "majority", authority: tuple[str, ...] = (), item_ids: set[str] | None = None,
) -> tuple[str, pd.DataFrame]:
    """The method used (with its authority policy) and the ground-truth label of every item (or of ``item_ids``
    and the items judged), from the annotations up to ``up_to``.

    ``auto`` picks Dawid-Skene when every judged item has three or more judgements, majority vote otherwise.
    """
    annotations = reads.annotations_frame(connection, up_to=up_to, exclude_sources=exclude_sources)
    item_ids = reads.item_id_lookup(connection) if item_ids is None else item_ids | set(annotations["item_id"])
    crowd = latest_per_annotator(annotations[annotations["source"] != ADJUDICATED])
    if method == "auto":
        method = default_method(crowd)
    labels = release_shape(consensus(annotations, method, authority=authority), crowd, schema.label_names,
                           item_ids)
    return method_description(method, authority), labels


def method_description(method: str, authority: tuple[str, ...]) -> str:
    """What a release records as its method: ``dawid-skene; authority adjudicated>expert``."""
    return f"{method}; authority {'>'.join(authority)}" if authority else method


def parse_method(description: str) -> tuple[str, tuple[str, ...]]:
    """The method and authority policy back from :func:`method_description`."""
    method, _, policy = description.partition("; authority ")
    return method, tuple(policy.split(">")) if policy else ()


def release_shape(result: pd.DataFrame, crowd: pd.DataFrame, valid: list[str], item_ids: set[str]) -> pd.DataFrame:
    """Consensus in the release shape: crowd judgement counts, outdated labels marked, unlabeled items added."""
    result = result.copy()
    result["n_judgements"] = result["item_id"].map(crowd.groupby("item_id").size()).fillna(0).astype("int64")
    result.loc[(result["status"] == "agreed") & ~result["label"].isin(valid), "status"] = "outdated"
    missing = sorted(item_ids - set(result["item_id"]))
    empty = pd.DataFrame({"item_id": missing, "label": None, "confidence": np.nan, "status": "unlabeled",
                          "n_judgements": 0})
    frame = pd.concat([result.drop(columns="method"), empty], ignore_index=True) if missing else result.drop(
        columns="method")
    frame["label"] = frame["label"].astype(object).where(frame["label"].notna(), None)
    frame["confidence"] = frame["confidence"].astype(float)
    frame["n_judgements"] = frame["n_judgements"].astype("int64")
    order = np.argsort(frame["item_id"].to_numpy(dtype=str), kind="stable")
    return frame.iloc[order].reset_index(drop=True)[["item_id", "label", "confidence", "status", "n_judgements"]]


def create_release(workspace: Workspace, name: str, *, note: str | None = None) -> Release:
    """Freeze the current ground truth under ``name``; its id is a sha256 of its content."""
    with workspace.transaction() as connection:
        freeze_release(connection, workspace, name, note)
    return get_release(workspace, name)


def freeze_release(connection: Connection, workspace: Workspace, name: str, note: str | None = None) -> Release:
    """Freeze the current ground truth under ``name`` in the caller's transaction; its id is a sha256 of its
    content."""
    if not NAME_PATTERN.match(name):
        raise ParameterError.invalid("release name", "letters, digits, '.', '_' or '-' (up to 128)", name)
    schema = workspace.schema()
    if reads.release_row(connection, name) is not None:
        raise StoreError(f"release {name!r} exists already; releases never change, so pick a new name")
    writes.register_schema(connection, schema)
    watermark = reads.annotation_watermark(connection)
    config = workspace.config
    method, labels = current_labels(connection, schema, config.exclude_sources, watermark, config.consensus_method,
                                    config.authority)
    digest = release_hash(labels, schema.version, schema.content_hash, method)
    items_digest = items_hash(integrity.item_content_hashes(connection, set(labels["item_id"])))
    created_at = writes.utcnow()
    connection.execute(insert(t.releases).values(
        name=name, content_hash=digest, schema_version=schema.version, method=method,
        annotation_watermark=watermark, item_count=len(labels), created_at=created_at, note=note,
        items_hash=items_digest))
    rows = [{"release_name": name, "item_id": r["item_id"], "label": r["label"],
             "confidence": None if pd.isna(r["confidence"]) else float(r["confidence"]), "status": r["status"],
             "n_judgements": int(r["n_judgements"])} for r in writes.records(labels)]
    for start in range(0, len(rows), 50_000):
        connection.execute(insert(t.release_labels), rows[start:start + 50_000])
    return Release(name=name, content_hash=digest, schema_version=schema.version, method=method,
                   annotation_watermark=watermark, item_count=len(labels), created_at=created_at, note=note,
                   labels=labels, items_hash=items_digest)


def get_release(workspace: Workspace, name: str) -> Release:
    """A release by name, with its labels."""
    with workspace.reading() as connection:
        row = reads.release_row(connection, name)
        if row is None:
            known = [r["name"] for r in reads.release_rows(connection)]
            hint = f"; releases: {', '.join(known)}" if known else "; no release yet (`answerkey release create NAME`)"
            raise NotFoundError(f"no release named {name!r}{hint}")
        labels = reads.release_labels_frame(connection, name)
    return Release(
        name=row["name"], content_hash=row["content_hash"], schema_version=row["schema_version"],
        method=row["method"], annotation_watermark=row["annotation_watermark"], item_count=row["item_count"],
        created_at=row["created_at"], note=row["note"], labels=labels, items_hash=row["items_hash"],
    )


def list_releases(workspace: Workspace) -> list[dict[str, Any]]:
    """Every release's row (name, hash, schema version, method, items, created), oldest first."""
    with workspace.reading() as connection:
        return reads.release_rows(connection)


def diff_releases(workspace: Workspace, old: str, new: str) -> ReleaseDiff:
    """Items added, removed and relabeled from release ``old`` to ``new``."""
    before, after = get_release(workspace, old), get_release(workspace, new)
    return diff_release_labels(old, before.labels, new, after.labels)


def export_release(workspace: Workspace, name: str, format: str, out: str | Path) -> list[Path]:
    """Write a release to folder ``out``: its labels, the items and annotations it was cut from, and its schema.

    Importing the items and annotations into a new workspace with that schema and cutting a release gives
    the same content hash: an export is a complete, portable copy of the ground truth. A release whose labels,
    header, schema or items no longer match its hashes is refused.
    """
    if format not in EXPORT_FORMATS:
        raise ParameterError.invalid("format", f"one of {', '.join(EXPORT_FORMATS)}", format)
    from answerkey.project.release_check import verified_release  # it builds on this module

    release = verified_release(workspace, name, items=True)  # never export a release changed since it was cut
    with workspace.reading() as connection:
        registered = reads.schemas(connection)
        schema = registered[release.schema_version]
        annotations = reads.annotations_frame(connection, up_to=release.annotation_watermark)
        items = reads.items_frame(connection)
    items = items[items["item_id"].isin(set(release.labels["item_id"]))]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "schema.yaml", out / "release.json"]
    (out / "schema.yaml").write_text(dump_schema(schema), encoding="utf-8")
    for version in sorted(set(annotations["schema_version"].astype(int)) - {release.schema_version}):
        older = out / "schemas" / f"v{version}.yaml"
        older.parent.mkdir(exist_ok=True)
        older.write_text(dump_schema(registered[version]), encoding="utf-8")
        written.append(older)
    (out / "release.json").write_text(json.dumps(release.summary(), indent=2, default=str) + "\n", encoding="utf-8")
    annotations = annotations.drop(columns=["annotation_id"])
    if format == "label-studio":
        path = out / "label-studio.json"
        tasks = label_studio_tasks(_item_records(items), writes.records(annotations))
        path.write_text(json.dumps(tasks, indent=1, default=str, ensure_ascii=False), encoding="utf-8")
        return [*written, path]
    item_table = _flat_items(items)
    for stem, frame in (("items", item_table), ("annotations", annotations), ("labels", release.labels)):
        written.append(_write_frame(frame, out / f"{stem}.{format}", format))
    return written


def _item_records(items: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"item_id": r["item_id"], "payload": r["payload"]} for r in writes.records(items)]


def _flat_items(items: pd.DataFrame) -> pd.DataFrame:
    payload = pd.DataFrame(list(items["payload"]), index=items.index) if len(items) else pd.DataFrame(index=items.index)
    base = items[["item_id", "group_id", "segment", "created_at"]]
    clash = [c for c in payload.columns if c in base.columns]
    return pd.concat([base, payload.drop(columns=clash)], axis=1).reset_index(drop=True)


def _write_frame(frame: pd.DataFrame, path: Path, format: str) -> Path:
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].map(lambda v: None if pd.isna(v) else v.isoformat() + "Z")
    if format == "parquet":
        frame.to_parquet(path, index=False)
    elif format == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True, force_ascii=False, date_format="iso")
    return path
