"""Hostile behavioural definition files: aliases and unreadable files are one-line parameter errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from answerkey.errors import ParameterError
from answerkey.labels import load_definition


def test_an_alias_in_a_definition_file_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "churn.yaml"
    path.write_text("base: &b {table: s, time: t}\nname: churn\nanchor: *b\n", encoding="utf-8")
    with pytest.raises(ParameterError) as caught:
        load_definition(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:3: found an alias (*b)")
    assert "not accepted" in message
    assert "\n" not in message


def test_a_definition_path_that_is_a_folder_is_a_parameter_error(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="cannot read the definition file"):
        load_definition(tmp_path)
