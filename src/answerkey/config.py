"""Workspace configuration: ``answerkey.toml`` and the environment variables that override it."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from answerkey.errors import WorkspaceError

__all__ = [
    "CONFIG_FILE",
    "DATABASE_URL_ENV",
    "STORE_DIR",
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
    )


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
