"""The workspace report: sections from a registry, rendered to one self-contained HTML file."""

from answerkey.report import (  # noqa: F401  (registers sections)
    analytics_section,
    labels_section,
    monitor_section,
    quality_sections,
    trust_sections,
)
from answerkey.report.html import render_report
from answerkey.report.sections import SECTIONS, ReportSection, register_section

__all__ = ["SECTIONS", "ReportSection", "register_section", "render_report"]
