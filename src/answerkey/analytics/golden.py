"""The golden question set: questions with their verified answers, read from JSONL or YAML."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from answerkey.analytics.compare import PRESETS, CompareOptions
from answerkey.analytics.sql import expand_alternatives, split_statements
from answerkey.errors import ImportValidationError, RowProblem
from answerkey.excerpt import excerpt
from answerkey.json_input import JsonNestingError, load_json
from answerkey.yaml_input import read_yaml

__all__ = ["ExpectedMetric", "GoldenQuestion", "load_golden", "read_answers"]


class ExpectedMetric(BaseModel):
    """A gold given as a metric query of the context layer: its rows, compiled at judging time, are the answer."""

    model_config = ConfigDict(extra="forbid")

    metrics: list[str] = Field(min_length=1)
    group_by: list[str] = Field(default_factory=list)
    where: list[str] = Field(default_factory=list)
    order_by: list[str] = Field(default_factory=list)
    limit: int | None = Field(default=None, ge=0)


class GoldenQuestion(BaseModel):
    """One question and what answering it correctly means.

    ``gold_sql`` holds one or more acceptable queries (a list, or one string with ``;`` between them), each
    may carry ``{a, b}`` column alternatives; or ``expected`` holds the result itself; or ``expected_metric``
    names a metric query of the context layer (compiled to the gold SQL when judged); or ``unanswerable`` says the
    right answer is a refusal.
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    gold_sql: list[str] = Field(default_factory=list)
    expected: dict[str, Any] | None = None
    """``{"columns": [...], "rows": [[...], ...]}``."""
    expected_metric: ExpectedMetric | None = None
    unanswerable: bool = False
    dialect: str | None = None
    """The dialect the gold SQL is written in, when it is not the warehouse's (translated with sqlglot)."""
    tags: list[str] = Field(default_factory=list)
    owner: str | None = None
    verified_at: date | None = None
    metrics: list[str] = Field(default_factory=list)
    tables: list[str] = Field(default_factory=list)
    instructions: str | None = None
    compare: dict[str, Any] = Field(default_factory=dict)
    """Comparison options for this question (``preset`` and any field of ``CompareOptions``)."""

    @field_validator("gold_sql", mode="before")
    @classmethod
    def _statements(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            return split_statements(value)
        return value

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _one_kind_of_answer(self) -> GoldenQuestion:
        kinds = sum([bool(self.gold_sql), self.expected is not None, self.expected_metric is not None,
                     self.unanswerable])
        if kinds != 1:
            raise ValueError("give exactly one of gold_sql, expected, expected_metric or unanswerable: true")
        if self.expected is not None and not {"columns", "rows"} <= set(self.expected):
            raise ValueError("expected needs columns and rows")
        self.compare_options(CompareOptions())  # validate now, not mid-run
        return self

    def alternatives(self) -> list[str]:
        """Every acceptable gold query, column alternatives expanded."""
        return [query for sql in self.gold_sql for query in expand_alternatives(sql)]

    def compare_options(self, default: CompareOptions) -> CompareOptions:
        """The run's options with this question's overrides."""
        overrides = dict(self.compare)
        preset = overrides.pop("preset", None)
        if preset is not None and preset not in PRESETS:
            raise ValueError(f"compare.preset must be one of {', '.join(PRESETS)}")
        base = PRESETS[preset] if preset else default
        return CompareOptions.model_validate({**base.model_dump(), **overrides}) if overrides else base


def _records(path: Path) -> Iterable[tuple[int, Any]]:
    """(line or entry number, record) of a JSONL file or a YAML list (or a YAML mapping with ``questions``).

    YAML goes through :func:`~answerkey.yaml_input.read_yaml` (no aliases, bounded size and nesting) and JSON
    lines through :func:`~answerkey.json_input.load_json` (bounded nesting).
    """
    if path.suffix.lower() in (".yaml", ".yml"):
        data = read_yaml(path)
        if isinstance(data, dict):
            data = data.get("questions")
        if not isinstance(data, list):
            raise ImportValidationError([RowProblem(str(path), None, None, type(data).__name__,
                                                    "a list of questions (or questions: [...])")],
                                        consequence="nothing was read")
        yield from enumerate(data, start=1)
        return
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ImportValidationError([RowProblem(str(path), None, None, f"bytes that are not UTF-8 ({error.reason})",
                                                "a UTF-8 text file")], consequence="nothing was read") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, load_json(line)
        except json.JSONDecodeError as error:
            yield number, _Invalid(f"invalid JSON: {error.msg}")
        except JsonNestingError as error:
            yield number, _Invalid(str(error))


class _Invalid:
    def __init__(self, why: str) -> None:
        self.why = why


def load_golden(path: str | Path) -> list[GoldenQuestion]:
    """Every question of a golden set; any bad entry fails the whole load, naming file, row and field."""
    path = Path(path)
    if not path.is_file():
        raise ImportValidationError([RowProblem(str(path), None, None, "no such file", "a golden set file")],
                                    consequence="nothing was read")
    questions, problems, seen = [], [], set()
    for row, record in _records(path):
        if isinstance(record, _Invalid):
            problems.append(RowProblem(str(path), row, None, record.why, "one JSON object a line"))
            continue
        try:
            question = GoldenQuestion.model_validate(record)
        except ValidationError as error:
            for issue in error.errors():
                column = ".".join(str(p) for p in issue["loc"]) or None
                problems.append(RowProblem(str(path), row, column, excerpt(issue.get("input")), issue["msg"]))
            continue
        if question.id in seen:
            problems.append(RowProblem(str(path), row, "id", excerpt(question.id), "an id not used before"))
        seen.add(question.id)
        questions.append(question)
    if problems:
        raise ImportValidationError(problems, consequence="nothing was read")
    return questions


def read_answers(path: str | Path) -> dict[str, dict[str, Any]]:
    """Answers produced elsewhere: JSONL of ``{"id", "sql"}`` or ``{"id", "result": {"columns", "rows"}}``."""
    path = Path(path)
    answers: dict[str, dict[str, Any]] = {}
    problems = []
    for row, record in _records(path):
        if isinstance(record, _Invalid):
            problems.append(RowProblem(str(path), row, None, record.why, "one JSON object a line"))
        elif not isinstance(record, dict) or "id" not in record:
            problems.append(RowProblem(str(path), row, "id", excerpt(record), "an object with an id"))
        elif not any(k in record for k in ("sql", "result", "refused")):
            problems.append(RowProblem(str(path), row, "sql", "nothing", "sql, result or refused"))
        else:
            answers[str(record["id"])] = record
    if problems:
        raise ImportValidationError(problems, consequence="nothing was judged")
    return answers
