"""``answerkey consensus`` on the demo workspace: labels with confidence, and evidence for the method."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from answerkey.quality.aggregation import METHODS


def answerkey(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "answerkey.cli.main", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, check=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("consensus") / "demo"
    assert answerkey("demo", root, "--items", "1500").returncode == 0
    return root


def test_consensus_writes_one_label_per_item_with_its_confidence(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels.csv"
    result = answerkey("--workspace", demo, "consensus", "--method", "dawid-skene", "-o", out, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    labels = pd.read_csv(out)
    assert summary["method"] == "dawid-skene"
    assert summary["items"] == len(labels) == labels["item_id"].nunique()
    assert labels["confidence"].between(0, 1).all()


def test_compare_scores_every_method_against_expert_labels_it_did_not_see(demo: Path) -> None:
    scores = json.loads(answerkey("--workspace", demo, "consensus", "--compare", "--json").stdout)
    by_method = {s["method"]: s for s in scores}
    assert set(by_method) == set(METHODS)
    assert all(s["items_compared"] > 50 for s in scores)
    assert by_method["dawid-skene"]["accuracy"] > by_method["majority"]["accuracy"]
