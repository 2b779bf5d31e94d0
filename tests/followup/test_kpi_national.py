"""A national picture swept across fiscal years, every KPI checked against the test's own sums.

77 provinces, a few hundred imported relationships, activities over FY 2568–2569, plans,
mechanisms and the daily sweep on each 1 October. The expected values are computed here from the
generated data by a separate, plain implementation of the definitions in ``workflow.kpi``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
from collections import defaultdict
from pathlib import Path

from sqlalchemy import Engine

from states.reference import PROVINCES
from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import OFFICERS
from store.kpi import compute_kpis
from workflow import followup as fu
from workflow import importer, services
from workflow.model import Actor

from .conftest import at, csv_bytes

IMPORTED = dt.date(2024, 7, 1)  # FY 2567
SWEEPS = (dt.date(2024, 10, 1), dt.date(2025, 10, 1), dt.date(2026, 10, 1))
AS_OF = dt.date(2026, 10, 1)


def fy(day: dt.date) -> int:
    return day.year + 544 if day.month >= 10 else day.year + 543


def fy_end(year_be: int) -> dt.date:
    return dt.date(year_be - 543, 9, 30)


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
    rows: list[dict[str, object]] = []
    lines: list[str] = []
    for code, (thai, english) in PROVINCES.items():
        for i in range(rng.randint(1, 7)):
            status = rng.choices(["active", "terminated", "mfa_consultation"], [90, 6, 4])[0]
            signed = None
            if status != "mfa_consultation":
                signed = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(4560))
            name = rng.choice([code, english, thai])
            if signed is None:
                text = ""
            elif rng.random() < 0.3:
                text = f"{signed.year + 543}-{signed.month:02d}-{signed.day:02d}"
            else:
                text = signed.isoformat()
            lines.append(f"{name},Partner {code} {i},CN,city,MOU,sister,{text},{status},gen")
            rows.append({"province": code, "signed": signed, "status": status})
    result = importer.import_relationships(
        uow, OFFICERS[3], csv_bytes(lines), "national.csv", at(IMPORTED)
    )
    for row, (_, ref) in zip(rows, result.created, strict=True):
        row["ref"] = ref
    active_rows = [r for r in rows if r["status"] == "active"]

    # activities in FY 2568 and 2569, interleaved with the sweeps, in time order
    events: list[tuple[dt.datetime, str, object]] = []
    for row in active_rows:
        for year in (2568, 2569):
            if rng.random() < 0.6:
                for _ in range(rng.randint(1, 2)):
                    day = dt.date(year - 544, 10, 1) + dt.timedelta(days=rng.randrange(365))
                    events.append((at(day, 10), "activity", (row, day)))
    for sweep_day in SWEEPS:
        events.append((at(sweep_day, 1), "sweep", sweep_day))
    events.sort(key=lambda e: (e[0], e[1]))
    state = {str(r["ref"]): "active" for r in active_rows}
    # (when the current state was entered, whether by the import: such spans are excluded)
    entered: dict[str, tuple[dt.datetime, bool]] = {ref: (at(IMPORTED), True) for ref in state}
    spans: list[tuple[str, dt.date, float]] = []  # state, exit date, days
    last_activity: dict[str, dt.date] = {}
    activity_years: dict[str, set[int]] = defaultdict(set)
    seen_moments: set[dt.datetime] = set()
    moved_by_sweep = 0
    recorded_per_fy: dict[int, int] = defaultdict(int)
    for moment, kind, payload in events:
        if kind == "activity":
            row, day = payload  # type: ignore[misc]
            ref = str(row["ref"])
            while moment in seen_moments:
                moment += dt.timedelta(seconds=1)
            seen_moments.add(moment)
            fu.record_activity(
                uow, by_province[str(row["province"])], ref,
                fu.ActivityInput(day, "visit", "x"), [], "", moment,
            )  # fmt: skip
            last_activity[ref] = max(day, last_activity.get(ref, day))
            activity_years[ref].add(fy(day))
            recorded_per_fy[fy(day)] += 1
            if state[ref] == "dormant":
                since, from_import = entered[ref]
                spans.append(("dormant", moment.date(), (moment - since).total_seconds() / 86400))
                state[ref], entered[ref] = "active", (moment, False)
        else:
            sweep_day = payload
            assert isinstance(sweep_day, dt.date)
            fu.sweep(uow, sweep_day, moment)
            for row in active_rows:
                ref = str(row["ref"])
                if state[ref] != "active":
                    continue
                signed = row["signed"]
                assert isinstance(signed, dt.date)
                clock = max(d for d in (signed, IMPORTED, last_activity.get(ref)) if d)
                if sweep_day >= dt.date(fy(clock) + 1 - 543, 10, 1):
                    since, from_import = entered[ref]
                    days = (moment - since).total_seconds() / 86400
                    spans.append(("active*" if from_import else "active", moment.date(), days))
                    state[ref], entered[ref] = "dormant", (moment, False)
                    moved_by_sweep += 1
    plans: dict[str, int] = {}
    plan_file = Path(__file__)
    for row in active_rows:
        if rng.random() < 0.5:
            budget = rng.choice([0, 50_000, 120_000, 1_000_000])
            fu.set_plan(
                uow, by_province[str(row["province"])], str(row["ref"]), 2569, str(budget),
                plan_file, at("2026-09-30", 12),
            )  # fmt: skip
            plans[str(row["ref"])] = budget
    mechanisms = sorted(rng.sample(sorted(PROVINCES), 40))
    for code in mechanisms:
        fu.set_mechanism(
            uow, by_province[code], code, "1/2567", dt.date(2024, 1, 5), "Governor", None,
            at("2026-09-30", 13),
        )  # fmt: skip
    return {
        "rows": rows,
        "state": state,
        "spans": spans,
        "activity_years": activity_years,
        "plans": plans,
        "mechanisms": mechanisms,
        "moved": moved_by_sweep,
        "recorded_per_fy": dict(recorded_per_fy),
    }


def test_national_picture(tmp_path: Path) -> None:
    engine = make_engine(str(tmp_path / "national.db"))
    init_database(engine, training=True)
    world = build(engine)
    rows: list[dict[str, object]] = world["rows"]  # type: ignore[assignment]
    assert len({r["province"] for r in rows}) == 77 and len(rows) > 250
    report = compute_kpis(engine, 2569, AS_OF)

    # 1. established per FY; provinces with a signed, not ended relationship at each FY end
    signed_rows = [r for r in rows if r["signed"]]
    first_fy = min(fy(r["signed"]) for r in signed_rows)  # type: ignore[arg-type]
    assert [y.fiscal_year for y in report.years] == list(range(first_fy, 2570))
    previous = None
    for y in report.years:
        assert y.established == sum(1 for r in signed_rows if fy(r["signed"]) == y.fiscal_year)  # type: ignore[arg-type]
        provinces = {
            r["province"]
            for r in signed_rows
            if r["status"] != "terminated" and r["signed"] <= fy_end(y.fiscal_year)  # type: ignore[operator]
        }
        assert y.provinces_with_relations == len(provinces)
        assert y.increasing == (None if previous is None else len(provinces) > previous)
        previous = len(provinces)

    # 2. activity share among relationships in force all year, per province and overall
    activity_years: dict[str, set[int]] = world["activity_years"]  # type: ignore[assignment]
    for year, rep in ((2569, report), (2568, compute_kpis(engine, 2568, AS_OF))):
        start = dt.date(year - 544, 10, 1)
        in_force = [
            r for r in signed_rows
            if r["status"] == "active" and r["signed"] < start  # type: ignore[operator]
        ]  # fmt: skip
        with_act = [r for r in in_force if year in activity_years.get(str(r["ref"]), set())]
        assert (rep.in_force, rep.with_activity) == (len(in_force), len(with_act))
        quiet = {str(r["ref"]) for r in in_force} - {str(r["ref"]) for r in with_act}
        assert {q.reference for q in rep.quiet} == quiet
        per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in in_force:
            per[str(r["province"])][0] += 1
            per[str(r["province"])][1] += year in activity_years.get(str(r["ref"]), set())
        got = {p.province: [p.in_force, p.with_activity] for p in rep.provinces if p.in_force}
        assert got == dict(per)

    # 3. mechanisms; plans and budgets for FY 2569
    plans: dict[str, int] = world["plans"]  # type: ignore[assignment]
    assert list(report.mechanism_provinces) == world["mechanisms"]
    assert report.with_plan == len(plans)
    assert report.with_budget == sum(1 for b in plans.values() if b > 0)
    assert report.budget_thb == sum(plans.values())

    # current states after the last sweep
    state: dict[str, str] = world["state"]  # type: ignore[assignment]
    assert report.active_now == sum(1 for s in state.values() if s == "active")
    assert report.dormant_now == sum(1 for s in state.values() if s == "dormant")

    # 4. compliance: FY 2569 activities are complete; FY 2567 holds the imports (unknown)
    recorded: dict[int, int] = world["recorded_per_fy"]  # type: ignore[assignment]
    assert report.compliance.missing == 0 and report.compliance.unknown == 0
    assert report.compliance.complete == recorded[2569] and report.compliance.share == 1
    early = compute_kpis(engine, 2567, AS_OF)
    assert early.compliance.unknown == len(rows) and early.compliance.share == 0

    # 5. time in state: spans that ended in FY 2569, imported spans excluded
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
    proposals = [r for r in rows if r["status"] == "mfa_consultation"]
    assert {o.reference for o in report.overdue} == {str(r["ref"]) for r in proposals}

    # one province: the same numbers restricted to it
    code = str(rows[0]["province"])
    one = compute_kpis(engine, 2569, AS_OF, code)
    assert [p.province for p in one.provinces if p.in_force] in ([code], [])
    assert one.in_force == sum(p.in_force for p in report.provinces if p.province == code)
    engine.dispose()
