"""Report sections: each is a function from an open workspace to HTML, registered in order.

Later capabilities (agreement, consensus, drift, splits) add their section with ``register_section``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from answerkey.project import Workspace, diff_releases, list_releases, workspace_status
from answerkey.project.releases import get_release
from answerkey.report.charts import bar_chart, stacked_columns
from answerkey.schema import diff_schemas
from answerkey.store import reads

__all__ = ["SECTIONS", "ReportSection", "register_section", "table"]


@dataclass(frozen=True)
class ReportSection:
    """A titled part of the report."""

    key: str
    title: str
    render: Callable[[Workspace], str]


SECTIONS: list[ReportSection] = []


def register_section(key: str, title: str) -> Callable[[Callable[[Workspace], str]], Callable[[Workspace], str]]:
    """Decorator: add a section to the report (built-in sections use it too)."""

    def decorate(render: Callable[[Workspace], str]) -> Callable[[Workspace], str]:
        SECTIONS.append(ReportSection(key, title, render))
        return render

    return decorate


def table(headers: list[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@register_section("overview", "What the workspace holds")
def overview(workspace: Workspace) -> str:
    """Counts of items, annotators and annotations by source."""
    status = workspace_status(workspace)
    rows = [["items", f"{status['items']:,}"], ["items with annotations", f"{status['labeled_items']:,}"],
            ["annotators (people, rules, behaviour)", f"{status['annotators']:,}"],
            ["annotations", f"{status['annotations']:,}"], ["imports", f"{status['imports']:,}"],
            ["schema versions", ", ".join(f"v{v}" for v in status["schema_versions"])],
            ["releases", f"{status['releases']:,}"]]
    by_source = bar_chart(status["annotations_by_source"], "annotations by source")
    return table(["", "count"], rows) + by_source


@register_section("timeline", "Annotations over time")
def timeline(workspace: Workspace) -> str:
    """Annotations per month by source: where ground truth came from, and when."""
    with workspace.reading() as connection:
        frame = reads.annotations_frame(connection)
    frame = frame.dropna(subset=["created_at"])
    if frame.empty:
        return "<p>No timestamped annotations.</p>"
    frame["month"] = frame["created_at"].dt.strftime("%Y-%m")
    monthly = frame.pivot_table(index="month", columns="source", values="item_id", aggfunc="count", fill_value=0)
    series = {str(c): [int(v) for v in monthly[c]] for c in monthly.columns}
    return stacked_columns(list(monthly.index), series, "annotations per month")


@register_section("schema", "Labeling schema")
def schema_section(workspace: Workspace) -> str:
    """The current schema's labels and definitions, and what changed between versions."""
    schema = workspace.schema()
    rows = [[label.name, label.definition or "(no definition)", len(label.examples), len(label.edge_cases)]
            for label in schema.labels]
    html = f"<p>{escape(schema.name)} v{schema.version}, {escape(schema.task.value)}</p>"
    html += table(["label", "definition", "examples", "edge cases"], rows)
    with workspace.reading() as connection:
        versions = reads.schemas(connection)
    numbers = sorted(versions)
    for old, new in itertools.pairwise(numbers):
        diff = diff_schemas(versions[old], versions[new])
        changes = [f"added {', '.join(diff.added)}" if diff.added else "",
                   f"removed {', '.join(diff.removed)}" if diff.removed else "",
                   *(f"{k} renamed to {v}" for k, v in diff.renamed.items()),
                   *(f"{k} split into {', '.join(v)}" for k, v in diff.split.items()),
                   *(f"{', '.join(v)} merged into {k}" for k, v in diff.merged.items()),
                   f"redefined {', '.join(diff.redefined)}" if diff.redefined else ""]
        html += f"<p>v{old} → v{new}: {escape('; '.join(c for c in changes if c) or 'no label changes')}</p>"
    return html


@register_section("releases", "Releases")
def releases_section(workspace: Workspace) -> str:
    """Every release with its hash, and the latest one's labels and statuses."""
    rows = list_releases(workspace)
    if not rows:
        return "<p>No release yet: <code>answerkey release create NAME</code>.</p>"
    html = table(["name", "content hash", "schema", "items", "created"],
                  [[r["name"], r["content_hash"], f"v{r['schema_version']}", f"{r['item_count']:,}",
                    str(r["created_at"])[:19]] for r in rows])
    if len(rows) >= 2:
        old, new = rows[-2]["name"], rows[-1]["name"]
        diff = diff_releases(workspace, old, new)
        html += (f"<p>{escape(old)} → {escape(new)}: {len(diff.added):,} items added, {len(diff.removed):,} removed, "
                 f"{len(diff.changed):,} changed label or status.</p>")
        html += table(["label", old, new, "change"],
                       [[label, f"{c['old']:,}", f"{c['new']:,}", f"{c['new'] - c['old']:+,}"]
                        for label, c in diff.label_counts.items()])
    latest = get_release(workspace, rows[-1]["name"])
    html += f"<h3>{escape(latest.name)}</h3>"
    html += bar_chart(latest.status_counts(), "items by status")
    html += bar_chart(latest.label_counts(), "items by label")
    disputed = latest.labels[latest.labels["status"].isin(["disputed", "outdated"])]
    if len(disputed):
        html += (f"<p>{len(disputed):,} items are disputed or carry a label their schema version no longer has; "
                 "they need a decision before this ground truth is trusted.</p>")
    return html


