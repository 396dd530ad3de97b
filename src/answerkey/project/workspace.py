"""A workspace: a folder with ``answerkey.toml``, a schema file and a store (SQLite by default)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import pandas as pd
from sqlalchemy import Connection, Engine

from answerkey.config import CONFIG_FILE, DEFAULT_CONFIG, STORE_DIR, WorkspaceConfig, find_workspace, load_config
from answerkey.errors import WorkspaceError
from answerkey.schema import LabelingSchema, dump_schema, load_schema
from answerkey.schema.model import LabelDefinition, TaskKind
from answerkey.store import open_engine, reads

T = TypeVar("T")

__all__ = ["STARTER_SCHEMA", "Workspace"]

STARTER_SCHEMA = LabelingSchema(
    name="my-labels",
    version=1,
    task=TaskKind.SINGLE_LABEL,
    description="What is being labeled and why. Edit the labels, then bump `version` whenever you change them.",
    labels=[
        LabelDefinition(name="positive", definition="The text expresses a favourable opinion.",
                        examples=["Works perfectly, thank you!"]),
        LabelDefinition(name="negative", definition="The text expresses an unfavourable opinion.",
                        examples=["Still broken after three days."]),
        LabelDefinition(name="neutral", definition="No opinion either way, or a plain question.",
                        examples=["Where do I find my invoice?"]),
    ],
)


@dataclass
class Workspace:
    """An open workspace: its configuration and its store engine."""

    config: WorkspaceConfig
    engine: Engine
    _schema_cache: tuple[tuple[int, int, int], LabelingSchema] | None = field(
        default=None, init=False, repr=False, compare=False)
    _derived: dict[str, tuple[Hashable, Any]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _derived_locks: dict[str, threading.Lock] = field(default_factory=dict, init=False, repr=False, compare=False)
    _records_cache: tuple[tuple[str, ...], tuple[int, int], pd.DataFrame] | None = field(
        default=None, init=False, repr=False, compare=False)

    @property
    def root(self) -> Path:
        """The workspace folder."""
        return self.config.root

    @classmethod
    def init(cls, directory: str | Path, *, name: str | None = None, schema: LabelingSchema | None = None) -> Workspace:
        """Create a workspace in ``directory``: ``answerkey.toml``, ``schema.yaml`` and the store."""
        root = Path(directory).resolve()
        if (root / CONFIG_FILE).exists():
            raise WorkspaceError(f"{root / CONFIG_FILE} already exists; this folder is a workspace already")
        root.mkdir(parents=True, exist_ok=True)
        name = name or root.name
        (root / CONFIG_FILE).write_text(DEFAULT_CONFIG.format(name=name, store_dir=STORE_DIR), encoding="utf-8")
        schema_path = root / "schema.yaml"
        if not schema_path.exists():
            starter = schema or STARTER_SCHEMA.model_copy(update={"name": name})
            schema_path.write_text(dump_schema(starter), encoding="utf-8")
        (root / STORE_DIR).mkdir(exist_ok=True)
        (root / STORE_DIR / ".gitignore").write_text("*\n", encoding="utf-8")
        return cls.open(root)

    @classmethod
    def open(cls, directory: str | Path | None = None) -> Workspace:
        """Open the workspace at or above ``directory`` (the current folder by default)."""
        root = find_workspace(Path(directory) if directory else None)
        config = load_config(root)
        return cls(config=config, engine=open_engine(config.database_url))

    def schema(self) -> LabelingSchema:
        """The schema file as it is now (registered in the store on the first import that uses it).

        Parsed again only when the file changed (its modification time, size or inode): a server reads it on
        every write, and parsing YAML was a third of a small write's time.
        """
        path = self.config.schema_path
        try:
            stat = path.stat()
        except OSError:
            return load_schema(path)  # the loader says what is wrong
        key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        cached = self._schema_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        schema = load_schema(path)
        self._schema_cache = (key, schema)
        return schema

    def annotations(self) -> pd.DataFrame:
        """The store's standing annotations (:func:`reads.annotations_frame`, without the excluded sources).

        Kept between calls: when the annotations changed, only the rows recorded since are read and appended
        (:func:`reads.refreshed_records`), so a server deciding one item after another does not read the table
        again.
        """
        excluded = self.config.exclude_sources
        with self._derived_locks.setdefault("annotation records", threading.Lock()), self.reading() as connection:
            cached = self._records_cache
            earlier = cached[1:] if cached is not None and cached[0] == excluded else None
            state, records = reads.refreshed_records(connection, earlier, excluded)
            self._records_cache = (excluded, state, records)
        standing = self.derived("annotations", (state, excluded), lambda: reads.without_withdrawn(records))
        return standing.copy(deep=False)

    def annotations_key(self) -> tuple[int, int]:
        """What changes whenever the annotations do: they are append-only, so every write raises their count."""
        with self.reading() as connection:
            return reads.annotations_state(connection)

    def derived(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, kept under ``name`` until ``key`` changes: a server showing one review page after another
        reads the annotations and fits the consensus once, not several times a page. The value is shared, so
        callers hand out copies of anything mutable."""
        cached = self._derived.get(name)
        if cached is not None and cached[0] == key:
            return cast(T, cached[1])
        with self._derived_locks.setdefault(name, threading.Lock()):  # one computes, the others wait for it
            cached = self._derived.get(name)
            if cached is not None and cached[0] == key:
                return cast(T, cached[1])
            value = compute()
            self._derived[name] = (key, value)
        return value

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One store transaction: everything in it is written, or nothing is."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only connection."""
        with self.engine.connect() as connection:
            yield connection

    def close(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()
