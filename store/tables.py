"""SQLAlchemy 2.x typed tables. Schema changes only ever by Alembic migration."""

from __future__ import annotations

from typing import ClassVar

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
from sqlalchemy.orm import Mapped, registry

#: Every table, created and changed only by the migrations (this is their ``target_metadata``).
metadata = MetaData()
#: Rows are mapped imperatively onto the tables above, not declaratively: scanning annotated
#: classes costs an officer's command tens of milliseconds at start-up, for the same mappings.
mapper_registry = registry(metadata=metadata)


class Base:
    """The rows' common base: ``Base.metadata`` holds every table."""

    metadata = metadata
    __table__: ClassVar[Table]  # each row class sets its own

    def __init__(self, **values: object) -> None:
        """A new row from column values by name (what declarative mapping would give)."""
        cls = type(self)
        for key, value in values.items():
            if not hasattr(cls, key):
                raise TypeError(f"{key!r} is an invalid keyword argument for {cls.__name__}")
            setattr(self, key, value)


class SettingRow(Base):
    """Database-wide facts: the log id, whether this is a training database."""

    __table__ = Table(
        "settings",
        metadata,
        Column("key", String(64), primary_key=True),
        Column("value", Text, nullable=False),
    )
    key: Mapped[str]
    value: Mapped[str]


