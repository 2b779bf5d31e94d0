"""Trust that cannot be broken silently: the rows around the chain, and records that chain well
but that the product could never have written.

Each scenario is one an attacker with ordinary access could try (an officer can write the SQLite
file; on PostgreSQL the application's role could write ``officers``): it is refused at once, or
named by ``audit verify``, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import JSON, Engine, bindparam, text

from store import SqlAlchemyUnitOfWork, init_database, make_engine
from tests.audit.audit_support import Populated, attacker_engine, run_cli, verify_cli
from workflow import services
from workflow.model import Actor, AuditDraft

Clock = Callable[[], dt.datetime]


def _authority(report: dict[str, Any]) -> list[str]:
    return [f"#{p['seq']} {p['detail']}" for p in report["problems"] if p["field"] == "authority"]


# ---------------------------------------------------------------------- rows around the chain
def test_a_training_flag_flipped_in_the_file_does_not_let_as_through(db_url: str) -> None:
    engine = make_engine(db_url)
    init_database(engine)  # a database for real work
    admin = Actor("admin1", "ผู้ดูแลระบบ", frozenset({"admin"}))
    services.add_officer(SqlAlchemyUnitOfWork(engine), admin, None, dt.datetime.now(dt.UTC))
    engine.dispose()
    assert "not initialised with" in run_cli(db_url, "whoami", as_="admin1").output
    flip = attacker_engine(db_url)
    with flip.begin() as conn:
        conn.execute(text("UPDATE settings SET value = '1' WHERE key = 'training'"))
    flip.dispose()
    refused = run_cli(db_url, "whoami", as_="admin1")
    assert refused.exit_code == 1
    assert "the settings row says training but its audit record #1 does not" in refused.output
    code, report = verify_cli(db_url)
    assert code == 1
    assert any(p["field"] == "settings" for p in report["problems"]), report["problems"]


def test_an_officer_row_raised_to_admin_is_refused_and_named(populated: Populated) -> None:
    escalate = attacker_engine(populated.db)
    with escalate.begin() as conn:
        conn.execute(
            text("UPDATE officers SET roles = :r WHERE id = 'somchai'").bindparams(
                bindparam("r", type_=JSON)
            ),
            {"r": ["admin", "province_officer"]},
        )
    escalate.dispose()
    refused = run_cli(
        populated.db, "officer", "add", "mole", "--name", "X", "--role", "admin", as_="somchai"
    )
    assert refused.exit_code == 1
    assert "registration differs from its audit record" in refused.output
    assert "mole" not in run_cli(populated.db, "officer", "list").output
    code, report = verify_cli(populated.db)
    assert code == 1
    named = [p["detail"] for p in report["problems"] if p["field"] == "officers"]
    assert len(named) == 1 and named[0].startswith("officer 'somchai': roles differ from event #")


def test_a_login_linked_outside_the_product_is_refused_and_named(populated: Populated) -> None:
    """On PostgreSQL the login is who the officer is: linking one by hand is like raising roles."""
    link = attacker_engine(populated.db)
    with link.begin() as conn:
        conn.execute(text("UPDATE officers SET pg_login = 'mallory' WHERE id = 'admin'"))
    link.dispose()
    refused = run_cli(populated.db, "whoami", as_="admin")
    assert refused.exit_code == 1
    assert "registration differs from its audit record" in refused.output
    code, report = verify_cli(populated.db)
    assert code == 1
    named = [p["detail"] for p in report["problems"] if p["field"] == "officers"]
    assert len(named) == 1 and named[0].startswith("officer 'admin': pg_login differ from event #")


def test_a_case_row_changed_without_a_record_is_named(populated: Populated) -> None:
    change = attacker_engine(populated.db)
    with change.begin() as conn:
        conn.execute(
            text("UPDATE cases SET partner_name = 'Elsewhere' WHERE reference = :r"),
            {"r": populated.case1},
        )
    change.dispose()
    code, report = verify_cli(populated.db)
    assert code == 1
    assert any(
        p["field"] == "case" and "partner_name" in p["detail"] for p in report["problems"]
    ), report["problems"]


# ---------------------------------------------------------------------- forged records
def _forge(engine: Engine, draft: AuditDraft) -> int:
    """Append a record through the store's own writer, bypassing every use case: its hash, link
    and sequence number are right."""
    uow = SqlAlchemyUnitOfWork(engine)
    with uow:
        uow.lock()
        record = uow.audit.append(draft)
        uow.commit()
    return record.seq


def _state(engine: Engine, reference: str) -> str:
    with SqlAlchemyUnitOfWork(engine) as uow:
        case = uow.cases.get(reference)
        assert case is not None
        return case.state


FORGERIES: dict[str, tuple[dict[str, Any], str]] = {
    # name: (the record's actor, role, trigger and fields; what verify says)
    "an actor who is no officer": (
        {"actor_id": "mallory", "actor_role": "province_officer"},
        "'mallory' was not a registered officer",
    ),
    "a role the step does not allow": (
        {"actor_id": "anong", "actor_role": "moi_officer"},
        "role 'moi_officer' may not 'plan'",
    ),
    "a role the officer does not hold": (
        {"actor_id": "somchai", "actor_role": "moi_director"},
        "'somchai' did not hold the role 'moi_director'",
    ),
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_forged_records_are_named(populated: Populated, engine: Engine, name: str) -> None:
    who, named = FORGERIES[name]
    seq = _forge(
        engine,
        AuditDraft(
            kind="plan",
            case_reference=populated.case2,
            trigger="set_plan",
            source=_state(engine, populated.case2),
            dest=None,
            os_user=None,
            occurred_at=dt.datetime.now(dt.UTC),
            fields={"fiscal_year": 2568, "budget_thb": "1.00"},
            **who,
        ),
    )
    code, report = verify_cli(populated.db)
    assert code == 1
    assert _authority(report) == [f"#{seq} {named}"]


def test_a_forged_step_without_its_required_fields_is_named(
    populated: Populated, engine: Engine
) -> None:
    source = _state(engine, populated.case2)
    assert source == "provincial_committee_review"
    seq = _forge(
        engine,
        AuditDraft(
            kind="transition",
            case_reference=populated.case2,
            trigger="committee_approve",
            source=source,
            dest="provincial_endorsed",
            actor_id="malee",
            actor_role="province_head",
            os_user=None,
            occurred_at=dt.datetime.now(dt.UTC),
        ),
    )
    code, report = verify_cli(populated.db)
    assert code == 1
    assert (
        f"#{seq} 'committee_approve' lacks required field(s) committee_resolution_no, "
        "committee_resolution_date" in _authority(report)
    )


def test_a_forged_step_by_an_officer_outside_the_province_is_named(
    populated: Populated, engine: Engine, clock: Clock
) -> None:
    phuket = Actor("phuket-officer", "P", frozenset({"province_officer"}), "TH-83")
    services.add_officer(SqlAlchemyUnitOfWork(engine), phuket, Actor(
        "admin", "ผู้ดูแลระบบ", frozenset({"admin"})), clock())  # fmt: skip
    seq = _forge(
        engine,
        AuditDraft(
            kind="plan",
            case_reference=populated.case1,
            trigger="set_plan",
            source=_state(engine, populated.case1),
            dest=None,
            actor_id="phuket-officer",
            actor_role="province_officer",
            os_user=None,
            occurred_at=dt.datetime.now(dt.UTC),
            fields={"fiscal_year": 2568},
        ),
    )
    code, report = verify_cli(populated.db)
    assert code == 1
    assert _authority(report) == [
        f"#{seq} 'phuket-officer' (TH-83) acted outside their province (TH-50)"
    ]


# ---------------------------------------------------------------------- every run is somebody's
def test_the_sweep_runs_only_as_a_registered_operator(populated: Populated) -> None:
    nobody = run_cli(populated.db, "sweep")
    assert nobody.exit_code == 1 and "no officer is registered for OS login" in nobody.output
    officer = run_cli(populated.db, "sweep", as_="somchai")
    assert officer.exit_code == 1 and "may not run the sweep" in officer.output
    events = run_cli(populated.db, "audit", "log", "--officer", "somchai", "--json")
    assert '"denied"' in events.output and '"sweep"' in events.output
    assert run_cli(populated.db, "sweep", as_="sweeper").exit_code == 0
    assert verify_cli(populated.db)[0] == 0


# ---------------------------------------------------------------------- the officers' lifecycle
def test_officers_are_updated_and_retired_by_audited_events(populated: Populated) -> None:
    db = populated.db
    updated = run_cli(
        db, "officer", "update", "somchai", "--role", "province_officer", "--role",
        "province_head", as_="admin",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.output
    assert run_cli(db, "officer", "retire", "malee", as_="admin").exit_code == 0
    refused = run_cli(db, "case", "advance", populated.case2, "committee_return", as_="malee")
    assert refused.exit_code == 1 and "malee' is retired" in refused.output
    listing = run_cli(db, "officer", "list").output
    assert "(retired)" in listing and "province_head" in listing
    history = run_cli(db, "case", "history", populated.case1).output
    assert "by malee" in history  # history keeps the name
    log = run_cli(db, "audit", "log", "--officer", "admin", "--json").output
    assert '"update_officer"' in log and '"retire_officer"' in log
    assert run_cli(db, "officer", "retire", "malee", as_="somchai").exit_code == 1
    assert verify_cli(db)[0] == 0


# ---------------------------------------------------------------------- limits
def test_notes_and_names_have_limits(populated: Populated) -> None:
    db = populated.db
    long_note = run_cli(
        db, "case", "advance", populated.case2, "committee_return", "--note", "ก" * 4001,
        "-f", "committee_resolution_no=1/2567", "-f", "committee_resolution_date=2024-01-05",
        as_="malee",
    )  # fmt: skip
    assert long_note.exit_code == 1 and "at most 4000" in long_note.output
    long_name = run_cli(
        db, "officer", "add", "verbose", "--name", "ช" * 201, "--role", "auditor", as_="admin"
    )
    assert long_name.exit_code == 1 and "at most 200" in long_name.output
    long_partner = run_cli(
        db, "case", "open", "--province", "TH-50", "--partner", "x" * 201, "--country", "CN",
        "--level", "city", as_="somchai",
    )  # fmt: skip
    assert long_partner.exit_code == 1 and "at most 200" in long_partner.output
    assert verify_cli(db)[0] == 0
