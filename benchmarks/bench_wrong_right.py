"""Held-out wrong/right answers for the 40 defog instruct_basic questions: does the evaluator fail the wrong
answers and pass the right ones?

``benchmarks/data/instruct_basic_pairs.yaml`` holds, per question, a plausible wrong answer (the mistakes an
analytics agent makes: a strict date boundary, COUNT for COUNT DISTINCT, a wrong join key, an extra filter...)
and a differently written right answer, both in PostgreSQL like the gold; they were written by hand, blind to
how the evaluator detects wrong answers. Many wrong answers return the gold's rows on the real data
(``wrong_matches_gold_on_real_data``), so only a judge that looks beyond one execution can fail them.

Each mode judges every wrong answer and every right answer (translated to DuckDB with sqlglot, as an agent
would write them for the warehouse) against the gold, one evaluation per database, and the table counts the
wrong answers judged pass (missed mistakes) and the right answers judged anything but pass (false alarms);
each is then listed with its kind and the verdict's reason.

    python benchmarks/bench_wrong_right.py [--modes default "default --test-suite"] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import csv
import logging
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import sqlglot
import yaml

from answerkey.analytics.compare import PRESETS
from answerkey.analytics.evaluation import QuestionResult, evaluate
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.loading import load_postgres_dump
from answerkey.analytics.warehouse import Warehouse, open_warehouse

ROOT = Path(__file__).resolve().parent.parent
DEFOG = ROOT / "tests" / "data" / "defog"
QUESTIONS = DEFOG / "questions" / "instruct_basic_postgres.csv"
PAIRS = Path(__file__).resolve().parent / "data" / "instruct_basic_pairs.yaml"

MODES: list[tuple[str, str, bool]] = [
    ("default", "default", False),
    ("spider", "spider", False),
    ("spider-official", "spider-official", False),
    ("bird", "bird", False),
    ("default --test-suite", "default", True),
]
"""(name, comparison preset, test-suite mode); add a row to add a mode."""


def load_questions() -> dict[str, tuple[str, GoldenQuestion]]:
    """Question id -> (database, question), ids ``{db_name}-{row number from 1}``."""
    questions = {}
    with QUESTIONS.open(encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            qid = f"{row['db_name']}-{number}"
            questions[qid] = (row["db_name"], GoldenQuestion(
                id=qid, question=row["question"], gold_sql=row["query"], dialect="postgres",
                tags=[row["query_category"]]))
    return questions


def to_duckdb(sql: str) -> str:
    """A PostgreSQL answer as the agent would run it on the DuckDB warehouse."""
    return sqlglot.transpile(sql, read="postgres", write="duckdb")[0]


def judge(by_database: dict[str, list[GoldenQuestion]], answers: dict[str, dict[str, str]],
          warehouses: dict[str, Warehouse], preset: str, test_suite: bool,
          concurrency: int) -> dict[str, QuestionResult]:
    """Question id -> result, one evaluation per database."""
    results = {}
    for name, questions in by_database.items():
        run = evaluate(questions, answers, warehouses[name], PRESETS[preset], concurrency=concurrency,
                       test_suite=test_suite)
        results.update((result.id, result) for result in run.results)
    return results


def short(text: str, width: int = 110) -> str:
    """One line of at most ``width`` characters, safe in a Markdown table cell."""
    line = " ".join(text.split()).replace("|", "\\|")
    return line if len(line) <= width else line[: width - 1] + "…"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", nargs="+", choices=[name for name, _, _ in MODES], metavar="MODE",
                        help=f"modes to run (default: all of {', '.join(repr(name) for name, _, _ in MODES)})")
    parser.add_argument("--pairs", type=Path, default=PAIRS, help="the YAML of wrong/right pairs")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    modes = [mode for mode in MODES if args.modes is None or mode[0] in args.modes]

    pairs: list[dict[str, Any]] = yaml.safe_load(args.pairs.read_text(encoding="utf-8"))["pairs"]
    questions = load_questions()
    unknown = [pair["id"] for pair in pairs if pair["id"] not in questions]
    if unknown:
        parser.error(f"pairs for unknown question ids: {', '.join(unknown)}")
    by_database: dict[str, list[GoldenQuestion]] = defaultdict(list)
    for pair in pairs:
        database, question = questions[pair["id"]]
        by_database[database].append(question)
    wrong = {pair["id"]: {"sql": to_duckdb(pair["wrong"])} for pair in pairs}
    right = {pair["id"]: {"sql": to_duckdb(pair["right"])} for pair in pairs}
    kinds = {pair["id"]: pair["wrong_kind"] for pair in pairs}
    matching = sum(bool(pair.get("wrong_matches_gold_on_real_data")) for pair in pairs)
    total = len(pairs)

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        warehouses = {name: open_warehouse(str(load_postgres_dump(DEFOG / "databases" / f"{name}.sql",
                                                                  Path(folder) / f"{name}.duckdb")))
                      for name in sorted(by_database)}
        print(f"{total} pairs over {len(warehouses)} databases ({', '.join(warehouses)}), loaded in "
              f"{time.perf_counter() - started:.1f} s; {matching} of {total} wrong answers return the gold's "
              f"rows on the real data\n")
        rows, details = [], []
        for name, preset, test_suite in modes:
            started = time.perf_counter()
            judged_wrong = judge(by_database, wrong, warehouses, preset, test_suite, args.concurrency)
            judged_right = judge(by_database, right, warehouses, preset, test_suite, args.concurrency)
            seconds = time.perf_counter() - started
            missed = [r for r in judged_wrong.values() if r.verdict == "pass"]
            alarms = [r for r in judged_right.values() if r.verdict != "pass"]
            rows.append(f"| {name} | {len(missed)} of {total} | {len(alarms)} of {total} | {seconds:.1f} s |")
            details.append(f"\n### {name}\n")
            details.extend(f"- wrong judged pass: {r.id} ({kinds[r.id]}): {short(r.reason)}" for r in missed)
            details.extend(f"- right judged {r.verdict}: {r.id}: {short(r.reason)}" for r in alarms)
            if not missed and not alarms:
                details.append("- every wrong answer failed and every right answer passed")
        for warehouse in warehouses.values():
            warehouse.close_all()
    print("| mode | wrong answers judged pass | right answers judged fail | seconds |")
    print("| --- | --- | --- | --- |")
    print("\n".join(rows))
    print("\n".join(details))


if __name__ == "__main__":
    main()
