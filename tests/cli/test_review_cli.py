"""``answerkey disagreements`` and ``answerkey adjudicate`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
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


def test_consensus_disagreements_and_the_report_work_when_a_new_schema_version_starts_with_an_adjudication(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from answerkey.config import DATABASE_URL_ENV
    from answerkey.project import Workspace, import_annotations, import_items
    from conftest import make_schema, write_schema, write_text

    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    ws = Workspace.init(tmp_path / "ws", schema=make_schema())
    import_items(ws, write_text(tmp_path / "items.csv", "item_id,text\nT1,refund please\nT2,app crashes\n"))
    import_annotations(ws, write_text(tmp_path / "labels.csv", "item_id,annotator_id,label\nT1,a1,billing\n"
                                                               "T1,a2,technical\nT2,a1,technical\n"))
    write_schema(ws, make_schema(version=2))
    ws.close()
    root = tmp_path / "ws"
    decided = answerkey("--workspace", root, "adjudicate", "T1", "billing", "--by", "maria")
    assert decided.returncode == 0, decided.stderr
    labels = answerkey("--workspace", root, "consensus", "--json", "-o", tmp_path / "labels.csv")
    assert labels.returncode == 0, labels.stderr
    assert pd.read_csv(tmp_path / "labels.csv")[["item_id", "label"]].to_dict("records") == [
        {"item_id": "T1", "label": "billing"}]
    queue = answerkey("--workspace", root, "disagreements", "--json")
    assert queue.returncode == 0, queue.stderr
    assert json.loads(queue.stdout) == []
    report = answerkey("--workspace", root, "report", "-o", tmp_path / "report.html")
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "report.html").is_file()
