"""A whole CSV, JSONL or Parquet file as one DataFrame, with the same errors as the imports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from answerkey.errors import ImportValidationError, RowProblem
from answerkey.io.tabular import open_tabular
from answerkey.io.validation import check_columns

__all__ = ["read_frame"]


def read_frame(path: str | Path, required: Sequence[str] = (), *, purpose: str = "nothing computed",
               text_columns: Sequence[str] = ("item_id",)) -> pd.DataFrame:
    """Read ``path`` (values typed, ids kept as text and refused when nested); missing ``required`` columns or no
    rows are errors."""
    path = Path(path)
    tabular = open_tabular(path, as_strings=False, text_columns=text_columns, scalar_columns=text_columns)
    problems = check_columns(path, tabular.columns, required, (), strict_known=False)
    if problems:
        raise ImportValidationError(problems, consequence=purpose)
    frame = pd.concat([batch.frame for batch in tabular.batches()], ignore_index=True)
    if frame.empty:
        raise ImportValidationError([RowProblem(str(path), None, None, "no rows", "at least one row")],
                                    consequence=purpose)
    return frame
