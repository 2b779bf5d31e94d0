"""PostgreSQL: the server, not the client, says which officer is acting, and rows change only
with their record.

Each officer connects with a login of their own, which ``officers.pg_login`` links to them. For
every login that does not own the schema (the owner and superusers could rewrite any row and drop
any trigger anyway; they are the ones who run ``init``), triggers check, inside the server:

- ``audit_records``, before each INSERT: the record's actor is the unretired officer whose
  ``pg_login`` is ``session_user``, its login column is that login, and the role it names (if
  any) is one the officer holds. Nobody can make a step, a denial or any event in another
  officer's name, whatever their client sends.
- ``officers``, before each INSERT or UPDATE: the row is exactly the registration of an
  ``officer`` record inserted by this same transaction and named by the row's ``audit_seq``.
  Writing officers at all needs the ``sistercity_officer_admin`` group (store/postgres-roles.sql),
  so an officer without it cannot touch their roles, and one with it cannot change a registration
  without recording it, in their own name.
- ``cases``, at commit (a deferred constraint trigger): a case inserted or updated has as its
  latest record one inserted by this transaction, ending in the state the row now has.
- ``audit_head``, before each UPDATE: the head names the newest record, with its hash.

``settings`` and ``documents`` need no trigger: officers' logins may not write settings, and may
only add documents (content-addressed, checked against their SHA-256 when read). The functions
run with a fixed ``search_path`` (the schema, then ``pg_temp`` last) so that a temporary table
cannot stand in for ``officers`` or ``audit_records``. What these checks cannot see (whether the
role was allowed that step, segregation of duties, the hash chain itself) ``audit verify``
replays from the log.
"""

from __future__ import annotations

from sqlalchemy import Connection

#: Trigger names, for ``installed`` and the tests.
TRIGGERS = {
    "audit_records": "audit_records_vouched",
    "officers": "officers_recorded",
    "cases": "cases_recorded",
    "audit_head": "audit_head_follows",
}

_FUNCTIONS = """
CREATE OR REPLACE FUNCTION sistercity_owner_session() RETURNS boolean
LANGUAGE sql STABLE SET search_path = {schema}, pg_temp AS $$
    SELECT pg_has_role(session_user, c.relowner, 'MEMBER')
    FROM pg_class c WHERE c.oid = '{schema}.audit_records'::regclass
$$;

CREATE OR REPLACE FUNCTION audit_records_vouched() RETURNS trigger
LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $$
DECLARE
    held jsonb;
BEGIN
    IF sistercity_owner_session() THEN
        RETURN NEW;
    END IF;
    SELECT o.roles::jsonb INTO held FROM {schema}.officers o
     WHERE o.id = NEW.actor_id AND o.pg_login = session_user::text AND NOT o.retired;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'PostgreSQL login % may not record an event as officer %',
            session_user, NEW.actor_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.os_user IS DISTINCT FROM session_user::text THEN
        RAISE EXCEPTION 'a record made under PostgreSQL login % must name that login, not %',
            session_user, NEW.os_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.actor_role IS NOT NULL AND NOT held ? NEW.actor_role THEN
        RAISE EXCEPTION 'officer % does not hold the role %', NEW.actor_id, NEW.actor_role
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION officers_recorded() RETURNS trigger
LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $$
BEGIN
    IF sistercity_owner_session() THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM {schema}.audit_records a
         WHERE a.seq = NEW.audit_seq AND a.kind = 'officer'
           AND a.xmin = pg_current_xact_id()::xid
           AND a.fields::jsonb = jsonb_strip_nulls(jsonb_build_object('pg_login', NEW.pg_login))
               || jsonb_build_object(
                   'officer', NEW.id, 'name', NEW.name, 'roles', NEW.roles::jsonb,
                   'province', NEW.province, 'os_user', NEW.os_user,
                   'deputy', NEW.deputy, 'retired', NEW.retired)
    ) THEN
        RAISE EXCEPTION 'officer % may change only with its officer record, in one transaction',
            NEW.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION cases_recorded() RETURNS trigger
LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $$
BEGIN
    IF sistercity_owner_session() THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM {schema}.audit_records a
         WHERE a.case_reference = NEW.reference
           AND a.case_seq = (SELECT max(b.case_seq) FROM {schema}.audit_records b
                              WHERE b.case_reference = NEW.reference)
           AND a.xmin = pg_current_xact_id()::xid
           AND a.dest = NEW.state
    ) THEN
        RAISE EXCEPTION 'case % may change only with its audit record, in one transaction',
            NEW.reference USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION audit_head_follows() RETURNS trigger
LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $$
BEGIN
    IF sistercity_owner_session() THEN
        RETURN NEW;
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.log_id IS DISTINCT FROM OLD.log_id
       OR NOT EXISTS (SELECT 1 FROM {schema}.audit_records a
                       WHERE a.seq = NEW.seq AND a.hash = NEW.hash)
       OR EXISTS (SELECT 1 FROM {schema}.audit_records a WHERE a.seq > NEW.seq) THEN
        RAISE EXCEPTION 'the audit head may only name the newest record'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS audit_records_vouched ON {schema}.audit_records;
CREATE TRIGGER audit_records_vouched BEFORE INSERT ON {schema}.audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_vouched();
DROP TRIGGER IF EXISTS officers_recorded ON {schema}.officers;
CREATE TRIGGER officers_recorded BEFORE INSERT OR UPDATE ON {schema}.officers
    FOR EACH ROW EXECUTE FUNCTION officers_recorded();
DROP TRIGGER IF EXISTS cases_recorded ON {schema}.cases;
CREATE CONSTRAINT TRIGGER cases_recorded AFTER INSERT OR UPDATE ON {schema}.cases
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cases_recorded();
DROP TRIGGER IF EXISTS audit_head_follows ON {schema}.audit_head;
CREATE TRIGGER audit_head_follows BEFORE UPDATE ON {schema}.audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_follows();
"""

