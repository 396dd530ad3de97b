"""Small helpers the workbench's analysis views share: findings in the one Finding shape, worst first, and
numbers made safe for templates (NaN as None)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from answerkey.findings import Finding, Severity
from answerkey.jsonable import records

__all__ = ["as_findings", "number", "rows", "worst_first"]

SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def as_findings(stored: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Findings from their dict form (``Finding.to_dict``, as runs store them)."""
    return [Finding(str(f["check"]), str(f["what"]), str(f["where"]), Severity(f.get("severity", "warning")),
                    f.get("score"), dict(f.get("evidence") or {})) for f in stored]


def worst_first(findings: Iterable[Finding]) -> list[Finding]:
    """Errors, then warnings, then notes; the highest score first within each."""
    def key(finding: Finding) -> tuple[int, float]:
        score = finding.score if isinstance(finding.score, int | float) and math.isfinite(finding.score) else None
        return SEVERITY_ORDER.get(finding.severity, 3), -(score if score is not None else -math.inf)

    return sorted(findings, key=key)


def number(value: Any) -> float | None:
    """A float for a template, None for a missing or NaN value."""
    if value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts with NaN as None (and timestamps as ISO text)."""
    return records(frame) or []
