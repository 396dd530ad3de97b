"""Opening a store: the engine for a URL, with migrations applied automatically on open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from answerkey.errors import StoreError
from answerkey.store import writes

__all__ = ["HEAD_REVISION", "create_store_engine", "current_revision", "migrate", "open_engine"]

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD_REVISION = "0012"
"""The newest migration. Checked without importing Alembic, so opening an up-to-date store stays cheap;
a test pins it to the head of ``migrations/versions``."""


def create_store_engine(url: str) -> Engine:
    """An engine for ``url`` with SQLite set up for a single-writer workspace (WAL, foreign keys), whose commits
    extend the annotation log's hash chain with what they appended (:func:`writes.extend_annotation_chain`)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    sqlite = url.startswith("sqlite")
    try:
        # a second writer waits for the first (up to 60 s) instead of failing at once with "database is locked"
        engine = create_engine(url, connect_args={"timeout": 60} if sqlite else {})
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot use store URL {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "commit", writes.extend_annotation_chain)
    event.listen(engine, "rollback", writes.forget_pending)
    event.listen(engine, "checkin", _forget_pending_on_checkin)  # closed without commit or rollback
    return engine


def _forget_pending_on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info.pop(writes.PENDING, None)


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA recursive_triggers=ON")  # INSERT OR REPLACE fires the append-only delete triggers
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache: imports insert into large unique indexes
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    """The store's migration revision (None for a new, empty store)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def migrate(engine: Engine) -> None:
    """Upgrade the store to the newest schema; does nothing when it is already there."""
    try:
        if current_revision(engine) == HEAD_REVISION:
            return
        from alembic import command

        config = _alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise StoreError(f"cannot open the store at {engine.url!r}: {exc.orig}") from None


def open_engine(url: str) -> Engine:
    """Engine for ``url``, migrated to the newest schema."""
    engine = create_store_engine(url)
    migrate(engine)
    return engine
