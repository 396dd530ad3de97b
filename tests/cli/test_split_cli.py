"""``answerkey split`` and ``answerkey ledger`` from the command line, with --json."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_consensus_cli import answerkey

LABELS = ("positive", "negative", "neutral")
WORDS = ("the", "refund", "was", "late", "again", "and", "the", "app", "crashed", "when", "I", "opened", "my",
         "invoice", "page", "yesterday")


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("split") / "ws"
    assert answerkey("init", root).returncode == 0
    n = 90
    texts = [" ".join(WORDS[(i * 7) % 10:(i * 7) % 10 + 6]) + f" case {i}" for i in range(n)]
    texts[89] = texts[3]  # an exact duplicate, in whatever splits they land
    pd.DataFrame({"item_id": [f"T{i:03d}" for i in range(n)], "text": texts,
                  "customer": [f"c{i % 15}" for i in range(n)]}).to_csv(root / "items.csv", index=False)
    rows = [(f"T{i:03d}", who, LABELS[i % 3], "human") for i in range(n) for who in ("ann", "bob")]
    pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "source"]).to_csv(root / "labels.csv",
                                                                                       index=False)
    for command in (("import", "items", root / "items.csv"), ("import", "annotations", root / "labels.csv"),
                    ("release", "create", "2026-11")):
        result = answerkey("--workspace", root, *command)
        assert result.returncode == 0, result.stderr
    return root


def test_split_create_check_seal_then_ledger_record_and_show(released: Path) -> None:
    def run(*args: str) -> dict:  # type: ignore[type-arg]
        result = answerkey("--workspace", released, *args, "--json")
        assert result.returncode in (0, 1), result.stderr
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    created = run("split", "create", "2026-11", "--by", "group:customer", "--test", "0.2", "--val", "0.1",
                  "--seed", "7")
    assert created["strategy"] == "group:customer"
    assert sum(created["counts"].values()) == 90
    assert not created["sealed"]
    check = run("split", "check", "2026-11")
    assert set(check["counts"]) >= {"exact", "near_text", "group", "conflicting_labels"}
    assert check["counts"]["group"] == 0
    assert check["columns"]["text"] == ["text"]
    sealed = run("split", "seal", "2026-11")
    assert sealed["sealed"]
    assert len(sealed["seal"]["test_hash"]) == 64
    entry = run("ledger", "record", "--release", "2026-11", "--model", "churn-v3", "--metric", "f1=0.81",
                "--metric", "auc=0.9", "--by", "maria", "--purpose", "final check")
    assert entry["metrics"] == {"f1": 0.81, "auc": 0.9}
    shown = run("ledger", "show", "2026-11", "--warn-after", "1")
    assert shown["looks"] == 1
    assert shown["models"] == {"churn-v3": 1}
    assert shown["findings"] == []


def test_changing_a_sealed_split_exits_2_with_the_reason(released: Path) -> None:
    answerkey("--workspace", released, "split", "create", "2026-11")
    answerkey("--workspace", released, "split", "seal", "2026-11")
    result = answerkey("--workspace", released, "split", "create", "2026-11", "--by", "random")
    assert result.returncode == 2
    assert "sealed" in result.stderr
    assert "cut a new release" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_metric_without_a_number_exits_2_naming_the_option(released: Path) -> None:
    result = answerkey("--workspace", released, "ledger", "record", "--release", "2026-11", "--model", "m",
                       "--metric", "f1=high")
    assert result.returncode == 2
    assert "--metric" in result.stderr
