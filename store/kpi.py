"""The follow-up indicators computed from the audit log's read models.

Every query reads ``case_facts``, ``activities``, ``plans``, ``mechanisms``, ``moves`` or
``cases`` through an index or as a small grouped aggregate, never the JSON payloads of
``audit_records``; that is what keeps a national report over a million audit records
interactive. The relationships (chains of instruments) are assembled once, in memory, from one
row per case. Definitions: ``workflow.kpi``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from states import ProcedureDefinition, load_all, load_procedure
from states.reference import PROVINCES
from store.collector import collector_paused
from store.repository import parse_utc
from store.tables import (
    ActivityRow,
    CaseFactsRow,
    CaseRow,
    MechanismRow,
    MinistryMechanismRow,
    MoveRow,
    PlanRow,
)
from workflow.deadlines import Overdue
from workflow.kpi import (
    ActiveYear,
    ActivityYear,
    BudgetRow,
    Compliance,
    KpiReport,
    Note,
    ProvinceRow,
    QuietRelationship,
    StateTime,
    YearRow,
    median_and_p90,
)
from workflow.kpi import (
    MinistryMechanismRow as MinistryValue,
)
from workflow.monitoring import parse_report_reference
from workflow.thaidate import BANGKOK, fiscal_year_be, fiscal_year_bounds, local_date

#: How many fiscal years the activity and active-share trends show (the report's and before).
TREND_YEARS = 5


@cache
def _definition(procedure: str, version: int) -> ProcedureDefinition:
    return load_procedure(procedure, version).definition


@cache
def _meanings(procedure: str, version: int) -> dict[str, frozenset[str]]:
    """State id → what it counts as, in one procedure version (read once per process)."""
    return {s.id: frozenset(s.counts_as) for s in _definition(procedure, version).states}


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


_CENT = Decimal("0.01")


def _thb(satang: int | None) -> Decimal:
    return (Decimal(satang or 0) / 100).quantize(_CENT)


@dataclass(slots=True)
class _Member:
    reference: str
    province: str
    established_on: dt.date | None
    precision: str | None
    ended_on: dt.date | None
    entered_on: dt.date | None
    supersedes: str | None
    superseded_by: str | None
    definition: ProcedureDefinition
    state: str
    partner_name: str
    partner_country: str
    #: What each state of its procedure version counts as.
    meanings: dict[str, frozenset[str]]

    def counts_as(self, meaning: str, state: str | None = None) -> bool:
        """Whether its state (or *state*) counts as *meaning* in its procedure version."""
        return meaning in self.meanings.get(state or self.state, frozenset())


@dataclass(slots=True)
class _Relationship:
    """A chain of instruments: counted once."""

    root: str
    #: The first instrument's province (an import links only instruments of one province).
    province: str
    members: list[_Member] = field(default_factory=list)
    # filled by settle()
    established: bool = False
    first: dt.date | None = None
    precision: str | None = None
    exists_from: dt.date | None = None
    ended_on: dt.date | None = None
    observed_from: dt.date | None = None
    current: _Member | None = None

    # fiscal years, as integers, for the per-year tests: in force all of FY y when
    # ``whole_from <= y <= whole_until``; data for all of FY y when ``data_from <= y``
    whole_from: int = 0
    whole_until: int = 0
    data_from: int = 0

    def settle(self) -> None:
        never = 10_000
        members = self.members
        if len(members) == 1:  # most relationships: one instrument
            only = members[0]
            signed = [only] if only.precision is not None else []
            entered = [only.entered_on] if only.entered_on else []
        else:
            depth: dict[str, int] = {}
            by_ref = {m.reference: m for m in members}

            def depth_of(m: _Member, seen: int = 0) -> int:
                if m.reference not in depth:
                    before = by_ref.get(m.supersedes or "")
                    depth[m.reference] = (
                        0 if before is None or seen > 50 else depth_of(before, seen + 1) + 1
                    )
                return depth[m.reference]

            ordered = sorted(members, key=lambda m: (depth_of(m), m.reference))
            signed = [m for m in ordered if m.precision is not None]
            entered = [m.entered_on for m in members if m.entered_on]
        observed = self.observed_from = min(entered) if entered else None
        if observed is None:
            self.data_from = never
        else:  # a year is observed whole when the relationship was there on its first day
            year = fiscal_year_be(observed)
            self.data_from = year + (fiscal_year_bounds(year)[0] != observed)
        self.whole_from, self.whole_until = never, 0
        if not signed:
            return
        self.established = True
        first = signed[0]
        self.first, self.precision = first.established_on, first.precision
        known = [m.established_on for m in signed if m.established_on]
        # An unknown first signing: the relationship existed by its later instruments' dates
        # and by the day it entered the system, whichever is first.
        candidates = known if self.first is not None else [*known, *entered]
        self.exists_from = min(candidates) if candidates else None
        self.current = signed[-1]
        self.ended_on = self.current.ended_on
        if self.exists_from is not None:
            self.whole_from = fiscal_year_be(self.exists_from) + 1
            self.whole_until = fiscal_year_be(self.ended_on) - 1 if self.ended_on else never

    def in_force_on(self, day: dt.date) -> bool:
        """Existing (signed) on *day* and not ended by then."""
        return (
            self.established
            and self.exists_from is not None
            and self.exists_from <= day
            and (self.ended_on is None or self.ended_on > day)
        )

    def in_force_all_year(self, fy: int) -> bool:
        """Signed before the year began and not ended before it closed."""
        return self.whole_from <= fy <= self.whole_until

    def observed_all_year(self, fy: int) -> bool:
        """In the system since the year began (data exists for the whole year)."""
        return self.data_from <= fy


def _relationships(conn: Connection, scoped: Any) -> tuple[list[_Relationship], list[Any]]:
    """The relationships (chains) of relationship procedures, and the yearly-report cases."""
    rows = conn.execute(
        select(
            CaseFactsRow.case_reference,
            CaseFactsRow.province,
            CaseFactsRow.established_on,
            CaseFactsRow.established_precision,
            CaseFactsRow.ended_on,
            CaseFactsRow.entered_on,
            CaseFactsRow.supersedes,
            CaseFactsRow.superseded_by,
            CaseFactsRow.relationship,
            CaseRow.procedure,
            CaseRow.version,
            CaseRow.state,
            CaseRow.partner_name,
            CaseRow.partner_country,
        )
        .join(CaseRow, CaseRow.reference == CaseFactsRow.case_reference)
        .where(scoped(CaseFactsRow.province))
    ).all()
    chains: dict[str, _Relationship] = {}
    reports: list[Any] = []
    day = dt.date.fromisoformat
    versions: dict[tuple[str, int], tuple[ProcedureDefinition, dict[str, frozenset[str]]]] = {}
    for (
        reference, province, established_on, precision, ended_on, entered_on, supersedes,
        superseded_by, relationship, procedure, version, state, partner, country,
    ) in rows:  # fmt: skip
        known = versions.get((procedure, version))
        if known is None:
            known = versions[procedure, version] = (
                _definition(procedure, version),
                _meanings(procedure, version),
            )
        definition, meanings = known
        if definition.subject != "relationship":
            reports.append((reference, procedure, version, state))
            continue
        root = relationship or reference
        chain = chains.get(root)
        if chain is None:
            chain = chains[root] = _Relationship(root, province)
        chain.members.append(
            _Member(
                reference,
                province,
                day(established_on) if established_on else None,
                precision,
                day(ended_on) if ended_on else None,
                day(entered_on) if entered_on else None,
                supersedes,
                superseded_by,
                definition,
                state,
                partner,
                country,
                meanings,
            )
        )
    found = list(chains.values())
    for chain in found:
        chain.settle()
    return found, reports


def _established_years(
    chains: Iterable[_Relationship], fiscal_year: int
) -> tuple[list[YearRow], int, int]:
    """Indicator 1: per fiscal year, and the count of relationships of unknown year."""
    established: dict[int, int] = defaultdict(int)
    approximate: dict[int, int] = defaultdict(int)
    unknown = 0
    # per province, the fiscal years [start, stop) in which each relationship existed
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    first_year = fiscal_year
    for r in chains:
        if not r.established or r.exists_from is None:
            continue
        if r.first is None:
            unknown += 1
        else:
            fy = fiscal_year_be(r.first)
            established[fy] += 1
            approximate[fy] += r.precision in ("month", "year")
            first_year = min(first_year, fy)
        start = fiscal_year_be(r.exists_from)
        first_year = min(first_year, start)
        stop = fiscal_year_be(r.ended_on) if r.ended_on else fiscal_year + 1
        spans[r.province].append((start, min(stop, fiscal_year + 1)))
    provinces: dict[int, int] = defaultdict(int)  # fiscal year → provinces with relations
    for ranges in spans.values():
        reach = 0  # the years before it are counted for this province already
        for start, stop in sorted(ranges):  # by start: no year before reach is left out
            for fy in range(max(start, reach), stop):
                provinces[fy] += 1
            reach = max(reach, stop)
    years: list[YearRow] = []
    previous: int | None = None
    for fy in range(first_year, fiscal_year + 1):
        count = provinces.get(fy, 0)
        years.append(
            YearRow(
                fy,
                established.get(fy, 0),
                count,
                None if previous is None else count > previous,
                approximate.get(fy, 0),
            )
        )
        previous = count
    approx_total = sum(approximate.values())
    return years, unknown, approx_total


def _activity(conn: Connection, scoped: Any, fiscal_year: int) -> dict[str, tuple[int, int, int]]:
    """case → (activities, with the partner (0/1), satang spent) in *fiscal_year*."""
    query = (
        select(
            ActivityRow.case_reference,
            func.count(),
            func.max(case((ActivityRow.partner_participated.is_(True), 1), else_=0)),
            func.sum(ActivityRow.budget_satang),
        )
        .where(ActivityRow.fiscal_year == fiscal_year, scoped(ActivityRow.province))
        .group_by(ActivityRow.case_reference)
    )
    rows = conn.execute(query).all()
    return {ref: (int(n), int(p or 0), int(s or 0)) for ref, n, p, s in rows}


def _partner_years(conn: Connection, scoped: Any, first: int, last: int) -> dict[str, int]:
    """case → the fiscal years first–last with an activity with the partner, as bits
    (bit i: year first + i): one row per case and year, in the covering index's order (no
    sort)."""
    if first > last:
        return {}
    query = (
        select(ActivityRow.fiscal_year, ActivityRow.case_reference)
        .where(
            ActivityRow.fiscal_year.between(first, last),
            ActivityRow.partner_participated.is_(True),
            scoped(ActivityRow.province),
        )
        .distinct()
    )
    bits: dict[str, int] = {}
    get = bits.get
    for fy, ref in conn.execute(query).all():
        bits[ref] = get(ref, 0) | 1 << (fy - first)
    return bits


def _moment(day: dt.date) -> str:
    """The end of *day* in Bangkok, as the stored UTC text compares."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), BANGKOK).astimezone(dt.UTC)
    return end.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _active_trend(
    conn: Connection, scoped: Any, years: list[int], as_of: dt.date, chains: list[_Relationship]
) -> list[ActiveYear]:
    """Indicator 4's trend: active and dormant relationships at the end of 1 October after
    each closed fiscal year, one per relationship: an instrument counts while it is the latest
    of its chain (before the one that replaced it entered the system). One pass over the spans
    of the states that count as either, summed per case and state."""
    points = [
        (fy, day)
        for fy in years
        if (day := fiscal_year_bounds(fy)[1] + dt.timedelta(days=1)) <= as_of
    ]
    if not points:
        return []
    members: dict[str, tuple[_Member, dt.date | None]] = {}
    versions: dict[int, dict[str, frozenset[str]]] = {}  # each procedure version's meanings once
    for chain in chains:
        if len(chain.members) == 1:
            m = chain.members[0]
            replaced = m.entered_on if m.superseded_by == m.reference else None
            members[m.reference] = (m, replaced)
            versions.setdefault(id(m.meanings), m.meanings)
            continue
        entered = {m.reference: m.entered_on for m in chain.members}
        for m in chain.members:
            members[m.reference] = (m, entered.get(m.superseded_by or ""))
            versions.setdefault(id(m.meanings), m.meanings)
    states = sorted(
        {
            s
            for meanings_of in versions.values()
            for s, meanings in meanings_of.items()
            if meanings & {"active", "dormant"}
        }
    )
    columns = []
    for _, day in points:
        at = _moment(day)
        covers = and_(
            MoveRow.occurred_at < at, or_(MoveRow.ended_at.is_(None), MoveRow.ended_at >= at)
        )
        columns.append(func.sum(case((covers, 1), else_=0)))
    query = (
        select(MoveRow.case_reference, MoveRow.dest, *columns)
        .where(
            MoveRow.opens_span == true(),  # in this form, the partial index ix_moves_spans_cover
            MoveRow.dest.in_(states),
            MoveRow.occurred_at < _moment(points[-1][1]),
            # a span that ended before the first moment covers none (its sums would be 0)
            or_(MoveRow.ended_at.is_(None), MoveRow.ended_at >= _moment(points[0][1])),
            scoped(MoveRow.province),
        )
        .group_by(MoveRow.case_reference, MoveRow.dest)
    )
    active = [0] * len(points)
    dormant = [0] * len(points)
    # rows of instruments never replaced count at every moment: summed by column at the end
    latest_active: list[Any] = []
    latest_dormant: list[Any] = []
    nothing: frozenset[str] = frozenset()
    for row in conn.execute(query).all():
        found = members.get(row[0])
        if found is None:
            continue
        member, replaced_on = found
        meanings = member.meanings.get(row[1], nothing)
        is_active = "active" in meanings
        if not is_active and "dormant" not in meanings:
            continue
        if replaced_on is None:
            (latest_active if is_active else latest_dormant).append(row)
            continue
        tally = active if is_active else dormant
        for i, n in enumerate(row[2:]):
            if n and replaced_on > points[i][1]:
                tally[i] += int(n)
    for tally, rows in ((active, latest_active), (dormant, latest_dormant)):
        for i, column in enumerate(list(zip(*rows, strict=True))[2:]):
            tally[i] += int(sum(column))
    return [
        ActiveYear(fy, a, b, day) for (fy, day), a, b in zip(points, active, dormant, strict=True)
    ]


