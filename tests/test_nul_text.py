"""A NUL character (0x00) in text is refused where it comes in, on every backend, in one line.

PostgreSQL cannot keep NUL in a text column, and SQLite would keep it silently: either way the
character is never what an officer meant (it comes from a damaged file or a careless export). So
an import row, a partner's name or a note holding one is refused before anything is written, with
the column or the field named, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store import SqlAlchemyUnitOfWork, make_engine
from store.core_tables import AUDIT_RECORDS, CASES
from workflow import services
from workflow.errors import InvalidInput, MissingFields
from workflow.model import Actor, NewCase

HEADER = (
    "province,partner_name,partner_country,partner_level,instrument,label,signed_on,status,source"
)


def _counts(db: str) -> tuple[int, int]:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            cases = conn.execute(select(func.count()).select_from(CASES)).scalar_one()
            records = conn.execute(select(func.count()).select_from(AUDIT_RECORDS)).scalar_one()
            return int(cases), int(records)
    finally:
        engine.dispose()


def test_an_import_row_with_nul_is_refused_in_one_line(
    officers: dict[str, Actor], db_url: str, tmp_path: Path
) -> None:
    """The console script, as an officer runs it: exit 1, one line naming line and column."""
    register = tmp_path / "register.csv"
    register.write_bytes(
        f"{HEADER}\nTH-50,Kun\x00ming,CN,city,MOU,sister,2020-01-01,active,register\n".encode()
    )
    before = _counts(db_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    env.update(SISTERCITY_DB=db_url, SISTERCITY_OFFICER="anong", SISTERCITY_LANG="en")
    done = subprocess.run(
        [shutil.which("sistercity") or "sistercity", "import", "relationships", str(register)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "line 2, partner_name: contains a NUL character (0x00)" in done.stderr
    assert _counts(db_url) == before


def test_a_partner_name_or_note_with_nul_is_refused(
    uow: SqlAlchemyUnitOfWork, officers: dict[str, Actor], db_url: str
) -> None:
    now = dt.datetime(2024, 1, 3, 3, 0, tzinfo=dt.UTC)
    somchai = officers["somchai"]
    before = _counts(db_url)
    with pytest.raises(InvalidInput, match="the partner's name contains a NUL character"):
        services.open_case(
            uow, somchai, NewCase("TH-50", "Kun\x00ming", "CN", "city", "MOU", "sister"), now
        )
    case = services.open_case(
        uow, somchai, NewCase("TH-50", "Kunming", "CN", "city", "MOU", "sister"), now
    )
    opened = _counts(db_url)
    assert opened == (before[0] + 1, before[1] + 1)
    with pytest.raises(MissingFields, match="note: contains a NUL character"):
        services.advance_case(uow, somchai, case.reference, "begin_study", {}, "see\x00file", now)
    assert _counts(db_url) == opened
