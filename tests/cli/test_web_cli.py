"""``answerkey token create|list|revoke`` and ``answerkey serve``: tokens shown once, and a real server."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_consensus_cli import answerkey

from answerkey.project import Workspace
from answerkey.project.access import authenticate


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    assert answerkey("init", root).returncode == 0
    return root


def _authenticates(root: Path, token: str) -> str | None:
    workspace = Workspace.open(root)
    try:
        principal = authenticate(workspace, token)
    finally:
        workspace.close()
    return f"{principal.name}:{principal.role}" if principal else None


def test_token_create_prints_only_the_token_on_stdout_and_it_authenticates(workspace_dir: Path) -> None:
    made = answerkey("-w", workspace_dir, "token", "create", "ann", "--role", "annotator")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert made.stdout == token + "\n"
    assert "not shown again" in made.stderr
    assert _authenticates(workspace_dir, token) == "ann:annotator"


def test_token_list_shows_who_and_which_role_but_never_the_token(workspace_dir: Path) -> None:
    token = answerkey("-w", workspace_dir, "token", "create", "rita", "--role", "reviewer").stdout.strip()
    table = answerkey("-w", workspace_dir, "token", "list")
    as_json = answerkey("-w", workspace_dir, "token", "list", "--json")
    assert table.returncode == as_json.returncode == 0
    assert "rita" in table.stdout
    assert "reviewer" in table.stdout
    assert '"name": "rita"' in as_json.stdout
    assert '"revoked_at": null' in as_json.stdout
    for output in (table.stdout, as_json.stdout):
        assert token not in output
        assert "ak_" not in output


def test_a_revoked_token_no_longer_authenticates(workspace_dir: Path) -> None:
    token = answerkey("-w", workspace_dir, "token", "create", "ann", "--role", "annotator").stdout.strip()
    revoked = answerkey("-w", workspace_dir, "token", "revoke", "ann")
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked 1 token" in revoked.stdout
    assert _authenticates(workspace_dir, token) is None
    listed = answerkey("-w", workspace_dir, "token", "list", "--json")
    assert '"revoked_at": null' not in listed.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("create", "ann", "--role", "boss"), "must be one of viewer, annotator, reviewer, admin; got 'boss'"),
    (("revoke", "nobody"), "no token for 'nobody'"),
])
def test_a_bad_token_command_is_one_line_on_stderr_and_exit_status_2(
        workspace_dir: Path, args: tuple[str, ...], message: str) -> None:
    result = answerkey("-w", workspace_dir, "token", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_the_api_with_a_token_and_refuses_without_one(workspace_dir: Path) -> None:
    token = answerkey("-w", workspace_dir, "token", "create", "vera", "--role", "viewer").stdout.strip()
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "answerkey.cli.main", "-w", str(workspace_dir), "serve",
                               "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/api/status"
    try:
        deadline = time.monotonic() + 60
        anonymous = None
        while anonymous is None:
            assert server.poll() is None, "the server exited before answering"
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            try:
                anonymous = httpx.get(url, timeout=5)
            except httpx.TransportError:
                time.sleep(0.2)
        assert anonymous.status_code == 401
        assert anonymous.json()["ok"] is False
        answered = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answered.status_code == 200
        assert answered.json()["workspace"] == str(workspace_dir.resolve())
    finally:
        server.terminate()
        try:
            out, _err = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            out, _err = server.communicate()
    assert f"at http://127.0.0.1:{port}/" in out


def test_serve_on_a_taken_port_is_one_line_and_exit_status_2(workspace_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = answerkey("-w", workspace_dir, "serve", "--port", str(taken.getsockname()[1]))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot listen on 127.0.0.1" in result.stderr


def test_demo_prints_how_to_serve_it_and_an_admin_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from answerkey.cli.main import app
    from answerkey.project import demo

    root = tmp_path / "demo"

    def small_demo(directory: Path, **_options: object) -> demo.DemoResult:  # the real one takes a minute
        return demo.DemoResult(Workspace.init(directory), [], root / "report.html", root / "data")

    monkeypatch.setattr(demo, "build_demo", small_demo)
    result = CliRunner().invoke(app, ["demo", str(root)])
    assert result.exit_code == 0, result.output
    assert f"--workspace {root.resolve()} serve" in result.stdout
    assert "http://127.0.0.1:8750/" in result.stdout
    token = re.search(r"token\s+(ak_\S+)", result.stdout)
    assert token is not None
    assert _authenticates(root, token.group(1)) == "demo:admin"
