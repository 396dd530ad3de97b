"""Report section on the analytics agent: the latest recorded run, its accuracy by tag, and the context gaps."""

from __future__ import annotations

from collections import defaultdict
from html import escape

from answerkey.analytics.gaps import ContextGap, rank_gaps
from answerkey.analytics.runs import list_runs, load_run
from answerkey.project import Workspace
from answerkey.report.charts import bar_chart
from answerkey.report.sections import register_section, table

__all__ = ["analytics_section"]


@register_section("analytics", "Analytics agent evaluation")
def analytics_section(workspace: Workspace) -> str:
    """The latest run against the golden questions: verdicts, accuracy by tag, gaps ranked by failures."""
    runs = list_runs(workspace)
    if runs.empty:
        return "<p>No evaluation run recorded yet (<code>answerkey eval</code>).</p>"
    latest = runs.iloc[-1]
    run, results = load_run(workspace, str(latest["run_id"]))
    parts = [f"<p>Run <code>{escape(str(run['run_id']))}</code> of <code>{escape(str(run['agent']))}</code>: "
             f"<b>{run['passed']}/{run['questions']}</b> passed; golden set {escape(str(run['golden_file']))} "
             f"({str(run['golden_hash'])[:8]}), context {str(run['context_hash'] or '-')[:8]}.</p>"]
    by_tag: dict[str, list[bool]] = defaultdict(list)
    for row in results.to_dict(orient="records"):
        for tag in row["tags"] or ["untagged"]:
            by_tag[str(tag)].append(row["verdict"] == "pass")
    parts.append(bar_chart({tag: round(100 * sum(v) / len(v)) for tag, v in sorted(by_tag.items())},
                           "accuracy by tag, %"))
    gaps = rank_gaps((str(row["question_id"]), [ContextGap(d["kind"].removeprefix("context:"), d["answer"][0],
                                                           d["what"]) for d in row["differences"]
                                                if str(d["kind"]).startswith("context:")])
                     for row in results.to_dict(orient="records"))
    if gaps:
        parts.append("<h3>Context gaps, by the failures they explain</h3>" + table(
            ["failures", "fix"], [[str(g["failures"]), str(g["fix"])] for g in gaps]))
    wrong = [row for row in results.to_dict(orient="records") if row["verdict"] != "pass"]
    if wrong:
        parts.append(table(["question", "verdict", "why"], [[str(r["question_id"]), str(r["verdict"]),
                                                             str(r["reason"])[:160]] for r in wrong[:15]]))
    return "".join(parts)
