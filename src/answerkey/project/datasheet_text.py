"""The datasheet's free text (motivation, intended uses, limitations), edited where it lives: ``[datasheet]`` in
``answerkey.toml``. The file stays the one source of truth, so the CLI and the web read the same words.

Only the ``[datasheet]`` table is rewritten: every other line of the file (comments included) is kept as it was,
and the result is parsed back and compared before it replaces the file (atomically: a temporary file renamed
over it), so a hand-edited file the rewrite cannot handle is refused instead of damaged.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from answerkey.config import CONFIG_FILE
from answerkey.errors import ConflictError, ParameterError, WorkspaceError
from answerkey.project.workspace import Workspace

__all__ = ["DATASHEET_FIELDS", "MAX_TEXT", "DatasheetEdit", "apply_datasheet_text", "datasheet_text",
           "plan_datasheet_text", "rewrite_datasheet_table", "set_datasheet_text"]

DATASHEET_FIELDS = ("motivation", "intended_uses", "limitations")
"""The free-text answers of a datasheet, in the order the datasheet asks them."""
MAX_TEXT = 10_000
_EDITS = threading.Lock()
"""One edit of the file at a time in this process, from reading it to replacing it."""
HEADER = re.compile(r"^\s*\[\s*datasheet\s*\]\s*(#.*)?$")
ANY_HEADER = re.compile(r"^\s*\[")
ASSIGNMENT = re.compile(r"^\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)\s*=")


def datasheet_text(workspace: Workspace) -> dict[str, str]:
    """The free text as the workspace's configuration holds it now (a missing field is '')."""
    current = dict(workspace.config.datasheet)
    return {name: current.get(name, "") for name in DATASHEET_FIELDS}


@dataclass(frozen=True)
class DatasheetEdit:
    """An edit of the free text worked out but not yet written: the file's new text and what changed."""

    path: Path
    before: str
    after: str
    changes: dict[str, dict[str, str]]


def plan_datasheet_text(workspace: Workspace, texts: Mapping[str, str]) -> DatasheetEdit:
    """What writing ``texts`` (some of :data:`DATASHEET_FIELDS`; '' removes a field) to ``[datasheet]`` in
    ``answerkey.toml`` would do, checked but not written (so a caller can record the edit first)."""
    unknown = sorted(set(texts) - set(DATASHEET_FIELDS))
    if unknown:
        raise ParameterError.invalid("datasheet field", f"one of {', '.join(DATASHEET_FIELDS)}", unknown[0])
    clean = {name: _normalised(name, value) for name, value in texts.items()}
    path = workspace.root / CONFIG_FILE
    before = path.read_text(encoding="utf-8")
    after = rewrite_datasheet_table(before, clean, path)
    old = dict(tomllib.loads(before).get("datasheet", {}))
    changes = {name: {"old": str(old.get(name, "")), "new": value} for name, value in clean.items()
               if str(old.get(name, "")) != value}
    return DatasheetEdit(path, before, after, changes)


def _check_unchanged(edit: DatasheetEdit) -> None:
    """Refuse an edit planned from a file that has changed since (another process wrote it): saving it would
    overwrite that change with a stale copy."""
    if edit.path.read_text(encoding="utf-8") != edit.before:
        raise ConflictError(f"{edit.path} changed while the datasheet text was being saved; reload and save again")


def apply_datasheet_text(workspace: Workspace, edit: DatasheetEdit) -> None:
    """Write a planned edit to the file (atomically, refused if the file changed since it was planned) and to
    the open workspace's configuration."""
    if edit.after != edit.before:
        _check_unchanged(edit)
        _replace_atomically(edit.path, edit.after)
    merged = {str(k): str(v) for k, v in tomllib.loads(edit.after).get("datasheet", {}).items()}
    workspace.config = replace(workspace.config, datasheet=tuple(merged.items()))


