"""The KPI report as one self-contained HTML file a director can read: inline CSS and SVG, no
script, no network, printable on A4.

A ministry report travels by e-mail and is opened on machines without internet access, so
nothing is fetched: charts are SVG drawn by ``workflow.charts`` (one scale per chart, axes with
their values), fonts are the reader's own Thai fonts. In Thai mode (``lang="th"``, the default)
provinces and steps are named in Thai and dates are Buddhist Era: no ISO code or state id is
shown; ``both`` adds English. Each indicator's definition is printed under its title, and a
section with nothing to show says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from states.reference import PROVINCES
from workflow.charts import bar_chart, column_chart, paired_bar_chart
from workflow.kpi import DEFINITIONS, NO_DATA_EN, NO_DATA_TH, KpiReport, pct, share_text
from workflow.thaidate import format_date

#: Tables longer than this are summarised in the HTML (the CSV and JSON have every row).
MAX_ROWS = 300
BLUE, RED, GREEN, ORANGE, GREY = "#2b5d8a", "#c0392b", "#27ae60", "#e67e22", "#7f8c8d"

_CSS = """
body{font-family:"Sarabun","Noto Sans Thai","Loma","Garuda","Tahoma",sans-serif;margin:24px;
color:#1b1b1b;background:#fff;max-width:900px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 4px;border-bottom:2px solid #2b5d8a;page-break-after:avoid}
p.def{color:#444;font-size:13px;margin:2px 0 10px;background:#f4f6f9;padding:6px 10px;
border-left:3px solid #2b5d8a}
p.empty{color:#555;font-style:italic}
.sub{color:#555;margin:0 0 12px}.en{color:#555;font-size:90%}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#e8eef5}td.l,th.l{text-align:left}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #ccd;border-radius:6px;padding:8px 14px;min-width:160px}
.card b{display:block;font-size:22px;color:#2b5d8a}
ul.notes{font-size:13px;color:#444}
svg{display:block;margin:6px 0;max-width:100%;height:auto}
@media print{body{margin:0}h2{page-break-after:avoid}svg,table{page-break-inside:avoid}}
"""


class _Words:
    """What the page says, in the language chosen: Thai, English, or both."""

    def __init__(self, report: KpiReport, lang: str) -> None:
        self.lang = lang if lang in ("th", "en", "both") else "th"
        self.states = {sid: (th, en) for sid, th, en in report.state_names}

    def t(self, th: str, en: str) -> str:
        """Escaped text: Thai, English, or Thai with the English after it."""
        if self.lang == "th":
            return escape(th)
        if self.lang == "en":
            return escape(en)
        return f'{escape(th)} <span class="en">/ {escape(en)}</span>'

    def plain(self, th: str, en: str) -> str:
        """Unescaped text for charts (they escape it themselves)."""
        return th if self.lang == "th" else en if self.lang == "en" else f"{th} / {en}"

    def province(self, code: str) -> str:
        th, en = PROVINCES.get(code, (code, code))
        return self.plain(th, en)

    def state(self, state_id: str) -> str:
        th, en = self.states.get(state_id, (state_id, state_id))
        return self.plain(th, en)

    def date(self, day: object) -> str:
        import datetime as dt

        assert isinstance(day, dt.date)
        return format_date(day, "en" if self.lang == "en" else "th")

    @property
    def no_data(self) -> str:
        return self.plain(NO_DATA_TH, NO_DATA_EN)


def _section(w: _Words, number: int, key: str) -> list[str]:
    d = DEFINITIONS[key]
    definition = w.t(d.th, d.en) if w.lang != "both" else f"{escape(d.th)}<br>{escape(d.en)}"
    return [
        f"<h2>{number}. {w.t(d.title_th, d.title_en)}</h2>",
        f'<p class="def">{definition}</p>',
    ]


def _empty(w: _Words, th: str, en: str) -> str:
    return f'<p class="empty">{w.t(th, en)}</p>'


def _table(w: _Words, headers: Sequence[tuple[str, str, bool]], rows: list[list[str]]) -> str:
    """Headers are (Thai, English, left-aligned); cells are already escaped."""
    head = "".join(
        f"<th{' class=l' if left else ''}>{w.t(th, en)}</th>" for th, en, left in headers
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=l' if headers[i][2] else ''}>{cell}</td>" for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _more(w: _Words, shown: int, total: int) -> str:
    if total <= shown:
        return ""
    return _empty(
        w,
        f"แสดง {shown:,} จาก {total:,} รายการ รายการทั้งหมดอยู่ในรายงานแบบ CSV หรือ JSON "
        "หรือเลือกรายจังหวัด (--province)",
        f"{shown:,} of {total:,} shown; every row is in the CSV or JSON report, or choose one "
        "province (--province)",
    )


def render_html(report: KpiReport, lang: str = "th") -> str:
    """The whole report as one HTML document, in Thai (``th``), English or ``both``."""
    w = _Words(report, lang)
    fy = report.fiscal_year
    scope = w.province(report.province) if report.province else w.plain("ทุกจังหวัด", "all provinces")
    c = report.compliance
    m = report.ministry_mechanism
    cards = [
        (("กิจกรรมกับคู่ภาคี", "activity with the partner"),
         share_text(report.activity_share, report.no_data > 0, w.lang),
         f"{report.with_activity:,}/{report.in_force:,}"),
        (("จังหวัดมีกลไก", "provinces with a mechanism"), pct(report.mechanism_share),
         f"{len(report.mechanism_provinces)}/{len(report.relation_provinces)}"),
        (("กลไกระดับกระทรวง", "ministry mechanism"),
         w.plain("มี", "yes") if m and m.current else w.plain("ไม่มี", "none"), ""),
        (("ความสัมพันธ์ที่ดำเนินอยู่", "active share"), pct(report.active_share),
         f"{report.active_now:,}/{report.active_now + report.dormant_now:,}"),
        (("เสนอรายงานประจำปีแล้ว", "yearly reports submitted"), pct(report.report_share),
         f"{len(report.reported_provinces)}/{len(report.relation_provinces)}"),
    ]  # fmt: skip
    h: list[str] = [
        f'<!DOCTYPE html><html lang="{"en" if w.lang == "en" else "th"}"><head>'
        '<meta charset="utf-8">',
        f"<title>{w.t('ตัวชี้วัดเมืองพี่เมืองน้อง ปีงบประมาณ', 'Sister-city indicators, FY')} {fy}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{w.t('รายงานตัวชี้วัดความสัมพันธ์เมืองพี่เมืองน้อง ปีงบประมาณ พ.ศ.', 'Sister-city indicators, fiscal year (B.E.)')} {fy}</h1>",  # noqa: E501
        f'<p class="sub">{escape(scope)} — {w.t("ข้อมูล ณ", "as of")} '
        f"{escape(w.date(report.as_of))}</p>",
        '<div class="cards">',
    ]
    for (th, en), big, small in cards:
        h.append(f'<div class="card">{w.t(th, en)}<b>{escape(big)}</b>{escape(small)}</div>')
    h.append("</div>")
    h += _established(w, report)
    h += _activity(w, report)
    h += _mechanisms(w, report)
    h += _active(w, report)
    h += _plans(w, report)
    h += _section(w, 6, "compliance")
    if c.total:
        h.append(
            f"<p>{w.t('ครบ', 'complete')} {c.complete:,} · {w.t('ขาด', 'missing')} "
            f"{c.missing:,} · {w.t('ไม่ทราบ (นำเข้า)', 'unknown (imported)')} {c.unknown:,} · "
            f"<b>{pct(c.share)}</b></p>"
        )
    else:
        h.append(_empty(w, "ไม่มีขั้นตอนที่เจ้าหน้าที่ดำเนินการในปีงบประมาณนี้",
                        "No officer step was taken in this fiscal year."))  # fmt: skip
    h += _times(w, report)
    h += _reports(w, report)
    if report.notes:
        h.append(f"<h2>{w.t('หมายเหตุเกี่ยวกับข้อมูล', 'Notes on the data')}</h2><ul class=notes>")
        h += [f"<li>{w.t(n.th, n.en)}</li>" for n in report.notes]
        h.append("</ul>")
    h.append("</body></html>\n")
    return "\n".join(h)


def _established(w: _Words, report: KpiReport) -> list[str]:
    h = _section(w, 1, "established")
    if not report.unknown_year and not any(
        y.established or y.provinces_with_relations for y in report.years
    ):
        return [*h, _empty(w, "ยังไม่มีความสัมพันธ์ที่ลงนามแล้ว", "No relationship is signed yet.")]
    h.append(
        column_chart(
            [(str(y.fiscal_year), y.established) for y in report.years],
            title=w.plain(
                "ความสัมพันธ์ที่ลงนามใหม่ในแต่ละปีงบประมาณ", "Relationships established per fiscal year"
            ),
            axis=w.plain("จำนวนความสัมพันธ์", "relationships"),
            color=BLUE,
        )
    )
    h.append(
        column_chart(
            [(str(y.fiscal_year), y.provinces_with_relations) for y in report.years],
            title=w.plain(
                "จังหวัดที่มีความสัมพันธ์ ณ สิ้นปีงบประมาณ",
                "Provinces with relations at each fiscal year's end",
            ),
            axis=w.plain("จำนวนจังหวัด", "provinces"),
            color=RED,
        )
    )
    rows = []
    for y in report.years:
        up = {True: "↑", False: "–", None: ""}[y.increasing]
        rows.append(
            [str(y.fiscal_year), f"{y.established:,}", f"{y.approximate:,}",
             f"{y.provinces_with_relations:,}", up]
        )  # fmt: skip
    rows.append([w.t("ไม่ทราบปี", "year unknown"), f"{report.unknown_year:,}", "", "", ""])
    h.append(
        _table(
            w,
            [("ปีงบประมาณ", "FY", True), ("ลงนามใหม่", "established", False),
             ("ทราบเพียงเดือน/ปี", "approximate", False),
             ("จังหวัดที่มีความสัมพันธ์", "provinces with relations", False),
             ("เพิ่มขึ้น", "up", False)],
            rows,
        )
    )  # fmt: skip
    return h


def _activity(w: _Words, report: KpiReport) -> list[str]:
    h = _section(w, 2, "activity")
    years = report.activity_years
    if years:
        h.append(
            column_chart(
                [(str(a.fiscal_year), a.share) for a in years],
                title=w.plain(
                    "สัดส่วนความสัมพันธ์ที่มีกิจกรรมกับคู่ภาคีในปี", "Share with an activity with the partner"
                ),
                axis=w.plain("ร้อยละของความสัมพันธ์", "% of relationships"),
                color=GREEN,
                percent=True,
                missing=w.no_data,
            )
        )
        rows = [
            [str(a.fiscal_year), f"{a.in_force:,}", f"{a.with_partner:,}",
             escape(share_text(a.share, a.no_data > 0, w.lang)), f"{a.no_data:,}"]
            for a in years
        ]  # fmt: skip
        h.append(
            _table(
                w,
                [("ปีงบประมาณ", "FY", True), ("มีผลตลอดปี", "in force", False),
                 ("มีกิจกรรมกับคู่ภาคี", "with the partner", False),
                 ("สัดส่วน", "share", False), ("ไม่มีข้อมูล", "no data", False)],
                rows,
            )
        )  # fmt: skip
    if report.without_partner:
        h.append(
            f"<p>{w.t('ความสัมพันธ์ที่มีกิจกรรมแต่คู่ภาคีไม่ได้เข้าร่วมเลย (ไม่นับ)', 'Relationships whose activities all lacked the partner (not counted)')}: "  # noqa: E501
            f"<b>{report.without_partner:,}</b></p>"
        )
    provinces = [p for p in report.provinces if p.in_force or p.no_data]
    if not provinces:
        return [*h, _empty(w, "ไม่มีความสัมพันธ์ที่มีผลตลอดปีงบประมาณนี้",
                           "No relationship was in force for the whole fiscal year.")]  # fmt: skip
    h.append(
        bar_chart(
            [
                (w.province(p.province), p.activity_share, f"({p.with_activity}/{p.in_force})")
                for p in provinces[:MAX_ROWS]
            ],
            title=w.plain(
                f"รายจังหวัด ปีงบประมาณ {report.fiscal_year}",
                f"Per province, FY {report.fiscal_year}",
            ),
            color=GREEN,
            missing=w.no_data,
        )
    )
    quiet = report.quiet
    if not quiet:
        h.append(_empty(w, "ทุกความสัมพันธ์ที่มีผลตลอดปีมีกิจกรรมกับคู่ภาคี",
                        "Every relationship in force all year had an activity with the partner."))  # fmt: skip  # noqa: E501
        return h
    h.append(f"<p><b>{w.t('ไม่มีกิจกรรมกับคู่ภาคีในปี', 'No activity with the partner')}</b></p>")
    rows = [
        [escape(q.reference), escape(w.province(q.province)),
         f"{escape(q.partner_name)} ({escape(q.partner_country)})", escape(w.state(q.state)),
         w.t("มีแต่กิจกรรมที่คู่ภาคีไม่ได้ร่วม", "only without the partner") if q.without_partner else ""]
        for q in quiet[:MAX_ROWS]
    ]  # fmt: skip
    h.append(
        _table(
            w,
            [("เลขที่", "reference", True), ("จังหวัด", "province", True),
             ("คู่ภาคี", "partner", True), ("สถานะ", "state", True), ("", "", True)],
            rows,
        )
    )  # fmt: skip
    h.append(_more(w, min(len(quiet), MAX_ROWS), len(quiet)))
    return h


def _mechanisms(w: _Words, report: KpiReport) -> list[str]:
    h = _section(w, 3, "mechanism")
    m = report.ministry_mechanism
    if m is None:
        h.append(_empty(w, "ยังไม่มีการบันทึกกลไกระดับกระทรวง", "No ministry mechanism is recorded."))
    else:
        state = (
            w.t("มีผลแล้ว", "in force")
            if m.current
            else w.t("ลงวันที่หลังปีงบประมาณนี้", "dated after this fiscal year")
        )
        h.append(
            f"<p>{w.t('กระทรวงมหาดไทย', 'Ministry of Interior')}: {escape(m.order_no)} "
            f"({escape(w.date(m.order_date))}), {w.t('ประธาน', 'chair')} {escape(m.chair)} — "
            f"{state}; {w.t('หน่วยงานที่เกี่ยวข้อง', 'agencies')}: "
            f"{escape(', '.join(m.agencies)) or '–'}</p>"
        )
    n = len(report.relation_provinces)
    if not n:
        h.append(_empty(w, "ไม่มีจังหวัดที่มีความสัมพันธ์ที่มีผล ณ วันดังกล่าว",
                        "No province had a relationship in force on that day."))  # fmt: skip
        return h
    snapshot = w.date(report.snapshot) if report.snapshot else ""
    h.append(
        f"<p>{w.t('จังหวัดที่มีความสัมพันธ์และมีกลไก', 'Provinces with relations and a mechanism')}"
        f" ({escape(snapshot)}): <b>{len(report.mechanism_provinces)}/{n} "
        f"({pct(report.mechanism_share)})</b></p>"
    )
    missing = [c for c in report.relation_provinces if c not in report.mechanism_provinces]
    if missing:
        names = ", ".join(w.province(c) for c in missing)
        h.append(f"<p>{w.t('ยังไม่มีกลไก', 'Without a mechanism')}: {escape(names)}</p>")
    return h


def _active(w: _Words, report: KpiReport) -> list[str]:
    h = _section(w, 4, "active")
    if not report.active_now + report.dormant_now and not any(
        t.active + t.dormant for t in report.active_years
    ):
        return [*h, _empty(w, "ยังไม่มีความสัมพันธ์ที่ติดตามผลอยู่", "No relationship is being followed up.")]
    h.append(
        column_chart(
            [(str(t.fiscal_year), t.share) for t in report.active_years],
            title=w.plain("สัดส่วนความสัมพันธ์ที่ดำเนินอยู่", "Share of relationships active"),
            axis=w.plain("ร้อยละ", "%"),
            color=BLUE,
            percent=True,
            missing=w.no_data,
        )
    )
    rows = [
        [str(t.fiscal_year), escape(w.date(t.at)), f"{t.active:,}", f"{t.dormant:,}", pct(t.share)]
        for t in report.active_years
    ]
    h.append(
        _table(
            w,
            [("ปีงบประมาณ", "FY", True), ("ณ วันที่", "as of", True),
             ("ดำเนินอยู่", "active", False), ("ซบเซา", "dormant", False),
             ("สัดส่วน", "share", False)],
            rows,
        )
    )  # fmt: skip
    return h


def _plans(w: _Words, report: KpiReport) -> list[str]:
    h = _section(w, 5, "plan")
    h.append(
        f"<p>{w.t('มีแผนปฏิบัติการ', 'with a plan')} <b>{report.with_plan:,}</b> · "
        f"{w.t('มีงบประมาณ', 'with a budget')} <b>{report.with_budget:,}</b> "
        f"{w.t('จากความสัมพันธ์ที่มีผลตลอดปี', 'of the relationships in force all year')} "
        f"{report.in_force:,} · {w.t('งบตามแผน', 'planned')} {report.budget_thb:,.2f} · "
        f"{w.t('ใช้จ่ายจริง', 'spent')} {report.spent_thb:,.2f} {w.t('บาท', 'THB')}</p>"
    )
    provinces = [p for p in report.provinces if p.budget_thb or p.spent_thb]
    if not provinces:
        return [*h, _empty(w, "ยังไม่มีแผนหรือค่าใช้จ่ายของกิจกรรมในปีงบประมาณนี้",
                           "No plan or activity spending in this fiscal year yet.")]  # fmt: skip
    h.append(
        paired_bar_chart(
            [(w.province(p.province), float(p.budget_thb), float(p.spent_thb))
             for p in provinces[:MAX_ROWS]],
            title=w.plain("งบประมาณตามแผนเทียบกับค่าใช้จ่ายจริง (บาท)", "Planned against spent (THB)"),
            names=(w.plain("ตามแผน", "planned"), w.plain("ใช้จ่ายจริง", "spent")),
            colors=(BLUE, ORANGE),
        )
    )  # fmt: skip
    budgets = report.budgets
    rows = [
        [escape(b.reference), escape(w.province(b.province)),
         f"{escape(b.partner_name)} ({escape(b.partner_country)})",
         f"{b.planned_thb:,.2f}" if b.planned_thb is not None else w.t("ไม่มีแผน", "no plan"),
         f"{b.spent_thb:,.2f}", pct(b.used), str(b.activities)]
        for b in budgets[:MAX_ROWS]
    ]  # fmt: skip
    h.append(
        _table(
            w,
            [("เลขที่", "reference", True), ("จังหวัด", "province", True),
             ("คู่ภาคี", "partner", True), ("ตามแผน (บาท)", "planned THB", False),
             ("ใช้จ่าย (บาท)", "spent THB", False), ("ใช้ไป", "used", False),
             ("กิจกรรม", "activities", False)],
            rows,
        )
    )  # fmt: skip
    h.append(_more(w, min(len(budgets), MAX_ROWS), len(budgets)))
    return h


def _times(w: _Words, report: KpiReport) -> list[str]:
    h = _section(w, 7, "time")
    if report.time_in_state:
        rows = [
            [w.t(t.label_th, t.label_en), str(t.spans), f"{t.median_days:.1f}",
             f"{t.p90_days:.1f}"]
            for t in report.time_in_state
        ]  # fmt: skip
        h.append(
            _table(
                w,
                [("ขั้นตอน", "step", True), ("จำนวน", "n", False), ("มัธยฐาน (วัน)", "median days", False),  # noqa: E501
                 ("เปอร์เซ็นไทล์ 90", "90th percentile", False)],
                rows,
            )
        )  # fmt: skip
    else:
        h.append(_empty(w, "ไม่มีขั้นตอนใดสิ้นสุดในปีงบประมาณนี้", "No step ended in this fiscal year."))
    h.append(f"<p><b>{w.t('เกินกำหนด', 'Past the expected days')}</b></p>")
    if not report.overdue:
        h.append(
            _empty(w, "ไม่มีเรื่องที่อยู่ในขั้นตอนนานเกินกำหนด", "No case is past its step's expected days.")
        )
        return h
    rows = [
        [escape(o.reference), escape(w.province(o.province)), escape(w.state(o.state)),
         str(o.days), str(o.expected_days)]
        for o in report.overdue[:MAX_ROWS]
    ]  # fmt: skip
    h.append(
        _table(
            w,
            [("เลขที่", "reference", True), ("จังหวัด", "province", True), ("ขั้นตอน", "step", True),
             ("วัน", "days", False), ("กำหนด", "expected", False)],
            rows,
        )
    )  # fmt: skip
    h.append(_more(w, min(len(report.overdue), MAX_ROWS), len(report.overdue)))
    return h


def _reports(w: _Words, report: KpiReport) -> list[str]:
    h = _section(w, 8, "reports")
    if not report.relation_provinces:
        return [
            *h,
            _empty(
                w, "ไม่มีจังหวัดที่มีความสัมพันธ์ที่ต้องรายงาน", "No province with relations has to report."
            ),
        ]
    h.append(
        f"<p>{w.t('เสนอแล้ว', 'submitted')} <b>{len(report.reported_provinces)}/"
        f"{len(report.relation_provinces)} ({pct(report.report_share)})</b> · "
        f"{w.t('กระทรวงรับแล้ว', 'accepted')} <b>{len(report.accepted_provinces)}</b></p>"
    )
    by_code = {p.province: p for p in report.provinces}
    rows = []
    for code in report.relation_provinces:
        p = by_code.get(code)
        status = (
            w.t(p.report_th, p.report_en) if p and p.report_th else w.t("ยังไม่เริ่ม", "not started")
        )
        rows.append([escape(w.province(code)), status])
    h.append(
        _table(w, [("จังหวัด", "province", True), ("รายงานประจำปี", "yearly report", True)], rows)
    )
    return h
