"""``schema diff``: what changed between two schema versions, label by label."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from answerkey.schema.model import LabelingSchema

__all__ = ["SchemaDiff", "diff_schemas"]


@dataclass(frozen=True)
class SchemaDiff:
    """Labels added, removed, renamed (one old -> one new), split, merged or redefined between versions."""

    old_version: int
    new_version: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    split: dict[str, list[str]] = field(default_factory=dict)
    merged: dict[str, list[str]] = field(default_factory=dict)
    redefined: list[str] = field(default_factory=list)
    task_changed: tuple[str, str] | None = None
    order_changed: bool = False

    @property
    def is_empty(self) -> bool:
        """True when the two versions label the same way."""
        return not (
            self.added or self.removed or self.renamed or self.split or self.merged or self.redefined
            or self.task_changed or self.order_changed
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def diff_schemas(old: LabelingSchema, new: LabelingSchema) -> SchemaDiff:
    """Compare two versions; renames, splits and merges come from ``replaces:`` in the new version."""
    old_names = {label.name for label in old.labels}
    new_names = {label.name for label in new.labels}
    successors: dict[str, list[str]] = {}
    for label in new.labels:
        for replaced in label.replaces:
            if replaced in old_names and replaced not in new_names:
                successors.setdefault(replaced, []).append(label.name)
    predecessors: dict[str, list[str]] = {}
    for replaced, news in successors.items():
        for name in news:
            predecessors.setdefault(name, []).append(replaced)

    renamed, split, merged = {}, {}, {}
    for replaced, news in successors.items():
        if len(news) > 1:
            split[replaced] = sorted(news)
    for name, olds in predecessors.items():
        if len(olds) > 1:
            merged[name] = sorted(olds)
        elif successors[olds[0]] == [name] and name not in old_names:
            renamed[olds[0]] = name
    accounted_new = {n for news in successors.values() for n in news}
    added = sorted(new_names - old_names - accounted_new)
    removed = sorted(old_names - new_names - set(successors))
    redefined = sorted(
        name
        for name in old_names & new_names
        if (old.label(name) or _NONE).definition != (new.label(name) or _NONE).definition
    )
    redefined += sorted(
        new_name
        for old_name, new_name in renamed.items()
        if (old.label(old_name) or _NONE).definition != (new.label(new_name) or _NONE).definition
    )
    return SchemaDiff(
        old_version=old.version,
        new_version=new.version,
        added=added,
        removed=removed,
        renamed=renamed,
        split=split,
        merged=merged,
        redefined=redefined,
        task_changed=(old.task.value, new.task.value) if old.task is not new.task else None,
        order_changed=old.task is new.task and old.order != new.order and old.order is not None,
    )


class _NoLabel:
    definition: str | None = None


_NONE = _NoLabel()
