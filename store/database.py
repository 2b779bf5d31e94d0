"""Engines for SQLite files and PostgreSQL, with the pragmas and transaction mode writers need.

No engine exists at import time: the CLI builds one per command from ``--db``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DB = "sistercity.db"
WRITE_OPTION = "sistercity_write"


def database_url(db: str) -> str:
    """Accept a SQLAlchemy URL or a plain file path (an SQLite file)."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser()}"


def make_engine(db: str) -> Engine:
    """An engine whose write transactions are serialised on both SQLite and PostgreSQL."""
    url = make_url(database_url(db))
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide when transactions begin (SQLAlchemy's recipe).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # Writers take the database lock before their first read, so what they read is
            # what they update; readers stay deferred and never block writers in WAL mode.
            immediate = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (we map rows to frozen values anyway)."""
    return sessionmaker(bind=engine, expire_on_commit=False)
