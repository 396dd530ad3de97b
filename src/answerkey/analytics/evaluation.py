"""Judging answers to golden questions: execute gold and answer read-only, compare, give one verdict each."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlglot.errors import SqlglotError

from answerkey.analytics.agents import Agent, AgentError
from answerkey.analytics.clock import freeze_clock
from answerkey.analytics.compare import CompareOptions, Comparison, ResultTable, compare_results, gold_is_ordered
from answerkey.analytics.concealment import UNJUDGED
from answerkey.analytics.context import ContextLayer, render_for_agent
from answerkey.analytics.diagnosis import sql_differences
from answerkey.analytics.gaps import ContextGap, answer_gaps, rank_gaps
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.golden_metrics import resolve_metric_golds
from answerkey.analytics.official import without_distinct
from answerkey.analytics.sql import has_top_level_order_by
from answerkey.analytics.suite import MUTANT_TIMEOUT_S, Suite, load_or_build
from answerkey.analytics.ties import tie_query, ties_of
from answerkey.analytics.translate import TranslationError, translate_gold
from answerkey.analytics.warehouse import ExecutionError, Warehouse
from answerkey.errors import ParameterError
from answerkey.excerpt import first_line

__all__ = ["VERDICTS", "EvalRun", "QuestionResult", "answer_sql_for", "ask", "evaluate", "gold_sql_for", "judge",
           "warehouse_instant"]

EXPECTED = "(expected result)"
"""Stands for the gold SQL of a question whose gold is a result."""
VERDICTS = ("pass", "result-mismatch", "answer-error", "gold-error", "timeout", "refused")


@dataclass(frozen=True)
class QuestionResult:
    """The verdict on one question, why, and partial credit."""

    id: str
    verdict: str
    reason: str
    sql: str | None = None
    gold_sql: str | None = None
    column_overlap: float = 0.0
    row_f1: float = 0.0
    first_difference: dict[str, Any] | None = None
    seconds: float = 0.0
    tags: list[str] = field(default_factory=list)
    differences: list[dict[str, Any]] = field(default_factory=list)
    """For a wrong answer with SQL: what its query does differently from the gold's (see ``diagnosis``)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class EvalRun:
    """Every question's result, and what the run was."""

    run_id: str
    results: list[QuestionResult]
    started_at: datetime
    seconds: float
    options: CompareOptions
    as_of: datetime | None = None
    """The instant ``CURRENT_DATE`` and ``now()`` meant in gold and answers (the frozen clock)."""
    suite: str | None = None
    """The key of the distilled test suite the answers were also judged on, if any."""

    def summary(self) -> dict[str, Any]:
        """Questions, accuracy, the count of each verdict, and the context gaps behind the failures."""
        counts = Counter(r.verdict for r in self.results)
        total = len(self.results)
        gaps = rank_gaps((r.id, [ContextGap(d["kind"].removeprefix("context:"), d["answer"][0], d["what"])
                                 for d in r.differences if d["kind"].startswith("context:")]) for r in self.results)
        by_tag: dict[str, list[bool]] = {}
        for result in self.results:
            for tag in result.tags:
                by_tag.setdefault(tag, []).append(result.verdict == "pass")
        return {"questions": total, "passed": counts["pass"], "accuracy": counts["pass"] / total if total else None,
                "verdicts": {v: counts[v] for v in VERDICTS if counts[v]}, "seconds": round(self.seconds, 3),
                "questions_per_second": round(total / self.seconds, 1) if self.seconds else None,
                "accuracy_by_tag": {tag: sum(v) / len(v) for tag, v in sorted(by_tag.items())},
                "context_gaps": gaps, "as_of": self.as_of.isoformat() if self.as_of else None,
                "test_suite": self.suite}

    def to_dict(self) -> dict[str, Any]:
        """What ``answerkey eval --json`` prints."""
        return {"run_id": self.run_id, "summary": self.summary(), "results": [r.to_dict() for r in self.results]}


