"""PostgreSQL vouches for the officer: each officer connects with a login of their own, and the
server, not the client, decides who is acting.

Every test here runs on a database of its own, set up as the README says: ``sistercity init`` by a
login that owns the schema, ``store/postgres-roles.sql`` applied by a superuser (with this test's
own role names: roles are cluster-wide), and one login per officer, a member of the officers'
group (the admin's of the admins' group). Officers then work through the CLI and the library on
their own logins. The suite's server trusts 127.0.0.1, so any role may log in; real servers
authenticate them as ``pg_hba.conf`` says.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlalchemy import Engine, create_engine, make_url, text

from cli import cli, os_login
from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.database import DatabaseRefused
from store.demo import FOLLOW_UP, OFFICERS, STEPS
from store.pg_identity import TRIGGERS, installed
from tests.store.test_statements import at, statements
from workflow import services
from workflow.model import Actor, NewCase

pytestmark = pytest.mark.postgres

ROLES_SQL = Path(__file__).resolve().parents[2] / "store" / "postgres-roles.sql"
CLEAN_ENV: dict[str, str | None] = {"SISTERCITY_DB": None, "SISTERCITY_OFFICER": None}
Clock = Callable[[], dt.datetime]


@dataclass
class Site:
    """A PostgreSQL database set up for officers' own logins."""

    url: str  # the superuser's, which owns everything
    suffix: str
    owner: str
    group: str
    logins: dict[str, str]  # officer id -> their PostgreSQL login
    engines: dict[str, Engine] = field(default_factory=dict)

    def login_url(self, officer: str) -> str:
        return make_url(self.url).set(username=self.logins[officer]).render_as_string(False)

    def engine(self, officer: str) -> Engine:
        if officer not in self.engines:
            self.engines[officer] = make_engine(self.login_url(officer))
        return self.engines[officer]

    def uow(self, officer: str) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine(officer))

    def me(self, officer: str) -> Actor:
        """The officer as the server vouches for them (whatever the OS login is)."""
        return services.resolve_actor(self.uow(officer), "whoever")

    def cli(self, officer: str, *args: str, as_: str | None = None) -> Result:
        argv = ["--db", self.login_url(officer)] + (["--as", as_] if as_ else [])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            result = CliRunner().invoke(cli, [*argv, *args], env=CLEAN_ENV)
            gc.collect()
        return result

    def sql(self, officer: str, statement: str, **params: Any) -> None:
        """Run one statement on the officer's own login and commit it."""
        with self.engine(officer).begin() as conn:
            conn.execute(text(statement), params)

    def count(self, table: str) -> int:
        with self.superuser() as conn:
            return int(conn.scalar(text(f"SELECT count(*) FROM {table}")))

    def superuser(self) -> sa.Connection:
        return _engine(self.url).connect()


_ENGINES: dict[str, Engine] = {}


def _engine(url: str) -> Engine:
    if url not in _ENGINES:
        _ENGINES[url] = create_engine(url)
    return _ENGINES[url]


def _run_script(conn: sa.Connection, script: str) -> None:
    # As psql would run it: the raw driver, no parameter parsing of format('%I').
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.cursor().execute(script)


def roles_script(owner: str, group: str) -> str:
    """``store/postgres-roles.sql`` with this test's role names (the admins' group is
    ``GROUP_admin``)."""
    return (
        ROLES_SQL.read_text()
        .replace("sistercity_owner", owner)
        .replace("sistercity_officer", group)
    )


