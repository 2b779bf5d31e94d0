"""A step at the cost of its SQL: the library against hand-written Core transactions.

The product is the use case an officer's command calls (``services.advance_case``,
``followup.record_activity``, ``services.open_case``) on a warm engine, each call its own
transaction. Its floor, below, is a hand-written SQLAlchemy Core transaction doing the same
durable work with the least SQL that gives the same rows: lock (SQLite ``BEGIN IMMEDIATE``,
PostgreSQL ``SELECT … FOR UPDATE`` of the head), read the case with its last ``case_seq``,
version-checked update, SHA-256 over the canonical record with the previous hash, insert the
record, the read-model writes the step implies (close the span, insert the move, the activity
and the facts it changes), update the head, commit. Floor and product append to the same chain,
and the database is verified at the end, so the floor cannot cheat.

The reader figures are the evidence for SQLite's sync mode: how long a read takes while another
process commits steps, against the same read on an idle database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, make_url, text

from benchmarks.harness import Figure, interleave, timed

LOOP = ("suspend", "resume")
START = dt.datetime(2024, 6, 1, 3, 0, tzinfo=dt.UTC)


class Clock:
    """One microsecond later at every call, from 1 June 2024 (provincial v1 in force)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(microseconds=1)
        return self.now


# ---------------------------------------------------------------------- databases
@dataclass
class Bench:
    """A database with the demo's officers, for one backend and sync mode."""

    engine: Engine
    label: str
    clock: Clock
    drop: Callable[[], None]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def pg_reachable(url: str) -> bool:
    try:
        probe = create_engine(url)
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
        return True
    except Exception:
        return False


@contextmanager
def pg_database(base: str) -> Iterator[str]:
    """A fresh PostgreSQL database on the server of *base*, dropped afterwards."""
    name = f"sc_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepared(url: str, synchronous: str | None = None) -> Engine:
    """An initialised training database at *url* with the demo's officers registered."""
    from store import SqlAlchemyUnitOfWork, init_database, make_engine
    from store.demo import OFFICERS
    from workflow import services

    engine = make_engine(url, synchronous=synchronous)
    init_database(engine, training=True)
    uow = SqlAlchemyUnitOfWork(engine)
    for officer in OFFICERS:
        services.add_officer(uow, officer, None, START - dt.timedelta(days=400))
    return engine


def actors() -> dict[str, Any]:
    from store.demo import OFFICERS

    return {o.id: o for o in OFFICERS}


def open_cases(engine: Engine, count: int, clock: Clock, prefix: str = "Partner") -> list[str]:
    from store import SqlAlchemyUnitOfWork
    from workflow import services
    from workflow.model import NewCase

    uow = SqlAlchemyUnitOfWork(engine)
    somchai = actors()["somchai"]
    return [
        services.open_case(
            uow, somchai, NewCase("TH-50", f"{prefix} {n}", "CN", "city", "MOU", "sister"), clock()
        ).reference
        for n in range(count)
    ]


def walk_to_active(engine: Engine, reference: str, clock: Clock) -> None:
    from store import SqlAlchemyUnitOfWork
    from store.demo import STEPS
    from workflow import services

    uow = SqlAlchemyUnitOfWork(engine)
    people = actors()
    for _day, officer, trigger, fields, note in STEPS:
        services.advance_case(uow, people[officer], reference, trigger, fields, note, clock())


# ---------------------------------------------------------------------- the floors
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_JSON_STRING = json.JSONEncoder(ensure_ascii=False)


