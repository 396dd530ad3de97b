"""Releases freeze labels, schema version and item set under a content hash that no store changes."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from answerkey.config import DATABASE_URL_ENV
from answerkey.errors import NotFoundError, ParameterError, StoreError
from answerkey.project import (
    Workspace,
    create_release,
    diff_releases,
    get_release,
    import_annotations,
    import_items,
    list_releases,
    workspace_status,
)
from conftest import make_schema, postgres_schema, write_schema, write_text

# The cross-store test compares whole releases on both stores; the rest runs on SQLite unless it is about the store.
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
# ids chosen so that code-point order, byte order, PostgreSQL collations and numeric order all disagree
ITEM_IDS = ["a", "B", "Z", "é", "É", "漢字", "😀", "10", "9", "item 2", "item-2", "ß"]
JUDGEMENTS = [
    # item, annotator, label, created_at
    ("a", "ann", "billing", "2026-01-01T10:00:00Z"), ("a", "bob", "billing", None),
    ("a", "cy", "technical", "2026-01-01"),                      # 2 of 3: confidence 2/3
    ("B", "ann", "billing", None), ("B", "bob", "account", None),  # a tie: disputed
    ("Z", "ann", "account", "2026-01-02T00:00:00+05:30"),
    ("é", "ann", "billing", None), ("é", "bob", "technical", None), ("é", "cy", "account", None),  # three-way tie
    ("É", "ann", "technical", "2026-01-01T10:00:00Z"), ("É", "ann", "billing", "2026-01-02T10:00:00Z"),  # correction
    ("漢字", "ann", "account", None), ("漢字", "bob", "account", None), ("漢字", "cy", "account", None),
    ("😀", "dé", "billing", "2026-01-01T10:00:00.123456Z"),
    ("10", "ann", "technical", None), ("10", "bob", "technical", None), ("10", "cy", "billing", None),
    ("10", "dé", "account", None), ("10", "ed", "technical", None), ("10", "fu", "billing", None),
    ("10", "gi", "technical", None),                             # 4 of 7
    ("item 2", "ann", "billing", None),
    # "9", "item-2" and "ß" stay unlabeled
]


def items_file(path: Path, ids: list[str]) -> Path:
    pd.DataFrame({"item_id": ids, "text": [f"text of {i}" for i in ids]}).to_parquet(path, index=False)
    return path


def judgements_file(path: Path, rows: list[tuple[str, str, str, str | None]]) -> Path:
    frame = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "created_at"])
    frame.to_parquet(path, index=False)
    return path


def build(ws: Workspace, folder: Path, rows: list[tuple[str, str, str, str | None]] = JUDGEMENTS,
          ids: list[str] = ITEM_IDS, name: str = "r1") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    import_items(ws, items_file(folder / "items.parquet", ids))
    import_annotations(ws, judgements_file(folder / "labels.parquet", rows))
    return create_release(ws, name).content_hash


@pytest.mark.postgres
def test_the_same_ground_truth_gives_the_same_release_on_sqlite_and_postgresql(
    postgres_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    releases = {}
    with postgres_schema(postgres_server) as postgres_url:
        for backend, url in [("sqlite", f"sqlite:///{tmp_path / 'store.db'}"), ("postgres", postgres_url)]:
            monkeypatch.setenv(DATABASE_URL_ENV, url)
            ws = Workspace.init(tmp_path / backend, schema=make_schema())
            assert ws.engine.dialect.name == backend.replace("postgres", "postgresql")
            build(ws, tmp_path / f"{backend}-files")
            releases[backend] = get_release(ws, "r1")
            ws.close()
    sqlite, postgres = releases["sqlite"], releases["postgres"]
    assert len(sqlite.content_hash) == 64
    assert int(sqlite.content_hash, 16) >= 0
    assert sqlite.content_hash == postgres.content_hash
    assert (sqlite.schema_version, sqlite.item_count) == (postgres.schema_version, postgres.item_count) == (1, 12)
    pd.testing.assert_frame_equal(sqlite.labels.reset_index(drop=True), postgres.labels.reset_index(drop=True))


@SQLITE_ONLY
def test_a_release_records_majority_labels_ties_as_disputed_and_items_without_judgements(
    workspace: Workspace, tmp_path: Path
) -> None:
    build(workspace, tmp_path / "files")
    labels = get_release(workspace, "r1").labels.set_index("item_id")
    summary = {i: (labels.at[i, "label"], labels.at[i, "status"], int(labels.at[i, "n_judgements"]))
               for i in labels.index}
    assert summary == {
        "a": ("billing", "agreed", 3), "B": (None, "disputed", 2), "Z": ("account", "agreed", 1),
        "é": (None, "disputed", 3), "É": ("billing", "agreed", 1), "漢字": ("account", "agreed", 3),
        "😀": ("billing", "agreed", 1), "10": ("technical", "agreed", 7), "item 2": ("billing", "agreed", 1),
        "9": (None, "unlabeled", 0), "item-2": (None, "unlabeled", 0), "ß": (None, "unlabeled", 0),
    }
    assert labels.at["a", "confidence"] == pytest.approx(2 / 3)
    assert labels.at["10", "confidence"] == pytest.approx(4 / 7)


@SQLITE_ONLY
def test_the_hash_does_not_depend_on_the_order_of_rows_or_the_names_of_annotators(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every item's judgements come from distinct annotators (no corrections), so no order can matter
    rows = [r for r in JUDGEMENTS if r[0] != "É"]
    digest = build(workspace, tmp_path / "first", rows)
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    renamed = [(i, f"annotator-{a[::-1]}", label, t) for i, a, label, t in shuffled]
    ids = ITEM_IDS[::-1]
    monkeypatch.delenv(DATABASE_URL_ENV)
    other = Workspace.init(tmp_path / "other", schema=make_schema())
    assert build(other, tmp_path / "second", renamed, ids) == digest
    other.close()


@SQLITE_ONLY
def test_a_different_label_or_another_item_gives_a_different_hash(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = build(workspace, tmp_path / "first")
    monkeypatch.delenv(DATABASE_URL_ENV)
    hashes = {digest}
    variants = {
        "one label differs": ([*JUDGEMENTS[:-1], ("item 2", "ann", "account", None)], ITEM_IDS),
        "one more item": (JUDGEMENTS, [*ITEM_IDS, "new"]),
        "one judgement more": ([*JUDGEMENTS, ("9", "ann", "billing", None)], ITEM_IDS),
    }
    for name, (rows, ids) in variants.items():
        ws = Workspace.init(tmp_path / name, schema=make_schema())
        hashes.add(build(ws, tmp_path / f"{name}-files", rows, ids))
        ws.close()
    assert len(hashes) == 1 + len(variants)


def test_a_release_is_frozen_when_annotations_items_and_the_schema_change_later(
    workspace: Workspace, tmp_path: Path
) -> None:
    build(workspace, tmp_path / "files")
    frozen = get_release(workspace, "r1")
    import_items(workspace, write_text(tmp_path / "more_items.csv", "item_id,text\nnew,new text\n"))
    import_annotations(workspace, write_text(tmp_path / "more.csv", "item_id,annotator_id,label\nB,cy,billing\n"
                                             "new,ann,account\n9,ann,technical\n"))
    write_schema(workspace, make_schema(version=2, labels=("billing", "technical", "account", "other")))
    import_annotations(workspace, write_text(tmp_path / "v2.csv", "item_id,annotator_id,label\nitem-2,ann,other\n"))
    again = get_release(workspace, "r1")
    assert again.content_hash == frozen.content_hash
    assert (again.schema_version, again.item_count) == (1, 12)
    pd.testing.assert_frame_equal(again.labels, frozen.labels)
    later = create_release(workspace, "r2")
    assert (later.schema_version, later.item_count) == (2, 13)
    assert later.content_hash != frozen.content_hash


@SQLITE_ONLY
def test_a_release_name_cannot_be_reused_even_for_the_same_data(workspace: Workspace, tmp_path: Path) -> None:
    digest = build(workspace, tmp_path / "files")
    before = list_releases(workspace)
    with pytest.raises(StoreError, match=r"release 'r1' exists already"):
        create_release(workspace, "r1")
    import_annotations(workspace, write_text(tmp_path / "more.csv", "item_id,annotator_id,label\nB,cy,billing\n"))
    with pytest.raises(StoreError, match=r"release 'r1' exists already"):
        create_release(workspace, "r1", note="second try")
    assert list_releases(workspace) == before
    assert get_release(workspace, "r1").content_hash == digest


@SQLITE_ONLY
@pytest.mark.parametrize("name", ["", "two words", "../up", "-leading-dash", "x" * 129])
def test_a_release_name_that_is_not_a_plain_name_is_refused(workspace: Workspace, name: str) -> None:
    with pytest.raises(ParameterError, match="release name must be"):
        create_release(workspace, name)
    assert workspace_status(workspace)["releases"] == 0


@SQLITE_ONLY
def test_releases_are_listed_oldest_first_and_an_unknown_name_lists_the_known_ones(
    workspace: Workspace, tmp_path: Path
) -> None:
    first = build(workspace, tmp_path / "files", name="2026-10")
    import_annotations(workspace, write_text(tmp_path / "more.csv", "item_id,annotator_id,label\nB,cy,billing\n"))
    second = create_release(workspace, "2026-09", note="named out of order on purpose").content_hash
    listed = list_releases(workspace)
    assert [(r["name"], r["content_hash"]) for r in listed] == [("2026-10", first), ("2026-09", second)]
    assert listed[1]["note"] == "named out of order on purpose"
    with pytest.raises(NotFoundError, match=r"no release named '2026-11'.*2026-10, 2026-09"):
        get_release(workspace, "2026-11")
    with pytest.raises(LookupError):
        diff_releases(workspace, "2026-10", "2026-11")


@SQLITE_ONLY
def test_diff_shows_added_removed_and_changed_items_and_counts_per_label(workspace: Workspace, tmp_path: Path) -> None:
    build(workspace, tmp_path / "files")
    import_items(workspace, write_text(tmp_path / "new_items.csv", "item_id,text\nnew,hello\n"))
    import_annotations(workspace, write_text(tmp_path / "more.csv", "item_id,annotator_id,label,created_at\n"
                                             "B,cy,billing,\n"                         # disputed -> billing
                                             "Z,ann,technical,2026-02-01T00:00:00Z\n"  # a later correction
                                             "9,ann,account,\n"                        # unlabeled -> account
                                             "new,ann,billing,\n"                      # a new item
                                             "漢字,dé,account,\n"))                     # one more vote: unchanged
    diff = diff_releases(workspace, "r1", create_release(workspace, "r2").name)
    assert (diff.old, diff.new, diff.added, diff.removed) == ("r1", "r2", ["new"], [])
    changed = {c["item_id"]: (c["old_label"], c["old_status"], c["new_label"], c["new_status"]) for c in diff.changed}
    assert changed == {
        "B": (None, "disputed", "billing", "agreed"),
        "Z": ("account", "agreed", "technical", "agreed"),
        "9": (None, "unlabeled", "account", "agreed"),
    }
    assert diff.label_counts == {"account": {"old": 2, "new": 2}, "billing": {"old": 4, "new": 6},
                                 "technical": {"old": 1, "new": 2}}
    backwards = diff_releases(workspace, "r2", "r1")
    assert (backwards.added, backwards.removed) == ([], ["new"])
    assert backwards.to_dict()["label_counts"]["billing"] == {"old": 6, "new": 4}


@SQLITE_ONLY
def test_a_release_of_an_empty_workspace_is_empty_but_well_defined(workspace: Workspace) -> None:
    release = create_release(workspace, "empty")
    assert (release.item_count, len(release.labels), len(release.content_hash)) == (0, 0, 64)
    assert workspace_status(workspace)["latest_release"] == "empty"
