"""What an id may contain: control characters (C0, DEL, C1, U+2028, U+2029) are found, everything else passes."""

from __future__ import annotations

import numpy as np
import pytest

from answerkey.io.identifiers import NUL, control_character, control_mask, has_control, with_control


@pytest.mark.parametrize("char", ["\x00", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\u2028", "\u2029"])
def test_every_control_character_is_refused_in_an_id(char: str) -> None:
    assert has_control(f"T{char}1")
    assert control_character(f"T{char}1") == f"U+{ord(char):04X} at character 2"


@pytest.mark.parametrize("text", ["T1", "ticket/42", "naïve café", "日本語", "emoji 🎉", "a b", "\u00a0x", "ﬁ"])
def test_printable_text_of_any_script_is_an_id(text: str) -> None:
    assert not has_control(text)
    assert control_character(text) is None


def test_the_mask_marks_only_text_holding_a_control_character() -> None:
    values = np.array(["T1", None, "T\x002", 7, "T3", float("nan"), "a\u2028b"], dtype=object)
    assert control_mask(values).tolist() == [False, False, True, False, False, False, True]
    assert control_mask(np.array(["T1", None], dtype=object)).tolist() == [False, False]


def test_notes_may_hold_line_breaks_and_tabs_but_not_nul() -> None:
    notes = np.array(["line one\nline two\tend", "a\x00b"], dtype=object)
    assert control_mask(notes, NUL).tolist() == [False, True]


def test_what_was_found_quotes_the_value_short_and_names_the_character() -> None:
    found = with_control("x" * 1000 + "\x00")
    assert found.endswith("(a control character, U+0000 at character 1001)")
    assert len(found) < 150