def _utc(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _fy(day: dt.date) -> int:
    """Thai fiscal year (B.E.) of a day."""
    return day.year + 544 if day.month >= 10 else day.year + 543


def _bangkok_day(moment: dt.datetime) -> dt.date:
    return (moment + dt.timedelta(hours=7)).date()


class CoreFloor:
    """Hand-written Core transactions doing a step's durable work, nothing more."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        lock = " FOR UPDATE" if engine.dialect.name == "postgresql" else ""
        self.head = text(f"SELECT seq, hash, log_id FROM audit_head WHERE id = 1{lock}")
        self.case = text(
            "SELECT state, previous_state, row_version, trigger_actors, state_since, province, "
            "(SELECT max(case_seq) FROM audit_records a WHERE a.case_reference = c.reference) "
            "FROM cases c WHERE reference = :ref"
        )
        self.update_case = text(
            "UPDATE cases SET state = :state, previous_state = :previous, state_since = :since, "
            "trigger_actors = :actors, row_version = row_version + 1 "
            "WHERE reference = :ref AND row_version = :version"
        )
        self.insert_record = text(
            "INSERT INTO audit_records (seq, log_id, record_version, kind, case_reference, "
            "case_seq, trigger, source, dest, actor_id, actor_role, os_user, occurred_at, "
            "fields, note, payload_sha256, prev_hash, hash) VALUES (:seq, :log, 1, :kind, :ref, "
            ":case_seq, :trigger, :source, :dest, :actor, :role, NULL, :at, :fields, :note, "
            ":payload, :prev, :hash)"
        )
        self.close_span = text(
            "UPDATE moves SET ended_at = :at, ended_fy = :fy, seconds = :seconds "
            "WHERE case_reference = :ref AND opens_span = :yes AND ended_at IS NULL"
        )
        self.insert_move = text(
            "INSERT INTO moves (seq, case_reference, province, kind, trigger, source, dest, "
            "occurred_at, fiscal_year, docs, opens_span) VALUES (:seq, :ref, :province, :kind, "
            ":trigger, :source, :dest, :at, :fy, :docs, :opens)"
        )
        self.update_head = text("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1")
        self.facts_activity = text(
            "UPDATE case_facts SET last_activity_on = :day WHERE case_reference = :ref"
        )
        self.insert_activity = text(
            "INSERT INTO activities (audit_seq, case_reference, province, activity_date, "
            "fiscal_year, kind, title, partner_participated, budget_satang, evidence_count) "
            "VALUES (:seq, :ref, :province, :day, :fy, :kind, :title, :yes, NULL, 0)"
        )
        self.max_reference = text("SELECT max(reference) FROM cases WHERE reference LIKE :p")
        self.insert_case = text(
            "INSERT INTO cases (reference, procedure, version, definition_sha256, state, "
            "previous_state, province, partner_name, partner_country, partner_level, "
            "instrument, label, opened_at, opened_by, state_since, trigger_actors, row_version) "
            "VALUES (:ref, 'provincial', 1, :sha, :state, NULL, :province, :partner, 'CN', "
            "'city', 'MOU', 'sister', :at, :actor, :at, '{}', 1)"
        )
        self.insert_facts = text(
            "INSERT INTO case_facts (case_reference, province) VALUES (:ref, :province)"
        )

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One write transaction: BEGIN IMMEDIATE on SQLite (the engine's begin hook)."""
        from store.database import WRITE_OPTION

        with self.engine.connect() as conn:
            conn = conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    def _append(self, conn: Connection, head: Any, values: dict[str, Any],
                fields: dict[str, Any], note: str) -> tuple[int, str]:  # fmt: skip
        """Insert the record chained to *head*; the new (seq, hash)."""
        fields_text = _CANONICAL.encode(fields)
        body = f'{{"fields":{fields_text},"note":{_JSON_STRING.encode(note)}}}'
        payload = hashlib.sha256(body.encode()).hexdigest()
        seq = head.seq + 1
        header = {
            "v": 1, "log": head.log_id, "seq": seq, "kind": values["kind"],
            "case": values["ref"], "case_seq": values["case_seq"],
            "trigger": values["trigger"], "from": values["source"], "to": values["dest"],
            "actor": values["actor"], "role": values["role"], "os_user": None,
            "at": values["at"], "payload": payload, "prev": head.hash,
        }  # fmt: skip
        digest = hashlib.sha256(b"\x00" + _CANONICAL.encode(header).encode()).hexdigest()
        conn.execute(
            self.insert_record,
            {**values, "seq": seq, "log": head.log_id, "fields": fields_text, "note": note,
             "payload": payload, "prev": head.hash, "hash": digest},
        )  # fmt: skip
        return seq, digest

    def step(self, reference: str, actor: str, role: str, now: dt.datetime) -> None:
        """Suspend or resume *reference*: the floor of ``services.advance_case``."""
        at = _utc(now)
        with self.writing() as conn:
            head = conn.execute(self.head).one()
            state, previous, version, actors_json, since, province, last = conn.execute(
                self.case, {"ref": reference}
            ).one()
            trigger = "resume" if state == "suspended" else "suspend"
            dest = previous if trigger == "resume" else "suspended"
            trigger_actors = (
                json.loads(actors_json) if isinstance(actors_json, str) else dict(actors_json)
            )
            done = trigger_actors.setdefault(trigger, [])
            if actor not in done:
                done.append(actor)
            updated = conn.execute(
                self.update_case,
                {"state": dest, "previous": state, "since": at, "ref": reference,
                 "actors": json.dumps(trigger_actors), "version": version},
            )  # fmt: skip
            assert updated.rowcount == 1
            values = {"kind": "transition", "ref": reference, "case_seq": last + 1,
                      "trigger": trigger, "source": state, "dest": dest, "actor": actor,
                      "role": role, "at": at}  # fmt: skip
            seq, digest = self._append(conn, head, values, {}, "bench")
            day = _bangkok_day(now)
            entered = dt.datetime.fromisoformat(since)
            conn.execute(
                self.close_span,
                {"at": at, "fy": _fy(day), "seconds": int((now - entered).total_seconds()),
                 "ref": reference, "yes": True},
            )  # fmt: skip
            conn.execute(
                self.insert_move,
                {"seq": seq, "ref": reference, "province": province, "kind": "transition",
                 "trigger": trigger, "source": state, "dest": dest, "at": at, "fy": _fy(day),
                 "docs": "complete", "opens": True},
            )  # fmt: skip
            conn.execute(self.update_head, {"seq": seq, "hash": digest})

    def activity(self, reference: str, now: dt.datetime, day: dt.date) -> None:
        """Record an activity on an active case: the floor of ``record_activity``."""
        at = _utc(now)
        with self.writing() as conn:
            head = conn.execute(self.head).one()
            state, _previous, version, actors_json, since, province, last = conn.execute(
                self.case, {"ref": reference}
            ).one()
            trigger_actors = (
                json.loads(actors_json) if isinstance(actors_json, str) else dict(actors_json)
            )
            done = trigger_actors.setdefault("record_activity", [])
            if "somchai" not in done:
                done.append("somchai")
            conn.execute(
                self.update_case,
                {"state": state, "previous": _previous, "since": since, "ref": reference,
                 "actors": json.dumps(trigger_actors), "version": version},
            )  # fmt: skip
            fields = {"activity_date": day.isoformat(), "activity_kind": "culture",
                      "activity_title": "ยี่เป็ง", "partner_participated": "yes"}  # fmt: skip
            values = {"kind": "transition", "ref": reference, "case_seq": last + 1,
                      "trigger": "record_activity", "source": state, "dest": state,
                      "actor": "somchai", "role": "province_officer", "at": at}  # fmt: skip
            seq, digest = self._append(conn, head, values, fields, "")
            conn.execute(self.facts_activity, {"day": day.isoformat(), "ref": reference})
            conn.execute(
                self.insert_move,
                {"seq": seq, "ref": reference, "province": province, "kind": "transition",
                 "trigger": "record_activity", "source": state, "dest": state, "at": at,
                 "fy": _fy(_bangkok_day(now)), "docs": "complete", "opens": False},
            )  # fmt: skip
            conn.execute(
                self.insert_activity,
                {"seq": seq, "ref": reference, "province": province, "day": day.isoformat(),
                 "fy": _fy(day), "kind": "culture", "title": "ยี่เป็ง", "yes": True},
            )  # fmt: skip
            conn.execute(self.update_head, {"seq": seq, "hash": digest})

    def open(self, partner: str, now: dt.datetime, sha: str) -> str:
        """Open a proposal: the floor of ``services.open_case``."""
        at = _utc(now)
        prefix = f"SC-{_bangkok_day(now).year + 543}-"
        with self.writing() as conn:
            head = conn.execute(self.head).one()
            last = conn.execute(self.max_reference, {"p": f"{prefix}%"}).scalar()
            reference = f"{prefix}{(int(last.rsplit('-', 1)[1]) if last else 0) + 1:04d}"
            conn.execute(
                self.insert_case,
                {"ref": reference, "sha": sha, "state": "proposal_draft", "province": "TH-50",
                 "partner": partner, "at": at, "actor": "somchai"},
            )  # fmt: skip
            fields = {"procedure": "provincial", "version": 1, "definition_sha256": sha,
                      "province": "TH-50", "partner_name": partner, "partner_country": "CN",
                      "partner_level": "city", "instrument": "MOU", "label": "sister"}  # fmt: skip
            values = {"kind": "open", "ref": reference, "case_seq": 1, "trigger": "open",
                      "source": None, "dest": "proposal_draft", "actor": "somchai",
                      "role": "province_officer", "at": at}  # fmt: skip
            seq, digest = self._append(conn, head, values, fields, "")
            conn.execute(self.insert_facts, {"ref": reference, "province": "TH-50"})
            conn.execute(
                self.insert_move,
                {"seq": seq, "ref": reference, "province": "TH-50", "kind": "open",
                 "trigger": "open", "source": None, "dest": "proposal_draft", "at": at,
                 "fy": _fy(_bangkok_day(now)), "docs": None, "opens": True},
            )  # fmt: skip
            conn.execute(self.update_head, {"seq": seq, "hash": digest})
        return reference


# ---------------------------------------------------------------------- the figures
def step_figures(bench: Bench, rounds: int, per_round: int) -> list[Figure]:
    """Steps, activities and openings through the library against their Core floors."""
    from store import SqlAlchemyUnitOfWork
    from store.verify import verify_database
    from workflow import services
    from workflow.catalog import engine_for
    from workflow.followup import ActivityInput, record_activity

    engine, clock = bench.engine, bench.clock
    people = actors()
    governor, somchai = people["governor-cm"], people["somchai"]
    mine, theirs = open_cases(engine, 2, clock, "Loop")
    active_mine, active_theirs = open_cases(engine, 2, clock, "Active")
    walk_to_active(engine, active_mine, clock)
    walk_to_active(engine, active_theirs, clock)
    uow = SqlAlchemyUnitOfWork(engine)
    floor = CoreFloor(engine)
    sha = engine_for("provincial", 1).loaded.sha256
    day = dt.date(2024, 5, 1)
    counter = iter(range(10**9))

    state = {"now": "proposal_draft"}

    def steps() -> float:
        def run() -> None:
            for _ in range(per_round):
                trigger = "resume" if state["now"] == "suspended" else "suspend"
                record = services.advance_case(uow, governor, mine, trigger, {}, "bench", clock())
                state["now"] = record.dest or ""

        return timed(run) / per_round

    def floor_steps() -> float:
        def run() -> None:
            for _ in range(per_round):
                floor.step(theirs, "governor-cm", "governor", clock())

        return timed(run) / per_round

    def activities() -> float:
        activity = ActivityInput(day, "culture", "ยี่เป็ง")

        def run() -> None:
            for _ in range(per_round):
                record_activity(uow, somchai, active_mine, activity, [], "", clock())

        return timed(run) / per_round

    def floor_activities() -> float:
        def run() -> None:
            for _ in range(per_round):
                floor.activity(active_theirs, clock(), day)

        return timed(run) / per_round

    def openings() -> float:
        from workflow.model import NewCase

        def run() -> None:
            for _ in range(per_round):
                new = NewCase("TH-50", f"Open {next(counter)}", "CN", "city", "MOU", "sister")
                services.open_case(uow, somchai, new, clock())

        return timed(run) / per_round

    def floor_openings() -> float:
        def run() -> None:
            for _ in range(per_round):
                floor.open(f"Floor {next(counter)}", clock(), sha)

        return timed(run) / per_round

    goal = 1.3 if bench.dialect == "postgresql" else 1.5
    group = f"A step at the cost of its SQL — {bench.label}"
    figures = [
        Figure(group, f"audited step (advance), {bench.label}", "services.advance_case",
               "Core transaction, same writes", "s", "cost", goal_ratio=goal),
        Figure(group, f"activity add, {bench.label}", "followup.record_activity",
               "Core transaction, same writes", "s", "cost", goal_ratio=goal),
        Figure(group, f"case open, {bench.label}", "services.open_case",
               "Core transaction, same writes", "s", "cost", goal_ratio=goal),
    ]  # fmt: skip
    interleave(figures[0], rounds, steps, floor_steps)
    interleave(figures[1], rounds, activities, floor_activities)
    interleave(figures[2], rounds, openings, floor_openings)
    result = verify_database(engine)
    if result.exit_code != 0:
        raise SystemExit(f"{bench.label}: the benchmark database does not verify: "
                         f"{[p.line() for p in result.problems[:3]]}")  # fmt: skip
    return figures


# ---------------------------------------------------------------------- readers (SQLite)
def _writer(url: str, synchronous: str, reference: str, stop: Any, ready: Any) -> None:
    from store import SqlAlchemyUnitOfWork, make_engine
    from workflow import services

    engine = make_engine(url, synchronous=synchronous)
    uow = SqlAlchemyUnitOfWork(engine)
    governor = actors()["governor-cm"]
    clock = Clock()
    clock.now = START + dt.timedelta(days=30)
    state = services.get_case(uow, reference).state
    ready.set()
    while not stop.is_set():
        trigger = "resume" if state == "suspended" else "suspend"
        record = services.advance_case(uow, governor, reference, trigger, {}, "bench", clock())
        state = record.dest
    engine.dispose()


def reader_figures(folder: Path, rounds: int, reads: int) -> list[Figure]:
    """How long a read takes while another process commits steps, for each sync mode."""
    from store import SqlAlchemyUnitOfWork
    from workflow import services

    figures = []
    context = multiprocessing.get_context("spawn")
    for mode in ("FULL", "NORMAL"):
        url = str(folder / f"readers-{mode}.db")
        engine = prepared(url, mode)
        clock = Clock()
        refs = open_cases(engine, 20, clock)
        uow = SqlAlchemyUnitOfWork(engine)
        figure = Figure(
            "SQLite sync mode: readers while a writer commits",
            f"read (case show) during steps, synchronous={mode}",
            "reads while another process commits steps",
            "the same reads, no writer",
            "s",
            "cost",
        )

        def read(uow: Any = uow, refs: list[str] = refs) -> float:
            def run() -> None:
                for n in range(reads):
                    services.get_case(uow, refs[n % len(refs)])

            return timed(run) / reads

        for n in range(rounds):
            idle = read() if n % 2 else 0.0
            stop, ready = context.Event(), context.Event()
            writer = context.Process(target=_writer, args=(url, mode, refs[0], stop, ready))
            writer.start()
            ready.wait(120)
            time.sleep(0.05)
            busy = read()
            stop.set()
            writer.join()
            figure.add(busy, idle if n % 2 else read())
        engine.dispose()
        figures.append(figure)
    return figures
