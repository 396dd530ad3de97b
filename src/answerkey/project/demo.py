"""``answerkey demo``: a realistic, deterministic workspace built through the same imports a user runs."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from answerkey.config import CONFIG_FILE
from answerkey.demo import DemoData, generate_demo
from answerkey.errors import WorkspaceError
from answerkey.project.demo_derived import derive_demo_labels
from answerkey.project.demo_production import monitor_demo_router
from answerkey.project.imports import import_annotations, import_items
from answerkey.project.releases import Release, create_release, diff_releases, get_release
from answerkey.project.workspace import Workspace
from answerkey.schema import dump_schema

__all__ = ["DemoResult", "build_demo"]


@dataclass(frozen=True)
class DemoResult:
    """The demo workspace, its two releases (before and after the schema change) and the report."""

    workspace: Workspace
    releases: list[Release]
    report: Path
    data_dir: Path


def _month(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m")


def build_demo(directory: str | Path, *, seed: int = 7, n_items: int = 5000, force: bool = False) -> DemoResult:
    """Generate the demo data, write it as CSV, JSONL and Parquet files, import them, cut releases, report."""
    from answerkey.demo.saas import build_analytics_demo
    from answerkey.report import render_report

    root = Path(directory).resolve()
    if root.exists() and any(root.iterdir()):
        if not (force and (root / CONFIG_FILE).exists()):
            raise WorkspaceError(
                f"{root} is not empty; pick a new folder"
                + (" or pass --force to rebuild this demo" if (root / CONFIG_FILE).exists() else "")
            )
        shutil.rmtree(root)
    data = generate_demo(seed=seed, n_items=n_items)
    workspace = Workspace.init(root, name=data.schema_v1.name, schema=data.schema_v1)
    data_dir = root / "data"
    files = _write_files(data, data_dir)
    import_items(workspace, files["tickets_v1"])
    for name in ("labels_v1", "routing_v1", "keyword_rule_v1"):
        import_annotations(workspace, files[name])
    before = create_release(workspace, _month(data.schema_change_at - pd.Timedelta(days=1)),
                            note=f"ground truth under schema v{data.schema_v1.version}")
    (root / "schema.yaml").write_text(dump_schema(data.schema_v2), encoding="utf-8")
    import_items(workspace, files["tickets_v2"])
    for name in ("labels_v2", "routing_v2", "keyword_rule_v2"):
        import_annotations(workspace, files[name])
    last = data.annotations["created_at"].max()
    after = create_release(workspace, _month(last), note=f"ground truth under schema v{data.schema_v2.version}")
    diff_releases(workspace, before.name, after.name)
    _trust_demo(workspace, after.name, data_dir)
    derive_demo_labels(workspace, data, data_dir)
    monitor_demo_router(workspace, data_dir)
    build_analytics_demo(root)
    report = render_report(workspace)
    return DemoResult(workspace, [before, after], report, data_dir)


def _trust_demo(workspace: Workspace, release: str, data_dir: Path) -> None:
    """What a team does before training: a split that is checked, sealed and looked at too often; a features
    table checked for leakage; likely label errors sent to review."""
    from answerkey.demo.leaks import FEATURE_TIMES, ticket_features
    from answerkey.project.findings_log import record_findings
    from answerkey.project.label_issues import release_label_issues
    from answerkey.project.leakage import file_leakage
    from answerkey.project.ledger import record_evaluation
    from answerkey.project.split_check import check_split
    from answerkey.project.splits import create_split, release_items, seal_split
    from answerkey.splits.assign import parse_strategy
    from answerkey.store import reads

    create_split(workspace, release, parse_strategy("stratified", test=0.2, validation=0.1, seed=7), by="dana")
    check_split(workspace, release).record(workspace)
    seal_split(workspace, release, by="dana")
    for look, (model, f1) in enumerate([("router-v1", 0.71), ("router-v2", 0.74), ("router-v2", 0.75),
                                        ("router-v3", 0.77), ("router-v3", 0.78), ("router-v3", 0.78),
                                        ("router-v4", 0.80), ("router-v4", 0.80), ("router-v4", 0.81),
                                        ("router-v4", 0.81), ("router-v5", 0.82), ("router-v5", 0.83)]):
        record_evaluation(workspace, release, model, {"macro_f1": f1}, by="dana" if look % 3 else "lee",
                          purpose="final check" if look == 0 else "tuning the routing model")
    with workspace.reading() as connection:
        annotations = reads.annotations_frame(connection, exclude_sources=("behavioral", "synthetic", "model"))
    labeled_at = annotations.groupby("item_id")["created_at"].max().rename("labeled_at").reset_index()
    items = release_items(workspace, release).drop(columns=["label", "status"])
    labels = get_release(workspace, release).labels
    labels = labels[labels["status"] == "agreed"][["item_id", "label"]].merge(labeled_at, on="item_id")
    features = ticket_features(items, labels)
    features.to_parquet(data_dir / "ticket_features.parquet", index=False)
    FEATURE_TIMES.to_csv(data_dir / "feature_times.csv", index=False)
    report = file_leakage(data_dir / "ticket_features.parquet", "intent", label_time="labeled_at",
                          feature_times=data_dir / "feature_times.csv")
    record_findings(workspace, report.findings, "leakage ticket_features.parquet", release)
    release_label_issues(workspace, release).queue(workspace)


def _write_files(data: DemoData, folder: Path) -> dict[str, Path]:
    """The demo's inputs in the formats users bring: items as Parquet, people as CSV, machines as JSONL.

    Each source comes in two files, before and after the schema change, as a team would receive them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"tickets_v1": folder / "tickets_v1.parquet", "tickets_v2": folder / "tickets_v2.parquet"}
    # tickets arrive over time: those labeled under v2 are imported with the v2 labels
    first_version = data.annotations.groupby("item_id")["schema_version"].min()
    early = data.items["item_id"].map(first_version).eq(data.schema_v1.version)
    data.items[early].to_parquet(paths["tickets_v1"], index=False)
    data.items[~early].to_parquet(paths["tickets_v2"], index=False)
    annotations = data.annotations.copy()
    annotations["created_at"] = annotations["created_at"].map(lambda t: t.isoformat() + "Z")
    sources = {"labels": ["human", "expert"], "routing": ["behavioral"], "keyword_rule": ["synthetic"]}
    for schema in (data.schema_v1, data.schema_v2):
        in_version = annotations[annotations["schema_version"] == schema.version]
        for stem, kinds in sources.items():
            rows = in_version[in_version["source"].isin(kinds)]
            name = f"{stem}_v{schema.version}"
            if stem == "labels":
                paths[name] = folder / f"{name}.csv"
                rows.to_csv(paths[name], index=False)
            else:
                paths[name] = folder / f"{name}.jsonl"
                rows.to_json(paths[name], orient="records", lines=True)
    return paths
