"""Releases over HTTP: list, show, page through labels, diff, read a datasheet, and cut a new release."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from answerkey.jsonable import plain, records
from answerkey.project.access import Principal
from answerkey.project.datasheet import build_datasheet
from answerkey.project.release_check import verified_release
from answerkey.project.releases import diff_releases, freeze_release, list_releases
from answerkey.web.api.responses import IdempotencyKey, errors, written
from answerkey.web.pagination import Page, page_params, paged
from answerkey.web.security import require
from answerkey.web.writer import Outcome, request_hash

__all__ = ["NewRelease", "router"]

router = APIRouter(tags=["releases"])

Name = Annotated[str, Path(min_length=1, max_length=255, description="The release's name.")]
DATASHEET_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


class NewRelease(BaseModel):
    """The name of a new release, and why it was cut."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128, description="Letters, digits, '.', '_' or '-', e.g. 2026-11.")
    note: str | None = Field(default=None, max_length=10_000)


@router.get("/releases", summary="Every release, oldest first, in pages",
            response_description="A page of releases: name, content hash, schema version, method, items, created",
            responses=errors())
def releases(
    request: Request,
    _who: Annotated[Principal, Depends(require("viewer"))],
    page: Annotated[Page, Depends(page_params)],
) -> dict[str, Any]:
    """Releases never change once cut."""
    rows = list_releases(request.app.state.workspace)
    return paged(plain(rows[page.offset:page.offset + page.limit]), len(rows), page)


@router.get("/releases/{name}", summary="One release's summary",
            response_description="Its hash, schema version, method, watermark, and counts by status and label",
            responses=errors(404, 409))
def release(request: Request, name: Name, _who: Annotated[Principal, Depends(require("viewer"))]) -> dict[str, Any]:
    """An unknown name is a 404 that lists the releases there are; a release whose labels no longer hash to its
    content hash (changed since it was cut) is a 409."""
    return {"ok": True, **plain(verified_release(request.app.state.workspace, name).summary())}


@router.get("/releases/{name}/labels", summary="A release's frozen labels, by item id, in pages",
            response_description="A page of item_id, label, confidence, status, n_judgements",
            responses=errors(404, 409))
def release_labels(
    request: Request,
    name: Name,
    _who: Annotated[Principal, Depends(require("viewer"))],
    page: Annotated[Page, Depends(page_params)],
) -> dict[str, Any]:
    """Exactly as frozen: later judgements never change a release, and one changed behind the store's back is a
    409."""
    labels = verified_release(request.app.state.workspace, name).labels
    return paged(records(labels.iloc[page.offset:page.offset + page.limit]) or [], len(labels), page)


@router.get("/releases/{old}/diff/{new}", summary="What changed from one release to another",
            response_description="Items added, removed and relabeled, and each label's count on both sides",
            responses=errors(404))
def release_diff(
    request: Request,
    old: Name,
    new: Name,
    _who: Annotated[Principal, Depends(require("viewer"))],
) -> dict[str, Any]:
    """Either name unknown is a 404."""
    return {"ok": True, **plain(diff_releases(request.app.state.workspace, old, new).to_dict())}


@router.get("/releases/{name}/datasheet", summary="A release's datasheet (Gebru et al.) as Markdown or HTML",
            response_description="The datasheet, as `answerkey datasheet` writes it",
            responses={200: {"content": {"text/markdown": {}, "text/html": {}}}, **errors(404, 409)})
def datasheet(
    request: Request,
    name: Name,
    _who: Annotated[Principal, Depends(require("viewer"))],
    format: Annotated[Literal["md", "html"], Query(description="md (text/markdown) or html (one page).")] = "md",
) -> Response:
    """Where the labels came from, how far people agree, what is known to be wrong, the gaps and the age."""
    sheet = build_datasheet(request.app.state.workspace, name)
    return Response(sheet.to_markdown() if format == "md" else sheet.to_html(), media_type=DATASHEET_TYPES[format])


@router.post("/releases", status_code=201, summary="Cut a release: freeze the current ground truth",
             response_description="The new release's summary", responses=errors(409, 413))
def create(
    request: Request,
    body: NewRelease,
    who: Annotated[Principal, Depends(require("admin"))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Admins only, as `answerkey release create`: the labels by the workspace's consensus method and authority
    policy, content-addressed; a name already taken is a 409 (releases never change)."""
    workspace = request.app.state.workspace

    def run(connection: Connection) -> Outcome:
        summary = plain(freeze_release(connection, workspace, body.name, body.note).summary())
        return Outcome(201, {"ok": True, **summary}, audit={"content_hash": summary["content_hash"],
                                                            "items": summary["items"]})

    return written(request.app.state.writer.write(
        who, "releases.create", body.name, run, key=idempotency_key,
        fingerprint=request_hash("POST", "/api/releases", body.model_dump())))
