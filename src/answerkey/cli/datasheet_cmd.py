"""``answerkey datasheet``: a release's datasheet (Gebru et al.) as Markdown or one HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from answerkey.cli.common import State, console

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the datasheet command to ``app``."""
    app.command("datasheet")(datasheet_command)


def datasheet_command(
    ctx: typer.Context,
    release: Annotated[str, typer.Argument(help="The release's name.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE: .html, or .md "
                                                                        "(default: Markdown on stdout).")] = None,
) -> None:
    """Where a release's labels came from, how far people agree, what is known to be wrong, and its gaps."""
    from answerkey.errors import ParameterError
    from answerkey.project.datasheet import build_datasheet

    state: State = ctx.obj
    if output is not None and output.suffix.lower() not in (".md", ".html", ".htm"):
        raise ParameterError.invalid("--output", "a .md or .html file", str(output))
    sheet = build_datasheet(state.open(), release)
    if output is None:
        typer.echo(sheet.to_markdown())
        return
    text = sheet.to_markdown() if output.suffix.lower() == ".md" else sheet.to_html()
    output.write_text(text, encoding="utf-8")
    console.print(f"datasheet of {release}  {output}")
