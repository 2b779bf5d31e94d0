"""The follow-up indicators as plain values, their definitions, and their text, JSON and CSV.

``store.kpi`` computes a ``KpiReport``; nothing here touches a database, so the same report
renders identically whatever produced it. Each indicator is worded as the ministry's plan words
it, and its definition (``DEFINITIONS``, Thai and English) is printed under it in every report:
each one is a decision the ministry can read and contest.

Conventions every indicator shares:

* a *relationship* is a chain of instruments linked by ``supersedes`` (a letter of intent and the
  MOU that replaced it are one relationship), counted once, from its first signing, with the
  state of its latest signed instrument;
* a signing date known only to the month or the year counts as the first day of that period,
  and the figures it moves say how many such dates they rest on (*approximate*); a relationship
  signed on an unknown date counts as established in "year unknown" and as existing from the day
  it entered the system;
* before a relationship entered the system (was opened or imported) there is *no data* about
  it, which is never shown as 0 %.
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
class Definition:
    """An indicator's title and definition, in Thai and English."""

    key: str
    title_th: str
    title_en: str
    th: str
    en: str


DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in (
        Definition(
            "established",
            "ความสัมพันธ์ที่ลงนามและจังหวัดที่มีความสัมพันธ์",
            "Relationships established, and provinces with relations",
            "จำนวนความสัมพันธ์ที่ลงนามครั้งแรกในแต่ละปีงบประมาณ (1 ต.ค.–30 ก.ย.) "
            "เอกสารที่ลงนามต่อเนื่องกัน (เช่น หนังสือแสดงเจตจำนงแล้วจึงเป็นบันทึกความเข้าใจ) "
            "นับเป็นความสัมพันธ์เดียว ณ วันที่ลงนามฉบับแรก วันที่ที่ทราบเพียงเดือนหรือปีนับในปีงบประมาณ"
            'ของวันแรกของช่วงนั้น (โดยประมาณ) ที่ไม่ทราบวันที่นับใน "ไม่ทราบปี" '
            "จังหวัดที่มีความสัมพันธ์: จังหวัดที่มีความสัมพันธ์ที่ลงนามแล้วและยังไม่สิ้นสุด ณ สิ้นปีงบประมาณ "
            "อย่างน้อยหนึ่งความสัมพันธ์ (ความสัมพันธ์ที่ไม่ทราบวันที่นับตั้งแต่วันที่เข้าสู่ระบบ) "
            "เป้าหมาย: เพิ่มขึ้นทุกปี",
            "Relationships first signed in each fiscal year (1 Oct – 30 Sep). Instruments that "
            "replace one another (a letter of intent, then an MOU) count once, at the first "
            "signing. A date known only to the month or year counts in the fiscal year of the "
            "period's first day (approximate); an unknown date counts in 'year unknown'. "
            "Provinces with relations: provinces with at least one signed relationship not "
            "ended at the fiscal year's end (one whose date is unknown counts from the day it "
            "entered the system). Target: increasing every year.",
        ),
        Definition(
            "activity",
            "กิจกรรมกับคู่ความสัมพันธ์ต่างประเทศอย่างน้อยปีละ 1 ครั้ง",
            "At least one activity a year with the foreign partner",
            "ความสัมพันธ์ที่มีผลตลอดปีงบประมาณ (ลงนามก่อน 1 ต.ค. และไม่สิ้นสุดก่อน 30 ก.ย.) "
            "ซึ่งมีกิจกรรมที่คู่ความสัมพันธ์ต่างประเทศเข้าร่วมอย่างน้อย 1 ครั้งในปีนั้น "
            "กิจกรรมที่คู่ภาคีไม่ได้เข้าร่วมไม่นับ เป้าหมาย: ทุกความสัมพันธ์ ทุกปี "
            'ความสัมพันธ์ที่เข้าสู่ระบบหลังวันเริ่มปีงบประมาณถือว่า "ไม่มีข้อมูล" ของปีนั้น (ไม่นับเป็น 0%)',
            "Relationships in force the whole fiscal year (signed before 1 October, not ended "
            "before 30 September) with at least one activity in which the foreign partner took "
            "part; activities without the partner do not count. Target: every relationship, "
            "every year. A relationship that entered the system after the fiscal year began has "
            "'no data' for that year (never 0 %).",
        ),
        Definition(
            "mechanism",
            "กลไกขับเคลื่อน กำกับ ติดตามและประเมินผล",
            "Mechanisms to drive, supervise, monitor and evaluate",
            "สัดส่วนของจังหวัดที่มีความสัมพันธ์ที่มีผลอยู่ ณ สิ้นปีงบประมาณ (หรือวันที่ออกรายงาน "
            "หากเร็วกว่า) ซึ่งมีคำสั่งแต่งตั้งคณะกรรมการหรือคณะทำงานที่ลงวันที่ไม่หลังวันนั้น "
            "และกระทรวงมหาดไทยมีกลไกร่วมกับหน่วยงานที่เกี่ยวข้อง (คำสั่งที่บันทึกไว้ล่าสุด)",
            "Share of the provinces with a relationship in force at the end of the fiscal year "
            "(or the report date, if earlier) that have a committee or working-group order dated "
            "by then; and whether the Ministry of Interior has its own mechanism with the "
            "related agencies (the latest order recorded, dated by then).",
        ),
        Definition(
            "active",
            "สัดส่วนความสัมพันธ์ที่ยังดำเนินอยู่",
            "Share of relationships still active",
            "ความสัมพันธ์ที่ดำเนินอยู่ ÷ (ดำเนินอยู่ + ซบเซา) นับความสัมพันธ์ละหนึ่งตามฉบับล่าสุด "
            "ซบเซาคือไม่มีกิจกรรมตลอดปีงบประมาณที่ปิดแล้วตามจำนวนปีที่ขั้นตอนกำหนด "
            "แนวโน้ม: ณ สิ้นวันที่ 1 ต.ค. ของแต่ละปี หลังระบบปิดปีงบประมาณก่อนหน้า "
            "ปีของรายงาน: ณ วันที่ออกรายงาน",
            "Active ÷ (active + dormant), one per relationship (its latest instrument); dormant "
            "means no activity in the closed fiscal years the procedure sets. Trend: at the end "
            "of 1 October each year, once the daily sweep has closed the fiscal year before; the "
            "report's year: as of the report date.",
        ),
        Definition(
            "plan",
            "แผนปฏิบัติการและงบประมาณ",
            "Action plans and budgets",
            "ความสัมพันธ์ที่มีผลตลอดปีซึ่งมีแผนปฏิบัติการของปีงบประมาณ และที่มีงบประมาณ (มากกว่า 0 บาท) "
            "และงบประมาณตามแผนของแต่ละความสัมพันธ์เทียบกับค่าใช้จ่ายของกิจกรรมในปีเดียวกัน "
            "(ทุกความสัมพันธ์ที่มีแผนหรือมีค่าใช้จ่ายในปี ทุกกิจกรรมของความสัมพันธ์)",
            "Relationships in force all year with an action plan for the fiscal year, and with "
            "a budget above 0 baht; and, for every relationship with a plan or spending in the "
            "year, the plan's budget against what all its activities that year spent.",
        ),
        Definition(
            "compliance",
            "ความครบถ้วนของเอกสาร",
            "Documents complete",
            "ในขั้นตอนที่เจ้าหน้าที่ดำเนินการในปีงบประมาณ ขั้นตอนถือว่าครบเมื่อมีเอกสารที่ขั้นตอนกำหนด"
            'ครบทุกฉบับ ความสัมพันธ์ที่นำเข้านับเป็น "ไม่ทราบ" และนับในตัวหาร',
            "Over the fiscal year's officer steps and imports, a step is complete when every "
            "document its procedure requires is in its record; imports are 'unknown' (their "
            "documents were never seen) and count against the share. System moves are excluded.",
        ),
        Definition(
            "time",
            "ระยะเวลาในแต่ละขั้นตอน",
            "Days in each step",
            "มัธยฐานและเปอร์เซ็นไทล์ที่ 90 ของจำนวนวันในแต่ละขั้นตอน ของช่วงที่สิ้นสุดในปีงบประมาณ "
            "ไม่นับช่วงที่เริ่มจากการนำเข้า เกินกำหนด: เรื่องที่อยู่ในขั้นตอนนานกว่าที่ขั้นตอนกำหนด",
            "Median and 90th percentile (nearest rank) of days spent in each step, over spans "
            "that ended in the fiscal year; spans begun by an import are excluded. Past the "
            "expected days: open cases longer in their step than it expects.",
        ),
        Definition(
            "reports",
            "รายงานผลการดำเนินงานประจำปีของจังหวัด",
            "Provinces' yearly reports",
            "จังหวัดที่มีความสัมพันธ์ (ตามข้อ 3) ซึ่งเสนอรายงานผลการดำเนินงานของปีงบประมาณแล้ว "
            "และที่กระทรวงรับรายงานแล้ว",
            "Provinces with relations (as in 3) that have submitted their yearly report for the "
            "fiscal year, and those whose report the ministry has accepted.",
        ),
    )
}