class OfficerRow(Base):
    """A registered officer and the OS login they work under."""

    __table__ = Table(
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
    id: Mapped[str]
    name: Mapped[str]
    roles: Mapped[list[str]]
    province: Mapped[str | None]
    os_user: Mapped[str | None]
    deputy: Mapped[bool]
    created_at: Mapped[str]
    retired: Mapped[bool]
    audit_seq: Mapped[int | None]
    pg_login: Mapped[str | None]


class CaseRow(Base):
    """A relationship's current state; its history lives in ``audit_records``."""

    __table__ = Table(
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
    id: Mapped[int]
    reference: Mapped[str]
    procedure: Mapped[str]
    version: Mapped[int]
    definition_sha256: Mapped[str]
    state: Mapped[str]
    previous_state: Mapped[str | None]
    province: Mapped[str]
    partner_name: Mapped[str]
    partner_country: Mapped[str]
    partner_level: Mapped[str]
    instrument: Mapped[str]
    label: Mapped[str]
    opened_at: Mapped[str]
    opened_by: Mapped[str]
    state_since: Mapped[str]
    trigger_actors: Mapped[dict[str, list[str] | str]]
    row_version: Mapped[int]
    thai_party_level: Mapped[str | None]
    thai_party_name: Mapped[str | None]


class AuditRow(Base):
    """One audit event. Append-only: database triggers refuse UPDATE and DELETE."""

    __table__ = Table(
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
    seq: Mapped[int]
    log_id: Mapped[str]
    record_version: Mapped[int]
    kind: Mapped[str]
    case_reference: Mapped[str | None]
    case_seq: Mapped[int | None]
    trigger: Mapped[str | None]
    source: Mapped[str | None]
    dest: Mapped[str | None]
    actor_id: Mapped[str]
    actor_role: Mapped[str | None]
    os_user: Mapped[str | None]
    occurred_at: Mapped[str]
    fields: Mapped[str]
    note: Mapped[str]
    payload_sha256: Mapped[str]
    prev_hash: Mapped[str]
    hash: Mapped[str]


class AuditHeadRow(Base):
    """One row: the newest sequence number and hash, locked by every writer."""

    __table__ = Table(
        "audit_head",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("log_id", String(36), nullable=False),
        Column("seq", Integer, nullable=False),
        Column("hash", String(64), nullable=False),
    )
    id: Mapped[int]
    log_id: Mapped[str]
    seq: Mapped[int]
    hash: Mapped[str]


class DocumentRow(Base):
    """A document's bytes, content-addressed by SHA-256: the same file is stored once."""

    __table__ = Table(
        "documents",
        metadata,
        Column("sha256", String(64), primary_key=True),
        Column("name", Text, nullable=False),
        Column("size", Integer, nullable=False),
        Column("content", LargeBinary, nullable=False),
        Column("stored_at", String(32), nullable=False),
    )
    sha256: Mapped[str]
    name: Mapped[str]
    size: Mapped[int]
    content: Mapped[bytes]
    stored_at: Mapped[str]


class CaseFactsRow(Base):
    """Dates of a relationship the sweep and the KPIs need, kept current from the audit log."""

    __table__ = Table(
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
    case_reference: Mapped[str]
    province: Mapped[str]
    established_on: Mapped[str | None]
    established_fy: Mapped[int | None]
    signed_on: Mapped[str | None]
    signed_precision: Mapped[str | None]
    term_years: Mapped[int | None]
    expires_on: Mapped[str | None]
    last_activity_on: Mapped[str | None]
    follow_up_since: Mapped[str | None]
    ended_on: Mapped[str | None]
    imported_sha256: Mapped[str | None]
    established_precision: Mapped[str | None]
    entered_on: Mapped[str | None]
    supersedes: Mapped[str | None]
    superseded_by: Mapped[str | None]
    relationship: Mapped[str | None]
    step_dates: Mapped[str | None]


class MoveRow(Base):
    """One state-changing or transition audit event, with the span of the state it entered."""

    __table__ = Table(
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
        Index(
            "ix_moves_ended_cover", "ended_fy", "dest", "opens_span", "kind", "province", "seconds"
        ),
        # ix_moves_spans_cover, the spans of states read by the active-share trend from the index
        # alone, is a partial index (``WHERE opens_span``) that migrations 0006 and 0012 create; a
        # query uses it when it says ``opens_span = true()`` in so many words. It is not declared
        # here: naming its PostgreSQL options would load that dialect for every command.
    )
    seq: Mapped[int]
    case_reference: Mapped[str]
    province: Mapped[str]
    kind: Mapped[str]
    trigger: Mapped[str | None]
    source: Mapped[str | None]
    dest: Mapped[str]
    occurred_at: Mapped[str]
    fiscal_year: Mapped[int]
    docs: Mapped[str | None]
    opens_span: Mapped[bool]
    ended_at: Mapped[str | None]
    ended_fy: Mapped[int | None]
    seconds: Mapped[int | None]


class ActivityRow(Base):
    """An activity with the partner: the fields of a ``record_activity`` audit event."""

    __table__ = Table(
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
    audit_seq: Mapped[int]
    case_reference: Mapped[str]
    province: Mapped[str]
    activity_date: Mapped[str]
    fiscal_year: Mapped[int]
    kind: Mapped[str]
    title: Mapped[str]
    partner_participated: Mapped[bool]
    budget_satang: Mapped[int | None]
    evidence_count: Mapped[int]


class PlanRow(Base):
    """The yearly action plan and budget of a relationship (latest per fiscal year)."""

    __table__ = Table(
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
    id: Mapped[int]
    case_reference: Mapped[str]
    province: Mapped[str]
    fiscal_year: Mapped[int]
    budget_satang: Mapped[int]
    document_sha256: Mapped[str]
    document_name: Mapped[str]
    document_bytes: Mapped[int]
    set_at: Mapped[str]
    set_by: Mapped[str]
    audit_seq: Mapped[int]


class MechanismRow(Base):
    """A province's committee or working-group order (the latest; history is in the audit log)."""

    __table__ = Table(
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
    province: Mapped[str]
    order_no: Mapped[str]
    order_date: Mapped[str]
    chair: Mapped[str]
    document_sha256: Mapped[str | None]
    document_name: Mapped[str | None]
    set_at: Mapped[str]
    set_by: Mapped[str]
    audit_seq: Mapped[int]


class MinistryMechanismRow(Base):
    """The ministry's mechanism with related agencies (the latest order; history in the log)."""

    __table__ = Table(
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
    level: Mapped[str]
    order_no: Mapped[str]
    order_date: Mapped[str]
    chair: Mapped[str]
    agencies: Mapped[list[str]]
    document_sha256: Mapped[str | None]
    document_name: Mapped[str | None]
    set_at: Mapped[str]
    set_by: Mapped[str]
    audit_seq: Mapped[int]


mapper_registry.map_imperatively(SettingRow, SettingRow.__table__)
mapper_registry.map_imperatively(OfficerRow, OfficerRow.__table__)
mapper_registry.map_imperatively(
    CaseRow, CaseRow.__table__, version_id_col=CaseRow.__table__.c.row_version
)
mapper_registry.map_imperatively(AuditRow, AuditRow.__table__)
mapper_registry.map_imperatively(AuditHeadRow, AuditHeadRow.__table__)
mapper_registry.map_imperatively(DocumentRow, DocumentRow.__table__)
mapper_registry.map_imperatively(CaseFactsRow, CaseFactsRow.__table__)
mapper_registry.map_imperatively(MoveRow, MoveRow.__table__)
mapper_registry.map_imperatively(ActivityRow, ActivityRow.__table__)
mapper_registry.map_imperatively(PlanRow, PlanRow.__table__)
mapper_registry.map_imperatively(MechanismRow, MechanismRow.__table__)
mapper_registry.map_imperatively(MinistryMechanismRow, MinistryMechanismRow.__table__)
