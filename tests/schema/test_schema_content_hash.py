"""A schema's content hash: the same content gives the same hash whatever the YAML layout; any change shows."""

from __future__ import annotations

import pytest

from answerkey.schema import dump_schema, parse_schema

BLOCK = """\
name: tickets
version: 1
task: single_label
labels:
  - name: billing
    definition: Money matters.
    examples:
      - Why was I charged twice?
    replaces:
      - payments
  - name: shipping
    definition: Delivery of goods.
"""

SAME_CONTENT = {
    "flow-style": """\
{name: tickets, version: 1, task: single_label, labels: [
  {name: billing, definition: Money matters., examples: ["Why was I charged twice?"], replaces: [payments]},
  {name: shipping, definition: Delivery of goods.}]}
""",
    "keys-reordered-quoted-and-commented": """\
# the ticket schema
labels:
  - definition: "Money matters."   # what billing means
    replaces: payments
    name: 'billing'
    examples: ['Why was I charged twice?']
  - {definition: Delivery of goods., name: shipping}
version: 1
name: "tickets"
""",
    "defaults-written-out": BLOCK.replace("task: single_label", "task: single_label\ndescription: null\n"
                                          "examples: []\norder: null")
                                 .replace("definition: Delivery of goods.",
                                          "definition: Delivery of goods.\n    edge_cases: []\n    replaces: []"),
    "task-left-to-its-default": BLOCK.replace("task: single_label\n", ""),
    "windows-line-endings": BLOCK.replace("\n", "\r\n"),
    "dumped-by-answerkey": dump_schema(parse_schema(BLOCK)),
}

CHANGED_CONTENT = {
    "a-definition": BLOCK.replace("Money matters.", "Money matters a lot."),
    "a-label-name": BLOCK.replace("name: shipping", "name: delivery"),
    "an-added-label": BLOCK + "  - name: account\n    definition: Logins.\n",
    "a-label-example": BLOCK.replace("charged twice", "charged thrice"),
    "the-replaces": BLOCK.replace("      - payments\n", "      - payment\n"),
    "the-task": BLOCK.replace("task: single_label", "task: multi_label"),
    "the-description": BLOCK.replace("task: single_label", "task: single_label\ndescription: Support tickets."),
    "the-name": BLOCK.replace("name: tickets", "name: support"),
    "an-edge-case": BLOCK.replace("definition: Delivery of goods.", "definition: Delivery of goods.\n"
                                  "    edge_cases:\n      - {text: late, label: shipping}"),
}


@pytest.mark.parametrize("text", SAME_CONTENT.values(), ids=SAME_CONTENT.keys())
def test_the_same_content_in_another_yaml_layout_has_the_same_hash(text: str) -> None:
    original = parse_schema(BLOCK)
    other = parse_schema(text)
    assert other.content_hash == original.content_hash
    assert other.canonical_json() == original.canonical_json()


@pytest.mark.parametrize("text", CHANGED_CONTENT.values(), ids=CHANGED_CONTENT.keys())
def test_changed_content_has_another_hash(text: str) -> None:
    assert parse_schema(text).content_hash != parse_schema(BLOCK).content_hash


def test_the_content_hash_is_a_sha256_hex_digest() -> None:
    digest = parse_schema(BLOCK).content_hash
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")
