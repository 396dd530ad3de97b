"""The defog questions the benchmarks read (``tests/data/defog``, copied from shared/data): by database."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from answerkey.analytics.golden import GoldenQuestion

DEFOG = Path(__file__).resolve().parent.parent / "tests" / "data" / "defog"


def defog_questions() -> dict[str, list[GoldenQuestion]]:
    """The 210 questions_gen questions with their PostgreSQL gold, by database, numbered as in the file."""
    by_database: dict[str, list[GoldenQuestion]] = defaultdict(list)
    with (DEFOG / "questions" / "questions_gen_postgres.csv").open(encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            by_database[row["db_name"]].append(GoldenQuestion(
                id=f"{row['db_name']}-{number}", question=row["question"], gold_sql=row["query"],
                dialect="postgres"))
    return dict(by_database)
