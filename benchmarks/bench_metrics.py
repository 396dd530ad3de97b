"""Metric queries: answerkey's ``metrics query`` against MetricFlow's ``mf query``, side by side in the same run.

The dbt project under tests/data/metricflow_shop (20 customers, 200 orders, 400 visits) is seeded, built and parsed
with dbt in MetricFlow's venv (.venv-metricflow; not timed); its ``semantic_manifest.json`` is imported with
``import_dbt``. Then, on the 48 queries of tests/analytics/test_metricflow_parity.py (every metric type):

- in process, each query ``ROUNDS`` times on each side: answerkey's compile (``compile_metric_query``) and
  execute (``query_metrics``: compile, then the sandboxed DuckDB run, result cache off), MetricFlow's compile
  (``MetricFlowEngine.explain``, SQL rendered) and query (``MetricFlowEngine.query``, the peer script's
  ``seconds``: compile and execute). The first round is reported as "cold", the best of the rounds as "best";
  both sides keep their own caches between rounds (MetricFlow its dataflow-plan cache, answerkey its SQL
  checks), as a long-lived process would;
- whole process, for five representative queries: wall time of ``answerkey metrics query ... --json`` against
  ``mf query ... --csv``, best of ``ROUNDS``, alternated, and the row counts of both.

Each side's row counts are checked against the other's. Ratios are MetricFlow / answerkey (above 1: answerkey is
faster).

    python benchmarks/bench_metrics.py
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 3

# MetricFlow's compile time: the same configuration as tests/peers/metricflow_peer.py, ``explain`` instead of
# ``query`` (the dataflow plan and the rendered SQL, nothing executed).
EXPLAIN = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from dbt_metricflow.cli.cli_configuration import CLIConfiguration
from metricflow.engine.metricflow_engine import MetricFlowQueryRequest
imported = time.perf_counter()
configuration = CLIConfiguration()
configuration.setup(dbt_profiles_path=Path(sys.argv[1]), dbt_project_path=Path(sys.argv[1]),
                    configure_file_logging=False)
ready = time.perf_counter()
seconds = []
for query in json.loads(Path(sys.argv[2]).read_text()):
    request = MetricFlowQueryRequest.create(metric_names=query["metrics"], group_by_names=query["group_by"],
                                            where_constraints=query.get("where") or None)
    begun = time.perf_counter()
    configuration.mf.explain(request).sql_statement.sql
    seconds.append(time.perf_counter() - begun)
print(json.dumps({"imports": imported - started, "setup": ready - imported, "seconds": seconds}))
"""

# (metrics, group_by, where) of QUERIES: a simple metric by month, a joined dimension, a cumulative metric by
# month, a conversion by month, a derived offset.
CLI_QUERIES: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    ("simple by month", "revenue,orders", ("metric_time__month",), ()),
    ("joined dimension", "revenue", ("customer__region",), ()),
    ("cumulative by month", "revenue_7d", ("metric_time__month",), ()),
    ("conversion by month", "visit_to_order_rate", ("metric_time__month",), ()),
    ("derived offset", "revenue_wow_growth", ("metric_time__month",), ()),
]


