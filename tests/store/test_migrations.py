"""Migrations run on open, once, and the cheap up-to-date check knows the real head."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from answerkey.store import open_engine
from answerkey.store.engine import HEAD_REVISION, MIGRATIONS, current_revision


def test_the_head_revision_constant_is_the_newest_migration() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_opening_a_store_migrates_it_once_and_reopening_changes_nothing(store_url: str) -> None:
    engine = open_engine(store_url)
    assert current_revision(engine) == HEAD_REVISION
    tables = set(sa.inspect(engine).get_table_names())
    assert {"schema_versions", "imports", "items", "annotators", "annotations", "releases", "release_labels"} <= tables
    engine.dispose()
    again = open_engine(store_url)
    assert current_revision(again) == HEAD_REVISION
    assert set(sa.inspect(again).get_table_names()) == tables
    again.dispose()