# ---------------------------------------------------------------------- values
@dataclass(frozen=True)
class YearRow:
    """Indicator 1, one fiscal year."""

    fiscal_year: int
    established: int
    provinces_with_relations: int
    #: Compared with the year before: True (up), False (down or flat), None (first year shown).
    increasing: bool | None
    #: Of ``established``, those dated only to the month or year.
    approximate: int = 0


@dataclass(frozen=True)
class ActivityYear:
    """Indicator 2 for one fiscal year: relationships in force all year, with data."""

    fiscal_year: int
    in_force: int
    with_partner: int
    #: In force all year but in the system only after the year began: no data for the year.
    no_data: int

    @property
    def share(self) -> float | None:
        """with_partner ÷ in_force, or ``None`` when there is no data."""
        return self.with_partner / self.in_force if self.in_force else None


@dataclass(frozen=True)
class ActiveYear:
    """Indicator 4 at one moment: relationships active and dormant."""

    fiscal_year: int
    active: int
    dormant: int
    #: The moment counted (end of 1 October after the year, or the report date).
    at: dt.date

    @property
    def share(self) -> float | None:
        """active ÷ (active + dormant), or ``None`` when there are none."""
        total = self.active + self.dormant
        return self.active / total if total else None


@dataclass(frozen=True)
class ProvinceRow:
    """Indicators 2, 3, 5 and 8 for one province and the report's fiscal year."""

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
    no_data: int = 0
    #: In force all year, with activities in the year, none of them with the partner.
    without_partner: int = 0
    #: Relationships in force at the snapshot date (the mechanism's denominator).
    relations: int = 0
    spent_thb: Decimal = Decimal("0.00")
    #: The province's yearly report: its state's labels, and what it counts as.
    report_th: str = ""
    report_en: str = ""
    reported: bool = False
    accepted: bool = False


