"""``answerkey agreement``: how far annotators agree, on the workspace or on any long-format file."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import State, console, print_json
from answerkey.quality.agreement import LEVELS, AgreementReport, UndefinedAgreementWarning

__all__ = ["register"]

NAMES = {
    "percent_agreement": "percent agreement",
    "krippendorff_alpha": "Krippendorff's alpha",
    "fleiss_kappa": "Fleiss' kappa",
    "gwet_ac1": "Gwet's AC1",
    "gwet_ac2": "Gwet's AC2 (quadratic)",
    "brennan_prediger": "Brennan-Prediger",
    "cohen_kappa": "Cohen's kappa",
    "cohen_kappa_quadratic": "Cohen's kappa (quadratic)",
}


def register(app: typer.Typer) -> None:
    """Add the agreement command to ``app``."""
    app.command("agreement")(agreement_command)


def agreement_command(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="A long-format file; default: the workspace's annotations.")]
    = None,
    level: Annotated[str | None, typer.Option(
        help=f"Scale of the labels: {', '.join(LEVELS)} (masi and jaccard for multi-label sets like a|b). "
        "Default: masi when the workspace's schema is multi_label, else nominal.")] = None,
    order: Annotated[str | None, typer.Option(help="Label order for ordinal levels, e.g. low,mid,high.")] = None,
    ci: Annotated[float | None, typer.Option(help="Bootstrap confidence level over items, e.g. 0.95.")] = None,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    schema_version: Annotated[int | None, typer.Option(help="Workspace annotations of this schema version.")]
    = None,
    sources: Annotated[str, typer.Option(help="Workspace sources whose annotators are compared.")] = "human,expert",
    by: Annotated[str | None, typer.Option(
        help="Break down by label, annotator, pairs, segment, month or schema_version.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Inter-annotator agreement: percent agreement, Krippendorff's alpha, Fleiss, Gwet, Cohen (two annotators)."""
    from answerkey.project.agreement import file_agreement, workspace_agreement

    state: State = ctx.obj
    labels = order.split(",") if order else None
    scale = _default_level(state, file) if level is None else level
    if by is not None:
        _breakdown(state, file, by, scale, labels, schema_version, sources.split(","), as_json)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UndefinedAgreementWarning)
        if file is not None:
            report = file_agreement(file, scale, labels, ci=ci, n_boot=n_boot, seed=seed)
        else:
            report = workspace_agreement(state.open(), scale, labels, schema_version=schema_version,
                                         sources=sources.split(","), ci=ci, n_boot=n_boot, seed=seed)
    notes = sorted({str(w.message) for w in caught})
    if as_json:
        print_json({**report.to_dict(), "warnings": notes})
        return
    _print(report, notes)


def _default_level(state: State, file: Path | None) -> str:
    """masi for a workspace whose schema is multi-label (judgements are label sets), else nominal; a file,
    which carries no schema, is nominal unless --level says otherwise."""
    from answerkey.project.agreement import default_level

    return "nominal" if file is not None else default_level(state.open())


def _breakdown(state: State, file: Path | None, by: str, level: str, labels: list[str] | None,
               schema_version: int | None, sources: list[str], as_json: bool) -> None:
    from answerkey.project.agreement import (
        breakdown,
        read_judgements,
        version_breakdown,
        workspace_groups,
        workspace_judgements,
    )

    if file is not None:
        table_frame = breakdown(read_judgements(file), by, None, level, labels)
    elif by == "schema_version":
        table_frame = version_breakdown(state.open(), sources, level, labels)
    else:
        workspace = state.open()
        groups = workspace_groups(workspace, by) if by in ("segment", "month") else None
        table_frame = breakdown(workspace_judgements(workspace, schema_version, sources), by, groups, level, labels)
    records = table_frame.astype(object).where(table_frame.notna(), None).to_dict("records")
    if as_json:
        print_json(records)
        return
    table = Table(*map(str, table_frame.columns))
    for record in records:
        table.add_row(*("-" if v is None else f"{v:.4f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int)
                        else str(v) for v in record.values()))
    console.print(table)


def _print(report: AgreementReport, notes: list[str]) -> None:
    console.print(f"{report.n_items:,} items, {report.n_annotators} annotators, {report.n_judgements:,} judgements "
                  f"({report.level} level)")
    table = Table("coefficient", "value", *(["interval"] if report.ci else []), "items", "pairable")
    for name, estimate in report.estimates.items():
        interval = ([f"[{estimate.ci_low:.3f}, {estimate.ci_high:.3f}]"] if report.ci and estimate.ci_low is not None
                    else [])
        table.add_row(_name(report, name), f"{estimate.value:.4f}", *interval, f"{estimate.n_items:,}",
                      f"{estimate.n_pairable:,}")
    console.print(table)
    for note in notes:
        console.print(f"[yellow]note[/]: {note}")


def _name(report: AgreementReport, name: str) -> str:
    """The coefficient's display name; for label sets, which of them give partial credit and which need the exact
    same set."""
    shown = NAMES.get(name, name)
    if not report.set_valued:
        return shown
    if name == "krippendorff_alpha":
        return f"{shown} ({'MASI' if report.level == 'masi' else 'Jaccard'})"
    return f"{shown} (exact set)"
