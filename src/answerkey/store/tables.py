"""The store's tables (SQLAlchemy Core). Migrations in ``migrations/`` create and evolve them.

Items, annotations, releases and release labels are append-only: database triggers refuse updates and deletes
(and, on SQLite, an insert over an existing key, which ``INSERT OR REPLACE`` would turn into a delete), so ground
truth is never silently overwritten, whichever client touches the store. What a trigger cannot stop (a superuser
or anyone holding the database file) the hashes catch: the annotation log's hash chain (``annotation_chain``),
each item's ``content_hash``, each release's ``content_hash`` and ``items_hash`` (``chain.py``, ``answerkey verify``).
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "annotation_chain",
    "annotations",
    "annotators",
    "api_tokens",
    "audit_log",
    "derived_labels",
    "eval_results",
    "eval_runs",
    "feedback",
    "findings",
    "idempotency_keys",
    "imports",
    "items",
    "label_definitions",
    "label_derivations",
    "label_issue_flags",
    "metadata",
    "monitor_runs",
    "release_labels",
    "releases",
    "schema_versions",
    "split_assignments",
    "split_seals",
    "splits",
    "test_ledger",
    "web_sessions",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

ID = String(255)
"""External identifiers (items, annotators, releases) as the user wrote them."""

schema_versions = Table(
    "schema_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(255), nullable=False),
    Column("task", String(32), nullable=False),
    Column("content", Text, nullable=False, comment="canonical JSON of the schema"),
    Column("content_hash", String(64), nullable=False),
    Column("registered_at", DateTime, nullable=False),
)

imports = Table(
    "imports",
    metadata,
    Column("import_id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("file", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_added", Integer, nullable=False),
    Column("imported_at", DateTime, nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("item_id", ID, primary_key=True),
    Column("payload", JSON, nullable=False),
    Column("group_id", ID),
    Column("segment", String(255)),
    Column("created_at", DateTime),
    Column("import_id", Integer, ForeignKey("imports.import_id")),
    Column("content_hash", String(64), comment="sha256 of the canonical item (chain.item_content_hash)"),
)

annotators = Table(
    "annotators",
    metadata,
    Column("annotator_id", ID, primary_key=True),
    Column("first_seen_at", DateTime, nullable=False),
)

annotations = Table(
    "annotations",
    metadata,
    Column("annotation_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("item_id", ID, ForeignKey("items.item_id"), nullable=False),
    Column("annotator_id", ID, ForeignKey("annotators.annotator_id"), nullable=False),
    Column("label", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("schema_version", Integer, ForeignKey("schema_versions.version"), nullable=False),
    Column("created_at", DateTime),
    Column("confidence", Float),
    Column("note", Text),
    Column("import_id", Integer, ForeignKey("imports.import_id")),
    Column("recorded_at", DateTime, nullable=False),
    Column("judgement_key", LargeBinary(16), nullable=False,
           comment="blake2b-128 of item, annotator, label, created_at: re-importing a judgement adds nothing"),
    # one index serves both uniqueness and look-ups by item; imports insert in item order, so it grows in place
    UniqueConstraint("item_id", "judgement_key", name="uq_annotations_item_id"),
)

annotation_chain = Table(
    "annotation_chain",
    metadata,
    Column("position", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True,
           comment="commit order"),
    Column("annotation_id", BigInteger().with_variant(Integer, "sqlite"), nullable=False,
           comment="the annotation this entry vouches for (no foreign key: a deleted row must show as gone)"),
    Column("chain_hash", LargeBinary(32), nullable=False,
           comment="sha256 of the previous entry's chain_hash and the annotation's row digest (chain.py)"),
)

releases = Table(
    "releases",
    metadata,
    Column("name", ID, primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("schema_version", Integer, ForeignKey("schema_versions.version"), nullable=False),
    Column("method", Text, nullable=False, comment="consensus method and authority policy"),
    Column("annotation_watermark", BigInteger, nullable=False,
           comment="the highest annotation_id the release was computed from"),
    Column("item_count", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("note", Text),
    Column("items_hash", String(64), comment="sha256 over the release's items and their content hashes"),
)

release_labels = Table(
    "release_labels",
    metadata,
    Column("release_name", ID, ForeignKey("releases.name"), primary_key=True),
    Column("item_id", ID, primary_key=True),
    Column("label", Text),
    Column("confidence", Float),
    Column("status", String(16), nullable=False),
    Column("n_judgements", Integer, nullable=False),
)

eval_runs = Table(
    "eval_runs",
    metadata,
    Column("run_id", ID, primary_key=True),
    Column("started_at", DateTime, nullable=False),
    Column("agent", Text, nullable=False, comment="the agent command or endpoint, or 'answers:FILE'"),
    Column("golden_file", Text, nullable=False),
    Column("golden_hash", String(64), nullable=False, comment="sha256 of the golden set file: its version"),
    Column("context_hash", String(64), comment="sha256 of the context given to the agent"),
    Column("warehouse", Text, nullable=False),
    Column("options", JSON, nullable=False),
    Column("questions", Integer, nullable=False),
    Column("passed", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("as_of", DateTime, comment="the instant CURRENT_DATE and now() meant in gold and answers"),
    Column("test_suite", String(64), comment="the key of the distilled test suite also judged on"),
)

eval_results = Table(
    "eval_results",
    metadata,
    Column("run_id", ID, ForeignKey("eval_runs.run_id"), primary_key=True),
    Column("question_id", ID, primary_key=True),
    Column("verdict", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("sql", Text),
    Column("gold_sql", Text),
    Column("column_overlap", Float, nullable=False),
    Column("row_f1", Float, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("differences", JSON, nullable=False, comment="what the answer's SQL does differently from the gold's"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("feedback_id", Integer, primary_key=True, autoincrement=True),
    Column("question", Text, nullable=False),
    Column("sql", Text),
    Column("answer", JSON),
    Column("verdict", String(16), nullable=False, comment="correct or incorrect, as the reviewer judged"),
    Column("reviewer", ID, nullable=False),
    Column("corrected_sql", Text),
    Column("note", Text),
    Column("asked_at", DateTime),
    Column("feedback_key", String(64), nullable=False, unique=True, comment="sha256 of the entry: re-logs add nothing"),
    Column("recorded_at", DateTime, nullable=False),
)

splits = Table(
    "splits",
    metadata,
    Column("release_name", ID, ForeignKey("releases.name"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("strategy", ID, nullable=False, comment="stratified, random, group:COLUMN or time:COLUMN"),
    Column("test_share", Float, nullable=False),
    Column("validation_share", Float, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("counts", JSON, nullable=False),
    Column("created_by", ID),
    Column("created_at", DateTime, nullable=False),
)

split_assignments = Table(
    "split_assignments",
    metadata,
    Column("release_name", ID, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("item_id", ID, primary_key=True),
    Column("split", String(16), nullable=False),
    ForeignKeyConstraint(["release_name", "version"], ["splits.release_name", "splits.version"],
                         name="fk_split_assignments_release_name_splits"),
)

split_seals = Table(
    "split_seals",
    metadata,
    Column("release_name", ID, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("test_hash", String(64), nullable=False, comment="sha256 of the test items, payloads and labels"),
    Column("test_items", Integer, nullable=False),
    Column("sealed_by", ID),
    Column("sealed_at", DateTime, nullable=False),
    ForeignKeyConstraint(["release_name", "version"], ["splits.release_name", "splits.version"],
                         name="fk_split_seals_release_name_splits"),
)

test_ledger = Table(
    "test_ledger",
    metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("release_name", ID, ForeignKey("split_seals.release_name"), nullable=False, index=True),
    Column("test_hash", String(64), nullable=False),
    Column("model", ID, nullable=False),
    Column("metrics", JSON, nullable=False),
    Column("purpose", Text),
    Column("recorded_by", ID, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)

label_issue_flags = Table(
    "label_issue_flags",
    metadata,
    Column("flag_id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", ID, ForeignKey("items.item_id"), nullable=False, index=True),
    Column("given_label", Text, nullable=False, comment="the label judged likely wrong"),
    Column("suggested_label", Text),
    Column("score", Float, nullable=False, comment="label quality in [0, 1], low is worse"),
    Column("method", Text, nullable=False, comment="how the issue was found, e.g. confident learning on features"),
    Column("release_name", ID),
    Column("flagged_at", DateTime, nullable=False),
)

findings = Table(
    "findings",
    metadata,
    Column("finding_id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False, index=True, comment="one recorded run of a check"),
    Column("source", Text, nullable=False, comment="what was checked, e.g. 'leakage data/features.parquet'"),
    Column("release_name", ID),
    Column("check", String(255), nullable=False),
    Column("what", Text, nullable=False),
    Column("where", Text, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("score", Float),
    Column("evidence", JSON, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)

monitor_runs = Table(
    "monitor_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("model", String(255), nullable=False, index=True),
    Column("source", Text, nullable=False, comment="the prediction log and outcomes the run read"),
    Column("as_of", DateTime, nullable=False),
    Column("decision", String(32), nullable=False, comment="the retraining signal"),
    Column("result", JSON, nullable=False, comment="lag, realized and estimated performance, drift, findings"),
    Column("recorded_at", DateTime, nullable=False),
)

label_definitions = Table(
    "label_definitions",
    metadata,
    Column("name", ID, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("kind", String(32), nullable=False, comment="behavioral"),
    Column("content_hash", String(64), nullable=False, comment="sha256 of the canonical definition"),
    Column("body", JSON, nullable=False),
    Column("registered_at", DateTime, nullable=False),
    UniqueConstraint("name", "content_hash", name="uq_label_definitions_name"),
)

label_derivations = Table(
    "label_derivations",
    metadata,
    Column("derivation_id", Integer, primary_key=True, autoincrement=True),
    Column("name", ID, nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("as_of", DateTime, nullable=False, comment="events after it unseen; windows open at it immature"),
    Column("engine", Text, nullable=False),
    Column("counts", JSON, nullable=False),
    Column("derived_at", DateTime, nullable=False),
    ForeignKeyConstraint(["name", "version"], ["label_definitions.name", "label_definitions.version"],
                         name="fk_label_derivations_name_label_definitions"),
)

derived_labels = Table(
    "derived_labels",
    metadata,
    Column("derivation_id", Integer, ForeignKey("label_derivations.derivation_id"), primary_key=True),
    Column("item_id", ID, ForeignKey("items.item_id"), primary_key=True),
    Column("label", Text, comment="NULL while immature"),
    Column("status", String(16), nullable=False, comment="positive, negative or immature"),
    Column("anchor_at", DateTime),
    Column("decided_at", DateTime, comment="the outcome event, or the end of the window"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", Integer, primary_key=True, autoincrement=True),
    Column("name", ID, nullable=False, index=True, comment="who the token is for"),
    Column("role", String(16), nullable=False, comment="viewer, annotator, reviewer or admin"),
    Column("token_hash", String(64), nullable=False, unique=True, comment="sha256 of the token; the token is not kept"),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", ID, nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text),
    Column("detail", JSON, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("actor", ID, primary_key=True),
    Column("key", ID, primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True, comment="sha256 of the cookie's session key"),
    Column("token_id", Integer, ForeignKey("api_tokens.token_id"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("ended_at", DateTime, comment="when the session was signed out"),
)

APPEND_ONLY_TABLES = ("annotations", "releases", "release_labels", "schema_versions", "items", "annotation_chain")
"""Tables whose rows are never updated or deleted once written."""
RECORD_TABLES = ("eval_runs", "eval_results", "feedback", "splits", "split_assignments", "split_seals", "test_ledger",
                 "label_issue_flags", "findings", "monitor_runs", "label_definitions", "label_derivations",
                 "derived_labels", "audit_log", "idempotency_keys")
"""Records of what was measured: append-only like ground truth (a run is never rewritten)."""
