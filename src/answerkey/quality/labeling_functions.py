"""Labeling functions: rules that vote a label for an item or abstain, measured and combined into ground truth.

A rules file is plain Python. Its labeling functions are the module-level callables named ``lf_*`` and those
decorated with :func:`labeling_function`; each takes one item as a dict (``item_id``, the payload fields
flattened to the top level, ``segment``...) and returns a label string, or :data:`ABSTAIN` (``None``). A
module-level dict ``SQL`` adds functions written as SQL expressions over the same columns, evaluated with
DuckDB, NULL abstaining::

    from answerkey.quality.labeling_functions import ABSTAIN, labeling_function

    def lf_refund(item):
        return "billing" if "refund" in item["text"] else ABSTAIN

    @labeling_function(name="crash")
    def mentions_crash(item):
        return "technical" if "crash" in item["text"] else ABSTAIN

    SQL = {"lf_invoice": "CASE WHEN text LIKE '%invoice%' THEN 'billing' END"}

Their votes form a long table (``item_id``, ``function``, ``label``: one vote a row, abstains left out) that
:func:`analyse_labeling_functions` measures the way Snorkel's ``LFAnalysis`` does (coverage, overlap,
conflict, polarity, empirical accuracy against trusted labels) and :func:`combine_labeling_functions` turns
into one label per item with the project's consensus methods, each function one annotator.

References
----------
Ratner, A., Bach, S. H., Ehrenberg, H., Fries, J., Wu, S., & Ré, C. (2017). Snorkel: Rapid training data
creation with weak supervision. Proceedings of the VLDB Endowment, 11(3), 269-282.

Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. Journal of the
American Statistical Association, 22(158), 209-212.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import sys
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar, overload

import numpy as np
import pandas as pd

from answerkey.errors import AnswerkeyError, ParameterError
from answerkey.intervals import wilson_interval
from answerkey.quality.aggregation.consensus import consensus

__all__ = [
    "ABSTAIN",
    "ANALYSIS_COLUMNS",
    "VOTE_COLUMNS",
    "LabelingFunction",
    "LabelingFunctionError",
    "LabelingFunctionSummary",
    "analyse_labeling_functions",
    "apply_labeling_functions",
    "combine_labeling_functions",
    "labeling_function",
    "load_labeling_functions",
    "summarise_labeling_functions",
    "votes_as_annotations",
]

ABSTAIN: Final = None
"""What a labeling function returns when it has no opinion on an item."""

VOTE_COLUMNS = ("item_id", "function", "label")
ANALYSIS_COLUMNS = ("function", "polarity", "n_votes", "coverage", "overlap", "conflict",
                    "n_trusted", "accuracy", "accuracy_low", "accuracy_high")
MARK = "__answerkey_labeling_function__"
"""The attribute :func:`labeling_function` sets: the function's name in the votes."""

F = TypeVar("F", bound=Callable[..., Any])


class LabelingFunctionError(AnswerkeyError, ValueError):
    """A rules file that cannot be loaded, or a labeling function that failed on an item.

    ``file``, ``function`` and ``item_id`` say where (the latter two None when they do not apply).
    """

    def __init__(self, file: str, problem: str, function: str | None = None, item_id: Any = None) -> None:
        self.file, self.problem, self.function, self.item_id = file, problem, function, item_id
        where = file if function is None else f"{file}: labeling function {function!r}"
        if item_id is not None:
            where += f" on item {item_id!r}"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class LabelingFunction:
    """One labeling function: a Python callable (``function``) or an SQL expression (``sql``), never both."""

    name: str
    function: Callable[[dict[str, Any]], object] | None = None
    sql: str | None = None
    source: str = "<memory>"

    def __post_init__(self) -> None:
        if (self.function is None) == (self.sql is None):
            raise ParameterError.invalid("LabelingFunction", "given exactly one of function and sql",
                                         f"function={self.function!r}, sql={self.sql!r}")

    @property
    def kind(self) -> str:
        """``python`` or ``sql``."""
        return "python" if self.function is not None else "sql"


@dataclass(frozen=True, slots=True)
class LabelingFunctionSummary:
    """All functions together: shares of items with a vote, with two or more, and with conflicting votes."""

    n_items: int
    n_functions: int
    n_votes: int
    coverage: float
    overlap: float
    conflict: float


