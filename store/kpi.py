"""The follow-up indicators computed with SQL aggregates over the audit log's read models.

Every query reads ``case_facts``, ``activities``, ``plans``, ``mechanisms``, ``moves`` or
``cases`` through an index, never the JSON payloads of ``audit_records``; that is what keeps a
national report over a million audit records interactive. Definitions: ``workflow.kpi``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Engine, and_, case, distinct, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from states import ProcedureDefinition, load_all, load_procedure
from states.reference import PROVINCES
from store.repository import parse_utc
from store.tables import ActivityRow, CaseFactsRow, CaseRow, MechanismRow, MoveRow, PlanRow
from workflow.followup import Overdue
from workflow.kpi import (
    Compliance,
    KpiReport,
    ProvinceRow,
    QuietRelationship,
    StateTime,
    YearRow,
    median_and_p90,
)
from workflow.thaidate import fiscal_year_bounds, local_date


@cache
def _definition(procedure: str, version: int) -> ProcedureDefinition:
    return load_procedure(procedure, version).definition


def _in_force_whole_year(fy: int) -> ColumnElement[bool]:
    start, end = fiscal_year_bounds(fy)
    return and_(
        CaseFactsRow.established_on < start.isoformat(),
        or_(CaseFactsRow.ended_on.is_(None), CaseFactsRow.ended_on > end.isoformat()),
    )


def _thb(satang: int | None) -> Decimal:
    return (Decimal(satang or 0) / 100).quantize(Decimal("0.01"))


def compute_kpis(
    engine: Engine, fiscal_year: int, as_of: dt.date, province: str | None = None
) -> KpiReport:
    """Every indicator for *fiscal_year* (B.E.), optionally for one province, as of *as_of*."""
    with engine.connect() as conn:

        def scoped(column: Any) -> ColumnElement[bool]:
            return column == province if province else true()

        # 1. established per fiscal year, provinces with relations at each year end
        established = dict(
            conn.execute(
                select(CaseFactsRow.established_fy, func.count())
                .where(CaseFactsRow.established_fy.is_not(None), scoped(CaseFactsRow.province))
                .group_by(CaseFactsRow.established_fy)
            ).all()
        )
        first = min([y for y in established if y is not None] or [fiscal_year])
        years: list[YearRow] = []
        previous: int | None = None
        for fy in range(min(first, fiscal_year), fiscal_year + 1):
            end = fiscal_year_bounds(fy)[1].isoformat()
            count = conn.execute(
                select(func.count(distinct(CaseFactsRow.province))).where(
                    CaseFactsRow.established_on <= end,
                    or_(CaseFactsRow.ended_on.is_(None), CaseFactsRow.ended_on > end),
                    scoped(CaseFactsRow.province),
                )
            ).scalar_one()
            years.append(
                YearRow(
                    fy,
                    int(established.get(fy, 0)),
                    int(count),
                    None if previous is None else count > previous,
                )
            )
            previous = count

        # 2. relationships in force for the whole year, with and without an activity
        active_in_year = (
            select(ActivityRow.case_reference)
            .where(
                ActivityRow.fiscal_year == fiscal_year,
                ActivityRow.case_reference == CaseFactsRow.case_reference,
            )
            .exists()
        )
        in_force = _in_force_whole_year(fiscal_year)
        per_province = conn.execute(
            select(
                CaseFactsRow.province,
                func.count(),
                func.sum(case((active_in_year, 1), else_=0)),
            )
            .where(in_force, scoped(CaseFactsRow.province))
            .group_by(CaseFactsRow.province)
        ).all()
        quiet_rows = conn.execute(
            select(
                CaseRow.reference,
                CaseRow.province,
                CaseRow.partner_name,
                CaseRow.partner_country,
                CaseRow.state,
            )
            .join(CaseFactsRow, CaseFactsRow.case_reference == CaseRow.reference)
            .where(in_force, ~active_in_year, scoped(CaseFactsRow.province))
            .order_by(CaseRow.province, CaseRow.reference)
        ).all()

        # 3. mechanisms, plans and budgets of the relationships in force
        mechanisms = tuple(
            conn.execute(
                select(MechanismRow.province)
                .where(scoped(MechanismRow.province))
                .order_by(MechanismRow.province)
            ).scalars()
        )
        plan_rows = conn.execute(
            select(
                CaseFactsRow.province,
                func.count(),
                func.sum(case((PlanRow.budget_satang > 0, 1), else_=0)),
                func.sum(PlanRow.budget_satang),
            )
            .join(
                PlanRow,
                and_(
                    PlanRow.case_reference == CaseFactsRow.case_reference,
                    PlanRow.fiscal_year == fiscal_year,
                ),
            )
            .where(in_force, scoped(CaseFactsRow.province))
            .group_by(CaseFactsRow.province)
        ).all()
        now_counts: dict[str, int] = defaultdict(int)
        for procedure, version, state, n in conn.execute(
            select(CaseRow.procedure, CaseRow.version, CaseRow.state, func.count())
            .where(scoped(CaseRow.province))
            .group_by(CaseRow.procedure, CaseRow.version, CaseRow.state)
        ):
            counted = _definition(procedure, version)
            for meaning in ("active", "dormant"):
                if counted.counts_as(state, meaning):
                    now_counts[meaning] += int(n)

        # 4. compliance over the year's judged transitions
        docs = dict(
            conn.execute(
                select(MoveRow.docs, func.count())
                .where(
                    MoveRow.fiscal_year == fiscal_year,
                    MoveRow.docs.is_not(None),
                    scoped(MoveRow.province),
                )
                .group_by(MoveRow.docs)
            ).all()
        )

        # 5. time in state over spans that ended in the year; open cases past their deadline
        durations: dict[str, list[float]] = defaultdict(list)
        for state, seconds in conn.execute(
            select(MoveRow.dest, MoveRow.seconds).where(
                MoveRow.ended_fy == fiscal_year,
                MoveRow.opens_span.is_(True),
                MoveRow.kind != "import",
                scoped(MoveRow.province),
            )
        ):
            durations[state].append((seconds or 0) / 86400)
        open_cases = conn.execute(
            select(
                CaseRow.reference,
                CaseRow.province,
                CaseRow.state,
                CaseRow.state_since,
                CaseRow.procedure,
                CaseRow.version,
            ).where(scoped(CaseRow.province))
        )
        overdue: list[Overdue] = []
        for reference, prov, state, since_text, procedure, version in open_cases:
            spec = _definition(procedure, version).state(state)
            if spec.final or spec.expected_days is None:
                continue
            since = local_date(parse_utc(since_text))
            days = (as_of - since).days
            if days > spec.expected_days:
                overdue.append(Overdue(reference, prov, state, since, days, spec.expected_days))

    activity_by_province = {p: (int(n), int(a or 0)) for p, n, a in per_province}
    plans_by_province = {p: (int(n), int(b or 0), int(s or 0)) for p, n, b, s in plan_rows}
    codes = sorted(set(activity_by_province) | set(plans_by_province) | set(mechanisms))
    provinces: list[ProvinceRow] = []
    for code in codes:
        n, a = activity_by_province.get(code, (0, 0))
        plans, budgets, satang = plans_by_province.get(code, (0, 0, 0))
        th, en = PROVINCES.get(code, (code, code))
        provinces.append(
            ProvinceRow(
                code, th, en, n, a, a / n if n else None, code in mechanisms, plans, budgets,
                _thb(satang),
            )
        )  # fmt: skip
    labels: dict[str, tuple[int, str, str]] = {}
    for loaded in load_all():
        for i, spec in enumerate(loaded.definition.states):
            labels.setdefault(spec.id, (i, spec.label.th, spec.label.en))
    times = []
    for state in sorted(durations, key=lambda s: (labels.get(s, (999, s, s))[0], s)):
        median, p90 = median_and_p90(durations[state])
        _, th, en = labels.get(state, (999, state, state))
        times.append(StateTime(state, th, en, len(durations[state]), median, p90))
    overdue.sort(key=lambda o: (-(o.days - o.expected_days), o.reference))
    return KpiReport(
        fiscal_year=fiscal_year,
        as_of=as_of,
        province=province,
        years=tuple(years),
        in_force=sum(n for n, _ in activity_by_province.values()),
        with_activity=sum(a for _, a in activity_by_province.values()),
        provinces=tuple(provinces),
        quiet=tuple(QuietRelationship(*row) for row in quiet_rows),
        mechanism_provinces=mechanisms,
        with_plan=sum(p for p, _, _ in plans_by_province.values()),
        with_budget=sum(b for _, b, _ in plans_by_province.values()),
        budget_thb=_thb(sum(s for _, _, s in plans_by_province.values())),
        active_now=int(now_counts.get("active", 0)),
        dormant_now=int(now_counts.get("dormant", 0)),
        compliance=Compliance(
            int(docs.get("complete", 0)), int(docs.get("missing", 0)), int(docs.get("unknown", 0))
        ),
        time_in_state=tuple(times),
        overdue=tuple(overdue),
    )
