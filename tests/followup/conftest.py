"""Follow-up fixtures: a follow-up unit of work and quick ways to have active relationships."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from store import SqlAlchemyUnitOfWork
from store.demo import STEPS
from workflow import importer, services
from workflow.model import Actor, NewCase
from workflow.thaidate import BANGKOK

DATA = Path(__file__).parent.parent / "data"
SAMPLE = DATA / "relationships-sample.csv"
HEADER = (
    "province,partner_name,partner_country,partner_level,instrument,label,signed_on,status,source"
)


def at(day: str | dt.date, hour: int = 10) -> dt.datetime:
    """Bangkok *hour* o'clock on *day*, as an aware UTC timestamp."""
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return dt.datetime.combine(d, dt.time(hour), BANGKOK).astimezone(dt.UTC)


def doc(name: str) -> dict[str, Any]:
    """A document record for an in-memory document."""
    data = name.encode()
    return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def csv_bytes(rows: Sequence[str]) -> bytes:
    """A CSV file in the import format."""
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


@pytest.fixture
def fuow(engine: Engine) -> SqlAlchemyUnitOfWork:
    """A follow-up unit of work on the test database (SQLite, then PostgreSQL)."""
    return SqlAlchemyUnitOfWork(engine)


def import_rows(
    fuow: SqlAlchemyUnitOfWork, actor: Actor, rows: Sequence[str], now: dt.datetime
) -> list[str]:
    """Import CSV rows; the new case references in row order."""
    result = importer.import_relationships(fuow, actor, csv_bytes(rows), "t.csv", now)
    return [ref for _, ref in result.created]


def walk_to_active(
    fuow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], term_years: int | None = None
) -> str:
    """The demo proposal (Chiang Mai–Guangzhou) walked to ``active``; signed 31 March 2024."""
    case = services.open_case(
        fuow,
        officers["somchai"],
        NewCase("TH-50", "Guangzhou", "CN", "city", "LOI", "friendship"),
        at("2021-05-10"),
    )
    for day, officer, trigger, fields, note in STEPS:
        values = dict(fields)
        if trigger == "record_signing" and term_years:
            values["term_years"] = str(term_years)
        services.advance_case(
            fuow, officers[officer], case.reference, trigger, values, note, at(day)
        )
    return case.reference
