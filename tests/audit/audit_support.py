"""Helpers for the audit tests: a realistic log, and an attacker who bypasses the triggers.

The attacker works the way someone with the file (SQLite: their own connection, no authorizer,
triggers dropped) or a superuser (PostgreSQL: ``DISABLE TRIGGER USER``) would, then puts the
triggers back so that only the chain can give them away.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import shutil
import sqlite3
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from sqlalchemy import Connection, Engine, create_engine, make_url, text

from cli import cli
from store import SqlAlchemyUnitOfWork, database_url
from store.append_only import SQLITE
from store.audit import export_head
from store.checkpoint import load_private_key, write_export
from store.demo import STEPS
from store.verify import COLUMNS
from workflow import services
from workflow.errors import PermissionDenied
from workflow.integrity import canonical_json, payload_sha256, record_hash, record_header
from workflow.model import Actor, NewCase

CLEAN_ENV: dict[str, str | None] = {"SISTERCITY_DB": None, "SISTERCITY_OFFICER": None}
Clock = Callable[[], dt.datetime]


def run_cli(db: str, *args: str, as_: str | None = None) -> Result:
    """Run the CLI in-process.

    Commands outside ``audit`` leave their engine to the garbage collector; collect it here, with
    the driver's "deleted while still open" warning silenced, so it is not blamed on a later test.
    """
    argv = ["--db", db] + (["--as", as_] if as_ else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        result = CliRunner().invoke(cli, [*argv, *args], env=CLEAN_ENV)
        gc.collect()
    return result


def verify_cli(db: str, *extra: str) -> tuple[int, dict[str, Any]]:
    """``sistercity audit verify --json``: its exit code and report."""
    result = run_cli(db, "audit", "verify", "--json", *extra)
    assert isinstance(result.exception, SystemExit | None), result.exception
    return result.exit_code, json.loads(result.stdout)


@dataclass
class Populated:
    """A log built by the real use cases, with a signed checkpoint part-way."""

    db: str
    case1: str
    case2: str
    backup: str | None
    checkpoint: Path
    key_pub: Path
    checkpoint_size: int
    size: int


def _steps(
    uow: SqlAlchemyUnitOfWork,
    ref: str,
    actors: dict[str, Actor],
    clock: Clock,
    n: int,
    start: int = 0,
) -> None:
    for _day, officer, trigger, fields, note in STEPS[start : start + n]:
        services.advance_case(uow, actors[officer], ref, trigger, fields, note, clock())


def populate(
    engine: Engine,
    db: str,
    officers: dict[str, Actor],
    clock: Clock,
    key_prefix: Path,
    backup: Callable[[], str] | None = None,
) -> Populated:
    """Officers (1–8), two cases, a denial, a backup, a signed head export, then a short tail."""
    uow = SqlAlchemyUnitOfWork(engine)
    somchai = officers["somchai"]
    case1 = services.open_case(
        uow,
        somchai,
        NewCase("TH-50", "Guangzhou", "CN", "city", "LOI", "friendship"),
        clock(),
        note="คณะผู้แทนกว่างโจวเยือนเชียงใหม่",
    ).reference
    _steps(uow, case1, officers, clock, 3)
    case2 = services.open_case(
        uow, somchai, NewCase("TH-50", "Nagano", "JP", "prefecture", "MOU", "sister"), clock()
    ).reference
    backup_url = backup() if backup else None
    _steps(uow, case1, officers, clock, 2, start=3)
    with suppress(PermissionDenied):
        services.advance_case(uow, officers["auditor"], case2, "begin_study", {}, "", clock())
    _steps(uow, case2, officers, clock, 1)
    key = load_private_key(f"{key_prefix}.key")
    export = export_head(engine, officers["auditor"], clock(), key)
    checkpoint = key_prefix.parent / "head.json"
    write_export(checkpoint, export.document, export.signature)
    _steps(uow, case2, officers, clock, 1, start=1)
    _steps(uow, case1, officers, clock, 1, start=5)
    with engine.connect() as conn:
        size = conn.execute(text("SELECT max(seq) FROM audit_records")).scalar_one()
    return Populated(
        db,
        case1,
        case2,
        backup_url,
        checkpoint,
        Path(f"{key_prefix}.pub"),
        export.document.size,
        size,
    )


# ---------------------------------------------------------------------- the attacker
def attacker_engine(db: str) -> Engine:
    """A plain engine: for SQLite no authorizer and no pragmas, like the sqlite3 shell."""
    return create_engine(database_url(db))


@contextmanager
def tampering(db: str) -> Iterator[Connection]:
    """A connection with the append-only triggers out of the way; they are put back after."""
    engine = attacker_engine(db)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("DROP TRIGGER audit_records_no_update")
                conn.exec_driver_sql("DROP TRIGGER audit_records_no_delete")
            else:
                conn.exec_driver_sql("ALTER TABLE audit_records DISABLE TRIGGER USER")
            yield conn
            if conn.dialect.name == "sqlite":
                for statement in SQLITE:
                    conn.exec_driver_sql(statement)
            else:
                conn.exec_driver_sql("ALTER TABLE audit_records ENABLE TRIGGER USER")
    finally:
        engine.dispose()


def rows(conn: Connection, since: int = 0) -> list[dict[str, Any]]:
    result = conn.execute(
        text(f"SELECT {', '.join(COLUMNS)} FROM audit_records WHERE seq > :s ORDER BY seq"),
        {"s": since},
    )
    return [dict(r._mapping) for r in result]


def update(conn: Connection, seq: int, **values: Any) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    conn.execute(
        text(f"UPDATE audit_records SET {sets} WHERE seq = :seq_"), {**values, "seq_": seq}
    )


def delete(conn: Connection, *seqs: int) -> None:
    for seq in seqs:
        conn.execute(text("DELETE FROM audit_records WHERE seq = :s"), {"s": seq})


def insert(conn: Connection, row: dict[str, Any]) -> None:
    cols = ", ".join(COLUMNS)
    conn.execute(
        text(f"INSERT INTO audit_records ({cols}) VALUES ({', '.join(':' + c for c in COLUMNS)})"),
        row,
    )


def set_head(conn: Connection) -> None:
    """Point the head row at the last record, as a careful attacker would."""
    last = conn.execute(
        text("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1")
    ).one()
    conn.execute(
        text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"),
        {"s": last[0], "h": last[1]},
    )


def seal(row: dict[str, Any], prev: str) -> dict[str, Any]:
    """Recompute a row's payload and hash after *prev*, the way the writer would."""
    row = dict(row)
    row["prev_hash"] = prev
    row["payload_sha256"] = payload_sha256(json.loads(row["fields"]), row["note"])
    row["hash"] = record_hash(
        record_header(
            record_version=row["record_version"],
            log_id=row["log_id"],
            seq=row["seq"],
            kind=row["kind"],
            case_reference=row["case_reference"],
            case_seq=row["case_seq"],
            trigger=row["trigger"],
            source=row["source"],
            dest=row["dest"],
            actor_id=row["actor_id"],
            actor_role=row["actor_role"],
            os_user=row["os_user"],
            occurred_at=row["occurred_at"],
            payload_sha256=row["payload_sha256"],
            prev_hash=prev,
        )
    )
    return row


