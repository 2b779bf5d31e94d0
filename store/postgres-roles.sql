-- PostgreSQL roles for sistercity: every officer connects with a login of their own, and the
-- server, not the client, says who is acting. Run as a superuser, in the application's
-- database, AFTER `sistercity init` has created the schema (run init, and every later upgrade,
-- as a login that is a member of sistercity_owner):
--
--   psql -v ON_ERROR_STOP=1 -d sistercity -f store/postgres-roles.sql
--
-- Then, per officer (the login named as pg_hba.conf authenticates it: peer, certificate or
-- password):
--
--   CREATE ROLE somchai LOGIN IN ROLE sistercity_officer;          -- every officer
--   CREATE ROLE admin1 LOGIN IN ROLE sistercity_officer_admin;     -- officers who manage officers
--   sistercity officer add somchai … --pg-login somchai             -- (or officer update)
--
-- sistercity_owner owns the tables and the trigger functions and runs migrations; nobody works
-- as it day to day: a login that owns the schema (or a superuser) is trusted by the checks below
-- because it could rewrite any row and drop any trigger anyway.
--
-- sistercity_officer is what officers' logins are members of. It reads everything, appends
-- audit records, adds documents, and inserts and updates cases and the read models; it cannot
-- UPDATE, DELETE or TRUNCATE audit_records, officers, settings or documents, nor write officers
-- or settings at all. The triggers installed by migration 0007 (store/pg_identity.py) check, in
-- the server, for every login that does not own the schema: an audit record's actor is the
-- officer whose pg_login is session_user (and holds the role the record names); a case changes
-- only together with its audit record, in one transaction; the audit head names the newest
-- record.
--
-- sistercity_officer_admin may also INSERT and UPDATE officers, and a trigger lets each such
-- write through only with the officer record of the same transaction, made in the admin's own
-- name. The product decides which officers manage officers (the `officers` action's roles in
-- the procedure definitions); grant this group only to their logins.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sistercity_owner') THEN
        CREATE ROLE sistercity_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sistercity_officer') THEN
        CREATE ROLE sistercity_officer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sistercity_officer_admin') THEN
        CREATE ROLE sistercity_officer_admin NOLOGIN IN ROLE sistercity_officer;
    END IF;
END $$;

-- Ownership: run `sistercity init` connected as a login role that is a member of
-- sistercity_owner, or hand over what a superuser created (every table and every function):
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
        EXECUTE format('ALTER TABLE public.%I OWNER TO sistercity_owner', t.tablename);
    END LOOP;
    FOR t IN SELECT p.oid::regprocedure AS fn FROM pg_proc p
              WHERE p.pronamespace = 'public'::regnamespace LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO sistercity_owner', t.fn);
    END LOOP;
END $$;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO sistercity_officer;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO sistercity_officer;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO sistercity_officer;
-- The audit log: append and read only; each record in the officer's own name (trigger).
GRANT INSERT ON audit_records TO sistercity_officer;
-- The head row is locked (SELECT … FOR UPDATE) and moved by every writer, to its newest record.
GRANT UPDATE ON audit_head TO sistercity_officer;
-- Documents are content-addressed: added, never changed.
GRANT INSERT ON documents TO sistercity_officer;
-- Cases: each insert or update only with its audit record (deferred trigger).
GRANT INSERT, UPDATE ON cases TO sistercity_officer;
-- Read models of the log and the follow-up records, written with their audit events.
GRANT INSERT, UPDATE ON case_facts, moves, activities, plans, mechanisms, ministry_mechanisms
    TO sistercity_officer;
-- Registrations: only officers who manage officers, only with their record (trigger).
GRANT INSERT, UPDATE ON officers TO sistercity_officer_admin;
-- settings (log id, training flag) and alembic_version: written by init only, as the owner.
-- The whole file may be run again, and must be after a migration adds tables. Never grant
-- UPDATE, DELETE or TRUNCATE on audit_records, officers, settings or documents.
