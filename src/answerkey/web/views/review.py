"""The review queue: one disputed or doubtful item at a time, its judgements and the candidate labels' definitions
side by side, and a reviewer's decision recorded through the audited write path (keyboard first: see review.js)."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from answerkey.errors import ConflictError, ParameterError
from answerkey.project.access import Principal
from answerkey.project.review_item import ReviewItem, next_queued, review_item
from answerkey.project.workspace import Workspace
from answerkey.web.api.review import write_decision
from answerkey.web.pages import render
from answerkey.web.security import require

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

MAX_NOTE = 2000
CHANGED = "This item changed since you opened it: decide again."
NO_LABEL = "Choose a label first (press its number key, or click it), then decide."
ItemId = Annotated[str, Path(min_length=1, max_length=255)]


@router.get("/review", response_class=HTMLResponse)
def queue(request: Request, _who: Annotated[Principal, Depends(require("viewer"))],
          after: Annotated[str | None, Query(max_length=255)] = None,
          decided: Annotated[str | None, Query(max_length=255)] = None) -> Response:
    """The first queued item (or the one after ``after``, wrapping round), or the page that says everything is
    decided. The item page's "next" link comes here, so it follows the queue as it is when it is followed."""
    workspace: Workspace = request.app.state.workspace
    following = next_queued(workspace, after=after)
    if following is None and after is not None:  # ``after`` may be the only item left: stay on it
        following = next_queued(workspace)
    if following is not None:
        return RedirectResponse(_item_url(following, decided), status_code=303)
    return render(request, "review_done.html", decided=decided)


@router.get("/review/", include_in_schema=False)
def queue_with_slash(_who: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    """``/review/`` is the queue, not an item with an empty id."""
    return RedirectResponse("/review", status_code=308)


@router.get("/review/{item_id:path}", response_class=HTMLResponse)
def item_page(request: Request, item_id: ItemId, who: Annotated[Principal, Depends(require("viewer"))],
              decided: Annotated[str | None, Query(max_length=255)] = None) -> Response:
    """One item to decide (a viewer or annotator sees it without the form)."""
    workspace: Workspace = request.app.state.workspace
    return _page(request, who, review_item(workspace, item_id), decided=decided)


@router.post("/review/{item_id:path}", response_class=HTMLResponse)
def decide(
    request: Request, item_id: ItemId, who: Annotated[Principal, Depends(require("reviewer"))],
    label: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=MAX_NOTE)] = "",
    expected_version: Annotated[int | None, Form()] = None,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record the decision, then go on to the next queued item; a stale form is shown again, fresh, with 409."""
    request.app.state.sessions.check_csrf(request, csrf_token)
    workspace: Workspace = request.app.state.workspace
    if not label.strip():
        return _page(request, who, review_item(workspace, item_id), status=422, error=NO_LABEL, note=note)
    try:
        write_decision(request, who, item_id, label, note.strip() or None, expected_version)
    except ConflictError:
        return _page(request, who, review_item(workspace, item_id), status=409, notice=CHANGED, note=note)
    except ParameterError as exc:
        return _page(request, who, review_item(workspace, item_id), status=422, error=str(exc), note=note)
    following = next_queued(workspace, after=item_id)
    target = _item_url(following, item_id) if following is not None else f"/review?decided={_quoted(item_id)}"
    return RedirectResponse(target, status_code=303)


def _page(request: Request, who: Principal, item: ReviewItem, *, status: int = 200, **context: Any) -> Response:
    return render(request, "review.html", status=status, item=item, can_decide=who.can("reviewer"),
                  payload=_payload_rows(item.payload), **context)


def _payload_rows(payload: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(field, text, long) for each payload field: nested values as compact JSON, long text shown as a block."""
    rows = []
    for key, value in payload.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        rows.append((str(key), text, len(text) > 80 or "\n" in text))
    return rows


def _item_url(item_id: str, decided: str | None) -> str:
    url = f"/review/{_quoted(item_id)}"
    return f"{url}?decided={_quoted(decided)}" if decided else url


def _quoted(text: str) -> str:
    return quote(text, safe="")