_DROP = """
DROP TRIGGER IF EXISTS audit_records_vouched ON {schema}.audit_records;
DROP TRIGGER IF EXISTS officers_recorded ON {schema}.officers;
DROP TRIGGER IF EXISTS cases_recorded ON {schema}.cases;
DROP TRIGGER IF EXISTS audit_head_follows ON {schema}.audit_head;
DROP FUNCTION IF EXISTS audit_records_vouched();
DROP FUNCTION IF EXISTS officers_recorded();
DROP FUNCTION IF EXISTS cases_recorded();
DROP FUNCTION IF EXISTS audit_head_follows();
DROP FUNCTION IF EXISTS sistercity_owner_session();
"""


def _schema(connection: Connection) -> str:
    name = connection.exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
    if not name:
        raise RuntimeError("no current schema to install the identity checks in")
    return str(name)


def migrated(connection: Connection) -> bool:
    """PostgreSQL at migration 0007 or later: officers have logins, the checks belong."""
    if connection.dialect.name != "postgresql":
        return False
    return bool(
        connection.exec_driver_sql(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'officers' AND column_name = 'pg_login'"
        ).first()
    )


def install(connection: Connection) -> None:
    """Create (or re-create) the identity checks; PostgreSQL only, nothing elsewhere."""
    if connection.dialect.name != "postgresql":
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    # One script, as psql would run it (the driver must not read '%' or '?' as parameters).
    raw.cursor().execute(_FUNCTIONS.format(schema=_schema(connection)))


def uninstall(connection: Connection) -> None:
    """Remove them (the migration's downgrade)."""
    if connection.dialect.name != "postgresql":
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.cursor().execute(_DROP.format(schema=_schema(connection)))


def installed(connection: Connection) -> list[str]:
    """The identity triggers present and enabled now (PostgreSQL; empty elsewhere)."""
    if connection.dialect.name != "postgresql":
        return []
    rows = connection.exec_driver_sql(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = to_regnamespace(current_schema()) AND NOT t.tgisinternal "
        "AND t.tgenabled <> 'D'"
    )
    present = {r[0] for r in rows}
    return [name for name in TRIGGERS.values() if name in present]