def gold_sql_for(alternative: str, question: GoldenQuestion, warehouse: Warehouse, as_of: datetime | None = None,
                 options: CompareOptions | None = None) -> str:
    """A gold query as the warehouse runs it: translated from the question's dialect when the two differ, the
    clock frozen at ``as_of``, DISTINCT stripped when the options say so (Spider's official evaluator)."""
    sql = alternative
    if question.dialect and question.dialect != warehouse.dialect:
        sql = translate_gold(alternative, question.dialect, warehouse.dialect)
    return answer_sql_for(sql, warehouse, as_of, options)


def answer_sql_for(sql: str, warehouse: Warehouse, as_of: datetime | None, options: CompareOptions | None) -> str:
    """A query as it is executed: the clock frozen at ``as_of``, DISTINCT stripped when the options say so. Text
    that does not parse is returned as it is (executing it gives the parser's error)."""
    try:
        if as_of is not None:
            sql = freeze_clock(sql, warehouse.dialect, as_of)
        if options is not None and options.strip_distinct:
            sql = without_distinct(sql, warehouse.dialect)
    except (SqlglotError, RecursionError):
        return sql
    return sql


def _gold_results(question: GoldenQuestion, warehouse: Warehouse, as_of: datetime | None,
                  options: CompareOptions) -> tuple[list[tuple[str, ResultTable]], str]:
    """Each gold alternative that executes, with its result, and the first failure's reason."""
    if question.expected is not None:
        return [(EXPECTED, ResultTable.of(question.expected["columns"], question.expected["rows"]))], ""
    results, failure = [], ""
    for alternative in question.alternatives():
        try:
            results.append((alternative, warehouse.execute(gold_sql_for(alternative, question, warehouse, as_of,
                                                                        options))))
        except (ExecutionError, SqlglotError, RecursionError, TranslationError) as error:
            failure = failure or (error.reason if isinstance(error, ExecutionError) else first_line(error))
    return results, failure


def _compared(gold: ResultTable, got: ResultTable, gold_sql: str, options: CompareOptions, ordered: bool,
              warehouse: Warehouse) -> Comparison:
    """``compare_results``; when an ordered comparison fails, again with the rows the gold's ORDER BY leaves
    tied free to come back in any order (and any of them where its LIMIT cuts through a tie)."""
    comparison = compare_results(gold, got, options, gold_ordered=ordered)
    if comparison.passed or not ordered or gold_sql == EXPECTED or options.equality == "python":
        return comparison  # the published evaluators' own semantics (equality "python") have no tie tolerance
    keyed = tie_query(gold_sql, warehouse.dialect)
    if keyed is None:
        return comparison
    try:
        ties = ties_of(warehouse.execute(keyed[0]), keyed[1], keyed[2], gold)
    except ExecutionError:
        return comparison
    if ties is None:
        return comparison
    tied = compare_results(gold, got, options, gold_ordered=True, ties=ties)
    return tied if tied.passed else comparison



def _tags(question: GoldenQuestion) -> list[str]:
    """A result's tags: the question's own and ``metric:NAME`` for each metric it depends on."""
    return [*question.tags, *(f"metric:{m}" for m in question.metrics)]


def _declined(answer: Mapping[str, Any]) -> bool:
    return bool(answer.get("refused")) or (not answer.get("sql") and answer.get("result") is None)