@pytest.fixture
def site() -> Iterator[Site]:
    base = os.environ.get("SISTERCITY_TEST_PG_URL")
    if not base:
        pytest.skip("SISTERCITY_TEST_PG_URL not set")
    suffix = uuid.uuid4().hex[:10]
    name = f"sc_test_{suffix}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    logins = {o.id: f"sc_{suffix}_{o.id.replace('-', '_')}" for o in OFFICERS}
    site = Site(url, suffix, f"sc_own_{suffix}", f"sc_off_{suffix}", logins)
    try:
        engine = make_engine(url)
        init_database(engine, training=True)  # --as would be allowed here, for the owner
        start = dt.datetime(2024, 1, 2, 3, 0, tzinfo=dt.UTC)
        for officer in OFFICERS:  # the bootstrap registers, then the admin would
            services.add_officer(
                SqlAlchemyUnitOfWork(engine),
                Actor(**{**officer.__dict__, "pg_login": logins[officer.id]}),
                None,
                start,
            )
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{site.owner}" NOLOGIN'))
        with _engine(url).begin() as conn:
            _run_script(conn, roles_script(site.owner, site.group))
        with admin.connect() as conn:
            for officer_id, login in logins.items():
                group = f"{site.group}_admin" if officer_id == "admin" else site.group
                conn.execute(text(f'CREATE ROLE "{login}" LOGIN IN ROLE "{group}"'))
        yield site
    finally:
        for engine in [*site.engines.values(), *_ENGINES.values()]:
            engine.dispose()
        _ENGINES.clear()
        with admin.connect() as conn:
            # The database first: roles that own objects in it cannot be dropped before.
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for role in [*logins.values(), f"{site.group}_admin", site.group, site.owner]:
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


@pytest.fixture
def clock() -> Clock:
    moments = iter(
        dt.datetime(2024, 2, 1, 3, 0, tzinfo=dt.UTC) + dt.timedelta(hours=h) for h in range(1000)
    )
    return lambda: next(moments)


def open_case(site: Site, clock: Clock) -> str:
    new = NewCase("TH-50", "Guangzhou", "CN", "city", "LOI", "friendship")
    return services.open_case(site.uow("somchai"), site.me("somchai"), new, clock()).reference


def audit_rows(site: Site) -> list[tuple[int, str, str]]:
    with site.superuser() as conn:
        rows = conn.execute(text("SELECT seq, kind, actor_id FROM audit_records ORDER BY seq"))
        return [(r.seq, r.kind, r.actor_id) for r in rows]


def case_row(site: Site, reference: str) -> tuple[str, int, str]:
    with site.superuser() as conn:
        row = conn.execute(
            text("SELECT state, row_version, partner_name FROM cases WHERE reference = :r"),
            {"r": reference},
        ).one()
    return (row.state, row.row_version, row.partner_name)


def one_line_refusal(result: Result) -> str:
    assert result.exit_code == 1, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    message = result.stderr.strip()
    assert message.startswith("Error: ") and "\n" not in message, message
    assert "Traceback" not in result.output
    return message


