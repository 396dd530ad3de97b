"""The one shape every check returns, so the CLI, the report and the web UI show any check alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Finding", "Severity"]


class Severity(StrEnum):
    """How much a finding matters: ``error`` blocks, ``warning`` deserves a look, ``info`` informs."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """What a check found, where, how strongly, and the evidence behind it."""

    check: str
    what: str
    where: str
    severity: Severity = Severity.WARNING
    score: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, for ``--json`` output and the HTTP API."""
        return {
            "check": self.check,
            "what": self.what,
            "where": self.where,
            "severity": self.severity.value,
            "score": self.score,
            "evidence": self.evidence,
        }
