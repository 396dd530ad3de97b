"""Behavioural labels in a workspace: definitions registered as versions, derivations recorded with every label
they found (immature ones too), and the mature labels written as ordinary annotations.

Derived labels go in as annotations of source ``behavioral`` by one annotator per definition
(``behavioral:<name>``), stamped with the derivation's ``as_of`` and a note naming the definition's version and
hash; a label is written only when it differs from what that annotator last said about the item, so deriving
again adds nothing unless a window matured or a new version changed a label. Immature labels are never
written: agreement, consensus and releases cannot count them as negatives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, insert, select

from answerkey.errors import NotFoundError, ParameterError
from answerkey.labels.definition import BehavioralDefinition
from answerkey.labels.derive import derive_behavioral
from answerkey.project.derived_writes import (
    append_derived_annotations,
    changed_labels,
    previous_labels,
    withdraw_labels,
)
from answerkey.project.workspace import Workspace
from answerkey.store import reads, writes
from answerkey.store import tables as t

__all__ = ["Derivation", "Registered", "definition_versions", "derive_labels", "flip_report", "register_definition"]


@dataclass(frozen=True)
class Registered:
    """The outcome of registering a definition: its version, hash, and whether the version is new."""

    name: str
    version: int
    content_hash: str
    created: bool
    latest: int
    """The newest version of the definition (what ``derive`` uses by default)."""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "content_hash": self.content_hash,
                "created": self.created, "latest": self.latest}


def register_definition(workspace: Workspace, definition: BehavioralDefinition) -> Registered:
    """Store ``definition`` as a new version unless one with the same content hash exists (then return it).

    Its labels must be labels of the workspace's schema, as any annotation's must.
    """
    schema = workspace.schema()
    allowed = set(schema.label_names)
    wrong = [label for label in (definition.labels.positive, definition.labels.negative)
             if label is not None and label not in allowed]
    if wrong:
        raise ParameterError(f"{definition.name}: labels {wrong} are not labels of schema v{schema.version} "
                             f"({', '.join(schema.label_names)})")
    digest = definition.content_hash()
    d = t.label_definitions.c
    with workspace.transaction() as connection:
        found = connection.execute(select(d.version).where((d.name == definition.name) & (d.content_hash == digest)))
        existing = found.scalar_one_or_none()
        latest = connection.execute(select(func.max(d.version)).where(d.name == definition.name)).scalar_one()
        if existing is not None:
            return Registered(definition.name, int(existing), digest, False, int(latest))
        version = int(latest or 0) + 1
        body = {**definition.model_dump(), "window_seconds": int(definition.window_length.total_seconds())}
        connection.execute(insert(t.label_definitions), [{
            "name": definition.name, "version": version, "kind": definition.kind, "content_hash": digest,
            "body": body, "registered_at": writes.utcnow()}])
    return Registered(definition.name, version, digest, True, version)


def definition_versions(workspace: Workspace, name: str | None = None) -> pd.DataFrame:
    """Registered definitions (name, version, kind, content_hash, registered_at, body), oldest first."""
    d = t.label_definitions.c
    query = select(d.name, d.version, d.kind, d.content_hash, d.registered_at, d.body).order_by(d.name, d.version)
    if name is not None:
        query = query.where(d.name == name)
    with workspace.reading() as connection:
        rows = connection.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=["name", "version", "kind", "content_hash",
                                                          "registered_at", "body"])


def _definition(connection: Connection, name: str, version: int | None) -> tuple[BehavioralDefinition, int, str]:
    d = t.label_definitions.c
    query = select(d.version, d.body, d.content_hash).where(d.name == name)
    query = query.where(d.version == version) if version is not None else query.order_by(d.version.desc())
    row = connection.execute(query.limit(1)).first()
    if row is None:
        known = connection.execute(select(d.name).distinct()).scalars().all()
        what = f"version {version} of definition {name!r}" if version is not None else f"definition {name!r}"
        raise NotFoundError(f"no {what}; registered: {', '.join(sorted(known)) or 'none'} "
                            "(answerkey labels define FILE registers one)")
    body = {k: v for k, v in dict(row.body).items() if k != "window_seconds"}
    return BehavioralDefinition.model_validate(body), int(row.version), str(row.content_hash)


@dataclass
class Derivation:
    """What one derivation found and wrote."""

    name: str
    version: int
    content_hash: str
    as_of: datetime
    counts: dict[str, int] = field(default_factory=dict)
    derivation_id: int | None = None
    labels: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "content_hash": self.content_hash,
                "as_of": self.as_of.isoformat(), "counts": self.counts, "derivation_id": self.derivation_id}


def derive_labels(workspace: Workspace, name: str, con: Any, *, as_of: datetime | None = None,
                  version: int | None = None, engine_name: str = "duckdb", dry_run: bool = False) -> Derivation:
    """Derive definition ``name`` (its latest version unless ``version``) on engine ``con`` as of ``as_of``
    (default now, UTC), record the derivation and append the mature labels that changed, in one transaction.

    Entities that are not items of the workspace are counted (``not_items``) and left out.
    """
    stamp = pd.Timestamp(as_of if as_of is not None else writes.utcnow())
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    with workspace.reading() as connection:
        definition, found_version, digest = _definition(connection, name, version)
    derived = derive_behavioral(definition, con, stamp.to_pydatetime())
    with workspace.transaction() as connection:
        known = reads.item_id_lookup(connection)
        is_item = derived["item_id"].isin(known)
        labels = derived[is_item].reset_index(drop=True)
        counts = {status: int((labels["status"] == status).sum()) for status in ("positive", "negative", "immature")}
        counts["not_items"] = int((~is_item).sum())
        standing = previous_labels(connection, {definition.annotator_id})
        changed = _changed(standing, labels, definition.annotator_id)
        note = f"behavioral definition {name} v{found_version} sha256:{digest[:16]} as of {stamp.isoformat()}"
        counts["withdrawn"] = _withdrawn(workspace, connection, standing, labels, note, dry_run)
        result = Derivation(name, found_version, digest, stamp.to_pydatetime(), counts, labels=labels)
        if dry_run:
            counts["written"] = len(changed)
            return result
        counts["written"] = _append(workspace, connection, changed, definition, found_version, digest, stamp)
        derivation_id = connection.execute(insert(t.label_derivations).values(
            name=name, version=found_version, as_of=stamp.to_pydatetime(), engine=engine_name, counts=counts,
            derived_at=writes.utcnow())).inserted_primary_key
        assert derivation_id is not None
        result.derivation_id = int(derivation_id[0])
        rows = [{"derivation_id": result.derivation_id, "item_id": row.item_id,
                 "label": row.label if isinstance(row.label, str) else None, "status": row.status,
                 "anchor_at": _plain_time(row.anchor_at), "decided_at": _plain_time(row.decided_at)}
                for row in labels.itertuples(index=False)]
        if rows:
            connection.execute(insert(t.derived_labels), rows)
    return result


def _plain_time(value: Any) -> datetime | None:
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def _changed(standing: pd.DataFrame, labels: pd.DataFrame, annotator_id: str) -> pd.DataFrame:
    """The mature labels (a one-sided definition's negatives have none) that differ from the ``standing`` ones."""
    mature = labels[(labels["status"] != "immature") & labels["label"].notna()].assign(annotator_id=annotator_id)
    return changed_labels(standing, mature).drop(columns="annotator_id")


def _withdrawn(workspace: Workspace, connection: Connection, standing: pd.DataFrame, labels: pd.DataFrame,
               note: str, dry_run: bool) -> int:
    """Withdraw this definition's standing labels on items the derivation now leaves without one (a window
    reopened under a new version, or a one-sided version dropped it): never a stale negative. Returns how many."""
    unlabelled = set(labels.loc[labels["label"].isna(), "item_id"])
    stale = standing[standing["item_id"].isin(unlabelled)]
    if dry_run:
        return len(stale)
    return withdraw_labels(workspace, connection, stale[["item_id", "annotator_id", "source"]], note)


def _append(workspace: Workspace, connection: Connection, changed: pd.DataFrame, definition: BehavioralDefinition,
            version: int, digest: str, as_of: pd.Timestamp) -> int:
    """Write the new and changed labels, stamped with the time of writing (the newest derivation's label is
    the annotator's latest, whatever its ``as_of``); returns how many were added."""
    note = f"behavioral definition {definition.name} v{version} sha256:{digest[:16]} as of {as_of.isoformat()}"
    frame = pd.DataFrame({"item_id": changed["item_id"].astype(str).to_numpy(),
                          "annotator_id": definition.annotator_id, "label": changed["label"].astype(str).to_numpy(),
                          "created_at": writes.utcnow().isoformat(), "source": "behavioral", "note": note})
    return append_derived_annotations(workspace, connection, frame, f"definition {definition.name} v{version}")


def flip_report(workspace: Workspace, name: str, old: int | None = None, new: int | None = None) -> pd.DataFrame:
    """How the labels of two versions differ, by segment: the latest derivation of each version compared item
    by item (``old`` defaults to the version before ``new``, ``new`` to the latest derived one).

    One row per segment (and ``all``): items in both, unchanged, flips each way (``positive_to_negative`` is
    the first version's positive label becoming the second's negative), matured and became immature, and the
    ``as_of`` of both derivations (when they differ, time passing is mixed with the change of definition).
    """
    r = t.label_derivations.c
    with workspace.reading() as connection:
        derived = connection.execute(select(r.version, func.max(r.derivation_id)).where(r.name == name)
                                     .group_by(r.version).order_by(r.version)).all()
        latest = {int(v): int(i) for v, i in derived}
        if len(latest) < 2 and (old is None or new is None):
            raise NotFoundError(f"definition {name!r} has derivations of {len(latest)} version(s); a flip report "
                                "compares two: derive again after registering a changed definition")
        new = new if new is not None else max(latest)
        old = old if old is not None else max((v for v in latest if v < new), default=None)
        for wanted in (old, new):
            if wanted is None or wanted not in latest:
                raise NotFoundError(f"no derivation of version {wanted} of {name!r}; derived versions: "
                                    f"{', '.join(map(str, latest)) or 'none'}")
        assert old is not None
        frames = [_derived(connection, latest[v]) for v in (old, new)]
        stamps = dict(connection.execute(select(r.derivation_id, r.as_of).where(
            r.derivation_id.in_([latest[old], latest[new]]))).all())
        segments = reads.items_frame(connection)[["item_id", "segment"]]
    both = frames[0].merge(frames[1], on="item_id", suffixes=("_old", "_new"))
    both = both.merge(segments, on="item_id", how="left")
    both["segment"] = both["segment"].fillna("(none)")
    rows = [_flips(both, "all", old, new)]
    rows += [_flips(part, str(segment), old, new) for segment, part in both.groupby("segment", sort=True)]
    # different as_of: time passing (windows maturing, new events) is mixed with the definition's change
    return pd.DataFrame(rows).assign(old_as_of=stamps[latest[old]], new_as_of=stamps[latest[new]])


def _derived(connection: Connection, derivation_id: int) -> pd.DataFrame:
    c = t.derived_labels.c
    rows = connection.execute(select(c.item_id, c.status).where(c.derivation_id == derivation_id)).all()
    return pd.DataFrame(rows, columns=["item_id", "status"])


def _flips(frame: pd.DataFrame, segment: str, old: int, new: int) -> dict[str, Any]:
    was, now = frame["status_old"], frame["status_new"]
    return {"segment": segment, "old_version": old, "new_version": new, "items": len(frame),
            "unchanged": int((was == now).sum()),
            "positive_to_negative": int(((was == "positive") & (now == "negative")).sum()),
            "negative_to_positive": int(((was == "negative") & (now == "positive")).sum()),
            "matured": int(((was == "immature") & (now != "immature")).sum()),
            "became_immature": int(((was != "immature") & (now == "immature")).sum())}
