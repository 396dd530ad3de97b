"""Hostile context, golden-set and dbt files: alias bombs and deep nesting are refused at once, one line each,
naming the file and line, before anything is validated, printed or written."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from answerkey.analytics.context import load_context
from answerkey.analytics.dbt import import_dbt, read_semantic_manifest
from answerkey.analytics.golden import load_golden
from answerkey.errors import ImportValidationError


def bomb(tail: str) -> str:
    """A billion-laughs alias bomb (1 KB; over 120 s and 1.1 GB as a context table before), then ``tail``."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]
    return "\n".join([*lines, tail]) + "\n"


def refused(call: Callable[[], object]) -> str:
    """The one-line message of the ImportValidationError ``call`` raises, within two seconds."""
    started = time.perf_counter()
    with pytest.raises(ImportValidationError) as caught:
        call()
    assert time.perf_counter() - started < 2
    message = str(caught.value)
    assert "\n" not in message
    assert len(message) < 400
    return message


def test_an_alias_bomb_as_a_context_table_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    table = tmp_path / "context" / "tables" / "x.yaml"
    table.parent.mkdir(parents=True)
    table.write_text(bomb("name: x\ncolumns: *a8"), encoding="utf-8")
    message = refused(lambda: load_context(tmp_path / "context"))
    assert message.startswith(f"{table}:2: found an alias (*a0)")
    assert message.endswith("(the context was not read)")


def test_an_alias_in_the_metrics_file_is_refused(tmp_path: Path) -> None:
    metrics = tmp_path / "context" / "metrics.yaml"
    metrics.parent.mkdir(parents=True)
    metrics.write_text('- &a0 {name: lol, type: simple}\n- *a0\n', encoding="utf-8")
    assert refused(lambda: load_context(tmp_path / "context")).startswith(f"{metrics}:2: found an alias (*a0)")


def test_an_alias_bomb_as_a_golden_set_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "golden.yaml"
    path.write_text(bomb("questions: *a8"), encoding="utf-8")
    assert refused(lambda: load_golden(path)).startswith(f"{path}:2: found an alias (*a0)")


def test_a_golden_jsonl_line_nested_too_deep_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "golden.jsonl"
    path.write_text('{"id": "q1"}\n{"id": "q2", "x": ' + "[" * 200_000 + "]" * 200_000 + "}\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as caught:
        load_golden(path)
    assert any(p.row == 2 and "nested more than" in p.found for p in caught.value.problems)


def test_a_dbt_manifest_nested_too_deep_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "semantic_manifest.json"
    path.write_text('{"semantic_models": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8")
    message = refused(lambda: read_semantic_manifest(path))
    assert message.startswith(f"{path}: found JsonNestingError: arrays or objects nested more than")


def test_an_alias_in_the_metrics_file_a_dbt_import_appends_to_is_refused(tmp_path: Path) -> None:
    manifest = Path(__file__).parents[1] / "data" / "semantic_manifest.json"
    folder = tmp_path / "context"
    folder.mkdir()
    (folder / "metrics.yaml").write_text("- &m {name: a}\n- *m\n", encoding="utf-8")
    assert refused(lambda: import_dbt(manifest, folder)).startswith(f"{folder / 'metrics.yaml'}:2: found an alias")
    assert (folder / "metrics.yaml").read_text(encoding="utf-8") == "- &m {name: a}\n- *m\n"
