"""``diff_schemas``: what changed between two versions, label by label; renames come from ``replaces``."""

from __future__ import annotations

import json

import pytest

from answerkey.schema import LabelDefinition, LabelingSchema, TaskKind, diff_schemas

OLD = {"billing": "Money.", "tech": "Something is broken.", "misc": "Anything else."}


def version(number: int, labels: dict[str, str], replaces: dict[str, list[str]] | None = None,
            task: TaskKind = TaskKind.SINGLE_LABEL, order: list[str] | None = None) -> LabelingSchema:
    replaces = replaces or {}
    return LabelingSchema(
        name="tickets", version=number, task=task, order=order,
        labels=[LabelDefinition(name=name, definition=text, replaces=replaces.get(name, [])) for name, text in
                labels.items()],
    )


def old() -> LabelingSchema:
    return version(1, OLD)


def test_the_same_labels_under_a_new_version_number_diff_empty() -> None:
    diff = diff_schemas(old(), version(2, OLD))
    assert diff.is_empty
    assert (diff.old_version, diff.new_version) == (1, 2)
    assert (diff.added, diff.removed, diff.renamed, diff.split, diff.merged, diff.redefined) == ([], [], {}, {}, {}, [])


def test_label_order_alone_does_not_change_a_nominal_schema() -> None:
    reordered = dict(reversed(list(OLD.items())))
    assert diff_schemas(old(), version(2, reordered)).is_empty


def test_a_new_label_is_added() -> None:
    diff = diff_schemas(old(), version(2, {**OLD, "praise": "Kind words.", "account": "Logins."}))
    assert diff.added == ["account", "praise"]
    assert not diff.is_empty
    assert (diff.removed, diff.renamed, diff.redefined) == ([], {}, [])


def test_a_dropped_label_is_removed() -> None:
    diff = diff_schemas(old(), version(2, {"billing": "Money."}))
    assert diff.removed == ["misc", "tech"]
    assert diff.added == []


def test_one_label_replacing_one_is_a_rename_not_an_add_and_a_remove() -> None:
    new = version(2, {"billing": "Money.", "technical": "Something is broken.", "misc": "Anything else."},
                  replaces={"technical": ["tech"]})
    diff = diff_schemas(old(), new)
    assert diff.renamed == {"tech": "technical"}
    assert (diff.added, diff.removed, diff.split, diff.merged, diff.redefined) == ([], [], {}, {}, [])
    assert not diff.is_empty


def test_a_renamed_label_with_a_new_definition_is_also_redefined() -> None:
    new = version(2, {"billing": "Money.", "technical": "A defect.", "misc": "Anything else."},
                  replaces={"technical": ["tech"]})
    diff = diff_schemas(old(), new)
    assert diff.renamed == {"tech": "technical"}
    assert diff.redefined == ["technical"]


def test_two_labels_replacing_one_is_a_split() -> None:
    new = version(2, {"refund": "Money back.", "invoice": "Bills.", "tech": OLD["tech"], "misc": OLD["misc"]},
                  replaces={"refund": ["billing"], "invoice": ["billing"]})
    diff = diff_schemas(old(), new)
    assert diff.split == {"billing": ["invoice", "refund"]}
    assert (diff.added, diff.removed, diff.renamed, diff.merged) == ([], [], {}, {})


def test_one_label_replacing_two_is_a_merge() -> None:
    new = version(2, {"billing": "Money.", "other": "Broken or anything else."}, replaces={"other": ["tech", "misc"]})
    diff = diff_schemas(old(), new)
    assert diff.merged == {"other": ["misc", "tech"]}
    assert (diff.added, diff.removed, diff.renamed, diff.split) == ([], [], {}, {})


def test_a_changed_definition_is_a_redefinition() -> None:
    diff = diff_schemas(old(), version(2, {**OLD, "billing": "Money, invoices and refunds."}))
    assert diff.redefined == ["billing"]
    assert (diff.added, diff.removed, diff.renamed) == ([], [], {})
    assert not diff.is_empty


def test_a_replaces_naming_a_label_the_old_version_never_had_is_just_an_added_label() -> None:
    diff = diff_schemas(old(), version(2, {**OLD, "praise": "Kind words."}, replaces={"praise": ["compliment"]}))
    assert diff.added == ["praise"]
    assert diff.renamed == {}


def test_a_changed_task_is_reported() -> None:
    diff = diff_schemas(old(), version(2, OLD, task=TaskKind.MULTI_LABEL))
    assert diff.task_changed == ("single_label", "multi_label")
    assert not diff.is_empty


def test_a_changed_ordinal_order_is_reported() -> None:
    grades = {"low": "a", "mid": "b", "high": "c"}
    before = version(1, grades, task=TaskKind.ORDINAL, order=["low", "mid", "high"])
    after = version(2, grades, task=TaskKind.ORDINAL, order=["high", "mid", "low"])
    assert diff_schemas(before, after).order_changed
    assert diff_schemas(before, version(2, grades, task=TaskKind.ORDINAL, order=["low", "mid", "high"])).is_empty


def test_a_diff_of_everything_at_once_keeps_each_change_in_its_place() -> None:
    new = version(2, {"refund": "Money back.", "invoice": "Bills.", "technical": "Something is broken.",
                      "praise": "Kind words."},
                  replaces={"refund": ["billing"], "invoice": ["billing"], "technical": ["tech"]})
    diff = diff_schemas(old(), new)
    assert diff.added == ["praise"]
    assert diff.removed == ["misc"]
    assert diff.renamed == {"tech": "technical"}
    assert diff.split == {"billing": ["invoice", "refund"]}
    assert diff.merged == {}


@pytest.mark.parametrize("new", [
    version(2, OLD),
    version(2, {"billing": "Money.", "technical": "A defect."}, replaces={"technical": ["tech", "misc"]}),
])
def test_a_diff_is_json_ready(new: LabelingSchema) -> None:
    data = diff_schemas(old(), new).to_dict()
    assert json.loads(json.dumps(data))["new_version"] == 2
