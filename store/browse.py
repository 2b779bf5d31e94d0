"""Reads for screens that page through many rows, and the recorded export of the audit log.

The use cases read one case or every case; a screen over 10,000 cases and a million audit records
needs filtered pages counted in SQL instead. Everything here reads through indexes of the tables
the use cases keep, and nothing here decides a rule: the overdue and phase filters are the
definitions' ``expected_days`` and ``phase`` turned into a WHERE clause (``workflow.followup``'s
``time_in_step`` is the rule; ``tests/web`` checks the two agree).

A separate module rather than additions to the repositories, so merging changes to the unit of
work touches nothing here.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, and_, false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from states import available_procedures, load_procedure
from states.i18n import N_
from store.audit import (
    BATCH,
    LogFilter,
    _filtered,
    log_query,
    record_from_row,
    stream_batches,
    write_export,
)
from store.repository import _case
from store.tables import AuditRow, CaseFactsRow, CaseRow, DocumentRow
from store.unit_of_work import SqlAlchemyUnitOfWork
from store.verify import COLUMNS
from workflow.authorization import national_access
from workflow.errors import InvalidInput
from workflow.integrity import utc_text
from workflow.model import Actor, AuditDraft, AuditRecord, Case
from workflow.thaidate import BANGKOK, fiscal_year_bounds

ExportFormat = Literal["csv", "jsonl"]


def _day_start(day: dt.date) -> str:
    """The stored (UTC text) form of midnight in Bangkok at the start of *day*."""
    return utc_text(dt.datetime.combine(day, dt.time(0), BANGKOK))


# ---------------------------------------------------------------------- cases
@dataclass(frozen=True)
class CaseQuery:
    """A screen's filter over cases; ``None`` means any."""

    province: str | None = None
    state: str | None = None
    phase: str | None = None
    procedure: str | None = None
    version: int | None = None
    #: Only cases longer in their step than its ``expected_days`` on this day.
    overdue_as_of: dt.date | None = None
    #: Opened in this Thai fiscal year (B.E.).
    opened_fy: int | None = None
    #: First signed (established) in this Thai fiscal year (B.E.), as the indicators count it.
    signed_fy: int | None = None


@dataclass(frozen=True)
class CasePage:
    """One page of cases (newest reference first) and how many match in all."""

    cases: tuple[Case, ...]
    total: int


def _versions() -> list[tuple[str, int]]:
    return [(name, v) for name, versions in available_procedures().items() for v in versions]


def _phase_clause(phase: str) -> ColumnElement[bool]:
    clauses = []
    for name, version in _versions():
        d = load_procedure(name, version).definition
        ids = [s.id for s in d.states if s.phase == phase]
        if ids:
            clauses.append(
                and_(CaseRow.procedure == name, CaseRow.version == version, CaseRow.state.in_(ids))
            )
    return or_(*clauses) if clauses else false()


def _overdue_clause(as_of: dt.date) -> ColumnElement[bool]:
    """In a step with expected days, entered before (as_of − expected days) in Bangkok."""
    clauses = []
    for name, version in _versions():
        for s in load_procedure(name, version).definition.states:
            if s.final or s.expected_days is None:
                continue
            cutoff = _day_start(as_of - dt.timedelta(days=s.expected_days))
            clauses.append(
                and_(
                    CaseRow.procedure == name,
                    CaseRow.version == version,
                    CaseRow.state == s.id,
                    CaseRow.state_since < cutoff,
                )
            )
    return or_(*clauses) if clauses else false()


def _case_conditions(q: CaseQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if q.province:
        where.append(CaseRow.province == q.province)
    if q.state:
        where.append(CaseRow.state == q.state)
    if q.phase:
        where.append(_phase_clause(q.phase))
    if q.procedure:
        where.append(CaseRow.procedure == q.procedure)
    if q.version is not None:
        where.append(CaseRow.version == q.version)
    if q.overdue_as_of is not None:
        where.append(_overdue_clause(q.overdue_as_of))
    if q.opened_fy is not None:
        start, end = fiscal_year_bounds(q.opened_fy)
        where.append(CaseRow.opened_at >= _day_start(start))
        where.append(CaseRow.opened_at < _day_start(end + dt.timedelta(days=1)))
    if q.signed_fy is not None:
        where.append(
            CaseRow.reference.in_(
                select(CaseFactsRow.case_reference).where(
                    CaseFactsRow.established_fy == q.signed_fy
                )
            )
        )
    return where


def search_cases(engine: Engine, query: CaseQuery, offset: int = 0, limit: int = 50) -> CasePage:
    """The cases matching *query*, newest reference first, *limit* from *offset*."""
    if offset < 0 or not 1 <= limit <= 500:
        raise InvalidInput(N_("a page starts at 0 and holds 1 to 500 cases"))
    where = _case_conditions(query)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(CaseRow).where(*where)).scalar_one()
    with Session(engine) as session:
        rows = session.scalars(
            select(CaseRow)
            .where(*where)
            .order_by(CaseRow.reference.desc())
            .offset(offset)
            .limit(limit)
        )
        cases = tuple(_case(r) for r in rows)
    return CasePage(cases, int(total))


