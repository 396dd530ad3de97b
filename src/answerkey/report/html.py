"""Rendering the registered sections into one self-contained ``report.html``."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path

from answerkey.project import Workspace
from answerkey.report.sections import SECTIONS

__all__ = ["render_report"]

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.8em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;
vertical-align:top}th{background:#f5f5f5}.chart{display:block;margin:1em 0;font-size:12px}
.chart .title{font-weight:600}.tick{font-size:10px;fill:#555}footer{margin-top:3em;color:#777;font-size:12px}
"""


def render_report(workspace: Workspace, path: str | Path | None = None) -> Path:
    """Write the report (default ``report.html`` in the workspace) and return its path."""
    target = Path(path) if path else workspace.root / "report.html"
    parts = []
    for section in SECTIONS:
        parts.append(f'<section id="{section.key}"><h2>{escape(section.title)}</h2>{section.render(workspace)}'
                     "</section>")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    html = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(workspace.config.name)} — "
        f"answerkey report</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(workspace.config.name)}: ground-truth report</h1>{''.join(parts)}"
        f"<footer>answerkey report, generated {stamp}</footer></body></html>"
    )
    target.write_text(html, encoding="utf-8")
    return target
