"""Database triggers that make ``audit_records`` append-only, per dialect.

Kept in one place so the first migration and every later one that rebuilds the table (Alembic's
batch mode on SQLite copies tables and drops their triggers) can put them back.

The rule for migrations: a migration that alters ``audit_records`` in any way (on SQLite every
``batch_alter_table`` of it re-creates the table and silently loses both triggers; on PostgreSQL
a re-created table loses the identity trigger of ``store/pg_identity.py`` too) must call
``install(op.get_bind())`` as its last step. ``init`` also re-installs them after every upgrade,
and ``sistercity audit verify`` fails (exit 1) when one is missing or disabled. Migrations run
with the SQLite authorizer lifted (``store.database.migration_mode``); nothing else may drop or
rename the table or its triggers. Migrations may never UPDATE or DELETE audit rows: a new column
is added empty (NULL) and is not part of any record's hash; changing what is hashed means a new
``record_version``, never rewriting old records.
"""

from __future__ import annotations

from sqlalchemy import Connection

from store import pg_identity

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS audit_records_no_update BEFORE UPDATE ON audit_records
       BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_records_no_delete BEFORE DELETE ON audit_records
       BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END""",
]
POSTGRESQL = [
    """CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_records is append-only'; END $$""",
    "DROP TRIGGER IF EXISTS audit_records_no_change ON audit_records",
    """CREATE TRIGGER audit_records_no_change BEFORE UPDATE OR DELETE ON audit_records
       FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()""",
    "DROP TRIGGER IF EXISTS audit_records_no_truncate ON audit_records",
    """CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
       FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only()""",
]
TRIGGER_NAMES = {
    "sqlite": ("audit_records_no_update", "audit_records_no_delete"),
    "postgresql": ("audit_records_no_change", "audit_records_no_truncate"),
}


def install(connection: Connection) -> None:
    """Create (or re-create) the append-only triggers for this connection's dialect, and on
    PostgreSQL the identity checks that guard the same table (once migration 0007 has run)."""
    statements = SQLITE if connection.dialect.name == "sqlite" else POSTGRESQL
    for statement in statements:
        connection.exec_driver_sql(statement)
    if pg_identity.migrated(connection):
        pg_identity.install(connection)


def installed(connection: Connection) -> list[str]:
    """Names of the append-only triggers present now."""
    names = TRIGGER_NAMES.get(connection.dialect.name, ())
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_records'"
        )
    else:
        rows = connection.exec_driver_sql(
            "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname = 'audit_records' "
            "AND c.relnamespace = to_regnamespace(current_schema()) AND NOT t.tgisinternal"
        )
    present = {r[0] for r in rows}
    return [n for n in names if n in present]
