"""Schema commands: lint the workspace schema, and diff two versions (registered numbers or files)."""

from __future__ import annotations

from pathlib import Path

from answerkey.errors import NotFoundError
from answerkey.findings import Finding
from answerkey.project.workspace import Workspace
from answerkey.schema import LabelingSchema, SchemaDiff, check_schema, diff_schemas, load_schema
from answerkey.store import reads

__all__ = ["check_workspace_schema", "diff_schema_versions", "resolve_schema"]


def check_workspace_schema(workspace: Workspace, path: str | Path | None = None) -> list[Finding]:
    """Lint the workspace's schema file (or ``path``)."""
    schema = load_schema(path) if path else workspace.schema()
    return check_schema(schema)


def resolve_schema(workspace: Workspace, ref: str) -> LabelingSchema:
    """A schema by registered version number, ``current`` for the file, or a path to a schema file."""
    if ref == "current":
        return workspace.schema()
    if ref.isdigit():
        with workspace.reading() as connection:
            registered = reads.schemas(connection)
        version = int(ref)
        if version in registered:
            return registered[version]
        current = workspace.schema()
        if current.version == version:
            return current
        known = ", ".join(map(str, sorted(registered))) or "none yet"
        raise NotFoundError(f"no schema version {version} (registered: {known}; the file says {current.version})")
    return load_schema(ref)


def diff_schema_versions(workspace: Workspace, old: str, new: str) -> SchemaDiff:
    """What changed from schema ``old`` to ``new`` (version numbers, ``current`` or files)."""
    return diff_schemas(resolve_schema(workspace, old), resolve_schema(workspace, new))