def parity_module() -> ModuleType:
    """tests/analytics/test_metricflow_parity.py (tests/ is not a package)."""
    path = ROOT / "tests" / "analytics" / "test_metricflow_parity.py"
    spec = importlib.util.spec_from_file_location("test_metricflow_parity", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mf_env(project: Path) -> dict[str, str]:
    return {**os.environ, "DBT_PROFILES_DIR": str(project), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def run_answerkey(context_folder: Path, warehouse_path: Path,
                  queries: list[tuple[str, tuple[str, ...], tuple[str, ...]]]) -> dict[str, Any]:
    from answerkey.analytics.context import load_context
    from answerkey.analytics.metric_compile import MetricQuery, compile_metric_query
    from answerkey.analytics.metric_query import query_metrics
    from answerkey.analytics.warehouse import open_warehouse

    loads = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        context = load_context(context_folder)
        loads.append(time.perf_counter() - started)
    warehouse = open_warehouse(str(warehouse_path))
    warehouse.cache_size = 0  # every round runs the SQL again
    compile_s: list[list[float]] = [[] for _ in queries]
    execute_s: list[list[float]] = [[] for _ in queries]
    rows: list[int] = [0] * len(queries)
    try:
        for _ in range(ROUNDS):
            for i, (metrics, group_by, where) in enumerate(queries):
                query = MetricQuery(tuple(metrics.split(",")), group_by, where)
                started = time.perf_counter()
                compile_metric_query(context, query, warehouse.dialect)
                compile_s[i].append(time.perf_counter() - started)
                started = time.perf_counter()
                result = query_metrics(context, query, warehouse)
                execute_s[i].append(time.perf_counter() - started)
                rows[i] = len(result.rows)
    finally:
        warehouse.close_all()
    return {"load_context": loads, "compile": compile_s, "execute": execute_s, "rows": rows}


def run_metricflow(parity: ModuleType, project: Path,
                   queries: list[tuple[str, tuple[str, ...], tuple[str, ...]]]) -> dict[str, Any]:
    requests = [{"metrics": m.split(","), "group_by": list(g), "where": list(w)} for m, g, w in queries] * ROUNDS
    started = time.perf_counter()
    answers = parity.metricflow_answers(project, requests)
    wall = time.perf_counter() - started
    errors = [a["error"] for a in answers if "error" in a]
    assert not errors, errors[0]
    n = len(queries)
    query_s = [[answers[r * n + i]["seconds"] for r in range(ROUNDS)] for i in range(n)]
    rows = [len(answers[i]["rows"]) for i in range(n)]
    path = project / "explain.json"
    path.write_text(json.dumps(requests))
    done = subprocess.run([str(parity.metricflow_bin() / "python"), "-c", EXPLAIN, str(project), str(path)],
                          cwd=project, env=mf_env(project), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    explained = json.loads(done.stdout.strip().splitlines()[-1])
    compile_s = [[explained["seconds"][r * n + i] for r in range(ROUNDS)] for i in range(n)]
    return {"wall": wall, "query": query_s, "compile": compile_s, "rows": rows,
            "imports": explained["imports"], "setup": explained["setup"]}


def run_clis(parity: ModuleType, project: Path, context_folder: Path, workdir: Path) -> list[dict[str, Any]]:
    answerkey = ROOT / ".venv" / "bin" / "answerkey"
    if not answerkey.exists():
        answerkey = Path(sys.executable).parent / "answerkey"
    mf = parity.metricflow_bin() / "mf"
    results = []
    for label, metrics, group_by, where in CLI_QUERIES:
        ours_cmd = [str(answerkey), "metrics", "query", "--metrics", metrics, "--warehouse",
                    str(project / "warehouse.duckdb"), "--context", str(context_folder), "--json"]
        csv = workdir / "mf.csv"
        theirs_cmd = [str(mf), "query", "--metrics", metrics, "--quiet", "--csv", str(csv)]
        if group_by:
            ours_cmd += ["--group-by", ",".join(group_by)]
            theirs_cmd += ["--group-by", ",".join(group_by)]
        for w in where:
            ours_cmd += ["--where", w]
            theirs_cmd += ["--where", w]
        ours_s, theirs_s = [], []
        ours_rows = theirs_rows = -1
        for _ in range(ROUNDS):
            started = time.perf_counter()
            done = subprocess.run(ours_cmd, cwd=workdir, capture_output=True, text=True, timeout=300)
            ours_s.append(time.perf_counter() - started)
            assert done.returncode == 0, done.stdout + done.stderr
            ours_rows = len(json.loads(done.stdout)["rows"])
            csv.unlink(missing_ok=True)
            started = time.perf_counter()
            done = subprocess.run(theirs_cmd, cwd=project, env=mf_env(project), capture_output=True, text=True,
                                  timeout=300)
            theirs_s.append(time.perf_counter() - started)
            assert done.returncode == 0, done.stdout + done.stderr
            theirs_rows = len(csv.read_text().strip().splitlines()) - 1
        results.append({"label": label, "query": f"{metrics} by {', '.join(group_by) or '(nothing)'}",
                        "answerkey": min(ours_s), "metricflow": min(theirs_s),
                        "rows": (ours_rows, theirs_rows)})
    return results


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def main() -> None:
    import duckdb

    parity = parity_module()
    queries = parity.QUERIES
    if not (parity.metricflow_bin() / "dbt").exists():
        sys.exit(f"MetricFlow's venv is not at {parity.metricflow_bin().parent} (make install builds it)")
    with tempfile.TemporaryDirectory(prefix="bench_metrics_") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        project = parity.build_project(folder / "shop")
        print(f"dbt seed, run and parse (not counted): {time.perf_counter() - started:.1f} s")
        from answerkey.analytics.dbt import import_dbt

        started = time.perf_counter()
        _, _, unmapped = import_dbt(project / "target" / "semantic_manifest.json", folder / "context")
        print(f"answerkey import_dbt: {ms(time.perf_counter() - started)}")
        assert unmapped == [], unmapped

        ours = run_answerkey(folder / "context", project / "warehouse.duckdb", queries)
        theirs = run_metricflow(parity, project, queries)
        differ = [(q, a, b) for q, a, b in zip(queries, ours["rows"], theirs["rows"], strict=True) if a != b]
        assert not differ, f"row counts differ: {differ}"
        clis = run_clis(parity, project, folder / "context", folder)

    n = len(queries)
    series = {
        "answerkey compile": ours["compile"], "answerkey execute (compile + run)": ours["execute"],
        "MetricFlow compile (explain)": theirs["compile"], "MetricFlow query (compile + run)": theirs["query"]}
    print(f"\nIn process, {n} queries, {ROUNDS} rounds (duckdb {duckdb.__version__}):\n")
    print("| measure | cold total | best total | best median | best max |")
    print("| --- | --- | --- | --- | --- |")
    figures: dict[str, dict[str, float]] = {}
    for name, values in series.items():
        best = [min(v) for v in values]
        figures[name] = {"cold": sum(v[0] for v in values), "best": sum(best), "median": statistics.median(best)}
        print(f"| {name} | {ms(figures[name]['cold'])} | {ms(sum(best))} | {ms(statistics.median(best))} "
              f"| {ms(max(best))} |")
    print()
    for what, mine, peer in (("compile", "answerkey compile", "MetricFlow compile (explain)"),
                             ("compile + run", "answerkey execute (compile + run)",
                              "MetricFlow query (compile + run)")):
        a, b = figures[mine], figures[peer]
        print(f"ratio MetricFlow / answerkey, {what}: cold total {b['cold'] / a['cold']:.2f}x, best total "
              f"{b['best'] / a['best']:.2f}x, best median {b['median'] / a['median']:.2f}x")
    per_query = sorted(min(t) / min(o) for t, o in zip(theirs["query"], ours["execute"], strict=True))
    print(f"per query, compile + run, MetricFlow / answerkey (best): min {per_query[0]:.2f}x, median "
          f"{statistics.median(per_query):.2f}x, max {per_query[-1]:.2f}x")
    slowest = max(range(n), key=lambda i: min(ours["execute"][i]))
    print(f"answerkey's slowest query: {queries[slowest][0]} by {', '.join(queries[slowest][1])} "
          f"({ms(min(ours['execute'][slowest]))}; MetricFlow {ms(min(theirs['query'][slowest]))})")
    print(f"row counts agree on all {n} queries ({sum(ours['rows'])} rows in all)")

    queried = sum(sum(v) for v in theirs["query"])
    print("\nSetup, once per process:")
    print(f"answerkey load_context: {ms(min(ours['load_context']))} (best of {ROUNDS}; first "
          f"{ms(ours['load_context'][0])})")
    print(f"MetricFlow imports: {ms(theirs['imports'])}, CLIConfiguration.setup: {ms(theirs['setup'])}")
    print(f"MetricFlow peer process: {theirs['wall']:.2f} s wall, of which {queried:.2f} s in queries "
          f"({theirs['wall'] - queried:.2f} s start, imports, setup, output)")

    print(f"\nWhole process (CLI wall time, best of {ROUNDS}):\n")
    print("| query | answerkey metrics query --json | mf query --csv | ratio | rows (answerkey / MetricFlow) |")
    print("| --- | --- | --- | --- | --- |")
    for row in clis:
        print(f"| {row['label']}: {row['query']} | {row['answerkey']:.2f} s | {row['metricflow']:.2f} s "
              f"| {row['metricflow'] / row['answerkey']:.2f}x | {row['rows'][0]} / {row['rows'][1]} |")
        assert row["rows"][0] == row["rows"][1], row
    total_ours = sum(r["answerkey"] for r in clis)
    total_theirs = sum(r["metricflow"] for r in clis)
    print(f"| total | {total_ours:.2f} s | {total_theirs:.2f} s | {total_theirs / total_ours:.2f}x | |")


if __name__ == "__main__":
    main()
