"""Analytics agents behind one protocol: a Python callable, a command (JSON on stdin and stdout), or HTTP.

The request is ``{"id", "question", "context", "instructions"}``; the answer is ``{"sql"}`` and/or
``{"result": {"columns", "rows"}}``, optionally ``"context_used"`` (the context items the agent relied on) or
``"refused": true`` (the agent declines). A failing agent never stops a run: its failure becomes the
question's verdict, with the reason.
"""

from __future__ import annotations

import importlib
import json
import shlex
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from answerkey.errors import AnswerkeyError, ParameterError

__all__ = ["Agent", "AgentError", "CallableAgent", "CommandAgent", "HttpAgent", "agent_from_spec"]


class AgentError(AnswerkeyError):
    """The agent gave no usable answer: ``kind`` is ``timeout`` or ``error``."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class Agent(Protocol):
    """Anything that answers one request."""

    name: str

    def answer(self, request: Mapping[str, Any], timeout_s: float) -> dict[str, Any]:
        """The answer to ``request`` within ``timeout_s``; raises ``AgentError``."""
        ...


def _checked(answer: Any, source: str) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise AgentError("error", f"{source} answered {type(answer).__name__}, expected a JSON object")
    if not any(key in answer for key in ("sql", "result", "refused")):
        raise AgentError("error", f"{source} answered without sql, result or refused")
    if "sql" in answer and answer["sql"] is not None and not isinstance(answer["sql"], str):
        raise AgentError("error", f"{source} answered sql that is not text")
    return answer


@dataclass
class CallableAgent:
    """A Python function ``request -> answer`` (``module:function``); run in the judging thread."""

    function: Callable[[Mapping[str, Any]], Any]
    name: str = "python"

    def answer(self, request: Mapping[str, Any], timeout_s: float) -> dict[str, Any]:
        """Call the function; an exception is the agent's error."""
        try:
            return _checked(self.function(request), self.name)
        except AgentError:
            raise
        except Exception as error:  # the agent's bug is a verdict, not a crash of the run
            raise AgentError("error", f"{self.name} raised {type(error).__name__}: {error}") from None


@dataclass
class CommandAgent:
    """A command started once per question: the request as JSON on stdin, the answer as JSON on stdout."""

    command: str
    name: str = ""

    def __post_init__(self) -> None:
        self.argv = shlex.split(self.command)
        if not self.argv:
            raise ParameterError.invalid("--agent", "a command such as 'python my_agent.py'", self.command)
        self.name = self.name or self.command

    def answer(self, request: Mapping[str, Any], timeout_s: float) -> dict[str, Any]:
        """Run the command; a crash, a hang or garbage on stdout is the agent's error."""
        try:
            done = subprocess.run(self.argv, input=json.dumps(request), capture_output=True, text=True,
                                  timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise AgentError("timeout", f"the agent gave no answer within {timeout_s:g} s") from None
        except OSError as error:
            raise AgentError("error", f"the agent could not start: {error}") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise AgentError("error", f"the agent exited with status {done.returncode}: {last}")
        try:
            answer = json.loads(done.stdout)
        except json.JSONDecodeError:
            preview = done.stdout.strip()[:60]
            raise AgentError("error", f"the agent's output is not JSON: {preview!r}") from None
        return _checked(answer, "the agent")


@dataclass
class HttpAgent:
    """An HTTP endpoint that takes the request as a JSON POST; transport errors are retried, answers never."""

    url: str
    retries: int = 2
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.url

    def answer(self, request: Mapping[str, Any], timeout_s: float) -> dict[str, Any]:
        """POST the request; connection failures are retried with backoff, HTTP errors are not."""
        body = json.dumps(request).encode()
        deadline = time.monotonic() + timeout_s
        for attempt in range(self.retries + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            call = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(call, timeout=remaining) as response:
                    payload = response.read()
            except urllib.error.HTTPError as error:
                raise AgentError("error", f"the agent answered HTTP {error.code}") from None
            except TimeoutError:
                raise AgentError("timeout", f"the agent gave no answer within {timeout_s:g} s") from None
            except (urllib.error.URLError, ConnectionError) as error:
                if attempt == self.retries:
                    raise AgentError("error", f"the agent could not be reached: {error}") from None
                time.sleep(min(0.2 * 2**attempt, max(deadline - time.monotonic(), 0)))
                continue
            try:
                return _checked(json.loads(payload), "the agent")
            except json.JSONDecodeError:
                raise AgentError("error", f"the agent's answer is not JSON: {payload[:60]!r}") from None
        raise AgentError("timeout", f"the agent gave no answer within {timeout_s:g} s")


def agent_from_spec(spec: str) -> Agent:
    """``http(s)://…`` is an endpoint, ``py:module:function`` a Python callable, anything else a command."""
    if spec.startswith(("http://", "https://")):
        return HttpAgent(spec)
    if spec.startswith("py:"):
        target = spec[3:]
        module_name, _, function_name = target.partition(":")
        try:
            function = getattr(importlib.import_module(module_name), function_name)
        except (ImportError, AttributeError, ValueError):
            raise ParameterError.invalid("--agent", "py:module:function naming an importable function",
                                         spec) from None
        return CallableAgent(function, name=target)
    return CommandAgent(spec)
