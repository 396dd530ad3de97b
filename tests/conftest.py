"""Shared fixtures: a workspace on every store backend (SQLite file and PostgreSQL), for real, and the
monitoring engines (DuckDB in memory; a local Spark session through Ibis, which needs Java).

Test modules import helpers from here (``from conftest import ...``), so this is the only conftest.py.
PostgreSQL tests run in a schema of their own inside ANSWERKEY_TEST_POSTGRES_URL (default: the local
server on 127.0.0.1:5432, database ``test``). Without a server they skip, except under CI=true, where a
missing service is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from answerkey.config import DATABASE_URL_ENV
from answerkey.project import Workspace
from answerkey.schema import LabelDefinition, LabelingSchema, TaskKind, dump_schema

POSTGRES_URL = os.environ.get("ANSWERKEY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _postgres_available() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means: no server here
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL URL, after checking a server answers (fail under CI, skip elsewhere)."""
    problem = _postgres_available()
    if problem:
        message = f"PostgreSQL at {POSTGRES_URL} does not answer: {problem}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI=true: a missing service is a failure)")
        pytest.skip(message)
    return POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    with postgres_schema(request.getfixturevalue("postgres_server")) as url:
        yield url


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A store URL in a PostgreSQL schema of its own, dropped afterwards."""
    schema = f"ak_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_schema(version: int = 1, labels: tuple[str, ...] = ("billing", "technical", "account"),
                task: TaskKind = TaskKind.SINGLE_LABEL, **extra: object) -> LabelingSchema:
    """A small schema for tests."""
    return LabelingSchema(
        name="tickets", version=version, task=task,
        labels=[LabelDefinition(name=name, definition=f"The ticket is about {name}.") for name in labels],
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def workspace(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """A new workspace with a three-label schema, on each store backend."""
    monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    ws = Workspace.init(tmp_path / "ws", schema=make_schema())
    yield ws
    ws.close()


def write_schema(ws: Workspace, schema: LabelingSchema) -> None:
    """Replace the workspace's schema file."""
    ws.config.schema_path.write_text(dump_schema(schema), encoding="utf-8")


def declare_production_columns(ws: Workspace, columns: dict[str, str]) -> None:
    """Declare the production log's column types in ``answerkey.toml`` and read the configuration again, as a
    server started after the edit would."""
    from answerkey.config import load_config

    path = ws.root / "answerkey.toml"
    line = "columns = {" + ", ".join(f'{name} = "{kind}"' for name, kind in columns.items()) + "}"
    text = path.read_text(encoding="utf-8")
    text = text.replace("\n[production]\n", f"\n[production]\n{line}\n", 1) if "\n[production]\n" in text \
        else f"{text}\n[production]\n{line}\n"
    path.write_text(text, encoding="utf-8")
    ws.config = load_config(ws.root)


def write_text(path: Path, text: str) -> Path:
    """Write a test input file and return its path."""
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def items_csv(tmp_path: Path) -> Path:
    """Three items with a text payload."""
    return write_text(tmp_path / "items.csv", "item_id,text,segment\nT1,refund please,smb\nT2,app crashes,"
                      "enterprise\nT3,cannot log in,smb\n")


ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """One local Spark session for the whole test run (2 cores, no UI, few shuffle partitions)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        message = "Spark needs Java and none is installed"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI=true: a missing service is a failure)")
        pytest.skip(message)
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("answerkey-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Any:
    """An Ibis connection: DuckDB in memory, or Ibis's PySpark backend on the shared local session."""
    import ibis

    if request.param == "duckdb":
        return ibis.duckdb.connect()
    return ibis.pyspark.connect(request.getfixturevalue("spark_session"))


@dataclass
class Served:
    """A workspace behind the web app: its test client and a token for each role (named after the role's person:
    vera the viewer, ann the annotator, rita the reviewer, adam the admin)."""

    workspace: Workspace
    client: Any
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        """The Authorization header of ``role``'s token."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def sign_in(self, role: str, next: str = "/") -> Any:
        """Sign the client in as ``role`` through the sign-in form; the form's response (303 when it worked)."""
        return sign_in_with(self.client, self.tokens[role], next)


def sign_in_with(client: Any, token: str, next: str = "/") -> Any:
    """Open the sign-in page as a browser does, then post the form with its CSRF token and ``token``."""
    page = client.get("/sign-in")
    match = re.search(r'name="sign_in_csrf" value="([^"]+)"', page.text)
    assert match, "the sign-in page carries no CSRF token"
    return client.post("/sign-in", data={"token": token, "next": next, "sign_in_csrf": match.group(1)},
                       follow_redirects=False)


ROLE_PEOPLE = {"viewer": "vera", "annotator": "ann", "reviewer": "rita", "admin": "adam"}

SERVED_ITEMS = ("item_id,text,segment\nT1,refund please,smb\nT2,app crashes,enterprise\nT3,cannot log in,smb\n"
                "T4,invoice missing,smb\nT5,password reset,enterprise\nT6,charged twice,smb\n")
