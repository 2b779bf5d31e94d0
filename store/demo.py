"""A training database with one realistic proposal walked from draft to an active relationship
and its first activity with the partner.

The walk is data, ``states/procedures/provincial/training.toml`` (Chiang Mai and Guangzhou's letter
of intent): its officers, case and steps are read from there, made with a simulated clock so the
dates read true, and its documents recorded by hash.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from states.i18n import N_
from states.training import load_training_walk
from store.database import make_engine
from store.schema import init_database
from store.unit_of_work import SqlAlchemyUnitOfWork
from workflow import services
from workflow.errors import InvalidInput
from workflow.model import Actor, AuditRecord, Case, NewCase
from workflow.thaidate import BANGKOK

_WALK = load_training_walk()

#: The officers the demo registers (ids, names, roles and provinces from the training walk).
OFFICERS: tuple[Actor, ...] = tuple(
    Actor(o.id, o.name, frozenset(o.roles), o.province) for o in _WALK.officers
)
#: (day, officer, trigger, fields, note) of each step from the first to the relationship in force.
STEPS: tuple[tuple[str, str, str, dict[str, Any], str], ...] = tuple(
    step.as_tuple() for step in _WALK.steps
)
#: The procedure and version the walk's steps are written for: a case opened on another day may
#: fall under a later version, whose steps differ, so whoever replays ``STEPS`` opens under these.
PROCEDURE: str = _WALK.procedure
VERSION: int = _WALK.version
#: After the relationship is active: its first activity with the partner.
FOLLOW_UP: tuple[tuple[str, str, str, dict[str, Any], str], ...] = tuple(
    step.as_tuple() for step in _WALK.follow_up
)


def _at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), BANGKOK).astimezone(
        dt.UTC
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
        opened = _WALK.case
        start = _at(opened.day.isoformat())
        for actor in OFFICERS:
            services.add_officer(uow, actor, None, start)
        actors = {o.id: o for o in OFFICERS}
        case = services.open_case(
            uow,
            actors[opened.officer],
            NewCase(
                opened.province,
                opened.partner,
                opened.country,
                opened.partner_level,
                opened.instrument,
                opened.relationship,
            ),
            start,
            note=opened.note,
            procedure=PROCEDURE,
            version=VERSION,
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
        raise InvalidInput(
            N_("{path} exists and is not a training database; choose another --db"),
            path=str(target),
        )
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
