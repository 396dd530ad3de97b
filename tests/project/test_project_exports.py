"""Exports are complete, portable copies: re-imported into a new workspace they give the same release hash."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from answerkey.config import DATABASE_URL_ENV, STORE_DIR
from answerkey.errors import AnswerkeyError, NotFoundError, ParameterError
from answerkey.project import (
    Workspace,
    create_release,
    export_release,
    get_release,
    import_annotations,
    import_items,
    workspace_status,
)
from answerkey.schema import LabelingSchema, load_schema
from conftest import make_schema, postgres_schema, write_schema, write_text

FORMATS = ["csv", "jsonl", "parquet"]
LABELS = ("billing", "technical", "account")
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
SOURCES = ["human", "expert", "behavioral", "synthetic", "model"]


def read_frame(path: Path) -> pd.DataFrame:
    fmt = path.suffix.lstrip(".")
    if fmt == "csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    if fmt == "jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_parquet(path)


def round_trip(origin: Workspace, name: str, fmt: str, out: Path, copy_root: Path) -> Workspace:
    """Export release ``name``, then import its items and annotations into a new workspace with its schema."""
    export_release(origin, name, fmt, out)
    copy = Workspace.init(copy_root, schema=load_schema(out / "schema.yaml"))
    import_items(copy, out / f"items.{fmt}")
    import_annotations(copy, out / f"annotations.{fmt}")
    return copy


def build(ws: Workspace, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    import_items(ws, write_text(folder / "items.csv", "item_id,text,segment,group_id,created_at\n"
                                "T1,\"refund, please\",smb,g1,2026-01-01T00:00:00Z\n"
                                "T2,écran noir 漢字,,g1,2026-01-01\nT3,\"say \"\"hi\"\"\",enterprise,,2026-01-02\n"))
    import_annotations(ws, write_text(folder / "labels.csv", "item_id,annotator_id,label,created_at,source,"
                                      "confidence,note\n"
                                      "T1,ann,billing,2026-01-01T10:00:00Z,human,0.9,\"a, note\"\n"
                                      "T1,bob,billing,,expert,,\n"
                                      "T1,cy,technical,2026-01-03T10:00:00.250+01:00,human,,\n"
                                      "T2,ann,technical,,human,,\n"
                                      "T2,bob,account,,human,,ünïcödé\n"
                                      "T2,rule:kw,account,,synthetic,1,\n"
                                      "T3,model:v1,billing,,model,0.4,\n"))
    return create_release(ws, "r1").content_hash


@SQLITE_ONLY
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_writes_the_schema_items_annotations_and_labels_of_the_release(
    workspace: Workspace, tmp_path: Path, fmt: str
) -> None:
    build(workspace, tmp_path / "in")
    release = get_release(workspace, "r1")
    out = tmp_path / "out"
    written = export_release(workspace, "r1", fmt, out)
    assert {p.name for p in written} >= {"schema.yaml", f"items.{fmt}", f"annotations.{fmt}", f"labels.{fmt}"}
    assert all(p.is_file() for p in written)
    assert load_schema(out / "schema.yaml") == load_schema(workspace.config.schema_path)
    labels = read_frame(out / f"labels.{fmt}").sort_values("item_id").reset_index(drop=True)
    assert labels["item_id"].tolist() == ["T1", "T2", "T3"]
    assert labels["status"].tolist() == release.labels.sort_values("item_id")["status"].tolist()
    # T2: two people and a keyword rule say account; T3 has only a model's judgement, which never counts
    assert [None if pd.isna(v) else v for v in labels["label"]] == ["billing", "account", None]
    annotations = read_frame(out / f"annotations.{fmt}")
    assert len(annotations) == 7
    assert set(annotations["annotator_id"]) == {"ann", "bob", "cy", "rule:kw", "model:v1"}
    items = read_frame(out / f"items.{fmt}").set_index("item_id")
    assert items.at["T1", "text"] == "refund, please"
    assert items.at["T3", "text"] == 'say "hi"'


@SQLITE_ONLY
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_round_trips_every_judgement_and_the_release_hash(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    digest = build(workspace, tmp_path / "in")
    monkeypatch.delenv(DATABASE_URL_ENV)
    copy = round_trip(workspace, "r1", fmt, tmp_path / "out", tmp_path / "copy")
    assert create_release(copy, "r1").content_hash == digest
    original, copied = workspace_status(workspace), workspace_status(copy)
    for key in ("items", "annotators", "annotations", "annotations_by_source", "annotations_by_schema_version"):
        assert copied[key] == original[key], key
    copy.close()


@SQLITE_ONLY
def test_an_export_holds_only_what_the_release_was_cut_from(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = build(workspace, tmp_path / "in")
    import_items(workspace, write_text(tmp_path / "later_items.csv", "item_id,text\nT4,later\n"))
    import_annotations(workspace, write_text(tmp_path / "later.csv", "item_id,annotator_id,label\nT2,cy,account\n"
                                             "T4,ann,billing\n"))
    monkeypatch.delenv(DATABASE_URL_ENV)
    copy = round_trip(workspace, "r1", "parquet", tmp_path / "out", tmp_path / "copy")
    assert workspace_status(copy)["items"] == 3
    assert workspace_status(copy)["annotations"] == 7
    assert create_release(copy, "r1").content_hash == digest
    copy.close()


@SQLITE_ONLY
def test_an_export_of_a_release_cut_under_an_older_schema_carries_that_schema(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = build(workspace, tmp_path / "in")
    write_schema(workspace, make_schema(version=2, labels=("billing", "technical", "account", "other")))
    import_annotations(workspace, write_text(tmp_path / "v2.csv", "item_id,annotator_id,label\nT3,cy,other\n"))
    out = tmp_path / "out"
    monkeypatch.delenv(DATABASE_URL_ENV)
    copy = round_trip(workspace, "r1", "csv", out, tmp_path / "copy")
    assert yaml.safe_load((out / "schema.yaml").read_text(encoding="utf-8"))["version"] == 1
    assert create_release(copy, "r1").content_hash == digest
    copy.close()


@SQLITE_ONLY
def test_exporting_an_unknown_release_or_format_is_refused_and_writes_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    build(workspace, tmp_path / "in")
    with pytest.raises(NotFoundError, match="no release named 'r9'"):
        export_release(workspace, "r9", "csv", tmp_path / "a")
    with pytest.raises(ParameterError, match=r"format must be one of parquet, csv, jsonl, label-studio; got 'xlsx'"):
        export_release(workspace, "r1", "xlsx", tmp_path / "b")
    assert not (tmp_path / "a").exists()
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("store_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_an_export_from_postgresql_round_trips_into_postgresql(
    workspace: Workspace, tmp_path: Path, postgres_server: str
) -> None:
    digest = build(workspace, tmp_path / "in")
    with postgres_schema(postgres_server) as second_store, pytest.MonkeyPatch.context() as patch:
        patch.setenv(DATABASE_URL_ENV, second_store)
        copy = round_trip(workspace, "r1", "csv", tmp_path / "out", tmp_path / "copy")  # csv keeps fewest types
        try:
            assert copy.engine.dialect.name == "postgresql"
            assert create_release(copy, "r1").content_hash == digest
            assert workspace_status(copy)["annotations"] == workspace_status(workspace)["annotations"] == 7
        finally:
            copy.close()


# --- the property: any ground truth survives an export --------------------------------------------------------

AWKWARD_IDS = ["NA", "null", "N/A", "nan", "None", "TRUE", "007", "1.0", "1e3", "-", "a,b", 'say "hi"', "it's",
               "漢字", "😀", "É", "e\u0301", "ß", "#", "x" * 64]  # control characters (a tab) are refused at import
plain_text = st.text(alphabet=st.characters(categories=("L", "M", "N", "P", "S")) | st.just(" "),
                     min_size=1, max_size=10)
item_ids = st.one_of(st.sampled_from(AWKWARD_IDS), plain_text).filter(lambda s: bool(s.strip()))
annotators = st.sampled_from(["ann", "bob", "Zoë", "漢", "d:1", "42", "rule:keyword"])
stamps = st.one_of(
    st.none(),
    st.builds(lambda t, zone: t.isoformat() + zone,
              st.datetimes(min_value=pd.Timestamp("2000-01-01").to_pydatetime(),
                           max_value=pd.Timestamp("2030-12-31").to_pydatetime()),
              st.sampled_from(["Z", "+05:30", "-08:00", ""])),
)
judgements = st.lists(st.tuples(st.integers(0, 7), annotators, st.sampled_from(LABELS), stamps,
                                st.sampled_from(SOURCES), st.none() | st.sampled_from(["a note", "ü, \"q\""])),
                      max_size=30)


def new_workspace(root: Path, schema: LabelingSchema, template: Path) -> Workspace:
    """``Workspace.init`` on a copy of an empty, migrated store (migrating afresh four times an example is slow)."""
    (root / STORE_DIR).mkdir(parents=True)
    shutil.copyfile(template, root / STORE_DIR / "store.db")
    return Workspace.init(root, schema=schema)


def ground_truth(folder: Path, ids: list[str], rows: list[tuple[Any, ...]], template: Path) -> Workspace:
    origin = new_workspace(folder / "origin", make_schema(), template)
    pd.DataFrame({"item_id": ids, "text": [f"text of {i}" for i in ids]}).to_parquet(folder / "items.parquet")
    import_items(origin, folder / "items.parquet")
    frame = pd.DataFrame(
        [{"item_id": ids[i % len(ids)], "annotator_id": a, "label": label, "created_at": t, "source": source,
          "note": note} for i, a, label, t, source, note in rows],
        columns=["item_id", "annotator_id", "label", "created_at", "source", "note"],
    )
    if len(frame):
        frame.to_parquet(folder / "labels.parquet")
        import_annotations(origin, folder / "labels.parquet")
    return origin


def annotation_count(ws: Workspace) -> int:
    with ws.engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM annotations")).scalar_one())


def copied_release(origin: Workspace, fmt: str, folder: Path, template: Path) -> tuple[str, int] | str:
    """The hash and annotation count of the release re-imported from a ``fmt`` export, or the error it met."""
    out = folder / f"out-{fmt}"
    export_release(origin, "r", fmt, out)
    copy = new_workspace(folder / f"copy-{fmt}", load_schema(out / "schema.yaml"), template)
    try:
        import_items(copy, out / f"items.{fmt}")
        if annotation_count(origin):
            import_annotations(copy, out / f"annotations.{fmt}")
        return create_release(copy, "r").content_hash, annotation_count(copy)
    except AnswerkeyError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        copy.close()


def empty_store(factory: pytest.TempPathFactory) -> Path:
    """An empty store file made by ``Workspace.init`` once per session."""
    template = factory.getbasetemp() / "empty-store-template" / STORE_DIR / "store.db"
    if not template.exists():
        Workspace.init(template.parent.parent, schema=make_schema()).close()
    return template


# One origin per example serves the three formats (each example builds four stores), and shrinking a failure
# would take minutes: the failing example is printed as generated, with what each format gave.
@settings(max_examples=25, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(ids=st.lists(item_ids, min_size=1, max_size=6, unique_by=str.strip), rows=judgements)
def test_any_ground_truth_exported_in_any_format_and_re_imported_gives_the_same_release_hash(
    tmp_path_factory: pytest.TempPathFactory, ids: list[str], rows: list[tuple[Any, ...]]
) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DATABASE_URL_ENV, raising=False)
        template = empty_store(tmp_path_factory)
        origin = ground_truth(folder, ids, rows, template)
        try:
            expected = (create_release(origin, "r").content_hash, annotation_count(origin))
            copied = {fmt: copied_release(origin, fmt, folder, template) for fmt in FORMATS}
        finally:
            origin.close()
    assert copied == dict.fromkeys(FORMATS, expected)