@overload
def labeling_function(name: F) -> F: ...
@overload
def labeling_function(name: str | None = None) -> Callable[[F], F]: ...
def labeling_function(name: str | F | None = None) -> F | Callable[[F], F]:
    """Mark a function of a rules file as a labeling function, named ``name`` (default: its own name).

    Works with and without parentheses: ``@labeling_function``, ``@labeling_function(name="refund")``.
    """
    if callable(name):
        return labeling_function(None)(name)
    if name is not None and (not isinstance(name, str) or not name):
        raise ParameterError.invalid("name", "a non-empty string or None", name)

    def mark(function: F) -> F:
        setattr(function, MARK, name or function.__name__)
        return function

    return mark


def load_labeling_functions(path: str | Path) -> list[LabelingFunction]:
    """The labeling functions of a rules file: Python ones in definition order, then the ``SQL`` dict's.

    Raises :class:`LabelingFunctionError` naming the file when it is missing, fails to import, defines no
    labeling function, or gives two the same name.
    """
    file = str(path)
    location = Path(path)
    if not location.is_file():
        raise LabelingFunctionError(file, "no such file; give the path of a Python file of labeling functions")
    module = _import(location, file)
    found: dict[str, LabelingFunction] = {}

    def add(function: LabelingFunction) -> None:
        if function.name in found:
            raise LabelingFunctionError(file, f"two labeling functions are named {function.name!r}; rename one")
        found[function.name] = function

    seen: set[int] = set()
    for attribute, value in vars(module).items():
        if not callable(value) or id(value) in seen:
            continue
        mark = getattr(value, MARK, None)
        if isinstance(mark, str) or attribute.startswith("lf_"):
            seen.add(id(value))
            add(LabelingFunction(mark if isinstance(mark, str) else attribute, function=value, source=file))
    sql = getattr(module, "SQL", None)
    if sql is not None:
        if not isinstance(sql, Mapping):
            raise LabelingFunctionError(file, f"SQL must be a dict of function name to SQL expression; "
                                              f"got {type(sql).__name__}")
        for name, expression in sql.items():
            if not isinstance(name, str) or not isinstance(expression, str) or not expression.strip():
                raise LabelingFunctionError(file, f"SQL must map names to SQL expressions; got {expression!r}",
                                            str(name))
            add(LabelingFunction(name, sql=expression, source=file))
    if not found:
        raise LabelingFunctionError(file, "defines no labeling function: name them lf_*, decorate them with "
                                          "@labeling_function, or give a dict SQL of name to SQL expression")
    return list(found.values())


def apply_labeling_functions(functions: Sequence[LabelingFunction], items: pd.DataFrame) -> pd.DataFrame:
    """The votes of every function on every item: ``item_id``, ``function``, ``label``, abstains left out.

    ``items`` has one row per ``item_id``; a ``payload`` column of dicts (as the store returns items) is
    flattened into columns first, the item's own columns winning a name clash, and missing values reach
    Python functions as None. ``function`` is categorical over all function names in order, so a function
    that never votes still has a row in :func:`analyse_labeling_functions`. Rows are ordered by function,
    then item.

    Raises :class:`LabelingFunctionError` naming the file, the function and the item when a function raises
    or returns something other than a non-empty string or None.
    """
    names = [function.name for function in functions]
    if len(set(names)) < len(names):
        raise ParameterError.invalid("functions", "functions with distinct names", names)
    table = _flat_items(items)
    ids = table["item_id"].tolist()
    records: list[dict[str, Any]] = []
    if any(function.kind == "python" for function in functions):
        records = [{str(key): None if _missing(value) else value for key, value in row.items()}
                   for row in table.to_dict("records")]
    sql_votes = _sql_votes([f for f in functions if f.kind == "sql"], table, ids)
    rows: list[tuple[Any, str, str]] = []
    for function in functions:
        votes = sql_votes[function.name] if function.kind == "sql" else _python_votes(function, records, ids)
        rows.extend((item_id, function.name, label) for item_id, label in votes)
    frame = pd.DataFrame(rows, columns=list(VOTE_COLUMNS))
    frame["function"] = pd.Categorical(frame["function"], categories=names)
    frame["label"] = frame["label"].astype(object)
    return frame


