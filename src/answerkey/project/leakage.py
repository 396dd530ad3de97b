"""``answerkey leakage``: the leakage checks on a features file, labels from it or from a release."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from answerkey.errors import ImportValidationError, RowProblem
from answerkey.io.frames import read_frame
from answerkey.project.releases import get_release
from answerkey.project.workspace import Workspace
from answerkey.quality.leakage import LeakageReport, check_leakage

__all__ = ["file_leakage"]


def file_leakage(
    features: str | Path, label: str, *, label_time: str | None = None, feature_times: str | Path | None = None,
    columns: Sequence[str] | None = None, order: str | None = None, auc_threshold: float = 0.9,
    workspace: Workspace | None = None, release: str | None = None,
) -> LeakageReport:
    """Check a features file for label leakage.

    With ``release``, the label column comes from that release's frozen labels joined on ``item_id`` (named
    ``label`` unless the file already has that column). ``feature_times`` is a file with columns ``feature`` and
    ``available_at`` (a column of the features file, or an ISO 8601 timestamp).
    """
    frame = read_frame(features, purpose="no leakage check run")
    if release is not None and workspace is not None:
        if "item_id" not in frame.columns:
            raise ImportValidationError([RowProblem(str(features), 1, "item_id", "no item_id column",
                                                    "item_id, to join the release's labels")],
                                        consequence="no leakage check run")
        labels = get_release(workspace, release).labels[["item_id", "label"]].rename(columns={"label": label})
        frame = frame.drop(columns=[label], errors="ignore").merge(labels, on="item_id", how="left")
    times = None
    if feature_times is not None:
        times = read_frame(feature_times, ("feature", "available_at"), purpose="no leakage check run",
                           text_columns=("feature", "available_at"))
        times = times.astype({"feature": str, "available_at": str})
    # every column is checked by default, item_id too: an id that predicts the label is a finding
    chosen = list(columns) if columns else None
    return check_leakage(frame, label, features=chosen, label_time=label_time, feature_times=times, order=order,
                         auc_threshold=auc_threshold)

