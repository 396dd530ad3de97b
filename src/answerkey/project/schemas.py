"""Schema commands: lint the workspace schema, and diff two versions (registered numbers or files)."""

from __future__ import annotations

from pathlib import Path

from answerkey.errors import NotFoundError
from answerkey.findings import Finding
from answerkey.project.workspace import Workspace
from answerkey.schema import LabelingSchema, SchemaDiff, check_schema, diff_schemas, load_schema
from answerkey.store import reads, writes

__all__ = ["check_workspace_schema", "diff_schema_versions", "register_schema_file", "resolve_schema"]


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


def register_schema_file(workspace: Workspace, path: str | Path | None = None) -> tuple[LabelingSchema, bool]:
    """Register a schema file's version in the store (the workspace's file by default).

    Imports register the current file themselves; this registers an older version too, e.g. before importing
    an export whose annotations were made under several versions (register them in increasing order).
    """
    schema = load_schema(path) if path else workspace.schema()
    with workspace.transaction() as connection:
        return schema, writes.register_schema(connection, schema)