def analyse_labeling_functions(
    votes: pd.DataFrame, trusted: pd.DataFrame | None = None, n_items: int | None = None, *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per labeling function: what it votes, how often, with whom it agrees, how often it is right.

    Parameters
    ----------
    votes : DataFrame
        ``item_id``, ``function``, ``label``, one vote per item and function (:func:`apply_labeling_functions`).
        A categorical ``function`` column lists functions with no vote too.
    trusted : DataFrame, optional
        ``item_id``, ``label``: expert or adjudicated labels, one per item, that accuracy is measured against.
    n_items : int, optional
        How many items the functions were applied to. Without it the denominator is the items with a vote,
        which overstates coverage: pass it whenever some items may have had no vote.
    confidence : float
        Level of the accuracy interval.

    Returns
    -------
    DataFrame
        ``function``; ``polarity`` (tuple of the labels it emits, sorted); ``n_votes``; ``coverage`` (share
        of items it votes on); ``overlap`` (share of items it votes on that another function votes on too);
        ``conflict`` (share of items it votes on where another function votes a different label);
        ``n_trusted`` (its votes on items with a trusted label); ``accuracy`` (share of those that match,
        NaN without any) with its Wilson interval ``accuracy_low``, ``accuracy_high``.

    References
    ----------
    Snorkel's ``LFAnalysis``: ``lf_coverages``, ``lf_overlaps``, ``lf_conflicts``, ``lf_polarities`` and
    ``lf_empirical_accuracies``.

    Examples
    --------
    >>> votes = pd.DataFrame({"item_id": ["a", "a", "b"], "function": ["lf_x", "lf_y", "lf_x"],
    ...                       "label": ["spam", "ham", "spam"]})
    >>> table = analyse_labeling_functions(votes, n_items=4)
    >>> table["coverage"].tolist(), table["conflict"].tolist()
    ([0.5, 0.25], [0.25, 0.25])
    """
    if not 0 < confidence < 1:
        raise ParameterError.invalid("confidence", "a number between 0 and 1", confidence)
    frame, names = _checked_votes(votes)
    total = _n_items(frame, n_items)
    per_item = frame.groupby("item_id", sort=False)["label"].agg(n="size", distinct="nunique")
    frame = frame.join(per_item, on="item_id")
    truth = _trusted_labels(trusted).reindex(frame["item_id"]).to_numpy()
    frame["overlaps"] = frame["n"] >= 2
    frame["conflicts"] = frame["distinct"] >= 2
    frame["trusted"] = pd.notna(truth)
    frame["correct"] = frame["trusted"] & (frame["label"].to_numpy() == truth)
    counts = frame.groupby("function", sort=False).agg(
        n_votes=("label", "size"), n_overlap=("overlaps", "sum"), n_conflict=("conflicts", "sum"),
        n_trusted=("trusted", "sum"), n_correct=("correct", "sum"),
    ).reindex(names, fill_value=0).astype("int64")
    emitted = {str(name): tuple(sorted(set(group))) for name, group in frame.groupby("function")["label"]}
    denominator = _denominator(total)
    n_trusted = counts["n_trusted"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        accuracy = np.where(n_trusted > 0, counts["n_correct"].to_numpy() / n_trusted, np.nan)
    low, high = wilson_interval(counts["n_correct"].to_numpy(), n_trusted, confidence)
    return pd.DataFrame({
        "function": names,
        "polarity": [emitted.get(name, ()) for name in names],
        "n_votes": counts["n_votes"].to_numpy(),
        "coverage": counts["n_votes"].to_numpy() / denominator,
        "overlap": counts["n_overlap"].to_numpy() / denominator,
        "conflict": counts["n_conflict"].to_numpy() / denominator,
        "n_trusted": n_trusted,
        "accuracy": accuracy,
        "accuracy_low": low,
        "accuracy_high": high,
    }, columns=list(ANALYSIS_COLUMNS))


def summarise_labeling_functions(votes: pd.DataFrame, n_items: int | None = None) -> LabelingFunctionSummary:
    """Over all items: the share with any vote (coverage), with two or more votes (overlap) and with two or
    more different labels (conflict), Snorkel's ``label_coverage``, ``label_overlap`` and ``label_conflict``.

    >>> votes = pd.DataFrame({"item_id": ["a", "a", "b"], "function": ["lf_x", "lf_y", "lf_x"],
    ...                       "label": ["spam", "ham", "spam"]})
    >>> summary = summarise_labeling_functions(votes, n_items=4)
    >>> summary.coverage, summary.overlap, summary.conflict
    (0.5, 0.25, 0.25)
    """
    frame, names = _checked_votes(votes)
    total = _n_items(frame, n_items)
    per_item = frame.groupby("item_id", sort=False)["label"].agg(n="size", distinct="nunique")
    denominator = _denominator(total)
    return LabelingFunctionSummary(
        n_items=total, n_functions=len(names), n_votes=len(frame),
        coverage=len(per_item) / denominator,
        overlap=int((per_item["n"] >= 2).sum()) / denominator,
        conflict=int((per_item["distinct"] >= 2).sum()) / denominator,
    )


def votes_as_annotations(votes: pd.DataFrame, source: str = "synthetic") -> pd.DataFrame:
    """Votes as annotations: ``item_id``, ``annotator_id`` (the function's name), ``label``, ``source``."""
    frame, _ = _checked_votes(votes)
    return pd.DataFrame({"item_id": frame["item_id"].to_numpy(), "annotator_id": frame["function"].to_numpy(),
                         "label": frame["label"].to_numpy(), "source": source})


def combine_labeling_functions(
    votes: pd.DataFrame, method: str = "majority", labels: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """One label per voted item from the functions' votes, each function one annotator of
    :func:`answerkey.quality.aggregation.consensus` (``majority``, ``dawid-skene``...).

    Returns consensus's table: ``item_id``, ``label``, ``confidence``, ``status``, ``method``. Items no
    function voted on are not in it; majority ties come out ``disputed`` with no label.
    """
    return consensus(votes_as_annotations(votes), method=method, labels=labels)


def _import(location: Path, file: str) -> Any:
    """Run the rules file as a fresh module (registered only while it runs)."""
    digest = hashlib.sha1(str(location.resolve()).encode(), usedforsecurity=False).hexdigest()[:12]
    module_name = f"_answerkey_rules_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, location)
    if spec is None or spec.loader is None:
        raise LabelingFunctionError(file, "cannot be loaded as a Python module; give a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise LabelingFunctionError(file, f"cannot load the labeling functions: {_line(exc, location)}"
                                          f"{type(exc).__name__}: {exc}") from exc
    finally:
        sys.modules.pop(module_name, None)
    return module


def _line(exc: Exception, location: Path) -> str:
    """``line N: `` of the rules file where ``exc`` happened, when known."""
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        return f"line {exc.lineno}: "
    target = str(location.resolve())
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
             if frame.filename and str(Path(frame.filename).resolve()) == target]
    return f"line {lines[-1]}: " if lines else ""


def _python_votes(function: LabelingFunction, records: list[dict[str, Any]], ids: list[Any]) -> list[tuple[Any, str]]:
    body = function.function
    assert body is not None
    votes: list[tuple[Any, str]] = []
    for item_id, record in zip(ids, records, strict=True):
        try:
            label = body(dict(record))
        except Exception as exc:
            raise LabelingFunctionError(function.source, _raised(exc, record), function.name, item_id) from exc
        if label is None:
            continue
        if not isinstance(label, str) or not label:
            raise LabelingFunctionError(function.source, _bad_label(label), function.name, item_id)
        votes.append((item_id, str(label)))
    return votes


def _sql_votes(functions: list[LabelingFunction], table: pd.DataFrame, ids: list[Any]) -> dict[str, list[Any]]:
    """Each SQL function's votes, in item order, from one in-memory DuckDB over the items."""
    if not functions:
        return {}
    import duckdb

    connection = duckdb.connect()
    votes: dict[str, list[Any]] = {}
    try:
        connection.register("items", table)
        for function in functions:
            try:
                result = connection.execute(f"SELECT item_id, ({function.sql}\n) AS label FROM items")
                kind = str(result.description[1][1]) if result.description else ""
                by_item = dict(result.fetchall())
            except duckdb.Error as exc:
                problem = str(exc).strip().splitlines()[0]
                raise LabelingFunctionError(function.source, f"its SQL failed: {problem}", function.name) from exc
            ordered = [(item_id, by_item.get(item_id)) for item_id in ids]
            for item_id, label in ordered:
                if label is not None and (kind != "VARCHAR" or not label):
                    raise LabelingFunctionError(function.source, _bad_label(label, kind), function.name, item_id)
            votes[function.name] = [(item_id, label) for item_id, label in ordered if label is not None]
    finally:
        connection.close()
    return votes


def _raised(exc: Exception, record: Mapping[str, Any]) -> str:
    message = f"raised {type(exc).__name__}: {exc}"
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        keys = [str(key) for key in record]
        close = difflib.get_close_matches(exc.args[0], keys, n=1)
        message += f" (did you mean {close[0]!r}?)" if close else f" (the item's keys: {', '.join(keys)})"
    return message


def _bad_label(label: object, sql_type: str | None = None) -> str:
    found = f"{label!r} ({sql_type or type(label).__name__})"
    abstain = "NULL" if sql_type else "ABSTAIN (None)"
    return f"returned {found}; return a non-empty label string, or {abstain} to abstain"


def _flat_items(items: pd.DataFrame) -> pd.DataFrame:
    """One row per item with a ``payload`` column of dicts spread into columns (the item's own columns win)."""
    if not isinstance(items, pd.DataFrame):
        raise ParameterError.invalid("items", "a pandas DataFrame", type(items).__name__)
    if "item_id" not in items:
        raise ParameterError.invalid("items", "a table with an item_id column", f"columns {list(items.columns)}")
    repeated = items["item_id"][items["item_id"].duplicated()]
    if len(repeated):
        raise ParameterError.invalid("items", "one row per item_id", f"item {repeated.tolist()[0]!r} twice")
    table = items.reset_index(drop=True)
    if "payload" in table and all(isinstance(v, Mapping) or _missing(v) for v in table["payload"]):
        payload = pd.DataFrame([dict(v) if isinstance(v, Mapping) else {} for v in table["payload"]],
                               index=table.index)
        base = table.drop(columns="payload")
        table = pd.concat([base, payload.drop(columns=[c for c in payload.columns if c in base])], axis=1)
    return table


def _missing(value: Any) -> bool:
    """None, NaN, NA or NaT (never a list or dict, which are values)."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _checked_votes(votes: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Votes with plain-string function names, and every function name (categories first, in order)."""
    if not isinstance(votes, pd.DataFrame) or not set(VOTE_COLUMNS) <= set(votes.columns):
        got = f"columns {list(votes.columns)}" if isinstance(votes, pd.DataFrame) else type(votes).__name__
        raise ParameterError.invalid("votes", "a table with columns item_id, function, label", got)
    column = votes["function"]
    names = ([str(c) for c in column.cat.categories] if isinstance(column.dtype, pd.CategoricalDtype)
             else list(dict.fromkeys(str(v) for v in column)))
    frame = votes[votes["label"].notna()].assign(function=lambda f: f["function"].astype(str).astype(object))
    twice = frame.duplicated(["item_id", "function"])
    if twice.any():
        function, item = frame.loc[twice, ["function", "item_id"]].to_numpy().tolist()[0]
        raise ParameterError.invalid("votes", "one vote per item and function",
                                     f"two by {function!r} on item {item!r}")
    return frame.reset_index(drop=True), names


def _n_items(votes: pd.DataFrame, n_items: int | None) -> int:
    voted = int(votes["item_id"].nunique())
    if n_items is None:
        return voted
    if isinstance(n_items, bool) or not isinstance(n_items, int | np.integer) or n_items < voted:
        raise ParameterError.invalid("n_items", f"an integer of at least the {voted} items voted on", n_items)
    return int(n_items)


def _denominator(total: int) -> float:
    if total == 0:
        warnings.warn("no items: coverage, overlap and conflict are undefined; returning NaN",
                      RuntimeWarning, stacklevel=3)
        return float("nan")
    return float(total)


def _trusted_labels(trusted: pd.DataFrame | None) -> pd.Series:
    """The trusted label of each item (as a string), indexed by item id."""
    if trusted is None:
        return pd.Series([], dtype=object)
    if not isinstance(trusted, pd.DataFrame) or not {"item_id", "label"} <= set(trusted.columns):
        got = f"columns {list(trusted.columns)}" if isinstance(trusted, pd.DataFrame) else type(trusted).__name__
        raise ParameterError.invalid("trusted", "a table with columns item_id, label", got)
    known = trusted.loc[trusted["label"].notna(), ["item_id", "label"]]
    known = known.assign(label=known["label"].astype(str).astype(object)).drop_duplicates()
    clash = known["item_id"].duplicated()
    if clash.any():
        item = known.loc[clash, "item_id"].tolist()[0]
        raise ParameterError.invalid("trusted", "one label per item", f"several labels for item {item!r}")
    return pd.Series(known["label"].to_numpy(dtype=object), index=known["item_id"].to_numpy())
