"""``answerkey metrics query``: the context layer's metrics computed on a warehouse, as ``mf query`` does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from answerkey.cli.common import State, console, print_json

__all__ = ["register"]

metrics_app = typer.Typer(help="Metrics of the context layer, computed as the semantic layer means them.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the metrics commands to ``app``."""
    app.add_typer(metrics_app, name="metrics")


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in (value or "").split(",") if n.strip())


@metrics_app.command("query")
def query_command(
    ctx: typer.Context,
    metrics: Annotated[str, typer.Option("--metrics", help="Metric names, comma-separated.")],
    group_by: Annotated[str | None, typer.Option("--group-by", help="metric_time__day|week|month|quarter|year, "
                                                 "entities and entity__dimension names, comma-separated.")] = None,
    where: Annotated[list[str] | None, typer.Option("--where", help="A filter such as \"{{ Dimension('customer__"
                                                    "region') }} = 'east'\" (repeatable; all must hold).")] = None,
    order_by: Annotated[str | None, typer.Option("--order-by", help="Columns to order by, comma-separated; "
                                                 "-name for descending (default: the group-by).")] = None,
    limit: Annotated[int | None, typer.Option(min=0, help="At most this many rows.")] = None,
    warehouse: Annotated[str | None, typer.Option(help="duckdb:///path.duckdb or a SQLAlchemy URL (not needed "
                                                  "with --sql).")] = None,
    context: Annotated[Path | None, typer.Option("--context", help="The context folder (default: the workspace's "
                                                 "context/).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"columns": [...], "rows": [[...]]}.')] = False,
    as_sql: Annotated[bool, typer.Option("--sql", help="Print the compiled SQL instead of running it.")] = False,
) -> None:
    """Compile metrics to one SQL statement for the warehouse's dialect and run it (or print it with --sql)."""
    from answerkey.analytics.context import load_context
    from answerkey.analytics.metric_compile import MetricQuery, compile_metric_query
    from answerkey.analytics.metric_query import query_metrics
    from answerkey.analytics.warehouse import open_warehouse
    from answerkey.errors import ParameterError
    from answerkey.jsonable import plain

    state: State = ctx.obj
    folder = context if context is not None else state.open().root / "context"
    layer = load_context(folder)
    query = MetricQuery(_names(metrics), _names(group_by), tuple(where or ()), _names(order_by), limit)
    if as_sql:
        dialect = open_warehouse(warehouse).dialect if warehouse else "duckdb"
        print(compile_metric_query(layer, query, dialect))
        return
    if warehouse is None:
        raise ParameterError.invalid("--warehouse", "a warehouse URL (or use --sql to print the SQL only)", None)
    opened = open_warehouse(warehouse)
    try:
        result = query_metrics(layer, query, opened)
    finally:
        opened.close_all()
    rows = [[plain(v) for v in row] for row in result.rows]
    if as_json:
        print_json({"columns": result.columns, "rows": rows})
        return
    table = Table(*result.columns)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
    console.print(f"{len(rows)} row(s)")
