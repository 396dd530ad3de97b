"""Engines for the monitoring tests: DuckDB in memory, and a local Spark session through Ibis (for real).

Spark needs Java; without it the Spark tests skip, except under CI=true, where a missing service is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """One local Spark session for the whole test run (2 cores, no UI, few shuffle partitions)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        message = "Spark needs Java and none is installed"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI=true: a missing service is a failure)")
        pytest.skip(message)
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("answerkey-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Any:
    """An Ibis connection: DuckDB in memory, or Ibis's PySpark backend on the shared local session."""
    import ibis

    if request.param == "duckdb":
        return ibis.duckdb.connect()
    return ibis.pyspark.connect(request.getfixturevalue("spark_session"))
