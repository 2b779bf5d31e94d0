"""The audit page's exports are the text ``audit export`` writes: the CSV neutralised against
formula injection like every CSV the product writes, the JSON Lines raw."""

from __future__ import annotations

import csv
import io

from starlette.applications import Starlette

from store import SqlAlchemyUnitOfWork
from store.audit import export_log
from store.demo import OFFICERS
from tests.web.web_support import Site, at, client
from workflow import services
from workflow.model import NewCase

NOTES = ('=HYPERLINK("http://x","y")', "@SUM(1,1)", "-2+3", "ok")


def test_exports_are_the_command_s_text(app: Starlette, site: Site) -> None:
    somchai = next(o for o in OFFICERS if o.id == "somchai")
    uow = SqlAlchemyUnitOfWork(site.engine)
    for n, note in enumerate(NOTES):
        new = NewCase("TH-50", "Hue", "VN", "city", "MOU", "sister")
        services.open_case(uow, somchai, new, at("2025-01-06", 9 + n), note=note)
    served: dict[str, str] = {}
    for fmt in ("csv", "jsonl"):
        command = io.StringIO(newline="")
        export_log(site.engine, fmt, command)  # before the page's export adds its own record
        served[fmt] = client(app).get(f"/audit/export.{fmt}").content.decode("utf-8")
        assert served[fmt] == command.getvalue()
    rows = list(csv.DictReader(io.StringIO(served["csv"], newline="")))
    assert [r["note"] for r in rows[-len(NOTES) :]] == ["'" + n for n in NOTES[:3]] + ["ok"]
