"""Append-only in the database: triggers, the SQLite authorizer, PostgreSQL roles, migrations."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Engine, create_engine, make_url, text

from store import SqlAlchemyUnitOfWork, make_engine
from store.append_only import TRIGGER_NAMES, install, installed
from store.database import migration_mode
from store.verify import verify_database
from workflow import services
from workflow.model import Actor, NewCase
from workflow.officers import update_officer

ROLES_SQL = Path(__file__).resolve().parents[2] / "store" / "postgres-roles.sql"


def _some_records(
    engine: Engine, officers: dict[str, Actor], clock: Callable[[], dt.datetime]
) -> str:
    uow = SqlAlchemyUnitOfWork(engine)
    case = services.open_case(
        uow, officers["somchai"], NewCase("TH-50", "Hue", "VN", "city", "MOU", "sister"), clock()
    )
    return case.reference


def test_triggers_refuse_update_and_delete(
    engine: Engine, officers: dict[str, Actor], clock: Callable[[], dt.datetime]
) -> None:
    _some_records(engine, officers, clock)
    for statement in (
        "UPDATE audit_records SET note = 'x' WHERE seq = 1",
        "DELETE FROM audit_records WHERE seq = 1",
        "DELETE FROM audit_records",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
    if engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE audit_records")
    assert verify_database(engine).exit_code == 0


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE audit_records",
        "DROP TRIGGER audit_records_no_update",
        "DROP TRIGGER audit_records_no_delete",
        "ALTER TABLE audit_records RENAME TO old_audit",
        "PRAGMA writable_schema = ON",
    ],
)
def test_sqlite_authorizer_denies_dropping_the_audit_table(
    sqlite_url: str, statement: str
) -> None:
    from store import init_database

    engine = make_engine(sqlite_url)
    try:
        init_database(engine)
        with pytest.raises(sa.exc.DatabaseError, match="not authorized"), engine.begin() as c:
            c.exec_driver_sql(statement)
        with engine.connect() as conn:
            assert installed(conn) == list(TRIGGER_NAMES["sqlite"])
        # Ordinary schema work elsewhere, and init itself, stay allowed.
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE scratch (x INTEGER)")
            conn.exec_driver_sql("DROP TABLE scratch")
        init_database(engine)
    finally:
        engine.dispose()


def test_batch_migration_of_the_audit_table_must_reinstall_triggers(
    engine: Engine, officers: dict[str, Actor], clock: Callable[[], dt.datetime]
) -> None:
    """Batch mode on SQLite copies the table and loses its triggers; install() puts them back."""
    _some_records(engine, officers, clock)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        # Outside a migration the authorizer refuses the rebuild outright.
        with pytest.raises(sa.exc.DatabaseError, match="not authorized"), engine.begin() as conn:
            ops = Operations(MigrationContext.configure(conn))
            with ops.batch_alter_table("audit_records", recreate="always") as batch:
                batch.add_column(sa.Column("reviewed", sa.Text()))
    with engine.begin() as conn, migration_mode(conn):
        ops = Operations(MigrationContext.configure(conn))
        with ops.batch_alter_table("audit_records", recreate="always") as batch:
            batch.add_column(sa.Column("reviewed", sa.Text()))
        if sqlite:
            assert installed(conn) == []  # the hazard this rule is about
        install(conn)
        assert installed(conn) == list(TRIGGER_NAMES[engine.dialect.name])
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_records")
    assert verify_database(engine).exit_code == 0


@pytest.mark.postgres
def test_postgres_officers_login_cannot_change_the_audit_log(
    engine: Engine,
    db_url: str,
    officers: dict[str, Actor],
    clock: Callable[[], dt.datetime],
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL role setup")
    reference = _some_records(engine, officers, clock)
    suffix = uuid.uuid4().hex[:10]
    owner, group, app = f"sc_owner_{suffix}", f"sc_officer_{suffix}", f"sc_app_{suffix}"
    script = (
        ROLES_SQL.read_text()
        .replace("sistercity_owner", owner)
        .replace("sistercity_officer", group)
    )
    update_officer(
        SqlAlchemyUnitOfWork(engine), "somchai", officers["admin"], clock(), pg_login=app
    )
    try:
        with engine.begin() as conn:
            # As psql would run it: the raw driver, no parameter parsing of format('%I').
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.cursor().execute(script)
            conn.exec_driver_sql(f'CREATE ROLE "{app}" LOGIN IN ROLE "{group}"')
        # An officer, connected as their own login, still does their whole job …
        app_engine = make_engine(make_url(db_url).set(username=app).render_as_string(False))
        try:
            services.advance_case(
                SqlAlchemyUnitOfWork(app_engine),
                services.resolve_actor(SqlAlchemyUnitOfWork(app_engine), "whoever"),
                reference,
                "begin_study",
                {},
                "",
                clock(),
            )
            assert verify_database(app_engine).exit_code == 0
        finally:
            app_engine.dispose()
        # … and may not change the log, even with the triggers out of the way.
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE audit_records DISABLE TRIGGER USER")
        for statement in (
            "UPDATE audit_records SET note = 'x'",
            "DELETE FROM audit_records",
            "TRUNCATE audit_records",
            "DROP TABLE audit_records",
            "ALTER TABLE audit_records DISABLE TRIGGER USER",
        ):
            with engine.connect() as conn:
                conn.exec_driver_sql(f'SET ROLE "{app}"')
                with pytest.raises(
                    sa.exc.ProgrammingError, match=r"permission denied|must be owner"
                ):
                    conn.exec_driver_sql(statement)
                conn.rollback()
        with engine.connect() as conn:
            conn.exec_driver_sql(f'SET ROLE "{app}"')
            assert conn.scalar(text("SELECT count(*) FROM audit_records")) > 0
            conn.rollback()
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE audit_records ENABLE TRIGGER USER")
    finally:
        engine.dispose()
        with engine.begin() as conn:
            for role in (app, f"{group}_admin", group, owner):
                if _exists(conn, role):
                    conn.exec_driver_sql(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
                    conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
                    conn.exec_driver_sql(f'DROP ROLE "{role}"')
        engine.dispose()


def _exists(conn: sa.Connection, role: str) -> bool:
    return bool(conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}))


def test_no_leftover_test_roles() -> None:
    """Roles are cluster-wide: the role test must leave none behind."""
    import os

    url = os.environ.get("SISTERCITY_TEST_PG_URL")
    if not url:
        pytest.skip("SISTERCITY_TEST_PG_URL not set")
    probe = create_engine(url)
    try:
        with probe.connect() as conn:
            left = conn.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'sc\\_%'"))
    finally:
        probe.dispose()
    assert left == 0
