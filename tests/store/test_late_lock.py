"""PostgreSQL: a step takes the head lock with its case update, reading its case's last
``case_seq`` as the statement began. A record of the case appended while the step waited for the
lock (a denial, which moves no case) makes that read one short: the step's record then collides
on ``(case_reference, case_seq)``, nothing is written, and the step runs again."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import Engine, event

from store import SqlAlchemyUnitOfWork, make_engine
from store.verify import verify_database
from workflow import services
from workflow.model import Actor, NewCase

AT = dt.datetime(2024, 1, 5, 3, 0, tzinfo=dt.UTC)


def test_a_denial_appended_while_a_step_waits_for_the_lock_makes_it_run_again(
    engine: Engine, uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises a whole step: nothing is appended while it waits")
    case = services.open_case(
        uow, officers["somchai"], NewCase("TH-50", "Kunming", "CN", "city", "MOU", "sister"), AT
    )
    denial_holds, step_waits = threading.Event(), threading.Event()
    locking: list[str] = []

    def step_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("UPDATE cases") and "FOR UPDATE" in statement:
            locking.append(statement)
            step_waits.set()

    def hold_the_head(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # The denial's record is sent, the head lock held: let the step begin and wait for it.
        if statement.startswith("UPDATE audit_head"):
            denial_holds.set()
            assert step_waits.wait(30)
            threading.Event().wait(0.5)

    other = make_engine(engine.url.render_as_string(hide_password=False))
    event.listen(other, "before_cursor_execute", hold_the_head)
    denial = threading.Thread(
        target=services.record_denial,
        args=(SqlAlchemyUnitOfWork(other), officers["auditor"], case.reference, "begin_study",
              "no", AT + dt.timedelta(hours=1)),
    )  # fmt: skip
    event.listen(engine, "before_cursor_execute", step_statement)
    try:
        denial.start()
        assert denial_holds.wait(30)
        record = services.advance_case(
            uow, officers["somchai"], case.reference, "begin_study", {}, "", AT + dt.timedelta(2)
        )
        denial.join(30)
    finally:
        event.remove(engine, "before_cursor_execute", step_statement)
        other.dispose()
    assert len(locking) == 2  # the first attempt collided and wrote nothing; the second held
    with uow:
        records = uow.audit.for_case(case.reference)
    assert [(r.kind, r.case_seq) for r in records] == [
        ("open", 1), ("denied", 2), ("transition", 3),
    ]  # fmt: skip
    assert record.case_seq == 3
    assert verify_database(engine).exit_code == 0
