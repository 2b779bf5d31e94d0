"""SQLAlchemy 2.x typed tables. Schema changes only ever by Alembic migration."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every table."""


class SettingRow(Base):
    """Database-wide facts: the log id, whether this is a training database."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class OfficerRow(Base):
    """A registered officer and the OS login they work under."""

    __tablename__ = "officers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(JSON)
    province: Mapped[str | None] = mapped_column(String(8))
    os_user: Mapped[str | None] = mapped_column(String(64), unique=True)
    deputy: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[str] = mapped_column(String(32))
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The officer's latest ``officer`` audit event: commands compare the row with it.
    audit_seq: Mapped[int | None] = mapped_column(Integer)
    #: The PostgreSQL login this officer connects as (0007): on PostgreSQL, who they are.
    pg_login: Mapped[str | None] = mapped_column(String(64), unique=True)


class CaseRow(Base):
    """A relationship's current state; its history lives in ``audit_records``."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    procedure: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    definition_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    previous_state: Mapped[str | None] = mapped_column(String(64))
    province: Mapped[str] = mapped_column(String(8))
    partner_name: Mapped[str] = mapped_column(Text)
    partner_country: Mapped[str] = mapped_column(String(2))
    partner_level: Mapped[str] = mapped_column(Text)
    instrument: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[str] = mapped_column(String(32))
    opened_by: Mapped[str] = mapped_column(String(64))
    state_since: Mapped[str] = mapped_column(String(32))
    #: Trigger → every officer who fired it (older rows hold one officer as a string).
    trigger_actors: Mapped[dict[str, list[str] | str]] = mapped_column(JSON)
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)
    thai_party_level: Mapped[str | None] = mapped_column(String(32))
    thai_party_name: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012 - SQLAlchemy's own form
    # ``case list`` by state and/or province, in reference order, from the index (0010).
    __table_args__ = (
        Index("ix_cases_state_reference", "state", "reference"),
        Index("ix_cases_province_state_reference", "province", "state", "reference"),
    )


class AuditRow(Base):
    """One audit event. Append-only: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_records"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    log_id: Mapped[str] = mapped_column(String(36))
    record_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    case_reference: Mapped[str | None] = mapped_column(String(32))
    case_seq: Mapped[int | None] = mapped_column(Integer)
    trigger: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(64))
    dest: Mapped[str | None] = mapped_column(String(64))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(64))
    os_user: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[str] = mapped_column(String(32))
    #: Canonical JSON text, exactly the bytes the payload hash covers.
    fields: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("case_reference", "case_seq", name="uq_audit_case_seq"),
        Index("ix_audit_actor", "actor_id"),
        Index("ix_audit_occurred", "occurred_at"),
        Index("ix_audit_kind_seq", "kind", "seq"),
    )


class AuditHeadRow(Base):
    """One row: the newest sequence number and hash, locked by every writer."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    log_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


# ---------------------------------------------------------------------- follow-up (0002)
# Read models of the audit log (``case_facts``, ``moves``, ``activities``) are written by the use
# cases (``workflow.effects.project``, saved by ``store.projections``) in the same transaction as
# the audit record they derive from; ``plans``,
# ``mechanisms`` and ``documents`` are written by the follow-up use cases with their audit event.


class DocumentRow(Base):
    """A document's bytes, content-addressed by SHA-256: the same file is stored once."""

    __tablename__ = "documents"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[str] = mapped_column(String(32))


class CaseFactsRow(Base):
    """Dates of a relationship the sweep and the KPIs need, kept current from the audit log."""

    __tablename__ = "case_facts"
    case_reference: Mapped[str] = mapped_column(String(32), primary_key=True)
    province: Mapped[str] = mapped_column(String(8), index=True)
    established_on: Mapped[str | None] = mapped_column(String(10))
    established_fy: Mapped[int | None] = mapped_column(Integer, index=True)
    signed_on: Mapped[str | None] = mapped_column(String(10))
    signed_precision: Mapped[str | None] = mapped_column(String(5))
    term_years: Mapped[int | None] = mapped_column(Integer)
    expires_on: Mapped[str | None] = mapped_column(String(10))
    last_activity_on: Mapped[str | None] = mapped_column(String(10))
    follow_up_since: Mapped[str | None] = mapped_column(String(10))
    ended_on: Mapped[str | None] = mapped_column(String(10))
    imported_sha256: Mapped[str | None] = mapped_column(String(64))
    #: How precisely the first signing is known (day, month, year, unknown); NULL: not signed.
    established_precision: Mapped[str | None] = mapped_column(String(8))
    #: The day the case entered the system (opened or imported): data exists from then on.
    entered_on: Mapped[str | None] = mapped_column(String(10))
    #: The instrument this one replaces (an MOU replacing a letter of intent), and the reverse.
    supersedes: Mapped[str | None] = mapped_column(String(32))
    superseded_by: Mapped[str | None] = mapped_column(String(32))
    #: The first instrument of the chain this one belongs to (itself when it replaces none):
    #: instruments linked by ``supersedes`` are one relationship for the indicators.
    relationship: Mapped[str | None] = mapped_column(String(32), index=True)
    #: JSON: ``[[field, date, trigger], …]``, the dates officers' steps recorded, which later
    #: steps' dates may not precede (``workflow.chronology``); NULL: none.
    step_dates: Mapped[str | None] = mapped_column(Text)