def set_datasheet_text(
    workspace: Workspace, texts: Mapping[str, str], record: Callable[[DatasheetEdit], None] | None = None,
) -> dict[str, dict[str, str]]:
    """Write ``texts`` to ``[datasheet]`` in ``answerkey.toml`` (:func:`plan_datasheet_text`, then
    :func:`apply_datasheet_text`); returns ``{field: {"old", "new"}}`` of the fields that changed.

    ``record`` (an audit entry's transaction) runs between the two, after a last check that the file is as
    planned: a failed record leaves the file alone, so no edit lands without its entry. One edit at a time in
    this process, from reading the file to replacing it, so each entry's "old" text is true."""
    with _EDITS:
        edit = plan_datasheet_text(workspace, texts)
        if record is not None:
            _check_unchanged(edit)
            record(edit)
        apply_datasheet_text(workspace, edit)
    return edit.changes


def rewrite_datasheet_table(text: str, texts: Mapping[str, str], path: Path | str = CONFIG_FILE) -> str:
    """``text`` (a TOML document) with the ``texts`` fields of its ``[datasheet]`` table set ('' removes one).

    >>> print(rewrite_datasheet_table('[workspace]\\nname = "x"\\n', {"motivation": 'Why "we" label'}))
    [workspace]
    name = "x"
    <BLANKLINE>
    [datasheet]
    motivation = "Why \\"we\\" label"
    <BLANKLINE>
    """
    try:
        original = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{path}: not valid TOML: {exc}") from None
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if HEADER.match(line)), None)
    if start is None:
        block = [f"{name} = {_toml_string(value)}" for name, value in texts.items() if value]
        if not block:
            return text
        body = text if text.endswith("\n") or not text else text + "\n"
        rewritten = body + ("\n" if body else "") + "\n".join(["[datasheet]", *block]) + "\n"
    else:
        end = next((i for i in range(start + 1, len(lines)) if ANY_HEADER.match(lines[i])), len(lines))
        kept = _without_fields(lines[start + 1:end], set(texts), path)
        while kept and not kept[-1].strip():
            kept.pop()
        block = [f"{name} = {_toml_string(value)}" for name, value in texts.items() if value]
        tail = [""] if end < len(lines) else []
        rewritten = "\n".join([*lines[:start + 1], *kept, *block, *tail, *lines[end:]]) + "\n"
    try:
        parsed = tomllib.loads(rewritten)
    except tomllib.TOMLDecodeError:
        parsed = {}
    _check(original, parsed, texts, path)
    return rewritten


def _without_fields(lines: list[str], names: set[str], path: Path | str) -> list[str]:
    """The table's lines without the assignments of ``names`` (multi-line strings included)."""
    kept: list[str] = []
    skipping: str | None = None
    for line in lines:
        if skipping is not None:
            if skipping in line:
                skipping = None
            continue
        found = ASSIGNMENT.match(line)
        key = found.group(1).strip("\"'") if found else None
        if key in names:
            value = line.split("=", 1)[1]
            for quote in ('"""', "'''"):
                if value.count(quote) == 1:
                    skipping = quote
            continue
        kept.append(line)
    if skipping is not None:
        raise WorkspaceError(f"{path}: a multi-line string under [datasheet] never closes; fix the file by hand")
    return kept


def _check(before: dict[str, Any], after: dict[str, Any], texts: Mapping[str, str], path: Path | str) -> None:
    """The rewrite changed exactly the fields asked for, and nothing else."""
    expected = {**before, "datasheet": {k: v for k, v in {**before.get("datasheet", {}), **texts}.items()
                                        if not (k in texts and not texts[k])}}
    if not expected["datasheet"] and "datasheet" not in after:
        expected.pop("datasheet")
    if after != expected:
        raise WorkspaceError(f"{path}: [datasheet] is laid out in a way this edit cannot rewrite safely (dotted "
                             "keys or an inline table?); edit the file by hand")


def _normalised(name: str, value: str) -> str:
    text = "\n".join(line.rstrip() for line in str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise ParameterError.invalid(name, f"at most {MAX_TEXT:,} characters", f"{len(text):,} characters")
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in text):
        raise ParameterError.invalid(name, "text without control characters", text[:40])
    return text


def _toml_string(value: str) -> str:
    """A TOML basic string (JSON's escaping is TOML's, for text without control characters)."""
    return json.dumps(value, ensure_ascii=False)


def _replace_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it over ``path`` (keeping its permissions)."""
    mode = path.stat().st_mode & 0o777
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
