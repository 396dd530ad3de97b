"""Alembic environment: runs on the connection the store hands over (``config.attributes``)."""

from __future__ import annotations

from alembic import context

from answerkey.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through `alembic` on the command line
    raise RuntimeError("answerkey migrations run through answerkey.store.open_store(url)")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
