"""A national picture swept across fiscal years, every KPI checked against the test's own sums.

77 provinces, a few hundred relationships imported in two batches (the second after FY 2568 had
begun), some dated only to the month or year or not at all, letters of intent replaced by MOUs;
activities over FY 2568–2569, some without the partner and some with a budget; plans; provincial
and ministry mechanisms; yearly reports; the daily sweep on each 1 October. The expected values
are computed here from the generated data by a separate, plain implementation of the
definitions in ``workflow.kpi``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from states.reference import PROVINCES
from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import OFFICERS
from store.kpi import compute_kpis
from workflow import followup as fu
from workflow import importer, services
from workflow.ministry import set_ministry_mechanism
from workflow.model import Actor

from .conftest import HEADER, at

IMPORTED = dt.date(2024, 7, 1)  # FY 2567
LATE_IMPORT = dt.date(2025, 3, 1)  # FY 2568, after it began: no data for FY 2568
SWEEPS = (dt.date(2024, 10, 1), dt.date(2025, 10, 1), dt.date(2026, 10, 1))
AS_OF = dt.date(2026, 10, 1)
MINISTRY_ORDER = dt.date(2026, 1, 5)  # in FY 2569


def fy(day: dt.date) -> int:
    return day.year + 544 if day.month >= 10 else day.year + 543


def fy_start(year_be: int) -> dt.date:
    return dt.date(year_be - 544, 10, 1)


def fy_end(year_be: int) -> dt.date:
    return dt.date(year_be - 543, 9, 30)


@dataclass
class Rel:
    """One relationship as the test knows it: the truth behind its register lines."""

    province: str
    status: str  # active, terminated, mfa_consultation
    first: dt.date | None  # first day of the period its first signing is known to
    precision: str  # day, month, year, unknown ("" when not signed)
    imported: dt.date
    pair: bool  # a letter of intent (exact date) replaced by an MOU
    head_first: dt.date | None = None  # the MOU's own date (first day), for its dormancy clock
    refs: list[str] = field(default_factory=list)  # [LOI, MOU] or [MOU]
    partner_years: set[int] = field(default_factory=set)
    any_years: set[int] = field(default_factory=set)
    spent: dict[int, int] = field(default_factory=dict)

    @property
    def head(self) -> str:
        return self.refs[-1]

    @property
    def signed(self) -> bool:
        return self.status != "mfa_consultation"

    @property
    def exists_from(self) -> dt.date:
        return self.first or self.imported

    def in_force_on(self, day: dt.date) -> bool:
        return self.status == "active" and self.exists_from <= day

    def in_force_all_year(self, year: int) -> bool:
        return self.status == "active" and self.exists_from < fy_start(year)


def _date_text(rng: random.Random, day: dt.date) -> tuple[str, str, dt.date | None]:
    form = rng.choices(["iso", "be", "dmy", "month", "year", "unknown"], [55, 10, 10, 8, 7, 10])[0]
    if form == "iso":
        return day.isoformat(), "day", day
    if form == "be":
        return f"{day.year + 543}-{day.month:02d}-{day.day:02d}", "day", day
    if form == "dmy":
        return f"{day.day}/{day.month}/{day.year + 543}", "day", day
    if form == "month":
        return f"{day.year}-{day.month:02d}", "month", day.replace(day=1)
    if form == "year":
        return f"พ.ศ. {day.year + 543}", "year", day.replace(month=1, day=1)
    return "", "unknown", None


def _snapshot_moment(day: dt.date) -> dt.datetime:
    """The end of *day* in Bangkok: when the active-share trend is counted."""
    return at(day + dt.timedelta(days=1), 0)


def build(engine: Engine) -> dict[str, object]:
    rng = random.Random(5)
    uow = SqlAlchemyUnitOfWork(engine)
    start = at("2024-01-02")
    for o in OFFICERS:
        services.add_officer(uow, o, None, start)
    officers: list[Actor] = []
    for code in PROVINCES:
        actor = Actor(f"po-{code.lower()}", code, frozenset({"province_officer"}), code)
        services.add_officer(uow, actor, OFFICERS[-1], start)
        officers.append(actor)
    by_province = {a.province: a for a in officers}
    rels: list[Rel] = []
    batches: dict[dt.date, list[tuple[Rel, list[str]]]] = {IMPORTED: [], LATE_IMPORT: []}
    for code, (thai, english) in PROVINCES.items():
        for i in range(rng.randint(1, 7)):
            status = rng.choices(["active", "terminated", "mfa_consultation"], [90, 6, 4])[0]
            imported = LATE_IMPORT if rng.random() < 0.2 else IMPORTED
            pair = status == "active" and rng.random() < 0.12
            text, precision, first = "", "", None
            if status != "mfa_consultation":
                signed = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(4400))
                text, precision, first = _date_text(rng, signed)
            name = rng.choice([code, english, thai])
            rel = Rel(code, status, first, precision, imported, pair, head_first=first)
            lines = []
            replaces = ""
            if pair:  # the relationship began with the letter of intent
                loi = dt.date(2011, 1, 1) + dt.timedelta(days=rng.randrange(300))
                lines.append(f"{name},Partner {code} {i},CN,city,LOI,sister,{loi},active,gen,")
                rel.first, rel.precision, replaces = loi, "day", rng.choice(["LOI", "line 0"])
            lines.append(
                f"{name},Partner {code} {i},CN,city,MOU,sister,{text},{status},gen,{replaces}"
            )
            rels.append(rel)
            batches[imported].append((rel, lines))
    for day, batch in batches.items():
        body: list[str] = []
        for _, lines in batch:
            if lines[-1].endswith(",line 0"):  # the line the letter of intent is on
                lines[-1] = lines[-1].replace(",line 0", f",line {len(body) + 2}")
            body.extend(lines)
        data = "\n".join([HEADER + ",supersedes", *body]) + "\n"
        result = importer.import_relationships(
            uow, OFFICERS[3], data.encode("utf-8"), f"national-{day}.csv", at(day)
        )
        refs = iter(ref for _, ref in result.created)
        for rel, lines in batch:
            rel.refs = [next(refs) for _ in lines]
    active = [r for r in rels if r.status == "active"]

    # activities in FY 2568 and 2569 (some on the replaced letter of intent, some without the
    # partner, some with a budget), interleaved with the sweeps, in time order
    events: list[tuple[dt.datetime, str, object]] = []
    for rel in active:
        for year in (2568, 2569):
            if rng.random() < 0.65:
                for _ in range(rng.randint(1, 2)):
                    day = fy_start(year) + dt.timedelta(days=rng.randrange(365))
                    if day <= rel.imported:
                        continue
                    with_partner = rng.random() < 0.8
                    budget = rng.choice([None, 20_000, 75_000])
                    ref = rel.refs[0] if rel.pair and rng.random() < 0.3 else rel.head
                    events.append((at(day, 10), "activity", (rel, ref, day, with_partner, budget)))
    for sweep_day in SWEEPS:
        events.append((at(sweep_day, 1), "sweep", sweep_day))
    events.sort(key=lambda e: (e[0], e[1]))
    state = {r.head: "active" for r in active}
    last: dict[str, dt.date] = {}  # the latest activity recorded on each instrument
    entered: dict[str, tuple[dt.datetime, bool]] = {r.head: (at(r.imported), True) for r in active}
    spans: list[tuple[str, dt.date, float]] = []  # state, exit date, days
    seen_moments: set[dt.datetime] = set()
    recorded: dict[int, int] = defaultdict(int)  # activities recorded, by the FY of recording
    points = [(fy(d) - 1, _snapshot_moment(d)) for d in SWEEPS if d < AS_OF]
    trend: dict[int, tuple[int, int]] = {}  # closed FY -> (active, dormant) at the end of 1 Oct

    def count_trend(until: dt.datetime) -> None:
        while points and points[0][1] <= until:
            year, moment = points.pop(0)
            there = [r for r in active if at(r.imported) < moment]
            trend[year] = (
                sum(1 for r in there if state[r.head] == "active"),
                sum(1 for r in there if state[r.head] == "dormant"),
            )

    for moment, kind, payload in events:
        count_trend(moment)
        if kind == "activity":
            rel, ref, day, with_partner, budget = payload  # type: ignore[misc]
            while moment in seen_moments:
                moment += dt.timedelta(seconds=1)
            seen_moments.add(moment)
            spend = str(budget) if budget else None
            given = fu.ActivityInput(day, "visit", "x", with_partner, spend)
            fu.record_activity(uow, by_province[rel.province], ref, given, [], "", moment)
            recorded[fy(moment.date())] += 1
            last[ref] = max(day, last.get(ref, day))
            rel.any_years.add(fy(day))
            if with_partner:
                rel.partner_years.add(fy(day))
            rel.spent[fy(day)] = rel.spent.get(fy(day), 0) + (budget or 0)
            if ref == rel.head and state[ref] == "dormant":
                since, _ = entered[ref]
                spans.append(("dormant", moment.date(), (moment - since).total_seconds() / 86400))
                state[ref], entered[ref] = "active", (moment, False)
        else:
            assert isinstance(payload, dt.date)
            sweep_day = payload
            fu.sweep(uow, sweep_day, moment)
            for rel in active:
                ref = rel.head
                if state[ref] != "active" or rel.imported > sweep_day:
                    continue
                clock = max(d for d in (rel.head_first, rel.imported, last.get(ref)) if d)
                if sweep_day >= dt.date(fy(clock) + 1 - 543, 10, 1):
                    since, from_import = entered[ref]
                    days = (moment - since).total_seconds() / 86400
                    spans.append(("active*" if from_import else "active", moment.date(), days))
                    state[ref], entered[ref] = "dormant", (moment, False)
    count_trend(at(AS_OF, 23))
    plans: dict[str, int] = {}
    plan_file = Path(__file__)
    for rel in active:
        if rng.random() < 0.5:
            budget = rng.choice([0, 50_000, 120_000, 1_000_000])
            fu.set_plan(
                uow, by_province[rel.province], rel.head, 2569, str(budget), plan_file,
                at("2026-09-30", 12),
            )  # fmt: skip
            plans[rel.head] = budget
    mechanisms: dict[str, dt.date] = {}
    for code in sorted(rng.sample(sorted(PROVINCES), 40)):
        order = rng.choice([dt.date(2024, 1, 5), dt.date(2026, 1, 5)])
        fu.set_mechanism(
            uow, by_province[code], code, "1/2567", order, "Governor", None, at("2026-09-30", 13)
        )
        mechanisms[code] = order
    set_ministry_mechanism(
        uow, OFFICERS[4], "คำสั่ง มท. 1/2569", MINISTRY_ORDER, "ปลัดกระทรวงมหาดไทย",
        ["กระทรวงการต่างประเทศ", "กรมส่งเสริมการปกครองท้องถิ่น"], None, at("2026-09-30", 14),
    )  # fmt: skip
    return {
        "rels": rels,
        "state": state,
        "spans": spans,
        "plans": plans,
        "mechanisms": mechanisms,
        "trend": trend,
        "recorded": dict(recorded),
    }


def test_national_picture(tmp_path: Path) -> None:
    engine = make_engine(str(tmp_path / "national.db"))
    init_database(engine, training=True)
    world = build(engine)
    rels: list[Rel] = world["rels"]  # type: ignore[assignment]
    assert len({r.province for r in rels}) == 77 and len(rels) > 250
    assert sum(r.pair for r in rels) >= 15 and sum(r.imported == LATE_IMPORT for r in rels) >= 40
    report = compute_kpis(engine, 2569, AS_OF)
    signed = [r for r in rels if r.signed]

    # 1. established per FY (a letter of intent and its MOU once, at the first signing; partial
    #    dates in the FY of their first day; unknown dates apart); provinces with relations
    dated = [r for r in signed if r.first is not None]
    assert report.unknown_year == sum(1 for r in signed if r.first is None) > 0
    first_fy = min(fy(r.exists_from) for r in signed)
    assert [y.fiscal_year for y in report.years] == list(range(first_fy, 2570))
    previous = None
    for y in report.years:
        those = [r for r in dated if fy(r.first) == y.fiscal_year]  # type: ignore[arg-type]
        assert y.established == len(those)
        assert y.approximate == sum(1 for r in those if r.precision in ("month", "year"))
        provinces = {r.province for r in rels if r.in_force_on(fy_end(y.fiscal_year))}
        assert y.provinces_with_relations == len(provinces)
        assert y.increasing == (None if previous is None else len(provinces) > previous)
        previous = len(provinces)
    assert sum(y.approximate for y in report.years) > 0

    # 2. activity with the partner among relationships in force all year, with data
    for year, rep in ((2569, report), (2568, compute_kpis(engine, 2568, AS_OF))):
        in_force = [r for r in rels if r.in_force_all_year(year) and r.imported <= fy_start(year)]
        no_data = [r for r in rels if r.in_force_all_year(year) and r.imported > fy_start(year)]
        with_partner = [r for r in in_force if year in r.partner_years]
        only_absent = [r for r in in_force if year in r.any_years and year not in r.partner_years]
        assert (rep.in_force, rep.with_activity, rep.no_data) == (
            len(in_force), len(with_partner), len(no_data)
        )  # fmt: skip
        assert rep.without_partner == len(only_absent) > 0
        assert {q.reference for q in rep.quiet} == {r.head for r in in_force} - {
            r.head for r in with_partner
        }
        per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for r in in_force:
            per[r.province][0] += 1
            per[r.province][1] += year in r.partner_years
        for r in no_data:
            per[r.province][2] += 1
        got = {
            p.province: [p.in_force, p.with_activity, p.no_data]
            for p in rep.provinces
            if p.in_force or p.no_data
        }
        assert got == dict(per)
        only_no_data = [p for p in rep.provinces if p.no_data and not p.in_force]
        assert all(p.activity_share is None for p in only_no_data)
        this = rep.activity_years[-1]
        assert (this.fiscal_year, this.in_force, this.with_partner, this.no_data) == (
            year, len(in_force), len(with_partner), len(no_data)
        )  # fmt: skip
    assert no_data and report.no_data == 0  # FY 2568 had relationships without data; 2569 none
    # before anything was imported there is no data at all (never 0 %)
    early = compute_kpis(engine, 2567, AS_OF)
    assert [(a.fiscal_year, a.in_force, a.share) for a in early.activity_years] == [
        (2567, 0, None)
    ]
    assert early.activity_years[0].no_data == sum(1 for r in rels if r.in_force_all_year(2567))

    # 3. mechanisms: provinces with relations at the FY's end with an order dated by then;
    #    the ministry's own mechanism, recorded in FY 2569
    mechanisms: dict[str, dt.date] = world["mechanisms"]  # type: ignore[assignment]
    for year, rep in ((2569, report), (2568, compute_kpis(engine, 2568, AS_OF))):
        snapshot = min(fy_end(year), AS_OF)
        with_relations = sorted({r.province for r in rels if r.in_force_on(snapshot)})
        assert list(rep.relation_provinces) == with_relations
        expected = [c for c in with_relations if c in mechanisms and mechanisms[c] <= snapshot]
        assert list(rep.mechanism_provinces) == expected
        assert rep.mechanism_share == len(expected) / len(with_relations)
        assert rep.ministry_mechanism is not None
        assert rep.ministry_mechanism.current == (snapshot >= MINISTRY_ORDER)
        assert rep.ministry_mechanism.agencies == (
            "กระทรวงการต่างประเทศ", "กรมส่งเสริมการปกครองท้องถิ่น"
        )  # fmt: skip

    # 4. active share now and its trend (one per relationship: the letters of intent replaced
    #    by an MOU are not counted on their own)
    state: dict[str, str] = world["state"]  # type: ignore[assignment]
    assert report.active_now == sum(1 for s in state.values() if s == "active")
    assert report.dormant_now == sum(1 for s in state.values() if s == "dormant")
    trend: dict[int, tuple[int, int]] = world["trend"]  # type: ignore[assignment]
    got_trend = {t.fiscal_year: (t.active, t.dormant) for t in report.active_years}
    assert got_trend == {**trend, 2569: (report.active_now, report.dormant_now)}
    assert report.active_share == report.active_now / (report.active_now + report.dormant_now)

    # 5. plans and budgets for FY 2569: planned against what activities spent
    plans: dict[str, int] = world["plans"]  # type: ignore[assignment]
    in_force = [r for r in rels if r.in_force_all_year(2569) and r.imported <= fy_start(2569)]
    assert report.with_plan == sum(1 for r in in_force if r.head in plans)
    assert report.with_budget == sum(1 for r in in_force if plans.get(r.head, 0) > 0)
    assert report.budget_thb == sum(plans.values())
    assert report.spent_thb == sum(r.spent.get(2569, 0) for r in rels)
    expected_budgets = {
        r.head: (plans.get(r.head), r.spent.get(2569, 0))
        for r in rels
        if r.head in plans or r.spent.get(2569)
    }
    got_budgets = {
        b.reference: (None if b.planned_thb is None else int(b.planned_thb), int(b.spent_thb))
        for b in report.budgets
    }
    assert got_budgets == expected_budgets
    assert any(b.used is not None and b.used > 0 for b in report.budgets)
    assert all(isinstance(b.spent_thb, Decimal) for b in report.budgets)

    # 6. compliance: FY 2569 activities are complete; the imports are unknown
    recorded: dict[int, int] = world["recorded"]  # type: ignore[assignment]
    c = report.compliance
    assert (c.complete, c.missing, c.unknown, c.share) == (recorded[2569], 0, 0, 1)
    early_imports = compute_kpis(engine, 2567, AS_OF).compliance
    late_imports = compute_kpis(engine, 2568, AS_OF).compliance
    assert early_imports.unknown == sum(len(r.refs) for r in rels if r.imported == IMPORTED)
    assert late_imports.unknown == sum(len(r.refs) for r in rels if r.imported == LATE_IMPORT)
    assert late_imports.complete == recorded[2568]

    # 7. time in state: spans that ended in FY 2569, imported spans excluded
    spans: list[tuple[str, dt.date, float]] = world["spans"]  # type: ignore[assignment]
    by_state: dict[str, list[float]] = defaultdict(list)
    for name, exit_day, days in spans:
        if fy(exit_day) == 2569 and not name.endswith("*"):
            by_state[name].append(days)
    got_times = {t.state: t for t in report.time_in_state}
    assert set(got_times) == set(by_state)
    for name, values in by_state.items():
        ordered = sorted(values)
        p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]
        assert got_times[name].spans == len(values)
        assert abs(got_times[name].median_days - statistics.median(values)) < 1e-6
        assert abs(got_times[name].p90_days - p90) < 1e-6
    proposals = [r for r in rels if r.status == "mfa_consultation"]
    assert {o.reference for o in report.overdue} == {r.head for r in proposals}

    # the notes say what rests on approximate or missing data
    notes = " ".join(n.en for n in report.notes)
    assert "dated only to the month or year" in notes and "unknown signing date" in notes
    assert f"{sum(r.pair for r in rels)} instrument(s) that replaced" in notes

    # one province: the same numbers restricted to it
    code = rels[0].province
    one = compute_kpis(engine, 2569, AS_OF, code)
    assert [p.province for p in one.provinces if p.in_force] in ([code], [])
    assert one.in_force == sum(p.in_force for p in report.provinces if p.province == code)
    engine.dispose()
