"""Distilled test suites (Zhong, Yu and Klein, EMNLP 2020): for each golden question, the few small databases
that tell its gold from the most near-miss queries, so that an answer passes only when it is right on them too.

Building a suite: the gold's mutants (:mod:`answerkey.analytics.mutants`: an operator flipped, a literal moved
by one, a predicate dropped, a join or an aggregation swapped...) are run on the real database, where some
already differ from the gold; the rest are run on candidate databases fuzzed from the real one
(:mod:`answerkey.analytics.suite_databases`), one after another, and each candidate that kills a mutant still
alive joins the question's suite. Mutants no candidate kills are listed: likely equivalent to the gold, or a
gap to look at. Every query runs in the sandbox. A suite is built once per (golden set, warehouse state,
instant) and kept in a folder of its own, with a manifest.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from answerkey.analytics.clock import freeze_clock
from answerkey.analytics.compare import CompareOptions, ResultTable, compare_results, gold_is_ordered
from answerkey.analytics.golden import GoldenQuestion
from answerkey.analytics.mutants import Mutant, mutants
from answerkey.analytics.sandbox import SandboxLimits, pool
from answerkey.analytics.sql import has_top_level_order_by, refusal
from answerkey.analytics.suite_databases import (
    CANDIDATES,
    FOCUSED,
    focused_shapes,
    shapes,
    typed_boundaries,
    write_candidate,
)
from answerkey.analytics.suite_profile import ColumnRef, Profile, read_profile
from answerkey.analytics.ties import tie_query, ties_of
from answerkey.analytics.translate import translate_gold
from answerkey.errors import ParameterError

__all__ = ["MUTANT_TIMEOUT_S", "SUITE_VERSION", "QuestionSuite", "Suite", "build_suite", "load_or_build", "suite_key",
           "tells_apart"]

SUITE_VERSION = 2
"""Bumped when suites built by older code must not be reused."""
MUTANT_TIMEOUT_S = 5.0
"""Seconds a mutant may run on the real database (a dropped join condition can multiply rows)."""
BUILD_MAX_ROWS = 20_000
"""Rows a gold or mutant may return while a suite is built; more is an error (so a difference)."""
BATCH = 64
"""Queries sent to a sandbox worker in one round trip."""
GENERAL_TRIES = 3
"""Large candidates tried, of each kind (with NULLs, without), to find one where a gold returns rows."""
FOCUSED_TRIES = 16
"""At most this many candidates drawn for one question alone, while some of its mutants live."""
FOCUSED_PATIENCE = 6
"""Stop drawing them after this many in a row kill nothing (what is left is likely equivalent to the gold)."""


@dataclass(frozen=True)
class QuestionSuite:
    """One question's suite: the databases that judge it, and how well they tell the gold from its mutants."""

    id: str
    gold_sql: str
    databases: list[str]
    mutants: int
    killed_by_real: int
    killed_by_suite: int
    by_kind: dict[str, list[int]] = field(default_factory=dict)
    """Mutant kind -> [mutants, killed by the real database or the suite]."""
    survivors: list[dict[str, str]] = field(default_factory=list)
    note: str = ""

    @property
    def kill_rate(self) -> float | None:
        """Share of the mutants the real database and the suite together kill; None when there is nothing to
        judge them by (no mutants, or a gold that fails: ``note`` says why)."""
        if not self.mutants or self.note:
            return None
        return (self.killed_by_real + self.killed_by_suite) / self.mutants


