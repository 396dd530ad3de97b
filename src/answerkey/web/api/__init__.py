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

# An item id may hold "/", so item routes take the rest of the path: the routes under /items/{id}/... come
# before items' own GET /items/{id}, which would otherwise take "T3/consensus" for an item id.
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
