"""Row classes mapped onto the tables of ``store.core_tables``, for the ORM's users.

The store's hot paths (reading and advancing cases, the audit log) speak Core on those tables
and never import this module, so that a read does not pay for importing the ORM.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Table
from sqlalchemy.orm import Mapped, registry

from store.core_tables import (
    ACTIVITIES,
    AUDIT_HEAD,
    AUDIT_RECORDS,
    CASE_FACTS,
    CASES,
    DOCUMENTS,
    MECHANISMS,
    MINISTRY_MECHANISMS,
    MOVES,
    OFFICERS,
    PLANS,
    SETTINGS,
    metadata,
)

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

    __table__ = SETTINGS
    key: Mapped[str]
    value: Mapped[str]


class OfficerRow(Base):
    """A registered officer and the OS login they work under."""

    __table__ = OFFICERS
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

    __table__ = CASES
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

    __table__ = AUDIT_RECORDS
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

    __table__ = AUDIT_HEAD
    id: Mapped[int]
    log_id: Mapped[str]
    seq: Mapped[int]
    hash: Mapped[str]


class DocumentRow(Base):
    """A document's bytes, content-addressed by SHA-256: the same file is stored once."""

    __table__ = DOCUMENTS
    sha256: Mapped[str]
    name: Mapped[str]
    size: Mapped[int]
    content: Mapped[bytes]
    stored_at: Mapped[str]


class CaseFactsRow(Base):
    """Dates of a relationship the sweep and the KPIs need, kept current from the audit log."""

    __table__ = CASE_FACTS
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

    __table__ = MOVES
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

    __table__ = ACTIVITIES
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

    __table__ = PLANS
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

    __table__ = MECHANISMS
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

    __table__ = MINISTRY_MECHANISMS
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
mapper_registry.map_imperatively(CaseRow, CASES, version_id_col=CASES.c.row_version)
mapper_registry.map_imperatively(AuditRow, AuditRow.__table__)
mapper_registry.map_imperatively(AuditHeadRow, AuditHeadRow.__table__)
mapper_registry.map_imperatively(DocumentRow, DocumentRow.__table__)
mapper_registry.map_imperatively(CaseFactsRow, CaseFactsRow.__table__)
mapper_registry.map_imperatively(MoveRow, MoveRow.__table__)
mapper_registry.map_imperatively(ActivityRow, ActivityRow.__table__)
mapper_registry.map_imperatively(PlanRow, PlanRow.__table__)
mapper_registry.map_imperatively(MechanismRow, MechanismRow.__table__)
mapper_registry.map_imperatively(MinistryMechanismRow, MinistryMechanismRow.__table__)
