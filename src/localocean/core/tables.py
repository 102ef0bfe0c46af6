"""The shared tables (SQLAlchemy Core): accounts and tokens, id counters, the clock, scheduled
transitions, tags. Each area's own tables are in its `store.py`; all share one `metadata`.

Times are Unix epoch floats, so SQLite and PostgreSQL behave alike. JSON-valued columns use the
JSON type (`Json`): the code reads and writes Python values, never JSON text.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# A Python None is SQL NULL, not the JSON text `null`.
Json = JSON(none_as_null=True)


def account_id_column() -> Column[str]:
    return Column(
        "account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )


accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("slug", String(255), nullable=False, unique=True),
    Column("number", BigInteger, nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("email", String(255), nullable=False),
    Column("created_at", Float, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    account_id_column(),
    Column("scopes", Json, nullable=False),
    Column("created_at", Float, nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

clock_state = Table(
    "clock_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("offset_seconds", Float, nullable=False),
    Column("frozen_at", Float, nullable=True),
)

transitions = Table(
    "transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("account_id", String(40), nullable=True),
    Column("resource_type", String(64), nullable=False),
    Column("resource_id", String(64), nullable=False),
    Column("target", String(64), nullable=False),
    Column("payload", Json, nullable=False),
    Column("due_at", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_transitions_due_at", "due_at"),
    Index("ix_transitions_resource", "resource_type", "resource_id"),
)

tags = Table(
    "tags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    account_id_column(),
    Column("name", String(255), nullable=False),
    Column("name_key", String(255), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "name_key", name="uq_tags_account_name"),
    Index("ix_tags_account_id", "account_id", "id"),
)

tagged_resources = Table(
    "tagged_resources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), nullable=False),
    Column("resource_type", String(32), nullable=False),
    Column("resource_id", String(64), nullable=False),
    Column("tagged_at", Float, nullable=False),
    UniqueConstraint("tag_id", "resource_type", "resource_id", name="uq_tagged_resource"),
    Index("ix_tagged_resources_resource", "resource_type", "resource_id"),
)

# How many resources of each kind an account holds, kept up to date with every insert and
# delete: a list's `meta.total` is then one indexed read, however long the list.
tallies = Table(
    "tallies",
    metadata,
    Column(
        "account_id",
        String(40),
        ForeignKey("accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("kind", String(32), primary_key=True),
    Column("count", BigInteger, nullable=False),
)

# What the control API sets that every process must follow: fault rules (with how often each
# fired, so `times` budgets hold across processes) and settings such as the timing profile.
fault_rules = Table(
    "fault_rules",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("rule", Json, nullable=False),
    Column("fired", Integer, nullable=False),
)

control_state = Table(
    "control_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Json, nullable=False),
)

# The processes serving one database (PostgreSQL): a control change waits until every live one
# has taken it (`seen`), so a request to any of them afterwards meets it.
processes = Table(
    "processes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("heartbeat", Float, nullable=False),
    Column("seen", BigInteger, nullable=False),
    info={"state": False},  # the running processes, not state: never exported, reset, imported
)

# Requests counted against the rate limits, by token (hash), second and process: every process
# adds its own a few times a second and reads the others'.
rate_hits = Table(
    "rate_hits",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("second", BigInteger, primary_key=True),
    Column("process", String(36), primary_key=True),
    Column("count", Integer, nullable=False),
    Index("ix_rate_hits_second", "second"),
    info={"state": False},
)

# The request journal when several processes share the database (PostgreSQL): each process
# writes what it served a few times a second; the newest `--journal-size` entries are kept.
journal = Table(
    "journal",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("time", Float, nullable=False),
    Column("method", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("query", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("account", String(40), nullable=True),
    Column("duration_ms", Float, nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("request_body", LargeBinary, nullable=False),
    Column("response_body", LargeBinary, nullable=False),
    info={"state": False},  # what clients sent, not state: reset clears it, export leaves it
)

CORE_TABLES = (
    accounts,
    tokens,
    counters,
    clock_state,
    transitions,
    tags,
    tagged_resources,
    tallies,
    fault_rules,
    control_state,
    processes,
    rate_hits,
    journal,
)
