-- PostgreSQL roles for sistercity: the application may add and read audit records, never change
-- or remove them. Run as a superuser, in the application's database, AFTER `sistercity init`
-- has created the schema (run init, and every later upgrade, as sistercity_owner):
--
--   psql -v ON_ERROR_STOP=1 -d sistercity -f store/postgres-roles.sql
--   ALTER ROLE sistercity_app PASSWORD '…';   -- or use certificate / peer authentication
--
-- sistercity_owner owns the tables and runs migrations; nobody works as it day to day.
-- sistercity_app is what officers' commands connect as (SISTERCITY_DB=postgresql+psycopg://
-- sistercity_app@host/sistercity). It has INSERT and SELECT on audit_records and no UPDATE,
-- DELETE or TRUNCATE; the append-only triggers refuse those too, even for the owner, but the
-- owner (or a superuser) could drop or disable them, which is why the application never runs as
-- either. What a superuser can still do is caught by `sistercity audit verify` and signed heads.

CREATE ROLE sistercity_owner NOLOGIN;
CREATE ROLE sistercity_app LOGIN;

-- Ownership: run `sistercity init` connected as a login role that is a member of
-- sistercity_owner, or hand over what a superuser created (every table, and the trigger function):
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
        EXECUTE format('ALTER TABLE public.%I OWNER TO sistercity_owner', t.tablename);
    END LOOP;
END $$;
ALTER FUNCTION audit_records_append_only() OWNER TO sistercity_owner;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO sistercity_app;
-- Working tables (cases, officers and the read models later migrations add).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO sistercity_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO sistercity_app;
-- The audit log: append and read only.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM sistercity_app;
-- The head row is locked (SELECT … FOR UPDATE) and moved by every writer, never added or removed.
REVOKE INSERT, DELETE, TRUNCATE ON audit_head FROM sistercity_app;
-- The log id and the training flag (which allows --as) are set by init only.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON settings, alembic_version FROM sistercity_app;
-- After a migration adds tables, run this file's GRANT and REVOKE lines again (they are
-- idempotent); never grant UPDATE, DELETE or TRUNCATE on audit_records.
