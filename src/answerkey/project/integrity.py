"""``answerkey verify``: every hash the store keeps, recomputed from what it holds now.

- every release: its content hash from its labels, schema and header, its items against their content hashes
  and its items hash (:mod:`answerkey.project.release_check`);
- every sealed test split: its seal from the test items, inputs and labels, and the ledger's looks recorded
  against that seal;
- the annotation log: each chain entry's link from the previous entry and the annotation's row, annotations
  missing from the chain and entries whose annotation is gone (:mod:`answerkey.store.chain`);
- every item against its content hash; and, as bookkeeping, each import's recorded count against its rows.

The database's triggers stop changes through any ordinary client; this catches what they cannot (a superuser,
someone with the file), as far as the hashes themselves were not rewritten to match: record the chain head and
the release hashes somewhere else to catch that too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from answerkey.findings import Finding, Severity
from answerkey.project.release_check import ItemHashes, check_release, item_hashes
from answerkey.project.releases import get_release, list_releases
from answerkey.project.splits import get_split, verify_seal
from answerkey.project.workspace import Workspace
from answerkey.releases.verification import ReleaseVerification
from answerkey.store import integrity
from answerkey.store.chain import link, row_digest

__all__ = ["WorkspaceVerification", "verify_annotation_log", "verify_workspace"]

KEPT = 100
"""Ids a finding's evidence lists."""


@dataclass(frozen=True)
class WorkspaceVerification:
    """What ``answerkey verify`` checked and found: per release, per seal, the annotation log, items, imports."""

    releases: list[ReleaseVerification]
    seals: dict[str, list[Finding]]
    annotation_log: dict[str, Any]
    items: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def all_findings(self) -> list[Finding]:
        """Every finding: the releases', the seals', then the log's, the items' and the imports'."""
        return ([f for r in self.releases for f in r.findings] + [f for s in self.seals.values() for f in s]
                + self.findings)

    @property
    def ok(self) -> bool:
        """True when everything verifies (no error finding)."""
        return not any(f.severity is Severity.ERROR for f in self.all_findings)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"ok": self.ok, "releases": [r.to_dict() for r in self.releases],
                "seals": {name: {"ok": not any(f.severity is Severity.ERROR for f in found),
                                 "findings": [f.to_dict() for f in found]} for name, found in self.seals.items()},
                "annotation_log": self.annotation_log, "items": self.items,
                "findings": [f.to_dict() for f in self.all_findings]}


def verify_workspace(workspace: Workspace) -> WorkspaceVerification:
    """Check every release, every seal, the annotation log, the items and the imports (see the module's doc)."""
    with workspace.reading() as connection:
        hashes = item_hashes(connection)
        log, findings = verify_annotation_log(connection)
        findings += _item_findings(hashes) + _import_findings(connection)
        seal_rows = integrity.seal_rows(connection)
        ledger = integrity.ledger_hashes(connection)
        releases = [check_release(connection, workspace, get_release(workspace, row["name"]), items=hashes,
                                  diagnose=True) for row in list_releases(workspace)]
    seals = {row["release_name"]: _seal_findings(workspace, row, ledger.get(row["release_name"], set()))
             for row in seal_rows}
    return WorkspaceVerification(releases, seals, log, len(hashes), findings)


def verify_annotation_log(connection: Connection) -> tuple[dict[str, Any], list[Finding]]:
    """The chain checked link by link: its size and head, and a finding per kind of break."""
    entries, previous, broken, gone = 0, None, [], []
    for _position, annotation_id, chain_hash, found, *row in integrity.chain_entries(connection):
        entries += 1
        if found is None:
            gone.append(int(annotation_id))
        elif link(previous, row_digest(row)) != bytes(chain_hash):
            broken.append(int(annotation_id))
        previous = bytes(chain_hash)
    unchained, first_unchained = integrity.unchained_annotations(connection, KEPT)
    summary = {"entries": entries, "head": previous.hex() if previous else None, "broken": len(broken),
               "gone": len(gone), "unchained": unchained}
    where = "annotation log"
    findings = []
    if broken:
        findings.append(Finding("annotations.chain_broken", f"{len(broken):,} annotation(s) no longer match the log's "
                                "hash chain: each was changed after it was written, or the row before it in the chain "
                                f"was deleted (first: annotation #{broken[0]})", where, Severity.ERROR, None,
                                {"annotation_ids": broken[:KEPT]}))
    if gone:
        findings.append(Finding("annotations.deleted", f"{len(gone):,} annotation(s) in the hash chain are no longer "
                                f"in the log: deleted (first: annotation #{gone[0]})", where, Severity.ERROR, None,
                                {"annotation_ids": gone[:KEPT]}))
    if unchained:
        findings.append(Finding("annotations.unchained", f"{unchained:,} annotation(s) are not in the log's hash "
                                "chain: written outside answerkey's writer, or their chain entry was deleted "
                                f"(first: annotation #{first_unchained[0]})", where, Severity.ERROR, None,
                                {"annotation_ids": first_unchained}))
    return summary, findings


def _item_findings(hashes: ItemHashes) -> list[Finding]:
    changed = sorted(i for i, (stored, now) in hashes.items() if stored is not None and stored != now)
    unhashed = sorted(i for i, (stored, _) in hashes.items() if stored is None)
    findings = []
    if changed:
        findings.append(Finding("items.changed", f"{len(changed):,} item(s) no longer match their content hash: "
                                "their payload, group, segment or time was changed (first: " + ", ".join(changed[:5])
                                + ")", "items", Severity.ERROR, None, {"items": changed[:KEPT]}))
    if unhashed:
        findings.append(Finding("items.unhashed", f"{len(unhashed):,} item(s) carry no content hash: written outside "
                                "answerkey's writer (first: " + ", ".join(unhashed[:5]) + ")", "items",
                                Severity.ERROR, None, {"items": unhashed[:KEPT]}))
    return findings


def _import_findings(connection: Connection) -> list[Finding]:
    """Each import's recorded count against the rows tagged with it: bookkeeping, so a warning (the chain and
    the content hashes are what prove the rows)."""
    findings = []
    for row in integrity.import_counts(connection):
        tagged = row["items"] if row["kind"] == "items" else row["annotations"]
        if tagged != row["rows_added"]:
            what = "items" if row["kind"] == "items" else "annotations"
            findings.append(Finding("imports.count", f"import #{row['import_id']} ({row['file']}) recorded "
                                    f"{row['rows_added']:,} rows added, but {tagged:,} {what} carry its id",
                                    "imports", Severity.WARNING, None, dict(row)))
    return findings


def _seal_findings(workspace: Workspace, seal: dict[str, Any], looked_at: set[str]) -> list[Finding]:
    release = seal["release_name"]
    findings = verify_seal(workspace, release, get_split(workspace, release, int(seal["version"])))
    others = sorted(looked_at - {seal["test_hash"]})
    if others:
        findings.append(Finding("ledger.seal_mismatch", f"{len(others)} test hash(es) in the ledger differ from the "
                                "seal: the seal was rewritten after looks were recorded against it",
                                f"release {release}, test ledger", Severity.ERROR, None,
                                {"seal": seal["test_hash"], "ledger": others}))
    return findings
