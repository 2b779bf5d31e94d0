"""A training database with one realistic proposal walked from draft to an active relationship
and its first activity with the partner.

The case follows Chiang Mai and Guangzhou (letter of intent signed 31 March 2024, in
``tests/data/relationships-sample.csv``), with a simulated clock so the dates read true, one
revision loop at the provincial committee, and documents generated in memory and recorded by hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from store.database import make_engine
from store.schema import init_database
from store.unit_of_work import SqlAlchemyUnitOfWork
from workflow import services
from workflow.errors import InvalidInput
from workflow.model import Actor, AuditRecord, Case, NewCase
from workflow.thaidate import BANGKOK

OFFICERS = (
    Actor("somchai", "สมชาย ใจดี", frozenset({"province_officer"}), "TH-50"),
    Actor("malee", "มาลี ศรีสุข", frozenset({"province_head"}), "TH-50"),
    Actor("governor-cm", "ผู้ว่าราชการจังหวัดเชียงใหม่", frozenset({"governor"}), "TH-50"),
    Actor("anong", "อนงค์ รักษ์ไทย", frozenset({"moi_officer"})),
    Actor("director-fad", "ผู้อำนวยการกองการต่างประเทศ", frozenset({"moi_director"})),
    Actor("permsec", "ปลัดกระทรวงมหาดไทย", frozenset({"moi_executive"})),
    Actor("auditor", "ผู้ตรวจสอบ", frozenset({"auditor"})),
    #: The service account the daily sweep runs as (its OS login in real use).
    Actor("sweeper", "ระบบงานประจำวัน", frozenset({"system"})),
    Actor("admin", "ผู้ดูแลระบบ", frozenset({"admin"})),
)


def _doc(name: str, text: str) -> dict[str, Any]:
    data = text.encode("utf-8")
    return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), BANGKOK).astimezone(
        dt.UTC
    )


# (day, officer, trigger, fields, note)
STEPS: tuple[tuple[str, str, str, dict[str, Any], str], ...] = (
    ("2021-05-20", "somchai", "begin_study", {}, "ต่อยอดจากการเยือนกว่างโจวของคณะจังหวัด"),
    (
        "2021-06-04",
        "somchai",
        "submit_to_committee",
        {
            "suitability_study": _doc("study-guangzhou.pdf", "การศึกษาความเหมาะสม เชียงใหม่–กว่างโจว"),
            "working_group_minutes": _doc(
                "wg-minutes-1-2564.pdf", "รายงานการประชุมคณะทำงาน 1/2564"
            ),
            "draft_mou_th": _doc("loi-draft-th.docx", "ร่างหนังสือแสดงเจตจำนง"),
            "draft_mou_en": _doc("loi-draft-en.docx", "Draft letter of intent"),
            "action_plan": _doc("action-plan-2565.pdf", "แผนปฏิบัติการ 2565"),
        },
        "",
    ),
    (
        "2021-06-25",
        "malee",
        "committee_return",
        {"committee_resolution_no": "มติที่ 3/2564", "committee_resolution_date": "2021-06-24"},
        "ให้เพิ่มสาขาความร่วมมือด้านการศึกษาในร่าง",
    ),
    (
        "2021-07-12",
        "somchai",
        "resubmit_to_committee",
        {"revised_draft": _doc("loi-draft-th-v2.docx", "ร่างหนังสือแสดงเจตจำนง ฉบับแก้ไข")},
        "",
    ),
    (
        "2021-07-30",
        "malee",
        "committee_approve",
        {"committee_resolution_no": "มติที่ 4/2564", "committee_resolution_date": "2021-07-29"},
        "",
    ),
    (
        "2021-08-10",
        "governor-cm",
        "submit_to_moi",
        {
            "submission_letter_no": "ชม 0017.2/1234",
            "submission_letter_date": "2021-08-10",
            "submission_letter": _doc("letter-to-moi.pdf", "หนังสือจังหวัดเชียงใหม่ถึง มท."),
        },
        "",
    ),
    ("2021-08-23", "director-fad", "accept_for_review", {}, ""),
    (
        "2021-09-15",
        "director-fad",
        "consult_mfa",
        {"mfa_request_letter_no": "มท 0204.3/5678", "mfa_request_date": "2021-09-15"},
        "",
    ),
    (
        "2021-11-30",
        "anong",
        "record_mfa_opinion",
        {
            "mfa_opinion_no": "กต 0804/4321",
            "mfa_opinion_date": "2021-11-26",
            "mfa_opinion": _doc("mfa-opinion.pdf", "ความเห็นกระทรวงการต่างประเทศ: ไม่ขัดข้อง"),
        },
        "ไม่เป็นสนธิสัญญาตามมาตรา 178",
    ),
    (
        "2023-09-18",
        "permsec",
        "propose_to_cabinet",
        {
            "agreed_text_th": _doc("loi-final-th.pdf", "หนังสือแสดงเจตจำนง ฉบับตกลง"),
            "agreed_text_en": _doc("loi-final-en.pdf", "Letter of intent, agreed text"),
            "cabinet_proposal_no": "มท 0204.3/9012",
        },
        "",
    ),
    (
        "2023-12-20",
        "anong",
        "record_cabinet_approval",
        {"cabinet_resolution_date": "2023-12-19", "cabinet_secretariat_letter_no": "นร 0505/3456"},
        "",
    ),
    (
        "2024-03-31",
        "governor-cm",
        "record_signing",
        {
            "signed_on": "2024-03-31",
            "signing_place": "Guangzhou, China",
            "signatory": "ผู้ว่าราชการจังหวัดเชียงใหม่",
            "partner_signatory": "Mayor of Guangzhou",
            "signed_text_th": _doc("loi-signed-th.pdf", "ต้นฉบับลงนาม ภาษาไทย"),
            "signed_text_en": _doc("loi-signed-en.pdf", "Signed original, English"),
        },
        "",
    ),
    (
        "2024-04-19",
        "somchai",
        "report_signing",
        {
            "signing_report_no": "ชม 0017.2/2345",
            "signing_report": _doc("signing-report.pdf", "รายงานผลการลงนาม"),
        },
        "",
    ),
)
#: After the relationship is active: its first activity with the partner.
FOLLOW_UP: tuple[tuple[str, str, str, dict[str, Any], str], ...] = (
    (
        "2024-11-16",
        "somchai",
        "record_activity",
        {
            "activity_date": "2024-11-15",
            "activity_kind": "culture",
            "activity_title": "คณะกว่างโจวร่วมงานยี่เป็งเชียงใหม่",
            "partner_participated": "yes",
            "budget_thb": "150000",
        },
        "",
    ),
)


def build_demo(path: str) -> tuple[Case, list[AuditRecord]]:
    """Create a fresh training database at *path* and walk the sample proposal to ``active``."""
    target = Path(path)
    if target.exists():
        _remove_training_db(target)
    engine = make_engine(str(target))
    try:
        init_database(engine, training=True)
        uow = SqlAlchemyUnitOfWork(engine)
        start = _at("2021-05-10")
        for actor in OFFICERS:
            services.add_officer(uow, actor, None, start)
        actors = {o.id: o for o in OFFICERS}
        case = services.open_case(
            uow,
            actors["somchai"],
            NewCase("TH-50", "Guangzhou", "CN", "city", "LOI", "friendship"),
            start,
            note="คณะผู้แทนกว่างโจวเยือนเชียงใหม่ แสดงความสนใจ",
            version=1,  # the rules this proposal ran under: the Cabinet approved before signing
        )
        for day, officer_id, trigger, fields, note in (*STEPS, *FOLLOW_UP):
            services.advance_case(
                uow, actors[officer_id], case.reference, trigger, fields, note, _at(day)
            )
        return services.case_history(uow, case.reference)
    finally:
        engine.dispose()


def _remove_training_db(target: Path) -> None:
    engine: Engine = make_engine(str(target))
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            training = uow.setting("training")
    except Exception:
        training = None
    finally:
        engine.dispose()
    if training != "1":
        raise InvalidInput(f"{target} exists and is not a training database; choose another --db")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