class MoveRow(Base):
    """One state-changing or transition audit event, with the span of the state it entered."""

    __tablename__ = "moves"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    case_reference: Mapped[str] = mapped_column(String(32), index=True)
    province: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(64))
    dest: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[str] = mapped_column(String(32))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    #: ``complete`` / ``missing`` / ``unknown`` (imports); NULL where no officer step is judged.
    docs: Mapped[str | None] = mapped_column(String(8))
    opens_span: Mapped[bool] = mapped_column(Boolean)
    ended_at: Mapped[str | None] = mapped_column(String(32))
    ended_fy: Mapped[int | None] = mapped_column(Integer)
    seconds: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_moves_fy_province", "fiscal_year", "province"),
        Index("ix_moves_ended", "ended_fy", "dest"),
        # The spans of states, read by the active-share trend from the index alone (0005); a
        # query uses it when it says ``opens_span = true()`` in so many words.
        Index(
            "ix_moves_spans",
            "dest",
            "case_reference",
            "occurred_at",
            "ended_at",
            sqlite_where=text("opens_span = 1"),
            postgresql_where=text("opens_span"),
        ),
    )


class ActivityRow(Base):
    """An activity with the partner: the fields of a ``record_activity`` audit event."""

    __tablename__ = "activities"
    audit_seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    case_reference: Mapped[str] = mapped_column(String(32), index=True)
    province: Mapped[str] = mapped_column(String(8))
    activity_date: Mapped[str] = mapped_column(String(10))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    partner_participated: Mapped[bool] = mapped_column(Boolean)
    #: Satang (1/100 baht): exact 64-bit integers on every backend (0009).
    budget_satang: Mapped[int | None] = mapped_column(BigInteger)
    evidence_count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_activities_fy_case", "fiscal_year", "case_reference"),
        # The indicators read a span of years from the index alone (0005).
        Index(
            "ix_activities_fy_cover",
            "fiscal_year",
            "case_reference",
            "partner_participated",
            "budget_satang",
        ),
    )


class PlanRow(Base):
    """The yearly action plan and budget of a relationship (latest per fiscal year)."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_reference: Mapped[str] = mapped_column(String(32))
    province: Mapped[str] = mapped_column(String(8))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    budget_satang: Mapped[int] = mapped_column(BigInteger)
    document_sha256: Mapped[str] = mapped_column(String(64))
    document_name: Mapped[str] = mapped_column(Text)
    document_bytes: Mapped[int] = mapped_column(Integer)
    set_at: Mapped[str] = mapped_column(String(32))
    set_by: Mapped[str] = mapped_column(String(64))
    audit_seq: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("case_reference", "fiscal_year", name="uq_plan_case_fy"),
        Index("ix_plans_fy", "fiscal_year"),
    )


class MechanismRow(Base):
    """A province's committee or working-group order (the latest; history is in the audit log)."""

    __tablename__ = "mechanisms"
    province: Mapped[str] = mapped_column(String(8), primary_key=True)
    order_no: Mapped[str] = mapped_column(Text)
    order_date: Mapped[str] = mapped_column(String(10))
    chair: Mapped[str] = mapped_column(Text)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_name: Mapped[str | None] = mapped_column(Text)
    set_at: Mapped[str] = mapped_column(String(32))
    set_by: Mapped[str] = mapped_column(String(64))
    audit_seq: Mapped[int] = mapped_column(Integer)


class MinistryMechanismRow(Base):
    """The ministry's mechanism with related agencies (the latest order; history in the log)."""

    __tablename__ = "ministry_mechanisms"
    #: ``ministry``: one row, the mechanism in force.
    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    order_no: Mapped[str] = mapped_column(Text)
    order_date: Mapped[str] = mapped_column(String(10))
    chair: Mapped[str] = mapped_column(Text)
    agencies: Mapped[list[str]] = mapped_column(JSON)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_name: Mapped[str | None] = mapped_column(Text)
    set_at: Mapped[str] = mapped_column(String(32))
    set_by: Mapped[str] = mapped_column(String(64))
    audit_seq: Mapped[int] = mapped_column(Integer)
