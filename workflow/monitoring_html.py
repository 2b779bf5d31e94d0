"""A province's yearly report as one self-contained Thai HTML document (A4, printable to PDF).

Thai names and Buddhist Era dates throughout; no script, nothing fetched. What a section has
nothing to show, it says.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from workflow.charts import paired_bar_chart
from workflow.kpi import pct
from workflow.monitoring import YearlyReport
from workflow.thaidate import format_date, format_moment

_CSS = """
@page{size:A4;margin:18mm 16mm}
body{font-family:"Sarabun","TH Sarabun New","Noto Sans Thai","Loma","Garuda",sans-serif;
color:#111;margin:24px;max-width:820px;font-size:14px}
h1{font-size:20px;margin:0 0 2px;text-align:center}
h2{font-size:16px;margin:22px 0 6px;border-bottom:1px solid #2b5d8a;page-break-after:avoid}
.sub{text-align:center;margin:0 0 14px;color:#333}
table{border-collapse:collapse;width:100%;font-size:13px;margin:4px 0}
th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eef2f7}td.n{text-align:right}
p.empty{font-style:italic;color:#555}
.meta td{border:none;padding:1px 6px}
.sign{margin-top:28px;text-align:right}
.draft{color:#b03a2e;font-weight:bold;text-align:center;border:2px dashed #b03a2e;padding:4px}
small{color:#555}
svg{display:block;max-width:100%;height:auto;page-break-inside:avoid}
@media print{body{margin:0}tr,svg{page-break-inside:avoid}}
"""


def _baht(value: object) -> str:
    return f"{value:,.2f}" if value is not None else "–"


def _empty(text: str) -> str:
    return f'<p class="empty">{escape(text)}</p>'


def render_report(report: YearlyReport, submitted_at: dt.datetime | None = None) -> str:
    """The report in Thai; *submitted_at* when it is the version submitted (else a draft)."""
    fy = report.fiscal_year
    h: list[str] = [
        '<!DOCTYPE html><html lang="th"><head><meta charset="utf-8">',
        f"<title>รายงานผลการดำเนินความสัมพันธ์เมืองพี่เมืองน้อง จังหวัด{escape(report.province_th)}"
        f" ปีงบประมาณ พ.ศ. {fy}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>รายงานผลการดำเนินความสัมพันธ์เมืองพี่เมืองน้อง</h1>",
        f'<p class="sub">จังหวัด{escape(report.province_th)} ประจำปีงบประมาณ พ.ศ. {fy}<br>'
        f"<small>Yearly sister-city report, {escape(report.province_en)}, FY {fy}</small></p>",
    ]
    if submitted_at is None:
        h.append('<p class="draft">ร่าง — ยังไม่ได้เสนอ (ข้อมูล ณ วันที่พิมพ์)</p>')
    h.append(
        '<table class="meta">'
        f"<tr><td>เลขที่รายงาน</td><td>{escape(report.reference)}</td></tr>"
        f"<tr><td>ข้อมูล ณ วันที่</td><td>{escape(format_date(report.as_of, 'th'))}</td></tr>"
        f"<tr><td>สถานะ</td><td>{escape(report.state_th)}</td></tr>"
        "</table>"
    )
    h += _summary(report)
    h += _relationships(report)
    h += _activities(report)
    h += _budgets(report)
    h.append("<h2>5. กลไกขับเคลื่อนระดับจังหวัด</h2>")
    if report.mechanism:
        order_no, order_date, chair = report.mechanism
        h.append(
            f"<p>คำสั่งแต่งตั้งคณะกรรมการ/คณะทำงาน {escape(order_no)} ลงวันที่ "
            f"{escape(format_date(order_date, 'th'))} ประธาน {escape(chair)}</p>"
        )
    else:
        h.append(_empty("ยังไม่มีการบันทึกคำสั่งแต่งตั้งคณะกรรมการหรือคณะทำงานของจังหวัด"))
    h.append("<h2>6. ปัญหา อุปสรรค และข้อเสนอแนะ</h2>")
    if report.issues:
        h += [f"<p>{escape(line)}</p>" for line in report.issues.splitlines() if line.strip()]
    else:
        h.append(_empty("จังหวัดไม่ได้ระบุปัญหาหรืออุปสรรค"))
    h.append("<h2>7. การเสนอและการพิจารณารายงาน</h2>")
    if report.steps:
        h.append("<table><tr><th>วันที่</th><th>ขั้นตอน</th><th>ผู้ดำเนินการ</th><th>หมายเหตุ</th></tr>")
        for step in report.steps:
            h.append(
                f"<tr><td>{escape(format_moment(step.at, 'th'))}</td>"
                f"<td>{escape(step.label_th)}</td><td>{escape(step.actor)}<br><small>"
                f"{escape(step.role)}</small></td><td>{escape(step.note)}</td></tr>"
            )
        h.append("</table>")
    else:
        h.append(_empty("รายงานยังไม่เคยเสนอ"))
    if submitted_at is not None and report.signed_by:
        name, role = report.signed_by
        h.append(
            f'<div class="sign">ลงนามรับรองโดย {escape(name)}<br>{escape(role)}<br>'
            f"เมื่อ {escape(format_moment(submitted_at, 'th'))}</div>"
        )
    h.append(
        "<p><small>จัดทำจากข้อมูลในระบบติดตามความสัมพันธ์เมืองพี่เมืองน้อง; ฉบับที่เสนอเก็บไว้พร้อม "
        "SHA-256 ในบันทึกการตรวจสอบ (sistercity monitoring show)</small></p>"
    )
    h.append("</body></html>\n")
    return "\n".join(h)


def _summary(report: YearlyReport) -> list[str]:
    counted = report.in_force
    share = report.with_partner / counted if counted else None
    return [
        "<h2>1. สรุปผล</h2>",
        "<table>"
        f"<tr><td>ความสัมพันธ์ที่บันทึกไว้ (ทุกฉบับ)</td><td class=n>{len(report.relationships)}</td></tr>"
        f"<tr><td>ความสัมพันธ์ (นับฉบับต่อเนื่องเป็นหนึ่ง)</td><td class=n>{counted}</td></tr>"
        f"<tr><td>ที่มีกิจกรรมกับคู่ภาคีในปี</td><td class=n>{report.with_partner} "
        f"({pct(share)})</td></tr>"
        f"<tr><td>กิจกรรมในปีงบประมาณ</td><td class=n>{len(report.activities)}</td></tr>"
        f"<tr><td>งบประมาณตามแผน (บาท)</td><td class=n>{_baht(report.planned_thb)}</td></tr>"
        f"<tr><td>ค่าใช้จ่ายของกิจกรรม (บาท)</td><td class=n>{_baht(report.spent_thb)}</td></tr>"
        "</table>",
    ]


def _relationships(report: YearlyReport) -> list[str]:
    h = ["<h2>2. ความสัมพันธ์กับต่างประเทศ</h2>"]
    if not report.relationships:
        return [*h, _empty("จังหวัดยังไม่มีความสัมพันธ์ที่บันทึกไว้")]
    h.append(
        "<table><tr><th>เลขที่</th><th>คู่ความสัมพันธ์</th><th>เอกสาร</th><th>ลงนามเมื่อ</th>"
        "<th>สถานะ</th></tr>"
    )
    for r in report.relationships:
        link = f"<br><small>แทน {escape(r.supersedes)}</small>" if r.supersedes else ""
        link += f"<br><small>แทนที่โดย {escape(r.superseded_by)}</small>" if r.superseded_by else ""
        level = f", {escape(r.partner_level)}" if r.partner_level else ""
        h.append(
            f"<tr><td>{escape(r.reference)}</td><td>{escape(r.partner_name)} "
            f"({escape(r.partner_country)}{level})</td><td>{escape(r.instrument)}{link}</td>"
            f"<td>{escape(r.signed.text('th'))}</td><td>{escape(r.state_th)}</td></tr>"
        )
    h.append("</table>")
    return h


def _activities(report: YearlyReport) -> list[str]:
    h = [f"<h2>3. กิจกรรมในปีงบประมาณ พ.ศ. {report.fiscal_year}</h2>"]
    if not report.activities:
        return [*h, _empty("ไม่มีกิจกรรมที่บันทึกไว้ในปีงบประมาณนี้")]
    h.append(
        "<table><tr><th>วันที่</th><th>ความสัมพันธ์</th><th>กิจกรรม</th><th>คู่ภาคีร่วม</th>"
        "<th>งบประมาณ (บาท)</th><th>หลักฐาน</th></tr>"
    )
    for a in report.activities:
        evidence = "<br>".join(
            f"{escape(name)} <small>({escape(sha[:12])}…)</small>" for name, sha in a.evidence
        )
        h.append(
            f"<tr><td>{escape(format_date(a.activity_date, 'th'))}</td>"
            f"<td>{escape(a.partner_name)}<br><small>{escape(a.reference)}</small></td>"
            f"<td>{escape(a.title)}<br><small>{escape(a.kind)}</small></td>"
            f"<td>{'ใช่' if a.partner_participated else 'ไม่ได้ร่วม'}</td>"
            f"<td class=n>{_baht(a.budget_thb)}</td><td>{evidence or '–'}</td></tr>"
        )
    h.append("</table>")
    return h


def _budgets(report: YearlyReport) -> list[str]:
    h = ["<h2>4. แผนปฏิบัติการและงบประมาณ</h2>"]
    rows = [r for r in report.relationships if r.planned_thb is not None or r.spent_thb]
    if not rows:
        return [*h, _empty("ไม่มีแผนปฏิบัติการหรือค่าใช้จ่ายของกิจกรรมในปีงบประมาณนี้")]
    h.append(
        paired_bar_chart(
            [(r.partner_name, float(r.planned_thb or 0), float(r.spent_thb)) for r in rows],
            title="งบประมาณตามแผนเทียบกับค่าใช้จ่ายจริง (บาท)",
            names=("ตามแผน", "ใช้จ่ายจริง"),
            colors=("#2b5d8a", "#e67e22"),
        )
    )
    h.append(
        "<table><tr><th>ความสัมพันธ์</th><th>ตามแผน (บาท)</th><th>ใช้จ่ายจริง (บาท)</th>"
        "<th>ใช้ไป</th></tr>"
    )
    for r in rows:
        used = float(r.spent_thb / r.planned_thb) if r.planned_thb else None
        planned = _baht(r.planned_thb) if r.planned_thb is not None else "ไม่มีแผน"
        h.append(
            f"<tr><td>{escape(r.partner_name)} <small>{escape(r.reference)}</small></td>"
            f"<td class=n>{planned}</td><td class=n>{_baht(r.spent_thb)}</td>"
            f"<td class=n>{pct(used)}</td></tr>"
        )
    h.append("</table>")
    return h
