"""The read models of the audit log (``case_facts``, ``moves``, ``activities``), saved and rebuilt.

What a record changes is decided by the pure ``workflow.effects.project``; the use case that
appends the record calls it and hands the result to ``SqlAlchemyFactsRepository.save``, in the same
transaction, so the sweep and the indicators read small indexed tables that commit or roll back
with the log. ``rebuild`` replays the whole log through the same function (the 0005 migration, and
a test that compares a rebuilt database with a live one). Dates are ISO text, which compares
correctly as strings on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from states import ProcedureDefinition, load_procedure
from store.repository import audit_record
from store.tables import ActivityRow, AuditRow, CaseFactsRow, MoveRow
from workflow.effects import CaseFacts, Projected, project
from workflow.integrity import utc_text
from workflow.thaidate import fiscal_year_be

_Execute = Callable[[Any], Any]


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def facts_value(row: Any) -> CaseFacts:
    """A stored facts row as the value the sweep and the projection read."""
    return CaseFacts(
        reference=row.case_reference,
        province=row.province,
        established_on=_day(row.established_on),
        signed_on=_day(row.signed_on),
        signed_precision=row.signed_precision,
        term_years=row.term_years,
        expires_on=_day(row.expires_on),
        last_activity_on=_day(row.last_activity_on),
        follow_up_since=_day(row.follow_up_since),
        ended_on=_day(row.ended_on),
        imported_sha256=row.imported_sha256,
        established_precision=row.established_precision,
        entered_on=_day(row.entered_on),
        supersedes=row.supersedes,
        superseded_by=row.superseded_by,
        relationship=row.relationship,
    )


def _facts_columns(facts: CaseFacts) -> dict[str, Any]:
    return {
        "province": facts.province,
        "established_on": _iso(facts.established_on),
        "established_fy": fiscal_year_be(facts.established_on) if facts.established_on else None,
        "signed_on": _iso(facts.signed_on),
        "signed_precision": facts.signed_precision,
        "term_years": facts.term_years,
        "expires_on": _iso(facts.expires_on),
        "last_activity_on": _iso(facts.last_activity_on),
        "follow_up_since": _iso(facts.follow_up_since),
        "ended_on": _iso(facts.ended_on),
        "imported_sha256": facts.imported_sha256,
        "established_precision": facts.established_precision,
        "entered_on": _iso(facts.entered_on),
        "supersedes": facts.supersedes,
        "superseded_by": facts.superseded_by,
        "relationship": facts.relationship,
    }


def _satang(amount: Decimal | None) -> int | None:
    return None if amount is None else int(amount * 100)


def write(execute: _Execute, projected: Projected) -> None:
    """The statements one projection needs: facts, the span it closes, its move, its activity;
    a new instrument that replaces another marks that one ``superseded_by`` it."""
    facts = projected.facts
    reference = facts.reference
    if projected.is_new:
        execute(insert(CaseFactsRow).values(case_reference=reference, **_facts_columns(facts)))
        if facts.supersedes:
            execute(
                update(CaseFactsRow)
                .where(CaseFactsRow.case_reference == facts.supersedes)
                .values(superseded_by=reference)
            )
    else:
        execute(
            update(CaseFactsRow)
            .where(CaseFactsRow.case_reference == reference)
            .values(**_facts_columns(facts))
        )
    end = projected.span_end
    if end is not None:
        execute(
            update(MoveRow)
            .where(
                MoveRow.case_reference == reference,
                MoveRow.opens_span.is_(True),
                MoveRow.ended_at.is_(None),
            )
            .values(ended_at=utc_text(end.ended_at), ended_fy=end.ended_fy, seconds=end.seconds)
        )
    m = projected.move
    execute(
        insert(MoveRow).values(
            seq=m.seq,
            case_reference=m.case_reference,
            province=m.province,
            kind=m.kind,
            trigger=m.trigger,
            source=m.source,
            dest=m.dest,
            occurred_at=utc_text(m.occurred_at),
            fiscal_year=m.fiscal_year,
            docs=m.docs,
            opens_span=m.opens_span,
        )
    )
    a = projected.activity
    if a is not None:
        execute(
            insert(ActivityRow).values(
                audit_seq=a.audit_seq,
                case_reference=a.case_reference,
                province=a.province,
                activity_date=a.activity_date.isoformat(),
                fiscal_year=a.fiscal_year,
                kind=a.kind,
                title=a.title,
                partner_participated=a.partner_participated,
                budget_satang=_satang(a.budget_thb),
                evidence_count=a.evidence_count,
            )
        )


class SqlAlchemyFactsRepository:
    """The read models, written through the session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, reference: str) -> CaseFacts | None:
        row = self.session.execute(
            select(CaseFactsRow.__table__).where(CaseFactsRow.case_reference == reference)
        ).one_or_none()
        return facts_value(row) if row is not None else None

    def save(self, projected: Projected) -> None:
        write(self.session.execute, projected)


def rebuild(conn: Connection) -> int:
    """Recompute every read model from the audit log, in log order; returns records read.

    Reads the log alone (not the ``cases`` table, whose columns a migration may not have added
    yet): each case's procedure version and province come from its opening, import or migration.
    """
    for table in (ActivityRow, MoveRow, CaseFactsRow):
        conn.execute(table.__table__.delete())  # type: ignore[attr-defined]
    definitions: dict[str, ProcedureDefinition] = {}
    provinces: dict[str, str] = {}
    facts: dict[str, CaseFacts] = {}
    spans: dict[str, dt.datetime] = {}
    count = 0
    for row in conn.execute(select(AuditRow.__table__).order_by(AuditRow.seq)):
        count += 1
        record = audit_record(row)  # type: ignore[arg-type]  # a Core row reads alike
        reference = record.case_reference
        if reference is None:
            continue
        fields = record.fields
        if record.kind in {"open", "import"}:
            definitions[reference] = load_procedure(
                str(fields["procedure"]), int(fields["version"])
            ).definition
            provinces[reference] = str(fields["province"])
        elif record.kind == "migrate":
            definitions[reference] = load_procedure(
                str(fields["procedure"]), int(fields["to_version"])
            ).definition
        definition = definitions.get(reference)
        if definition is None:
            continue
        projected = project(
            definition,
            facts.get(reference),
            record,
            province=provinces[reference],
            span_start=spans.get(reference),
        )
        if projected is None:
            continue
        write(conn.execute, projected)
        facts[reference] = projected.facts
        replaced = projected.facts.supersedes
        if projected.is_new and replaced and replaced in facts:
            facts[replaced] = replace(facts[replaced], superseded_by=reference)
        if projected.move.opens_span:
            spans[reference] = record.occurred_at
    return count
