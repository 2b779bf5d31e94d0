"""The follow-up repository: activities, plans, mechanisms and the facts the sweep reads.

The unit of work (``store.unit_of_work``) carries it as ``uow.followup``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.repository import _case, facts_value, parse_utc
from store.tables import (
    ActivityRow,
    AuditRow,
    CaseFactsRow,
    CaseRow,
    MechanismRow,
    MinistryMechanismRow,
    PlanRow,
)
from workflow.effects import Activity, CaseFacts
from workflow.followup import Mechanism, Plan
from workflow.integrity import utc_text
from workflow.ministry import LEVEL, MinistryMechanism
from workflow.model import Case
from workflow.ports import RegisterRow


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _thb(satang: int | None) -> Decimal | None:
    return None if satang is None else (Decimal(satang) / 100).quantize(Decimal("0.01"))


def satang(amount: Decimal) -> int:
    """Baht to integer satang, exact."""
    return int(amount * 100)


def _document(sha: str | None, name: str | None, size: int | None) -> dict[str, Any] | None:
    if sha is None:
        return None
    return {"name": name or "", "sha256": sha, "bytes": size or 0}


class SqlAlchemyFollowupRepository:
    """Documents, facts, activities, plans and mechanisms."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def cases_with_facts(self, states: Sequence[str]) -> list[tuple[Case, CaseFacts]]:
        query = (
            select(CaseRow, CaseFactsRow)
            .join(CaseFactsRow, CaseFactsRow.case_reference == CaseRow.reference)
            .where(CaseRow.state.in_(states))
            .order_by(CaseRow.reference)
        )
        return [(_case(c), facts_value(f)) for c, f in self.session.execute(query)]

    def last_event_at(self, references: Sequence[str]) -> dict[str, dt.datetime]:
        found: dict[str, dt.datetime] = {}
        refs = list(references)
        for start in range(0, len(refs), 500):
            chunk = refs[start : start + 500]
            query = (
                select(AuditRow.case_reference, func.max(AuditRow.occurred_at))
                .where(AuditRow.case_reference.in_(chunk))
                .group_by(AuditRow.case_reference)
            )
            for ref, at in self.session.execute(query):
                if ref is not None and at is not None:
                    found[ref] = parse_utc(at)
        return found

    def activities(
        self, reference: str | None, fiscal_year: int | None, province: str | None
    ) -> list[Activity]:
        query = select(ActivityRow).order_by(
            ActivityRow.activity_date.desc(), ActivityRow.audit_seq.desc()
        )
        if reference:
            query = query.where(ActivityRow.case_reference == reference)
        if fiscal_year:
            query = query.where(ActivityRow.fiscal_year == fiscal_year)
        if province:
            query = query.where(ActivityRow.province == province)
        return [
            Activity(
                audit_seq=r.audit_seq,
                case_reference=r.case_reference,
                province=r.province,
                activity_date=dt.date.fromisoformat(r.activity_date),
                fiscal_year=r.fiscal_year,
                kind=r.kind,
                title=r.title,
                partner_participated=r.partner_participated,
                budget_thb=_thb(r.budget_satang),
                evidence_count=r.evidence_count,
            )
            for r in self.session.scalars(query)
        ]

    def save_plan(self, plan: Plan) -> None:
        row = self.session.scalars(
            select(PlanRow).where(
                PlanRow.case_reference == plan.case_reference,
                PlanRow.fiscal_year == plan.fiscal_year,
            )
        ).one_or_none()
        if row is None:
            row = PlanRow(case_reference=plan.case_reference, fiscal_year=plan.fiscal_year)
            self.session.add(row)
        row.province = plan.province
        row.budget_satang = satang(plan.budget_thb)
        row.document_sha256 = str(plan.document["sha256"])
        row.document_name = str(plan.document["name"])
        row.document_bytes = int(plan.document["bytes"])
        row.set_at = utc_text(plan.set_at)
        row.set_by = plan.set_by
        row.audit_seq = plan.audit_seq
        self.session.flush()

    def plans(
        self, reference: str | None, fiscal_year: int | None, province: str | None
    ) -> list[Plan]:
        query = select(PlanRow).order_by(PlanRow.case_reference, PlanRow.fiscal_year)
        if reference:
            query = query.where(PlanRow.case_reference == reference)
        if fiscal_year:
            query = query.where(PlanRow.fiscal_year == fiscal_year)
        if province:
            query = query.where(PlanRow.province == province)
        return [
            Plan(
                case_reference=r.case_reference,
                province=r.province,
                fiscal_year=r.fiscal_year,
                budget_thb=_thb(r.budget_satang) or Decimal("0.00"),
                document=_document(r.document_sha256, r.document_name, r.document_bytes) or {},
                set_at=parse_utc(r.set_at),
                set_by=r.set_by,
                audit_seq=r.audit_seq,
            )
            for r in self.session.scalars(query)
        ]

    def save_mechanism(self, mechanism: Mechanism) -> None:
        row = self.session.get(MechanismRow, mechanism.province)
        if row is None:
            row = MechanismRow(province=mechanism.province)
            self.session.add(row)
        row.order_no = mechanism.order_no
        row.order_date = mechanism.order_date.isoformat()
        row.chair = mechanism.chair
        doc = mechanism.document
        row.document_sha256 = str(doc["sha256"]) if doc else None
        row.document_name = str(doc["name"]) if doc else None
        row.set_at = utc_text(mechanism.set_at)
        row.set_by = mechanism.set_by
        row.audit_seq = mechanism.audit_seq
        self.session.flush()

    def mechanisms(self, province: str | None) -> list[Mechanism]:
        query = select(MechanismRow).order_by(MechanismRow.province)
        if province:
            query = query.where(MechanismRow.province == province)
        return [
            Mechanism(
                province=r.province,
                order_no=r.order_no,
                order_date=dt.date.fromisoformat(r.order_date),
                chair=r.chair,
                document=_document(r.document_sha256, r.document_name, None),
                set_at=parse_utc(r.set_at),
                set_by=r.set_by,
                audit_seq=r.audit_seq,
            )
            for r in self.session.scalars(query)
        ]

    def save_ministry_mechanism(self, mechanism: MinistryMechanism) -> None:
        row = self.session.get(MinistryMechanismRow, LEVEL)
        if row is None:
            row = MinistryMechanismRow(level=LEVEL)
            self.session.add(row)
        row.order_no = mechanism.order_no
        row.order_date = mechanism.order_date.isoformat()
        row.chair = mechanism.chair
        row.agencies = list(mechanism.agencies)
        doc = mechanism.document
        row.document_sha256 = str(doc["sha256"]) if doc else None
        row.document_name = str(doc["name"]) if doc else None
        row.set_at = utc_text(mechanism.set_at)
        row.set_by = mechanism.set_by
        row.audit_seq = mechanism.audit_seq
        self.session.flush()

    def ministry_mechanism(self) -> MinistryMechanism | None:
        row = self.session.get(MinistryMechanismRow, LEVEL)
        if row is None:
            return None
        return MinistryMechanism(
            order_no=row.order_no,
            order_date=dt.date.fromisoformat(row.order_date),
            chair=row.chair,
            agencies=tuple(row.agencies),
            document=_document(row.document_sha256, row.document_name, None),
            set_at=parse_utc(row.set_at),
            set_by=row.set_by,
            audit_seq=row.audit_seq,
        )

    def identity_rows(self) -> list[tuple[str, str, str, str, str | None]]:
        """(province, partner name, country, instrument, signed_on) of every case, for imports."""
        query = select(
            CaseRow.province,
            CaseRow.partner_name,
            CaseRow.partner_country,
            CaseRow.instrument,
            CaseFactsRow.established_on,
        ).outerjoin(CaseFactsRow, CaseFactsRow.case_reference == CaseRow.reference)
        return [(p, n, c, i, s) for p, n, c, i, s in self.session.execute(query)]

    def register_rows(self, province: str | None = None) -> list[RegisterRow]:
        """Every case with its facts, by reference (optionally of one province)."""
        query = (
            select(
                CaseRow.reference,
                CaseRow.province,
                CaseRow.partner_name,
                CaseRow.partner_country,
                CaseRow.partner_level,
                CaseRow.instrument,
                CaseRow.state,
                CaseRow.procedure,
                CaseRow.version,
                CaseFactsRow.established_on,
                CaseFactsRow.established_precision,
                CaseFactsRow.supersedes,
                CaseFactsRow.superseded_by,
                CaseFactsRow.relationship,
                CaseFactsRow.entered_on,
                CaseFactsRow.term_years,
                CaseFactsRow.expires_on,
            )
            .outerjoin(CaseFactsRow, CaseFactsRow.case_reference == CaseRow.reference)
            .order_by(CaseRow.reference)
        )
        if province:
            query = query.where(CaseRow.province == province)
        return [RegisterRow(**row._asdict()) for row in self.session.execute(query)]
