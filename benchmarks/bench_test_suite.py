"""Mutation benchmark of the distilled test suites on the 210 defog questions (real databases, verified gold).

For every gold, the mutants (near-miss queries: an operator flipped, a literal one unit off, a predicate dropped,
a join or an aggregation swapped...) are the wrong answers; the benchmark counts how many of them each judge
tells from the gold:

- the real database alone (what a plain execution comparison catches);
- the old perturbations (the copies ``--test-suite`` judged on before: boundary rows, dropped rows, NULLs;
  ``benchmarks/perturbations.py``), on the mutants the real data cannot tell;
- the distilled suite.

Mutants no suite database kills are then run on 48 more random candidate databases: one of those killing it is a
gap of the suite; none killing it marks the mutant as likely equivalent to the gold (an INNER JOIN made LEFT along
a key that is never NULL cannot change any result). Then every gold and every accepted alternative is judged as
the answer with the suite (all must pass), timed with the suites cached, as ``eval --test-suite`` runs.

    python benchmarks/bench_test_suite.py [--skip-old] [--databases academic broker]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import logging
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from answerkey.analytics.clock import freeze_clock
from answerkey.analytics.compare import CompareOptions
from answerkey.analytics.evaluation import evaluate, judge, warehouse_instant
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.loading import load_postgres_dump
from answerkey.analytics.mutants import Mutant, mutants
from answerkey.analytics.sql import has_top_level_order_by
from answerkey.analytics.suite import Suite, load_or_build, tells_apart
from answerkey.analytics.suite_databases import Shape, typed_boundaries, write_candidate
from answerkey.analytics.suite_profile import Profile, read_profile
from answerkey.analytics.ties import tie_query
from answerkey.analytics.translate import translate_gold
from answerkey.analytics.warehouse import ExecutionError, Warehouse, open_warehouse
from defog import DEFOG, defog_questions
from perturbations import perturbed_databases  # the baseline, beside this script

PROBES = 48
"""Extra random databases a surviving mutant is run on, to tell gaps from likely equivalents."""


def _differs(database: Warehouse, gold: str, mutant: str) -> bool:
    """Whether ``mutant`` gives another result than ``gold`` on ``database`` (False when the gold cannot be
    judged there), by the suite's own rule: rows tied on the gold's ORDER BY keys may come back in any order."""
    try:
        expected = database.execute(gold)
    except ExecutionError:
        return False
    try:
        got = database.execute(mutant)
    except ExecutionError:
        return True
    ordered = has_top_level_order_by(gold)
    tied = tie_query(gold, "duckdb") if ordered else None
    keyed = None
    if tied is not None:
        try:
            keyed = (database.execute(tied[0]), tied[1], tied[2])
        except ExecutionError:
            keyed = None
    return tells_apart(expected, got, CompareOptions(), ordered, keyed)


def _old_kills(path: Path, gold: str, alive: list[Mutant], seed: int) -> int:
    """Mutants (alive on the real data) the old perturbed copies of the database tell from the gold."""
    if not alive:
        return 0
    killed: set[int] = set()
    with tempfile.TemporaryDirectory(prefix="bench-old-") as folder:
        for copy in perturbed_databases(path, [gold], "duckdb", folder, seed=seed):
            database = Warehouse(f"duckdb:///{copy.path}", "duckdb", 5.0)
            killed |= {i for i, m in enumerate(alive) if i not in killed and _differs(database, gold, m.sql)}
            database.close_all()
    return len(killed)


def _probe(path: Path, suite: Suite, golds: dict[str, str], folder: Path,
           listed: list[str]) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Survivors by kind: killed by one of ``PROBES`` more random databases (gaps); else killed only by one of
    ``PROBES // 2`` databases that break the keys (orphans, repeated keys: equivalent under the warehouse's keys);
    else killed by none (equivalent). Each is also listed, for ``--list``."""
    profile = read_profile(str(path), list(golds.values()))
    with duckdb.connect() as connection:
        typed = typed_boundaries(connection, profile)
    alive = [(q.id, s) for q in suite.questions.values() for s in q.survivors]
    folder = folder / f"probes-{path.stem}"
    folder.mkdir(parents=True, exist_ok=True)
    gaps, alive = _killed_by(profile, typed, alive, range(PROBES), suite, folder, "gap", listed)
    under_keys, alive = _killed_by(_keyless(profile), typed, alive, range(PROBES, PROBES + PROBES // 2), suite,
                                   folder, "equivalent under keys", listed)
    equivalent: Counter[str] = Counter()
    for question_id, survivor in alive:
        equivalent[survivor["kind"]] += 1
        listed.append(f"equivalent {question_id}: {survivor['kind']}: {survivor['description']}")
    return gaps, under_keys, equivalent


def _keyless(profile: Profile) -> Profile:
    """The profile without its keys: no column kept unique, referring columns drawn from the values of both sides
    (so some rows join, some are orphans, some keys repeat)."""
    loose = copy.deepcopy(profile)
    loose.links = [*profile.links, *((key.child, key.parent) for key in profile.keys)]
    loose.keys = []
    for table in loose.tables.values():
        table.columns = [dataclasses.replace(column, unique=False) for column in table.columns]
    return loose


def _killed_by(profile: Profile, typed: dict[Any, list[Any]], alive: list[tuple[str, dict[str, str]]],
               seeds: range, suite: Suite, folder: Path, label: str,
               listed: list[str]) -> tuple[Counter[str], list[tuple[str, dict[str, str]]]]:
    """The survivors one of these random databases kills (by kind, each listed with ``label``), and the rest."""
    killed: Counter[str] = Counter()
    for seed in seeds:
        if not alive:
            break
        target = folder / f"probe-{seed}.duckdb"
        shape = Shape(100 + seed, (4, 7, 15, 25, 40, 70)[seed % 6], (0.0, 0.1, 0.3)[seed % 3], 0.2 + 0.1 * (seed % 7),
                      0.2)
        write_candidate(profile, shape, typed, target)
        database = Warehouse(f"duckdb:///{target}", "duckdb", 5.0)
        still = []
        for question_id, survivor in alive:
            if _differs(database, suite.questions[question_id].gold_sql, survivor["sql"]):
                killed[survivor["kind"]] += 1
                listed.append(f"{label:<10} {question_id}: {survivor['kind']}: {survivor['description']}")
            else:
                still.append((question_id, survivor))
        database.close_all()
        target.unlink()
        alive = still
    return killed, alive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-old", action="store_true", help="Do not run the old perturbations (slow).")
    parser.add_argument("--databases", nargs="*", help="Only these defog databases.")
    parser.add_argument("--list", action="store_true", help="List every surviving mutant, gap or equivalent.")
    args = parser.parse_args()
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    by_database = {k: v for k, v in defog_questions().items() if not args.databases or k in args.databases}
    made: Counter[str] = Counter()
    by_real: Counter[str] = Counter()
    by_old: Counter[str] = Counter()
    by_suite: Counter[str] = Counter()
    gaps: Counter[str] = Counter()
    under_keys: Counter[str] = Counter()
    equivalent: Counter[str] = Counter()
    build_s = old_s = 0.0
    listed: list[str] = []
    suites: dict[str, Suite] = {}
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as scratch:
        root = Path(scratch)
        paths = {name: load_postgres_dump(DEFOG / "databases" / f"{name}.sql", root / f"{name}.duckdb")
                 for name in by_database}
        for name, questions in by_database.items():
            warehouse = open_warehouse(str(paths[name]))
            as_of = warehouse_instant(warehouse)
            started = time.perf_counter()
            suite = load_or_build(questions, str(paths[name]), warehouse.fingerprint, root / "suites", as_of,
                                  CompareOptions())
            build_s += time.perf_counter() - started
            suites[name] = suite
            for question in suite.questions.values():
                for kind, (total, killed) in question.by_kind.items():
                    made[kind] += total
                    by_suite[kind] += killed
            by_real["all"] += sum(q.killed_by_real for q in suite.questions.values())
            golds = {q.id: q.gold_sql for q in suite.questions.values() if q.gold_sql}
            found_gaps, found_under_keys, found_equivalent = _probe(paths[name], suite, golds, root, listed)
            gaps += found_gaps
            under_keys += found_under_keys
            equivalent += found_equivalent
            if not args.skip_old:
                started = time.perf_counter()
                for question in questions:
                    gold = suite.questions[question.id].gold_sql
                    if not gold:
                        continue
                    translated = translate_gold(question.alternatives()[0], "postgres", "duckdb")
                    frozen = [Mutant(m.kind, m.description, freeze_clock(m.sql, "duckdb", as_of))
                              for m in mutants(translated, "duckdb")]
                    alive = [m for m in frozen if not _differs(warehouse, gold, m.sql)]
                    by_old["all"] += _old_kills(paths[name], gold, alive, seed=hash(question.id) % 1000)
                old_s += time.perf_counter() - started
            warehouse.close_all()
            print(f"{name}: {len(questions)} questions, suite built in {suite.seconds:.1f} s", flush=True)
        total, suite_killed = sum(made.values()), sum(by_suite.values())
        print()
        print("| mutants | killed by the real data | by the old perturbations (of the rest) | by real data + suite "
              f"| survivors | gaps (killed by {PROBES} more databases) | equivalent under the keys (killed only by "
              f"{PROBES // 2} that break them) | equivalent (killed by none) |")
        print("|---|---|---|---|---|---|---|---|")
        old = "not run" if args.skip_old else f"{by_old['all']} of {total - by_real['all']}"
        print(f"| {total} | {by_real['all']} ({by_real['all'] / total:.1%}) | {old} | {suite_killed} "
              f"({suite_killed / total:.1%}) | {total - suite_killed} | {sum(gaps.values())} | "
              f"{sum(under_keys.values())} | {sum(equivalent.values())} |")
        keyed = total - sum(equivalent.values()) - sum(under_keys.values())
        print(f"\nkilled among the mutants some database that keeps the keys tells from the gold: {suite_killed} of "
              f"{keyed} ({suite_killed / keyed:.1%}); among those any database tells apart: {suite_killed} of "
              f"{keyed + sum(under_keys.values())} ({suite_killed / (keyed + sum(under_keys.values())):.1%})")
        print("\n| kind | mutants | killed | gaps | equivalent under the keys | equivalent |")
        print("|---|---|---|---|---|---|")
        for kind in sorted(made, key=lambda k: -made[k]):
            print(f"| {kind} | {made[kind]} | {by_suite[kind]} | {gaps[kind]} | {under_keys[kind]} | "
                  f"{equivalent[kind]} |")
        if args.list:
            print("\n" + "\n".join(sorted(listed)))
        print(f"\nbuild: {build_s:.1f} s for {sum(len(q) for q in by_database.values())} questions"
              + ("" if args.skip_old else f"; old perturbations on the surviving mutants: {old_s:.1f} s"))
        _self_pass(by_database, paths, root / "suites", suites)


def _self_pass(by_database: dict[str, list[GoldenQuestion]], paths: dict[str, Path], folder: Path,
               suites: dict[str, Suite]) -> None:
    """Every gold and every accepted alternative judged as the answer with the cached suites: all must pass."""
    failures: list[str] = []
    judged = 0
    started = time.perf_counter()
    for name, questions in by_database.items():
        warehouse = open_warehouse(str(paths[name]))
        answers = {q.id: {"sql": translate_gold(q.alternatives()[-1], "postgres", "duckdb")} for q in questions}
        run = evaluate(questions, answers, warehouse, test_suite=True, suites=folder)
        judged += len(run.results)
        failures += [f"{r.id}: {r.verdict} {r.reason[:100]}" for r in run.results
                     if r.verdict not in ("pass", "gold-error")]
    cached = time.perf_counter() - started
    print(f"cached --test-suite run, each gold's last alternative as the answer: {judged} questions in "
          f"{cached:.1f} s")
    alternatives = 0
    for name, questions in by_database.items():
        warehouse = open_warehouse(str(paths[name]))
        suite = suites[name]
        for question in questions:
            for index, alternative in enumerate(question.alternatives()):
                answer = {"sql": translate_gold(alternative, "postgres", "duckdb")}
                result = judge(question, answer, warehouse, CompareOptions(), suite, suite.as_of)
                alternatives += 1
                if result.verdict not in ("pass", "gold-error"):
                    failures.append(f"{question.id} alternative {index}: {result.verdict} {result.reason[:100]}")
    print(f"gold and every accepted alternative ({alternatives}) judged against themselves with the suite: "
          f"{len(failures)} failures")
    for failure in failures[:20]:
        print(f"  {failure}")


if __name__ == "__main__":
    main()
