"""The web UI's pages: one router per area."""

from fastapi import APIRouter

from answerkey.web.views import session

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (session.router,)
