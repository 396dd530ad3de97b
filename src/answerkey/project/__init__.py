"""The service layer the CLI and the web call: one module per capability."""

from answerkey.project.imports import ImportResult, import_annotations, import_items, import_label_studio
from answerkey.project.releases import (
    EXPORT_FORMATS,
    Release,
    create_release,
    diff_releases,
    export_release,
    get_release,
    list_releases,
)
from answerkey.project.schemas import (
    check_workspace_schema,
    diff_schema_versions,
    register_schema_file,
    resolve_schema,
)
from answerkey.project.status import workspace_status
from answerkey.project.workspace import Workspace

__all__ = [
    "EXPORT_FORMATS",
    "ImportResult",
    "Release",
    "Workspace",
    "check_workspace_schema",
    "create_release",
    "diff_releases",
    "diff_schema_versions",
    "export_release",
    "get_release",
    "import_annotations",
    "import_items",
    "import_label_studio",
    "list_releases",
    "register_schema_file",
    "resolve_schema",
    "workspace_status",
]
