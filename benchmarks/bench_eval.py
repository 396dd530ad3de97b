"""The 210 defog questions (real databases, verified gold SQL) judged with their own gold as the answer:
wall time and questions per second, cold (every query executed), warm (results cached) and in test-suite mode
(every question also judged on five perturbed copies of its database).

What the sandbox costs: the cold run is also timed with every query executed in this process on one shared
read-only connection (what answerkey did before the sandbox, and what an unsandboxed harness does), and the
ratio is printed. The sandbox runs each query in a worker process, on a connection of its own.

    python benchmarks/bench_eval.py [--concurrency 4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

from answerkey.analytics.compare import ResultTable
from answerkey.analytics.evaluation import evaluate
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.loading import load_postgres_dump
from answerkey.analytics.sandbox import pool
from answerkey.analytics.translate import translate_gold
from answerkey.analytics.warehouse import ExecutionError, Warehouse, open_warehouse
from defog import DEFOG, defog_questions  # beside this script


class InProcessWarehouse(Warehouse):
    """The floor without the sandbox: queries run in this process on one shared read-only DuckDB connection."""

    def _run_duckdb(self, sql: str) -> ResultTable:
        import duckdb

        if not hasattr(self, "_shared"):
            self._shared = duckdb.connect(self._duckdb_path(), read_only=True,
                                          config={"enable_external_access": False})
        cursor = self._shared.cursor()
        try:
            result = cursor.execute(sql)
            return ResultTable([d[0] for d in result.description or []], result.fetchall())
        except duckdb.Error as error:
            raise ExecutionError("error", str(error).splitlines()[0]) from None
        finally:
            cursor.close()


def _cold(by_database: dict[str, list[GoldenQuestion]], answers: dict[str, dict[str, str]],
          paths: dict[str, Path], concurrency: int, sandboxed: bool) -> tuple[float, int]:
    """Seconds for one cold run over every database, and the questions passed."""
    started, passed = time.perf_counter(), 0
    for name, questions in by_database.items():
        warehouse = (open_warehouse(str(paths[name])) if sandboxed
                     else InProcessWarehouse(f"duckdb:///{paths[name]}", "duckdb"))
        run = evaluate(questions, answers, warehouse, concurrency=concurrency)
        passed += sum(r.verdict == "pass" for r in run.results)
    return time.perf_counter() - started, passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        databases = {dump.stem: load_postgres_dump(dump, Path(folder) / f"{dump.stem}.duckdb")
                     for dump in sorted((DEFOG / "databases").glob("*.sql"))}
        print(f"load 11 PostgreSQL dumps into DuckDB: {time.perf_counter() - started:.2f} s")
        by_database = defog_questions()
        warehouses = {name: open_warehouse(str(path)) for name, path in databases.items()}
        answers = {q.id: {"id": q.id, "sql": translate_gold(q.alternatives()[-1], "postgres", "duckdb")}
                   for questions in by_database.values() for q in questions}
        pool().close()  # the cold runs below start the sandbox's workers themselves
        sandboxed, floor = [], []
        for _ in range(args.repeat):  # alternated: this machine is noisy
            seconds, passed_sandboxed = _cold(by_database, answers, databases, args.concurrency, True)
            sandboxed.append(seconds)
            seconds, passed_floor = _cold(by_database, answers, databases, args.concurrency, False)
            floor.append(seconds)
        best, best_floor = min(sandboxed), min(floor)
        print(f"eval cold, sandboxed: {best:.2f} s ({210 / best:.0f} questions/s, {passed_sandboxed} pass); "
              f"in-process floor: {best_floor:.2f} s ({210 / best_floor:.0f} questions/s, {passed_floor} pass); "
              f"sandbox cost {best / best_floor:.2f}x (best of {args.repeat}, worker start included)")
        for label, test_suite in (("cold", False), ("warm", False), ("test-suite", True)):
            started = time.perf_counter()
            passed = total = 0
            for name, questions in by_database.items():
                run = evaluate(questions, answers, warehouses[name], concurrency=args.concurrency,
                               test_suite=test_suite)
                passed += sum(r.verdict == "pass" for r in run.results)
                total += len(run.results)
            seconds = time.perf_counter() - started
            print(f"eval {label}: {total} questions, {passed} pass, {seconds:.2f} s, {total / seconds:.0f} questions/s")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
