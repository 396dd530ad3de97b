"""The web UI's pages: one router per area."""

from fastapi import APIRouter

from answerkey.web.views import annotators, audit, evals, monitoring, overview, releases, review, session, splits

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (session.router, overview.router, review.router, annotators.router,
                                  releases.router, splits.router, monitoring.router, evals.router, audit.router)
