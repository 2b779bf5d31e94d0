"""Fixed inputs for the golden audit fixture, and the rows the canonical form makes of them.

Everything here is literal data: the fixture must change only when the canonical form does. To
regenerate after a deliberate change (and say so in the commit), run::

    python tests/audit/golden_data.py
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path
from typing import Any

from workflow.integrity import (
    GENESIS_HASH,
    RECORD_VERSION,
    canonical_json,
    payload_sha256,
    record_hash,
    record_header,
)
from workflow.model import AuditDraft

HERE = Path(__file__).parent / "golden"
LOG_ID = "3f1e5a0c-7b7e-4c2a-9d4e-5b0c2f6a9e11"
START = dt.datetime(2021, 5, 10, 3, 0, tzinfo=dt.UTC)
REFS = ("SC-2564-0001", "SC-2564-0002", "SC-2564-0003")
# (trigger, from, to, actor, role) of a proposal walked from draft to active in provincial v1.
WALK = (
    ("open", None, "proposal_draft", "somchai", "province_officer"),
    ("begin_study", "proposal_draft", "suitability_study", "somchai", "province_officer"),
    (
        "submit_to_committee",
        "suitability_study",
        "provincial_committee_review",
        "somchai",
        "province_officer",
    ),
    (
        "committee_return",
        "provincial_committee_review",
        "provincial_revision",
        "malee",
        "province_head",
    ),
    (
        "resubmit_to_committee",
        "provincial_revision",
        "provincial_committee_review",
        "somchai",
        "province_officer",
    ),
    (
        "committee_approve",
        "provincial_committee_review",
        "provincial_endorsed",
        "malee",
        "province_head",
    ),
    ("submit_to_moi", "provincial_endorsed", "submitted_to_moi", "governor-cm", "governor"),
    ("accept_for_review", "submitted_to_moi", "moi_review", "director-fad", "moi_director"),
    ("consult_mfa", "moi_review", "mfa_consultation", "director-fad", "moi_director"),
    ("record_mfa_opinion", "mfa_consultation", "partner_negotiation", "anong", "moi_officer"),
    ("propose_to_cabinet", "partner_negotiation", "cabinet_pending", "permsec", "moi_executive"),
    (
        "record_cabinet_approval",
        "cabinet_pending",
        "approved_for_signing",
        "anong",
        "moi_officer",
    ),
    ("record_signing", "approved_for_signing", "signed", "governor-cm", "governor"),
    ("report_signing", "signed", "active", "somchai", "province_officer"),
)
OFFICERS = (
    ("somchai", "สมชาย ใจดี", ["province_officer"], "TH-50"),
    ("malee", "มาลี ศรีสุข", ["province_head"], "TH-50"),
    ("governor-cm", "ผู้ว่าราชการจังหวัดเชียงใหม่", ["governor"], "TH-50"),
    ("anong", "อนงค์ รักษ์ไทย", ["moi_officer"], None),
    ("director-fad", "ผู้อำนวยการกองการต่างประเทศ", ["moi_director"], None),
    ("permsec", "ปลัดกระทรวงมหาดไทย", ["moi_executive"], None),
    ("auditor", "ผู้ตรวจสอบ", ["auditor"], None),
    ("admin", "ผู้ดูแลระบบ", ["admin"], None),
)


def drafts() -> list[AuditDraft]:
    """60 events exercising every value kind the canonical form allows."""
    out: list[AuditDraft] = []
    at = START
    for officer_id, name, roles, province in OFFICERS:
        out.append(
            AuditDraft(
                kind="officer",
                case_reference=None,
                trigger="add_officer",
                source=None,
                dest=None,
                actor_id="bootstrap",
                actor_role=None,
                os_user=None,
                occurred_at=at,
                fields={
                    "officer": officer_id,
                    "name": name,
                    "roles": roles,
                    "province": province,
                    "os_user": None,
                    "deputy": False,
                },
            )
        )
    for n, ref in enumerate(REFS):
        for i, (trigger, source, dest, actor, role) in enumerate(WALK):
            at = at + dt.timedelta(days=3, microseconds=7 * i + n)
            fields: dict[str, Any] = {}
            note = ""
            if trigger == "open":
                fields = {
                    "procedure": "provincial",
                    "version": 1,
                    "province": "TH-50",
                    "partner_name": "Guangzhou" if n == 0 else "Nagano 長野",
                    "partner_country": "CN" if n == 0 else "JP",
                }
            elif i % 3 == 0:
                fields = {
                    "letter_no": f"ชม 0017.2/{1000 + i}",
                    "letter_date": dt.date(2021, 6, 1 + i),
                    "document": {"name": f"doc-{i}.pdf", "sha256": "ab" * 32, "bytes": 1024 * i},
                    "pages": [1, 2, 3],
                    "urgent": i % 2 == 0,
                    "amount_satang": 12_345_678_900 + i,
                }
            if i % 4 == 1:
                # Decomposed Thai (sara am as nikhahit + sara aa) and a decomposed é: NFC'd.
                note = "ทำ\u0e4d\u0e32 e\u0301tude — ทดสอบ" if n else "ให้เพิ่มสาขาความร่วมมือ"
            out.append(
                AuditDraft(
                    kind="open" if trigger == "open" else "transition",
                    case_reference=ref,
                    trigger=trigger,
                    source=source,
                    dest=dest,
                    actor_id=actor,
                    actor_role=role,
                    os_user="ข้าราชการ" if n else "somchai",
                    occurred_at=at,
                    fields=fields,
                    note=note,
                )
            )
            if n == 1 and i in (3, 9):
                out.append(
                    AuditDraft(
                        kind="denied",
                        case_reference=ref,
                        trigger="committee_approve",
                        source=dest,
                        dest=None,
                        actor_id="auditor",
                        actor_role=None,
                        os_user=None,
                        occurred_at=at + dt.timedelta(seconds=1),
                        note="officer 'auditor' may not 'committee_approve': needs role x",
                    )
                )
    out.append(
        AuditDraft(
            kind="officer",
            case_reference=None,
            trigger="add_officer",
            source=None,
            dest=None,
            actor_id="admin",
            actor_role="admin",
            os_user="root",
            occurred_at=dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=dt.UTC),
            fields={"officer": "x", "nested": {"b": [None, True, -1], "a": {}}},
        )
    )
    return out


def rows(log_id: str = LOG_ID) -> list[dict[str, Any]]:
    """The stored columns the writer makes of ``drafts()``, computed by the pure functions."""
    out: list[dict[str, Any]] = []
    prev = GENESIS_HASH
    case_seq: dict[str, int] = {}
    for seq, d in enumerate(drafts(), start=1):
        cs = None
        if d.case_reference is not None:
            cs = case_seq[d.case_reference] = case_seq.get(d.case_reference, 0) + 1
        payload = payload_sha256(d.fields, d.note)
        header = record_header(
            record_version=RECORD_VERSION,
            log_id=log_id,
            seq=seq,
            kind=d.kind,
            case_reference=d.case_reference,
            case_seq=cs,
            trigger=d.trigger,
            source=d.source,
            dest=d.dest,
            actor_id=d.actor_id,
            actor_role=d.actor_role,
            os_user=d.os_user,
            occurred_at=d.occurred_at,
            payload_sha256=payload,
            prev_hash=prev,
        )
        digest = record_hash(header)
        out.append(
            {
                "seq": seq,
                "log_id": log_id,
                "record_version": RECORD_VERSION,
                "kind": d.kind,
                "case_reference": d.case_reference,
                "case_seq": cs,
                "trigger": d.trigger,
                "source": d.source,
                "dest": d.dest,
                "actor_id": d.actor_id,
                "actor_role": d.actor_role,
                "os_user": d.os_user,
                "occurred_at": header["at"],
                "fields": canonical_json(dict(d.fields)).decode("utf-8"),
                "note": unicodedata.normalize("NFC", d.note),
                "payload_sha256": payload,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    return out


def jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


if __name__ == "__main__":
    built = rows()
    (HERE / "records.jsonl").write_text(jsonl(built), encoding="utf-8")
    (HERE / "head.txt").write_text(f"{len(built)} {built[-1]['hash']}\n", encoding="ascii")
    print(f"{len(built)} records, head {built[-1]['hash']}")