def judge(question: GoldenQuestion, answer: Mapping[str, Any] | None, warehouse: Warehouse,
          options: CompareOptions, suite: Suite | None = None, as_of: datetime | None = None) -> QuestionResult:
    """One question's verdict: pass, result-mismatch, answer-error, gold-error, timeout or refused. With a
    ``suite``, an answer that matches the gold on the real data must match it on the suite's databases too;
    ``as_of`` freezes ``CURRENT_DATE`` and ``now()`` in gold and answer alike."""
    started = time.monotonic()
    question_options = question.compare_options(options)

    def result(verdict: str, reason: str, comparison: Comparison | None = None,
               gold: str | None = None) -> QuestionResult:
        sql = answer.get("sql") if answer else None
        differences = []
        if verdict == "result-mismatch" and sql and gold and gold != EXPECTED:
            try:
                found = sql_differences(gold_sql_for(gold, question, warehouse, as_of, question_options), str(sql),
                                        warehouse.dialect)
                differences = [d.to_dict() for d in found]
            except (SqlglotError, RecursionError, ValueError, TypeError):
                differences = []  # the diagnosis is an aid; an answer it cannot read keeps its verdict
        return QuestionResult(question.id, verdict, reason, sql, gold,
                              comparison.column_overlap if comparison else 0.0,
                              comparison.row_f1 if comparison else 0.0,
                              comparison.first_difference if comparison else None,
                              round(time.monotonic() - started, 4),
                              _tags(question), differences)

    if answer is None:
        return result("answer-error", "no answer for this question")
    if "agent_error" in answer:
        return result("timeout" if answer["agent_error"] == "timeout" else "answer-error", str(answer["reason"]))
    if question.unanswerable:
        if _declined(answer):
            return result("pass", "the question cannot be answered from the data, and the answer declined")
        return result("result-mismatch", "the question cannot be answered from the data; the answer should decline")
    if _declined(answer):
        return result("result-mismatch", "the answer declined a question that has an answer")
    golds, gold_failure = _gold_results(question, warehouse, as_of, question_options)
    if not golds:
        return result("gold-error", f"no gold query gave a result: {gold_failure}")
    answer_sql = None
    if answer.get("result") is not None and not answer.get("sql") and suite is not None:
        return result("answer-error", "the test suite judges an answer's SQL on its databases; this answer gave "
                      "rows only, which cannot be checked there")
    if answer.get("result") is not None:
        given = answer["result"]
        got = ResultTable.of(given.get("columns", []), given.get("rows", []))
    else:
        answer_sql = answer_sql_for(str(answer["sql"]), warehouse, as_of, question_options)
        try:
            got = warehouse.execute(answer_sql)
        except ExecutionError as failure:
            verdict = {"refused": "refused", "timeout": "timeout"}.get(failure.kind, "answer-error")
            return result(verdict, failure.reason)
    matching, best = _against_golds(golds, got, question, warehouse, as_of, question_options)
    if matching and suite is not None and answer_sql is not None and matching[0][0] != EXPECTED:
        return result(*_on_suite(matching, question, answer_sql, suite, warehouse, as_of, question_options))
    if matching:
        return result("pass", matching[0][1].reason, matching[0][1], matching[0][0])
    assert best is not None
    return result("result-mismatch", best[0].reason, best[0], best[1])


_Matching = list[tuple[str, Comparison, bool]]
"""The gold alternatives an answer matches on the real data: each one's SQL, comparison and whether ordered."""


def _against_golds(golds: list[tuple[str, ResultTable]], got: ResultTable, question: GoldenQuestion,
                   warehouse: Warehouse, as_of: datetime | None,
                   options: CompareOptions) -> tuple[_Matching, tuple[Comparison, str] | None]:
    """The gold alternatives the answer's result matches, and the closest miss when it matches none."""
    best: tuple[Comparison, str] | None = None
    matching: _Matching = []
    for sql, gold in golds:
        ordered = sql != EXPECTED and gold_is_ordered(
            options, sql, has_top_level_order_by(sql, question.dialect or warehouse.dialect))
        executed = sql if sql == EXPECTED else gold_sql_for(sql, question, warehouse, as_of, options)
        comparison = _compared(gold, got, executed, options, ordered, warehouse)
        if comparison.passed:
            matching.append((sql, comparison, ordered))
        elif best is None or (comparison.row_f1, comparison.column_overlap) > (best[0].row_f1,
                                                                               best[0].column_overlap):
            best = (comparison, sql)
    return matching, best


