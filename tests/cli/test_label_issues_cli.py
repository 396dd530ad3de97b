"""``answerkey label-issues`` from the command line: your own probabilities, or a release with --queue."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from test_consensus_cli import answerkey


def test_label_issues_from_files_prints_the_flagged_items_as_json(tmp_path: Path) -> None:
    pd.DataFrame({"item_id": ["a", "b", "c", "d", "e", "f"], "label": ["x", "x", "x", "y", "y", "y"]}).to_csv(
        tmp_path / "labels.csv", index=False)
    pd.DataFrame({"item_id": list("abcdef"), "x": [0.9, 0.8, 0.85, 0.1, 0.2, 0.9],
                  "y": [0.1, 0.2, 0.15, 0.9, 0.8, 0.1]}).to_csv(tmp_path / "probs.csv", index=False)
    result = answerkey("label-issues", "--labels", tmp_path / "labels.csv", "--pred-probs", tmp_path / "probs.csv",
                       "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["issues"] == 1
    assert [(f["item_id"], f["given_label"], f["suggested_label"]) for f in report["flagged"]] == [("f", "y", "x")]


def test_label_issues_without_inputs_exits_2_saying_what_to_give(tmp_path: Path) -> None:
    result = answerkey("label-issues", cwd=tmp_path)
    assert result.returncode == 2
    assert "--release" in result.stderr
    assert "--pred-probs" in result.stderr


def test_probabilities_that_are_not_numbers_exit_2_naming_file_column_and_item(tmp_path: Path) -> None:
    pd.DataFrame({"item_id": ["a", "b"], "label": ["x", "y"]}).to_csv(tmp_path / "labels.csv", index=False)
    (tmp_path / "probs.csv").write_text("item_id,x,y\na,0.9,0.1\nb,high,0.2\n", encoding="utf-8")
    result = answerkey("label-issues", "--labels", tmp_path / "labels.csv", "--pred-probs", tmp_path / "probs.csv",
                       cwd=tmp_path)
    assert result.returncode == 2
    assert "probs.csv" in result.stderr
    assert "'high'" in result.stderr
    assert "Traceback" not in result.stderr
