"""The audit page: the last verification, the signed head, and exports that are audit events."""

from __future__ import annotations

import csv
import io
import json
import time

from sqlalchemy import create_engine, text
from starlette.applications import Starlette

from store import SqlAlchemyUnitOfWork, database_url
from store.verify import COLUMNS, verify_database
from tests.web.web_support import Site, client, opened


def _records(site: Site) -> int:
    with SqlAlchemyUnitOfWork(site.engine) as uow:
        return sum(1 for _ in uow.audit.iter_all())


def test_verification_and_signed_head_are_shown(app: Starlette, site: Site) -> None:
    c = client(app)
    assert "--verify-every 0" in c.get("/audit").text  # this server never verifies by itself
    app.state.web.verifier.run_once()
    english = c.get("/audit?lang=en").text
    assert "Intact" in english
    assert f"<dd>{_records(site)}</dd>" in english
    head = english.split('id="head-h"')[1].split("</section>")[0]
    assert "Latest signed head export" in head and "auditor" in head
    assert "None yet" not in head


def test_a_broken_chain_is_reported(app: Starlette, site: Site) -> None:
    attacker = create_engine(database_url(site.db))  # like the sqlite3 shell: no authorizer
    with attacker.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_records_no_update")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_records DISABLE TRIGGER USER")
        conn.execute(text("UPDATE audit_records SET note = 'edited' WHERE seq = 3"))
    attacker.dispose()
    app.state.web.verifier.run_once()
    english = client(app).get("/audit?lang=en").text
    assert "Integrity failure" in english and "#3" in english


def test_an_export_is_an_audit_event_describing_what_it_holds(app: Starlette, site: Site) -> None:
    before = _records(site)
    response = client(app).get("/audit/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    seq = int(response.headers["x-audit-export-seq"])
    assert seq == before + 1
    rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(rows[0]) == COLUMNS
    assert [int(r[0]) for r in rows[1:]] == list(range(1, before + 1))  # the log just before
    with SqlAlchemyUnitOfWork(site.engine) as uow:
        event = list(uow.audit.iter_all())[seq - 1]  # read to the end: no cursor left open
    assert event.kind == "head_export" and event.trigger == "log_export"
    assert event.actor_id == "audit-viewer" and event.actor_role == "auditor"
    assert event.os_user == "aud"
    assert event.fields["size"] == before and event.fields["format"] == "csv"
    assert verify_database(site.engine).exit_code == 0  # the verifier checks it like a head export


def test_a_filtered_jsonl_export_names_its_filter(app: Starlette, site: Site) -> None:
    response = client(app).get(f"/audit/export.jsonl?case={site.bangkok}&since=2567-01-01")
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["case_reference"] for line in lines] == [site.bangkok]
    assert set(lines[0]) == set(COLUMNS)
    with SqlAlchemyUnitOfWork(site.engine) as uow:
        event = list(uow.audit.iter_all())[-1]
    assert event.fields["format"] == "jsonl"
    assert event.fields["filter"] == {"case": site.bangkok, "since": "2024-01-01"}


def test_a_province_officers_export_is_scoped_and_recorded(app: Starlette, site: Site) -> None:
    response = client(app, "cm").get("/audit/export.csv")
    with SqlAlchemyUnitOfWork(site.engine) as uow:
        event = list(uow.audit.iter_all())[-1]
    assert event.actor_id == "cm-viewer" and event.fields["filter"] == {"province": "TH-50"}
    assert site.bangkok not in response.text


def test_asking_about_an_export_is_not_an_export(app: Starlette, site: Site) -> None:
    before = _records(site)
    assert client(app).head("/audit/export.csv").status_code == 200
    assert _records(site) == before


def test_the_server_verifies_in_the_background(site: Site) -> None:
    with opened(site, verify_every=3600) as app, client(app) as c:  # runs the lifespan
        verifier = app.state.web.verifier
        deadline = time.monotonic() + 30
        while verifier.latest is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert verifier.latest is not None and verifier.latest.result is not None
        assert verifier.latest.result.exit_code == 0
        assert "Intact" in c.get("/audit?lang=en").text
