"""``release create|list|show|diff|verify`` and ``export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import State, console, print_findings, print_json
from answerkey.project import EXPORT_FORMATS, create_release, diff_releases, export_release, list_releases
from answerkey.project.release_check import verified_release, verify_release

__all__ = ["register"]

release_app = typer.Typer(help="Freeze, list, show and compare ground-truth releases.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    """Add the release and export commands to ``app``."""
    app.add_typer(release_app, name="release")
    app.command("export")(export)


@release_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Release name, e.g. 2026-11.")],
    note: Annotated[str | None, typer.Option(help="Why this release was cut.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Freeze the current ground truth; prints its content hash."""
    state: State = ctx.obj
    release = create_release(state.open(), name, note=note)
    if as_json:
        print_json(release.summary())
        return
    counts = ", ".join(f"{k} {v:,}" for k, v in release.status_counts().items())
    console.print(f"release {release.name}: {release.item_count:,} items ({counts})")
    console.print(release.content_hash)


@release_app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every release, oldest first."""
    state: State = ctx.obj
    rows = list_releases(state.open())
    if as_json:
        print_json(rows)
        return
    table = Table("name", "hash", "schema", "method", "items", "created")
    for row in rows:
        table.add_row(row["name"], row["content_hash"][:16], f"v{row['schema_version']}", row["method"],
                      f"{row['item_count']:,}", str(row["created_at"])[:19])
    console.print(table)


@release_app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Release name.")],
    as_json: JsonOption = False,
) -> None:
    """A release's hash, schema version, method and label counts (refused if it changed since it was cut)."""
    state: State = ctx.obj
    summary = verified_release(state.open(), name).summary()
    if as_json:
        print_json(summary)
        return
    for key in ("name", "content_hash", "items_hash", "schema_version", "method", "items", "created_at", "note"):
        console.print(f"{key:15}{summary[key]}")
    console.print("status         " + ", ".join(f"{k} {v:,}" for k, v in summary["status_counts"].items()))
    for label, count in summary["label_counts"].items():
        console.print(f"  {label:24}{count:,}")


@release_app.command("diff")
def diff(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="Older release.")],
    new: Annotated[str, typer.Argument(help="Newer release.")],
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(help="Changed items to list.")] = 20,
) -> None:
    """Items added, removed and relabeled, and per-label counts."""
    state: State = ctx.obj
    result = diff_releases(state.open(), old, new)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(f"{old} -> {new}: {len(result.added):,} added, {len(result.removed):,} removed, "
                  f"{len(result.changed):,} changed")
    for change in result.changed[:limit]:
        console.print(f"  {change['item_id']}: {change['old_label']} ({change['old_status']}) -> "
                      f"{change['new_label']} ({change['new_status']})")
    table = Table("label", old, new, "change")
    for label, count in result.label_counts.items():
        table.add_row(label, f"{count['old']:,}", f"{count['new']:,}", f"{count['new'] - count['old']:+,}")
    console.print(table)


@release_app.command("verify")
def verify(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Release name.")],
    as_json: JsonOption = False,
) -> None:
    """Recompute the release's hashes from what is stored; exits 1 naming what differs."""
    state: State = ctx.obj
    result = verify_release(state.open(), name)
    if as_json:
        print_json(result.to_dict())
    elif result.ok:
        console.print(f"release {name} verifies: {result.computed_hash}")
        print_findings(result.findings)
    else:
        console.print(f"release {name} does not verify: recorded {result.recorded_hash}, "
                      f"its labels give {result.computed_hash}")
        print_findings(result.findings)
    if not result.ok:
        raise typer.Exit(1)


def export(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Release name.")],
    format: Annotated[str, typer.Option("--format", help=f"One of {', '.join(EXPORT_FORMATS)}.")] = "parquet",
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write.")] = Path("export"),
) -> None:
    """Export a release: labels, items, annotations and schema, re-importable anywhere (refused if it changed
    since it was cut)."""
    state: State = ctx.obj
    for path in export_release(state.open(), name, format, out):
        console.print(str(path))
