"""Consensus over a workspace's annotations, and the evidence for choosing a method."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from answerkey.project.agreement import workspace_judgements
from answerkey.project.workspace import Workspace
from answerkey.quality.aggregation import ADJUDICATED, METHODS, consensus, default_method
from answerkey.quality.aggregation.authority import authority_labels, overrule
from answerkey.quality.aggregation.consensus import crowd_consensus
from answerkey.quality.aggregation.majority import latest_per_annotator
from answerkey.store import reads

__all__ = ["MethodScore", "compare_methods", "schema_labels", "workspace_consensus"]

GROUND_TRUTH_SOURCES = ("human", "expert", "adjudicated", "behavioral", "synthetic")
TRUSTED_SOURCES = ("expert",)


def workspace_consensus(
    workspace: Workspace, method: str = "auto", schema_version: int | None = None
) -> tuple[str, pd.DataFrame]:
    """The method used and the consensus labels of the current schema version's judgements, with the
    workspace's authority policy applied (adjudicated, then expert labels outrank the crowd by default).

    Fitted again only when the annotations, the schema or the policy changed (:meth:`Workspace.derived`)."""
    current = workspace.schema()  # read once: the key and the fit must be of the same version
    version = schema_version or current.version
    labels = current.label_names if version == current.version else schema_labels(workspace, version)
    key = (workspace.annotations_key(), workspace.config.exclude_sources, workspace.config.authority, method,
           version, tuple(labels))

    def fit() -> tuple[str, pd.DataFrame]:
        """:func:`consensus` in its two steps, the crowd model kept apart: adjudications never enter it, so
        deciding an item only applies the policy again, on the fit the crowd's judgements already had."""
        judgements = workspace_judgements(workspace, version, GROUND_TRUTH_SOURCES)
        crowd = latest_per_annotator(judgements[judgements["source"] != ADJUDICATED])
        chosen = default_method(crowd) if method == "auto" else method
        votes = hashlib.blake2b(crowd["annotation_id"].to_numpy(np.int64).tobytes(), digest_size=16).digest()
        given = None if chosen == "majority" else labels
        fitted = workspace.derived("crowd consensus", (votes, chosen, version, tuple(labels)),
                                   lambda: crowd_consensus(crowd, chosen, given))
        authority = workspace.config.authority
        return chosen, overrule(fitted, authority_labels(judgements, authority)) if authority else fitted

    chosen, fitted = workspace.derived("consensus", key, fit)
    return chosen, fitted.copy(deep=False)


def schema_labels(workspace: Workspace, schema_version: int | None) -> list[str]:
    """The label names of a schema version (the current file's by default)."""
    current = workspace.schema()
    if schema_version is None or schema_version == current.version:
        return current.label_names
    with workspace.reading() as connection:
        return reads.schemas(connection)[schema_version].label_names


@dataclass(frozen=True)
class MethodScore:
    """How one method's labels compare with trusted (expert) labels it did not see."""

    method: str
    accuracy: float
    items_compared: int
    disputed: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def compare_methods(workspace: Workspace, schema_version: int | None = None) -> list[MethodScore]:
    """Every method's accuracy against the expert labels, computed without the experts' judgements.

    Dawid-Skene is not best on every data set; this is the evidence for the configured default.
    """
    judgements = workspace_judgements(workspace, schema_version, GROUND_TRUTH_SOURCES)
    judgements = judgements[judgements["source"] != ADJUDICATED]
    trusted = judgements["source"].isin(TRUSTED_SOURCES)
    reference = judgements[trusted].drop_duplicates("item_id", keep="last").set_index("item_id")["label"]
    crowd = judgements[~trusted][["item_id", "annotator_id", "label"]]
    labels = schema_labels(workspace, schema_version)
    scores = []
    for method in METHODS:
        result = consensus(crowd, method, labels=None if method == "majority" else labels).set_index("item_id")
        shared = reference.index.intersection(result.index)
        predicted = result.loc[shared, "label"]
        accuracy = float((predicted == reference.loc[shared]).mean()) if len(shared) else float("nan")
        scores.append(MethodScore(method, accuracy, len(shared), int((result["status"] == "disputed").sum())))
    return scores
