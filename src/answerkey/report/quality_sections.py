"""Report sections on label quality: agreement among people, and each annotator as Dawid-Skene sees them."""

from __future__ import annotations

import math
import warnings
from html import escape

from answerkey.project import Workspace
from answerkey.project.adjudication import review_queue
from answerkey.project.agreement import workspace_agreement, workspace_judgements
from answerkey.project.annotators import schema_version_shift, workspace_annotators, workspace_drift
from answerkey.project.consensus import compare_methods, workspace_consensus
from answerkey.quality.agreement import pairwise_kappa
from answerkey.report.charts import heatmap, line_chart
from answerkey.report.sections import register_section, table

__all__ = ["agreement_section", "annotators_section", "consensus_section", "drift_section"]


@register_section("agreement", "Agreement among annotators")
def agreement_section(workspace: Workspace) -> str:
    """Every coefficient with a 95% bootstrap interval, for the current schema version's human judgements."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = workspace_agreement(workspace, ci=0.95, n_boot=200, seed=0)
    if not report.n_judgements:
        return "<p>No human judgements under the current schema version yet.</p>"
    rows = [[name.replace("_", " "), f"{e.value:.3f}",
             "" if e.ci_low is None else f"[{e.ci_low:.3f}, {e.ci_high:.3f}]", f"{e.n_pairable:,}"]
            for name, e in report.estimates.items()]
    notes = "".join(f"<p>{escape(str(w.message))}</p>" for w in caught)
    return (f"<p>{report.n_items:,} items, {report.n_annotators} annotators, {report.n_judgements:,} judgements "
            f"under schema v{workspace.schema().version}.</p>"
            + table(["coefficient", "value", "95% interval", "items judged twice or more"], rows) + notes
            + "<p>Cohen's kappa between every pair is in the Annotators section.</p>")


def pairwise_heatmap(workspace: Workspace) -> str:
    """Cohen's kappa of every pair of people who share items, as a heatmap."""
    pairs = pairwise_kappa(workspace_judgements(workspace))
    if pairs.empty:
        return ""
    names = sorted(set(pairs["annotator_a"]) | set(pairs["annotator_b"]), key=str)
    kappa = {(a, b): k for a, b, k in zip(pairs["annotator_a"], pairs["annotator_b"], pairs["cohen_kappa"],
                                          strict=True)}
    kappa |= {(b, a): k for (a, b), k in kappa.items()}
    values = [[1.0 if a == b else _finite(kappa.get((a, b))) for b in names] for a in names]
    return heatmap(names, names, values, "Cohen's kappa between pairs of annotators (items both judged)")


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


@register_section("annotators", "Annotators")
def annotators_section(workspace: Workspace) -> str:
    """Each person: volume, agreement with consensus and with the others, Dawid-Skene accuracy, and the
    confusion matrices of the annotators with a systematic confusion or the lowest accuracy."""
    judgements = workspace_judgements(workspace)
    if judgements.empty:
        return "<p>No human judgements under the current schema version yet.</p>"
    profiles = workspace_annotators(workspace)
    rows = [[r["annotator_id"], f"{r['judgements']:,}", f"{r['agreement_with_consensus']:.3f}",
             f"{r['agreement_with_others']:.3f}", f"{r['estimated_accuracy']:.3f}",
             f"{r['top_confusion']} ({r['top_confusion_rate']:.2f})" if r["top_confusion"] else "-"]
            for r in profiles.table.to_dict(orient="records")]
    parts = [table(["annotator", "judgements", "agreement with consensus", "agreement with the others",
                    "estimated accuracy", "most frequent confusion"], rows),
             "<p>Best first: the annotators at the bottom most need a second look. Agreement with the others is "
             "with the majority of the other judgements on the same items, their own vote left out.</p>",
             pairwise_heatmap(workspace)]
    table_rows = profiles.table.set_index("annotator_id")
    shown = [a for a in table_rows.index if table_rows.loc[a, "top_confusion_rate"] >= SYSTEMATIC]
    if table_rows.index[-1] not in shown:
        shown.append(table_rows.index[-1])
    for annotator in shown:
        matrix = profiles.confusions[annotator]
        parts.append(heatmap([str(v) for v in matrix.index], [str(v) for v in matrix.columns],
                             matrix.to_numpy().tolist(), f"{annotator}: estimated confusion (Dawid-Skene)",
                             "true label", "label given"))
    return "".join(parts)


