"""The store on both backends: transactions, the gapless audit log, init and officer rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import OFFICERS, STEPS, build_demo
from workflow import services
from workflow.errors import (
    InvalidInput,
    MissingFields,
    PermissionDenied,
    TransitionNotAllowed,
    UnknownTrigger,
    WorkflowError,
)
from workflow.integrity import GENESIS_HASH
from workflow.model import Actor, AuditDraft, AuditRecord, Case, NewCase

Clock = Callable[[], dt.datetime]
FIELDS: dict[str, dict[str, Any]] = {trigger: fields for _d, _o, trigger, fields, _n in STEPS}


def new_case(partner: str = "Guangzhou") -> NewCase:
    return NewCase("TH-50", partner, "CN", "city", "LOI", "friendship")


def all_records(uow: SqlAlchemyUnitOfWork) -> list[AuditRecord]:
    with uow:
        return list(uow.audit.iter_all())


def stored(uow: SqlAlchemyUnitOfWork, reference: str) -> Case:
    return services.get_case(uow, reference)


def test_uow_rolls_back_uncommitted_work(
    uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], clock: Clock
) -> None:
    before = all_records(uow)
    opened = services.open_case(uow, officers["somchai"], new_case(), clock())
    with uow:
        uow.lock()
        case = uow.cases.get(opened.reference)
        assert case is not None
        uow.cases.update(replace(case, state="suitability_study"))
        uow.officers.add(Actor("ghost", "Ghost", frozenset({"auditor"})), 1)
        uow.audit.append(
            AuditDraft("transition", case.reference, "begin_study", case.state,
                       "suitability_study", "somchai", "province_officer", None, clock())
        )  # fmt: skip
        # inside the transaction the work is visible ...
        assert uow.officers.get("ghost") is not None
        # ... and leaving without commit discards it
    assert stored(uow, opened.reference).state == "proposal_draft"
    with uow:
        assert uow.officers.get("ghost") is None
    assert len(all_records(uow)) == len(before) + 1  # only the open event

    class Boom(Exception):
        pass

    with pytest.raises(Boom), uow:
        uow.lock()
        uow.officers.add(Actor("ghost2", "Ghost", frozenset({"auditor"})), 1)
        raise Boom
    with uow:
        assert uow.officers.get("ghost2") is None


def test_refused_advance_writes_nothing(
    uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], clock: Clock
) -> None:
    opened = services.open_case(uow, officers["somchai"], new_case(), clock())
    services.advance_case(
        uow, officers["somchai"], opened.reference, "begin_study", {}, "", clock()
    )
    case_before = stored(uow, opened.reference)
    records_before = all_records(uow)
    refusals: list[tuple[str, dict[str, Any], str]] = [
        ("submit_to_committee", {}, ""),  # fields missing
        ("committee_approve", FIELDS["committee_approve"], ""),  # not from here
        ("no_such_step", {}, ""),  # unknown
    ]
    for trigger, fields, note in refusals:
        with pytest.raises((MissingFields, TransitionNotAllowed, UnknownTrigger)):
            services.advance_case(
                uow, officers["somchai"], opened.reference, trigger, fields, note, clock()
            )
    assert stored(uow, opened.reference) == case_before
    assert all_records(uow) == records_before
    # Permission refusals are the documented exception: one ``denied`` event, no case change.
    with pytest.raises(PermissionDenied):
        services.advance_case(
            uow, officers["anong"], opened.reference, "submit_to_committee", {}, "", clock()
        )
    after = all_records(uow)
    assert after[:-1] == records_before
    assert (after[-1].kind, after[-1].actor_id, after[-1].dest) == ("denied", "anong", None)
    assert stored(uow, opened.reference) == case_before


def test_sequences_are_gapless_and_chained(
    uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], clock: Clock
) -> None:
    first = services.open_case(uow, officers["somchai"], new_case("Guangzhou"), clock())
    second = services.open_case(uow, officers["somchai"], new_case("Kunming"), clock())
    assert second.reference != first.reference
    # interleave the two cases, with refusals in between
    for _day, officer, trigger, fields, note in STEPS[:6]:
        for ref in (first.reference, second.reference):
            with pytest.raises(PermissionDenied):  # recorded as ``denied``
                services.advance_case(uow, officers["auditor"], ref, trigger, {}, "", clock())
            services.advance_case(uow, officers[officer], ref, trigger, fields, note, clock())
            with pytest.raises(WorkflowError):  # not recorded
                services.advance_case(uow, officers[officer], ref, trigger, fields, "", clock())
    records = all_records(uow)
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    prev = GENESIS_HASH
    for r in records:
        assert r.prev_hash == prev
        prev = r.hash
    assert len({r.log_id for r in records}) == 1
    for ref in (first.reference, second.reference):
        mine = [r for r in records if r.case_reference == ref]
        assert [r.case_seq for r in mine] == list(range(1, len(mine) + 1))
        assert [r.kind for r in mine].count("transition") == 6
        assert [r.kind for r in mine].count("denied") == 6
        history = services.case_history(uow, ref)[1]
        assert history == mine


def test_case_references_count_per_buddhist_year(
    uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    bangkok_new_year = dt.datetime(2024, 12, 31, 17, 30, tzinfo=dt.UTC)  # 1 Jan 2025 00:30 ICT
    a = services.open_case(uow, officers["somchai"], new_case(), bangkok_new_year)
    b = services.open_case(uow, officers["somchai"], new_case(), bangkok_new_year)
    c = services.open_case(
        uow, officers["somchai"], new_case(), bangkok_new_year - dt.timedelta(hours=1)
    )
    assert (a.reference, b.reference, c.reference) == (
        "SC-2568-0001",
        "SC-2568-0002",
        "SC-2567-0001",
    )


def test_init_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        first = init_database(engine)
        again = init_database(engine)
        assert first.created and not again.created
        assert again.upgraded_from is None
        assert again.log_id == first.log_id
        assert again.revision == first.revision
        assert not again.training
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_head")).scalar_one() == 1
            assert conn.execute(text("SELECT count(*) FROM settings")).scalar_one() == 2
        with pytest.raises(InvalidInput, match="created for real work"):
            init_database(engine, training=True)
        assert not init_database(engine).training
    finally:
        engine.dispose()


def test_training_init_is_idempotent(engine: Engine) -> None:
    again = init_database(engine, training=True)
    assert again.training and not again.created


def test_officer_registration_rules(uow: SqlAlchemyUnitOfWork, clock: Clock) -> None:
    clerk = Actor("clerk", "Clerk", frozenset({"auditor"}))
    admin = Actor("admin", "Admin", frozenset({"admin"}))
    # Before any admin exists, registration bootstraps without an acting officer.
    services.add_officer(uow, clerk, None, clock())
    services.add_officer(uow, admin, None, clock())
    # From then on only an admin may add officers.
    late = Actor("late", "Late", frozenset({"auditor"}))
    with pytest.raises(PermissionDenied, match="register officers"):
        services.add_officer(uow, late, None, clock())
    with pytest.raises(PermissionDenied, match="register officers"):
        services.add_officer(uow, late, clerk, clock())
    services.add_officer(uow, late, admin, clock())
    with uow:
        assert {o.id for o in uow.officers.list()} == {"clerk", "admin", "late"}
    bad = [
        (Actor("late", "Again", frozenset({"auditor"})), "already exists"),
        (Actor("Bad Id", "X", frozenset({"auditor"})), "officer id"),
        (Actor("nobody", "X", frozenset({"wizard"})), "unknown role wizard"),
        (Actor("nobody", "X", frozenset()), "unknown role"),
        (Actor("po", "X", frozenset({"province_officer"})), "needs --province"),
        (Actor("po", "X", frozenset({"province_officer"}), "TH-99"), "unknown province"),
        (Actor("po", "X", frozenset({"auditor"}), None, "root2"), None),
        (Actor("po2", "X", frozenset({"auditor"}), None, "root2"), "already registered"),
    ]
    for officer, problem in bad:
        if problem is None:
            services.add_officer(uow, officer, admin, clock())
            continue
        with pytest.raises(InvalidInput, match=problem):
            services.add_officer(uow, officer, admin, clock())
    records = [r for r in all_records(uow) if r.kind == "officer"]
    assert [r.fields["officer"] for r in records] == ["clerk", "admin", "late", "po"]
    assert [r.actor_id for r in records] == ["bootstrap", "bootstrap", "admin", "admin"]


def test_audit_rows_cannot_be_changed(
    engine: Engine, uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], clock: Clock
) -> None:
    services.open_case(uow, officers["somchai"], new_case(), clock())
    for statement in ("UPDATE audit_records SET note = 'x'", "DELETE FROM audit_records"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert len(all_records(uow)) == 1 + len(officers) + 1  # settings, officers, the opening


def test_every_step_bumps_the_version_even_a_repeated_self_loop(tmp_path: Path) -> None:
    """A self-loop by the same officer changes no column value, yet must move the counter on."""
    found, _ = build_demo(str(tmp_path / "demo.db"))
    engine = make_engine(str(tmp_path / "demo.db"))
    uow = SqlAlchemyUnitOfWork(engine)
    somchai = next(o for o in OFFICERS if o.id == "somchai")
    fields = {
        "activity_date": "2024-05-01",
        "activity_kind": "meeting",
        "activity_title": "Joint working group",
        "partner_participated": "yes",
    }
    versions = []
    for day in (2, 3):
        moment = dt.datetime(2024, 5, day, 3, tzinfo=dt.UTC)
        services.advance_case(uow, somchai, found.reference, "record_activity", fields, "", moment)
        versions.append(services.get_case(uow, found.reference).row_version)
    engine.dispose()
    assert versions[1] == versions[0] + 1 > found.row_version + 1
