"""``label-issues`` on a release (probabilities from its items' fields) and on files; flags reach the queue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from answerkey.errors import ImportValidationError
from answerkey.project import Workspace, create_release, import_annotations, import_items
from answerkey.project.adjudication import review_queue
from answerkey.project.label_issues import file_label_issues, release_label_issues

WORDS = {"billing": "invoice charge refund payment card price", "technical": "error crash bug slow broken page",
         "account": "login password locked reset access user"}


@pytest.fixture
def noisy(workspace: Workspace, tmp_path: Path) -> tuple[Workspace, set[str]]:
    rng = np.random.default_rng(5)
    names = list(WORDS)
    truth = [names[i % 3] for i in range(300)]
    texts = [" ".join(rng.choice(WORDS[t].split(), 4)) + " please help" for t in truth]
    pd.DataFrame({"item_id": [f"T{i:03d}" for i in range(300)], "text": texts}).to_csv(tmp_path / "items.csv",
                                                                                         index=False)
    given = list(truth)
    wrong = {5, 40, 77, 101, 130, 212}  # one flip in each direction between the three labels
    for shift, i in enumerate(sorted(wrong)):
        given[i] = names[(names.index(truth[i]) + 1 + shift % 2) % 3]
    rows = [(f"T{i:03d}", "ann", given[i], "human") for i in range(300)]  # one vote each: easy to doubt
    pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "source"]).to_csv(tmp_path / "labels.csv",
                                                                                       index=False)
    import_items(workspace, tmp_path / "items.csv")
    import_annotations(workspace, tmp_path / "labels.csv")
    create_release(workspace, "r1")
    return workspace, {f"T{i:03d}" for i in wrong}


def test_the_release_check_finds_the_flipped_labels_and_queues_them(noisy: tuple[Workspace, set[str]]) -> None:
    workspace, wrong = noisy
    run = release_label_issues(workspace, "r1")
    flagged = set(run.issues["item_id"])
    assert len(flagged & wrong) >= 4
    assert len(flagged - wrong) <= 1
    assert "logistic regression on the items' fields" in run.method
    assert run.queue(workspace) == len(flagged)
    queue = review_queue(workspace, limit=None)
    queued = queue[queue["reason"].str.contains("likely label error")]
    assert set(queued["item_id"]) == flagged


def test_bring_your_own_probabilities_joins_on_item_id(tmp_path: Path) -> None:
    pd.DataFrame({"item_id": ["a", "b", "c", "d", "e", "f"], "label": ["x", "x", "x", "y", "y", "y"]}).to_csv(
        tmp_path / "labels.csv", index=False)
    pd.DataFrame({"item_id": ["f", "e", "d", "c", "b", "a"], "x": [0.9, 0.2, 0.1, 0.9, 0.8, 0.85],
                  "y": [0.1, 0.8, 0.9, 0.1, 0.2, 0.15]}).to_parquet(tmp_path / "probs.parquet", index=False)
    run = file_label_issues(tmp_path / "labels.csv", tmp_path / "probs.parquet")
    assert run.issues[["item_id", "given_label", "suggested_label"]].values.tolist() == [["f", "y", "x"]]


def test_probabilities_missing_an_item_name_the_file_and_the_item(tmp_path: Path) -> None:
    pd.DataFrame({"item_id": ["a", "b"], "label": ["x", "y"]}).to_csv(tmp_path / "labels.csv", index=False)
    pd.DataFrame({"item_id": ["a"], "x": [0.9], "y": [0.1]}).to_csv(tmp_path / "probs.csv", index=False)
    with pytest.raises(ImportValidationError, match=r"probs\.csv.*'b'"):
        file_label_issues(tmp_path / "labels.csv", tmp_path / "probs.csv")
