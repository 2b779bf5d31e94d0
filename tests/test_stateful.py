"""A random officer population fires random steps at a real SQLite file; the rules always hold.

After every step: each case is in a state of its definition; replaying the case's audit events
from its opening gives its current state; case and global sequence numbers have no gaps; a final
state is never left; and a refused command changed nothing (a permission refusal adds exactly its
one ``denied`` event).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import create_engine, make_url, text

from states import RETURN, TransitionSpec, load_procedure
from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import OFFICERS
from workflow import services
from workflow.catalog import engine_for
from workflow.errors import PermissionDenied, WorkflowError
from workflow.model import Actor, AuditRecord, Case, NewCase

PG_ENV = "SISTERCITY_TEST_PG_URL"
DEFINITION = load_procedure("provincial", 1).definition
STATES = {s.id for s in DEFINITION.states}
FINALS = {s.id for s in DEFINITION.states if s.final}
TRIGGERS = sorted({t.trigger for t in DEFINITION.active_transitions})
T0 = dt.datetime(2025, 1, 1, 3, 0, tzinfo=dt.UTC)
REGISTERED = (  # the admin comes last: until one exists, anyone may register officers
    Actor("phuket-officer", "Phuket", frozenset({"province_officer"}), "TH-83"),
    Actor("dual", "Dual", frozenset({"province_officer", "province_head"}), "TH-50"),
    Actor("deputy-cm", "Deputy governor", frozenset({"governor"}), "TH-50", None, True),
    *OFFICERS,
)
ACTORS = (*REGISTERED, services.system_actor())
FORWARD = {
    (source, t.trigger): t.kind in ("step", "follow_up")
    for t in DEFINITION.active_transitions
    for source in t.source
}


def plausible(field: str, valid: bool, draw: Callable[..., Any]) -> Any:
    spec = DEFINITION.field(field)
    if spec.type == "file":
        digest = hashlib.sha256(field.encode()).hexdigest()
        return {"name": f"{field}.pdf", "sha256": digest, "bytes": 1024}
    good = {
        "date": "2024-06-01",
        "reference": "ที่ มท 0204.3/12",
        "text": "ข้อความ",
        "integer": "5",
        "amount": "1500.50",
        "choice": spec.choices[0] if spec.choices else "",
    }[spec.type]
    if valid:
        return good
    bad = {
        "date": ["2099-01-01", "31/12/2024", "2024-02-30"],
        "reference": ["ไม่มีเลข"],
        "text": ["   "],
        "integer": ["five"],
        "amount": ["-1", "1.234"],
        "choice": ["sometimes"],
    }[spec.type]
    return draw(st.sampled_from([good, *bad]))


class CasesOnSqlite(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = make_engine(self.new_database())
        init_database(self.engine, training=True)
        self.uow = SqlAlchemyUnitOfWork(self.engine)
        for officer in REGISTERED:
            services.add_officer(self.uow, officer, None, T0)
        self.references: list[str] = []
        self.ticks = 0
        self.moves = 0

    def new_database(self) -> str:
        self.folder = Path(tempfile.mkdtemp(prefix="sistercity-stateful-"))
        return str(self.folder / "stateful.db")

    def drop_database(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def now(self) -> dt.datetime:
        self.ticks += 1
        return T0 + dt.timedelta(hours=self.ticks)

    def records(self) -> list[AuditRecord]:
        with self.uow:
            return list(self.uow.audit.iter_all())

    def case(self, reference: str) -> Case:
        return services.get_case(self.uow, reference)

    @initialize()
    def first_case(self) -> None:
        self.open_case()

    @precondition(lambda self: len(self.references) < 2)
    @rule()
    def open_case(self) -> None:
        opened = services.open_case(
            self.uow,
            next(o for o in OFFICERS if o.id == "somchai"),
            NewCase("TH-50", f"เมืองคู่ {len(self.references)}", "JP", "city", "MOU", "sister"),
            self.now(),
        )
        self.references.append(opened.reference)

    @rule(data=st.data())
    def fire(self, data: st.DataObject) -> None:
        reference = data.draw(st.sampled_from(self.references), label="case")
        before_case = self.case(reference)
        before = self.records()
        engine = engine_for(before_case.procedure, before_case.version)
        allowed = engine.allowed_triggers(before_case.state)
        sensible = bool(allowed) and data.draw(st.integers(0, 9), label="sensible") < 8
        if sensible:
            # mostly forward, so cases get deep into the procedure; sometimes any allowed step
            forward = [t for t in allowed if FORWARD.get((before_case.state, t))]
            if forward and data.draw(st.integers(0, 4), label="forward") > 0:
                allowed = forward
            trigger = data.draw(st.sampled_from(allowed), label="trigger")
        else:
            trigger = data.draw(st.sampled_from([*TRIGGERS, "no_such_step"]), label="trigger")
        specs = [t for t in DEFINITION.active_transitions if t.trigger == trigger]
        here = [t for t in specs if before_case.state in t.source]
        spec: TransitionSpec | None = (here or specs)[0] if (here or specs) else None
        if sensible and spec is not None:
            fitting = [
                a
                for a in ACTORS
                if a.roles & set(spec.roles) and a.province in (None, before_case.province)
            ] or list(ACTORS)
            actor = data.draw(st.sampled_from(fitting), label="actor")
        else:
            actor = data.draw(st.sampled_from(ACTORS), label="actor")
        fields: dict[str, Any] = {}
        if spec is not None:
            for name in spec.requires:
                if not sensible and data.draw(st.booleans(), label=f"omit {name}"):
                    continue
                fields[name] = plausible(name, sensible, data.draw)
            for name in spec.optional:
                if data.draw(st.booleans(), label=f"give {name}"):
                    fields[name] = plausible(name, True, data.draw)
        note = "เหตุผลประกอบ"
        if not sensible:
            if data.draw(st.booleans(), label="stray field"):
                fields["stray"] = "x"
            note = data.draw(st.sampled_from(["", "   ", note]), label="note")

        try:
            record = services.advance_case(
                self.uow, actor, reference, trigger, fields, note, self.now()
            )
        except PermissionDenied:
            after = self.records()
            assert after[:-1] == before
            denied = after[-1]
            assert (denied.kind, denied.case_reference, denied.trigger) == (
                "denied",
                reference,
                trigger,
            )
            assert denied.source == before_case.state and denied.dest is None
            assert self.case(reference) == before_case
        except WorkflowError:
            assert self.records() == before
            assert self.case(reference) == before_case
        else:
            self.moves += 1
            assert before_case.state not in FINALS
            assert record.source == before_case.state
            assert self.records() == [*before, record]
            moved = self.case(reference)
            assert moved.state == record.dest
            assert moved.row_version == before_case.row_version + 1
            if spec is not None and spec.dest == RETURN:
                assert record.dest == before_case.previous_state

    @invariant()
    def log_is_gapless_and_chained(self) -> None:
        records = self.records()
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
        for earlier, later in itertools.pairwise(records):
            assert later.prev_hash == earlier.hash

    @invariant()
    def cases_replay_to_their_state(self) -> None:
        for reference in self.references:
            case = self.case(reference)
            assert case.state in STATES
            history = services.case_history(self.uow, reference)[1]
            assert [r.case_seq for r in history] == list(range(1, len(history) + 1))
            opening, *rest = history
            assert (opening.kind, opening.dest) == ("open", DEFINITION.initial)
            current, previous = opening.dest, None
            for r in rest:
                assert r.kind in ("transition", "denied")
                assert r.source == current
                if r.kind == "transition":
                    assert current not in FINALS, f"{reference} left final state {current}"
                    assert r.dest in STATES
                    if r.dest != current:
                        previous, current = current, r.dest
            assert current == case.state
            assert case.previous_state == previous
            if case.state in FINALS:
                assert engine_for("provincial", 1).allowed_triggers(case.state) == []

    def teardown(self) -> None:
        self.engine.dispose()
        self.drop_database()


CasesOnSqlite.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCasesOnSqlite = CasesOnSqlite.TestCase


class CasesOnPostgres(CasesOnSqlite):
    """The same rules on PostgreSQL, each example in a database of its own."""

    def new_database(self) -> str:
        base = os.environ[PG_ENV]
        self.pg_name = f"sc_stateful_{uuid.uuid4().hex[:12]}"
        self.admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.pg_name}"'))
        return make_url(base).set(database=self.pg_name).render_as_string(hide_password=False)

    def drop_database(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
        self.admin.dispose()


CasesOnPostgres.TestCase.settings = settings(
    max_examples=6,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCasesOnPostgres = pytest.mark.postgres(
    pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set")(
        CasesOnPostgres.TestCase
    )
)
