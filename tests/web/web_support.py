"""Helpers for the web view's tests: a small national picture.

A Chiang Mai relationship walked to ``active`` with stored evidence and a plan, a Bangkok
proposal left overdue whose partner name is markup, officers of both provinces and of the
ministry, and a signed head export.

Pages are read through Starlette's test client as the reverse proxy would call them (from
127.0.0.1, with the trusted header naming an officer's login).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from store import SqlAlchemyUnitOfWork as FollowupUnitOfWork
from store.audit import export_head
from store.demo import OFFICERS, STEPS
from workflow import followup, services
from workflow.model import Actor, NewCase
from workflow.thaidate import BANGKOK

HEADER = "X-Remote-User"
XSS = "<script>alert('x')</script> Metro"

#: Viewers, registered with the login the proxy sends.
VIEWERS = (
    Actor("cm-viewer", "เจ้าหน้าที่เชียงใหม่", frozenset({"province_officer"}), "TH-50", "cm"),
    Actor("bkk-viewer", "เจ้าหน้าที่กรุงเทพฯ", frozenset({"province_officer"}), "TH-10", "bkk"),
    Actor("audit-viewer", "ผู้ตรวจสอบ", frozenset({"auditor"}), None, "aud"),
    Actor("fad-viewer", "ผู้อำนวยการ", frozenset({"moi_director"}), None, "dir"),
)


def at(day: str, hour: int = 10) -> dt.datetime:
    """Bangkok *hour* o'clock on *day*, as UTC."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), BANGKOK).astimezone(
        dt.UTC
    )


#: The view's clock: 1 June 2025 (FY 2568), Bangkok noon.
NOW = at("2025-06-01", 12)


@dataclass(frozen=True)
class Site:
    """The database and what the tests look for in it."""

    engine: Engine
    db: str
    chiang_mai: str
    bangkok: str
    evidence_sha256: str
    evidence: bytes


def build_site(engine: Engine, db: str, tmp_path: Path) -> Site:
    """Fill an initialised training database (see the module docstring)."""
    uow = FollowupUnitOfWork(engine)
    start = at("2021-01-04")
    admin = next(o for o in OFFICERS if o.id == "admin")
    services.add_officer(uow, admin, None, start)
    for officer in (*[o for o in OFFICERS if o.id != "admin"], *VIEWERS):
        services.add_officer(uow, officer, admin, start)
    people = {o.id: o for o in OFFICERS}
    cm = services.open_case(
        uow,
        people["somchai"],
        NewCase("TH-50", "Guangzhou", "CN", "city", "LOI", "friendship"),
        at("2021-05-10"),
    )
    for day, who, trigger, fields, note in STEPS:
        services.advance_case(uow, people[who], cm.reference, trigger, fields, note, at(day))
    evidence = "ภาพกิจกรรมยี่เป็ง".encode()
    photo = tmp_path / "yi-peng.jpg"
    photo.write_bytes(evidence)
    followup.record_activity(
        uow,
        people["somchai"],
        cm.reference,
        followup.ActivityInput(dt.date(2024, 11, 15), "culture", "ยี่เป็ง", True, "50000"),
        [photo],
        "",
        at("2024-11-20"),
    )
    plan = tmp_path / "plan-2568.pdf"
    plan.write_bytes(b"plan 2568")
    followup.set_plan(
        uow, people["somchai"], cm.reference, 2568, "1200000", plan, at("2024-12-01")
    )
    bkk_officer = Actor("bkk-opener", "ผู้เปิดเรื่อง", frozenset({"province_officer"}), "TH-10")
    services.add_officer(uow, bkk_officer, admin, start)
    bkk = services.open_case(
        uow,
        bkk_officer,
        NewCase("TH-10", XSS, "JP", "city", "MOU", "sister"),
        at("2024-01-10"),
    )
    export_head(engine, people["auditor"], at("2025-01-05"), Ed25519PrivateKey.generate())
    return Site(
        engine, db, cm.reference, bkk.reference, hashlib.sha256(evidence).hexdigest(), evidence
    )


def make_app(site: Site, **config: object) -> Starlette:
    """The application over *site*, behind a proxy by default, clock fixed at ``NOW``."""
    from web import WebConfig, create_app

    options: dict[str, object] = {
        "db": site.db,
        "trusted_header": HEADER,
        "verify_every": 0,
        "clock": lambda: NOW,
    }
    options.update(config)
    return create_app(WebConfig(**options))  # type: ignore[arg-type]


@contextmanager
def opened(site: Site, **config: object) -> Iterator[Starlette]:
    """``make_app`` with its database connections returned afterwards."""
    app = make_app(site, **config)
    try:
        yield app
    finally:
        app.state.web.library.close()


def client(app: Starlette, login: str | None = "aud", peer: str = "127.0.0.1") -> TestClient:
    """A test client calling as the proxy on *peer* would, naming *login*."""
    headers = {HEADER: login} if login else {}
    return TestClient(app, base_url="http://127.0.0.1", client=(peer, 40000), headers=headers)
