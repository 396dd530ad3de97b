"""``answerkey agreement`` on multi-label judgements: --level masi or jaccard, and masi by default for a
workspace whose schema is multi_label."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from answerkey.config import DATABASE_URL_ENV

# Krippendorff's alpha of these is 0.7 with MASI and 44/59 with Jaccard (worked in
# tests/quality/test_agreement_multilabel.py); item 4 has one judgement and does not count.
SETS = "item_id,annotator_id,label\n1,a,a|b\n1,b,b|a\n2,a,c\n2,b,c\n3,a,a\n3,b,a|c\n4,a,a|d\n"


def answerkey(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (DATABASE_URL_ENV, "ANSWERKEY_DEBUG")}
    return subprocess.run([sys.executable, "-m", "answerkey.cli.main", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, check=False)


@pytest.fixture
def sets_file(tmp_path: Path) -> Path:
    path = tmp_path / "sets.csv"
    path.write_text(SETS)
    return path


@pytest.mark.parametrize(("level", "alpha"), [("masi", 0.7), ("jaccard", 44 / 59)])
def test_agreement_of_a_file_with_a_set_level_prints_krippendorff_alpha_as_json(
    level: str, alpha: float, sets_file: Path
) -> None:
    result = answerkey("agreement", sets_file, "--level", level, "--json", cwd=sets_file.parent)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["level"] == level
    assert report["krippendorff_alpha"] == pytest.approx(alpha, abs=1e-12)
    assert report["percent_agreement"] == pytest.approx(2 / 3)  # exact sets: items 1 and 2 agree, item 3 does not
    assert "gwet_ac2" not in report
    assert "cohen_kappa" in report


def test_the_table_says_which_coefficients_need_the_exact_same_set(sets_file: Path) -> None:
    result = answerkey("agreement", sets_file, "--level", "masi", cwd=sets_file.parent)
    assert result.returncode == 0, result.stderr
    assert "(masi level)" in result.stdout
    assert "Krippendorff's alpha (MASI)" in result.stdout
    assert "Fleiss' kappa (exact set)" in result.stdout


def test_a_file_without_a_level_stays_nominal(sets_file: Path) -> None:
    report = json.loads(answerkey("agreement", sets_file, "--json", cwd=sets_file.parent).stdout)
    assert report["level"] == "nominal"


def test_an_unknown_level_exits_2_naming_the_set_levels(sets_file: Path) -> None:
    result = answerkey("agreement", sets_file, "--level", "masy", cwd=sets_file.parent)
    assert result.returncode == 2
    assert "masi, jaccard" in result.stderr


def test_a_multi_label_workspace_defaults_to_masi(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "schema.yaml").write_text("name: tickets\nversion: 1\ntask: multi_label\nlabels:\n"
                                           + "".join(f"- name: {name}\n" for name in "abcd"))
    assert answerkey("init", workspace).returncode == 0
    (workspace / "items.csv").write_text("item_id\n1\n2\n3\n4\n")
    (workspace / "labels.csv").write_text(SETS.replace("\n", ",human\n").replace("label,human", "label,source"))
    assert answerkey("import", "items", "items.csv", cwd=workspace).returncode == 0
    imported = answerkey("import", "annotations", "labels.csv", cwd=workspace)
    assert imported.returncode == 0, imported.stderr
    report = json.loads(answerkey("agreement", "--json", cwd=workspace).stdout)
    assert report["level"] == "masi"
    assert report["krippendorff_alpha"] == pytest.approx(0.7, abs=1e-12)
    nominal = json.loads(answerkey("agreement", "--level", "nominal", "--json", cwd=workspace).stdout)
    assert nominal["level"] == "nominal"
    assert nominal["krippendorff_alpha"] < report["krippendorff_alpha"]
