"""The follow-up indicators as plain values, and their text, JSON and CSV renderings.

``store.kpi`` computes a ``KpiReport`` with SQL aggregates; nothing here touches a database, so
the same report renders identically whatever produced it. Definitions (each one a decision the
ministry can read and contest):

1. *Established*: relationships whose first signing falls in the fiscal year (a renewal is not a
   new relationship). *Provinces with relations* at the end of each fiscal year: provinces with
   at least one relationship signed by 30 September and not ended (terminated or expired) by then.
2. *In force in FY Y*: first signed before 1 October of FY Y's start (so a whole year was
   available for an activity) and not ended by 30 September of FY Y. The activity share is the
   share of those with at least one activity dated in FY Y; the others are listed.
3. *Mechanism*: the province has a committee or working-group order on record. *Plan and budget*:
   a relationship in force has a plan for FY Y; "with budget" when that plan's budget is above 0.
4. *Compliance*: over the FY's officer transitions and imports, a transition is ``complete``
   when every required ``file`` field of its step is in its audit record; optional documents do
   not count. Imports are ``unknown`` (their documents were never seen) and count against the
   share: share = complete ÷ (complete + missing + unknown). System moves (sweep) are excluded.
5. *Time in state*: for spans that ended in FY Y (the case left the state), the median and the
   90th percentile (nearest rank) of days spent; spans begun by an import are excluded because
   their start is the import, not the real entry. *Past deadline*: open cases longer in their
   state on the as-of date than the state's ``expected_days``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from workflow import csvsafe
from workflow.followup import Overdue


@dataclass(frozen=True)
class YearRow:
    """Indicator 1, one fiscal year."""

    fiscal_year: int
    established: int
    provinces_with_relations: int
    #: Compared with the year before: True (up), False (down or flat), None (first year shown).
    increasing: bool | None


@dataclass(frozen=True)
class ProvinceRow:
    """Indicators 2 and 3 for one province and the report's fiscal year."""

    province: str
    name_th: str
    name_en: str
    in_force: int
    with_activity: int
    activity_share: float | None
    mechanism: bool
    with_plan: int
    with_budget: int
    budget_thb: Decimal


@dataclass(frozen=True)
class QuietRelationship:
    """A relationship in force with no activity in the fiscal year."""

    reference: str
    province: str
    partner_name: str
    partner_country: str
    state: str


@dataclass(frozen=True)
class Compliance:
    """Indicator 4 counts."""

    complete: int
    missing: int
    unknown: int

    @property
    def total(self) -> int:
        """Every transition judged."""
        return self.complete + self.missing + self.unknown

    @property
    def share(self) -> float | None:
        """complete ÷ total, or None when there was nothing to judge."""
        return self.complete / self.total if self.total else None


@dataclass(frozen=True)
class StateTime:
    """Indicator 5, one state."""

    state: str
    label_th: str
    label_en: str
    spans: int
    median_days: float
    p90_days: float


