"""``answerkey disagreements`` and ``answerkey adjudicate`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_consensus_cli import answerkey


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review") / "demo"
    assert answerkey("demo", root, "--items", "800").returncode == 0
    return root


def test_disagreements_then_adjudicate_takes_the_worst_item_off_the_queue(demo: Path) -> None:
    queue = json.loads(answerkey("--workspace", demo, "disagreements", "--limit", "5", "--json").stdout)
    assert 0 < len(queue) <= 5
    assert [q["priority"] for q in queue] == sorted((q["priority"] for q in queue), reverse=True)
    worst = queue[0]["item_id"]
    result = answerkey("--workspace", demo, "adjudicate", worst, "other", "--by", "maria", "--note", "spam")
    assert result.returncode == 0, result.stderr
    assert f"{worst} is other by maria" in result.stdout
    again = json.loads(answerkey("--workspace", demo, "disagreements", "--limit", "1000", "--json").stdout)
    assert worst not in {q["item_id"] for q in again}


def test_adjudicating_with_a_label_outside_the_schema_exits_2_with_one_line(demo: Path) -> None:
    result = answerkey("--workspace", demo, "adjudicate", "TICKET-00001", "biling", "--by", "maria")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: label 'biling' is not in schema v2")
    assert "Traceback" not in result.stderr
