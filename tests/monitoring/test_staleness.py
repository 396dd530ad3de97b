"""Stale ground truth: label age by segment and label against the review cadence, and old schema versions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from answerkey.errors import ParameterError
from answerkey.monitoring.staleness import label_staleness
from answerkey.project import Workspace, import_annotations, import_items
from answerkey.project.staleness import workspace_staleness


def labels() -> pd.DataFrame:
    return pd.DataFrame({
        "item_id": ["a", "b", "c", "d", "e"],
        "label": ["billing", "billing", "technical", "billing", "technical"],
        "segment": ["enterprise", "enterprise", "enterprise", "smb", "smb"],
        "labeled_at": ["2026-01-01", "2026-10-01", "2026-11-20", "2026-06-01", "2026-11-01"],
        "schema_version": [1, 2, 2, 2, 2],
    })


def test_ages_and_overdue_labels_are_counted_per_segment_and_label() -> None:
    report = label_staleness(labels(), as_of="2026-12-01", review_every_days=180, segment_days={"enterprise": 90},
                             current_version=2)
    table = report.table.set_index(["segment", "label"])
    assert table.loc[("enterprise", "billing"), "items"] == 2
    assert table.loc[("enterprise", "billing"), "median_age_days"] == pytest.approx((334 + 61) / 2)
    assert table.loc[("enterprise", "billing"), "overdue"] == 1  # 334 days > 90; 61 days is not
    assert table.loc[("smb", "billing"), "cadence_days"] == 180
    assert table.loc[("smb", "billing"), "overdue"] == 1  # 183 days > 180
    assert table.loc[("enterprise", "billing"), "old_schema"] == 1
    checks = {(f.check, f.where) for f in report.findings}
    assert checks == {("staleness.overdue", "segment enterprise"), ("staleness.overdue", "segment smb"),
                      ("staleness.old_schema", "schema")}


def test_fresh_labels_under_the_current_schema_raise_nothing() -> None:
    fresh = labels().assign(labeled_at="2026-11-25", schema_version=2)
    assert label_staleness(fresh, as_of="2026-12-01", current_version=2).findings == []


def test_a_cadence_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ParameterError, match="review_every_days"):
        label_staleness(labels(), review_every_days=0)


def test_the_workspace_reads_the_cadence_from_answerkey_toml(workspace: Workspace, items_csv: Path,
                                                              tmp_path: Path) -> None:
    config = workspace.root / "answerkey.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "# [staleness.segments]\n# enterprise = 90", "[staleness.segments]\nenterprise = 30"), encoding="utf-8")
    import_items(workspace, items_csv)
    (tmp_path / "l.csv").write_text("item_id,annotator_id,label,source,created_at\n"
                                    "T1,ann,billing,human,2026-10-01T00:00:00Z\n"
                                    "T2,ann,technical,human,2026-11-20T00:00:00Z\n", encoding="utf-8")
    import_annotations(workspace, tmp_path / "l.csv")
    report = workspace_staleness(Workspace.open(workspace.root), as_of="2026-12-01")
    table = report.table.set_index("segment")
    assert table.loc["enterprise", "cadence_days"] == 30
    assert table.loc["enterprise", "overdue"] == 0  # T2 is 11 days old
    assert table.loc["smb", "cadence_days"] == 180
