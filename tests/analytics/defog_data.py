"""The defog databases and questions (Apache 2.0, tests/data/defog), for the analytics tests."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.loading import load_postgres_dump

DEFOG = Path(__file__).parent.parent / "data" / "defog"


def load_defog(folder: Path) -> dict[str, Path]:
    """Database name -> DuckDB file, loaded into ``folder``."""
    return {dump.stem: load_postgres_dump(dump, folder / f"{dump.stem}.duckdb")
            for dump in sorted((DEFOG / "databases").glob("*.sql"))}


def defog_questions() -> dict[str, list[GoldenQuestion]]:
    """The 210 questions with verified gold SQL (PostgreSQL), by database."""
    by_database: dict[str, list[GoldenQuestion]] = defaultdict(list)
    with (DEFOG / "questions" / "questions_gen_postgres.csv").open(encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            by_database[row["db_name"]].append(GoldenQuestion(
                id=f"{row['db_name']}-{number}", question=row["question"], gold_sql=row["query"],
                dialect="postgres", tags=[row["query_category"]]))
    return dict(by_database)
