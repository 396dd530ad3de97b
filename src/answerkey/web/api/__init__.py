"""The HTTP JSON API: one router per resource, mounted under ``/api``."""

from fastapi import APIRouter

from answerkey.web.api import annotations, review, status

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (status.router, annotations.router, review.router)