@dataclass(frozen=True)
class QuietRelationship:
    """A relationship in force all year with no activity with the partner in the fiscal year."""

    reference: str
    province: str
    partner_name: str
    partner_country: str
    state: str
    state_th: str = ""
    state_en: str = ""
    #: It had activities in the year, but the partner took part in none.
    without_partner: bool = False


@dataclass(frozen=True)
class BudgetRow:
    """Indicator 5 for one relationship: the plan's budget against what activities spent."""

    reference: str
    province: str
    partner_name: str
    partner_country: str
    planned_thb: Decimal | None
    spent_thb: Decimal
    activities: int

    @property
    def used(self) -> float | None:
        """spent ÷ planned, or ``None`` without a planned budget above 0."""
        if not self.planned_thb:
            return None
        return float(self.spent_thb / self.planned_thb)


@dataclass(frozen=True)
class MinistryMechanismRow:
    """Indicator 3, the ministry's own mechanism as recorded."""

    order_no: str
    order_date: dt.date
    chair: str
    agencies: tuple[str, ...]
    #: Dated on or before the snapshot date.
    current: bool


@dataclass(frozen=True)
class Compliance:
    """Indicator 6 counts."""

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
    """Indicator 7, one state."""

    state: str
    label_th: str
    label_en: str
    spans: int
    median_days: float
    p90_days: float


