"""The tables as SQLAlchemy Core declares them. Schema changes only ever by Alembic migration.

Everything that reads and writes cases and the audit log on an officer's command speaks Core on
these tables; ``store.tables`` maps row classes onto the same tables for the ORM's users (the
follow-up records, tests), so that a read never imports the ORM.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

#: Every table, created and changed only by the migrations (this is their ``target_metadata``).
metadata = MetaData()


#: Database-wide facts: the log id, whether this is a training database.
SETTINGS = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


#: A registered officer and the OS login they work under.
OFFICERS = Table(
    "officers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("roles", JSON, nullable=False),
    Column("province", String(8)),
    Column("os_user", String(64), unique=True),
    Column("deputy", Boolean, default=False, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("retired", Boolean, default=False, server_default=false(), nullable=False),
    #: The officer's latest ``officer`` audit event: commands compare the row with it.
    Column("audit_seq", Integer),
    #: The PostgreSQL login this officer connects as (0007): on PostgreSQL, who they are.
    Column("pg_login", String(64), unique=True),
)


#: A relationship's current state; its history lives in ``audit_records``.
CASES = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(32), unique=True, nullable=False),
    Column("procedure", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition_sha256", String(64), nullable=False),
    Column("state", String(64), nullable=False),
    Column("previous_state", String(64)),
    Column("province", String(8), nullable=False),
    Column("partner_name", Text, nullable=False),
    Column("partner_country", String(2), nullable=False),
    Column("partner_level", Text, nullable=False),
    Column("instrument", String(32), nullable=False),
    Column("label", String(32), nullable=False),
    Column("opened_at", String(32), nullable=False),
    Column("opened_by", String(64), nullable=False),
    Column("state_since", String(32), nullable=False),
    #: Trigger → every officer who fired it (older rows hold one officer as a string).
    Column("trigger_actors", JSON, nullable=False),
    Column("row_version", Integer, nullable=False),
    Column("thai_party_level", String(32)),
    Column("thai_party_name", Text),
    Index("ix_cases_state_reference", "state", "reference"),
    Index("ix_cases_province_state_reference", "province", "state", "reference"),
)


#: One audit event. Append-only: database triggers refuse UPDATE and DELETE.
AUDIT_RECORDS = Table(
    "audit_records",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("log_id", String(36), nullable=False),
    Column("record_version", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("case_reference", String(32)),
    Column("case_seq", Integer),
    Column("trigger", String(64)),
    Column("source", String(64)),
    Column("dest", String(64)),
    Column("actor_id", String(64), nullable=False),
    Column("actor_role", String(64)),
    Column("os_user", String(64)),
    Column("occurred_at", String(32), nullable=False),
    #: Canonical JSON text, exactly the bytes the payload hash covers.
    Column("fields", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("payload_sha256", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("case_reference", "case_seq", name="uq_audit_case_seq"),
    Index("ix_audit_actor", "actor_id"),
    Index("ix_audit_occurred", "occurred_at"),
    Index("ix_audit_kind_seq", "kind", "seq"),
)


#: One row: the newest sequence number and hash, locked by every writer.
AUDIT_HEAD = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("log_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)


#: A document's bytes, content-addressed by SHA-256: the same file is stored once.
DOCUMENTS = Table(
    "documents",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("stored_at", String(32), nullable=False),
)


#: Dates of a relationship the sweep and the KPIs need, kept current from the audit log.
CASE_FACTS = Table(
    "case_facts",
    metadata,
    Column("case_reference", String(32), primary_key=True),
    Column("province", String(8), index=True, nullable=False),
    Column("established_on", String(10)),
    Column("established_fy", Integer, index=True),
    Column("signed_on", String(10)),
    Column("signed_precision", String(5)),
    Column("term_years", Integer),
    Column("expires_on", String(10)),
    Column("last_activity_on", String(10)),
    Column("follow_up_since", String(10)),
    Column("ended_on", String(10)),
    Column("imported_sha256", String(64)),
    #: How precisely the first signing is known (day, month, year, unknown); NULL: not signed.
    Column("established_precision", String(8)),
    #: The day the case entered the system (opened or imported): data exists from then on.
    Column("entered_on", String(10)),
    #: The instrument this one replaces (an MOU replacing a letter of intent), and the reverse.
    Column("supersedes", String(32)),
    Column("superseded_by", String(32)),
    #: The first instrument of the chain this one belongs to (itself when it replaces none):
    #: instruments linked by ``supersedes`` are one relationship for the indicators.
    Column("relationship", String(32), index=True),
    #: JSON: ``[[field, date, trigger], …]``, the dates officers' steps recorded, which later
    #: steps' dates may not precede (``workflow.chronology``); NULL: none.
    Column("step_dates", Text),
)


#: One state-changing or transition audit event, with the span of the state it entered.
MOVES = Table(
    "moves",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("case_reference", String(32), index=True, nullable=False),
    Column("province", String(8), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("trigger", String(64)),
    Column("source", String(64)),
    Column("dest", String(64), nullable=False),
    Column("occurred_at", String(32), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    #: ``complete`` / ``missing`` / ``unknown`` (imports); NULL where no officer step is
    #: judged.
    Column("docs", String(8)),
    Column("opens_span", Boolean, nullable=False),
    Column("ended_at", String(32)),
    Column("ended_fy", Integer),
    Column("seconds", Integer),
    # Each index goes on with the columns its KPI query reads, which answers it from the
    # index alone (0012): documents per fiscal year, and spans ended in a fiscal year.
    Index("ix_moves_fy_docs", "fiscal_year", "docs", "province"),
    Index("ix_moves_ended_cover", "ended_fy", "dest", "opens_span", "kind", "province", "seconds"),
    # ix_moves_spans_cover, the spans of states read by the active-share trend from the index
    # alone, is a partial index (``WHERE opens_span``) that migrations 0006 and 0012 create; a
    # query uses it when it says ``opens_span = true()`` in so many words. It is not declared
    # here: naming its PostgreSQL options would load that dialect for every command.
)


#: An activity with the partner: the fields of a ``record_activity`` audit event.
ACTIVITIES = Table(
    "activities",
    metadata,
    Column("audit_seq", Integer, primary_key=True, autoincrement=False),
    Column("case_reference", String(32), index=True, nullable=False),
    Column("province", String(8), nullable=False),
    Column("activity_date", String(10), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("partner_participated", Boolean, nullable=False),
    #: Satang (1/100 baht): exact 64-bit integers on every backend (0009).
    Column("budget_satang", BigInteger),
    Column("evidence_count", Integer, nullable=False),
    # The indicators read a span of years from the index alone, for one province too (0005,
    # 0012); it also serves a fiscal year's activities (``ix_activities_fy_case`` was its
    # first two columns).
    Index(
        "ix_activities_fy_cover",
        "fiscal_year",
        "case_reference",
        "partner_participated",
        "budget_satang",
        "province",
    ),
)


#: The yearly action plan and budget of a relationship (latest per fiscal year).
PLANS = Table(
    "plans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_reference", String(32), nullable=False),
    Column("province", String(8), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("budget_satang", BigInteger, nullable=False),
    Column("document_sha256", String(64), nullable=False),
    Column("document_name", Text, nullable=False),
    Column("document_bytes", Integer, nullable=False),
    Column("set_at", String(32), nullable=False),
    Column("set_by", String(64), nullable=False),
    Column("audit_seq", Integer, nullable=False),
    UniqueConstraint("case_reference", "fiscal_year", name="uq_plan_case_fy"),
    Index("ix_plans_fy", "fiscal_year"),
)


#: A province's committee or working-group order (the latest; history is in the audit log).
MECHANISMS = Table(
    "mechanisms",
    metadata,
    Column("province", String(8), primary_key=True),
    Column("order_no", Text, nullable=False),
    Column("order_date", String(10), nullable=False),
    Column("chair", Text, nullable=False),
    Column("document_sha256", String(64)),
    Column("document_name", Text),
    Column("set_at", String(32), nullable=False),
    Column("set_by", String(64), nullable=False),
    Column("audit_seq", Integer, nullable=False),
)


#: The ministry's mechanism with related agencies (the latest order; history in the log).
MINISTRY_MECHANISMS = Table(
    "ministry_mechanisms",
    metadata,
    #: ``ministry``: one row, the mechanism in force.
    Column("level", String(16), primary_key=True),
    Column("order_no", Text, nullable=False),
    Column("order_date", String(10), nullable=False),
    Column("chair", Text, nullable=False),
    Column("agencies", JSON, nullable=False),
    Column("document_sha256", String(64)),
    Column("document_name", Text),
    Column("set_at", String(32), nullable=False),
    Column("set_by", String(64), nullable=False),
    Column("audit_seq", Integer, nullable=False),
)
