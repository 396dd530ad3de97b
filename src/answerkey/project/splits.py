"""Splits of a release: create (versioned until sealed), seal the test split, verify the seal, check contamination."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, insert, select

from answerkey.errors import NotFoundError, StoreError
from answerkey.findings import Finding, Severity
from answerkey.project.release_check import verified_release
from answerkey.project.releases import get_release
from answerkey.project.workspace import Workspace
from answerkey.splits.assign import SPLITS, SplitPlan, assign_splits
from answerkey.splits.sealing import seal_hash
from answerkey.store import reads, writes
from answerkey.store import tables as t

__all__ = ["Split", "create_split", "current_user", "get_split", "release_items", "seal_split", "verify_seal"]

ITEM_COLUMNS = ("item_id", "group_id", "segment", "created_at")
RESERVED = (*ITEM_COLUMNS, "payload", "label", "status", "split")
"""Columns :func:`release_items` adds; payload fields of these names are dropped, not overwritten."""


@dataclass(frozen=True)
class Split:
    """A release's split: its version, how it was made, the assignment, and its seal when sealed."""

    release: str
    version: int
    strategy: str
    test_share: float
    validation_share: float
    seed: int
    counts: dict[str, int]
    created_by: str | None
    created_at: Any
    assignments: pd.DataFrame
    seal: dict[str, Any] | None

    @property
    def sealed(self) -> bool:
        """Whether the test split is frozen."""
        return self.seal is not None

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary without the per-item assignment."""
        return {
            "release": self.release, "version": self.version, "strategy": self.strategy,
            "test_share": self.test_share, "validation_share": self.validation_share, "seed": self.seed,
            "counts": self.counts, "created_by": self.created_by, "created_at": str(self.created_at),
            "sealed": self.sealed,
            "seal": None if self.seal is None else {k: str(v) if k == "sealed_at" else v for k, v in self.seal.items()},
        }


def current_user() -> str:
    """Who is acting: ``ANSWERKEY_USER``, else the login name."""
    try:
        return os.environ.get("ANSWERKEY_USER") or getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


def release_items(workspace: Workspace, release: str) -> pd.DataFrame:
    """The release's items, one row each: id, group, segment, time, payload fields as columns, the payload
    dict (``payload``), the frozen label (``label``) and its status (``status``)."""
    labels = get_release(workspace, release).labels
    with workspace.reading() as connection:
        items = reads.items_frame(connection)
    items = items[items["item_id"].isin(set(labels["item_id"]))].reset_index(drop=True)
    payload = pd.DataFrame(list(items["payload"]), index=items.index) if len(items) else pd.DataFrame(index=items.index)
    payload = payload.drop(columns=[c for c in payload.columns if c in RESERVED])
    frame = pd.concat([items[list(ITEM_COLUMNS)], payload, items[["payload"]]], axis=1)
    return frame.merge(labels[["item_id", "label", "status"]], on="item_id", how="left")


def _seal_row(connection: Connection, release: str) -> dict[str, Any] | None:
    row = connection.execute(select(t.split_seals).where(t.split_seals.c.release_name == release)).mappings().first()
    return dict(row) if row else None


def _refuse_if_sealed(seal: dict[str, Any] | None, release: str, action: str) -> None:
    if seal is not None:
        raise StoreError(
            f"refused to {action}: the test split of release {release!r} was sealed by {seal['sealed_by']} on "
            f"{str(seal['sealed_at'])[:19]} (hash {seal['test_hash'][:16]}); a sealed test set never changes, so "
            "models stay comparable; cut a new release and split it instead")


def create_split(workspace: Workspace, release: str, plan: SplitPlan, by: str | None = None) -> Split:
    """Assign the release's items to train, validation and test; a new version while the split is unsealed."""
    frame = release_items(workspace, release)
    assignment = assign_splits(frame, plan)
    counts = {name: int((assignment == name).sum()) for name in SPLITS}
    with workspace.transaction() as connection:
        _refuse_if_sealed(_seal_row(connection, release), release, "split it again")
        latest = connection.execute(select(func.max(t.splits.c.version)).where(
            t.splits.c.release_name == release)).scalar_one()
        version = int(latest or 0) + 1
        connection.execute(insert(t.splits).values(
            release_name=release, version=version, strategy=plan.name, test_share=plan.test,
            validation_share=plan.validation, seed=plan.seed, counts=counts, created_by=by or current_user(),
            created_at=writes.utcnow()))
        rows = [{"release_name": release, "version": version, "item_id": item, "split": split}
                for item, split in zip(frame["item_id"], assignment, strict=True)]
        for start in range(0, len(rows), 50_000):
            connection.execute(insert(t.split_assignments), rows[start:start + 50_000])
    return get_split(workspace, release)


