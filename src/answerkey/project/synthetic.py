"""Labeling functions over a workspace's items: their coverage, overlap, conflicts and accuracy against the
trusted labels (adjudicated, else expert), and optionally their votes written as ``synthetic`` annotations,
one annotator per function (``lf:<name>``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from answerkey.jsonable import records
from answerkey.project.derived_writes import (
    append_derived_annotations,
    changed_labels,
    previous_labels,
    withdraw_labels,
)
from answerkey.project.workspace import Workspace
from answerkey.quality.aggregation import authority_labels
from answerkey.quality.labeling_functions import (
    LabelingFunctionSummary,
    analyse_labeling_functions,
    apply_labeling_functions,
    load_labeling_functions,
    summarise_labeling_functions,
)
from answerkey.quality.source_quality import TRUSTED
from answerkey.store import reads, writes

__all__ = ["TRUSTED_SOURCES", "LabelingFunctionRun", "run_labeling_functions", "trusted_labels"]

TRUSTED_SOURCES = TRUSTED
"""The sources whose labels count as the truth a derived source is measured against, strongest first."""


@dataclass(frozen=True)
class LabelingFunctionRun:
    """Per-function analysis, the summary over all items, and how many votes were written."""

    file: str
    analysis: pd.DataFrame
    summary: LabelingFunctionSummary
    n_trusted: int
    written: int
    votes: pd.DataFrame
    withdrawn: int = 0

    def to_dict(self) -> dict[str, Any]:
        rows = self.analysis.assign(polarity=self.analysis["polarity"].map(list))
        summary = {k: getattr(self.summary, k) for k in ("n_items", "n_functions", "n_votes", "coverage", "overlap",
                                                         "conflict")}
        return {"file": self.file, "summary": summary, "n_trusted": self.n_trusted, "written": self.written,
                "withdrawn": self.withdrawn,
                "functions": records(rows)}


def trusted_labels(annotations: pd.DataFrame) -> pd.DataFrame:
    """``item_id`` and ``label`` decided by an adjudication, else by an expert."""
    if annotations.empty:
        return pd.DataFrame({"item_id": [], "label": []})
    decided = authority_labels(annotations, TRUSTED_SOURCES)
    return decided[["item_id", "label"]].reset_index(drop=True)


def run_labeling_functions(workspace: Workspace, path: str | Path, *, write: bool = False) -> LabelingFunctionRun:
    """Apply the labeling functions of ``path`` to every item; with ``write``, append their votes (one
    transaction; re-running the same file adds nothing new)."""
    path = Path(path)
    functions = load_labeling_functions(path)
    with workspace.reading() as connection:
        items = reads.items_frame(connection)
        trusted = trusted_labels(reads.annotations_frame(connection))
    votes = apply_labeling_functions(functions, items)
    analysis = analyse_labeling_functions(votes, trusted, n_items=len(items))
    summary = summarise_labeling_functions(votes, n_items=len(items))
    written = withdrawn = 0
    if write and len(votes):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        frame = pd.DataFrame({"item_id": votes["item_id"].astype(str).to_numpy(),
                              "annotator_id": "lf:" + votes["function"].astype(str).str.strip(),
                              "label": votes["label"].astype(str).to_numpy(),
                              "created_at": writes.utcnow().isoformat(), "source": "synthetic",
                              "note": f"labeling function from {path.name} sha256:{digest}"})
        with workspace.transaction() as connection:
            standing = previous_labels(connection, {f"lf:{function.name}" for function in functions})
            written = append_derived_annotations(workspace, connection, changed_labels(standing, frame),
                                                 f"labeling functions of {path.name}")
            voted = set(zip(frame["item_id"], frame["annotator_id"], strict=True))
            abstains = standing[np.array([pair not in voted for pair in zip(
                standing["item_id"], standing["annotator_id"], strict=True)], dtype=bool)]
            withdrawn = withdraw_labels(workspace, connection, abstains[["item_id", "annotator_id", "source"]],
                                        f"labeling function from {path.name} sha256:{digest} now abstains")
    return LabelingFunctionRun(str(path), analysis, summary, len(trusted), written, votes, withdrawn)
