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

    def sections_html(self) -> str:
        """The sections as HTML fragments (no page around them), for embedding in another page. A section with
        a table or a chart, after the first such, is ``class="major"``: the print style starts it on a new page."""
        body, seen = [], False
        for section in self.sections:
            weighty = bool(section.tables or section.charts)
            opening = '<section class="major">' if weighty and seen else "<section>"
            seen = seen or weighty
            body.append(f"{opening}<h2>{escape(section.title)}</h2>")
            body += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
            for table in section.tables:
                head = "".join(f"<th>{_cell(h)}</th>" for h in table.headers)
                rows = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>"
                               for row in table.rows)
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            body += [f"<figure>{chart}</figure>" for chart in section.charts]
            body.append("</section>")
        return "".join(body)

    def to_html(self) -> str:
        """One self-contained page, ready to print or save as PDF: A4 pages with margins, the weighty sections
        starting on a new page, tables and charts kept whole where they fit, table headers repeated
        when a long table must break."""
        return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                f"<title>{escape(self.title)}</title><style>{_STYLE}{_PRINT_STYLE}</style></head><body>"
                f"<h1>{escape(self.title)}</h1>" + self.sections_html() + "</body></html>")


def _cell(value: object) -> str:
    """A table cell's text, escaped, that may wrap after an underscore (``billing_question``), so a wide table
    of label names still fits an A4 page."""
    return escape(str(value)).replace("_", "_<wbr>")


def _md(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


_STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
          "table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
          "text-align:left}th{background:#f3f3f3}h2{border-bottom:1px solid #ddd;margin-top:2rem}"
          "td,th{vertical-align:top;overflow-wrap:break-word}figure{margin:1rem 0}")
_PRINT_STYLE = ("@page{size:A4;margin:18mm 16mm 20mm}"
                "@media print{body{max-width:none;margin:0;padding:0;font-size:10.5pt;line-height:1.4}"
                "h1{font-size:18pt;margin:0 0 8mm}h2{font-size:13pt;margin-top:0;break-after:avoid}"
                "section{margin-bottom:6mm}section.major{break-before:page}"
                "table{width:100%;font-size:9pt;break-inside:auto}td,th{padding:1mm 1.5mm}"
                "thead{display:table-header-group}"
                "tr,td,th,figure,svg,p{break-inside:avoid}th{-webkit-print-color-adjust:exact;"
                "print-color-adjust:exact}p{orphans:3;widows:3}a{color:inherit;text-decoration:none}}")