def get_split(workspace: Workspace, release: str, version: int | None = None) -> Split:
    """The release's latest split (or ``version``), with its seal."""
    s = t.splits.c
    with workspace.reading() as connection:
        query = select(t.splits).where(s.release_name == release)
        query = query.where(s.version == version) if version else query.order_by(s.version.desc())
        row = connection.execute(query.limit(1)).mappings().first()
        if row is None:
            if reads.release_row(connection, release) is None:
                raise NotFoundError(f"no release named {release!r}")
            raise NotFoundError(f"release {release!r} has no split{'' if version is None else f' v{version}'}; "
                                f"make one with `answerkey split create {release} --by stratified`")
        a = t.split_assignments.c
        result = connection.execute(select(a.item_id, a.split).where(
            (a.release_name == release) & (a.version == row["version"])).order_by(a.item_id))
        assignments = reads.result_frame(result)
        seal = _seal_row(connection, release)
    if seal is not None and seal["version"] != row["version"]:
        seal = None  # an older version than the sealed one: shown without the seal
    return Split(release, int(row["version"]), row["strategy"], float(row["test_share"]),
                 float(row["validation_share"]), int(row["seed"]), dict(row["counts"]), row["created_by"],
                 row["created_at"], assignments, seal)


def _test_hash(split: Split, frame: pd.DataFrame) -> tuple[str, int]:
    test_ids = set(split.assignments.loc[split.assignments["split"] == "test", "item_id"])
    test = frame[frame["item_id"].isin(test_ids)]
    return seal_hash(test), len(test)


def seal_split(workspace: Workspace, release: str, by: str | None = None) -> Split:
    """Freeze the release's test split: record a hash of its items, inputs and labels (refused for a release
    changed since it was cut: a seal must not vouch for it)."""
    verified_release(workspace, release, items=True)
    split = get_split(workspace, release)
    digest, n_test = _test_hash(split, release_items(workspace, release))
    if n_test == 0:
        raise StoreError(f"refused to seal release {release!r}: its test split is empty; split it with --test > 0")
    with workspace.transaction() as connection:
        _refuse_if_sealed(_seal_row(connection, release), release, "seal it again")
        connection.execute(insert(t.split_seals).values(
            release_name=release, version=split.version, test_hash=digest, test_items=n_test,
            sealed_by=by or current_user(), sealed_at=writes.utcnow()))
    return get_split(workspace, release)


def verify_seal(workspace: Workspace, release: str, split: Split | None = None,
                items: pd.DataFrame | None = None) -> list[Finding]:
    """An error when the sealed test items, inputs or labels no longer hash to the recorded seal; ``split``
    and ``items`` (from :func:`release_items`) save reading them again when the caller has them."""
    split = split or get_split(workspace, release)
    if split.seal is None:
        return [Finding("split.unsealed", "the test split is not sealed: evaluations on it are not recorded and "
                        f"it may still change; seal it with `answerkey split seal {release}`",
                        f"release {release}, split v{split.version}", Severity.INFO)]
    digest, n_test = _test_hash(split, items if items is not None else release_items(workspace, release))
    if digest == split.seal["test_hash"] and n_test == split.seal["test_items"]:
        return []
    return [Finding("split.seal_broken",
                    "the sealed test split no longer matches its seal: an item, its input or its label changed "
                    "after sealing; results on it are not comparable with earlier ones",
                    f"release {release}, split v{split.version}", Severity.ERROR, None,
                    {"sealed_hash": split.seal["test_hash"], "current_hash": digest,
                     "sealed_items": split.seal["test_items"], "current_items": n_test})]
