"""The production log over HTTP: a model service pushes its predictions and, later, their outcomes; monitoring
reads them as Parquet where they land."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from answerkey.project.access import Principal
from answerkey.project.annotation_rows import MAX_ROWS
from answerkey.project.production_log import log_rows, staged_part
from answerkey.web.api.responses import IdempotencyKey, errors, written
from answerkey.web.pagination import Page, page_params, paged
from answerkey.web.security import require
from answerkey.web.writer import Outcome, request_hash

__all__ = ["OutcomeRow", "PredictionRow", "router"]

router = APIRouter(tags=["production"])

ID = Field(description="Text, or a whole number (kept as text).")
Scalar = str | float | bool
WRITER_ROLE = "annotator"
TYPE_FIXER_ROLE = "reviewer"
WHO = ("A model service writes with a token of the annotator role, the least role that writes (it can add "
       "judgements only under its own name, and never adjudicate). Such a token writes only columns whose type is "
       "fixed, in that type: declared in answerkey.toml (`[production] columns = {prediction = \"text\"}`) or "
       "already in the log; a column whose type is not fixed yet is fixed by the first write of a reviewer's or "
       "admin's token that holds it. A row that does not fit is refused with 422, naming its row and field.")
MONITOR = ("From the workspace folder, `answerkey monitor '.answerkey/production/predictions/*.parquet' "
           "'.answerkey/production/outcomes/*.parquet'` reads the log in place.")


class PredictionRow(BaseModel):
    """One prediction; any further field (a feature, a segment, a class probability such as ``p_billing``) is a
    column of the log and holds text, a number or true/false."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Scalar | None] = Field(init=False)

    prediction_id: str | int = ID
    predicted_at: str = Field(max_length=64, description="ISO 8601 date-time (stored in UTC).")
    model: str | None = Field(default=None, max_length=255)
    model_version: str | None = Field(default=None, max_length=255)
    prediction: Scalar | None = Field(default=None, description="The predicted label or value.")
    score: float | None = Field(default=None, description="The probability of the positive class.")


class OutcomeRow(BaseModel):
    """What happened, for one logged prediction."""

    model_config = ConfigDict(extra="forbid")

    prediction_id: str | int = ID
    outcome: Scalar = Field(description="The true label or value, of the type the predictions have.")
    observed_at: str = Field(max_length=64, description="ISO 8601 date-time, no earlier than the prediction.")


def _append(request: Request, kind: str, rows: list[dict[str, Any]], who: Principal, key: str | None) -> Any:
    with staged_part(request.app.state.workspace, kind, rows, fixes_types=who.can(TYPE_FIXER_ROLE)) as part:
        outcome = request.app.state.writer.write(
            who, f"{kind}.append", part.final.name, lambda _connection: Outcome(201, {"ok": True, **part.commit()},
                                                                                 audit=part.audit),
            key=key, fingerprint=request_hash("POST", f"/api/{kind}", rows))
        part.settle(applied=not outcome.replayed)
    return written(outcome)


@router.post("/predictions", status_code=201, summary="Append predictions to the production log: all or none",
             response_description="How many rows were added, and the Parquet part they are in",
             responses=errors(413), description=(
                 "Each request is one Parquet part under `.answerkey/production/predictions/`, renamed into place "
                 "whole. A column's type, once fixed, never changes (later writes may add columns). A "
                 "prediction id is logged once. " + WHO + " " + MONITOR))
def add_predictions(
    request: Request,
    rows: Annotated[list[PredictionRow], Body(min_length=1, max_length=MAX_ROWS)],
    who: Annotated[Principal, Depends(require(WRITER_ROLE))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Validate the rows whole, write them as one part, audited and idempotent."""
    return _append(request, "predictions", [row.model_dump(exclude_unset=True) for row in rows], who,
                   idempotency_key)


@router.post("/outcomes", status_code=201, summary="Append outcomes of logged predictions: all or none",
             response_description="How many rows were added, and the Parquet part they are in",
             responses=errors(413), description=(
                 "One outcome per prediction, for a prediction already logged, observed no earlier than it was "
                 "made; the outcome's type must match the predictions'. " + WHO + " " + MONITOR))
def add_outcomes(
    request: Request,
    rows: Annotated[list[OutcomeRow], Body(min_length=1, max_length=MAX_ROWS)],
    who: Annotated[Principal, Depends(require(WRITER_ROLE))],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Validate the rows whole, check them against the predictions, write them as one part."""
    return _append(request, "outcomes", [row.model_dump(exclude_unset=True) for row in rows], who, idempotency_key)


PredictionId = Annotated[str | None, Query(max_length=255, description="Only this prediction.")]


def _log_page(request: Request, kind: str, page: Page, prediction_id: str | None) -> dict[str, Any]:
    rows, total = log_rows(request.app.state.workspace, kind, limit=page.limit, offset=page.offset,
                           prediction_id=prediction_id)
    return paged(rows, total, page)


@router.get("/predictions", summary="The prediction log in time order, in pages",
            response_description="A page of predictions with every column of the log", responses=errors())
def predictions(
    request: Request,
    _who: Annotated[Principal, Depends(require("viewer"))],
    page: Annotated[Page, Depends(page_params)],
    prediction_id: PredictionId = None,
) -> dict[str, Any]:
    """Read through DuckDB over the Parquet parts, columns matched by name."""
    return _log_page(request, "predictions", page, prediction_id)


@router.get("/outcomes", summary="The outcomes in order of observation, in pages",
            response_description="A page of prediction_id, outcome, observed_at", responses=errors())
def outcomes(
    request: Request,
    _who: Annotated[Principal, Depends(require("viewer"))],
    page: Annotated[Page, Depends(page_params)],
    prediction_id: PredictionId = None,
) -> dict[str, Any]:
    """Read through DuckDB over the Parquet parts."""
    return _log_page(request, "outcomes", page, prediction_id)
