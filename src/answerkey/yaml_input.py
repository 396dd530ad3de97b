"""Reading YAML that people and tools hand us (schemas, label definitions, the context layer, golden sets).

Every YAML file answerkey reads goes through :func:`read_yaml` or :func:`load_yaml`, which refuse what can make
a small file expensive: aliases (``*name``, which let a 1 KB "billion laughs" file expand to gigabytes once
validated or printed), nesting deeper than :data:`MAX_YAML_DEPTH`, and files over :data:`MAX_YAML_BYTES`.
Anchors alone (``&name``) are harmless and accepted. Every refusal is one :class:`ImportValidationError`
naming the file and the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, Event
from yaml.nodes import Node
from yaml.resolver import Resolver

from answerkey.errors import ImportValidationError, RowProblem
from answerkey.excerpt import clip

__all__ = ["MAX_YAML_BYTES", "MAX_YAML_DEPTH", "load_yaml", "read_yaml", "read_yaml_text"]

MAX_YAML_BYTES = 8 << 20
"""The largest YAML file read (8 MiB; a golden set larger than that belongs in JSONL)."""
MAX_YAML_DEPTH = 100
"""The deepest nesting of lists and mappings accepted."""
NO_ALIASES = "YAML without aliases (anchors & and aliases * are not accepted; write the value out)"
CONSEQUENCE = "nothing was read"


class _Refused(yaml.MarkedYAMLError):
    """A document this loader will not build, with what was expected instead."""

    def __init__(self, problem: str, expected: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.expected = expected


class _BoundedComposer(Composer):
    """PyYAML's composer, refusing aliases and nesting deeper than :data:`MAX_YAML_DEPTH`."""

    _depth = 0

    if TYPE_CHECKING:  # given by the parser it is mixed with

        def check_event(self, *choices: Any) -> bool: ...
        def peek_event(self) -> Event: ...

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            alias = clip("*" + str(getattr(event, "anchor", "")), 40)
            raise _Refused(f"an alias ({alias})", NO_ALIASES, event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Refused(f"lists or mappings nested more than {MAX_YAML_DEPTH} deep",
                               f"at most {MAX_YAML_DEPTH} levels of nesting", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _PythonLoader(_BoundedComposer, yaml.SafeLoader):
    """The safe loader in pure Python, with the bounded composer."""


_Loader: Any = _PythonLoader
if yaml.__with_libyaml__:  # libyaml's parser is five to eight times faster; the composing stays ours
    from yaml._yaml import CParser

    class _LibyamlLoader(_BoundedComposer, CParser, SafeConstructor, Resolver):
        """libyaml's parser under the bounded composer and the safe constructor."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _Loader = _LibyamlLoader


def _refuse(source: str, line: int | None, found: str, expected: str) -> ImportValidationError:
    return ImportValidationError([RowProblem(source, line, None, found, expected)], consequence=CONSEQUENCE)


def load_yaml(text: str, source: str) -> Any:
    """The data of one YAML document, built safely; ``source`` names it in errors.

    Raises :class:`ImportValidationError` (file, line, what was found, what was expected) for invalid YAML,
    an alias, nesting deeper than :data:`MAX_YAML_DEPTH` or text over :data:`MAX_YAML_BYTES`.
    """
    if len(text) > MAX_YAML_BYTES:
        raise _refuse(source, None, f"{len(text):,} characters of YAML", f"at most {MAX_YAML_BYTES:,} characters")
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader: SafeLoader's constructor, bounded composer
    except _Refused as error:
        raise _refuse(source, _line(error, text), _found(error), error.expected) from None
    except yaml.YAMLError as error:
        raise _refuse(source, _line(error, text), f"invalid YAML ({_found(error)})", "a valid YAML document") from None
    except (ValueError, OverflowError) as error:  # a scalar YAML resolves but Python cannot build (a 5,000-digit int)
        raise _refuse(source, None, f"a value that cannot be read ({clip(str(error))})",
                      "a valid YAML document") from None
    except RecursionError:
        raise _refuse(source, None, "nesting too deep to read", f"at most {MAX_YAML_DEPTH} levels of nesting") from None


def read_yaml_text(path: Path) -> str:
    """The text of a YAML file, refused when larger than :data:`MAX_YAML_BYTES` (read no further than that).

    ``OSError`` (no such file...) and ``UnicodeDecodeError`` reach the caller, which knows what to say.
    """
    with path.open("rb") as handle:
        data = handle.read(MAX_YAML_BYTES + 1)
    if len(data) > MAX_YAML_BYTES:
        raise _refuse(str(path), None, f"a file of {path.stat().st_size:,} bytes",
                      f"a YAML file of at most {MAX_YAML_BYTES:,} bytes")
    return data.decode("utf-8")


def read_yaml(path: Path) -> Any:
    """The data of a YAML file (see :func:`load_yaml`); bytes that are not UTF-8 are refused too.

    ``OSError`` (no such file...) reaches the caller.
    """
    try:
        text = read_yaml_text(path)
    except UnicodeDecodeError as error:
        raise _refuse(str(path), None, f"bytes that are not UTF-8 (at byte {error.start})", "UTF-8 text") from None
    return load_yaml(text, str(path))


def _line(error: yaml.YAMLError, text: str) -> int | None:
    """The 1-based line of the error (the last line when the parser points past the end of the text)."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return min(int(mark.line) + 1, text.count("\n") + 1) if mark is not None else None


def _found(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = str(getattr(error, "problem", None) or error).splitlines()[0]
    where = f" at column {mark.column + 1}" if mark is not None else ""
    return clip(problem) + where
