"""Agents behind one protocol: callables, commands and HTTP endpoints, and how each one fails."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from answerkey.analytics.agents import AgentError, CallableAgent, HttpAgent, agent_from_spec
from answerkey.errors import ParameterError

REQUEST = {"id": "q1", "question": "How many?", "context": "", "instructions": None}


class Handler(BaseHTTPRequestHandler):
    calls: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.calls.append(request)
        status, body = (500, b"{}") if request["id"] == "fail" else (200, json.dumps({"sql": "SELECT 1"}).encode())
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/answer"
    server.shutdown()


def test_an_http_agent_posts_the_request_and_reads_the_answer(endpoint: str) -> None:
    Handler.calls.clear()
    assert HttpAgent(endpoint).answer(REQUEST, 5) == {"sql": "SELECT 1"}
    assert Handler.calls == [REQUEST]


def test_an_http_error_is_not_retried(endpoint: str) -> None:
    Handler.calls.clear()
    with pytest.raises(AgentError, match="HTTP 500"):
        HttpAgent(endpoint).answer({**REQUEST, "id": "fail"}, 5)
    assert len(Handler.calls) == 1


def test_an_unreachable_endpoint_is_retried_then_fails() -> None:
    with pytest.raises(AgentError, match="could not be reached") as caught:
        HttpAgent("http://127.0.0.1:9/answer", retries=2).answer(REQUEST, 5)
    assert caught.value.kind == "error"


def test_a_callable_agents_exception_is_its_error_not_the_runs() -> None:
    def broken(request: Mapping[str, Any]) -> dict[str, Any]:
        raise KeyError("model")

    with pytest.raises(AgentError, match="raised KeyError"):
        CallableAgent(broken).answer(REQUEST, 1)
    with pytest.raises(AgentError, match="without sql, result or refused"):
        CallableAgent(lambda request: {"text": "hi"}).answer(REQUEST, 1)


def test_specs_name_the_kind_of_agent() -> None:
    assert isinstance(agent_from_spec("https://example.com/a"), HttpAgent)
    assert agent_from_spec("py:json:dumps").name == "json:dumps"
    with pytest.raises(ParameterError, match="py:module:function"):
        agent_from_spec("py:nowhere:nothing")
