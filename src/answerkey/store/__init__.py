"""The store: SQLAlchemy Core tables, Alembic migrations, and the only writers of ground truth."""

from answerkey.store.engine import create_store_engine, migrate, open_engine

__all__ = ["create_store_engine", "migrate", "open_engine"]
