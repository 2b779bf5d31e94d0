"""The ministry's own mechanism: the plan's third issue asks for one at the ministry, "with the
related agencies", to drive, supervise, monitor and evaluate sister-city relations.

Recording it is an action that is not a step of any case; the procedures declare who may take it
(``ministry_mechanism`` in ``[actions]``, the yearly monitoring procedure). Like a province's
mechanism it is one audited ``mechanism`` event (``level = "ministry"``, no province) and the
latest order is kept as a read model; a new order replaces the old one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from states import nfc
from states.i18n import N_, Message
from workflow.authorization import authorize, national_access, recorded_refusals
from workflow.followup import check_order, read_document, record_order
from workflow.model import Actor
from workflow.ports import UnitOfWork

LEVEL = "ministry"


@dataclass(frozen=True)
class MinistryMechanism:
    """The ministry's committee or working group, by its order, with the agencies in it."""

    order_no: str
    order_date: dt.date
    chair: str
    agencies: tuple[str, ...]
    document: Mapping[str, Any] | None
    set_at: dt.datetime
    set_by: str
    audit_seq: int


def set_ministry_mechanism(
    uow: UnitOfWork,
    actor: Actor,
    order_no: str,
    order_date: dt.date,
    chair: str,
    agencies: Sequence[str],
    order_file: str | Path | None,
    now: dt.datetime,
) -> MinistryMechanism:
    """Record the ministry's mechanism order (it replaces the one recorded before)."""
    order_no, chair = check_order(order_no, order_date, chair, now)
    names = tuple(dict.fromkeys(n for a in agencies if (n := " ".join(nfc(a).split()))))
    document = read_document(order_file) if order_file else None
    access = national_access(
        "ministry_mechanism", verb=Message(N_("record the ministry's mechanism"))
    )
    with recorded_refusals(uow, actor, "ministry_mechanism", None, now), uow:
        role = authorize(actor, access)
        uow.lock()
        fields: dict[str, Any] = {
            "level": LEVEL,
            "order_no": order_no,
            "order_date": order_date.isoformat(),
            "chair": chair,
            "agencies": list(names),
        }
        audit = record_order(uow, actor, role, "set_ministry_mechanism", fields, document, now)
        mechanism = MinistryMechanism(
            order_no,
            order_date,
            chair,
            names,
            document[0] if document else None,
            now,
            actor.id,
            audit.seq,
        )
        uow.followup.save_ministry_mechanism(mechanism)
        uow.commit()
    return mechanism


def ministry_mechanism(uow: UnitOfWork) -> MinistryMechanism | None:
    """The ministry's mechanism in force, or ``None`` when none is recorded."""
    with uow:
        return uow.followup.ministry_mechanism()
