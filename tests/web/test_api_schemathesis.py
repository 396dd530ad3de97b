"""Property-based requests from the API's own OpenAPI document (schemathesis), as an admin, against a workspace of
this module's own: no operation answers a server error, and every 4xx is the error envelope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from answerkey.web.api import ROUTERS
from conftest import Served, sqlite_served


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A workspace for the generated requests alone (they create releases, items, tokens and log files)."""
    with sqlite_served(tmp_path_factory.mktemp("schemathesis")) as served:
        yield served


def _api_document() -> dict[str, Any]:
    """The API's OpenAPI document, from its routers alone: no workspace is needed to describe them."""
    app = FastAPI()
    for router in ROUTERS:
        app.include_router(router, prefix="/api")
    return app.openapi()


class _App:
    """An ASGI app that is the module's app once the fixture below has built it."""

    target: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.target(scope, receive, send)


# Loaded eagerly, with the app bound as `from_asgi` binds it: `schemathesis.pytest.from_fixture` fails under
# pytest 9 ('Function' object has no attribute '_nodeid'), and the app needs a workspace, made by a fixture.
APP = _App()
schema = schemathesis.openapi.from_dict(_api_document())
schema.app, schema.location = APP, "/api/openapi.json"


@pytest.fixture(scope="module", autouse=True)
def _bound(fuzzed: Served) -> None:
    """The cases go, in process, to the app over the module's workspace, whose document must be the one fuzzed."""
    assert fuzzed.client.app.openapi()["paths"] == schema.raw_schema["paths"]
    APP.target = fuzzed.client.app


@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_no_operation_answers_a_server_error_and_every_refusal_is_the_envelope(case: Any, fuzzed: Served) -> None:
    response = case.call(headers=fuzzed.auth("admin"))
    case.validate_response(response, checks=[not_a_server_error])
    if 400 <= response.status_code < 500:
        body = response.json()
        assert set(body) == {"ok", "error", "errors", "status"}, body
        assert body["ok"] is False
        assert body["status"] == response.status_code