def _on_suite(matching: _Matching, question: GoldenQuestion, answer_sql: str, suite: Suite, warehouse: Warehouse,
              as_of: datetime | None, options: CompareOptions) -> tuple[str, str, Comparison, str]:
    """The verdict, reason, comparison and gold of an answer that matches on the real data, judged on the
    question's test suite too: it passes when some matching gold alternative holds on every suite database."""
    databases = suite.databases_for(question.id)
    first_sql, first = matching[0][0], matching[0][1]
    if not databases:
        return "pass", f"{first.reason} (the test suite adds no database for this question)", first, first_sql
    why = ""
    for sql, comparison, ordered in matching:
        executed = gold_sql_for(sql, question, warehouse, as_of, options)
        problem, judged = _suite_failure(executed, answer_sql, databases, warehouse, options, ordered)
        if problem is None:
            also = (f"also on the {judged} database(s) of the test suite" if judged else
                    f"the gold fails on all {len(databases)} database(s) of the test suite: judged on the real "
                    "data only")
            return "pass", f"{comparison.reason}, {also}", comparison, sql
        why = why or problem
    return "result-mismatch", why, first, first_sql


def _suite_failure(gold_sql: str, answer_sql: str, databases: Sequence[Any], warehouse: Warehouse,
                   options: CompareOptions, ordered: bool) -> tuple[str | None, int]:
    """Why the answer differs from the gold on a database of the question's test suite (or None), and on how
    many databases the gold could be judged (one it fails on says nothing about the answer)."""
    judged = 0
    for number, path in enumerate(databases, start=1):
        database = Warehouse(f"duckdb:///{path}", "duckdb", warehouse.timeout_s, limits=warehouse.limits)
        try:
            expected = database.execute(gold_sql)
        except ExecutionError:
            continue
        judged += 1
        where = f"test-suite database {number} of {len(databases)} ({Path(path).stem})"
        try:
            got = database.execute(answer_sql)
        except ExecutionError as failure:
            return f"fails on {where}: {failure.reason}", judged
        comparison = _compared(expected, got, gold_sql, options, ordered, database)
        if not comparison.passed:
            return f"differs from the gold on {where}: {comparison.reason}", judged
    return None, judged


def _judged(question: GoldenQuestion, answer: Mapping[str, Any] | None, warehouse: Warehouse,
            options: CompareOptions, suite: Suite | None, as_of: datetime | None,
            context: ContextLayer | str) -> QuestionResult:
    """``judge`` with the context gaps behind a wrong answer; whatever fails while judging one answer is that
    question's ``answer-error`` (with the reason), never the run's failure."""
    started = time.monotonic()
    try:
        outcome = judge(question, answer, warehouse, options, suite, as_of)
    except Exception as error:  # a parser, the diagnosis or the comparison failing on one hostile answer
        sql = answer.get("sql") if isinstance(answer, Mapping) else None
        return QuestionResult(question.id, "answer-error",
                              f"{UNJUDGED}: {type(error).__name__}: {first_line(error)}",
                              str(sql) if sql is not None else None, seconds=round(time.monotonic() - started, 4),
                              tags=_tags(question))
    if isinstance(context, ContextLayer) and outcome.verdict == "result-mismatch" and outcome.sql:
        try:
            used = outcome.gold_sql
            gold = (gold_sql_for(used, question, warehouse, as_of, question.compare_options(options))
                    if used is not None and used != EXPECTED
                    else None)
            gaps = answer_gaps(outcome.sql, gold, context, warehouse.dialect, question.metrics)
        except (SqlglotError, RecursionError, ValueError, TypeError):
            gaps = []  # the context diagnosis is an aid: the verdict stands without it
        outcome = replace(outcome, differences=[*outcome.differences, *(
            {"kind": f"context:{g.kind}", "what": g.fix, "gold": [], "answer": [g.subject]} for g in gaps)])
    return outcome


def ask(agent: Agent, question: GoldenQuestion, context: ContextLayer | str, timeout_s: float) -> dict[str, Any]:
    """The agent's answer to one question, or its failure as ``{"agent_error", "reason"}``; a context layer is
    rendered for the question (with the guides its words name)."""
    rendered = render_for_agent(context, question.question) if isinstance(context, ContextLayer) else context
    request = {"id": question.id, "question": question.question, "context": rendered,
               "instructions": question.instructions}
    try:
        return agent.answer(request, timeout_s)
    except AgentError as failure:
        return {"agent_error": failure.kind, "reason": failure.reason}


