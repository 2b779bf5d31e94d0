"""The web view's own words in Thai and English; domain words come from the definitions.

States, phases, roles, fields and steps are labelled by the procedure definition (``Label``) and
provinces by ``states.reference``, exactly as the CLI shows them; only the page furniture is
here. Dates are ``workflow.thaidate``'s: Buddhist Era in Thai, ISO in English.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

from states.reference import PROVINCES
from workflow.thaidate import format_date, format_moment

Lang = Literal["th", "en"]
LANGS: tuple[Lang, ...] = ("th", "en")

WORDS: dict[str, tuple[str, str]] = {
    "app": ("ระบบติดตามเมืองพี่เมืองน้อง", "Sister-city tracker"),
    "skip": ("ข้ามไปยังเนื้อหา", "Skip to content"),
    "nav": ("เมนูหลัก", "Main menu"),
    "dashboard": ("ภาพรวม", "Dashboard"),
    "cases": ("เรื่อง", "Cases"),
    "procedures": ("ขั้นตอน", "Procedure"),
    "audit": ("บันทึกตรวจสอบ", "Audit"),
    "other_lang": ("English", "ภาษาไทย"),
    "viewer": ("ผู้ใช้งาน", "Signed in as"),
    "all_provinces": ("ทุกจังหวัด", "all provinces"),
    "read_only": ("แสดงผลอย่างเดียว ไม่มีการแก้ไขข้อมูล", "Read-only view: nothing can be changed"),
    "as_of": ("ข้อมูล ณ", "As of"),
    "fiscal_year": ("ปีงบประมาณ", "Fiscal year"),
    "province": ("จังหวัด", "Province"),
    "province_hint": ("ชื่อจังหวัด (ไทยหรืออังกฤษ) หรือรหัส", "Name (Thai or English) or code"),
    "show": ("แสดง", "Show"),
    "clear": ("ล้างตัวกรอง", "Clear filters"),
    "filters": ("ตัวกรอง", "Filters"),
    "any": ("ทั้งหมด", "any"),
    "state": ("สถานะ", "State"),
    "phase": ("ช่วง", "Phase"),
    "procedure": ("กระบวนงาน", "Procedure"),
    "overdue": ("เกินกำหนด", "Overdue"),
    "overdue_only": ("เฉพาะที่เกินกำหนด", "Overdue only"),
    "opened_fy": ("ปีงบประมาณที่เปิดเรื่อง", "Fiscal year opened"),
    "signed_fy": ("ปีงบประมาณที่ลงนาม", "Fiscal year signed"),
    "reference": ("เลขที่เรื่อง", "Reference"),
    "partner": ("คู่ภาคี", "Partner"),
    "country": ("ประเทศ", "Country"),
    "since": ("ตั้งแต่", "Since"),
    "until": ("ถึง", "Until"),
    "days": ("วัน", "days"),
    "found": ("พบ {n} เรื่อง", "{n} cases found"),
    "page_of": ("หน้า {page} จาก {pages}", "Page {page} of {pages}"),
    "previous": ("ก่อนหน้า", "Previous"),
    "next": ("ถัดไป", "Next"),
    "older": ("เก่ากว่า", "Older"),
    "newest": ("ล่าสุด", "Newest"),
    "pagination": ("เลขหน้า", "Pagination"),
    "none": ("ไม่มี", "none"),
    "yes": ("มี", "yes"),
    "no": ("ไม่มี", "no"),
    # dashboard
    "indicators": ("ตัวชี้วัดปีงบประมาณ {fy}", "Indicators, fiscal year {fy}"),
    "with_activity": ("มีกิจกรรมในปี", "With an activity in the year"),
    "in_force": ("มีผลใช้บังคับทั้งปี", "In force all year"),
    "mechanisms": ("จังหวัดที่มีกลไก", "Provinces with a mechanism"),
    "with_plan": ("มีแผนปฏิบัติการ", "With an action plan"),
    "with_budget": ("มีงบประมาณ", "With a budget"),
    "budget": ("งบประมาณ (บาท)", "Budget (THB)"),
    "compliance": ("เอกสารครบถ้วน", "Documents complete"),
    "active_dormant": ("ดำเนินการอยู่ / ซบเซา", "Active / dormant now"),
    "trend": ("ความสัมพันธ์ที่ลงนามและจังหวัดที่มีความสัมพันธ์", "Established and provinces with relations"),
    "established": ("ลงนามใหม่", "Established"),
    "provinces_with": ("จังหวัดที่มีความสัมพันธ์", "Provinces with relations"),
    "share_by_province": ("สัดส่วนที่มีกิจกรรม รายจังหวัด", "Share with an activity, per province"),
    "share": ("สัดส่วน", "Share"),
    "time_in_state": ("ระยะเวลาในแต่ละขั้นตอน (มัธยฐาน วัน)", "Days in each step (median)"),
    "spans": ("จำนวน", "Spans"),
    "median": ("มัธยฐาน", "Median"),
    "p90": ("เปอร์เซ็นไทล์ 90", "90th percentile"),
    "overdue_cases": ("เรื่องที่เกินกำหนด", "Cases past their expected days"),
    "overdue_more": ("ดูทั้งหมด {n} เรื่อง", "See all {n} cases"),
    "expected": ("กำหนด", "Expected"),
    "quiet": ("ไม่มีกิจกรรมในปีงบประมาณ", "No activity in the fiscal year"),
    "chart_table": ("ข้อมูลในแผนภูมิ", "Data in the chart"),
    "kpi_defs": ("นิยามตัวชี้วัด: workflow/kpi.py", "Indicator definitions: workflow/kpi.py"),
    # case
    "facts": ("ข้อมูลเรื่อง", "Facts"),
    "level": ("ระดับคู่ภาคี", "Partner level"),
    "instrument": ("ประเภทเอกสาร", "Instrument"),
    "label": ("ลักษณะความสัมพันธ์", "Label"),
    "opened": ("เปิดเรื่อง", "Opened"),
    "opened_by": ("ผู้เปิดเรื่อง", "Opened by"),
    "in_step": ("อยู่ในขั้นตอนนี้", "In this step"),
    "days_of": ("{days} วัน (กำหนด {expected} วัน)", "{days} days (expected {expected})"),
    "days_only": ("{days} วัน", "{days} days"),
    "signed_on": ("วันที่ลงนาม", "Signed on"),
    "expires_on": ("ครบกำหนด", "Term ends"),
    "last_activity": ("กิจกรรมล่าสุด", "Last activity"),
    "next_steps": ("ผู้ดำเนินการขั้นต่อไป", "Who acts next"),
    "step": ("ขั้นตอน", "Step"),
    "goes_to": ("ไปยัง", "Goes to"),
    "roles": ("ผู้มีอำนาจ", "Roles"),
    "requires": ("เอกสารและข้อมูลที่ต้องมี", "Required"),
    "final_state": ("สิ้นสุดแล้ว ไม่มีขั้นตอนต่อไป", "Final: no further step"),
    "back_to_previous": ("กลับไปขั้นตอนก่อนหน้า", "back to the previous step"),
    "path": ("เส้นทางของเรื่องบนแผนภาพขั้นตอน", "The case's path on the procedure diagram"),
    "path_alt": (
        "แผนภาพขั้นตอนที่ระบายเส้นทางของเรื่อง {ref}",
        "Procedure diagram with case {ref}'s path",
    ),
    "legend_current": ("ขั้นปัจจุบัน", "current step"),
    "legend_visited": ("ผ่านมาแล้ว", "visited"),
    "legend_taken": ("เส้นทางที่ผ่าน", "path taken"),
    "full_diagram": ("แผนภาพเต็มพร้อมวันที่ (SVG)", "Full diagram with dates (SVG)"),
    "steps_taken": ("ลำดับการเคลื่อนของเรื่อง", "Steps taken"),
    "documents": ("เอกสาร", "Documents"),
    "document": ("เอกสาร", "Document"),
    "field": ("รายการ", "Field"),
    "size": ("ขนาด (ไบต์)", "Size (bytes)"),
    "download": ("ดาวน์โหลด", "Download"),
    "hash_only": ("บันทึกเฉพาะค่าแฮช", "recorded by hash only"),
    "activities": ("กิจกรรมกับคู่ภาคี", "Activities with the partner"),
    "plans": ("แผนปฏิบัติการและงบประมาณ", "Action plans and budgets"),
    "date": ("วันที่", "Date"),
    "kind": ("ประเภท", "Kind"),
    "title": ("ชื่อ", "Title"),
    "history": ("ประวัติทั้งหมด", "Full history"),
    "seq": ("ลำดับ", "No."),
    "time": ("เวลา", "Time"),
    "officer": ("เจ้าหน้าที่", "Officer"),
    "role": ("บทบาท", "Role"),
    "event": ("เหตุการณ์", "Event"),
    "from_to": ("จาก → ไป", "From → to"),
    "details": ("รายละเอียด", "Details"),
    "note": ("หมายเหตุ", "Note"),
    "diagram_unavailable": ("ไม่สามารถวาดแผนภาพได้", "The diagram cannot be drawn"),
    # procedure
    "versions": ("ฉบับ", "Versions"),
    "version": ("ฉบับที่", "Version"),
    "effective_from": ("มีผลตั้งแต่", "Effective from"),
    "settings": ("การตั้งค่า", "Settings"),
    "states": ("ขั้นตอนและสถานะ", "Steps and states"),
    "expected_days": ("กำหนด (วัน)", "Expected days"),
    "final": ("สิ้นสุด", "Final"),
    "transitions": ("การดำเนินการ", "Moves"),
    "optional": ("ไม่บังคับ", "Optional"),
    "separate_from": ("ห้ามผู้ที่", "Not by whoever made"),
    "diagram": ("แผนภาพ", "Diagram"),
    "diagram_alt": ("แผนภาพขั้นตอน {name} ฉบับที่ {version}", "Diagram of {name} version {version}"),
    # audit
    "verification": ("ผลการตรวจสอบห่วงโซ่บันทึก", "Verification of the audit chain"),
    "intact": ("สมบูรณ์", "Intact"),
    "broken": ("พบความผิดปกติ", "Integrity failure"),
    "inconsistent": ("ไม่ตรงกับจุดตรวจสอบ", "Inconsistent with a checkpoint"),
    "verified_at": ("ตรวจเมื่อ", "Verified at"),
    "not_verified": ("ยังไม่ได้ตรวจสอบ (กำลังตรวจ)", "Not verified yet (running)"),
    "verify_off": (
        "ไม่ได้ตั้งให้ตรวจสอบ (--verify-every 0) — ใช้คำสั่ง sistercity audit verify",
        "Not verified by this server (--verify-every 0) — use sistercity audit verify",
    ),
    "verify_failed": ("ตรวจสอบไม่สำเร็จ", "Verification could not run"),
    "records": ("จำนวนบันทึก", "Records"),
    "head": ("ค่าแฮชล่าสุด", "Head hash"),
    "problems": ("ปัญหาที่พบ", "Problems"),
    "warnings": ("ข้อสังเกต", "Warnings"),
    "signed_head": ("จุดตรวจสอบที่ลงนามล่าสุด", "Latest signed head export"),
    "no_signed_head": (
        "ยังไม่มี — ใช้คำสั่ง sistercity audit head --sign",
        "None yet — use sistercity audit head --sign",
    ),
    "key": ("ลายนิ้วมือกุญแจ", "Key fingerprint"),
    "log": ("บันทึกตรวจสอบ", "Audit log"),
    "case": ("เรื่อง", "Case"),
    "officer_id": ("รหัสเจ้าหน้าที่", "Officer id"),
    "trigger": ("การดำเนินการ", "Step"),
    "date_hint": ("ปปปป-ดด-วว (พ.ศ. หรือ ค.ศ.)", "YYYY-MM-DD (B.E. or C.E.)"),
    "export": ("ส่งออกบันทึก", "Export the log"),
    "export_note": (
        "การส่งออกทุกครั้งถูกบันทึกเป็นเหตุการณ์ในบันทึกตรวจสอบ",
        "Every export is itself recorded as an audit event",
    ),
    "no_records": ("ไม่มีบันทึก", "No records"),
    # errors
    "error": ("ข้อผิดพลาด", "Error"),
    "back_home": ("กลับหน้าภาพรวม", "Back to the dashboard"),
}


def translator(lang: Lang) -> Callable[..., str]:
    """``t(key, **values)``: the word in *lang*, with ``{name}`` placeholders filled."""
    index = 0 if lang == "th" else 1

    def t(key: str, **values: object) -> str:
        text = WORDS[key][index]
        return text.format(**values) if values else text

    return t


def province_name(code: str, lang: Lang) -> str:
    """The province's Thai or English name, or the code itself when unknown."""
    names = PROVINCES.get(code)
    if names is None:
        return code
    return names[0] if lang == "th" else names[1]


def day(value: dt.date | None, lang: Lang) -> str:
    """A calendar day: ``31 มี.ค. 2567`` in Thai, ``2024-03-31`` in English."""
    return "–" if value is None else format_date(value, lang)


def moment(value: dt.datetime | None, lang: Lang) -> str:
    """A timestamp in Bangkok time, Buddhist Era in Thai."""
    return "–" if value is None else format_moment(value, lang)


def number(value: int | float) -> str:
    """Thousands separated, as both languages write them."""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
