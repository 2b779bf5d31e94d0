"""``officer add/update --pg-login``: the PostgreSQL login an officer connects with is part of
their registration, recorded by an ``officer`` event like the rest of it (on every backend; on
PostgreSQL it is who the officer is, tests/store/test_pg_identity.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import OFFICERS
from tests.cli_support import Cli
from workflow import services


def _officers(cli: Cli) -> dict[str, Any]:
    return {o["id"]: o for o in cli.json("officer", "list")}


def test_a_login_is_linked_changed_and_removed_with_a_record_each(db_url: str) -> None:
    engine = make_engine(db_url)
    init_database(engine, training=True)
    for officer in OFFICERS:
        services.add_officer(SqlAlchemyUnitOfWork(engine), officer, None, dt.datetime.now(dt.UTC))
    engine.dispose()
    cli = Cli(db_url)
    cli.ok("officer", "add", "nok", "--name", "นก ใจงาม", "--role", "province_officer",
           "--province", "TH-50", "--pg-login", "nok", as_="admin")  # fmt: skip
    assert _officers(cli)["nok"]["pg_login"] == "nok"
    assert "nok" in cli.ok("officer", "list").stdout.split()
    # A login belongs to one officer, and is a name CREATE ROLE would store as given.
    taken = cli.refused("officer", "update", "somchai", "--pg-login", "nok", as_="admin")
    assert "PostgreSQL login 'nok' is already linked (to nok)" in taken
    bad = cli.refused("officer", "update", "somchai", "--pg-login", "Somchai;", as_="admin")
    assert "PostgreSQL login 'Somchai;'" in bad
    moved = cli.ok("officer", "update", "nok", "--pg-login", "nok_cm", as_="admin")
    assert "PostgreSQL login nok_cm" in moved.stdout
    cli.ok("officer", "update", "somchai", "--pg-login", "nok", as_="admin")  # free again
    cli.ok("officer", "update", "nok", "--no-pg-login", as_="admin")
    assert _officers(cli)["nok"]["pg_login"] is None
    assert cli.run("officer", "update", "nok", "--pg-login", "x", "--no-pg-login",
                   as_="admin").exit_code == 2  # fmt: skip
    # Retiring releases the login, like the OS login.
    cli.ok("officer", "retire", "somchai", as_="admin")
    assert _officers(cli)["somchai"]["pg_login"] is None
    events = [r for r in cli.json("audit", "log", "--officer", "admin", as_="admin")
              if r["kind"] == "officer"]  # fmt: skip
    assert [e["fields"].get("pg_login") for e in events] == ["nok", "nok_cm", "nok", None, None]
    assert cli.run("audit", "verify").exit_code == 0