def evaluate(
    questions: Sequence[GoldenQuestion], answers: Mapping[str, Mapping[str, Any]] | None, warehouse: Warehouse,
    options: CompareOptions | None = None, *, agent: Agent | None = None, context: ContextLayer | str = "",
    agent_timeout_s: float = 60.0, concurrency: int = 4, on_progress: Callable[[int, int], None] | None = None,
    test_suite: bool = False, budget_s: float | None = None, as_of: datetime | None = None,
    suites: Path | None = None, on_suite_progress: Callable[[int, int], None] | None = None,
) -> EvalRun:
    """Judge every question (in parallel, at most ``concurrency`` at once); results in question order.

    The answers are given, or asked of ``agent`` (with ``context``, the rendered context layer) one question
    at a time; an agent that fails on a question fails that question only. Once ``budget_s`` seconds are spent,
    the questions not yet started are ``timeout`` (a push of slow answers cannot hold a server for long).
    ``CURRENT_DATE`` and ``now()`` mean ``as_of`` in gold and answers (default: :func:`warehouse_instant`).
    ``test_suite`` also judges each answer on its question's distilled test suite (:mod:`.suite`), read from
    or built into the folder ``suites`` (a temporary folder when None). A question whose gold is an
    ``expected_metric`` is judged against that metric query compiled from ``context``.
    """
    if (answers is None) == (agent is None):
        raise ParameterError("give either answers or an agent")
    if test_suite and warehouse.dialect != "duckdb":
        raise ParameterError("test-suite mode needs a DuckDB warehouse (its suite databases are DuckDB files "
                             "fuzzed from the warehouse file)")
    options = options or CompareOptions()
    questions = resolve_metric_golds(questions, context if isinstance(context, ContextLayer) else None,
                                     warehouse.dialect)
    as_of = as_of or warehouse_instant(warehouse)
    suite = (load_or_build(questions, warehouse.duckdb_file(), warehouse.fingerprint, suites, as_of, options,
                           limits=warehouse.limits, timeout_s=min(MUTANT_TIMEOUT_S, warehouse.timeout_s),
                           on_progress=on_suite_progress) if test_suite else None)
    started_at, started = datetime.now(UTC), time.monotonic()
    done = 0

    def one(question: GoldenQuestion) -> QuestionResult:
        nonlocal done
        if budget_s is not None and time.monotonic() - started > budget_s:
            done += 1
            return QuestionResult(question.id, "timeout", f"not judged: the run's execution budget of "
                                  f"{budget_s:g} s was spent", tags=_tags(question))
        if agent is not None:
            answer: Mapping[str, Any] | None = ask(agent, question, context, agent_timeout_s)
        else:
            answer = answers.get(question.id) if answers is not None else None
        outcome = _judged(question, answer, warehouse, options, suite, as_of, context)
        done += 1
        if on_progress:
            on_progress(done, len(questions))
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(one, questions))
    digest = hashlib.sha256(json.dumps([started_at.isoformat(), [r.to_dict() for r in results]], sort_keys=True,
                                       default=str).encode())  # two equal runs in one second get two ids
    run_id = f"{started_at:%Y%m%dT%H%M%S}-{digest.hexdigest()[:8]}"
    return EvalRun(run_id, results, started_at, time.monotonic() - started, options, as_of,
                   suite.key if suite is not None else None)


def warehouse_instant(warehouse: Warehouse) -> datetime:
    """The default frozen clock: when a DuckDB warehouse file was last written (its load), else now; naive UTC,
    to the second."""
    if warehouse.dialect == "duckdb":
        written = Path(warehouse.duckdb_file()).stat().st_mtime
        return datetime.fromtimestamp(int(written), UTC).replace(tzinfo=None)
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
