"""Golden sets: what a question may hold, and bad entries named by file, row and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from answerkey.analytics.compare import PRESETS, CompareOptions
from answerkey.analytics.golden import load_golden, read_answers
from answerkey.errors import ImportValidationError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_and_yaml_hold_the_same_questions(tmp_path: Path) -> None:
    jsonl = write(tmp_path / "g.jsonl", '{"id": "q1", "question": "How many?", "gold_sql": "SELECT 1; SELECT 1.0", '
                                         '"tags": ["count"], "compare": {"preset": "bird"}}\n\n'
                                         '{"id": 2, "question": "Churn?", "unanswerable": true}\n')
    yaml = write(tmp_path / "g.yaml", "questions:\n- id: q1\n  question: How many?\n  gold_sql: [SELECT 1, SELECT 1.0]"
                                      "\n  tags: [count]\n  compare: {preset: bird}\n- id: '2'\n  question: Churn?\n"
                                      "  unanswerable: true\n")
    assert load_golden(jsonl) == load_golden(yaml)
    first = load_golden(jsonl)[0]
    assert first.alternatives() == ["SELECT 1", "SELECT 1.0"]
    assert first.compare_options(CompareOptions()) == PRESETS["bird"]


def test_every_bad_entry_is_named_and_nothing_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "g.jsonl", "\n".join([
        '{"id": "q1", "question": "ok", "gold_sql": "SELECT 1"}',
        '{"id": "q2", "question": "both", "gold_sql": "SELECT 1", "unanswerable": true}',
        "not json",
        '{"id": "q1", "question": "again", "gold_sql": "SELECT 2"}',
        '{"id": "q5", "question": "x", "gold_sql": "SELECT 1", "compare": {"order": "up"}}',
    ]) + "\n")
    with pytest.raises(ImportValidationError) as caught:
        load_golden(path)
    text = str(caught.value)
    assert f"{path}:2" in text
    assert "exactly one of gold_sql, expected, expected_metric or unanswerable" in text
    assert f"{path}:3" in text
    assert "invalid JSON" in text
    assert f"{path}:4:id" in text
    assert f"{path}:5" in text


def test_answers_need_an_id_and_something_to_judge(tmp_path: Path) -> None:
    good = write(tmp_path / "a.jsonl", '{"id": "q1", "sql": "SELECT 1"}\n{"id": 2, "result": {"columns": ["a"], '
                                       '"rows": [[1]]}}\n')
    assert set(read_answers(good)) == {"q1", "2"}
    bad = write(tmp_path / "b.jsonl", '{"sql": "SELECT 1"}\n{"id": "q3"}\n')
    with pytest.raises(ImportValidationError, match="nothing was judged"):
        read_answers(bad)
