"""Derived sources against people in a workspace: which items they label, measured on the items' features."""

from __future__ import annotations

from pathlib import Path

from answerkey.project.imports import import_annotations, import_items
from answerkey.project.sources import feature_gaps
from answerkey.project.workspace import Workspace
from conftest import write_text


def test_a_rule_that_fires_only_on_long_texts_shows_a_shifted_text_length(workspace: Workspace,
                                                                           tmp_path: Path) -> None:
    texts = [("short" if i % 2 else "a much longer ticket text " * 4) + f" {i}" for i in range(2000)]
    lines = ["item_id,text,score", *(f"T{i},{t},{i % 7}" for i, t in enumerate(texts))]
    import_items(workspace, write_text(tmp_path / "items.csv", "\n".join(lines) + "\n"))
    labels = ["item_id,annotator_id,label,source", *(f"T{i},ana,billing,human" for i in range(2000)),
              *(f"T{i},rule:long,technical,synthetic" for i in range(0, 2000, 2))]
    import_annotations(workspace, write_text(tmp_path / "labels.csv", "\n".join(labels) + "\n"))
    gaps = feature_gaps(workspace).set_index("feature")
    assert set(gaps.index) == {"text_length", "score"}
    assert bool(gaps.loc["text_length", "drifted"])
    assert not bool(gaps.loc["score", "drifted"])
    assert gaps.loc["text_length", "n_source"] == 1000