# ---------------------------------------------------------------------- the log
@dataclass(frozen=True)
class LogPage:
    """Audit records, newest first, and the ``before`` value of the next (older) page."""

    records: tuple[AuditRecord, ...]
    older: int | None


def log_page(
    engine: Engine, flt: LogFilter, before: int | None = None, limit: int = 50
) -> LogPage:
    """Records matching *flt* with ``seq`` below *before*, newest first."""
    if not 1 <= limit <= 500:
        raise InvalidInput(N_("a page holds 1 to 500 records"))
    query = select(*[getattr(AuditRow, n) for n in COLUMNS]).order_by(AuditRow.seq.desc())
    query = _filtered(query, flt)
    if before is not None:
        query = query.where(AuditRow.seq < before)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit + 1)).all()
    records = tuple(record_from_row(tuple(r)) for r in rows[:limit])
    older = records[-1].seq if len(rows) > limit else None
    return LogPage(records, older)


def latest_head_export(
    engine: Engine, signed: bool = True, scan: int = 1000
) -> AuditRecord | None:
    """The newest ``audit head`` export record (signed ones only, unless *signed* is False),
    among the *scan* newest head exports."""
    query = (
        select(*[getattr(AuditRow, n) for n in COLUMNS])
        .where(AuditRow.kind == "head_export", AuditRow.trigger == "head_export")
        .order_by(AuditRow.seq.desc())
        .limit(scan)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    for row in rows:
        record = record_from_row(tuple(row))
        if not signed or record.fields.get("key"):
            return record
    return None


def stored_digests(engine: Engine, digests: Sequence[str]) -> frozenset[str]:
    """Which of *digests* have their document's bytes in the database (not only its hash)."""
    if not digests:
        return frozenset()
    with engine.connect() as conn:
        found = conn.execute(
            select(DocumentRow.sha256).where(DocumentRow.sha256.in_(sorted(set(digests))))
        ).scalars()
        return frozenset(found)


# ---------------------------------------------------------------------- recorded export
@dataclass(frozen=True)
class LogExport:
    """An export of the log as it stood: records 1..*size* (filtered), recorded as *event_seq*."""

    size: int
    head: str
    event_seq: int


def _filter_fields(flt: LogFilter) -> dict[str, Any]:
    values: Mapping[str, Any] = {
        "case": flt.case,
        "officer": flt.officer,
        "province": flt.province,
        "trigger": flt.trigger,
        "since": flt.since.isoformat() if flt.since else None,
        "until": flt.until.isoformat() if flt.until else None,
    }
    return {k: v for k, v in values.items() if v is not None}


def record_log_export(
    engine: Engine, actor: Actor, now: dt.datetime, fmt: ExportFormat, flt: LogFilter
) -> LogExport:
    """Record that *actor* exports the log, as ``audit head`` records a head export.

    The event is a ``head_export`` record (trigger ``log_export``) stating the size and head of
    the log just before it, so ``audit verify`` checks it like any head export; its fields also
    name the format and the filter. The export then holds records up to that size only.
    """
    if fmt not in ("csv", "jsonl"):
        raise InvalidInput(N_("unknown export format '{format}': csv or jsonl"), format=fmt)
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.lock()
        head = uow.audit.lock_head()
        size, digest = head.seq, head.hash
        # The role the definitions give exports of the log, if the officer holds one; a scoped
        # officer's own export is recorded without one (its scope is in the fields).
        exporters = national_access("head_export").roles
        role = next((r for r in exporters if r in actor.roles), None)
        record = uow.audit.append(
            AuditDraft(
                kind="head_export",
                case_reference=None,
                trigger="log_export",
                source=None,
                dest=None,
                actor_id=actor.id,
                actor_role=role or (min(actor.roles) if actor.roles else None),
                os_user=actor.os_user,
                occurred_at=now,
                fields={
                    "size": size,
                    "head": digest,
                    "key": None,
                    "format": fmt,
                    "filter": _filter_fields(flt),
                },
            )
        )
        uow.commit()
    return LogExport(size, digest, record.seq)


def export_chunks(
    engine: Engine, fmt: ExportFormat, flt: LogFilter, through: int, batch: int = BATCH
) -> Iterator[str]:
    """The records matching *flt* up to seq *through*, as ``audit export`` writes them (CSV
    neutralised, with a header row, or JSON Lines), in chunks of text, streamed in constant
    memory."""
    query = log_query(flt).where(AuditRow.seq <= through)
    out = io.StringIO()
    for _ in write_export(stream_batches(engine, query, batch), fmt, out):
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue()
