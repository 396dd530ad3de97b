"""``answerkey status``: what the workspace holds."""

from __future__ import annotations

from typing import Any

from answerkey.project.workspace import Workspace
from answerkey.store import reads

__all__ = ["workspace_status"]


def workspace_status(workspace: Workspace) -> dict[str, Any]:
    """Counts of items, annotators, annotations (by source and schema version), versions and releases."""
    with workspace.reading() as connection:
        counts = reads.counts(connection)
        latest = reads.release_rows(connection)[-1:] if counts["releases"] else []
    schema = workspace.schema()
    return {
        "workspace": str(workspace.root),
        "store": workspace.engine.url.render_as_string(hide_password=True),
        "schema": {"name": schema.name, "version": schema.version, "task": schema.task.value,
                   "labels": len(schema.labels)},
        **counts,
        "latest_release": latest[0]["name"] if latest else None,
    }
