"""Read models of the audit log, kept in step with it inside the same transaction.

Every path that appends an audit record (``case advance``, an activity, the sweep, an import, and
whatever is added later) goes through one ``INSERT`` of ``AuditRow``; a mapper ``after_insert``
hook projects that record into ``case_facts``, ``moves`` and ``activities`` on the same
connection. So the sweep and the KPIs read small indexed tables instead of parsing a million JSON
payloads, and the projections can never disagree with a committed log: they commit or roll back
with it. ``rebuild`` recomputes everything from the log (used by the 0002 migration).

Conventions, each documented because the KPIs depend on them:

* dates are ISO ``YYYY-MM-DD`` text (compare correctly as strings on SQLite and PostgreSQL);
  the date of an event is its local date in Bangkok; fiscal years are Buddhist Era.
* ``established_on`` is the first signing and is never overwritten (a renewal is not a new
  relationship); ``signed_on`` and ``expires_on`` follow the latest signing, so a renewal
  starts a new term.
* ``follow_up_since`` is when the case last entered ``active`` from outside the follow-up states
  (report of signing, resumption, end of renewal) or was imported as active/dormant: the import
  attests the status on that day, and the dormancy clock starts no earlier than that.
* ``ended_on`` is when a relationship stopped being in force: the termination notice date, the
  end of term for an expiry, otherwise the event's date. An imported closed relationship's end
  date is unknown, so it is taken as its signing date: it never counts as in force.
* a span is the time between the event that put a case in a state and the next event that moved
  it elsewhere; spans opened by an import start at an arbitrary moment and are marked so.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Connection, event, insert, select, update
from sqlalchemy.orm import Mapper

from states import ProcedureDefinition, load_procedure
from store.repository import parse_utc
from store.tables import ActivityRow, AuditRow, CaseFactsRow, CaseRow, MoveRow
from workflow.model import SYSTEM_ACTOR
from workflow.thaidate import fiscal_year_be, local_date

FOLLOW_UP_STATES = frozenset({"active", "dormant"})
CLOSED_RELATIONSHIP = frozenset({"terminated", "expired"})


@cache
def _definition(procedure: str, version: int) -> ProcedureDefinition:
    return load_procedure(procedure, version).definition


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day *years* later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def required_documents_present(
    definition: ProcedureDefinition, trigger: str, source: str | None, fields: dict[str, Any]
) -> str:
    """``complete`` when every required ``file`` field of the step is in the record.

    Optional documents (evidence of an activity, a delegation order) do not count: the
    indicator asks whether the procedure's required documents were there, and an optional one
    missing is not a breach of the procedure.
    """
    for spec in definition.active_transitions:
        if spec.trigger == trigger and (source is None or source in spec.source):
            needed = [n for n in spec.requires if definition.field(n).type == "file"]
            return "complete" if all(fields.get(n) for n in needed) else "missing"
    return "unknown"


def _case_info(conn: Connection, reference: str) -> tuple[str, int, str] | None:
    row = conn.execute(
        select(CaseRow.procedure, CaseRow.version, CaseRow.province).where(
            CaseRow.reference == reference
        )
    ).one_or_none()
    return (row[0], row[1], row[2]) if row else None


def _ensure_facts(conn: Connection, reference: str, province: str) -> None:
    exists = conn.execute(
        select(CaseFactsRow.case_reference).where(CaseFactsRow.case_reference == reference)
    ).first()
    if exists is None:
        conn.execute(insert(CaseFactsRow).values(case_reference=reference, province=province))


def _set_facts(conn: Connection, reference: str, **values: Any) -> None:
    conn.execute(
        update(CaseFactsRow).where(CaseFactsRow.case_reference == reference).values(**values)
    )


def _facts(conn: Connection, reference: str) -> Any:
    return conn.execute(select(CaseFactsRow).where(CaseFactsRow.case_reference == reference)).one()


def _satang(amount: Any) -> int | None:
    if amount in (None, ""):
        return None
    return int(Decimal(str(amount)) * 100)


def _evidence_count(value: Any) -> int:
    if isinstance(value, list):
        return len(value)
    return 1 if value else 0


def project(conn: Connection, record: dict[str, Any]) -> None:
    """Apply one audit record (as stored: text timestamp, fields as a dict) to the read models."""
    reference = record["case_reference"]
    kind = record["kind"]
    dest = record["dest"]
    if reference is None or dest is None or kind not in {"open", "import", "transition"}:
        return
    fields: dict[str, Any] = record["fields"]
    at_text: str = record["occurred_at"]
    at = parse_utc(at_text)
    day = local_date(at)
    source = record["source"]
    trigger = record["trigger"]
    if kind in {"open", "import"}:
        procedure, version, province = fields["procedure"], fields["version"], fields["province"]
    else:
        info = _case_info(conn, reference)
        if info is None:
            return
        procedure, version, province = info
    _ensure_facts(conn, reference, province)

    docs: str | None = None
    if kind == "import":
        docs = "unknown"
    elif kind == "transition" and record["actor_id"] != SYSTEM_ACTOR:
        docs = required_documents_present(_definition(procedure, version), trigger, source, fields)
    changes_state = kind in {"open", "import"} or dest != source
    if changes_state:
        for seq, started in conn.execute(
            select(MoveRow.seq, MoveRow.occurred_at).where(
                MoveRow.case_reference == reference,
                MoveRow.opens_span.is_(True),
                MoveRow.ended_at.is_(None),
            )
        ).all():
            seconds = int((at - parse_utc(started)).total_seconds())
            conn.execute(
                update(MoveRow)
                .where(MoveRow.seq == seq)
                .values(ended_at=at_text, ended_fy=fiscal_year_be(day), seconds=max(seconds, 0))
            )
    conn.execute(
        insert(MoveRow).values(
            seq=record["seq"],
            case_reference=reference,
            province=province,
            kind=kind,
            trigger=trigger,
            source=source,
            dest=dest,
            occurred_at=at_text,
            fiscal_year=fiscal_year_be(day),
            docs=docs,
            opens_span=changes_state,
        )
    )

    if kind == "import":
        signed = fields.get("signed_on_date")
        values: dict[str, Any] = {"imported_sha256": fields.get("file_sha256")}
        if signed:
            values.update(
                established_on=signed,
                established_fy=fiscal_year_be(dt.date.fromisoformat(signed)),
                signed_on=signed,
                signed_precision=fields.get("signed_on_precision"),
            )
        if dest in FOLLOW_UP_STATES:
            values["follow_up_since"] = day.isoformat()
        if dest in CLOSED_RELATIONSHIP:
            values["ended_on"] = signed or day.isoformat()
        _set_facts(conn, reference, **values)
        return
    if kind != "transition":
        return
    if trigger == "record_signing" and fields.get("signed_on"):
        signed_day = dt.date.fromisoformat(fields["signed_on"])
        term = fields.get("term_years")
        current = _facts(conn, reference)
        _set_facts(
            conn,
            reference,
            established_on=current.established_on or signed_day.isoformat(),
            established_fy=current.established_fy or fiscal_year_be(signed_day),
            signed_on=signed_day.isoformat(),
            signed_precision="day",
            term_years=term,
            expires_on=add_years(signed_day, int(term)).isoformat() if term else None,
        )
    if trigger == "record_activity":
        activity_day = dt.date.fromisoformat(fields["activity_date"])
        conn.execute(
            insert(ActivityRow).values(
                audit_seq=record["seq"],
                case_reference=reference,
                province=province,
                activity_date=activity_day.isoformat(),
                fiscal_year=fiscal_year_be(activity_day),
                kind=fields["activity_kind"],
                title=fields["activity_title"],
                partner_participated=fields["partner_participated"] == "yes",
                budget_satang=_satang(fields.get("budget_thb")),
                evidence_count=_evidence_count(fields.get("evidence")),
            )
        )
        current = _facts(conn, reference)
        if current.last_activity_on is None or current.last_activity_on < activity_day.isoformat():
            _set_facts(conn, reference, last_activity_on=activity_day.isoformat())
    if dest == "active" and source not in FOLLOW_UP_STATES:
        _set_facts(conn, reference, follow_up_since=day.isoformat())
    if dest in CLOSED_RELATIONSHIP and source != dest:
        current = _facts(conn, reference)
        if trigger == "terminate" and fields.get("termination_notice_date"):
            ended = str(fields["termination_notice_date"])
        elif dest == "expired" and current.expires_on:
            ended = min(current.expires_on, day.isoformat())
        else:
            ended = day.isoformat()
        _set_facts(conn, reference, ended_on=ended)


def _row_record(row: AuditRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "kind": row.kind,
        "case_reference": row.case_reference,
        "trigger": row.trigger,
        "source": row.source,
        "dest": row.dest,
        "actor_id": row.actor_id,
        "occurred_at": row.occurred_at,
        "fields": json.loads(row.fields),
    }


@event.listens_for(AuditRow, "after_insert")
def _after_insert(_mapper: Mapper[Any], conn: Connection, target: AuditRow) -> None:
    project(conn, _row_record(target))


def rebuild(conn: Connection) -> int:
    """Recompute every read model from the audit log, in log order; returns records read."""
    for table in (ActivityRow, MoveRow, CaseFactsRow):
        conn.execute(table.__table__.delete())  # type: ignore[attr-defined]
    count = 0
    rows = conn.execute(select(AuditRow.__table__).order_by(AuditRow.seq)).mappings().all()
    for row in rows:
        record = dict(row)
        record["fields"] = json.loads(record["fields"])
        project(conn, record)
        count += 1
    return count
