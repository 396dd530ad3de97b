"""Releases: frozen, content-addressed, identical across stores, and reproducible from their exports."""

from __future__ import annotations

import string
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from answerkey.config import DATABASE_URL_ENV
from answerkey.errors import NotFoundError, StoreError
from answerkey.project import (
    Workspace,
    create_release,
    diff_releases,
    export_release,
    get_release,
    import_annotations,
    import_items,
    import_label_studio,
)
from conftest import make_schema, write_text

LABELS = "item_id,annotator_id,label,created_at\n" + "".join([
    "T1,ann,billing,2026-01-01T10:00:00Z\n", "T1,bob,billing,2026-01-02T10:00:00Z\n",
    "T1,cy,technical,2026-01-03T10:00:00Z\n", "T2,ann,technical,\n", "T2,bob,account,\n",
])
# The hash of the data above (method "majority; authority adjudicated>expert"), pinned: a change in the canonical
# serialisation must be deliberate.
GOLDEN_HASH = "91c23b15bd3da3772ab37c812425b006ee9099d10ccd6b82eae708e0e4142b18"


def build(ws: Workspace, items_csv: Path, tmp_path: Path) -> str:
    import_items(ws, items_csv)
    import_annotations(ws, write_text(tmp_path / "labels.csv", LABELS))
    return create_release(ws, "2026-11").content_hash


def test_a_release_freezes_majority_labels_with_ties_disputed(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    build(workspace, items_csv, tmp_path)
    labels = get_release(workspace, "2026-11").labels.set_index("item_id")
    assert labels.loc["T1", ["label", "status", "n_judgements"]].tolist() == ["billing", "agreed", 3]
    assert labels.at["T1", "confidence"] == pytest.approx(2 / 3)
    assert labels.loc["T2", ["label", "status"]].tolist() == [None, "disputed"]
    assert labels.loc["T3", ["label", "status", "n_judgements"]].tolist() == [None, "unlabeled", 0]


def test_the_same_ground_truth_has_the_same_hash_on_every_store(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    assert build(workspace, items_csv, tmp_path) == GOLDEN_HASH


def test_a_release_never_changes_even_when_annotations_arrive_later(
    workspace: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    digest = build(workspace, items_csv, tmp_path)
    import_annotations(workspace, write_text(tmp_path / "more.csv", "item_id,annotator_id,label\nT2,cy,account\n"))
    assert get_release(workspace, "2026-11").content_hash == digest
    later = create_release(workspace, "2026-12")
    assert later.content_hash != digest
    diff = diff_releases(workspace, "2026-11", "2026-12")
    assert diff.changed == [{"item_id": "T2", "old_label": None, "new_label": "account", "old_status": "disputed",
                             "new_status": "agreed"}]
    assert diff.label_counts["account"] == {"old": 0, "new": 1}
    with pytest.raises(StoreError, match="exists already"):
        create_release(workspace, "2026-11")
    with pytest.raises(NotFoundError, match="no release named 'nope'"):
        get_release(workspace, "nope")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "label-studio"])
def test_an_export_imported_into_a_new_workspace_gives_the_same_hash(
    workspace: Workspace, items_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    digest = build(workspace, items_csv, tmp_path)
    out = tmp_path / "out"
    export_release(workspace, "2026-11", fmt, out)
    monkeypatch.delenv(DATABASE_URL_ENV)
    copy = Workspace.init(tmp_path / "copy")
    copy.config.schema_path.write_text((out / "schema.yaml").read_text())
    if fmt == "label-studio":
        import_label_studio(copy, out / "label-studio.json")
    else:
        import_items(copy, out / f"items.{fmt}")
        import_annotations(copy, out / f"annotations.{fmt}")
    assert create_release(copy, "2026-11").content_hash == digest
    copy.close()


ids = st.text(alphabet=string.ascii_letters + string.digits + "-_.:/ é漢", min_size=1, max_size=12).map(str.strip)
judgement = st.tuples(st.integers(0, 5), st.sampled_from(["ann", "bob", "cy", "d:1"]),
                      st.sampled_from(["billing", "technical", "account"]),
                      st.none() | st.datetimes(min_value=pd.Timestamp("2020-01-01").to_pydatetime(),
                                               max_value=pd.Timestamp("2030-01-01").to_pydatetime()))


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item_ids=st.lists(ids.filter(bool), min_size=1, max_size=6, unique=True),
       judgements=st.lists(judgement, max_size=25))
def test_export_round_trips_preserve_the_hash_for_any_ground_truth(
    tmp_path_factory: pytest.TempPathFactory, fmt: str, item_ids: list[str],
    judgements: list[tuple[int, str, str, object]],
) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    origin = Workspace.init(folder / "origin", schema=make_schema())
    pd.DataFrame({"item_id": item_ids, "text": [f"text of {i}" for i in item_ids]}).to_parquet(folder / "items.parquet")
    import_items(origin, folder / "items.parquet")
    rows = [{"item_id": item_ids[i % len(item_ids)], "annotator_id": a, "label": label,
             "created_at": None if t is None else pd.Timestamp(t).isoformat() + "Z"} for i, a, label, t in judgements]
    if rows:
        pd.DataFrame(rows).to_parquet(folder / "labels.parquet")
        import_annotations(origin, folder / "labels.parquet")
    digest = create_release(origin, "r").content_hash
    export_release(origin, "r", fmt, folder / "out")
    copy = Workspace.init(folder / "copy", schema=make_schema())
    import_items(copy, folder / "out" / f"items.{fmt}")
    if rows:
        import_annotations(copy, folder / "out" / f"annotations.{fmt}")
    assert create_release(copy, "r").content_hash == digest
    origin.close()
    copy.close()
