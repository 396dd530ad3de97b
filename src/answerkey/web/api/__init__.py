"""The HTTP JSON API: one router per resource, mounted under ``/api``."""

from fastapi import APIRouter

from answerkey.web.api import (
    admin,
    agents,
    annotations,
    consensus,
    findings,
    items,
    production,
    releases,
    review,
    status,
)

__all__ = ["ROUTERS"]

# An item id may hold "/", so item routes take the rest of the path (Starlette decodes %2F before routing). No
# two can then take the same path: GET /items/{id} has no GET route under it (one item's consensus is
# /consensus/{id}), and the POST routes under an item end in a fixed word that the match anchors to the end.
ROUTERS: tuple[APIRouter, ...] = (
    status.router,
    annotations.router,
    consensus.router,
    review.router,
    items.router,
    findings.router,
    releases.router,
    production.router,
    agents.router,
    admin.router,
)
