"""Report sections on label quality: agreement among people, and each annotator as Dawid-Skene sees them."""

from __future__ import annotations

import warnings
from html import escape

from answerkey.project import Workspace
from answerkey.project.agreement import workspace_agreement, workspace_judgements
from answerkey.quality.aggregation import DawidSkene
from answerkey.report.charts import bar_chart
from answerkey.report.sections import register_section, table

__all__ = ["agreement_section", "annotators_section"]


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
            + table(["coefficient", "value", "95% interval", "items judged twice or more"], rows) + notes)


@register_section("annotators", "Annotators")
def annotators_section(workspace: Workspace) -> str:
    """Volume and estimated accuracy of each annotator (Dawid-Skene over the current version's judgements)."""
    judgements = workspace_judgements(workspace, sources=("human", "expert", "behavioral", "synthetic"))
    if judgements.empty:
        return "<p>No judgements under the current schema version yet.</p>"
    model = DawidSkene().fit(judgements)
    volume = judgements.groupby("annotator_id").size().to_dict()
    accuracy = model.accuracies_.sort_values()
    rows = [[annotator, f"{int(volume[annotator]):,}", f"{value:.3f}"] for annotator, value in accuracy.items()]
    chart = bar_chart({str(k): round(float(v) * 100) for k, v in accuracy.items()},
                      "estimated accuracy, % (Dawid-Skene)")
    return (table(["annotator", "judgements", "estimated accuracy"], rows) + chart
            + "<p>Lowest first: the annotators whose labels most need a second look.</p>")
