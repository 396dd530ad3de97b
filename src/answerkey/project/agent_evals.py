"""Analytics agents over HTTP: answers an agent pushes, judged as ``answerkey eval --answers`` judges them and
recorded like any run, and reviewers' feedback, each written in the caller's transaction (the web's audited write
path). Recorded runs are read back by :mod:`answerkey.project.eval_report`.

The workspace's configuration names no golden set or warehouse, so a request names them as paths inside the
workspace folder (the demo's ``golden.jsonl`` and ``warehouse.duckdb`` by default); a path that leads outside it
is refused, and the warehouse must be a DuckDB file (opened read-only, external access off).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection

from answerkey.analytics.compare import PRESETS
from answerkey.analytics.context import ContextLayer, load_context
from answerkey.analytics.evaluation import EvalRun, evaluate
from answerkey.analytics.feedback import FeedbackEntry, append_feedback
from answerkey.analytics.golden import load_golden
from answerkey.analytics.runs import file_sha256
from answerkey.analytics.sandbox import SandboxLimits
from answerkey.analytics.warehouse import open_warehouse
from answerkey.config import STORE_DIR
from answerkey.errors import AnswerkeyError, ImportValidationError, ParameterError, RowProblem
from answerkey.project.access import Principal
from answerkey.project.workspace import Workspace

__all__ = ["PushedRun", "evaluate_pushed_answers", "inside_workspace", "record_feedback", "sees_gold"]


GOLDEN_SUFFIXES = (".jsonl", ".json", ".yaml", ".yml")
"""What a golden set file may be called."""


def inside_workspace(workspace: Workspace, relative: str, what: str) -> Path:
    """``relative`` resolved against the workspace folder; a path that leads outside it (absolute, ``..``, a
    symbolic link out) or names no file is refused."""
    root = workspace.root.resolve()
    try:
        path = (root / relative).resolve()
        inside = not Path(relative).is_absolute() and path.is_relative_to(root) \
            and not path.is_relative_to(root / STORE_DIR)  # the store, the session secret, the production log
        found = inside and path.is_file()
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a name too long, a symbolic link loop
        raise ParameterError.invalid(what, "a file path relative to the workspace folder", relative) from None
    if not inside:
        raise ParameterError.invalid(what, "a path inside the workspace folder (relative to it)", relative)
    if not found:
        raise ParameterError.invalid(what, f"a file in the workspace folder ({root.name}/...)", relative)
    return path


def sees_gold(workspace: Workspace, who: Principal) -> bool:
    """Whether ``who`` may see the gold SQL and values of judged runs: reviewers and admins, or everybody when
    ``[eval] reveal`` is set. The role that pushes answers must not read the gold it is judged against."""
    return who.can("reviewer") or workspace.config.eval.reveal


@dataclass(frozen=True)
class PushedRun:
    """A judged run and what it is recorded with."""

    run: EvalRun
    golden_file: str
    golden_hash: str
    warehouse: str


def evaluate_pushed_answers(
    workspace: Workspace, answers: Mapping[str, Mapping[str, Any]], *, golden: str = "golden.jsonl",
    warehouse: str = "warehouse.duckdb", preset: str = "default", timeout_s: float = 30.0, reveal: bool = True,
) -> PushedRun:
    """Judge ``answers`` (question id -> ``{sql}``, ``{result}`` or ``{refused}``) against the golden set, with
    the workspace's ``context/`` (if any) naming the context gaps behind wrong answers. Nothing is recorded.

    Without ``reveal`` (a caller who may not see the gold) a golden file that does not read cleanly is refused
    without quoting it, so the request cannot be used to read files of the workspace through error messages."""
    from answerkey.monitoring.engines import DUCKDB_SUFFIXES  # here: importing monitoring loads Ibis

    if preset not in PRESETS:
        raise ParameterError.invalid("preset", f"one of {', '.join(PRESETS)}", preset)
    golden_path = inside_workspace(workspace, golden, "golden")
    warehouse_path = inside_workspace(workspace, warehouse, "warehouse")
    if not warehouse_path.name.lower().endswith(DUCKDB_SUFFIXES):
        raise ParameterError.invalid("warehouse", f"a DuckDB file ({', '.join(DUCKDB_SUFFIXES)})", warehouse)
    if not golden_path.name.lower().endswith(GOLDEN_SUFFIXES):
        raise ParameterError.invalid("golden", f"a golden set file ({', '.join(GOLDEN_SUFFIXES)})", golden)
    try:
        questions = load_golden(golden_path)
    except AnswerkeyError:
        if reveal:
            raise
        raise ParameterError.invalid("golden", "a golden set that reads cleanly (a reviewer can run `answerkey "
                                     "golden check` to see why it does not)", golden) from None
    known = {q.id for q in questions}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ImportValidationError([RowProblem("answers", None, f"answers.{qid}", "an unknown question id",
                                                f"an id of the golden set {golden} ({len(known)} questions)")
                                     for qid in unknown[:20]], len(unknown), "nothing was judged")
    context_folder = workspace.root / "context"
    context: ContextLayer | str = load_context(context_folder) if context_folder.is_dir() else ""
    url = f"duckdb:///{warehouse_path}"
    settings = workspace.config.eval
    opened = open_warehouse(url, timeout_s, SandboxLimits.of(settings))
    try:
        run = evaluate(questions, answers, opened, PRESETS[preset], context=context, budget_s=settings.push_budget_s)
    finally:
        opened.close_all()
    return PushedRun(run, str(golden_path), file_sha256(golden_path), url)


def record_feedback(connection: Connection, rows: Sequence[Mapping[str, Any]], *, actor: str, on_behalf: bool,
                    origin: str = "request body") -> int:
    """Validate every row as a :class:`FeedbackEntry` and append the new ones in the caller's transaction (an
    entry logged before adds nothing); any bad row refuses them all. Returns how many were new.

    A row without ``reviewer`` is ``actor``'s; a row of another reviewer is refused unless ``on_behalf``.
    """
    entries, problems = [], []
    for position, row in enumerate(rows):
        reviewer = row.get("reviewer") or actor
        if reviewer != actor and not on_behalf:
            problems.append(RowProblem(origin, position, "reviewer", repr(reviewer),
                                       f"your own name {actor!r} (logging for others needs the reviewer role)"))
            continue
        try:
            entries.append(FeedbackEntry.model_validate({**row, "reviewer": reviewer}))
        except ValidationError as error:
            for issue in error.errors():
                field = ".".join(str(p) for p in issue["loc"]) or None
                problems.append(RowProblem(origin, position, field, repr(issue.get("input"))[:80], issue["msg"]))
    if problems:
        raise ImportValidationError(problems[:20], len(problems), "no feedback was logged")
    return append_feedback(connection, entries)
