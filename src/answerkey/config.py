"""Workspace configuration: ``answerkey.toml`` and the environment variables that override it."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from answerkey.errors import WorkspaceError

__all__ = [
    "CONFIG_FILE",
    "DATABASE_URL_ENV",
    "STORE_DIR",
    "EvalSettings",
    "WorkspaceConfig",
    "find_workspace",
    "load_config",
]

CONFIG_FILE = "answerkey.toml"
STORE_DIR = ".answerkey"
DATABASE_URL_ENV = "ANSWERKEY_DATABASE_URL"

DEFAULT_CONFIG = """\
# answerkey workspace
[workspace]
name = "{name}"
schema = "schema.yaml"

[store]
# SQLite file inside the workspace; set ANSWERKEY_DATABASE_URL=postgresql+psycopg://... for a team store.
url = "sqlite:///{store_dir}/store.db"

[ground_truth]
# Sources whose annotations never count towards ground-truth labels.
exclude_sources = ["model"]
# How releases turn judgements into labels: auto (Dawid-Skene when every judged item has three or more
# judgements, else majority), majority, weighted-majority, dawid-skene, one-coin or glad.
# See `answerkey consensus --compare` for each method's accuracy against your expert labels.
method = "auto"
# Sources whose labels outrank the crowd's consensus, strongest first: an adjudication decides its item;
# else the experts' majority does. [] lets the consensus method decide every item.
authority = ["adjudicated", "expert"]

[splits]
# The test-set ledger warns once a sealed test set has been evaluated more than this many times.
test_looks_warning = 10

[staleness]
# Ground truth older than this is due for review (`answerkey staleness`); per segment below.
review_every_days = 180
# [staleness.segments]
# enterprise = 90

[eval]
# Agent SQL runs in sandbox worker processes with these limits per query (DuckDB settings).
memory_limit = "1GB"
threads = 2
max_temp_directory_size = "1GB"
max_rows = 200000
# Whether the role that pushes answers (annotator, viewer) may see the gold SQL, gold values and the first
# differing values; reviewers and admins always do.
reveal = false
# Pushes of answers per token per minute over HTTP, and the execution time one push may use in all.
pushes_per_minute = 10
push_budget_s = 300

[production]
# The type of each column of the production log (POST /api/predictions, /api/outcomes), fixed before any write:
# "text", "number" or "boolean" (outcome takes prediction's type). An undeclared column's type is fixed by the
# first write of a reviewer's or admin's token; an annotator's token (a model service's) writes only columns
# whose type is declared here or already in the log, in that type.
# columns = {{prediction = "text", score = "number"}}

[datasheet]
# Free text for every release's datasheet (`answerkey datasheet RELEASE`).
# motivation = "Why this ground truth exists and who made it."
# intended_uses = "What it may be used for."
# limitations = "What it must not be trusted for."
"""


@dataclass(frozen=True)
class WorkspaceConfig:
    """What ``answerkey.toml`` says, with paths resolved against the workspace folder."""

    root: Path
    name: str
    schema_path: Path
    database_url: str
    exclude_sources: tuple[str, ...] = ("model",)
    consensus_method: str = "auto"
    authority: tuple[str, ...] = ("adjudicated", "expert")
    test_looks_warning: int = 10
    review_every_days: int = 180
    segment_review_days: tuple[tuple[str, int], ...] = ()
    datasheet: tuple[tuple[str, str], ...] = ()
    """Free text for release datasheets (``[datasheet]``: motivation, intended_uses, limitations, ...)."""
    production_columns: tuple[tuple[str, str], ...] = ()
    """The production log's declared column types (``[production] columns``): name and text, number or boolean."""
    eval: EvalSettings = field(default_factory=lambda: EvalSettings())
    """How agent SQL is executed and judged (``[eval]``)."""


@dataclass(frozen=True)
class EvalSettings:
    """The ``[eval]`` section: the sandbox's limits per query, who sees the gold, and how often answers may be
    pushed over HTTP."""

    memory_limit: str = "1GB"
    threads: int = 2
    max_temp_directory_size: str = "1GB"
    max_rows: int = 200_000
    reveal: bool = False
    pushes_per_minute: int = 10
    push_budget_s: float = 300.0


