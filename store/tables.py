"""SQLAlchemy 2.x typed tables. Schema changes only ever by Alembic migration."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
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


class CaseRow(Base):
    """A relationship's current state; its history lives in ``audit_records``."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    procedure: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    definition_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64), index=True)
    previous_state: Mapped[str | None] = mapped_column(String(64))
    province: Mapped[str] = mapped_column(String(8), index=True)
    partner_name: Mapped[str] = mapped_column(Text)
    partner_country: Mapped[str] = mapped_column(String(2))
    partner_level: Mapped[str] = mapped_column(Text)
    instrument: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[str] = mapped_column(String(32))
    opened_by: Mapped[str] = mapped_column(String(64))
    state_since: Mapped[str] = mapped_column(String(32))
    trigger_actors: Mapped[dict[str, str]] = mapped_column(JSON)
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012 - SQLAlchemy's own form


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
    )


class AuditHeadRow(Base):
    """One row: the newest sequence number and hash, locked by every writer."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    log_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