@dataclass
class Suite:
    """Every question's suite, the candidate databases they use, and what they were built for."""

    folder: Path
    key: str
    as_of: dt.datetime
    questions: dict[str, QuestionSuite]
    databases: dict[str, dict[str, int]]
    seconds: float = 0.0

    def databases_for(self, question_id: str) -> list[Path]:
        """The DuckDB files that judge ``question_id`` (none for a question the suite could not build)."""
        found = self.questions.get(question_id)
        return [self.folder / name for name in found.databases] if found else []

    def save(self) -> None:
        """Write the manifest."""
        manifest = {"version": SUITE_VERSION, "key": self.key, "as_of": self.as_of.isoformat(),
                    "seconds": round(self.seconds, 2), "databases": self.databases,
                    "questions": {k: asdict(v) for k, v in self.questions.items()}}
        (self.folder / "suite.json").write_text(json.dumps(manifest, indent=1, default=str), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Suite:
        """The suite whose manifest is in ``folder``."""
        manifest = json.loads((folder / "suite.json").read_text(encoding="utf-8"))
        if manifest.get("version") != SUITE_VERSION:
            raise ParameterError(f"{folder}: a suite built by another version of answerkey; build it again")
        questions = {k: QuestionSuite(**v) for k, v in manifest["questions"].items()}
        return cls(folder, manifest["key"], dt.datetime.fromisoformat(manifest["as_of"]), questions,
                   manifest["databases"], manifest.get("seconds", 0.0))

    def summary(self) -> dict[str, Any]:
        """Mutants, kills and survivors over every question, by kind."""
        kinds: dict[str, list[int]] = {}
        for question in self.questions.values():
            if question.note:  # a gold that fails judges none of its mutants
                continue
            for kind, (made, killed) in question.by_kind.items():
                total = kinds.setdefault(kind, [0, 0])
                total[0] += made
                total[1] += killed
        made = sum(q.mutants for q in self.questions.values() if not q.note)
        real = sum(q.killed_by_real for q in self.questions.values())
        suite = sum(q.killed_by_suite for q in self.questions.values())
        return {"key": self.key, "as_of": self.as_of.isoformat(), "questions": len(self.questions),
                "databases": len({d for q in self.questions.values() for d in q.databases}),
                "mutants": made, "killed_by_real_data": real, "killed_by_suite": suite,
                "kill_rate": (real + suite) / made if made else None, "by_kind": kinds,
                "seconds": round(self.seconds, 2)}


def suite_key(questions: Sequence[GoldenQuestion], fingerprint: str, as_of: dt.datetime,
              options: CompareOptions) -> str:
    """What a suite is built for: the golds and their options, the warehouse's state, the instant."""
    golds = [(q.id, q.alternatives(), q.dialect, q.compare) for q in questions if q.gold_sql]
    text = json.dumps([SUITE_VERSION, golds, fingerprint, as_of.isoformat(), options.model_dump()],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _ok(reply: tuple[Any, ...]) -> ResultTable | None:
    return ResultTable(reply[1], reply[2]) if reply[0] == "ok" else None


def _failure(path: str, question: _Question, runner: _Runner) -> str:
    """Why the question's gold fails on the database at ``path`` (run once more, alone, to read its error)."""
    reply = pool().run_batch(path, [question.gold], runner.timeout_s, runner.limits)[0]
    return str(reply[-1]) if reply[0] != "ok" else "it gave no result in time"


class _Runner:
    """Runs queries on one database in a few sandbox round trips, spread over the sandbox's workers."""

    def __init__(self, limits: SandboxLimits, timeout_s: float) -> None:
        self.limits = SandboxLimits(limits.memory_limit, limits.threads, limits.max_temp_directory_size,
                                    min(limits.max_rows, BUILD_MAX_ROWS))
        self.timeout_s = timeout_s

    def run(self, path: str, sqls: list[str], executor: ThreadPoolExecutor) -> list[ResultTable | None]:
        """Each query's result, or None when it failed."""
        chunks = [sqls[i:i + BATCH] for i in range(0, len(sqls), BATCH)]
        replies = executor.map(lambda chunk: pool().run_batch(path, chunk, self.timeout_s, self.limits), chunks)
        return [_ok(reply) for chunk in replies for reply in chunk]


def tells_apart(gold: ResultTable, got: ResultTable | None, options: CompareOptions, ordered: bool,
                keyed: tuple[ResultTable | None, int, int | None] | None) -> bool:
    """Whether a mutant's result tells it from the gold (an error always does)."""
    if got is None:
        return True
    if compare_results(gold, got, options, gold_ordered=ordered).passed:
        return False
    if ordered and keyed is not None and keyed[0] is not None and options.equality != "python":
        ties = ties_of(keyed[0], keyed[1], keyed[2], gold)
        if ties is not None:
            return not compare_results(gold, got, options, gold_ordered=True, ties=ties).passed
    return True


@dataclass
class _Question:
    """One question while its suite is built: its gold, its mutants, which are still alive, what killed them."""

    question: GoldenQuestion
    gold: str
    options: CompareOptions
    ordered: bool
    keyed: tuple[str, int, int | None] | None
    made: list[Mutant]
    alive: list[int] = field(default_factory=list)
    killed_by_real: int = 0
    chosen: list[str] = field(default_factory=list)
    killed_by_suite: int = 0
    note: str = ""
    general: set[bool] = field(default_factory=set)
    """For which kinds of candidate (with NULLs: True, without: False) the suite holds a large one on which the
    gold returns rows."""

    def head(self) -> list[str]:
        """The gold, and the gold with its sort keys (for ties), run before the mutants on every database."""
        return [self.gold] + ([self.keyed[0]] if self.keyed else [])

    def judge(self, results: list[ResultTable | None], indexes: list[int]) -> set[int] | None:
        """The mutants among ``indexes`` these results (head first) kill; None when the gold gave no result."""
        gold = results[0]
        if gold is None:
            return None
        keyed = (results[1], self.keyed[1], self.keyed[2]) if self.keyed else None
        body = results[len(self.head()):]
        return {i for i, got in zip(indexes, body, strict=True)
                if tells_apart(gold, got, self.options, self.ordered, keyed)}

    def result(self) -> QuestionSuite:
        """What the build found for this question."""
        by_kind: dict[str, list[int]] = {}
        for index, mutant in enumerate(self.made):
            counts = by_kind.setdefault(mutant.kind, [0, 0])
            counts[0] += 1
            counts[1] += not self.note and index not in self.alive  # a gold that fails kills nothing
        survivors = [{"kind": self.made[i].kind, "description": self.made[i].description, "sql": self.made[i].sql}
                     for i in self.alive]
        return QuestionSuite(self.question.id, self.gold, self.chosen, len(self.made), self.killed_by_real,
                             self.killed_by_suite, by_kind, survivors, self.note)


def _prepared(question: GoldenQuestion, translated: str, as_of: dt.datetime, options: CompareOptions) -> _Question:
    """A question ready to be distilled: its gold with the clock frozen, and the gold's mutants (made before the
    clock is frozen, so that "today" itself is never nudged: the intervals around it are)."""
    question_options = question.compare_options(options)
    gold = freeze_clock(translated, "duckdb", as_of)
    ordered = gold_is_ordered(question_options, gold, has_top_level_order_by(gold, "duckdb"))
    keyed = tie_query(gold, "duckdb") if ordered else None
    made = [Mutant(m.kind, m.description, freeze_clock(m.sql, "duckdb", as_of)) for m in mutants(translated, "duckdb")]
    prepared = _Question(question, gold, question_options, ordered, keyed, made, list(range(len(made))))
    why = refusal(gold, "duckdb")  # mutants only swap the gold's operators, literals, joins and aggregates
    if why is not None:
        prepared.alive, prepared.note = [], f"the gold is refused: {why}"
    return prepared


def _round(path: str, questions: list[_Question], runner: _Runner, executor: ThreadPoolExecutor,
           name: str | None) -> None:
    """Run every question's living mutants on one database and record what it kills; ``name`` None is the real
    database (a gold without a result there ends that question's suite)."""
    plan: list[tuple[_Question, int, list[int]]] = []
    sqls: list[str] = []
    for question in questions:
        if not question.alive or question.note:
            continue
        plan.append((question, len(sqls), list(question.alive)))
        sqls.extend(question.head() + [question.made[i].sql for i in question.alive])
    results = runner.run(path, sqls, executor)
    for question, start, indexes in plan:
        width = len(question.head()) + len(indexes)
        killed = question.judge(results[start:start + width], indexes)
        if killed is None:
            if name is None:
                why = _failure(path, question, runner)
                question.alive, question.note = [], f"the gold fails on the real database: {why}"
            continue
        if name is None:
            question.killed_by_real = len(killed)
        elif killed:
            question.chosen.append(name)
            question.killed_by_suite += len(killed)
        question.alive = [i for i in question.alive if i not in killed]


def _general(path: str, name: str, nulls: bool, questions: list[_Question], runner: _Runner,
             executor: ThreadPoolExecutor) -> None:
    """Give every question still without one of its kind this large candidate (with or without NULLs) when its
    gold returns rows there: a wrong answer no mutant stands for (``IS NOT TRUE`` for ``= FALSE``, a GROUP BY
    key too many) then meets databases beyond the real one and the killers of its mutants."""
    waiting = [q for q in questions if not q.note and nulls not in q.general]
    results = runner.run(path, [q.gold for q in waiting], executor)
    for question, result in zip(waiting, results, strict=True):
        if result is not None and result.rows:
            question.general.add(nulls)
            if name not in question.chosen:
                question.chosen.append(name)


def _translated(question: GoldenQuestion) -> str | None:
    """The question's first gold query in DuckDB's dialect; None for a question without gold SQL."""
    alternatives = question.alternatives()
    return translate_gold(alternatives[0], question.dialect, "duckdb") if alternatives else None


def _focused(question: _Question, source: int, profile: Profile, folder: Path, runner: _Runner,
             every: dict[ColumnRef, list[Any]]) -> list[tuple[str, dict[str, int]]]:
    """Candidates for this question alone, tried on its living mutants; the ones that kill. They are drawn from
    its own boundaries and, every other one, from every gold's (``every``): a value another gold tests may be
    what tells this one's mutant apart."""
    import duckdb

    with duckdb.connect(config={"enable_external_access": False}) as connection:
        own = typed_boundaries(connection, profile, source)
    kept, misses = [], 0
    for number, shape in enumerate(focused_shapes(FOCUSED_TRIES)):
        if not question.alive or misses >= FOCUSED_PATIENCE:
            break
        name = f"focus-{source:04d}-{shape.seed - FOCUSED[0].seed}.duckdb"
        rows = write_candidate(profile, shape, own if number % 2 == 0 else every, folder / name)
        indexes = list(question.alive)
        replies = pool().run_batch(str(folder / name), question.head() + [question.made[i].sql for i in indexes],
                                   runner.timeout_s, runner.limits)
        pool().release(str(folder / name))
        killed = question.judge([_ok(r) for r in replies], indexes)
        if killed:
            kept.append((name, rows))
            question.chosen.append(name)
            question.killed_by_suite += len(killed)
            question.alive = [i for i in question.alive if i not in killed]
            misses = 0
        else:
            (folder / name).unlink(missing_ok=True)
            misses += 1
    return kept


def build_suite(questions: Sequence[GoldenQuestion], warehouse_path: str, folder: Path, as_of: dt.datetime,
                options: CompareOptions, key: str, *, limits: SandboxLimits | None = None,
                candidates: int = CANDIDATES, timeout_s: float = MUTANT_TIMEOUT_S,
                on_progress: Callable[[int, int], None] | None = None) -> Suite:
    """Build the suite of every question with gold SQL into ``folder`` (which must be empty or new); a gold or
    mutant query runs at most ``timeout_s`` seconds (a mutant that runs longer counts as told apart)."""
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    golds: dict[str, str] = {}
    notes: dict[str, str] = {}
    for question in questions:
        try:
            translated = _translated(question)
        except ParameterError as error:
            notes[question.id] = str(error)
            continue
        if translated is not None:
            golds[question.id] = translated
    profile = read_profile(warehouse_path, [freeze_clock(g, "duckdb", as_of) for g in golds.values()])
    import duckdb

    with duckdb.connect(config={"enable_external_access": False}) as connection:
        typed = typed_boundaries(connection, profile)
    written: dict[str, dict[str, int]] = {}
    paths: list[tuple[str, Path]] = []
    for shape in sorted(shapes(candidates), key=lambda s: (abs(s.size - 30), s.seed)):
        name = f"candidate-{shape.seed:02d}.duckdb"
        written[name] = write_candidate(profile, shape, typed, folder / name)
        paths.append((name, folder / name))
    runner = _Runner(limits or SandboxLimits(), timeout_s)
    by_id = {q.id: q for q in questions}
    prepared = [_prepared(by_id[qid], gold, as_of, options) for qid, gold in golds.items()]
    steps = len(paths) + 1
    with ThreadPoolExecutor(max_workers=max(2, pool().size)) as executor:
        _round(warehouse_path, prepared, runner, executor, None)
        for number, (name, path) in enumerate(paths, start=1):
            _round(str(path), prepared, runner, executor, name)
            if on_progress:
                on_progress(number, steps)
        for nulls in (False, True):  # the largest candidates of each kind where the gold returns rows
            largest = sorted((s for s in shapes(candidates) if bool(s.null_rate) == nulls), key=lambda s: -s.size)
            for shape in largest[:GENERAL_TRIES]:
                name = f"candidate-{shape.seed:02d}.duckdb"
                _general(str(folder / name), name, nulls, prepared, runner, executor)
        focused = list(executor.map(lambda item: _focused(item[1], item[0], profile, folder, runner, typed),
                                    [(i, q) for i, q in enumerate(prepared) if q.alive and not q.note]))
        if on_progress:
            on_progress(steps, steps)
    for kept in focused:
        written.update(kept)
    built = {q.question.id: q.result() for q in prepared}
    for question_id, note in notes.items():
        built[question_id] = QuestionSuite(question_id, "", [], 0, 0, 0, note=note)
    used = {d for q in built.values() for d in q.databases}
    for name, path in paths:
        pool().release(str(path))
        if name not in used:
            path.unlink(missing_ok=True)
    written = {name: rows for name, rows in written.items() if name in used}
    suite = Suite(folder, key, as_of, built, dict(sorted(written.items())), time.monotonic() - started)
    suite.save()
    return suite


def load_or_build(questions: Sequence[GoldenQuestion], warehouse_path: str, fingerprint: str, root: Path | None,
                  as_of: dt.datetime, options: CompareOptions, *, limits: SandboxLimits | None = None,
                  timeout_s: float = MUTANT_TIMEOUT_S,
                  on_progress: Callable[[int, int], None] | None = None) -> Suite:
    """The suite for these questions on this warehouse state at this instant: read from ``root`` when built
    before, else built there (``root`` None: a folder removed when this process exits)."""
    key = suite_key(questions, fingerprint, as_of, options)
    folder = (root or _scratch_root()) / key
    if (folder / "suite.json").is_file():
        return Suite.load(folder)
    building = folder.parent / f".{key}.{os.getpid()}.{threading.get_ident()}"
    shutil.rmtree(building, ignore_errors=True)
    try:
        build_suite(questions, warehouse_path, building, as_of, options, key, limits=limits, timeout_s=timeout_s,
                    on_progress=on_progress)
        building.rename(folder)
    except OSError:
        if not (folder / "suite.json").is_file():
            raise
    finally:  # a build that failed, or lost the race to another process's, leaves nothing behind
        shutil.rmtree(building, ignore_errors=True)
    return Suite.load(folder)


_SCRATCH: list[Path] = []


def _scratch_root() -> Path:
    """This process's folder for suites outside a workspace, made once and removed at exit."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="answerkey-suites-")))
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    return _SCRATCH[0]