def rechain(conn: Connection, start: int, fix_exports: bool = True) -> None:
    """Recompute every hash from *start* on (after an edit), and the head."""
    before = conn.execute(
        text("SELECT hash FROM audit_records WHERE seq = :s"), {"s": start - 1}
    ).scalar_one()
    for row in rows(conn, start - 1):
        if fix_exports and row["kind"] == "head_export":
            fields = json.loads(row["fields"])
            fields["head"] = before
            row["fields"] = canonical_json(fields).decode()
        sealed = seal(row, before)
        update(
            conn,
            row["seq"],
            **{k: sealed[k] for k in ("fields", "payload_sha256", "prev_hash", "hash")},
        )
        before = sealed["hash"]
    set_head(conn)


def fix_cases(conn: Connection) -> None:
    """Make the cases table agree with what is left of the log (state, previous state and who
    made each step), as a careful tamperer would."""
    state: dict[str, str] = {}
    previous: dict[str, str | None] = {}
    actors: dict[str, dict[str, list[str]]] = {}
    for row in rows(conn):
        ref, dest = row["case_reference"], row["dest"]
        if ref and dest:
            if row["kind"] == "import":
                previous[ref] = None
            elif dest != state.get(ref):
                previous[ref] = state.get(ref)
            state[ref] = dest
            if row["kind"] == "transition":
                done = actors.setdefault(ref, {}).setdefault(row["trigger"], [])
                if row["actor_id"] not in done:
                    done.append(row["actor_id"])
    for (ref,) in conn.execute(text("SELECT reference FROM cases")).all():
        if ref in state:
            conn.execute(
                text(
                    "UPDATE cases SET state = :s, previous_state = :p, trigger_actors = :t "
                    "WHERE reference = :r"
                ),
                {
                    "s": state[ref],
                    "p": previous.get(ref),
                    "t": json.dumps(actors.get(ref, {})),
                    "r": ref,
                },
            )
        else:
            conn.execute(text("DELETE FROM cases WHERE reference = :r"), {"r": ref})


# ---------------------------------------------------------------------- backups
def backup_database(db: str, engine: Engine, where: Path) -> str:
    """A copy of the database as it is now: the sqlite3 backup API, or a PostgreSQL template."""
    url = make_url(database_url(db))
    if url.get_backend_name() == "sqlite":
        target = where / "backup.db"
        src = sqlite3.connect(url.database or "")
        dst = sqlite3.connect(target)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        return str(target)
    engine.dispose()
    name = f"{url.database}_bak"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_backup(url: str) -> None:
    parsed = make_url(database_url(url))
    if parsed.get_backend_name() == "sqlite":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def copy_sqlite(src: str, dst: Path) -> str:
    shutil.copy(src, dst)
    return str(dst)
