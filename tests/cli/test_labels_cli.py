"""``answerkey labels`` from the command line: define, derive on Parquet files, diff two versions, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from test_consensus_cli import answerkey

DEFINITION = """name: churn
description: cancelled within {days} days of the start
entity: customer_id
anchor: {{table: {root}/subscriptions.parquet, time: started_at}}
events: {{table: {root}/events.parquet, time: occurred_at}}
outcome: "event_type = 'cancel'"
window: {days} days
labels: {{positive: positive, negative: negative}}
"""


def _workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    assert answerkey("init", workspace).returncode == 0
    (workspace / "items.csv").write_text("item_id,segment\na,smb\nb,smb\nc,enterprise\n")
    assert answerkey("import", "items", "items.csv", cwd=workspace).returncode == 0
    pd.DataFrame({"customer_id": ["a", "b", "c", "z"], "started_at": pd.to_datetime(["2026-01-01"] * 3 + [
        "2026-01-01"])}).to_parquet(tmp_path / "subscriptions.parquet")
    pd.DataFrame({"customer_id": ["a", "b"], "event_type": ["cancel", "cancel"],
                  "occurred_at": pd.to_datetime(["2026-01-05", "2026-02-20"])}).to_parquet(tmp_path / "events.parquet")
    return workspace


def test_define_derive_and_diff_from_the_command_line(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    (tmp_path / "churn.yaml").write_text(DEFINITION.format(days=90, root=tmp_path))
    defined = answerkey("labels", "define", tmp_path / "churn.yaml", "--json", cwd=workspace)
    assert defined.returncode == 0, defined.stderr
    assert json.loads(defined.stdout)["version"] == 1
    derived = answerkey("labels", "derive", "churn", "--as-of", "2026-06-01", "--json", cwd=workspace)
    assert derived.returncode == 0, derived.stderr
    assert json.loads(derived.stdout)["counts"] == {"positive": 2, "negative": 1, "immature": 0, "not_items": 1,
                                                    "withdrawn": 0, "written": 3}
    (tmp_path / "churn.yaml").write_text(DEFINITION.format(days=30, root=tmp_path))
    assert json.loads(answerkey("labels", "define", tmp_path / "churn.yaml", "--json", cwd=workspace).stdout)[
        "version"] == 2
    assert answerkey("labels", "derive", "churn", "--as-of", "2026-06-01", cwd=workspace).returncode == 0
    diff = json.loads(answerkey("labels", "diff", "churn", "--json", cwd=workspace).stdout)
    everything = diff["segments"][0]
    assert (everything["segment"], everything["positive_to_negative"], everything["unchanged"]) == ("all", 1, 2)
    listed = json.loads(answerkey("labels", "list", "--json", cwd=workspace).stdout)
    assert [row["version"] for row in listed] == [1, 2]


def test_a_bad_definition_exits_2_naming_the_file_and_field(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    (tmp_path / "bad.yaml").write_text(DEFINITION.format(days=90, root=tmp_path).replace("90 days", "3 months"))
    result = answerkey("labels", "define", tmp_path / "bad.yaml", cwd=workspace)
    assert result.returncode == 2
    assert "bad.yaml" in result.stderr
    assert "window" in result.stderr
    assert "Traceback" not in result.stderr
    missing = answerkey("labels", "derive", "nothing", cwd=workspace)
    assert missing.returncode == 2
    assert "no definition 'nothing'" in missing.stderr


RULES = '''
from answerkey.quality.labeling_functions import labeling_function


def lf_refund(item):
    return "negative" if "refund" in (item.get("text") or "") else None


@labeling_function(name="thanks")
def polite(item):
    return "positive" if "thanks" in (item.get("text") or "") else None


SQL = {"lf_short": "CASE WHEN length(text) < 12 THEN 'neutral' END"}
'''


def test_labeling_functions_report_accuracy_against_expert_labels_and_write_once(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    assert answerkey("init", workspace).returncode == 0
    (workspace / "items.csv").write_text("item_id,text\n1,refund now please\n2,thanks a lot friend\n3,hm ok\n"
                                         "4,refund and thanks\n")
    (workspace / "expert.csv").write_text("item_id,annotator_id,label,source\n1,e,negative,expert\n"
                                          "2,e,positive,expert\n4,e,positive,expert\n")
    (tmp_path / "rules.py").write_text(RULES)
    for kind, name in (("items", "items.csv"), ("annotations", "expert.csv")):
        assert answerkey("import", kind, name, cwd=workspace).returncode == 0
    result = answerkey("labels", "functions", tmp_path / "rules.py", "--write", "--json", cwd=workspace)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = {row["function"]: row for row in report["functions"]}
    assert rows["lf_refund"]["coverage"] == 0.5
    assert (rows["lf_refund"]["n_trusted"], rows["lf_refund"]["accuracy"]) == (2, 0.5)  # right on 1, wrong on 4
    assert rows["thanks"]["accuracy"] == 1.0
    assert report["summary"]["conflict"] == 0.25  # item 4: negative and positive
    assert report["written"] == 5
    again = answerkey("labels", "functions", tmp_path / "rules.py", "--write", "--combine", "majority", "-o",
                      tmp_path / "combined.csv", "--json", cwd=workspace)
    assert json.loads(again.stdout)["written"] == 0
    (tmp_path / "rules.py").write_text(RULES.replace('"refund" in', '"refund now" in'))  # item 4 no longer
    fewer = json.loads(answerkey("labels", "functions", tmp_path / "rules.py", "--write", "--json",
                                 cwd=workspace).stdout)
    assert (fewer["written"], fewer["withdrawn"]) == (0, 1)
    combined = pd.read_csv(tmp_path / "combined.csv", dtype={"item_id": str}).set_index("item_id")
    assert combined.loc["1", "label"] == "negative"
    assert combined.loc["4", "status"] == "disputed"  # refund says negative, thanks says positive


def test_sources_and_feedback_check_find_selective_labels_and_score_each_source(tmp_path: Path) -> None:
    import numpy as np

    workspace = tmp_path / "ws"
    assert answerkey("init", workspace).returncode == 0
    rng = np.random.default_rng(3)
    ids = [f"t{i}" for i in range(300)]
    flagged = rng.random(300) < 0.4
    pd.DataFrame({"item_id": ids, "segment": np.where(rng.random(300) < 0.5, "smb", "enterprise")}).to_csv(
        workspace / "items.csv", index=False)
    truth = np.where(flagged, "negative", "positive")
    reviewed = np.where(flagged, rng.random(300) < 0.9, rng.random(300) < 0.1)  # labels where the model flagged
    rows = [(i, "h1", t, "human") for i, t, r in zip(ids, truth, reviewed, strict=True) if r]
    rows += [(i, "ex", t, "expert") for i, t, r in zip(ids, truth, reviewed, strict=True) if r and rng.random() < 0.5]
    pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "source"]).to_csv(workspace / "labels.csv",
                                                                                      index=False)
    for kind, name in (("items", "items.csv"), ("annotations", "labels.csv")):
        assert answerkey("import", kind, name, cwd=workspace).returncode == 0
    pd.DataFrame({"item_id": ids, "prediction": flagged}).to_parquet(tmp_path / "preds.parquet")
    found = answerkey("labels", "feedback-check", "--predictions", tmp_path / "preds.parquet", "--positive",
                      "negative", "--json",
                      cwd=workspace)
    assert found.returncode == 0, found.stderr
    assert [f["check"] for f in json.loads(found.stdout)["findings"]] == ["labels.selective_labels"]
    sources = answerkey("labels", "sources", "--json", cwd=workspace)
    assert sources.returncode == 0, sources.stderr
    human = next(r for r in json.loads(sources.stdout)["accuracy"] if r["annotator_id"] == "h1"
                 and r["segment"] == "all")
    assert human["accuracy"] == 1.0
    assert human["n_trusted"] > 30
    missing = answerkey("labels", "feedback-check", "--predictions", tmp_path / "nope.parquet", cwd=workspace)
    assert missing.returncode == 2
    assert "nope.parquet" in missing.stderr


def test_the_help_of_labels_functions_says_the_file_runs_as_python_with_the_users_rights() -> None:
    result = answerkey("labels", "functions", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "The file is executed as Python code, with the rights of the user who runs this command" in text
    assert "run only a file you wrote or reviewed" in text