@dataclass(frozen=True)
class Note:
    """What a figure rests on (approximate dates, missing data), in Thai and English."""

    th: str
    en: str


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
    notes: tuple[Note, ...] = field(default=())
    #: Established, signing year unknown.
    unknown_year: int = 0
    #: In force all year, in the system only after the year began.
    no_data: int = 0
    #: In force all year, with activities, none with the partner.
    without_partner: int = 0
    activity_years: tuple[ActivityYear, ...] = ()
    #: The day relations, mechanisms and reports are counted on: the FY's end, or the as-of.
    snapshot: dt.date | None = None
    #: Provinces with a relationship in force on ``snapshot``.
    relation_provinces: tuple[str, ...] = ()
    ministry_mechanism: MinistryMechanismRow | None = None
    spent_thb: Decimal = Decimal("0.00")
    budgets: tuple[BudgetRow, ...] = ()
    active_years: tuple[ActiveYear, ...] = ()
    reported_provinces: tuple[str, ...] = ()
    accepted_provinces: tuple[str, ...] = ()
    #: (state id, Thai label, English label) of every state a case can be in: reports show
    #: names, never ids.
    state_names: tuple[tuple[str, str, str], ...] = ()

    @property
    def activity_share(self) -> float | None:
        """Share of relationships in force (with data) with an activity with the partner."""
        return self.with_activity / self.in_force if self.in_force else None

    @property
    def mechanism_share(self) -> float | None:
        """Share of provinces with relations that have a current mechanism."""
        n = len(self.relation_provinces)
        return len(self.mechanism_provinces) / n if n else None

    @property
    def active_share(self) -> float | None:
        """active ÷ (active + dormant) now."""
        total = self.active_now + self.dormant_now
        return self.active_now / total if total else None

    @property
    def report_share(self) -> float | None:
        """Share of provinces with relations that submitted their yearly report."""
        n = len(self.relation_provinces)
        return len(self.reported_provinces) / n if n else None


