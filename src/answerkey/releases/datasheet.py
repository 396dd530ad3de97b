"""A datasheet for a release, after "Datasheets for Datasets" (Gebru et al., 2021): titled sections of
paragraphs and tables, rendered to Markdown or to one self-contained HTML page. The content is gathered by
:func:`answerkey.project.datasheet.build_datasheet`; this module only holds and renders it.

Reference: Gebru, T. et al. (2021). Datasheets for datasets. Communications of the ACM 64(12), 86-92.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

__all__ = ["Datasheet", "DatasheetSection", "DatasheetTable"]


@dataclass(frozen=True)
class DatasheetTable:
    """A table: headers and rows of printable cells."""

    headers: Sequence[str]
    rows: Sequence[Sequence[object]]


@dataclass
class DatasheetSection:
    """One question of the datasheet with its answer: paragraphs, then tables (and HTML charts, HTML only)."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[DatasheetTable] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)


@dataclass
class Datasheet:
    """The datasheet of one release."""

    title: str
    sections: list[DatasheetSection]

    def section(self, title: str) -> DatasheetSection:
        return next(s for s in self.sections if s.title == title)

    def to_markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        for section in self.sections:
            lines += [f"## {section.title}", ""]
            for paragraph in section.paragraphs:
                lines += [paragraph, ""]
            for table in section.tables:
                lines.append("| " + " | ".join(_md(h) for h in table.headers) + " |")
                lines.append("| " + " | ".join("---" for _ in table.headers) + " |")
                lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in table.rows]
                lines.append("")
        return "\n".join(lines)

    def to_html(self) -> str:
        body = [f"<h1>{escape(self.title)}</h1>"]
        for section in self.sections:
            body.append(f"<section><h2>{escape(section.title)}</h2>")
            body += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
            for table in section.tables:
                head = "".join(f"<th>{escape(str(h))}</th>" for h in table.headers)
                rows = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
                               for row in table.rows)
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            body += section.charts
            body.append("</section>")
        return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                f"<title>{escape(self.title)}</title><style>{_STYLE}</style></head><body>"
                + "".join(body) + "</body></html>")


def _md(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


_STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
          "table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
          "text-align:left}th{background:#f3f3f3}h2{border-bottom:1px solid #ddd;margin-top:2rem}")
