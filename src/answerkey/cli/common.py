"""What every command shares: the workspace option, JSON output, progress bars, one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from answerkey.findings import Finding
from answerkey.project import Workspace

if TYPE_CHECKING:
    from datetime import datetime

    from answerkey.analytics.context import ContextLayer
    from answerkey.analytics.sandbox import SandboxLimits

__all__ = ["State", "as_of_option", "console", "context_layer", "err_console", "limits_of", "print_findings",
           "print_json", "progress_bar", "suites_folder"]

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)


@dataclass
class State:
    """Options given before the command: where the workspace is, and whether to show tracebacks."""

    workspace_dir: Path | None = None
    debug: bool = False

    def open(self) -> Workspace:
        """The workspace named by --workspace, or the one at or above the current folder."""
        return Workspace.open(self.workspace_dir)


def print_json(value: Any) -> None:
    """Machine-readable output: one JSON document on stdout."""
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def print_findings(findings: list[Finding]) -> None:
    """Findings as one line each, errors first."""
    order = {"error": 0, "warning": 1, "info": 2}
    style = {"error": "red", "warning": "yellow", "info": "cyan"}
    for finding in sorted(findings, key=lambda f: order[f.severity.value]):
        severity = finding.severity.value
        console.print(f"[{style[severity]}]{severity:7}[/] {finding.where}: {finding.what}")


@contextmanager
def progress_bar(description: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr, driven by an ``on_progress(done, total)`` callback."""
    if not enabled or not err_console.is_terminal:
        yield lambda done, total: None
        return
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
        console=err_console, transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def limits_of(state: State) -> SandboxLimits:
    """The sandbox limits of the workspace's ``[eval]`` section, or the defaults outside a workspace."""
    from answerkey.analytics.sandbox import SandboxLimits
    from answerkey.config import find_workspace, load_config
    from answerkey.errors import WorkspaceError

    try:
        return SandboxLimits.of(load_config(find_workspace(state.workspace_dir)).eval)
    except WorkspaceError:
        return SandboxLimits()


def suites_folder(state: State) -> Path | None:
    """Where the workspace keeps distilled test suites (``.answerkey/suites``), or None outside a workspace."""
    from answerkey.config import STORE_DIR, find_workspace
    from answerkey.errors import WorkspaceError

    try:
        return find_workspace(state.workspace_dir) / STORE_DIR / "suites"
    except WorkspaceError:
        return None


def as_of_option(text: str | None) -> datetime | None:
    """The instant ``--as-of`` names (None when not given); a bad value is an error naming the option."""
    from answerkey.analytics.clock import parse_as_of

    return None if text is None else parse_as_of(text, "--as-of")


def context_layer(state: State, given: Path | None) -> ContextLayer | None:
    """The context layer from ``--context``, else the workspace's ``context/`` when there is one."""
    from answerkey.analytics.context import load_context
    from answerkey.errors import WorkspaceError

    if given is not None:
        return load_context(given)
    try:
        folder = state.open().root / "context"
    except WorkspaceError:
        return None
    return load_context(folder) if folder.is_dir() else None