def median_and_p90(values: Sequence[float]) -> tuple[float, float]:
    """Median (mean of the middle two for an even count) and nearest-rank 90th percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(0.9 * len(ordered)))
    return float(statistics.median(ordered)), float(ordered[rank - 1])


def pct(share: float | None) -> str:
    """A share as a percentage with one decimal, or an en dash when undefined."""
    return "–" if share is None else f"{share * 100:.1f}%"


#: Relationships listed per budget table in the text report (CSV and JSON list them all).
TABLE_ROWS = 50
NO_DATA_TH = "ไม่มีข้อมูล"
NO_DATA_EN = "no data"


def share_text(share: float | None, no_data: bool, lang: str = "both") -> str:
    """A share, or "no data" when the relationships counted had not entered the system yet,
    or an en dash when there was nothing to count."""
    if share is not None:
        return pct(share)
    if not no_data:
        return "–"
    return {"th": NO_DATA_TH, "en": NO_DATA_EN}.get(lang, f"{NO_DATA_TH} / {NO_DATA_EN}")


def _thb(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


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
    """A JSON-ready dict, with the derived shares and the definitions included."""
    data = _plain(asdict(report))
    data["activity_share"] = report.activity_share
    data["mechanism_share"] = report.mechanism_share
    data["active_share"] = report.active_share
    data["report_share"] = report.report_share
    data["compliance"]["total"] = report.compliance.total
    data["compliance"]["share"] = report.compliance.share
    for row, year in zip(data["activity_years"], report.activity_years, strict=True):
        row["share"] = year.share
    for row, point in zip(data["active_years"], report.active_years, strict=True):
        row["share"] = point.share
    for row, budget in zip(data["budgets"], report.budgets, strict=True):
        row["used"] = budget.used
    data["definitions"] = {k: _plain(asdict(d)) for k, d in DEFINITIONS.items()}
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
        w.writerow(["established", y.fiscal_year, scope, "approximate", y.approximate])
        w.writerow(
            ["established", y.fiscal_year, scope, "provinces_with_relations",
             y.provinces_with_relations]
        )  # fmt: skip
    w.writerow(["established", "", scope, "year_unknown", report.unknown_year])
    fy = report.fiscal_year
    for a in report.activity_years:
        w.writerow(["activity", a.fiscal_year, scope, "in_force", a.in_force])
        w.writerow(["activity", a.fiscal_year, scope, "with_partner", a.with_partner])
        w.writerow(["activity", a.fiscal_year, scope, "no_data", a.no_data])
        w.writerow(["activity", a.fiscal_year, scope, "share", _share(a.share)])
    w.writerow(["activity", fy, scope, "without_partner_only", report.without_partner])
    for p in report.provinces:
        w.writerow(["activity", fy, p.province, "in_force", p.in_force])
        w.writerow(["activity", fy, p.province, "with_activity", p.with_activity])
        w.writerow(["activity", fy, p.province, "no_data", p.no_data])
        w.writerow(["activity", fy, p.province, "share", _share(p.activity_share)])
        w.writerow(["mechanism", fy, p.province, "relations", p.relations])
        w.writerow(["mechanism", fy, p.province, "mechanism", int(p.mechanism)])
        w.writerow(["plan", fy, p.province, "with_plan", p.with_plan])
        w.writerow(["plan", fy, p.province, "with_budget", p.with_budget])
        w.writerow(["plan", fy, p.province, "budget_thb", f"{p.budget_thb:.2f}"])
        w.writerow(["plan", fy, p.province, "spent_thb", f"{p.spent_thb:.2f}"])
        w.writerow(["reports", fy, p.province, "reported", int(p.reported)])
        w.writerow(["reports", fy, p.province, "accepted", int(p.accepted)])
    for q in report.quiet:
        w.writerow(["no_activity", fy, q.province, "reference", q.reference])
    w.writerow(
        ["mechanism", fy, scope, "provinces_with_relations", len(report.relation_provinces)]
    )
    w.writerow(["mechanism", fy, scope, "provinces", len(report.mechanism_provinces)])
    w.writerow(["mechanism", fy, scope, "share", _share(report.mechanism_share)])
    m = report.ministry_mechanism
    w.writerow(["mechanism", fy, "MOI", "ministry", int(bool(m and m.current))])
    w.writerow(["active", fy, scope, "active", report.active_now])
    w.writerow(["active", fy, scope, "dormant", report.dormant_now])
    w.writerow(["active", fy, scope, "share", _share(report.active_share)])
    for t in report.active_years:
        w.writerow(["active_trend", t.fiscal_year, scope, "share", _share(t.share)])
    w.writerow(["plan", fy, scope, "with_plan", report.with_plan])
    w.writerow(["plan", fy, scope, "with_budget", report.with_budget])
    w.writerow(["plan", fy, scope, "budget_thb", f"{report.budget_thb:.2f}"])
    w.writerow(["plan", fy, scope, "spent_thb", f"{report.spent_thb:.2f}"])
    for b in report.budgets:
        w.writerow(["budget", fy, b.province, f"{b.reference}.planned_thb", _thb(b.planned_thb)])
        w.writerow(["budget", fy, b.province, f"{b.reference}.spent_thb", _thb(b.spent_thb)])
    c = report.compliance
    for metric, value in (
        ("complete", c.complete),
        ("missing", c.missing),
        ("unknown", c.unknown),
        ("share", _share(c.share)),
    ):
        w.writerow(["compliance", fy, scope, metric, value])
    for t2 in report.time_in_state:
        w.writerow(["time_in_state", fy, scope, f"{t2.state}.spans", t2.spans])
        w.writerow(
            ["time_in_state", fy, scope, f"{t2.state}.median_days", f"{t2.median_days:.1f}"]
        )
        w.writerow(["time_in_state", fy, scope, f"{t2.state}.p90_days", f"{t2.p90_days:.1f}"])
    for o in report.overdue:
        w.writerow(["past_deadline", fy, o.province, o.reference, f"{o.state}:{o.days}"])
    w.writerow(["reports", fy, scope, "reported", len(report.reported_provinces)])
    w.writerow(["reports", fy, scope, "accepted", len(report.accepted_provinces)])
    return out.getvalue()


def _share(share: float | None) -> str:
    return "" if share is None else f"{share:.4f}"


def _wrap(text: str, width: int = 96, indent: str = "   ") -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(indent + line)
    return lines


def _render_table_th(report: KpiReport) -> str:
    """The text report in Thai alone: provinces by name, dates in the Buddhist Era."""
    from states.reference import PROVINCES
    from workflow.thaidate import format_date

    lines: list[str] = []
    add = lines.append

    def day(value: dt.date | None) -> str:
        return "–" if value is None else format_date(value, "th")

    def province(code: str) -> str:
        return PROVINCES.get(code, (code, code))[0]

    def share(value: float | None, no_data: bool) -> str:
        return share_text(value, no_data, "th")

    def section(number: int, key: str) -> None:
        d = DEFINITIONS[key]
        add("")
        add(f"{number}. {d.title_th}")
        lines.extend(_wrap(d.th, indent="   ⓘ "))

    scope = province(report.province) if report.province else "ทุกจังหวัด"
    add(f"ตัวชี้วัดเมืองพี่เมืองน้อง ปีงบประมาณ {report.fiscal_year} {scope} ข้อมูล ณ {day(report.as_of)}")
    section(1, "established")
    add("   ปีงบประมาณ  ลงนาม  โดยประมาณ  จังหวัดที่มีความสัมพันธ์  แนวโน้ม")
    for y in report.years:
        trend = {True: "↑", False: "↓/=", None: ""}[y.increasing]
        add(
            f"   {y.fiscal_year:>10} {y.established:>6} {y.approximate:>10} "
            f"{y.provinces_with_relations:>24}  {trend}"
        )
    add(f"   ไม่ทราบปี: {report.unknown_year}")
    section(2, "activity")
    add(
        f"   ปีงบประมาณ {report.fiscal_year}: {report.with_activity}/{report.in_force} "
        f"({share(report.activity_share, report.no_data > 0)}) ไม่มีข้อมูล {report.no_data} "
        f"มีเฉพาะกิจกรรมที่คู่ภาคีไม่ได้เข้าร่วม {report.without_partner}"
    )
    for a in report.activity_years:
        add(
            f"   ปีงบประมาณ {a.fiscal_year}: {a.with_partner}/{a.in_force} "
            f"{share(a.share, a.no_data > 0)} ไม่มีข้อมูล {a.no_data}"
        )
    for p in report.provinces:
        add(
            f"   {p.name_th}: มีผลใช้บังคับ {p.in_force} มีกิจกรรม {p.with_activity} "
            f"({share(p.activity_share, p.no_data > 0)}) กลไก {'มี' if p.mechanism else 'ไม่มี'} "
            f"แผน {p.with_plan} งบตามแผน {p.budget_thb:,.2f} บาท ใช้จริง {p.spent_thb:,.2f} บาท "
            f"รายงาน {p.report_th or '–'}"
        )
    if report.quiet:
        add("   ไม่มีกิจกรรมกับคู่ภาคี:")
        for q in report.quiet:
            absent = " (มีเฉพาะกิจกรรมที่คู่ภาคีไม่ได้เข้าร่วม)" if q.without_partner else ""
            add(
                f"     {q.reference} {province(q.province)} {q.partner_name} "
                f"({q.partner_country}) {q.state}{absent}"
            )
    section(3, "mechanism")
    m = report.ministry_mechanism
    ministry = (
        f"คำสั่ง {m.order_no} ลงวันที่ {day(m.order_date)}" + ("" if m.current else " (หลังวันที่ของข้อมูล)")
        if m
        else "ยังไม่ได้บันทึก"
    )
    add(
        f"   จังหวัด {len(report.mechanism_provinces)}/{len(report.relation_provinces)} "
        f"({pct(report.mechanism_share)}) ณ {day(report.snapshot)} กระทรวง: {ministry}"
    )
    section(4, "active")
    add(
        f"   ปัจจุบัน {report.active_now}/{report.active_now + report.dormant_now} "
        f"({pct(report.active_share)}) ดำเนินอยู่ {report.active_now} ซบเซา {report.dormant_now}"
    )
    for t in report.active_years:
        add(
            f"   ปีงบประมาณ {t.fiscal_year} ({day(t.at)}): {t.active}/{t.active + t.dormant} "
            f"({pct(t.share)})"
        )
    section(5, "plan")
    add(
        f"   มีแผน {report.with_plan}/{report.in_force} มีงบประมาณ {report.with_budget} "
        f"งบตามแผน {report.budget_thb:,.2f} บาท ใช้จริง {report.spent_thb:,.2f} บาท"
    )
    for b in report.budgets[:TABLE_ROWS]:
        planned = f"{b.planned_thb:,.2f} บาท" if b.planned_thb is not None else "ไม่มีแผน"
        add(
            f"     {b.reference} {province(b.province)} {b.partner_name}: ตามแผน {planned} "
            f"ใช้จริง {b.spent_thb:,.2f} บาท ({pct(b.used)})"
        )
    if len(report.budgets) > TABLE_ROWS:
        more = len(report.budgets) - TABLE_ROWS
        add(f"     … อีก {more:,} รายการ: ใช้ --format csv หรือ --province")
    c = report.compliance
    section(6, "compliance")
    add(
        f"   {c.complete}/{c.total} ({pct(c.share)}) ขาดเอกสาร {c.missing} "
        f"ไม่ทราบ (นำเข้า) {c.unknown}"
    )
    section(7, "time")
    for st in report.time_in_state:
        add(
            f"   {st.label_th}: {st.spans} ช่วง มัธยฐาน {st.median_days:.1f} วัน "
            f"เปอร์เซ็นไทล์ 90 {st.p90_days:.1f} วัน"
        )
    add(f"   เกินกำหนด: {len(report.overdue)}")
    for o in report.overdue:
        add(
            f"     {o.reference} {province(o.province)} {o.state} {o.days} วัน "
            f"(กำหนด {o.expected_days} วัน)"
        )
    section(8, "reports")
    add(
        f"   ส่งรายงาน {len(report.reported_provinces)}/{len(report.relation_provinces)} "
        f"({pct(report.report_share)}) รับรองแล้ว {len(report.accepted_provinces)}"
    )
    if report.notes:
        add("")
        for note in report.notes:
            add(f"หมายเหตุ: {note.th}")
    return "\n".join(lines) + "\n"


def render_table(report: KpiReport, lang: str = "both") -> str:
    """A text report for the terminal, Thai first, each indicator with its definition
    (``lang="th"``: Thai alone)."""
    if lang == "th":
        return _render_table_th(report)
    lines: list[str] = []
    add = lines.append
    scope = report.province or "ทุกจังหวัด / all provinces"

    def section(number: int, key: str) -> None:
        d = DEFINITIONS[key]
        add("")
        add(f"{number}. {d.title_th} / {d.title_en}")
        lines.extend(_wrap(d.th, indent="   ⓘ "))
        lines.extend(_wrap(d.en, indent="   ⓘ "))

    add(
        f"ตัวชี้วัดเมืองพี่เมืองน้อง / Sister-city indicators — ปีงบประมาณ / FY {report.fiscal_year}"
        f", {scope}, as of {report.as_of.isoformat()}"
    )
    section(1, "established")
    add(f"   {'FY':>6} {'signed':>7} {'approx.':>8} {'provinces':>10}  trend")
    for y in report.years:
        trend = {True: "↑", False: "↓/=", None: ""}[y.increasing]
        add(
            f"   {y.fiscal_year:>6} {y.established:>7} {y.approximate:>8} "
            f"{y.provinces_with_relations:>10}  {trend}"
        )
    add(f"   ไม่ทราบปี / year unknown: {report.unknown_year}")
    section(2, "activity")
    add(
        f"   FY {report.fiscal_year}: {report.with_activity}/{report.in_force} "
        f"({share_text(report.activity_share, report.no_data > 0)}); no data {report.no_data}; "
        f"activities without the partner only {report.without_partner}"
    )
    for a in report.activity_years:
        add(
            f"   FY {a.fiscal_year}: {a.with_partner}/{a.in_force} "
            f"{share_text(a.share, a.no_data > 0):>24}  no data {a.no_data}"
        )
    add(f"   {'province':8} {'name':24} {'in force':>8} {'partner':>7} {'share':>22} "
        f"{'mech':>5} {'plans':>6} {'planned THB':>14} {'spent THB':>14} report")  # fmt: skip
    for p in report.provinces:
        add(
            f"   {p.province:8} {p.name_th[:24]:24} {p.in_force:>8} {p.with_activity:>7} "
            f"{share_text(p.activity_share, p.no_data > 0):>22} "
            f"{'yes' if p.mechanism else '-':>5} {p.with_plan:>6} {p.budget_thb:>14,.2f} "
            f"{p.spent_thb:>14,.2f} {p.report_en or '-'}"
        )
    if report.quiet:
        add("   ไม่มีกิจกรรมกับคู่ภาคี / no activity with the partner:")
        for q in report.quiet:
            absent = " (activities without the partner)" if q.without_partner else ""
            add(
                f"     {q.reference} {q.province} {q.partner_name} ({q.partner_country}) "
                f"{q.state}{absent}"
            )
    section(3, "mechanism")
    m = report.ministry_mechanism
    ministry = (
        f"order {m.order_no} of {m.order_date}{'' if m.current else ' (after the snapshot)'}"
        if m
        else "none recorded"
    )
    add(
        f"   provinces: {len(report.mechanism_provinces)}/{len(report.relation_provinces)} "
        f"({pct(report.mechanism_share)}) as of {report.snapshot}; ministry: {ministry}"
    )
    section(4, "active")
    add(
        f"   now: {report.active_now}/{report.active_now + report.dormant_now} "
        f"({pct(report.active_share)}); active {report.active_now}, dormant {report.dormant_now}"
    )
    for t in report.active_years:
        add(f"   FY {t.fiscal_year} ({t.at}): {t.active}/{t.active + t.dormant} ({pct(t.share)})")
    section(5, "plan")
    add(
        f"   with a plan {report.with_plan}/{report.in_force}, with a budget "
        f"{report.with_budget}; planned THB {report.budget_thb:,.2f}, spent THB "
        f"{report.spent_thb:,.2f}"
    )
    for b in report.budgets[:TABLE_ROWS]:
        planned = f"{b.planned_thb:,.2f}" if b.planned_thb is not None else "no plan"
        add(
            f"     {b.reference} {b.province} {b.partner_name}: planned {planned}, spent "
            f"{b.spent_thb:,.2f} ({pct(b.used)})"
        )
    if len(report.budgets) > TABLE_ROWS:
        add(f"     … {len(report.budgets) - TABLE_ROWS:,} more: --format csv or --province")
    c = report.compliance
    section(6, "compliance")
    add(
        f"   {c.complete}/{c.total} ({pct(c.share)}); missing {c.missing}, unknown (imported) "
        f"{c.unknown}"
    )
    section(7, "time")
    for st in report.time_in_state:
        add(
            f"   {st.state:28} n={st.spans:<6} median {st.median_days:7.1f}  p90 "
            f"{st.p90_days:7.1f}  {st.label_th}"
        )
    add(f"   เกินกำหนด / past deadline: {len(report.overdue)}")
    for o in report.overdue:
        add(f"     {o.reference} {o.province} {o.state} {o.days} d (expected {o.expected_days})")
    section(8, "reports")
    add(
        f"   reported {len(report.reported_provinces)}/{len(report.relation_provinces)} "
        f"({pct(report.report_share)}), accepted {len(report.accepted_provinces)}"
    )
    if report.notes:
        add("")
        for note in report.notes:
            add(f"หมายเหตุ: {note.th}")
            add(f"note: {note.en}")
    return "\n".join(lines) + "\n"
