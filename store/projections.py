"""The read models of the audit log (``case_facts``, ``moves``, ``activities``), saved and rebuilt.

What a record changes is decided by the pure ``workflow.effects.project``; the use case that
appends the record calls it and hands the result to ``SqlAlchemyFactsRepository.save``, in the same
transaction, so the sweep and the indicators read small indexed tables that commit or roll back
with the log. ``rebuild`` replays the whole log through the same function (the 0005 migration, and
a test that compares a rebuilt database with a live one). Dates are ISO text, which compares
correctly as strings on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, insert, inspect, select, update

from states import ProcedureDefinition, load_procedure
from store.core_tables import ACTIVITIES, AUDIT_RECORDS, CASE_FACTS, MOVES
from store.repository import Transaction, audit_record, deferrable, facts_value, transaction_for
from workflow.effects import CaseFacts, Projected, project
from workflow.integrity import utc_text
from workflow.thaidate import fiscal_year_be

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_Execute = Callable[..., Any]


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


# Built once: ``json.dumps`` with non-default options builds an encoder at every call.
_JSON = json.JSONEncoder(ensure_ascii=False)


def _column(facts: CaseFacts, name: str) -> Any:
    """One ``case_facts`` column of *facts* as stored (dates ISO, step dates JSON)."""
    if name == "established_fy":
        return fiscal_year_be(facts.established_on) if facts.established_on else None
    value = getattr(facts, name)
    if name == "step_dates":
        return _JSON.encode([list(d) for d in value]) if value else None
    return value.isoformat() if isinstance(value, dt.date) else value


#: The stored columns of the facts but the case's reference; the attribute each comes from.
_COLUMNS = tuple(c.name for c in CASE_FACTS.columns if c.name != "case_reference")
_SOURCE = tuple(
    (name, "established_on" if name == "established_fy" else name) for name in _COLUMNS
)


def _facts_columns(facts: CaseFacts) -> dict[str, Any]:
    """Every column of *facts* as stored (``_column``, spelt out: an import writes thousands)."""
    return {
        "province": facts.province,
        "established_on": _iso(facts.established_on),
        "established_fy": fiscal_year_be(facts.established_on) if facts.established_on else None,
        "signed_on": _iso(facts.signed_on),
        "signed_precision": facts.signed_precision,
        "term_years": facts.term_years,
        "expires_on": _iso(facts.expires_on),
        "last_activity_on": _iso(facts.last_activity_on),
        "follow_up_since": _iso(facts.follow_up_since),
        "ended_on": _iso(facts.ended_on),
        "imported_sha256": facts.imported_sha256,
        "established_precision": facts.established_precision,
        "entered_on": _iso(facts.entered_on),
        "supersedes": facts.supersedes,
        "superseded_by": facts.superseded_by,
        "relationship": facts.relationship,
        "step_dates": _JSON.encode([list(d) for d in facts.step_dates])
        if facts.step_dates
        else None,
    }


def _changed_columns(before: CaseFacts, after: CaseFacts) -> tuple[str, ...]:
    """The columns whose stored values differ between two facts of one case."""
    return tuple(
        name for name, source in _SOURCE if getattr(before, source) != getattr(after, source)
    )


def _satang(amount: Decimal | None) -> int | None:
    return None if amount is None else int(amount * 100)


# Built once; executed with parameters (SQLAlchemy caches their compiled form).
_INSERT_FACTS = deferrable(insert(CASE_FACTS))
_UPDATE_FACTS = (
    update(CASE_FACTS)
    .where(CASE_FACTS.c.case_reference == bindparam("reference"))
    .values({c.name: bindparam(c.name) for c in CASE_FACTS.c if c.name != "case_reference"})
)
_CLOSE_SPAN = (
    update(MOVES)
    .where(
        MOVES.c.case_reference == bindparam("reference"),
        MOVES.c.opens_span.is_(True),
        MOVES.c.ended_at.is_(None),
    )
    .values(
        ended_at=bindparam("ended_at"),
        ended_fy=bindparam("ended_fy"),
        seconds=bindparam("seconds"),
    )
)
_INSERT_MOVE = deferrable(insert(MOVES))
_INSERT_ACTIVITY = insert(ACTIVITIES)
#: A new instrument marks the one it replaces (sent after the facts it marks: see ``deferrable``).
_MARK_SUPERSEDED = deferrable(
    update(CASE_FACTS)
    .where(CASE_FACTS.c.case_reference == bindparam("replaced"))
    .values(superseded_by=bindparam("by"))
)
_SELECT_FACTS = select(CASE_FACTS).where(CASE_FACTS.c.case_reference == bindparam("reference"))
#: UPDATE statements setting only some columns, by the columns they set (a step changes one or
#: two: the last activity, a date it records).
_UPDATES: dict[tuple[str, ...], Any] = {}


def _update_facts(columns: tuple[str, ...]) -> Any:
    statement = _UPDATES.get(columns)
    if statement is None:
        statement = _UPDATES[columns] = (
            update(CASE_FACTS)
            .where(CASE_FACTS.c.case_reference == bindparam("reference"))
            .values({name: bindparam(name) for name in columns})
        )
    return statement


def write(execute: _Execute, projected: Projected, before: CaseFacts | None = None) -> None:
    """The statements one projection needs: facts (unless *before*, the facts as stored, are
    unchanged), the span it closes, its move, its activity."""
    facts = projected.facts
    reference = facts.reference
    if projected.is_new:
        execute(_INSERT_FACTS, {"case_reference": reference, **_facts_columns(facts)})
        if facts.supersedes:  # a new instrument that replaces another marks that one
            execute(_MARK_SUPERSEDED, {"replaced": facts.supersedes, "by": reference})
    elif before is None:
        execute(_UPDATE_FACTS, {"reference": reference, **_facts_columns(facts)})
    elif before != facts:
        changed = _changed_columns(before, facts)
        if changed:
            execute(
                _update_facts(changed),
                {"reference": reference, **{name: _column(facts, name) for name in changed}},
            )
    end = projected.span_end
    if end is not None:
        execute(
            _CLOSE_SPAN,
            {
                "reference": reference,
                "ended_at": utc_text(end.ended_at),
                "ended_fy": end.ended_fy,
                "seconds": end.seconds,
            },
        )
    m = projected.move
    execute(
        _INSERT_MOVE,
        {
            "seq": m.seq,
            "case_reference": m.case_reference,
            "province": m.province,
            "kind": m.kind,
            "trigger": m.trigger,
            "source": m.source,
            "dest": m.dest,
            "occurred_at": utc_text(m.occurred_at),
            "fiscal_year": m.fiscal_year,
            "docs": m.docs,
            "opens_span": m.opens_span,
            "ended_at": None,
            "ended_fy": None,
            "seconds": None,
        },
    )
    a = projected.activity
    if a is not None:
        execute(
            _INSERT_ACTIVITY,
            {
                "audit_seq": a.audit_seq,
                "case_reference": a.case_reference,
                "province": a.province,
                "activity_date": a.activity_date.isoformat(),
                "fiscal_year": a.fiscal_year,
                "kind": a.kind,
                "title": a.title,
                "partner_participated": a.partner_participated,
                "budget_satang": _satang(a.budget_thb),
                "evidence_count": a.evidence_count,
            },
        )


class SqlAlchemyFactsRepository:
    """The read models, written through the session's transaction.

    The facts of a case usually come with the case itself (``SqlAlchemyCaseRepository.get``
    reads them in the same statement); they are read again only when that read cannot be
    trusted any more.
    """

    def __init__(self, session: Session | None, tx: Transaction | None = None) -> None:
        self.session = session
        self.tx = transaction_for(session, tx)

    def get(self, reference: str) -> CaseFacts | None:
        tx = self.tx
        if reference in tx.facts and (reference in tx.facts_trusted or not tx.locked):
            return tx.facts[reference]
        row = tx.execute(_SELECT_FACTS, {"reference": reference}).one_or_none()
        facts = facts_value(row) if row is not None else None
        tx.facts[reference] = facts
        if tx.locked:
            tx.facts_trusted.add(reference)
        return facts

    def save(self, projected: Projected) -> None:
        tx = self.tx
        tx.write()
        reference = projected.facts.reference
        before = tx.facts.get(reference) if reference in tx.facts_trusted else None
        write(tx.send, projected, before)
        tx.facts[reference] = projected.facts
        tx.facts_trusted.add(reference)


def rebuild(conn: Connection) -> int:
    """Recompute every read model from the audit log, in log order; returns records read.

    Reads the log alone (not the ``cases`` table, whose columns a migration may not have added
    yet): each case's procedure version and province come from its opening, import or migration.
    A migration that rebuilds before a later one has added every read-model column rebuilds
    nothing (returns 0): the later migration adds its column and rebuilds then.
    """
    present = {c["name"] for c in inspect(conn).get_columns(CASE_FACTS.name)}
    if not {c.name for c in CASE_FACTS.c} <= present:
        return 0
    for table in (ACTIVITIES, MOVES, CASE_FACTS):
        conn.execute(table.delete())
    definitions: dict[str, ProcedureDefinition] = {}
    provinces: dict[str, str] = {}
    facts: dict[str, CaseFacts] = {}
    spans: dict[str, dt.datetime] = {}
    count = 0
    for row in conn.execute(select(AUDIT_RECORDS).order_by(AUDIT_RECORDS.c.seq)):
        count += 1
        record = audit_record(row)
        reference = record.case_reference
        if reference is None:
            continue
        fields = record.fields
        if record.kind in {"open", "import"}:
            definitions[reference] = load_procedure(
                str(fields["procedure"]), int(fields["version"])
            ).definition
            provinces[reference] = str(fields["province"])
        elif record.kind == "migrate":
            definitions[reference] = load_procedure(
                str(fields["procedure"]), int(fields["to_version"])
            ).definition
        definition = definitions.get(reference)
        if definition is None:
            continue
        projected = project(
            definition,
            facts.get(reference),
            record,
            province=provinces[reference],
            span_start=spans.get(reference),
        )
        if projected is None:
            continue
        write(conn.execute, projected)
        facts[reference] = projected.facts
        replaced = projected.facts.supersedes
        if projected.is_new and replaced and replaced in facts:
            facts[replaced] = replace(facts[replaced], superseded_by=reference)
        if projected.move.opens_span:
            spans[reference] = record.occurred_at
    return count
