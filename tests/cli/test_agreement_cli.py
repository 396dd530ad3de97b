"""``answerkey agreement`` on a file without a workspace, and on a workspace's own annotations."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LONG = Path(__file__).parent.parent / "fixtures" / "krippendorff_2011_long.csv"


def answerkey(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "answerkey.cli.main", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, check=False)


def test_agreement_of_a_file_prints_the_contract_keys_as_json(tmp_path: Path) -> None:
    result = answerkey("agreement", LONG, "--level", "ordinal", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["krippendorff_alpha"] == pytest.approx(0.815, abs=5e-4)
    assert {"fleiss_kappa", "percent_agreement", "gwet_ac1"} <= set(report)
    assert "cohen_kappa" not in report


def test_two_annotators_add_cohens_kappa_and_intervals_come_with_ci(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text("item_id,annotator_id,label\n" + "".join(
        f"{i},a,{'x' if i % 3 else 'y'}\n{i},b,{'x' if i % 4 else 'y'}\n" for i in range(40)))
    report = json.loads(answerkey("agreement", path, "--ci", "0.9", "--n-boot", "200", "--json").stdout)
    assert "cohen_kappa" in report
    estimate = report["estimates"]["cohen_kappa"]
    assert estimate["ci_low"] <= estimate["value"] <= estimate["ci_high"]


def test_perfect_agreement_on_one_label_reports_nan_as_null_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "same.csv"
    path.write_text("item_id,annotator_id,label\n1,a,x\n1,b,x\n2,a,x\n2,b,x\n")
    report = json.loads(answerkey("agreement", path, "--json").stdout)
    assert report["percent_agreement"] == 1.0
    assert report["krippendorff_alpha"] is None
    assert any("no variation" in w for w in report["warnings"])


def test_agreement_of_a_file_without_the_columns_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("item,a,b\n1,x,y\n")
    result = answerkey("agreement", path)
    assert result.returncode == 2
    assert "found no column 'item_id'" in result.stderr
    assert "no agreement computed" in result.stderr


def test_agreement_of_the_workspace_compares_people_under_the_current_schema(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    assert answerkey("init", workspace).returncode == 0
    (workspace / "items.csv").write_text("item_id\n1\n2\n3\n")
    (workspace / "labels.csv").write_text("item_id,annotator_id,label,source\n1,a,positive,human\n1,b,positive,human\n"
                                          "2,a,negative,human\n2,b,neutral,expert\n3,a,neutral,human\n"
                                          "3,b,neutral,human\n3,rule,negative,synthetic\n")
    answerkey("import", "items", "items.csv", cwd=workspace)
    answerkey("import", "annotations", "labels.csv", cwd=workspace)
    report = json.loads(answerkey("agreement", "--json", cwd=workspace).stdout)
    assert report["n_annotators"] == 2
    assert report["percent_agreement"] == pytest.approx(2 / 3)
    everyone = json.loads(answerkey("agreement", "--sources", "human,expert,synthetic", "--json", cwd=workspace).stdout)
    assert everyone["n_annotators"] == 3


@pytest.mark.parametrize("by", ["label", "annotator", "pairs"])
def test_a_file_breaks_down_by_label_annotator_and_pairs(by: str, tmp_path: Path) -> None:
    result = answerkey("agreement", LONG, "--by", by, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows
    key = {"label": "label", "annotator": "annotator_id", "pairs": "annotator_a"}[by]
    assert all(key in row for row in rows)


def test_a_file_has_no_segments_to_break_down_by(tmp_path: Path) -> None:
    result = answerkey("agreement", LONG, "--by", "segment", cwd=tmp_path)
    assert result.returncode == 2
    assert "for a file" in result.stderr
