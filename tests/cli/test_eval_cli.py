"""``answerkey eval`` end to end: golden set, answers, a DuckDB warehouse, verdicts and exit status."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pytest
from test_consensus_cli import answerkey


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("CREATE TABLE plans AS SELECT * FROM (VALUES ('basic', 10), ('pro', 30), ('team', 30)) "
                           "v(name, price)")
    golden = tmp_path / "golden.jsonl"
    golden.write_text("\n".join(json.dumps(q) for q in [
        {"id": "count", "question": "How many plans?", "gold_sql": "SELECT count(*) FROM plans"},
        {"id": "top", "question": "Most expensive plans?", "gold_sql": "SELECT name FROM plans WHERE price = 30"},
        {"id": "cheap", "question": "Cheapest price?", "gold_sql": "SELECT min(price) FROM plans"},
        {"id": "write", "question": "Drop it", "gold_sql": "SELECT 1"},
        {"id": "ceo", "question": "Who is the CEO?", "unanswerable": True},
        {"id": "broken", "question": "?", "gold_sql": "SELECT nothing FROM nowhere"},
    ]) + "\n")
    return warehouse, golden


def answers_file(tmp_path: Path, answers: list[dict[str, object]]) -> Path:
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(json.dumps(a) for a in answers) + "\n")
    return path


def test_eval_gives_every_verdict_with_its_reason_and_exits_1(setup: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, golden = setup
    answers = answers_file(tmp_path, [
        {"id": "count", "sql": "SELECT count(name) AS n FROM plans"},
        {"id": "top", "sql": "SELECT name FROM plans WHERE price >= 30 ORDER BY name DESC"},
        {"id": "cheap", "sql": "SELECT max(price) FROM plans"},
        {"id": "write", "sql": "DROP TABLE plans"},
        {"id": "ceo", "refused": True},
        {"id": "broken", "sql": "SELECT 1"},
    ])
    result = answerkey("eval", "--golden", golden, "--answers", answers, "--warehouse", f"duckdb:///{warehouse}",
                       "--json")
    assert result.returncode == 1, result.stderr
    run = json.loads(result.stdout)
    verdicts = {r["id"]: r["verdict"] for r in run["results"]}
    assert verdicts == {"count": "pass", "top": "pass", "cheap": "result-mismatch", "write": "refused",
                        "ceo": "pass", "broken": "gold-error"}
    reasons = {r["id"]: r["reason"] for r in run["results"]}
    assert "gold 10, answer 30" in reasons["cheap"]
    cheap = next(r for r in run["results"] if r["id"] == "cheap")
    assert cheap["differences"] == [{"kind": "aggregations", "what": "aggregates differently",
                                     "gold": ["MIN(price)"], "answer": ["MAX(price)"]}]
    assert "DROP" in reasons["write"]
    assert run["summary"]["passed"] == 3
    assert run["run_id"]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM plans").fetchone() == (3,)


def test_eval_exits_0_when_everything_passes(setup: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, golden = setup
    golden.write_text(golden.read_text().splitlines()[0] + "\n")
    answers = answers_file(tmp_path, [{"id": "count", "result": {"columns": ["c"], "rows": [[3]]}}])
    result = answerkey("eval", "--golden", golden, "--answers", answers, "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1/1 passed" in result.stdout


def test_a_bad_golden_file_or_preset_exits_2_with_one_line(setup: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, golden = setup
    answers = answers_file(tmp_path, [{"id": "count", "sql": "SELECT 3"}])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    result = answerkey("eval", "--golden", bad, "--answers", answers, "--warehouse", str(warehouse))
    assert result.returncode == 2
    assert f"{bad}:1" in result.stderr
    assert "Traceback" not in result.stderr
    preset = answerkey("eval", "--golden", golden, "--answers", answers, "--warehouse", str(warehouse),
                       "--preset", "nope")
    assert preset.returncode == 2
    assert "--preset must be one of" in preset.stderr


AGENT = '''
import json, sys, time
request = json.load(sys.stdin)
qid = request["id"]
if qid == "count":
    print(json.dumps({"sql": "SELECT count(*) FROM plans"}))
elif qid == "top":
    sys.exit("boom: the model is down")
elif qid == "cheap":
    print("this is not json")
elif qid == "write":
    print(json.dumps({"sql": "CREATE TABLE x AS SELECT 1"}))
elif qid == "ceo":
    time.sleep(30)
else:
    assert "context" in request and request["question"]
    print(json.dumps({"sql": "SELECT 1"}))
'''


def test_a_command_agent_is_asked_every_question_and_a_bad_agent_never_stops_the_run(
        setup: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, golden = setup
    agent = tmp_path / "agent.py"
    agent.write_text(AGENT)
    result = answerkey("eval", "--golden", golden, "--warehouse", str(warehouse), "--agent",
                       f"{sys.executable} {agent}", "--agent-timeout", "2", "--json")
    assert result.returncode == 1, result.stderr
    results = {r["id"]: r for r in json.loads(result.stdout)["results"]}
    assert {k: r["verdict"] for k, r in results.items()} == {
        "count": "pass", "top": "answer-error", "cheap": "answer-error", "write": "refused", "ceo": "timeout",
        "broken": "gold-error"}
    assert "exited with status 1: boom: the model is down" in results["top"]["reason"]
    assert "not JSON" in results["cheap"]["reason"]
    assert "CREATE" in results["write"]["reason"]
    assert "within 2 s" in results["ceo"]["reason"]


def test_eval_needs_answers_or_an_agent_but_not_both(setup: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, golden = setup
    neither = answerkey("eval", "--golden", golden, "--warehouse", str(warehouse))
    assert neither.returncode == 2
    assert "--answers FILE or --agent COMMAND" in neither.stderr


def test_golden_check_flags_the_broken_gold_and_exits_1(setup: tuple[Path, Path]) -> None:
    warehouse, golden = setup
    result = answerkey("golden", "check", "--golden", golden, "--warehouse", str(warehouse), "--json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)
    assert [(f["where"], f["check"]) for f in findings] == [("question broken", "golden.gold_error")]


def test_runs_in_a_workspace_are_recorded_reported_and_compared(setup: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, golden = setup
    workspace = tmp_path / "ws"
    assert answerkey("init", workspace).returncode == 0
    first = answers_file(tmp_path, [{"id": "count", "sql": "SELECT 2"}, {"id": "cheap", "sql": "SELECT 10"}])
    one = json.loads(answerkey("-w", workspace, "eval", "--golden", golden, "--answers", first, "--warehouse",
                               str(warehouse), "--json").stdout)
    second = answers_file(tmp_path, [{"id": "count", "sql": "SELECT 3"}, {"id": "cheap", "sql": "SELECT 11"}])
    two = json.loads(answerkey("-w", workspace, "eval", "--golden", golden, "--answers", second, "--warehouse",
                               str(warehouse), "--json").stdout)
    assert one["recorded"] is True
    assert two["recorded"] is True
    report = json.loads(answerkey("-w", workspace, "eval", "report", one["run_id"], "--json").stdout)
    assert {r["question_id"]: r["verdict"] for r in report["results"]}["cheap"] == "pass"
    compared = json.loads(answerkey("-w", workspace, "eval", "compare", one["run_id"], two["run_id"],
                                    "--json").stdout)
    directions = {c["question_id"]: c["direction"] for c in compared["changes"]}
    assert directions == {"count": "fixed", "cheap": "broken"}
    assert compared["summary"]["same_golden_set"] is True
    listed = json.loads(answerkey("-w", workspace, "eval", "list", "--json").stdout)
    assert [r["run_id"] for r in listed] == [one["run_id"], two["run_id"]]
    missing = answerkey("-w", workspace, "eval", "report", "nope")
    assert missing.returncode == 2
    assert "no run 'nope'" in missing.stderr


def test_test_suite_mode_catches_an_answer_right_only_on_the_real_rows(setup: tuple[Path, Path],
                                                                       tmp_path: Path) -> None:
    warehouse, golden = setup
    golden.write_text(json.dumps({"id": "dear", "question": "Plans over 10?",
                                  "gold_sql": "SELECT count(*) FROM plans WHERE price > 10"}) + "\n")
    answers = answers_file(tmp_path, [{"id": "dear", "sql": "SELECT count(*) FROM plans WHERE price >= 30"}])
    plain = answerkey("eval", "--golden", golden, "--answers", answers, "--warehouse", str(warehouse))
    assert plain.returncode == 0
    suite = answerkey("eval", "--golden", golden, "--answers", answers, "--warehouse", str(warehouse),
                      "--test-suite", "--json")
    assert suite.returncode == 1
    assert "test-suite database" in json.loads(suite.stdout)["results"][0]["reason"]



def test_golden_suite_build_keeps_suites_in_the_workspace_and_show_lists_the_survivors(
        setup: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, golden = setup
    golden.write_text(json.dumps({"id": "dear", "question": "Plans over 10?",
                                  "gold_sql": "SELECT count(*) FROM plans WHERE price > 10"}) + "\n")
    workspace = tmp_path / "ws"
    assert answerkey("init", workspace).returncode == 0
    shown = answerkey("golden", "suite", "show", "--golden", golden, "--warehouse", warehouse, cwd=workspace)
    assert shown.returncode == 2
    assert "golden suite build" in shown.stderr
    built = answerkey("golden", "suite", "build", "--golden", golden, "--warehouse", warehouse, "--json",
                      cwd=workspace)
    assert built.returncode == 0, built.stderr
    report = json.loads(built.stdout)
    assert report["summary"]["mutants"] > 3
    assert report["questions"][0]["databases"]
    assert (workspace / ".answerkey" / "suites" / report["summary"]["key"] / "suite.json").is_file()
    shown = answerkey("golden", "suite", "show", "--golden", golden, "--warehouse", warehouse, cwd=workspace)
    assert shown.returncode == 0, shown.stderr
    assert "dear" in shown.stdout
    assert "kill rate" in shown.stdout


def test_as_of_freezes_the_clock_for_gold_and_answer_alike(setup: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, golden = setup
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("CREATE TABLE events AS SELECT * FROM (VALUES (DATE '2026-03-01'), (DATE '2026-03-09'))"
                           " v(day)")
    golden.write_text(json.dumps({"id": "recent", "question": "Events in the past week?",
                                  "gold_sql": "SELECT count(*) FROM events WHERE day >= CURRENT_DATE - INTERVAL 7 DAY"}
                                 ) + "\n")
    answers = answers_file(tmp_path, [{"id": "recent", "sql": "SELECT 1"}])
    on_the_tenth = answerkey("eval", "--golden", golden, "--answers", answers, "--warehouse", warehouse,
                             "--as-of", "2026-03-10", "--json")
    assert on_the_tenth.returncode == 0, on_the_tenth.stdout
    assert json.loads(on_the_tenth.stdout)["summary"]["as_of"] == "2026-03-10T00:00:00"
    a_month_later = answerkey("eval", "--golden", golden, "--answers", answers, "--warehouse", warehouse,
                              "--as-of", "2026-04-10", "--json")
    assert a_month_later.returncode == 1
    bad = answerkey("eval", "--golden", golden, "--answers", answers, "--warehouse", warehouse, "--as-of", "soon")
    assert bad.returncode == 2
    assert "--as-of" in bad.stderr
    assert "YYYY-MM-DD" in bad.stderr
    plain = answerkey("eval", "--golden", golden, "--answers", answers, "--warehouse", warehouse,
                      "--as-of", "2026-03-10")
    assert "clock frozen at 2026-03-10T00:00:00" in plain.stdout

CONTEXT_AGENT = '''
import json, sys
request = json.load(sys.stdin)
ok = "## plans" in request["context"] and "Prices are monthly." in request["context"]
print(json.dumps({"sql": "SELECT count(*) FROM plans" if ok else "SELECT 0"}))
'''


def test_context_is_drafted_checked_exported_and_given_to_the_agent(setup: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, golden = setup
    workspace = tmp_path / "ws"
    assert answerkey("init", workspace).returncode == 0
    drafted = answerkey("-w", workspace, "context", "import", "warehouse", f"duckdb:///{warehouse}")
    assert drafted.returncode == 0, drafted.stderr
    assert (workspace / "context" / "tables" / "plans.yaml").is_file()
    (workspace / "context" / "rules.md").write_text("Prices are monthly.\n")
    exported = answerkey("-w", workspace, "context", "export", "--for-agent")
    assert "## plans (draft)" in exported.stdout
    checked = answerkey("-w", workspace, "context", "check", "--warehouse", str(warehouse), "--golden", golden,
                        "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert {(f["check"], f["where"]) for f in json.loads(checked.stdout)} == {
        ("context.undescribed_table", "table plans"), ("context.undescribed_table", "table nowhere"),
        ("context.undescribed_column", "column plans.name"), ("context.undescribed_column", "column plans.price")}
    golden.write_text(golden.read_text().splitlines()[0] + "\n")
    agent = tmp_path / "agent.py"
    agent.write_text(CONTEXT_AGENT)
    run = answerkey("-w", workspace, "eval", "--golden", golden, "--warehouse", str(warehouse), "--agent",
                    f"{sys.executable} {agent}", "--agent-version", "v2", "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    listed = json.loads(answerkey("-w", workspace, "eval", "list", "--json").stdout)
    assert listed[0]["context_hash"]
    assert listed[0]["agent"].endswith(" @ v2")


def test_feedback_is_logged_once_and_verified_corrections_become_golden_candidates(
        setup: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, _ = setup
    workspace = tmp_path / "ws"
    assert answerkey("init", workspace).returncode == 0
    feedback = tmp_path / "feedback.jsonl"
    feedback.write_text("\n".join(json.dumps(e) for e in [
        {"question": "How many plans?", "sql": "SELECT 2", "verdict": "incorrect", "reviewer": "maria",
         "corrected_sql": "SELECT count(*) FROM plans"},
        {"question": "Cheapest price?", "sql": "SELECT min(price) FROM plans", "verdict": "correct",
         "reviewer": "sam"},
        {"question": "Broken fix?", "sql": "SELECT 1", "verdict": "incorrect", "reviewer": "sam",
         "corrected_sql": "SELECT nope FROM plans"},
    ]) + "\n")
    first = answerkey("-w", workspace, "feedback", "log", feedback)
    assert "3 of 3 feedback entries added" in first.stdout, first.stderr
    again = answerkey("-w", workspace, "feedback", "log", feedback)
    assert "0 of 3 feedback entries added" in again.stdout
    out = tmp_path / "candidates.jsonl"
    result = answerkey("-w", workspace, "feedback", "candidates", "--warehouse", str(warehouse), "-o", out)
    assert result.returncode == 0, result.stderr
    candidates = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(c["question"], c["gold_sql"], c["owner"]) for c in candidates] == [
        ("How many plans?", "SELECT count(*) FROM plans", "maria"),
        ("Cheapest price?", "SELECT min(price) FROM plans", "sam")]
    checked = answerkey("golden", "check", "--golden", out, "--warehouse", str(warehouse))
    assert checked.returncode == 0, checked.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x", "verdict": "maybe", "reviewer": "sam"}\n')
    refused = answerkey("-w", workspace, "feedback", "log", bad)
    assert refused.returncode == 2
    assert f"{bad}:1:verdict" in refused.stderr