SYSTEMATIC = 0.3
"""A confusion rate from one true label to one other label at least this high is systematic, not noise."""


@register_section("consensus", "Consensus and review")
def consensus_section(workspace: Workspace) -> str:
    """The method that makes ground truth, how sure it is, each method against the experts, and the review queue."""
    method, labels = workspace_consensus(workspace, workspace.config.consensus_method)
    if labels.empty:
        return "<p>No judgements under the current schema version yet.</p>"
    decided = labels["method"].value_counts().to_dict()
    statuses = labels["status"].value_counts().to_dict()
    queue = review_queue(workspace, limit=None)
    policy = " &gt; ".join(escape(s) for s in workspace.config.authority) or "none"
    parts = [f"<p>{len(labels):,} items under schema v{workspace.schema().version}. Method: <b>{escape(method)}</b> "
             f"(configured: {escape(workspace.config.consensus_method)}); authority policy: {policy}.</p>",
             table(["decided by", "items"], [[str(k), f"{v:,}"] for k, v in decided.items()]),
             table(["status", "items"], [[str(k), f"{v:,}"] for k, v in statuses.items()])]
    scores = compare_methods(workspace)
    if any(s.items_compared for s in scores):
        parts.append(table(["method", "accuracy vs expert labels", "items compared", "disputed"],
                           [[s.method, f"{s.accuracy:.4f}", f"{s.items_compared:,}", f"{s.disputed:,}"]
                            for s in scores]))
        parts.append("<p>Each method ran without the experts' judgements and is scored on the items they "
                     "labelled: the evidence for the configured method.</p>")
    parts.append(f"<p>Review queue: <b>{len(queue):,}</b> items disputed or below 0.8 confidence "
                 "(<code>answerkey disagreements</code>; decide with <code>answerkey adjudicate</code>).</p>")
    if len(queue):
        parts.append(table(["item", "consensus", "confidence", "votes"],
                           [[str(r["item_id"]), str(r["label"] or "-"), f"{r['confidence']:.2f}", str(r["votes"])]
                            for r in queue.head(10).to_dict(orient="records")]))
    return "".join(parts)


@register_section("drift", "Annotation drift")
def drift_section(workspace: Workspace) -> str:
    """Agreement with the others per month for every person, and the drift findings."""
    drift = workspace_drift(workspace, "month")
    if drift.windows.empty:
        return "<p>No dated human judgements yet.</p>"
    windows = sorted(drift.windows["window"].unique())
    flagged = tuple(sorted(set(drift.flagged()["annotator_id"])))
    series: dict[str, list[float | None]] = {}
    for annotator, rows in drift.windows.groupby("annotator_id", sort=True):
        by_window = rows.set_index("window")
        series[str(annotator)] = [
            _finite(by_window.loc[w, "agreement"]) if w in by_window.index and by_window.loc[w, "judgements"] >= 30
            else None for w in windows]
    parts = [line_chart(windows, series, "agreement with the others' majority, by month (bold: drifted)",
                        highlight=flagged)]
    if drift.findings:
        parts.append(table(["where", "what"], [[f.where, f.what] for f in drift.findings]))
    else:
        parts.append("<p>No annotator drifted.</p>")
    shift = schema_version_shift(workspace)
    if shift.shape[1] > 1:
        versions = [int(v) for v in shift.columns]
        parts.append("<h3>How the schema versions moved the labels</h3>" + table(
            ["label (lineage)", *[f"share under v{v}" for v in versions]],
            [[str(label), *[f"{shift.loc[label, v]:.3f}" for v in shift.columns]] for label in shift.index]))
    parts.append("<p>A month is flagged when the annotator's labels moved significantly from their own past and "
                 "either their agreement with the others fell or they moved away from the pool (Holm-corrected, "
                 "family-wise 1%). Labels of different schema versions are compared through their lineage.</p>")
    return "".join(parts)