def compute_kpis(
    engine: Engine, fiscal_year: int, as_of: dt.date, province: str | None = None
) -> KpiReport:
    """Every indicator for *fiscal_year* (B.E.), optionally for one province, as of *as_of*."""
    with collector_paused():
        return _compute(engine, fiscal_year, as_of, province)


def _compute(engine: Engine, fiscal_year: int, as_of: dt.date, province: str | None) -> KpiReport:
    end = fiscal_year_bounds(fiscal_year)[1]
    snapshot = min(end, as_of)

    def scoped(column: Any) -> ColumnElement[bool]:
        return column == province if province else true()

    with engine.connect() as conn:
        chains, report_rows = _relationships(conn, scoped)
        observed = [r.observed_from for r in chains if r.observed_from]
        first_data = fiscal_year_be(min(observed)) if observed else fiscal_year
        trend_first = max(first_data, fiscal_year - TREND_YEARS + 1)
        activity = _activity(conn, scoped, fiscal_year)
        partner_bits = _partner_years(conn, scoped, trend_first, fiscal_year - 1)
        plans: dict[str, int] = {
            ref: int(satang)
            for ref, satang in conn.execute(
                select(PlanRow.case_reference, PlanRow.budget_satang).where(
                    PlanRow.fiscal_year == fiscal_year, scoped(PlanRow.province)
                )
            ).all()
        }
        mechanisms = dict(
            conn.execute(
                select(MechanismRow.province, MechanismRow.order_date).where(
                    scoped(MechanismRow.province)
                )
            ).all()
        )
        ministry = conn.execute(
            select(
                MinistryMechanismRow.order_no,
                MinistryMechanismRow.order_date,
                MinistryMechanismRow.chair,
                MinistryMechanismRow.agencies,
            )
        ).first()
        active_years = _active_trend(
            conn, scoped, list(range(trend_first, fiscal_year)), as_of, chains
        )
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
        durations: dict[str, list[float]] = defaultdict(list)
        for state, seconds in conn.execute(
            select(MoveRow.dest, MoveRow.seconds).where(
                MoveRow.ended_fy == fiscal_year,
                MoveRow.opens_span.is_(True),
                MoveRow.kind != "import",
                scoped(MoveRow.province),
            )
        ).all():
            durations[state].append((seconds or 0) / 86400)
        overdue = _overdue(conn, scoped, as_of)

    # 1. established, provinces with relations
    years, unknown_year, approximate = _established_years(chains, fiscal_year)

    # 2. activity with the partner, per year and per province
    trend = range(trend_first, fiscal_year)
    counted = {fy: [0, 0, 0] for fy in trend}  # in force with data, with the partner, no data
    for r in chains:
        if not r.established:
            continue
        bits = 0
        for m in r.members:
            bits |= partner_bits.get(m.reference, 0)
        # the trend's years it was in force all of
        for fy in range(max(trend_first, r.whole_from), min(fiscal_year, r.whole_until + 1)):
            c = counted[fy]
            if r.data_from <= fy:
                c[0] += 1
                c[1] += (bits >> (fy - trend_first)) & 1
            else:
                c[2] += 1
    activity_years = [ActivityYear(fy, *counted[fy]) for fy in trend]
    per: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"n": 0, "a": 0, "nd": 0, "wp": 0, "rel": 0, "plan": 0, "bud": 0, "sat": 0,
                 "spent": 0}
    )  # fmt: skip
    quiet: list[QuietRelationship] = []
    budgets: list[BudgetRow] = []
    relation_provinces: set[str] = set()
    active_now = dormant_now = 0
    for r in chains:
        if not r.established:
            continue
        p = per[r.province]
        if r.in_force_on(snapshot):
            p["rel"] += 1
            relation_provinces.add(r.province)
        # the report's year, over the chain's instruments: activities, with the partner,
        # spent, and the plans' budgets (None: no plan)
        n = partner = spent_all = 0
        planned_satang: int | None = None
        for m in r.members:
            done = activity.get(m.reference)
            if done is not None:
                n += done[0]
                partner = partner or done[1]
                spent_all += done[2]
            satang = plans.get(m.reference)
            if satang is not None:
                planned_satang = (planned_satang or 0) + satang
        in_force = no_data = with_partner = False
        if r.in_force_all_year(fiscal_year):  # in force with data, or no data
            in_force = r.observed_all_year(fiscal_year)
            no_data = not in_force
            with_partner = in_force and bool(partner)
        current = r.current
        assert current is not None
        if planned_satang is not None or spent_all:
            budgets.append(
                BudgetRow(
                    current.reference,
                    r.province,
                    current.partner_name,
                    current.partner_country,
                    _thb(planned_satang) if planned_satang is not None else None,
                    _thb(spent_all),
                    n,
                )
            )
        p["spent"] += spent_all
        p["sat"] += planned_satang or 0
        p["nd"] += no_data
        if in_force:
            p["n"] += 1
            p["a"] += with_partner
            p["wp"] += bool(n) and not with_partner
            if planned_satang is not None:
                p["plan"] += 1
                p["bud"] += bool(planned_satang)
            if not with_partner:
                spec = current.definition.state(current.state)
                quiet.append(
                    QuietRelationship(
                        current.reference, r.province, current.partner_name,
                        current.partner_country, current.state, spec.label.th, spec.label.en,
                        bool(n),
                    )
                )  # fmt: skip
        if current.counts_as("active"):
            active_now += 1
        elif current.counts_as("dormant"):
            dormant_now += 1
    this_year = ActivityYear(
        fiscal_year,
        sum(v["n"] for v in per.values()),
        sum(v["a"] for v in per.values()),
        sum(v["nd"] for v in per.values()),
    )
    activity_years.append(this_year)
    quiet.sort(key=lambda q: (q.province, q.reference))
    budgets.sort(key=lambda b: (b.province, b.reference))

    # 3. mechanisms; 8. yearly reports
    current_mechanisms = {
        code for code, day in mechanisms.items() if dt.date.fromisoformat(day) <= snapshot
    }
    reports: dict[str, tuple[str, str, bool, bool]] = {}
    for reference, procedure, version, state in report_rows:
        parsed = parse_report_reference(reference)
        if parsed is None or parsed[0] != fiscal_year:
            continue
        d = _definition(procedure, version)
        spec = d.state(state)
        meanings = _meanings(procedure, version).get(state, frozenset())
        reports[parsed[1]] = (
            spec.label.th,
            spec.label.en,
            "reported" in meanings,
            "accepted" in meanings,
        )
    ministry_value = (
        MinistryValue(
            ministry.order_no,
            dt.date.fromisoformat(ministry.order_date),
            ministry.chair,
            tuple(ministry.agencies),
            dt.date.fromisoformat(ministry.order_date) <= snapshot,
        )
        if ministry is not None
        else None
    )

    provinces: list[ProvinceRow] = []
    codes = sorted(
        {c for c, v in per.items() if v["n"] or v["nd"] or v["rel"] or v["spent"]}
        | set(mechanisms)
        | set(reports)
    )
    for code in codes:
        v = per[code]
        th, en = PROVINCES.get(code, (code, code))
        report = reports.get(code, ("", "", False, False))
        provinces.append(
            ProvinceRow(
                province=code,
                name_th=th,
                name_en=en,
                in_force=v["n"],
                with_activity=v["a"],
                activity_share=v["a"] / v["n"] if v["n"] else None,
                mechanism=code in current_mechanisms,
                with_plan=v["plan"],
                with_budget=v["bud"],
                budget_thb=_thb(v["sat"]),
                no_data=v["nd"],
                without_partner=v["wp"],
                relations=v["rel"],
                spent_thb=_thb(v["spent"]),
                report_th=report[0],
                report_en=report[1],
                reported=report[2],
                accepted=report[3],
            )
        )
    in_relations = sorted(relation_provinces)

    # 7. time in state
    labels: dict[str, tuple[int, str, str]] = {}
    for loaded in load_all():
        for i, spec in enumerate(loaded.definition.states):
            labels.setdefault(spec.id, (i, spec.label.th, spec.label.en))
    times = []
    for state in sorted(durations, key=lambda s: (labels.get(s, (999, s, s))[0], s)):
        median, p90 = median_and_p90(durations[state])
        _, th, en = labels.get(state, (999, state, state))
        times.append(StateTime(state, th, en, len(durations[state]), median, p90))

    notes = _notes(chains, unknown_year, approximate, this_year)
    active_years.append(ActiveYear(fiscal_year, active_now, dormant_now, as_of))
    return KpiReport(
        fiscal_year=fiscal_year,
        as_of=as_of,
        province=province,
        years=tuple(years),
        in_force=this_year.in_force,
        with_activity=this_year.with_partner,
        provinces=tuple(provinces),
        quiet=tuple(quiet),
        mechanism_provinces=tuple(c for c in in_relations if c in current_mechanisms),
        with_plan=sum(p.with_plan for p in provinces),
        with_budget=sum(p.with_budget for p in provinces),
        budget_thb=sum((p.budget_thb for p in provinces), Decimal("0.00")),
        active_now=active_now,
        dormant_now=dormant_now,
        compliance=Compliance(
            int(docs.get("complete", 0)), int(docs.get("missing", 0)), int(docs.get("unknown", 0))
        ),
        time_in_state=tuple(times),
        overdue=tuple(overdue),
        notes=notes,
        unknown_year=unknown_year,
        no_data=this_year.no_data,
        without_partner=sum(p.without_partner for p in provinces),
        activity_years=tuple(activity_years),
        snapshot=snapshot,
        relation_provinces=tuple(in_relations),
        ministry_mechanism=ministry_value,
        spent_thb=sum((p.spent_thb for p in provinces), Decimal("0.00")),
        budgets=tuple(budgets),
        active_years=tuple(active_years),
        reported_provinces=tuple(c for c in in_relations if reports.get(c, ("", "", 0, 0))[2]),
        accepted_provinces=tuple(c for c in in_relations if reports.get(c, ("", "", 0, 0))[3]),
        state_names=tuple((k, th, en) for k, (_, th, en) in sorted(labels.items())),
    )


