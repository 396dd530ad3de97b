"""``release verify``: is a release still what was frozen? Its content hash recomputed from the stored labels,
its schema and header, its item set, and its items against their content hashes; on a mismatch, the labels are
recomputed from the annotations to name the items that differ.

:func:`verified_release` is the gate ``release show``, ``export``, the datasheet and the web's release routes go
through: one hash recomputed, and a tampered release refused.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from sqlalchemy import Connection

from answerkey.errors import AnswerkeyError, StoreError
from answerkey.findings import Finding, Severity
from answerkey.project.releases import Release, current_labels, get_release, parse_method
from answerkey.project.workspace import Workspace
from answerkey.releases import release_hash
from answerkey.releases.verification import (
    ReleaseVerification,
    describe_differences,
    error,
    kept,
    label_differences,
)
from answerkey.schema import LabelingSchema
from answerkey.store import integrity
from answerkey.store.chain import item_content_hash, items_hash

__all__ = ["ItemHashes", "check_release", "item_hashes", "verified_release", "verify_release"]

ItemHashes = Mapping[str, tuple[str | None, str]]
"""Per item id: the content hash it was stored with (None if none) and the one its stored content gives now."""


def item_hashes(connection: Connection, item_ids: set[str] | None = None) -> dict[str, tuple[str | None, str]]:
    """:data:`ItemHashes` of ``item_ids`` (or every item), each recomputed from the stored row."""
    return {row["item_id"]: (row["content_hash"], item_content_hash(row))
            for row in integrity.item_rows(connection, item_ids)}


def verify_release(workspace: Workspace, name: str, *, items: bool = True) -> ReleaseVerification:
    """Check release ``name`` against its recorded hashes, naming what differs (see the module's doc)."""
    release = get_release(workspace, name)
    with workspace.reading() as connection:
        return check_release(connection, workspace, release, items=item_hashes(connection, set(
            release.labels["item_id"])) if items else None, diagnose=True)


def verified_release(workspace: Workspace, name: str, *, items: bool = False) -> Release:
    """Release ``name``, after checking its labels, schema and header (and with ``items`` its items) against its
    recorded hashes; a release changed since it was frozen is refused with a :class:`StoreError`."""
    release = get_release(workspace, name)
    with workspace.reading() as connection:
        hashes = item_hashes(connection, set(release.labels["item_id"])) if items else None
        result = check_release(connection, workspace, release, items=hashes, diagnose=False)
    if not result.ok:
        failures = [f.what for f in result.findings if f.severity is Severity.ERROR]
        raise StoreError(f"refused: release {name!r} is not what was frozen: {failures[0]}"
                         + (f" (and {len(failures) - 1} more)" if len(failures) > 1 else "")
                         + f"; run `answerkey release verify {name}` to see what differs")
    return release


def check_release(connection: Connection, workspace: Workspace, release: Release, *, items: ItemHashes | None,
                  diagnose: bool) -> ReleaseVerification:
    """The checks of :func:`verify_release` on a release already read; ``items`` (:func:`item_hashes` of at least
    the release's items) checks its items too, ``diagnose`` names the labels that differ when the hash does not
    match (a recompute of the labels from the annotations)."""
    name, findings = release.name, []
    registered = integrity.schema_row(connection, release.schema_version)
    schema: LabelingSchema | None = None
    if registered is None:
        findings.append(error("release.schema", name, f"schema version {release.schema_version}, which the release "
                              "was cut under, is not in the store"))
    else:
        schema, problem = _schema(*registered)
        if problem:
            findings.append(error("release.schema", name, f"schema version {release.schema_version} {problem}",
                                  registered_hash=registered[1]))
    schema_hash = registered[1] if registered else ""
    computed = release_hash(release.labels, release.schema_version, schema_hash, release.method)
    if len(release.labels) != release.item_count:
        findings.append(error("release.item_set", name, f"the release recorded {release.item_count:,} items but "
                              f"{len(release.labels):,} labels are stored", recorded=release.item_count,
                              stored=len(release.labels)))
    if computed != release.content_hash:
        findings.append(_labels_finding(connection, workspace, release, schema, schema_hash, computed, diagnose))
    if items is not None:
        findings += _item_findings(release, items)
    return ReleaseVerification(name, release.content_hash, computed, findings, items_checked=items is not None)


def _schema(content: str, registered_hash: str) -> tuple[LabelingSchema | None, str | None]:
    """The stored schema and what is wrong with it (None when it still hashes to its registered hash)."""
    try:
        schema = LabelingSchema.model_validate_json(content)
    except ValueError:
        return None, "is no longer a readable schema: its stored content was changed"
    if schema.content_hash != registered_hash:
        return schema, "no longer matches the hash it was registered with: its content was changed"
    return schema, None


def _labels_finding(connection: Connection, workspace: Workspace, release: Release, schema: LabelingSchema | None,
                    schema_hash: str, computed: str, diagnose: bool) -> Finding:
    name, hashes = release.name, {"recorded_hash": release.content_hash, "computed_hash": computed}
    if not diagnose:
        return error("release.labels", name, "its labels or header (method, schema version) no longer hash to its "
                     "content hash", **hashes)
    reference = _recomputed_labels(connection, workspace, release, schema)
    if reference is None:
        return error("release.labels", name, "its labels or header no longer hash to its content hash, and its "
                     f"method {release.method!r} cannot be recomputed to say which", **hashes)
    differences = label_differences(release.labels, reference)
    counts = {"differences": len(differences)}
    if release_hash(reference, release.schema_version, schema_hash, release.method) == release.content_hash:
        return error("release.labels", name, f"{len(differences):,} item(s) differ from what was frozen (a "
                     f"recompute from the annotations up to #{release.annotation_watermark} gives the recorded hash): "
                     + describe_differences(differences), **hashes, **counts, items=kept(differences))
    if not differences:
        return error("release.header", name, "its labels match a recompute from the annotations, but its header "
                     f"(method {release.method!r}, schema version {release.schema_version}) or its content hash was "
                     "changed", **hashes)
    return error("release.labels", name, "its labels no longer hash to its content hash; a recompute from the "
                 "annotations does not give that hash either (its header, its schema, the annotations or the "
                 "workspace's exclude_sources changed), so the stored labels are compared with the recompute: "
                 + describe_differences(differences), **hashes, **counts, items=kept(differences))


def _recomputed_labels(connection: Connection, workspace: Workspace, release: Release,
                       schema: LabelingSchema | None) -> pd.DataFrame | None:
    """The labels recomputed as the release was cut: its method, schema and annotation watermark."""
    if schema is None:
        return None
    method, authority = parse_method(release.method)
    try:
        _, labels = current_labels(connection, schema, workspace.config.exclude_sources,
                                   release.annotation_watermark, method, authority,
                                   item_ids=set(release.labels["item_id"]))
    except AnswerkeyError:
        return None
    return labels


def _item_findings(release: Release, items: ItemHashes) -> list[Finding]:
    name, findings = release.name, []
    ids = [str(i) for i in release.labels["item_id"]]
    absent = [i for i in ids if i not in items]
    if absent:
        findings.append(error("release.item_set", name, f"{len(absent):,} of its items are no longer in the store: "
                              + ", ".join(absent[:5]), items=absent[:100]))
    changed = [i for i in ids if i in items and items[i][0] is not None and items[i][0] != items[i][1]]
    if changed:
        findings.append(error("release.items", name, f"{len(changed):,} of its items no longer match their content "
                              "hash (their payload, group, segment or time was changed): " + ", ".join(changed[:5]),
                              items=changed[:100]))
    unhashed = [i for i in ids if i in items and items[i][0] is None]
    if unhashed:
        findings.append(error("release.items", name, f"{len(unhashed):,} of its items carry no content hash (written "
                              "outside answerkey's writer): " + ", ".join(unhashed[:5]), items=unhashed[:100]))
    if release.items_hash is None:
        findings.append(Finding("release.items", "the release records no items hash, so its items cannot be checked "
                                "against what was frozen", f"release {name}", Severity.WARNING))
    elif items_hash({i: items[i][0] for i in ids if i in items}) != release.items_hash and not (absent or unhashed):
        findings.append(error("release.items", name, "its items and their content hashes no longer hash to its "
                              "recorded items hash: items were rewritten together with their hashes",
                              recorded_items_hash=release.items_hash))
    return findings
