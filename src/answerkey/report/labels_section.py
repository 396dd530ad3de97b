"""Report section on derived ground truth: behavioural definitions and what they derived, every source against
the trusted labels, the gap of derived sources to people's labels, and the feedback-loop findings."""

from __future__ import annotations

from html import escape

from sqlalchemy import select

from answerkey.project import Workspace
from answerkey.project.findings_log import recorded_findings
from answerkey.project.sources import workspace_sources
from answerkey.report.sections import register_section, table
from answerkey.store import tables as t

__all__ = ["derived_labels_section"]


def _derivations(workspace: Workspace) -> str:
    r = t.label_derivations.c
    with workspace.reading() as connection:
        rows = connection.execute(select(r.name, r.version, r.as_of, r.counts).order_by(r.derivation_id)).all()
    if not rows:
        return ("<p>No behavioural label derived yet: <code>answerkey labels define FILE</code> and "
                "<code>answerkey labels derive NAME</code>.</p>")
    latest = {(name, version): (as_of, counts) for name, version, as_of, counts in rows}
    body = [[name, f"v{version}", f"{as_of:%Y-%m-%d}", f"{counts['positive']:,}", f"{counts['negative']:,}",
             f"{counts['immature']:,}", f"{counts['written']:,}"]
            for (name, version), (as_of, counts) in latest.items()]
    return ("<p>Behavioural labels (latest derivation of each version). Immature: the window is still open, so "
            "no label is written; never counted as negative.</p>"
            + table(["definition", "version", "as of", "positive", "negative", "immature", "written"], body))


@register_section("derived-labels", "Derived ground truth: sources and feedback loops")
def derived_labels_section(workspace: Workspace) -> str:
    """Definitions, source quality against adjudicated and expert labels, distribution gaps, feedback findings."""
    quality, features = workspace_sources(workspace)
    overall = quality.accuracy[quality.accuracy["segment"] == "all"]
    rows = [[row.source, row.annotator_id, f"{row.n_labelled:,}", f"{row.n_trusted:,}",
             "-" if not row.n_trusted else f"{row.accuracy:.3f} [{row.accuracy_low:.3f}, {row.accuracy_high:.3f}]"]
            for row in overall.itertuples(index=False)]
    parts = [_derivations(workspace),
             f"<p>Every source against {quality.n_trusted_items:,} trusted labels (adjudicated, else expert; a "
             "source is not graded on what it decided, nor across schema versions), accuracy with a 95% Wilson "
             "interval. <code>answerkey labels sources</code> gives the per-segment rows and confusions.</p>",
             table(["source", "annotator", "labelled", "trusted n", "accuracy [95% CI]"], rows)]
    if len(quality.gaps):
        gaps = [[row.source, row.annotator_id, f"{row.n_labelled:,}", f"{row.label_tvd:.3f}",
                 f"{row.segment_tvd:.3f}"] for row in quality.gaps.itertuples(index=False)]
        parts.append("<p>How far derived sources label differently from people (total variation distance of the "
                     "label shares, and of the segments of the items they label).</p>"
                     + table(["source", "annotator", "labelled", "label gap", "coverage gap"], gaps))
    if len(features):
        shifted = [[row.annotator_id, row.feature, row.method, f"{row.effect_size:.3f}", f"{row.p_value:.2g}",
                    "yes" if row.drifted else "no"] for row in features.itertuples(index=False)]
        parts.append("<p>Whether derived sources label different items than people do (drift of the items' "
                     "features; shifted = material and significant).</p>"
                     + table(["annotator", "feature", "method", "effect size", "p", "shifted"], shifted))
    findings = recorded_findings(workspace, "labels")
    if findings:
        parts.append("<p>Feedback loops (recorded by <code>answerkey labels feedback-check</code>):</p>"
                     + table(["severity", "where", "what it means"],
                             [[f.severity.value, f.where, f.what] for f in findings]))
    else:
        parts.append("<p>No feedback-loop check recorded: <code>answerkey labels feedback-check --predictions "
                     f"{escape('PREDICTIONS')} --record</code>.</p>")
    return "".join(parts)
