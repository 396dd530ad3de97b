"""``answerkey datasheet``: a release's datasheet as Markdown and HTML, with the team's own words."""

from __future__ import annotations

from pathlib import Path

from test_consensus_cli import answerkey


def _workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    assert answerkey("init", workspace).returncode == 0
    config = workspace / "answerkey.toml"
    config.write_text(config.read_text().replace('# intended_uses = "What it may be used for."',
                                                 'intended_uses = "Ranking support replies, not refunds."'))
    (workspace / "items.csv").write_text("item_id,segment\n1,smb\n2,smb\n3,enterprise\n4,enterprise\n")
    rows = ["item_id,annotator_id,label,source", "1,a,positive,human", "1,b,positive,human", "2,a,negative,human",
            "2,b,negative,human", "3,a,neutral,human", "3,b,positive,human", "4,a,neutral,human",
            "4,b,neutral,human", "4,e,neutral,expert"]
    (workspace / "labels.csv").write_text("\n".join(rows) + "\n")
    for kind, name in (("items", "items.csv"), ("annotations", "labels.csv")):
        assert answerkey("import", kind, name, cwd=workspace).returncode == 0
    assert answerkey("release", "create", "r1", cwd=workspace).returncode == 0
    return workspace


def test_a_datasheet_answers_each_question_in_markdown_and_html(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    markdown = answerkey("datasheet", "r1", cwd=workspace)
    assert markdown.returncode == 0, markdown.stderr
    text = markdown.stdout
    for title in ("## Motivation", "## Composition", "## Collection and labelling process", "## Agreement",
                  "## Known label issues, leakage and feedback loops", "## Splits and the test ledger",
                  "## Coverage gaps", "## Staleness", "## Intended uses", "## Known limitations"):
        assert title in text
    assert "4 items under schema v1" in text
    assert "Ranking support replies, not refunds." in text
    assert "| krippendorff_alpha |" in text
    assert "Segments with fewer than 30 agreed labels: enterprise (1), smb (2)." in text
    html = tmp_path / "sheet.html"
    assert answerkey("datasheet", "r1", "-o", html, cwd=workspace).returncode == 0
    page = html.read_text()
    assert page.startswith("<!doctype html>")
    assert "<h2>Agreement</h2>" in page
    assert "<svg" in page  # the class balance chart


def test_an_unknown_release_or_format_exits_2(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    missing = answerkey("datasheet", "nope", cwd=workspace)
    assert missing.returncode == 2
    assert "nope" in missing.stderr
    wrong = answerkey("datasheet", "r1", "-o", tmp_path / "sheet.pdf", cwd=workspace)
    assert wrong.returncode == 2
    assert ".md or .html" in wrong.stderr
