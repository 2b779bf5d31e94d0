"""The KPI report as one self-contained HTML file: inline CSS and SVG, no script, no network.

A ministry report travels by e-mail and is opened on machines without internet access, so
nothing is fetched: charts are SVG drawn here, fonts are the reader's own Thai fonts.
Every label is given in Thai and English.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from workflow.kpi import KpiReport, YearRow, pct
from workflow.thaidate import format_date

_CSS = """
body{font-family:"Noto Sans Thai","Sarabun","Loma","Garuda","Tahoma",sans-serif;margin:24px;
color:#1b1b1b;background:#fff}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:24px 0 8px;border-bottom:2px solid #2b5d8a}
.sub{color:#555;margin:0 0 12px}.en{color:#555;font-size:90%}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#e8eef5}td.l,th.l{text-align:left}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #ccd;border-radius:6px;padding:8px 14px;min-width:170px}
.card b{display:block;font-size:22px;color:#2b5d8a}
"""


def _label(th: str, en: str) -> str:
    return f'{escape(th)} <span class="en">/ {escape(en)}</span>'


def trend_svg(years: Sequence[YearRow], width: int = 760, height: int = 260) -> str:
    """Bars: relationships established per FY; line: provinces with relations at each FY end."""
    if not years:
        return ""
    left, right, top, bottom = 48, 48, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    max_bar = max(1, *(y.established for y in years))
    max_line = max(1, *(y.provinces_with_relations for y in years))
    step = plot_w / len(years)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="trend">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fbfcfe"/>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#888"/>',
        f'<text x="{left}" y="16" font-size="12" fill="#2b5d8a">■ ลงนามใหม่ / established '
        f"(max {max_bar})</text>",
        f'<text x="{left + plot_w}" y="16" font-size="12" fill="#c0392b" text-anchor="end">'
        f"● จังหวัดที่มีความสัมพันธ์ / provinces (max {max_line})</text>",
    ]
    points = []
    for i, y in enumerate(years):
        x = left + i * step
        bar_h = plot_h * y.established / max_bar
        parts.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{step * 0.7:.1f}" height="{bar_h:.1f}" fill="#2b5d8a">'
            f"<title>FY {y.fiscal_year}: {y.established}</title></rect>"
        )
        cy = top + plot_h - plot_h * y.provinces_with_relations / max_line
        points.append(f"{x + step / 2:.1f},{cy:.1f}")
        if len(years) <= 24 or i % 2 == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{top + plot_h + 16}" font-size="10" '
                f'text-anchor="middle">{y.fiscal_year}</text>'
            )
    parts.append(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="#c0392b" stroke-width="2"/>'
    )
    for p in points:
        cx, cy_text = p.split(",")
        parts.append(f'<circle cx="{cx}" cy="{cy_text}" r="3" fill="#c0392b"/>')
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 6}" font-size="11" text-anchor="middle">'
        "ปีงบประมาณ (พ.ศ.) / fiscal year (B.E.)</text></svg>"
    )
    return "".join(parts)


def share_svg(report: KpiReport, width: int = 760) -> str:
    """Horizontal bars: share of relationships in force with an activity, per province."""
    rows = [p for p in report.provinces if p.in_force]
    if not rows:
        return ""
    bar_h, label_w, top = 18, 190, 8
    height = top + bar_h * len(rows) + 24
    plot_w = width - label_w - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="activity share">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fbfcfe"/>',
    ]
    for i, p in enumerate(rows):
        y = top + i * bar_h
        share = p.activity_share or 0.0
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" font-size="12" text-anchor="end">'
            f"{escape(p.name_th)} ({escape(p.province)})</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{plot_w}" height="{bar_h - 6}" fill="#eee"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{plot_w * share:.1f}" '
            f'height="{bar_h - 6}" fill="#27ae60"/>'
            f'<text x="{label_w + plot_w + 6}" y="{y + 13}" font-size="11">'
            f"{pct(p.activity_share)} ({p.with_activity}/{p.in_force})</text>"
        )
    parts.append(
        f'<text x="{label_w}" y="{height - 6}" font-size="11">สัดส่วนที่มีกิจกรรม / share with an '
        f"activity, FY {report.fiscal_year}</text></svg>"
    )
    return "".join(parts)


def render_html(report: KpiReport) -> str:
    """The whole report as one HTML document."""
    c = report.compliance
    scope = escape(report.province) if report.province else "ทุกจังหวัด / all provinces"
    cards = [
        ("มีกิจกรรมในปี", "with an activity", pct(report.activity_share),
         f"{report.with_activity}/{report.in_force}"),
        ("จังหวัดมีกลไก", "provinces with a mechanism", str(len(report.mechanism_provinces)), ""),
        ("มีแผนและงบประมาณ", "with plan and budget", str(report.with_budget),
         f"THB {report.budget_thb:,.2f}"),
        ("เอกสารครบถ้วน", "compliance", pct(c.share), f"{c.complete}/{c.total}"),
        ("เกินกำหนด", "past deadline", str(len(report.overdue)), ""),
    ]  # fmt: skip
    h: list[str] = [
        '<!DOCTYPE html><html lang="th"><head><meta charset="utf-8">',
        f"<title>ตัวชี้วัดเมืองพี่เมืองน้อง ปีงบประมาณ {report.fiscal_year}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>ตัวชี้วัดความสัมพันธ์เมืองพี่เมืองน้อง ปีงบประมาณ พ.ศ. {report.fiscal_year}</h1>",
        f'<p class="sub">Sister-city indicators, fiscal year {report.fiscal_year} — {scope} — '
        f"ข้อมูล ณ {escape(format_date(report.as_of, 'th'))} / as of "
        f"{report.as_of.isoformat()}</p>",
        '<div class="cards">',
    ]
    for th, en, big, small in cards:
        h.append(f'<div class="card">{_label(th, en)}<b>{escape(big)}</b>{escape(small)}</div>')
    h.append("</div>")
    h.append(f"<h2>1. {_label('แนวโน้มรายปี', 'Trend per fiscal year')}</h2>")
    h.append(trend_svg(report.years))
    h.append(
        "<table><tr><th>ปีงบประมาณ<br>FY</th><th>ลงนามใหม่<br>established</th>"
        "<th>จังหวัดที่มีความสัมพันธ์<br>provinces with relations</th><th>เพิ่มขึ้น<br>up</th></tr>"
    )
    for y in report.years:
        up = {True: "↑", False: "–", None: ""}[y.increasing]
        h.append(
            f"<tr><td>{y.fiscal_year}</td><td>{y.established}</td>"
            f"<td>{y.provinces_with_relations}</td><td>{up}</td></tr>"
        )
    h.append("</table>")
    h.append(f"<h2>2–3. {_label('รายจังหวัด', 'Per province')}</h2>")
    h.append(share_svg(report))
    h.append(
        '<table><tr><th class="l">จังหวัด<br>province</th><th class="l">ชื่อ<br>name</th>'
        "<th>มีผลใช้บังคับ<br>in force</th><th>มีกิจกรรม<br>with activity</th>"
        "<th>สัดส่วน<br>share</th><th>กลไก<br>mechanism</th><th>แผน<br>plans</th>"
        "<th>มีงบประมาณ<br>budgeted</th><th>งบประมาณ (บาท)<br>budget THB</th></tr>"
    )
    for p in report.provinces:
        h.append(
            f'<tr><td class="l">{escape(p.province)}</td><td class="l">{escape(p.name_th)} '
            f'<span class="en">{escape(p.name_en)}</span></td><td>{p.in_force}</td>'
            f"<td>{p.with_activity}</td><td>{pct(p.activity_share)}</td>"
            f"<td>{'✓' if p.mechanism else '–'}</td><td>{p.with_plan}</td>"
            f"<td>{p.with_budget}</td><td>{p.budget_thb:,.2f}</td></tr>"
        )
    h.append("</table>")
    if report.quiet:
        h.append(f"<h2>{_label('ไม่มีกิจกรรมในปีงบประมาณ', 'No activity in the fiscal year')}</h2>")
        h.append(
            '<table><tr><th class="l">เลขที่<br>reference</th><th class="l">จังหวัด<br>province'
            '</th><th class="l">คู่ภาคี<br>partner</th><th class="l">สถานะ<br>state</th></tr>'
        )
        for q in report.quiet:
            h.append(
                f'<tr><td class="l">{escape(q.reference)}</td><td class="l">'
                f'{escape(q.province)}</td><td class="l">{escape(q.partner_name)} '
                f'({escape(q.partner_country)})</td><td class="l">{escape(q.state)}</td></tr>'
            )
        h.append("</table>")
    h.append(f"<h2>4. {_label('ความครบถ้วนของเอกสาร', 'Compliance')}</h2>")
    h.append(
        f"<p>ครบ / complete {c.complete} · ขาด / missing {c.missing} · "
        f"ไม่ทราบ (นำเข้า) / unknown (imported) {c.unknown} · {pct(c.share)}</p>"
    )
    h.append(f"<h2>5. {_label('ระยะเวลาในแต่ละขั้นตอน (วัน)', 'Days in each step')}</h2>")
    h.append(
        '<table><tr><th class="l">ขั้นตอน<br>step</th><th>จำนวน<br>n</th>'
        "<th>มัธยฐาน<br>median</th><th>เปอร์เซ็นไทล์ 90<br>p90</th></tr>"
    )
    for t in report.time_in_state:
        h.append(
            f'<tr><td class="l">{_label(t.label_th, t.label_en)}</td><td>{t.spans}</td>'
            f"<td>{t.median_days:.1f}</td><td>{t.p90_days:.1f}</td></tr>"
        )
    h.append("</table>")
    h.append(f"<h2>{_label('เกินกำหนด', 'Past the expected days')}</h2>")
    h.append(
        '<table><tr><th class="l">เลขที่<br>reference</th><th class="l">จังหวัด<br>province</th>'
        '<th class="l">ขั้นตอน<br>state</th><th>วัน<br>days</th><th>กำหนด<br>expected</th></tr>'
    )
    for o in report.overdue:
        h.append(
            f'<tr><td class="l">{escape(o.reference)}</td><td class="l">{escape(o.province)}'
            f'</td><td class="l">{escape(o.state)}</td><td>{o.days}</td>'
            f"<td>{o.expected_days}</td></tr>"
        )
    h.append("</table></body></html>\n")
    return "\n".join(h)
