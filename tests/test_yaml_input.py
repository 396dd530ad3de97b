"""Reading YAML safely: aliases, deep nesting and oversized files are refused in one line naming file and line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from answerkey import yaml_input
from answerkey.errors import AnswerkeyError, ImportValidationError
from answerkey.yaml_input import MAX_YAML_BYTES, MAX_YAML_DEPTH, load_yaml, read_yaml


def billion_laughs(levels: int = 9) -> str:
    """The classic alias bomb: under 1 KB of YAML that expands to 9**levels strings."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.fixture(params=["libyaml", "python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each parser the reader can run on: libyaml when installed, and the pure-Python fallback."""
    if request.param == "python":
        monkeypatch.setattr(yaml_input, "_Loader", yaml_input._PythonLoader)
    elif not yaml_input.yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")
    return request.param


def refusal(text: str, source: str = "x.yaml") -> ImportValidationError:
    with pytest.raises(ImportValidationError) as caught:
        load_yaml(text, source)
    return caught.value


def test_a_billion_laughs_alias_bomb_is_refused_at_once_naming_file_and_line(loader: str) -> None:
    started = time.perf_counter()
    error = refusal(billion_laughs(), "context/tables/x.yaml")
    assert time.perf_counter() - started < 1
    message = str(error)
    assert message.startswith("context/tables/x.yaml:2: found an alias (*a0)")
    assert "aliases * are not accepted" in message
    assert "\n" not in message
    assert len(message) < 300


def test_a_merge_key_alias_is_refused_too(loader: str) -> None:
    error = refusal("base: &b {x: 1}\nchild:\n  <<: *b\n")
    assert str(error.problems[0]).startswith("x.yaml:3: found an alias (*b)")


def test_an_anchor_without_an_alias_is_read(loader: str) -> None:
    assert load_yaml("a: &x 1\nb: [2, 3]\n", "x.yaml") == {"a": 1, "b": [2, 3]}


def test_nesting_deeper_than_the_limit_is_refused_without_a_recursion_error(loader: str) -> None:
    deep = "a: " + "[" * 200_000 + "]" * 200_000
    error = refusal(deep)
    assert error.problems[0].row == 1
    assert "nest" in str(error)
    assert "\n" not in str(error)


def test_nesting_up_to_the_limit_is_read_and_one_level_more_is_not(loader: str) -> None:
    lists = MAX_YAML_DEPTH - 1  # inside the top-level mapping
    data = load_yaml("a: " + "[" * lists + "]" * lists, "x.yaml")["a"]
    for _ in range(lists - 1):
        data = data[0]
    assert data == []
    error = refusal("a: " + "[" * (lists + 1) + "]" * (lists + 1))
    assert f"more than {MAX_YAML_DEPTH} deep" in error.problems[0].found


@pytest.mark.parametrize(("text", "found"), [
    pytest.param("name: [unclosed\nversion: 1\n", "x.yaml:2: found invalid YAML", id="syntax"),
    pytest.param("a: " + "9" * 5000, "x.yaml: found a value that cannot be read", id="5000-digit-int"),
    pytest.param("a: 2026-13-45", "x.yaml: found a value that cannot be read", id="impossible-date"),
    pytest.param("a: !!python/object:os.system x", "x.yaml:1: found invalid YAML", id="python-tag"),
])
def test_yaml_that_cannot_be_read_is_one_line_naming_the_file(loader: str, text: str, found: str) -> None:
    message = str(refusal(text))
    assert message.startswith(found)
    assert "\n" not in message
    assert len(message) < 300


def test_text_over_the_size_limit_is_refused_before_parsing() -> None:
    error = refusal("#" * (MAX_YAML_BYTES + 1))
    assert "at most" in error.problems[0].expected


def test_a_file_over_the_size_limit_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_YAML_BYTES * 4)
    with pytest.raises(ImportValidationError, match=r"big\.yaml: found a file of 33,554,432 bytes"):
        read_yaml(path)


def test_a_file_that_is_not_utf8_is_refused_naming_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ImportValidationError, match=r"latin1\.yaml: found bytes that are not UTF-8 \(at byte 9\)"):
        read_yaml(path)


def test_every_refusal_is_an_answerkey_error_and_a_value_error() -> None:
    error = refusal(billion_laughs())
    assert isinstance(error, AnswerkeyError)
    assert isinstance(error, ValueError)


def test_no_module_reads_yaml_around_the_bounded_reader() -> None:
    source = Path(yaml_input.__file__).parent
    offenders = [str(path.relative_to(source)) for path in source.rglob("*.py") if path.name != "yaml_input.py"
                 and any(call in path.read_text(encoding="utf-8")
                         for call in ("yaml.safe_load", "yaml.load(", "yaml.full_load", "yaml.unsafe_load"))]
    assert offenders == []
