"""answerkey: ground truth as infrastructure.

The labeling schema as code, append-only annotations, transactional imports, and frozen, content-addressed
releases. Statistics are pure functions over DataFrames; ``answerkey.project`` is the service layer the CLI
and the web UI call.
"""

from typing import Any

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
from answerkey.quality.aggregation import DawidSkene, consensus, majority_vote, weighted_majority
from answerkey.quality.agreement import (
    agreement,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)
from answerkey.quality.annotators import annotator_profiles
from answerkey.quality.drift import annotation_drift, label_lineage
from answerkey.quality.label_errors import LabelIssues, find_label_issues, label_issues
from answerkey.quality.label_errors_multilabel import MultiLabelIssues, multilabel_issues
from answerkey.quality.leakage import LeakageReport, check_leakage
from answerkey.quality.out_of_sample import out_of_sample_probabilities
from answerkey.schema import LabelingSchema, check_schema, diff_schemas, load_schema
from answerkey.splits import assign_splits, contamination_pairs, parse_strategy

__version__ = "0.1.0"

__all__ = [
    "AnswerkeyError",
    "DawidSkene",
    "Finding",
    "ImportValidationError",
    "LabelIssues",
    "LabelingSchema",
    "LeakageReport",
    "MultiLabelIssues",
    "NotFoundError",
    "ParameterError",
    "RowProblem",
    "SchemaError",
    "Severity",
    "StoreError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "agreement",
    "annotation_drift",
    "annotator_profiles",
    "assign_splits",
    "brennan_prediger",
    "check_leakage",
    "check_schema",
    "cohen_kappa",
    "consensus",
    "contamination_pairs",
    "create_release",
    "diff_schemas",
    "estimate_performance",
    "export_release",
    "find_label_issues",
    "fleiss_kappa",
    "gwet_ac1",
    "import_annotations",
    "import_items",
    "import_label_studio",
    "krippendorff_alpha",
    "label_issues",
    "label_lineage",
    "load_schema",
    "majority_vote",
    "multilabel_issues",
    "out_of_sample_probabilities",
    "parse_strategy",
    "percent_agreement",
    "scott_pi",
    "weighted_majority",
]


def __getattr__(name: str) -> Any:
    """Monitoring is imported on first use: Ibis would add half a second to every CLI start."""
    if name == "estimate_performance":
        from answerkey.monitoring.estimated import estimate_performance

        return estimate_performance
    raise AttributeError(f"module 'answerkey' has no attribute {name!r}")
