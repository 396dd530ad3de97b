"""Gathering a release's datasheet from the workspace: its composition, how its labels were made, how far
annotators agree, what is known to be wrong with it, its splits and test ledger, its gaps and its age.

Free text (motivation, intended uses, limitations) comes from ``[datasheet]`` in ``answerkey.toml``; every
number comes from the store as of the release (annotations up to its watermark).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from answerkey.errors import AnswerkeyError
from answerkey.project.adjudication import open_flags
from answerkey.project.findings_log import recorded_findings
from answerkey.project.release_check import verified_release
from answerkey.project.workspace import Workspace
from answerkey.quality.aggregation import latest_per_annotator
from answerkey.quality.agreement import agreement
from answerkey.releases.datasheet import Datasheet, DatasheetSection, DatasheetTable
from answerkey.report.charts import bar_chart
from answerkey.store import reads

__all__ = ["THIN_SEGMENT", "build_datasheet"]

THIN_SEGMENT = 30
"""A segment with fewer agreed labels than this is a coverage gap: too few to measure a model on."""
PEOPLE = ("human", "expert", "adjudicated")


def build_datasheet(workspace: Workspace, release_name: str) -> Datasheet:
    """The datasheet of ``release_name`` (a :class:`~answerkey.releases.datasheet.Datasheet`)."""
    release = verified_release(workspace, release_name)  # a release changed since it was cut is refused
    text = dict(workspace.config.datasheet)
    with workspace.reading() as connection:
        annotations = reads.annotations_frame(connection, up_to=release.annotation_watermark)
        items = reads.items_frame(connection, list(release.labels["item_id"]))
        versions = sorted(reads.schemas(connection))
    labels = release.labels.merge(items[["item_id", "segment"]], on="item_id", how="left")
    labels["segment"] = labels["segment"].fillna("(none)")
    agreed = labels[labels["status"] == "agreed"]
    sections = [
        _free(text, "Motivation", "motivation", "Why this ground truth exists and who made it"),
        _composition(release, labels, agreed),
        _process(workspace, release, annotations, versions),
        _agreement(annotations, release.schema_version),
        _known_issues(workspace, release_name),
        _splits(workspace, release_name),
        _gaps(agreed, labels),
        _staleness(workspace),
        _free(text, "Intended uses", "intended_uses", "What this release may be used for"),
        _free(text, "Known limitations", "limitations", "What it must not be trusted for"),
    ]
    return Datasheet(f"Datasheet: {workspace.config.name} release {release.name}", sections)


def _free(text: dict[str, str], title: str, key: str, what: str) -> DatasheetSection:
    if key in text:
        return DatasheetSection(title, [text[key]])
    return DatasheetSection(title, [f"Not written yet. {what}: set {key} under [datasheet] in answerkey.toml."])


def _composition(release: Any, labels: pd.DataFrame, agreed: pd.DataFrame) -> DatasheetSection:
    statuses = labels["status"].value_counts()
    balance = agreed["label"].value_counts()
    per_segment = agreed.groupby(["segment", "label"]).size().unstack(fill_value=0)
    return DatasheetSection(
        "Composition",
        [f"{release.item_count:,} items under schema v{release.schema_version}, frozen at {release.created_at} "
         f"(content hash {release.content_hash[:16]}). Status of their labels: "
         + ", ".join(f"{status} {n:,}" for status, n in statuses.items()) + "."],
        [DatasheetTable(["label", "items", "share"],
                        [[label, f"{n:,}", f"{n / max(len(agreed), 1):.1%}"] for label, n in balance.items()]),
         DatasheetTable(["segment", *map(str, per_segment.columns)],
                        [[segment, *(f"{v:,}" for v in row)] for segment, row in per_segment.iterrows()])],
        [bar_chart({str(k): int(v) for k, v in balance.items()}, "agreed labels by class")])


def _process(workspace: Workspace, release: Any, annotations: pd.DataFrame, versions: list[int]) -> DatasheetSection:
    by_source = annotations.groupby("source").agg(annotations=("item_id", "size"),
                                                  annotators=("annotator_id", "nunique"),
                                                  n_items=("item_id", "nunique"))
    return DatasheetSection(
        "Collection and labelling process",
        [f"Labels come from {annotations['annotator_id'].nunique():,} annotators (people, rules, behaviour and "
         f"models) in {len(annotations):,} judgements. Consensus: {release.method}. Schema versions in the store: "
         + ", ".join(f"v{v}" for v in versions) + f"; this release is labelled under v{release.schema_version}, "
         "and labels of other versions are never pooled with it.",
         f"Sources excluded from ground truth by answerkey.toml: {', '.join(workspace.config.exclude_sources)}."],
        [DatasheetTable(["source", "judgements", "annotators", "items"],
                        [[source, f"{row.annotations:,}", f"{row.annotators:,}", f"{row.n_items:,}"]
                         for source, row in by_source.iterrows()])])


def _agreement(annotations: pd.DataFrame, version: int) -> DatasheetSection:
    people = annotations[annotations["source"].isin(PEOPLE) & (annotations["schema_version"] == version)]
    title = "Agreement"
    latest = latest_per_annotator(people)
    if latest.empty or latest["annotator_id"].nunique() < 2:
        return DatasheetSection(title, ["Fewer than two people labelled under this version: no agreement."])
    try:
        report = agreement(latest, "nominal", ci=0.95, n_boot=200, seed=0)
    except AnswerkeyError as exc:
        return DatasheetSection(title, [f"Agreement could not be computed: {exc}"])
    rows = []
    for name, estimate in report.estimates.items():
        low, high = estimate.ci_low, estimate.ci_high
        interval = "" if low is None or high is None or pd.isna(low) else f"[{low:.3f}, {high:.3f}]"
        rows.append([name, f"{estimate.value:.3f}", interval])
    return DatasheetSection(
        title, [f"Among people under v{version}: {report.n_items:,} items, {report.n_annotators} annotators, "
                f"{report.n_judgements:,} judgements; 95% bootstrap intervals over items (200 resamples)."],
        [DatasheetTable(["coefficient", "value", "95% CI"], rows)])


def _known_issues(workspace: Workspace, release: str) -> DatasheetSection:
    flags = open_flags(workspace)
    findings = recorded_findings(workspace, "leakage", release) + recorded_findings(workspace, "labels")
    paragraphs = [f"{len(flags):,} items are flagged as likely label errors (confident learning) and wait for "
                  "review." if len(flags) else "No likely label errors flagged."]
    table = DatasheetTable(["severity", "check", "where", "what"],
                           [[f.severity.value, f.check, f.where, f.what] for f in findings[:15]])
    if not findings:
        paragraphs.append("No leakage or feedback-loop findings recorded.")
    return DatasheetSection("Known label issues, leakage and feedback loops", paragraphs,
                            [table] if findings else [])


def _splits(workspace: Workspace, release: str) -> DatasheetSection:
    from answerkey.errors import NotFoundError
    from answerkey.project.ledger import ledger_report
    from answerkey.project.splits import get_split

    title = "Splits and the test ledger"
    try:
        split = get_split(workspace, release)
    except NotFoundError:
        return DatasheetSection(title, ["No split of this release."])
    ledger = ledger_report(workspace, release)
    sealed = f"; sealed by {split.seal.get('sealed_by', '?')}." if split.seal else "; not sealed."
    paragraphs = [f"Split v{split.version} ({split.strategy}, seed {split.seed}): "
                  + ", ".join(f"{name} {n:,}" for name, n in split.counts.items()) + sealed,
                  "Test ledger: " + ", ".join(f"{k} {v}" for k, v in ledger.summary.items()) + "."]
    paragraphs += [f"{f.severity.value}: {f.what}" for f in ledger.findings]
    return DatasheetSection(title, paragraphs)


def _gaps(agreed: pd.DataFrame, labels: pd.DataFrame) -> DatasheetSection:
    per_segment = agreed.groupby("segment").size().reindex(sorted(labels["segment"].unique()), fill_value=0)
    thin = per_segment[per_segment < THIN_SEGMENT]
    missing = agreed.groupby(["segment", "label"]).size().unstack(fill_value=0)
    absent = [(segment, label) for segment, row in missing.iterrows() for label, n in row.items() if n == 0]
    paragraphs = [f"Segments with fewer than {THIN_SEGMENT} agreed labels: "
                  + (", ".join(f"{s} ({n})" for s, n in thin.items()) if len(thin) else "none") + ".",
                  "Labels absent from a segment: "
                  + (", ".join(f"{label} in {segment}" for segment, label in absent[:20]) if absent else "none")
                  + "."]
    return DatasheetSection("Coverage gaps", paragraphs)


def _staleness(workspace: Workspace) -> DatasheetSection:
    from answerkey.project.staleness import workspace_staleness

    report = workspace_staleness(workspace)
    paragraphs = [f"As of {report.as_of:%Y-%m-%d}, against a review every {workspace.config.review_every_days} "
                  "days:"] + [f"{f.severity.value}: {f.what}" for f in report.findings[:10]]
    if not report.findings:
        paragraphs.append("Nothing overdue.")
    return DatasheetSection("Staleness", paragraphs)
