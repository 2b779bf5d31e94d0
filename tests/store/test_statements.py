"""The SQL each officer's command costs, pinned: a step reads and writes only what it needs.

An SQLAlchemy event listener records every statement sent to the database while a use case runs
through the library (transaction control, BEGIN and COMMIT, aside), on SQLite and PostgreSQL.
The counts are the floor a step needs: the head read once (and locked), the case read once with
its facts and its last ``case_seq``, the version-checked update, the record, the projection
writes, and the head written once per transaction. A statement added to a step fails here first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from states import DEFAULT_PROCEDURE
from store import SqlAlchemyUnitOfWork
from store.demo import STEPS
from store.verify import verify_database
from workflow import importer, services
from workflow.catalog import engine_in_force
from workflow.errors import TransitionNotAllowed
from workflow.followup import ActivityInput, record_activity
from workflow.model import Actor, NewCase
from workflow.thaidate import BANGKOK

HEADER = (
    "province,partner_name,partner_country,partner_level,instrument,label,signed_on,status,source"
)


def at(day: str) -> dt.datetime:
    """Bangkok 10 o'clock on *day*, as an aware UTC timestamp."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10), BANGKOK).astimezone(dt.UTC)


def walk_to_active(uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]) -> str:
    """The demo proposal walked to ``active``."""
    new = NewCase("TH-50", "Guangzhou", "CN", "city", "LOI", "friendship")
    case = services.open_case(uow, officers["somchai"], new, at("2021-05-10"))
    for day, officer, trigger, fields, note in STEPS:
        services.advance_case(uow, officers[officer], case.reference, trigger, dict(fields),
                              note, at(day))  # fmt: skip
    return case.reference


_VERB = re.compile(r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM)\s", re.I)
# A subquery in FROM is named by its alias (``FROM (SELECT …) AS connected``).
_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+(?:AS\s+)?\"?(\w+)", re.I)
_INNERMOST = re.compile(r"\([^()]*\)")


