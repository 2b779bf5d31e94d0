"""Upgrading a database written at revision 0001 to the newest schema keeps every record and
rebuilds the follow-up read models from the log, exactly as a database created new keeps them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, Table, column, insert, inspect, select, text
from sqlalchemy import table as sa_table

from store import init_database, make_engine
from store.database import migration_mode
from store.demo import build_demo
from store.schema import alembic_config, current_revision, head_revision
from store.tables import AuditHeadRow, AuditRow, Base, CaseRow, OfficerRow, SettingRow
from store.verify import verify_database

CORE = (SettingRow, OfficerRow, CaseRow, AuditRow, AuditHeadRow)
READ_MODELS = ("case_facts", "moves", "activities")


def _rows(engine: Engine, table: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {table}")))


def _at_first_revision(path: Path) -> Engine:
    engine = make_engine(str(path))
    config = alembic_config()
    with engine.begin() as conn, migration_mode(conn):
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    return engine


def test_upgrade_from_0001_keeps_the_log_and_rebuilds_read_models(tmp_path: Path) -> None:
    build_demo(str(tmp_path / "new.db"))
    new = make_engine(str(tmp_path / "new.db"))

    old = _at_first_revision(tmp_path / "old.db")
    assert current_revision(old) == "0001"
    with new.connect() as src, old.begin() as dst:
        for model in CORE:  # Core inserts: the 0001 schema has no read-model tables yet
            table = model.__table__
            assert isinstance(table, Table)
            known = {c["name"] for c in inspect(dst).get_columns(table.name)}
            rows = [
                {k: v for k, v in r._mapping.items() if k in known}
                for r in src.execute(select(table))
            ]
            # A plain table of the old columns: the model's Python-side defaults of newer columns
            # must not be sent to a schema that lacks them.
            old_columns = [column(name, table.c[name].type) for name in sorted(known)]
            old_table = sa_table(table.name, *old_columns)
            dst.execute(insert(old_table), rows)

    result = init_database(old)
    assert result.upgraded_from == "0001" and result.revision == head_revision()
    assert set(Base.metadata.tables) <= set(_tables(old))
    assert _rows(old, "audit_records") == _rows(new, "audit_records")
    for name in READ_MODELS:
        assert _rows(new, name), f"the demo fills {name}"
        assert _rows(old, name) == _rows(new, name), name
    assert verify_database(old).exit_code == 0
    old.dispose()
    new.dispose()


def _tables(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [
            r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        ]
