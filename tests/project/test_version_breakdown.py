"""Agreement per schema version: each version's judgements on their own, never pooled."""

from __future__ import annotations

from pathlib import Path

from answerkey.project import Workspace, import_annotations, import_items
from answerkey.project.agreement import BY, version_breakdown
from conftest import make_schema, write_schema, write_text


def test_each_schema_version_gets_its_own_agreement(workspace: Workspace, items_csv: Path, tmp_path: Path) -> None:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "v1.csv", "item_id,annotator_id,label\n"
                       "T1,ann,billing\nT1,bob,billing\nT2,ann,technical\nT2,bob,technical\n"))
    write_schema(workspace, make_schema(2, ("refund", "technical", "account")))
    import_annotations(workspace, write_text(tmp_path / "v2.csv", "item_id,annotator_id,label\n"
                       "T1,ann,refund\nT1,bob,technical\nT3,ann,account\nT3,bob,technical\n"))
    table = version_breakdown(workspace).set_index("group")
    assert list(table.index) == [1, 2]
    assert table.loc[1, "percent_agreement"] == 1.0
    assert table.loc[2, "percent_agreement"] == 0.0
    assert table.loc[2, "items"] == 2
    assert "schema_version" in BY


def test_a_workspace_without_judgements_has_an_empty_breakdown(workspace: Workspace) -> None:
    assert version_breakdown(workspace).empty


def test_an_ordinal_breakdown_uses_the_order_given(workspace: Workspace, items_csv: Path, tmp_path: Path) -> None:
    import_items(workspace, items_csv)
    import_annotations(workspace, write_text(tmp_path / "v1.csv", "item_id,annotator_id,label\n"
                       "T1,ann,billing\nT1,bob,billing\nT2,ann,technical\nT2,bob,account\n"))
    near = version_breakdown(workspace, level="ordinal", order=["billing", "technical", "account"])
    far = version_breakdown(workspace, level="ordinal", order=["technical", "billing", "account"])
    assert near.loc[0, "krippendorff_alpha"] != far.loc[0, "krippendorff_alpha"]
