"""``token create|list|revoke`` and ``serve``: who may use the workbench, and the workbench itself."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import State, console, err_console, print_json
from answerkey.errors import ParameterError
from answerkey.project.access import ROLES, create_token, list_tokens, revoke_tokens
from answerkey.project.workspace import Workspace

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "Listener", "listen", "register", "serve_workspace", "workspace_url"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8750
LIMIT_CONCURRENCY = 1024
"""Open connections (and requests in flight) beyond which uvicorn answers 503 at once instead of queueing: far
above a team's browsers and scripts, low enough that a flood cannot exhaust memory or file descriptors."""
KEEP_ALIVE_SECONDS = 30
"""How long an idle connection stays open: longer than a paced client's gap between requests, so a client
that posts every few seconds reuses its connection instead of racing the server's close."""
SHUTDOWN_SECONDS = 10
"""On Ctrl+C or SIGTERM, how long requests in flight get to finish (a write is one transaction: either it
commits or nothing of it is kept)."""

token_app = typer.Typer(help="Create, list and revoke the workbench's API tokens.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the token and serve commands to ``app``."""
    app.add_typer(token_app, name="token")
    app.command("serve")(serve)


@token_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Who the token is for: the annotator or reviewer id its writes carry.")],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}; each has the rights of those "
                                                      "before it.")],
) -> None:
    """Make a token and print it once, alone on stdout (only its hash is kept)."""
    state: State = ctx.obj
    info, token = create_token(state.open(), name, role)
    print(token, flush=True)
    err_console.print(f"token for {info.name!r} ({info.role}); it is not shown again, so keep it now. Send it as "
                      "'Authorization: Bearer TOKEN', or sign in with it in the browser.", soft_wrap=True)


@token_app.command("list")
def list_(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every token ever made, oldest first, revoked ones too (never the token itself)."""
    state: State = ctx.obj
    tokens = list_tokens(state.open())
    if as_json:
        print_json([info.to_dict() for info in tokens])
        return
    if not tokens:
        console.print("no tokens yet; `answerkey token create NAME --role ROLE` makes one")
        return
    table = Table("id", "name", "role", "created", "revoked")
    for info in tokens:
        table.add_row(str(info.token_id), info.name, info.role, str(info.created_at)[:19],
                      str(info.revoked_at)[:19] if info.revoked_at else "-")
    console.print(table)


@token_app.command("revoke")
def revoke(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Whose tokens to revoke.")]) -> None:
    """Revoke every live token of NAME at once (their sessions end too)."""
    state: State = ctx.obj
    revoked = revoke_tokens(state.open(), name)
    if revoked:
        console.print(f"revoked {revoked} token{'s' if revoked > 1 else ''} of {name!r}")
    else:
        console.print(f"{name!r} has no live token (all were revoked before)")


def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0 picks a free one).")]
    = DEFAULT_PORT,
    host: Annotated[str, typer.Option(help="Address to listen on; anything but loopback is reachable from the "
                                           "network.")] = DEFAULT_HOST,
    secure_cookies: Annotated[bool, typer.Option("--secure-cookies", help="Mark the session cookie Secure (when "
                                                                        "served behind HTTPS).")] = False,
) -> None:
    """Serve the workbench (the web UI and the JSON API under /api) for this workspace, in this process."""
    state: State = ctx.obj
    workspace = state.open()
    listener = listen(host, port)
    err_console.print("sign in with a token; `answerkey token create NAME --role ROLE` makes one", soft_wrap=True)
    serve_workspace(workspace, listener, secure_cookies=secure_cookies)


@dataclass(frozen=True)
class Listener:
    """A bound socket, where it listens, and whether only this machine can reach it."""

    sock: socket.socket
    host: str
    port: int
    loopback: bool

    @property
    def url(self) -> str:
        """The URL a browser opens."""
        return workspace_url(self.host, self.port)


def listen(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> Listener:
    """Bind ``host:port`` now, so a taken port or an unknown host is one clear error before anything runs."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise ParameterError.invalid("--host", "an address of this machine (127.0.0.1 serves only it)",
                                     f"{host} ({exc.strerror})") from None
    bound = socket.socket(family, kind, proto)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        bound.bind(address)
    except OSError as exc:
        bound.close()
        raise ParameterError(f"cannot listen on {host}:{port}: {exc.strerror}; pick another --port, or stop what "
                             "is using it") from None
    loopback = ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback
    return Listener(bound, host, int(bound.getsockname()[1]), loopback)


def serve_workspace(workspace: Workspace, listener: Listener, *, secure_cookies: bool = False) -> None:
    """Print the URL and serve ``workspace`` on ``listener`` until Ctrl+C or SIGTERM (one process)."""
    import uvicorn

    from answerkey.web.app import create_app

    if not listener.loopback:
        err_console.print(f"[yellow]warning:[/] listening on {listener.host}: anyone who can reach this machine on "
                          "the network reaches the workbench (a token is still needed for everything but the "
                          "sign-in page); serve it behind HTTPS with --secure-cookies", soft_wrap=True)
    config = uvicorn.Config(
        create_app(workspace, secure_cookies=secure_cookies), host=listener.host, port=listener.port,
        log_level="warning", access_log=False, server_header=False, limit_concurrency=LIMIT_CONCURRENCY,
        timeout_keep_alive=KEEP_ALIVE_SECONDS, timeout_graceful_shutdown=SHUTDOWN_SECONDS,
    )
    console.print(f"serving {workspace.root} at {listener.url} (Ctrl+C stops)")
    try:
        uvicorn.Server(config).run(sockets=[listener.sock])
    finally:
        listener.sock.close()
        workspace.close()


def workspace_url(host: str, port: int) -> str:
    """The URL a browser opens for a server on ``host:port``."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"