def _kind(statement: str) -> str | None:
    """``"SELECT cases"``, ``"INSERT audit_records"`` …; ``None`` for transaction control.

    The table is the statement's own, not a subquery's (parenthesised parts are dropped)."""
    verb = _VERB.match(statement)
    if verb is None:
        return None
    outer = statement
    while _INNERMOST.search(outer):
        outer = _INNERMOST.sub(" ", outer)
    table = _TABLE.search(outer)
    name = verb.group(1).split()[0].upper()
    locked = " FOR UPDATE" if re.search(r"FOR UPDATE\s*$", outer, re.I) else ""
    return f"{name} {table.group(1) if table else '?'}{locked}"


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """Every statement the engine sends inside the block, by verb and first table."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        kind = _kind(statement)
        if kind is not None:
            seen.append(kind)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def statements(engine: Engine, action: Callable[[], object]) -> Counter[str]:
    with counted(engine) as seen:
        action()
    return Counter(seen)


def _head_lock(engine: Engine) -> str:
    # SQLite serialises writers with BEGIN IMMEDIATE; the head row is read, not locked.
    return "SELECT audit_head" + (" FOR UPDATE" if engine.dialect.name == "postgresql" else "")


def _step_locks(engine: Engine) -> Counter[str]:
    """How a step on one case takes the head: on PostgreSQL its case update locks it (``FROM
    (SELECT … FOR UPDATE)``), one statement and one round trip fewer under the lock."""
    return Counter() if engine.dialect.name == "postgresql" else Counter({_head_lock(engine): 1})


def test_a_step_costs_seven_statements(
    engine: Engine, uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    case = services.open_case(
        uow, officers["somchai"], NewCase("TH-50", "Kunming", "CN", "city", "MOU", "sister"),
        at("2024-01-05"),
    )  # fmt: skip
    counts = statements(
        engine,
        lambda: services.advance_case(
            uow, officers["somchai"], case.reference, "begin_study", {}, "", at("2024-01-06")
        ),
    )
    assert counts == _step_locks(engine) + Counter(
        {
            "SELECT cases": 1,  # with its facts, last case_seq and the head's seq
            "UPDATE cases": 1,  # WHERE row_version = the version read
            "INSERT audit_records": 1,
            "UPDATE moves": 1,  # the span of the state left
            "INSERT moves": 1,
            "UPDATE audit_head": 1,
        }
    )
    assert sum(counts.values()) == (6 if engine.dialect.name == "postgresql" else 7)


def test_a_step_with_documents_adds_two_per_new_document(
    engine: Engine, uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    reference = walk_to_active(uow, officers)
    evidence = Path(__file__)
    counts = statements(
        engine,
        lambda: record_activity(
            uow,
            officers["somchai"],
            reference,
            ActivityInput(dt.date(2024, 6, 1), "culture", "ยี่เป็ง"),
            [evidence],
            "",
            at("2024-06-02"),
        ),
    )
    assert counts == _step_locks(engine) + Counter(
        {
            "SELECT cases": 1,
            "UPDATE cases": 1,
            "SELECT documents": 1,  # already stored?
            "INSERT documents": 1,
            "INSERT audit_records": 1,
            "UPDATE case_facts": 1,  # the last activity's date
            "INSERT moves": 1,  # active → active: no span closes
            "INSERT activities": 1,
            "UPDATE audit_head": 1,
        }
    )


def test_opening_a_case_costs_seven_statements(
    engine: Engine, uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    new = NewCase("TH-50", "Kunming", "CN", "city", "MOU", "sister")
    counts = statements(
        engine, lambda: services.open_case(uow, officers["somchai"], new, at("2024-01-05"))
    )
    assert counts == Counter(
        {
            _head_lock(engine): 1,
            "SELECT cases": 1,  # the year's highest reference
            "INSERT cases": 1,
            "INSERT audit_records": 1,
            "INSERT case_facts": 1,
            "INSERT moves": 1,
            "UPDATE audit_head": 1,
        }
    )


def test_an_import_sends_each_kind_of_row_once_and_the_head_once(
    engine: Engine, uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    """The rows are batched: one ``executemany`` per table, however many relationships."""
    rows = [
        f"Chiang Mai,Partner {n},CN,city,MOU,sister,2019-0{n % 9 + 1}-01,active,test"
        for n in range(12)
    ]
    counts = statements(
        engine,
        lambda: importer.import_relationships(
            uow, officers["anong"], "\n".join([HEADER, *rows]).encode(), "t.csv", at("2024-01-05")
        ),
    )
    assert counts == Counter(
        {
            _head_lock(engine): 1,
            "SELECT cases": 2,  # the identities already imported; the highest reference, once
            "INSERT cases": 1,
            "INSERT audit_records": 1,
            "INSERT case_facts": 1,
            "INSERT moves": 1,
            "UPDATE audit_head": 1,
        }
    )
    with uow:
        assert len(uow.audit.of_kind("import")) == 12  # one record per relationship


def test_an_import_that_links_instruments_marks_the_replaced_ones_in_one_statement(
    engine: Engine, uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    first = importer.import_relationships(
        uow, officers["anong"],
        f"{HEADER}\nChiang Mai,Old Partner,CN,city,LOI,sister,2015-01-01,active,test\n".encode(),
        "old.csv", at("2024-01-04"),
    )  # fmt: skip
    rows = [  # a letter of intent and the MOU after it, four times; one replaces a case
        line
        for n in range(4)
        for line in (
            f"Chiang Mai,Partner {n},CN,city,LOI,sister,2016-0{n + 1}-01,active,test,",
            f"Chiang Mai,Partner {n},CN,city,MOU,sister,2019-0{n + 1}-01,active,test,"
            f"line {2 * n + 2}",
        )
    ]
    rows.append(
        f"Chiang Mai,Old Partner,CN,city,MOU,sister,2018-01-01,active,test,{first.references[0]}"
    )
    counts = statements(
        engine,
        lambda: importer.import_relationships(
            uow, officers["anong"], "\n".join([f"{HEADER},supersedes", *rows]).encode(), "t.csv",
            at("2024-01-05"),
        ),
    )  # fmt: skip
    assert counts == Counter(
        {
            _head_lock(engine): 1,
            "SELECT cases": 2,
            "INSERT cases": 1,
            "INSERT audit_records": 1,
            "INSERT case_facts": 1,
            "UPDATE case_facts": 1,  # superseded_by of the five replaced
            "INSERT moves": 1,
            "UPDATE audit_head": 1,
        }
    )
    with uow:
        marked = {
            r.reference: r.superseded_by for r in uow.followup.register_rows() if r.superseded_by
        }
    assert len(marked) == 5 and first.references[0] in marked


def _batch_of_cases(
    uow: SqlAlchemyUnitOfWork, somchai: Actor, count: int, then: Callable[[], object]
) -> None:
    """*count* proposals created in one batch, then *then* inside it; committed if it returns."""
    engine = engine_in_force(DEFAULT_PROCEDURE, None, dt.date(2024, 1, 5))
    role = next(iter(somchai.roles))
    with uow:
        uow.lock()
        with uow.batched():
            for n in range(count):
                new = NewCase("TH-50", f"Batch {n}", "CN", "city", "MOU", "sister")
                services.create_case(uow, engine, new, engine.definition.initial, somchai, role,
                                     at("2024-01-05"))  # fmt: skip
            then()
        uow.commit()


def test_a_batch_sends_its_rows_before_any_other_statement_reads_them(
    engine: Engine, uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    found: list[str] = []

    def read() -> None:
        found.extend(c.partner_name for c in uow.cases.list())

    with counted(engine) as seen:
        _batch_of_cases(uow, officers["somchai"], 3, read)
    assert found == ["Batch 0", "Batch 1", "Batch 2"]
    assert seen[-6:] == [  # the kept rows, each kind once, then the read, then the head
        "INSERT cases", "INSERT audit_records", "INSERT case_facts", "INSERT moves",
        "SELECT cases", "UPDATE audit_head",
    ]  # fmt: skip
    assert verify_database(engine).problems == ()


def test_an_error_inside_a_batch_writes_nothing(
    engine: Engine, uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    def fail() -> None:
        raise RuntimeError("stop")

    with uow:
        before = uow.audit.lock_head().seq
    with counted(engine) as seen, pytest.raises(RuntimeError):
        _batch_of_cases(uow, officers["somchai"], 3, fail)
    assert "INSERT cases" not in seen
    with uow:
        assert uow.cases.list() == [] and uow.audit.lock_head().seq == before


def test_checking_the_acting_officer_costs_two_statements(
    engine: Engine, uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    services.add_officer(
        uow,
        Actor("nok", "นก ใจงาม", frozenset({"province_officer"}), "TH-50", os_user="nok"),
        officers["admin"],
        at("2024-01-05"),
    )
    # The row with the event it names, then any later officer events (none may be the officer's).
    # On PostgreSQL the server is asked first who is connected, with the officer linked to that
    # login in the same statement; here the suite's superuser, linked to nobody, who owns the
    # schema and so falls back to the OS login: one statement more. An officer on their own
    # login costs the same two statements as on SQLite (tests/store/test_pg_identity.py).
    server = Counter({"SELECT connected": 1} if engine.dialect.name == "postgresql" else {})
    by_login = statements(engine, lambda: services.resolve_actor(uow, "nok"))
    assert by_login == server + Counter({"SELECT officers": 1, "SELECT audit_records": 1})
    # --as, in a training database: the settings row and its event as well.
    training = statements(engine, lambda: services.resolve_actor(uow, "nobody", "somchai"))
    assert training == server + Counter({"SELECT settings": 1, "SELECT officers": 1,
                                         "SELECT audit_records": 2})  # fmt: skip


def test_a_step_on_postgresql_reads_its_case_before_locking_the_head(
    engine: Engine, uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor]
) -> None:
    """Late locking: the case is read and the step checked while others append; the head row
    is locked only at the first write (SQLite serialises the whole step instead)."""
    case = services.open_case(
        uow, officers["somchai"], NewCase("TH-50", "Kunming", "CN", "city", "MOU", "sister"),
        at("2024-01-05"),
    )  # fmt: skip
    sent: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        with counted(engine) as seen:
            _d, officer, trigger, fields, note = STEPS[0]
            services.advance_case(uow, officers[officer], case.reference, trigger, fields, note,
                                  at("2024-01-06"))  # fmt: skip
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    if engine.dialect.name == "postgresql":
        # The case update takes the head lock: FROM (SELECT … FROM audit_head … FOR UPDATE).
        assert seen[:2] == ["SELECT cases", "UPDATE cases"]
        update = next(s for s in sent if s.startswith("UPDATE cases"))
        assert re.search(r"FROM \(SELECT [^()]* FROM audit_head [^()]* FOR UPDATE\)", update)
    else:
        assert seen[:3] == ["SELECT audit_head", "SELECT cases", "UPDATE cases"]
    assert seen[-1] == "UPDATE audit_head"


@pytest.mark.parametrize("moved", ["another step", "a denial"])
def test_a_late_step_whose_case_moved_meanwhile_runs_again_on_the_case_as_it_is_now(
    engine: Engine, uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], moved: str
) -> None:
    """Between reading the case and locking the head, another writer moves the case or appends
    to its records: the step still gets the next ``case_seq`` and the outcome of running after
    the other writer."""
    case = services.open_case(
        uow, officers["somchai"], NewCase("TH-50", "Kunming", "CN", "city", "MOU", "sister"),
        at("2024-01-05"),
    )  # fmt: skip
    interfered: list[bool] = []

    def interfere(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # Just before the step takes the head lock, once: another officer's command commits.
        if interfered or "FOR UPDATE" not in statement or "audit_head" not in statement:
            return
        interfered.append(True)
        other = SqlAlchemyUnitOfWork(engine)
        if moved == "another step":
            services.advance_case(other, officers["governor-cm"], case.reference, "suspend",
                                  {}, "x", at("2024-01-06"))  # fmt: skip
        else:
            services.record_denial(other, officers["auditor"], case.reference, "begin_study",
                                   "no", at("2024-01-06"))  # fmt: skip

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises a whole step: nothing can move the case meanwhile")
    event.listen(engine, "before_cursor_execute", interfere)
    try:
        if moved == "another step":
            with pytest.raises(TransitionNotAllowed, match="from 'suspended'"):
                services.advance_case(uow, officers["somchai"], case.reference, "begin_study",
                                      {}, "", at("2024-01-07"))  # fmt: skip
        else:
            services.advance_case(uow, officers["somchai"], case.reference, "begin_study",
                                  {}, "", at("2024-01-07"))  # fmt: skip
    finally:
        event.remove(engine, "before_cursor_execute", interfere)
    assert interfered
    with uow:
        records = uow.audit.for_case(case.reference)
    assert [r.case_seq for r in records] == list(range(1, len(records) + 1))
    expected = (
        ["open", "transition"] if moved == "another step" else ["open", "denied", "transition"]
    )
    assert [r.kind for r in records] == expected
