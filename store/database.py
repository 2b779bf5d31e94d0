"""Engines for SQLite files and PostgreSQL, with the pragmas and transaction mode writers need.

No engine exists at import time: the CLI builds one per command from ``--db``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, make_url

from states.i18n import N_, Text
from workflow.errors import WorkflowError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

WRITE_OPTION = "sistercity_write"
AUDIT_TABLE = "audit_records"
#: How an SQLite database syncs each commit (README, "SQLite: durability and speed").
SYNCHRONOUS_ENV = "SISTERCITY_SQLITE_SYNCHRONOUS"
#: FULL: every acknowledged step survives a power cut. NORMAL: a power cut may lose the last
#: acknowledged steps (never the database's consistency), for twice the commits per second.
SYNCHRONOUS_MODES = ("FULL", "NORMAL")
DEFAULT_SYNCHRONOUS = "FULL"


class DatabaseUnavailable(WorkflowError):
    """The database cannot be opened, reached or used with this URL."""


#: The database driver's own words for the usual failures, in the catalogue (the others are
#: shown as the driver says them).
_DRIVER_REASONS = {
    N_("file is not a database"),
    N_("database disk image is malformed"),
    N_("unable to open database file"),
    N_("database is locked"),
    N_("attempt to write a readonly database"),
}


def driver_reason(error: BaseException) -> str:
    """The first line of a driver error, as a message id when it is a usual one."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    first = lines[0] if lines else type(error).__name__
    return Text(first) if first in _DRIVER_REASONS else first


class DatabaseRefused(WorkflowError):
    """The database server refused a write this login may not make (PostgreSQL's
    ``insufficient_privilege``: no grant, or an identity check of ``store/pg_identity.py``);
    the transaction was rolled back, nothing was written."""


def refused(error: BaseException) -> DatabaseRefused | None:
    """*error* as a ``DatabaseRefused``, if it is the server refusing this login a write."""
    orig = getattr(error, "orig", None)
    if not isinstance(error, exc.DBAPIError) or getattr(orig, "sqlstate", None) != "42501":
        return None
    lines = str(orig).strip().splitlines()
    return DatabaseRefused(
        N_("the database refused this: {reason} (nothing was written)"),
        reason=lines[0] if lines else Text(N_("permission denied")),
    )


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn a database that cannot be reached or opened, or a write the server refused this
    login, into one line for the officer.

    Connection-level failures, and a file that is not a database or is damaged, are
    translated; an integrity error stays a bug to see.
    """
    try:
        yield
    except exc.DBAPIError as error:
        refusal = refused(error)
        if refusal is not None:
            raise refusal from None
        if isinstance(error, exc.OperationalError | exc.InterfaceError):
            raise DatabaseUnavailable(
                N_("database error: {detail}"), detail=driver_reason(error)
            ) from None
        if not isinstance(error, exc.DatabaseError) or isinstance(
            error, exc.IntegrityError | exc.ProgrammingError
        ):
            raise
        raise DatabaseUnavailable(
            N_(
                "not a usable sistercity database ({detail}): check --db, or restore the file "
                "from a backup"
            ),
            detail=driver_reason(error),
        ) from None


def audit_authorizer(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
    """SQLite authorizer: the application may not drop, rename or unprotect the audit table.

    The triggers stop UPDATE and DELETE; this stops the statements that would remove the triggers
    or the table itself (DROP TABLE, DROP TRIGGER on it, ALTER TABLE, ``PRAGMA writable_schema``).
    Only ``init`` lifts it, for the length of a migration (see ``migration_mode``). Someone with
    the file and their own sqlite3 is not stopped; the hash chain and signed heads catch that.
    """
    if action in (sqlite3.SQLITE_DROP_TABLE, sqlite3.SQLITE_DROP_TEMP_TABLE) and (
        arg1 == AUDIT_TABLE
    ):
        return sqlite3.SQLITE_DENY
    if action in (sqlite3.SQLITE_DROP_TRIGGER, sqlite3.SQLITE_DROP_TEMP_TRIGGER) and (
        arg2 == AUDIT_TABLE
    ):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_ALTER_TABLE and arg2 == AUDIT_TABLE:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() == "writable_schema":
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@contextmanager
def migration_mode(connection: Connection) -> Iterator[None]:
    """Lift the SQLite authorizer on this connection while migrations run, then restore it.

    Alembic's batch mode rebuilds a table by copy, drop and rename, which the authorizer refuses
    for ``audit_records``; a migration that does so must re-install the append-only triggers
    (``store.append_only.install``) before it returns.
    """
    raw = connection.connection.dbapi_connection
    if connection.dialect.name != "sqlite" or raw is None:
        yield
        return
    raw.set_authorizer(None)
    try:
        yield
    finally:
        raw.set_authorizer(audit_authorizer)


def database_url(db: str) -> str:
    """Accept a SQLAlchemy URL or a plain file path (an SQLite file)."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser()}"


def sqlite_synchronous(value: str | None = None) -> str:
    """The SQLite ``synchronous`` mode: *value*, else ``$SISTERCITY_SQLITE_SYNCHRONOUS``, else
    FULL; anything but FULL or NORMAL is refused with one line."""
    given = value if value is not None else os.environ.get(SYNCHRONOUS_ENV, "")
    mode = given.strip().upper() or DEFAULT_SYNCHRONOUS
    if mode not in SYNCHRONOUS_MODES:
        raise DatabaseUnavailable(
            N_(
                "{variable}={value}: use FULL (every acknowledged step survives a power cut, the "
                "default) or NORMAL (faster commits; a power cut may lose the last ones)"
            ),
            variable=SYNCHRONOUS_ENV,
            value=repr(given),
        )
    return mode


def make_engine(db: str, synchronous: str | None = None) -> Engine:
    """An engine whose write transactions are serialised on both SQLite and PostgreSQL.

    *synchronous* is SQLite's sync mode (``sqlite_synchronous``); PostgreSQL ignores it.
    """
    try:
        return _make_engine(db, synchronous)
    except (exc.ArgumentError, exc.NoSuchModuleError, ImportError) as error:
        raise DatabaseUnavailable(
            N_(
                "cannot use database '{db}': {reason} (give a file path, sqlite:///… or "
                "postgresql+psycopg://…)"
            ),
            db=db,
            reason=str(error),
        ) from None


def _make_engine(db: str, synchronous: str | None) -> Engine:
    url = make_url(database_url(db))
    if url.get_backend_name() == "sqlite":
        sync = sqlite_synchronous(synchronous)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide when transactions begin (SQLAlchemy's recipe).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sync}")
            cursor.close()
            dbapi_connection.set_authorizer(audit_authorizer)

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # Writers take the database lock before their first read, so what they read is
            # what they update; readers stay deferred and never block writers in WAL mode.
            immediate = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (we map rows to frozen values anyway).

    The ORM is imported here, by the few that use it: reading and advancing cases speak Core.
    """
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(bind=engine, expire_on_commit=False)