SERVED_ANNOTATIONS = ("item_id,annotator_id,label\nT1,a1,billing\nT1,a2,billing\nT1,a3,technical\n"
                      "T2,a1,technical\nT2,a2,technical\nT2,a3,technical\nT3,a1,account\nT3,a2,technical\n"
                      "T4,a1,billing\nT4,a2,billing\nT4,a3,billing\nT5,a1,account\nT5,a2,account\nT5,a3,technical\n"
                      "T6,a1,billing\nT6,a2,technical\n")


def serve_workspace(ws: Workspace, tmp_path: Path) -> Served:
    """Six items, sixteen judgements from three annotators (T3 and T6 split evenly), a token per role, a client."""
    from fastapi.testclient import TestClient

    from answerkey.project import import_annotations, import_items
    from answerkey.project.access import create_token
    from answerkey.web.app import create_app

    import_items(ws, write_text(tmp_path / "served_items.csv", SERVED_ITEMS))
    import_annotations(ws, write_text(tmp_path / "served_annotations.csv", SERVED_ANNOTATIONS))
    tokens = {role: create_token(ws, person, role)[1] for role, person in ROLE_PEOPLE.items()}
    return Served(ws, TestClient(create_app(ws)), tokens)


@pytest.fixture
def served(workspace: Workspace, tmp_path: Path) -> Iterator[Served]:
    """The web app over a small workspace, on each store backend."""
    result = serve_workspace(workspace, tmp_path)
    yield result
    result.client.close()


@contextmanager
def sqlite_served(folder: Path) -> Iterator[Served]:
    """The web app over a new small workspace in ``folder`` on the default SQLite store."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DATABASE_URL_ENV, raising=False)
        ws = Workspace.init(folder / "ws", schema=make_schema())
        result = serve_workspace(ws, folder)
        yield result
        result.client.close()
        ws.close()


@pytest.fixture
def served_sqlite(tmp_path: Path) -> Iterator[Served]:
    """The web app over a small workspace on the default SQLite store only (for the many role checks)."""
    with sqlite_served(tmp_path) as result:
        yield result


# ---------------------------------------------------------------------------------------------------------------
# Browser tests (tests/web/test_browser.py): the workbench served by a real uvicorn server in a background thread,
# driven through Debian's Chromium by Playwright. Never `playwright install`: the browser is /usr/bin/chromium
# (`apt-get install -y chromium`; .ci/run installs it). Without it the tests skip, except under CI=true.
# ---------------------------------------------------------------------------------------------------------------

CHROMIUM = os.environ.get("ANSWERKEY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
"""Where browser tests save a screenshot of each step (``test-artifacts/`` is git-ignored)."""


@contextmanager
def serve_process(root: Path) -> Iterator[str]:
    """``answerkey serve`` over the workspace at ``root`` as its own process (on its own store, never the
    environment's); its URL once it answers. It must still be running when the block ends."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {name: value for name, value in os.environ.items() if name != DATABASE_URL_ENV}
    process = subprocess.Popen([sys.executable, "-m", "answerkey.cli.main", "-w", str(root), "serve", "--port",
                                str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the server exited before answering"
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            try:
                httpx.get(f"{url}/api/status", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url
        assert process.poll() is None, "the server died"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def accounts_warehouse(tmp_path: Path) -> Path:
    """A DuckDB warehouse file with one table, ``accounts`` (id 0-999, plan = id % 3)."""
    import duckdb

    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE accounts AS SELECT range AS id, range % 3 AS plan FROM range(1000)")
    return path


@dataclass
class Live:
    """A workspace served over real HTTP: the base URL and a token per role (as :class:`Served` has)."""

    workspace: Workspace
    url: str
    tokens: dict[str, str]


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port, in a background thread; yields the base URL."""
    import socket
    import threading
    import time

    import uvicorn

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start within 15 s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        listener.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium (Debian's) for the test run, through Playwright (fail under CI, skip elsewhere)."""
    problem = None if Path(CHROMIUM).is_file() else f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # a dev dependency, but say so rather than crash
        problem = problem or f"the playwright package is missing ({exc}); pip install -e '.[dev]'"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem + " (CI=true: a missing service is a failure)")
        pytest.skip(problem)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS))
        yield browser
        browser.close()


@pytest.fixture
def browser_context(chromium: Any) -> Iterator[Any]:
    """A fresh browser profile (no cookies) with a desktop viewport; ``browser_context.new_page()`` opens a tab."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def live_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    """The small served workspace (T1..T6, T3 and T6 disputed) behind a real server, on SQLite."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    ws = Workspace.init(tmp_path / "ws", schema=make_schema())
    served = serve_workspace(ws, tmp_path)
    with live_server(served.client.app) as url:
        yield Live(ws, url, served.tokens)
    served.client.close()
    ws.close()


@pytest.fixture(scope="session")
def live_released(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The small served workspace with a release and the demo's recorded evaluation run (its SaaS warehouse,
    golden set and baseline agent), behind a real server; built once, for pages that only read."""
    from answerkey.demo.saas import build_analytics_demo
    from answerkey.project import create_release

    folder = tmp_path_factory.mktemp("released")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DATABASE_URL_ENV, raising=False)
        ws = Workspace.init(folder / "ws", schema=make_schema())
        served = serve_workspace(ws, folder)
        create_release(ws, "2026-01", note="the six served items")
        build_analytics_demo(ws.root)
        with live_server(served.client.app) as url:
            yield Live(ws, url, served.tokens)
        served.client.close()
        ws.close()
