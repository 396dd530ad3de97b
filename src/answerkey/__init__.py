"""answerkey: ground truth as infrastructure.

The labeling schema as code, append-only annotations, transactional imports, and frozen, content-addressed
releases. Statistics are pure functions over DataFrames; ``answerkey.project`` is the service layer the CLI
and the web UI call.
"""

from answerkey.errors import (
    AnswerkeyError,
    ImportValidationError,
    NotFoundError,
    ParameterError,
    RowProblem,
    SchemaError,
    StoreError,
    WorkspaceError,
)
from answerkey.findings import Finding, Severity
from answerkey.project import (
    Workspace,
    create_release,
    export_release,
    import_annotations,
    import_items,
    import_label_studio,
)
from answerkey.quality.aggregation import majority_vote
from answerkey.schema import LabelingSchema, check_schema, diff_schemas, load_schema

__version__ = "0.1.0"

__all__ = [
    "AnswerkeyError",
    "Finding",
    "ImportValidationError",
    "LabelingSchema",
    "NotFoundError",
    "ParameterError",
    "RowProblem",
    "SchemaError",
    "Severity",
    "StoreError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "check_schema",
    "create_release",
    "diff_schemas",
    "export_release",
    "import_annotations",
    "import_items",
    "import_label_studio",
    "load_schema",
    "majority_vote",
]
