"""``answerkey label-issues``: likely label errors of a release (from features) or of a labels file (from
probabilities), optionally sent to the review queue."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from answerkey.errors import ImportValidationError, ParameterError, RowProblem
from answerkey.io.frames import read_frame
from answerkey.project.label_flags import flag_for_review
from answerkey.project.releases import get_release
from answerkey.project.split_check import detect_columns
from answerkey.project.splits import ITEM_COLUMNS, release_items
from answerkey.project.workspace import Workspace
from answerkey.quality.label_errors import find_label_issues
from answerkey.quality.out_of_sample import out_of_sample_probabilities

__all__ = ["LabelIssueRun", "file_label_issues", "release_label_issues"]

PURPOSE = "no label issues computed"
VOTE_SHARES = ("majority", "weighted-majority")
"""Consensus methods whose confidence is a share of votes (one vote is a share of 1), not a posterior."""


@dataclass(frozen=True)
class LabelIssueRun:
    """Every item's label quality with the flagged ones, and how the probabilities were obtained."""

    items: pd.DataFrame
    method: str
    release: str | None = None

    @property
    def issues(self) -> pd.DataFrame:
        """The flagged items, worst first."""
        flagged: pd.DataFrame = self.items[self.items["is_issue"]].sort_values("rank", kind="stable")
        return flagged

    def queue(self, workspace: Workspace) -> int:
        """Send the flagged items to the review queue; returns how many."""
        return flag_for_review(workspace, self.issues, self.method, self.release)

    def to_dict(self, limit: int | None = None) -> dict[str, Any]:
        """JSON-ready: counts, the method, and the flagged items (worst first)."""
        issues = self.issues if limit is None else self.issues.head(limit)
        rows = issues.astype(object).where(issues.notna(), None).to_dict("records")
        return {"release": self.release, "method": self.method, "items": len(self.items),
                "issues": int(self.items["is_issue"].sum()), "flagged": rows}


def release_label_issues(
    workspace: Workspace, release: str, features: str | Path | None = None, *, text_column: str | None = None,
    folds: int = 5, seed: int = 0, use_annotators: bool = True,
) -> LabelIssueRun:
    """Likely label errors among a release's agreed labels, from out-of-sample probabilities of a model trained
    on ``features`` (a file with ``item_id``; default: the items' own payload fields).

    With ``use_annotators``, each label's consensus confidence and judgement count temper the model: a label
    resting on one doubtful vote is easier to flag than a confident consensus of five.
    """
    frozen = get_release(workspace, release)
    labels = frozen.labels
    labels = labels[(labels["status"] == "agreed") & labels["label"].notna()]
    if features is None:
        frame = release_items(workspace, release).drop(columns=["label", "status", "payload"])
        text, numeric = detect_columns(frame)
        categorical = [c for c in frame.columns if c not in (*ITEM_COLUMNS, *text, *numeric)
                       and frame[c].nunique() <= max(50, len(frame) // 100)]
        text_column = text_column or (text[0] if text else None)
        frame = frame[["item_id", *([text_column] if text_column else []), *numeric, *categorical, "segment"]]
        source = "the items' fields"
    else:
        frame = read_frame(features, ("item_id",), purpose=PURPOSE)
        source = Path(features).name
    if frame["item_id"].duplicated().any():
        first = frame.loc[frame["item_id"].duplicated(), "item_id"].iloc[0]
        raise ImportValidationError([RowProblem(str(features or "items"), None, "item_id", f"{first!r} twice",
                                                "one row per item")], consequence=PURPOSE)
    joined = labels.merge(frame, on="item_id", how="inner")
    if joined.empty:
        raise ParameterError(f"no agreed label of release {release!r} has a row in {source}: nothing to check")
    inputs = joined.drop(columns=["item_id", "label", "confidence", "status", "n_judgements"])
    probabilities = out_of_sample_probabilities(inputs, joined["label"].astype(str).to_numpy(),
                                                text_column=text_column, folds=folds, seed=seed)
    support = None
    if use_annotators:
        support = pd.DataFrame({"consensus_confidence": joined["confidence"].clip(0.0, 1.0).to_numpy()},
                               index=joined["item_id"].to_numpy())
        if frozen.method.split(";")[0] in VOTE_SHARES:  # a vote share, not a posterior: weigh it by its votes
            support["n_judgements"] = joined["n_judgements"].clip(lower=1).to_numpy()
    items = find_label_issues(joined["label"].astype(str).to_numpy(), probabilities, list(probabilities.columns),
                              item_ids=joined["item_id"].tolist(), support=support)
    method = (f"confident learning; {folds}-fold logistic regression on {source}"
              + ("; annotator agreement" if use_annotators else ""))
    return LabelIssueRun(items, method, release)


def file_label_issues(labels: str | Path, pred_probs: str | Path) -> LabelIssueRun:
    """Likely label errors from a labels file (``item_id``, ``label``) and your own out-of-sample probabilities
    (``item_id`` and one column per class), joined on ``item_id``."""
    given = read_frame(labels, ("item_id", "label"), purpose=PURPOSE)
    probs = read_frame(pred_probs, ("item_id",), purpose=PURPOSE)
    classes = [c for c in probs.columns if c != "item_id"]
    if len(classes) < 2:
        raise ImportValidationError([RowProblem(str(pred_probs), 1, None, f"columns {list(probs.columns)}",
                                                "item_id and one probability column per class")],
                                    consequence=PURPOSE)
    missing = sorted(set(given["item_id"]) - set(probs["item_id"]))
    if missing:
        raise ImportValidationError([RowProblem(str(pred_probs), None, "item_id", f"no row for item {missing[0]!r}"
                                                f" ({len(missing)} items)", "a row for every labeled item")],
                                    consequence=PURPOSE)
    joined = given[["item_id", "label"]].merge(probs, on="item_id", how="left")
    for column in classes:
        values = pd.to_numeric(joined[column], errors="coerce")
        bad = values.isna() | (values < 0) | (values > 1)
        if bad.any():
            row = int(bad.to_numpy().argmax())
            found = f"{joined[column].iloc[row]!r} for item {joined['item_id'].iloc[row]!r}"
            raise ImportValidationError([RowProblem(str(pred_probs), None, column, found, "a probability in [0, 1]")],
                                        consequence=PURPOSE)
    items = find_label_issues(joined["label"].astype(str).to_numpy(), joined[classes].to_numpy(dtype=float),
                              [str(c) for c in classes], item_ids=joined["item_id"].tolist())
    return LabelIssueRun(items, f"confident learning; probabilities from {Path(pred_probs).name}")
