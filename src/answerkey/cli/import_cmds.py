"""``import items``, ``import annotations`` and ``import label-studio``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from answerkey.cli.common import State, console, print_json, progress_bar
from answerkey.project import ImportResult, import_annotations, import_items, import_label_studio

__all__ = ["register"]

import_app = typer.Typer(help="Import items and annotations; each file is one transaction.", no_args_is_help=True)

FormatOption = Annotated[str | None, typer.Option("--format", help="csv, jsonl or parquet (default: by ending).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    """Add the import commands to ``app``."""
    app.add_typer(import_app, name="import")


def _report(result: ImportResult, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
        return
    what = "items" if result.kind == "items" else "annotations"
    console.print(f"{result.file}: read {result.rows_read:,} rows, added {result.rows_added:,} {what}"
                  + (f", {result.duplicates:,} already in the store" if result.duplicates else ""))
    if result.kind == "label-studio":
        console.print(f"  items added {result.items_added:,}; skipped {result.skipped.get('cancelled', 0)} "
                      f"cancelled and {result.skipped.get('empty', 0)} empty annotations")
    if result.schema_registered is not None:
        console.print(f"  registered schema version {result.schema_registered}")
    if result.ignored_columns:
        console.print(f"  [yellow]ignored columns[/]: {', '.join(result.ignored_columns)}")


@import_app.command("items")
def items_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV, JSONL or Parquet: item_id plus payload columns.")],
    format: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add items: item_id, payload columns, optional group_id, segment, created_at."""
    state: State = ctx.obj
    workspace = state.open()
    with progress_bar(f"importing {file.name}", not as_json) as on_progress:
        result = import_items(workspace, file, format=format, on_progress=on_progress)
    _report(result, as_json)


@import_app.command("annotations")
def annotations_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV, JSONL or Parquet, one judgement a row.")],
    format: FormatOption = None,
    source: Annotated[str, typer.Option(help="Source for rows without one.")] = "human",
    as_json: JsonOption = False,
) -> None:
    """Append annotations: item_id, annotator_id, label; optional created_at, source, schema_version, confidence,
    note."""
    state: State = ctx.obj
    workspace = state.open()
    with progress_bar(f"importing {file.name}", not as_json) as on_progress:
        result = import_annotations(workspace, file, format=format, default_source=source, on_progress=on_progress)
    _report(result, as_json)


@import_app.command("label-studio")
def label_studio(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A Label Studio JSON export.")],
    item_id_field: Annotated[str | None, typer.Option(help="Task data field holding the item id.")] = None,
    from_name: Annotated[str | None, typer.Option(help="The choices control to read, when there are several.")] = None,
    include_predictions: Annotated[bool, typer.Option(help="Import predictions as source 'model'.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Import a Label Studio export of a choices task with several annotators."""
    state: State = ctx.obj
    result = import_label_studio(state.open(), file, item_id_field=item_id_field, from_name=from_name,
                                 include_predictions=include_predictions)
    _report(result, as_json)