def _notes(
    chains: list[_Relationship], unknown: int, approximate: int, year: ActivityYear
) -> tuple[Note, ...]:
    notes: list[Note] = []
    if approximate:
        notes.append(
            Note(
                f"ความสัมพันธ์ {approximate} รายการทราบวันที่ลงนามเพียงเดือนหรือปี: "
                "นับในปีงบประมาณของวันแรกของช่วงนั้น (ตัวเลขข้อ 1 เป็นค่าประมาณ)",
                f"{approximate} relationship(s) dated only to the month or year are counted in "
                "the fiscal year of the period's first day (figures in 1 are approximate)",
            )
        )
    if unknown:
        notes.append(
            Note(
                f'ความสัมพันธ์ {unknown} รายการไม่ทราบวันที่ลงนาม: นับใน "ไม่ทราบปี" '
                "และนับว่ามีผลตั้งแต่วันที่เข้าสู่ระบบ",
                f"{unknown} relationship(s) with an unknown signing date are counted in 'year "
                "unknown' and as existing from the day they entered the system",
            )
        )
    linked = sum(len(c.members) - 1 for c in chains if len(c.members) > 1)
    if linked:
        notes.append(
            Note(
                f"เอกสาร {linked} ฉบับที่ลงนามแทนฉบับก่อนหน้า (เช่น บันทึกความเข้าใจต่อจากหนังสือแสดงเจตจำนง) "
                "นับรวมเป็นความสัมพันธ์เดียวกับฉบับแรก",
                f"{linked} instrument(s) that replaced an earlier one (e.g. an MOU after a "
                "letter of intent) are counted with it, as one relationship",
            )
        )
    if year.no_data:
        notes.append(
            Note(
                f"ความสัมพันธ์ {year.no_data} รายการเข้าสู่ระบบหลังวันเริ่มปีงบประมาณ {year.fiscal_year}: "
                "ไม่มีข้อมูลกิจกรรมของปีนั้น (ไม่นับในตัวหาร)",
                f"{year.no_data} relationship(s) entered the system after FY {year.fiscal_year} "
                "began: no data on their activities that year (not counted in the share)",
            )
        )
    return tuple(notes)


def _overdue(conn: Connection, scoped: Any, as_of: dt.date) -> list[Overdue]:
    """Open cases past their step's expected days on *as_of*, most overdue first."""
    overdue: list[Overdue] = []
    #: (procedure, version, state) → the days its open step expects; None: no deadline
    expects: dict[tuple[str, int, str], int | None] = {}
    for reference, prov, state, since_text, procedure, version in conn.execute(
        select(
            CaseRow.reference,
            CaseRow.province,
            CaseRow.state,
            CaseRow.state_since,
            CaseRow.procedure,
            CaseRow.version,
        ).where(scoped(CaseRow.province))
    ).all():
        key = (procedure, version, state)
        if key in expects:
            expected = expects[key]
        else:
            spec = _definition(procedure, version).state(state)
            expected = expects[key] = None if spec.final else spec.expected_days
        if expected is None:
            continue
        since = local_date(parse_utc(since_text))
        days = (as_of - since).days
        if days > expected:
            overdue.append(Overdue(reference, prov, state, since, days, expected))
    overdue.sort(key=lambda o: (-(o.days - o.expected_days), o.reference))
    return overdue
