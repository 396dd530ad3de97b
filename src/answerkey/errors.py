"""One exception hierarchy for answerkey: each error says what is wrong and what to do.

Every subclass is also the natural built-in (``ValueError``, ``FileNotFoundError``...) so callers
that do not know answerkey can still catch it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AnswerkeyError",
    "ConflictError",
    "ImportValidationError",
    "MetricQueryError",
    "NotFoundError",
    "ParameterError",
    "RowProblem",
    "SchemaError",
    "StoreError",
    "WorkspaceError",
]


class AnswerkeyError(Exception):
    """Base of every error answerkey raises on purpose; the CLI shows its message in one line."""


class ParameterError(AnswerkeyError, ValueError):
    """A function or command got an argument outside what it accepts."""

    @classmethod
    def invalid(cls, name: str, expected: str, got: object) -> ParameterError:
        """The one message form for a bad parameter: name, what it must be, what it got."""
        return cls(f"{name} must be {expected}; got {got!r}")


class WorkspaceError(AnswerkeyError, FileNotFoundError):
    """No workspace where one was expected, or a workspace whose files are broken."""


class SchemaError(AnswerkeyError, ValueError):
    """A labeling schema that cannot be loaded, or a schema change the store refuses."""


class StoreError(AnswerkeyError, RuntimeError):
    """The store refused an operation (append-only violation, unknown release, version conflict)."""


class ConflictError(StoreError):
    """What a write was based on changed before it landed (another reviewer decided first); read again and redo."""


class MetricQueryError(AnswerkeyError, ValueError):
    """A metric query that cannot be compiled: it names the metric, the dimension and the join path missing."""


class NotFoundError(AnswerkeyError, LookupError):
    """A named thing (release, schema version, item) does not exist."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One bad cell of an input file: where it is, what was found and what was expected."""

    file: str
    row: int | None
    column: str | None
    found: str
    expected: str

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.row, self.column) if part is not None)
        return f"{where}: found {self.found}, expected {self.expected}"


class ImportValidationError(AnswerkeyError, ValueError):
    """An import refused because of bad rows; nothing was written.

    ``problems`` holds the first problems found (file, row as the file's line number, column).
    """

    def __init__(
        self, problems: Sequence[RowProblem], total: int | None = None, consequence: str = "nothing was imported"
    ) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.row if p.row is not None else -1))
        self.total = total if total is not None else len(self.problems)
        lines = [str(problem) for problem in self.problems[:SHOWN_PROBLEMS]] or ["import refused"]
        if self.total > 1:
            lines.append(f"{self.total} problems in all; {consequence}")
        else:
            lines[0] += f" ({consequence})"
        super().__init__("\n  ".join(lines))


SHOWN_PROBLEMS = 10
"""How many problems an import error message lists (all are counted)."""
