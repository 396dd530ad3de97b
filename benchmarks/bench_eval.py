"""The 210 defog questions (real databases, verified gold SQL) judged with their own gold as the answer:
wall time and questions per second, cold (every query executed), warm (results cached) and in test-suite mode
(every question also judged on five perturbed copies of its database).

    python benchmarks/bench_eval.py [--concurrency 4]
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
import tempfile
import time
from pathlib import Path

import sqlglot

from answerkey.analytics.evaluation import evaluate
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.loading import load_postgres_dump
from answerkey.analytics.warehouse import open_warehouse

DEFOG = Path(__file__).resolve().parent.parent / "tests" / "data" / "defog"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        databases = {dump.stem: load_postgres_dump(dump, Path(folder) / f"{dump.stem}.duckdb")
                     for dump in sorted((DEFOG / "databases").glob("*.sql"))}
        print(f"load 11 PostgreSQL dumps into DuckDB: {time.perf_counter() - started:.2f} s")
        by_database: dict[str, list[GoldenQuestion]] = {}
        with (DEFOG / "questions" / "questions_gen_postgres.csv").open(encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=1):
                by_database.setdefault(row["db_name"], []).append(GoldenQuestion(
                    id=f"{row['db_name']}-{number}", question=row["question"], gold_sql=row["query"],
                    dialect="postgres"))
        warehouses = {name: open_warehouse(str(path)) for name, path in databases.items()}
        answers = {q.id: {"id": q.id, "sql": sqlglot.transpile(q.alternatives()[-1], read="postgres",
                                                               write="duckdb")[0]}
                   for questions in by_database.values() for q in questions}
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