def verify_intact(site: Site) -> None:
    result = site.cli("auditor", "audit", "verify", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, report["problems"]


# ---------------------------------------------------------------------- set-up
def test_init_installs_the_checks_and_an_upgrade_puts_them_back(site: Site) -> None:
    """``init`` by the owner installs the server's identity checks (migration 0007)."""
    from alembic import command

    from store.schema import alembic_config

    with site.superuser() as conn:
        assert installed(conn) == list(TRIGGERS.values())
    engine = make_engine(site.url)
    try:
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0006")
            assert installed(conn) == []
        init_database(engine)  # the upgrade
        with engine.connect() as conn:
            assert installed(conn) == list(TRIGGERS.values())
    finally:
        engine.dispose()


def test_verify_names_an_identity_trigger_disabled_by_the_owner(site: Site) -> None:
    """The owner could switch a check off; ``audit verify`` says so."""
    verify_intact(site)
    with site.superuser() as conn:
        conn.execute(text("ALTER TABLE cases DISABLE TRIGGER cases_recorded"))
        conn.commit()
    result = site.cli("auditor", "audit", "verify", "--json")
    assert result.exit_code == 1
    problems = [p["detail"] for p in json.loads(result.stdout)["problems"]]
    assert problems == ["identity trigger(s) missing or disabled: cases_recorded"]


def test_the_roles_script_can_be_run_again(site: Site) -> None:
    """After a migration adds tables the file is run again, whole."""
    with site.superuser() as conn:
        _run_script(conn, roles_script(site.owner, site.group))
        conn.commit()
        owners = conn.execute(
            text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        assert list(owners) == [site.owner]
    assert site.me("somchai").id == "somchai"


# ---------------------------------------------------------------------- (a) no acting as another
def test_an_officers_login_is_who_they_are_whatever_the_client_says(site: Site) -> None:
    """The OS login and --as are not trusted on PostgreSQL: the server names the officer."""
    # malee is registered for the OS login this test runs under: on SQLite that would be her.
    given = site.cli("admin", "officer", "update", "malee", "--os-user", os_login())
    assert given.exit_code == 0, given.output
    who = site.cli("somchai", "whoami")
    assert who.exit_code == 0, who.output
    assert who.stdout.startswith("somchai (province_officer; TH-50) as PostgreSQL login sc_")
    # Even in a training database, --as another officer is refused for an officer's login.
    before = audit_rows(site)
    message = one_line_refusal(site.cli("somchai", "whoami", as_="malee"))
    assert "--as malee is refused: you are connected to PostgreSQL as" in message
    assert audit_rows(site) == before
    # --as naming oneself is harmless.
    assert site.cli("somchai", "whoami", as_="somchai").exit_code == 0


def test_a_step_as_another_officer_is_refused_through_the_cli(site: Site, clock: Clock) -> None:
    reference = open_case(site, clock)
    for _day, officer, trigger, fields, note in STEPS[:2]:
        services.advance_case(site.uow(officer), site.me(officer), reference, trigger,
                              fields, note, clock())  # fmt: skip
    before, case = audit_rows(site), case_row(site, reference)
    # malee's step (committee_return), tried by somchai with --as.
    message = one_line_refusal(
        site.cli("somchai", "case", "advance", reference, "committee_return", as_="malee")
    )
    assert "--as malee is refused" in message
    assert audit_rows(site) == before and case_row(site, reference) == case
    # Without --as, the step is somchai's own, and the app refuses it for his role: one
    # ``denied`` record, in his name.
    given = ["--field", "committee_resolution_no=3/2564",
             "--field", "committee_resolution_date=2021-06-24"]  # fmt: skip
    step = ["case", "advance", reference, "committee_return", *given]
    one_line_refusal(site.cli("somchai", *step))
    after = audit_rows(site)
    assert after[: len(before)] == before
    assert [(kind, actor) for _seq, kind, actor in after[len(before) :]] == [("denied", "somchai")]
    assert case_row(site, reference) == case
    verify_intact(site)


def test_the_library_passing_another_officers_actor_is_refused_by_the_server(
    site: Site, clock: Clock
) -> None:
    reference = open_case(site, clock)
    for _day, officer, trigger, fields, note in STEPS[:2]:
        services.advance_case(site.uow(officer), site.me(officer), reference, trigger,
                              fields, note, clock())  # fmt: skip
    before, case = audit_rows(site), case_row(site, reference)
    malee = site.me("malee")
    _day, _officer, trigger, fields, note = STEPS[2]
    # somchai's connection, malee's Actor (even with malee's login in its os_user).
    with pytest.raises(DatabaseRefused, match="may not record an event as officer malee"):
        services.advance_case(site.uow("somchai"), malee, reference, trigger, fields, note,
                              clock())  # fmt: skip
    assert audit_rows(site) == before and case_row(site, reference) == case
    # The same Actor on malee's own login goes through.
    services.advance_case(site.uow("malee"), malee, reference, trigger, fields, note, clock())
    verify_intact(site)


def test_a_record_naming_a_role_not_held_or_another_login_is_refused(
    site: Site, clock: Clock
) -> None:
    reference = open_case(site, clock)
    me = site.me("somchai")
    # His Actor, claiming the admin role, to register an officer: the server knows better.
    claimed = Actor(**{**me.__dict__, "roles": frozenset({"admin"})})
    mole = Actor("mole", "X", frozenset({"admin"}))
    with pytest.raises(DatabaseRefused, match="does not hold the role admin"):
        services.add_officer(site.uow("somchai"), mole, claimed, clock())
    other_login = Actor(**{**me.__dict__, "os_user": site.logins["malee"]})
    with pytest.raises(DatabaseRefused, match="must name that login"):
        services.advance_case(site.uow("somchai"), other_login, reference, "begin_study", {},
                              "", clock())  # fmt: skip
    assert [kind for _s, kind, _a in audit_rows(site)].count("officer") == len(OFFICERS)
    verify_intact(site)


# ---------------------------------------------------------------------- (b) no raising roles
def test_an_officer_cannot_change_officers_or_settings(site: Site) -> None:
    roles_before = site.count("officers")
    for statement in (
        "UPDATE officers SET roles = '[\"admin\"]' WHERE id = 'somchai'",
        "UPDATE officers SET pg_login = NULL WHERE id = 'malee'",
        "INSERT INTO officers (id, name, roles, deputy, created_at, retired) "
        "VALUES ('mole', 'x', '[\"admin\"]', false, '', false)",
        "DELETE FROM officers WHERE id = 'auditor'",
        "UPDATE settings SET value = '1' WHERE key = 'training'",
        "INSERT INTO settings (key, value) VALUES ('x', 'y')",
        "UPDATE audit_records SET actor_id = 'admin'",
        "DELETE FROM audit_records",
        "UPDATE documents SET content = ''",
        "DELETE FROM cases",
        "DROP TRIGGER cases_recorded ON cases",
    ):
        with pytest.raises(sa.exc.ProgrammingError, match=r"permission denied|must be owner"):
            site.sql("somchai", statement)
    assert site.count("officers") == roles_before
    verify_intact(site)


def test_not_even_an_admins_login_changes_a_registration_without_its_record(site: Site) -> None:
    with pytest.raises(sa.exc.ProgrammingError, match="only with its officer record"):
        site.sql("admin", "UPDATE officers SET roles = '[\"admin\"]' WHERE id = 'somchai'")
    # A forged officer record in the admin's own name does not pass for another registration.
    with pytest.raises(sa.exc.ProgrammingError, match="only with its officer record"):
        site.sql("admin", "UPDATE officers SET audit_seq = 2 WHERE id = 'somchai'")
    # Through the product: one officer record, in the admin's name, and the row with it.
    done = site.cli("admin", "officer", "update", "somchai", "--role", "province_officer",
                    "--role", "province_head")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert site.me("somchai").roles == {"province_officer", "province_head"}
    verify_intact(site)


def test_an_officer_who_is_not_an_admin_is_refused_with_a_record(site: Site) -> None:
    before = audit_rows(site)
    one_line_refusal(site.cli("somchai", "officer", "update", "somchai", "--role", "admin"))
    after = audit_rows(site)
    assert [(k, a) for _s, k, a in after[len(before) :]] == [("denied", "somchai")]
    assert site.me("somchai").roles == {"province_officer"}
    verify_intact(site)


def test_an_admin_role_without_the_admins_login_group_is_refused_by_the_server(
    site: Site,
) -> None:
    """The product says who may manage officers; the server lets only the admins' group write
    them: both must agree. A refusal by the server is one line and writes nothing."""
    # auditor is given the admin role by the admin, but their login is not in the admins' group.
    assert site.cli("admin", "officer", "update", "auditor", "--role", "admin").exit_code == 0
    before = audit_rows(site)
    message = one_line_refusal(
        site.cli("auditor", "officer", "add", "mole", "--name", "X", "--role", "admin")
    )
    assert "the database refused this: permission denied for table officers" in message
    assert audit_rows(site) == before
    verify_intact(site)


# ---------------------------------------------------------------------- (c) no unrecorded change
def test_an_officer_cannot_change_a_case_without_its_record(site: Site, clock: Clock) -> None:
    reference = open_case(site, clock)
    case = case_row(site, reference)
    for statement in (
        "UPDATE cases SET state = 'active' WHERE reference = :r",
        "UPDATE cases SET partner_name = 'Elsewhere' WHERE reference = :r",
        "UPDATE cases SET row_version = row_version + 1 WHERE reference = :r",
    ):
        with pytest.raises(sa.exc.ProgrammingError, match="only with its audit record"):
            site.sql("somchai", statement, r=reference)
    with pytest.raises(sa.exc.ProgrammingError, match="only with its audit record"):
        site.sql(
            "somchai",
            "INSERT INTO cases (reference, procedure, version, definition_sha256, state, province,"
            " partner_name, partner_country, partner_level, instrument, label, opened_at,"
            " opened_by, state_since, trigger_actors, row_version) SELECT 'SC-2567-9999',"
            " procedure, version, definition_sha256, state, province, partner_name,"
            " partner_country, partner_level, instrument, label, opened_at, opened_by,"
            " state_since, trigger_actors, 1 FROM cases WHERE reference = :r",
            r=reference,
        )
    # Nor with a record of another transaction, or one leaving another state.
    with pytest.raises(sa.exc.ProgrammingError, match="audit head may only name"):
        site.sql("somchai", "UPDATE audit_head SET seq = seq - 1")
    assert case_row(site, reference) == case
    verify_intact(site)


# ---------------------------------------------------------------------- (d) the walk
def test_the_whole_walk_on_officers_own_logins_verifies(site: Site, tmp_path: Path) -> None:
    new = NewCase("TH-50", "Guangzhou", "CN", "city", "LOI", "friendship")
    reference = services.open_case(
        site.uow("somchai"), site.me("somchai"), new, at("2021-05-10")
    ).reference
    for day, officer, trigger, fields, note in (*STEPS, *FOLLOW_UP):
        record = services.advance_case(
            site.uow(officer), site.me(officer), reference, trigger, fields, note, at(day)
        )
        assert (record.actor_id, record.os_user) == (officer, site.logins[officer])
    # The CLI too: a second case opened and moved by somchai, the sweep by its service officer.
    opened = site.cli("somchai", "case", "open", "--province", "TH-50", "--partner", "Nagano",
                      "--country", "JP", "--level", "prefecture", "--json")  # fmt: skip
    assert opened.exit_code == 0, opened.output
    second = json.loads(opened.stdout)["reference"]
    moved = site.cli("somchai", "case", "advance", second, "begin_study")
    assert moved.exit_code == 0, moved.output
    # Documents kept with a step: added by the officer's login, never changed.
    papers = []
    for name in ("suitability_study", "working_group_minutes", "draft_mou_th", "draft_mou_en",
                 "action_plan"):  # fmt: skip
        (tmp_path / f"{name}.pdf").write_text(f"{name} นากาโน", encoding="utf-8")
        papers += ["--field", f"{name}={tmp_path / f'{name}.pdf'}"]
    kept = site.cli("somchai", "case", "advance", second, "submit_to_committee", *papers,
                    "--keep-documents")  # fmt: skip
    assert kept.exit_code == 0, kept.output
    assert site.count("documents") == 5
    swept = site.cli("sweeper", "sweep", "--json")
    assert swept.exit_code == 0, swept.output
    assert [a["reference"] for a in json.loads(swept.stdout)["fired"]] == [reference]
    history = site.cli("auditor", "case", "history", reference, "--json")
    assert history.exit_code == 0, history.output
    verify_intact(site)


def test_an_officers_own_login_costs_two_statements_to_check(site: Site) -> None:
    """The server's word and the officer linked to it come in one statement; then, as on
    SQLite, any later event of the officer."""
    uow = site.uow("malee")
    counts = statements(site.engine("malee"), lambda: services.resolve_actor(uow, "whoever"))
    assert counts == Counter({"SELECT connected": 1, "SELECT audit_records": 1})