@dataclass(frozen=True)
class KpiReport:
    """Every indicator for one fiscal year (and optionally one province)."""

    fiscal_year: int
    as_of: dt.date
    province: str | None
    years: tuple[YearRow, ...]
    in_force: int
    with_activity: int
    provinces: tuple[ProvinceRow, ...]
    quiet: tuple[QuietRelationship, ...]
    mechanism_provinces: tuple[str, ...]
    with_plan: int
    with_budget: int
    budget_thb: Decimal
    active_now: int
    dormant_now: int
    compliance: Compliance
    time_in_state: tuple[StateTime, ...]
    overdue: tuple[Overdue, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def activity_share(self) -> float | None:
        """Share of relationships in force with at least one activity in the fiscal year."""
        return self.with_activity / self.in_force if self.in_force else None


def median_and_p90(values: Sequence[float]) -> tuple[float, float]:
    """Median (mean of the middle two for an even count) and nearest-rank 90th percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(0.9 * len(ordered)))
    return float(statistics.median(ordered)), float(ordered[rank - 1])


def pct(share: float | None) -> str:
    """A share as a percentage with one decimal, or an en dash when undefined."""
    return "–" if share is None else f"{share * 100:.1f}%"


# ---------------------------------------------------------------------- renderers
def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_dict(report: KpiReport) -> dict[str, Any]:
    """A JSON-ready dict, with the derived shares included."""
    data = _plain(asdict(report))
    data["activity_share"] = report.activity_share
    data["compliance"]["total"] = report.compliance.total
    data["compliance"]["share"] = report.compliance.share
    return dict(data)


def render_json(report: KpiReport) -> str:
    """Indented UTF-8 JSON."""
    return json.dumps(to_dict(report), ensure_ascii=False, indent=2) + "\n"


def render_csv(report: KpiReport) -> str:
    """Long format — section, fiscal_year, province, metric, value — one fact per line.

    Cells that a spreadsheet would run as a formula get a leading ``'`` (``workflow.csvsafe``).
    """
    out = io.StringIO()
    w = csvsafe.writer(out)
    w.writerow(["section", "fiscal_year", "province", "metric", "value"])
    scope = report.province or "ALL"
    for y in report.years:
        w.writerow(["established", y.fiscal_year, scope, "established", y.established])
        w.writerow(
            ["established", y.fiscal_year, scope, "provinces_with_relations",
             y.provinces_with_relations]
        )  # fmt: skip
    fy = report.fiscal_year
    w.writerow(["activity", fy, scope, "in_force", report.in_force])
    w.writerow(["activity", fy, scope, "with_activity", report.with_activity])
    w.writerow(["activity", fy, scope, "share", _share(report.activity_share)])
    for p in report.provinces:
        w.writerow(["activity", fy, p.province, "in_force", p.in_force])
        w.writerow(["activity", fy, p.province, "with_activity", p.with_activity])
        w.writerow(["activity", fy, p.province, "share", _share(p.activity_share)])
        w.writerow(["mechanism", fy, p.province, "mechanism", int(p.mechanism)])
        w.writerow(["plan", fy, p.province, "with_plan", p.with_plan])
        w.writerow(["plan", fy, p.province, "with_budget", p.with_budget])
        w.writerow(["plan", fy, p.province, "budget_thb", f"{p.budget_thb:.2f}"])
    for q in report.quiet:
        w.writerow(["no_activity", fy, q.province, "reference", q.reference])
    w.writerow(["mechanism", fy, scope, "provinces", len(report.mechanism_provinces)])
    w.writerow(["plan", fy, scope, "with_plan", report.with_plan])
    w.writerow(["plan", fy, scope, "with_budget", report.with_budget])
    w.writerow(["plan", fy, scope, "budget_thb", f"{report.budget_thb:.2f}"])
    c = report.compliance
    for metric, value in (
        ("complete", c.complete),
        ("missing", c.missing),
        ("unknown", c.unknown),
        ("share", _share(c.share)),
    ):
        w.writerow(["compliance", fy, scope, metric, value])
    for t in report.time_in_state:
        w.writerow(["time_in_state", fy, scope, f"{t.state}.spans", t.spans])
        w.writerow(["time_in_state", fy, scope, f"{t.state}.median_days", f"{t.median_days:.1f}"])
        w.writerow(["time_in_state", fy, scope, f"{t.state}.p90_days", f"{t.p90_days:.1f}"])
    for o in report.overdue:
        w.writerow(["past_deadline", fy, o.province, o.reference, f"{o.state}:{o.days}"])
    return out.getvalue()


def _share(share: float | None) -> str:
    return "" if share is None else f"{share:.4f}"


def render_table(report: KpiReport) -> str:
    """A text report for the terminal, labels in Thai and English."""
    lines: list[str] = []
    add = lines.append
    scope = report.province or "ทุกจังหวัด / all provinces"
    add(
        f"ตัวชี้วัดเมืองพี่เมืองน้อง / Sister-city indicators — ปีงบประมาณ / FY {report.fiscal_year}"
        f", {scope}, as of {report.as_of.isoformat()}"
    )
    add("")
    add("1. ความสัมพันธ์ที่ลงนามต่อปี / Established per fiscal year")
    add(f"   {'FY':>6} {'signed':>7} {'provinces':>10}  trend")
    previous: int | None = None
    for y in report.years:
        now = y.provinces_with_relations
        if previous is None:
            trend = ""
        else:
            trend = "↑" if now > previous else "↓" if now < previous else "="
        previous = now
        add(f"   {y.fiscal_year:>6} {y.established:>7} {y.provinces_with_relations:>10}  {trend}")
    add("")
    add(
        "2. มีกิจกรรมในปี / With an activity in the FY: "
        f"{report.with_activity}/{report.in_force} ({pct(report.activity_share)}); "
        f"active now {report.active_now}, dormant now {report.dormant_now}"
    )
    add(f"   {'province':8} {'name':24} {'in force':>8} {'active':>7} {'share':>7} "
        f"{'mech':>5} {'plans':>6} {'budget THB':>14}")  # fmt: skip
    for p in report.provinces:
        add(
            f"   {p.province:8} {p.name_th[:24]:24} {p.in_force:>8} {p.with_activity:>7} "
            f"{pct(p.activity_share):>7} {'yes' if p.mechanism else '-':>5} {p.with_plan:>6} "
            f"{p.budget_thb:>14,.2f}"
        )
    if report.quiet:
        add("   ไม่มีกิจกรรม / no activity:")
        for q in report.quiet:
            add(
                f"     {q.reference} {q.province} {q.partner_name} ({q.partner_country}) {q.state}"
            )
    add("")
    add(
        f"3. กลไกระดับจังหวัด / Provinces with a mechanism: {len(report.mechanism_provinces)}; "
        f"แผนและงบประมาณ / with a plan: {report.with_plan}, with a budget: {report.with_budget} "
        f"(THB {report.budget_thb:,.2f})"
    )
    c = report.compliance
    add(
        f"4. เอกสารครบถ้วน / Compliance: {c.complete}/{c.total} ({pct(c.share)}); "
        f"missing {c.missing}, unknown (imported) {c.unknown}"
    )
    add("5. ระยะเวลาในแต่ละขั้นตอน / Days in each step (spans ended in the FY)")
    for t in report.time_in_state:
        add(
            f"   {t.state:28} n={t.spans:<6} median {t.median_days:7.1f}  p90 {t.p90_days:7.1f}"
            f"  {t.label_th}"
        )
    add(f"   เกินกำหนด / past deadline: {len(report.overdue)}")
    for o in report.overdue:
        add(f"     {o.reference} {o.province} {o.state} {o.days} d (expected {o.expected_days})")
    for note in report.notes:
        add(f"note: {note}")
    return "\n".join(lines) + "\n"
