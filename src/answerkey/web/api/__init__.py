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

ROUTERS: tuple[APIRouter, ...] = (
    status.router,
    items.router,
    annotations.router,
    consensus.router,
    review.router,
    findings.router,
    releases.router,
    production.router,
    agents.router,
    admin.router,
)
