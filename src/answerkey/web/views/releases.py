"""The releases pages: every release, one release's counts and labels, the diff of two releases, and a
release's datasheet (in the page, as Markdown, and as a print-ready HTML page), with its free text editable
by admins."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from answerkey.project.access import Principal
from answerkey.project.datasheet import build_datasheet
from answerkey.project.datasheet_text import (
    DATASHEET_FIELDS,
    MAX_TEXT,
    DatasheetEdit,
    datasheet_text,
    set_datasheet_text,
)
from answerkey.project.release_check import verified_release
from answerkey.project.releases import diff_releases, get_release, list_releases
from answerkey.project.workspace import Workspace
from answerkey.web.charts import bar_figure, grouped_bar_figure
from answerkey.web.pages import render
from answerkey.web.security import require
from answerkey.web.views._format import number
from answerkey.web.writer import Outcome

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

CHANGES_SHOWN = 200
FIELD_TITLES = {"motivation": "Motivation", "intended_uses": "Intended uses", "limitations": "Known limitations"}
Name = Annotated[str, Query(max_length=128)]


@router.get("/releases", response_class=HTMLResponse)
def releases_page(request: Request, _who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """Every release, newest first, and a form to compare two."""
    releases = list(reversed(list_releases(request.app.state.workspace)))
    return render(request, "releases.html", releases=releases)


@router.get("/releases/diff")
def diff_form(old: Name, new: Name, _who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """The compare form's target: on to the diff's own address."""
    return RedirectResponse(f"/releases/{quote(old, safe='')}/diff/{quote(new, safe='')}", status_code=303)


@router.get("/releases/{name}", response_class=HTMLResponse)
def release_page(request: Request, name: str, _who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """One release: its identity, status counts and label counts (an error page if it changed since it was cut)."""
    workspace: Workspace = request.app.state.workspace
    release = verified_release(workspace, name)
    summary = release.summary()
    confidence = release.labels["confidence"].dropna()
    others = [r["name"] for r in list_releases(workspace) if r["name"] != name]
    return render(
        request, "release.html", release=summary, others=others,
        mean_confidence=number(confidence.mean()) if len(confidence) else None,
        labels_chart=bar_figure(summary["label_counts"], f"Items per label in {name}", value_title="items"),
        status_chart=bar_figure(summary["status_counts"], "Items per status", value_title="items"),
    )


@router.get("/releases/{old}/diff/{new}", response_class=HTMLResponse)
def diff_page(request: Request, old: str, new: str, _who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """Items added, removed and relabeled from ``old`` to ``new``, and the label counts of both."""
    diff = diff_releases(request.app.state.workspace, old, new)
    labels = list(diff.label_counts)
    counts = [{"label": label, "old": c["old"], "new": c["new"], "change": c["new"] - c["old"]}
              for label, c in diff.label_counts.items()]
    return render(
        request, "release_diff.html", diff=diff, counts=counts, shown=CHANGES_SHOWN,
        diff_chart=grouped_bar_figure(labels, {old: [diff.label_counts[label]["old"] for label in labels],
                                               new: [diff.label_counts[label]["new"] for label in labels]},
                                 f"Items per label: {old} and {new}", value_title="items") if labels else None,
    )


@router.get("/releases/{name}/datasheet", response_class=HTMLResponse)
def datasheet_page(
    request: Request, name: str, who: Annotated[Principal, Depends(require("viewer"))],
    download: Annotated[Literal["md", "html"] | None, Query()] = None, saved: bool = False,
) -> Response:
    """The release's datasheet in the page; ``?download=md`` or ``?download=html`` (print-ready) as a file."""
    workspace: Workspace = request.app.state.workspace
    sheet = build_datasheet(workspace, name)
    stem = f"datasheet-{name}"
    if download == "md":
        return Response(sheet.to_markdown(), media_type="text/markdown; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.md"'})
    if download == "html":
        return HTMLResponse(sheet.to_html(), headers={"Content-Disposition": f'inline; filename="{stem}.html"'})
    return render(request, "release_datasheet.html", name=name, sheet=sheet, body=sheet.sections_html(),
                  can_edit=who.can("admin"), fields=_field_rows(datasheet_text(workspace)), max_text=MAX_TEXT,
                  saved=saved)


@router.post("/releases/{name}/datasheet")
def edit_datasheet(
    request: Request, name: str, who: Annotated[Principal, Depends(require("admin"))],
    csrf_token: Annotated[str, Form()] = "",
    motivation: Annotated[str, Form(max_length=MAX_TEXT * 2)] = "",
    intended_uses: Annotated[str, Form(max_length=MAX_TEXT * 2)] = "",
    limitations: Annotated[str, Form(max_length=MAX_TEXT * 2)] = "",
) -> Response:
    """Save the free text to ``[datasheet]`` in answerkey.toml (every release's datasheet shares it), audited: the
    audit entry commits first and the file is replaced after, so no edit lands without its entry."""
    request.app.state.sessions.check_csrf(request, csrf_token)
    workspace: Workspace = request.app.state.workspace
    get_release(workspace, name)  # an unknown release is a 404, not a silent edit
    texts = dict(zip(DATASHEET_FIELDS, (motivation, intended_uses, limitations), strict=True))

    def record(edit: DatasheetEdit) -> None:
        outcome = Outcome(200, {"changed": sorted(edit.changes)}, {"file": "answerkey.toml", "table": "datasheet",
                                                                  "release": name, "changes": edit.changes})
        request.app.state.writer.write(who, "datasheet.edit", "answerkey.toml [datasheet]", lambda _c: outcome)

    set_datasheet_text(workspace, texts, record)
    return RedirectResponse(f"/releases/{quote(name, safe='')}/datasheet?saved=true", status_code=303)


def _field_rows(texts: dict[str, str]) -> list[dict[str, Any]]:
    return [{"name": name, "title": FIELD_TITLES[name], "text": texts.get(name, "")} for name in DATASHEET_FIELDS]