def find_workspace(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding an ``answerkey.toml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise WorkspaceError(
        f"no {CONFIG_FILE} in {here} or any folder above it; run `answerkey init DIR` or pass --workspace DIR"
    )


def load_config(root: Path) -> WorkspaceConfig:
    """Read ``root/answerkey.toml``; ``ANSWERKEY_DATABASE_URL`` overrides the store URL."""
    path = root / CONFIG_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkspaceError(f"{path}: not found; run `answerkey init {root}`") from None
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{path}: not valid TOML: {exc}") from None
    workspace = data.get("workspace", {})
    store = data.get("store", {})
    truth = data.get("ground_truth", {})
    url = os.environ.get(DATABASE_URL_ENV) or store.get("url") or f"sqlite:///{STORE_DIR}/store.db"
    return WorkspaceConfig(
        root=root,
        name=str(workspace.get("name", root.name)),
        schema_path=root / str(workspace.get("schema", "schema.yaml")),
        database_url=_resolve_sqlite_path(url, root),
        exclude_sources=tuple(truth.get("exclude_sources", ["model"])),
        consensus_method=_consensus_method(path, truth.get("method", "auto")),
        authority=_authority(path, truth.get("authority", ["adjudicated", "expert"])),
        test_looks_warning=_positive_int(path, "[splits] test_looks_warning",
                                         data.get("splits", {}).get("test_looks_warning", 10)),
        review_every_days=_positive_int(path, "[staleness] review_every_days",
                                        data.get("staleness", {}).get("review_every_days", 180)),
        segment_review_days=tuple(
            (str(segment), _positive_int(path, f"[staleness.segments] {segment}", days))
            for segment, days in data.get("staleness", {}).get("segments", {}).items()),
        datasheet=tuple((str(k), str(v)) for k, v in data.get("datasheet", {}).items()),
        production_columns=_production_columns(path, data.get("production", {}).get("columns", {})),
        eval=_eval_settings(path, data.get("eval", {})),
    )


_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def _eval_settings(path: Path, section: dict[str, object]) -> EvalSettings:
    default = EvalSettings()
    sizes = {}
    for name in ("memory_limit", "max_temp_directory_size"):
        value = section.get(name, getattr(default, name))
        if not isinstance(value, str) or not _SIZE.match(value):
            raise WorkspaceError(f"{path}: [eval] {name} is {value!r}; expected a size such as \"1GB\" or \"512MB\"")
        sizes[name] = value.strip()
    reveal = section.get("reveal", False)
    if not isinstance(reveal, bool):
        raise WorkspaceError(f"{path}: [eval] reveal is {reveal!r}; expected true or false")
    budget = section.get("push_budget_s", default.push_budget_s)
    if not isinstance(budget, int | float) or isinstance(budget, bool) or budget <= 0:
        raise WorkspaceError(f"{path}: [eval] push_budget_s is {budget!r}; expected a positive number of seconds")
    return EvalSettings(
        threads=_positive_int(path, "[eval] threads", section.get("threads", default.threads)),
        max_rows=_positive_int(path, "[eval] max_rows", section.get("max_rows", default.max_rows)),
        reveal=reveal, push_budget_s=float(budget),
        pushes_per_minute=_positive_int(path, "[eval] pushes_per_minute",
                                        section.get("pushes_per_minute", default.pushes_per_minute)),
        **sizes)


COLUMN_TYPES = ("text", "number", "boolean")
"""The types a production-log column may be declared with."""
_COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def _production_columns(path: Path, value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise WorkspaceError(f"{path}: [production] columns is {value!r}; expected a table such as "
                             '{prediction = "text", score = "number"}')
    for name, kind in value.items():
        if not _COLUMN_NAME.match(name) or kind not in COLUMN_TYPES:
            raise WorkspaceError(f"{path}: [production] columns declares {name} = {kind!r}; expected a column name "
                                 f"of letters, digits and _ with one of {', '.join(map(repr, COLUMN_TYPES))}")
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


CONSENSUS_METHODS = ("auto", "majority", "weighted-majority", "dawid-skene", "one-coin", "glad")
"""``auto`` and every method of :data:`answerkey.quality.aggregation.METHODS` (kept equal by a test)."""


def _consensus_method(path: Path, value: object) -> str:
    allowed = CONSENSUS_METHODS
    if value not in allowed:
        raise WorkspaceError(f"{path}: [ground_truth] method is {value!r}; expected one of {', '.join(allowed)}")
    return str(value)


def _authority(path: Path, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise WorkspaceError(f"{path}: [ground_truth] authority is {value!r}; expected a list of sources such as "
                             '["adjudicated", "expert"]')
    return tuple(value)


def _positive_int(path: Path, name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise WorkspaceError(f"{path}: {name} is {value!r}; expected a positive whole number")
    return value


def _resolve_sqlite_path(url: str, root: Path) -> str:
    """Make a relative ``sqlite:///path`` relative to the workspace rather than the current folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        return prefix + str((root / url[len(prefix):]).resolve())
    return url
