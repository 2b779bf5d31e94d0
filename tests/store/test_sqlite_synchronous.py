"""SQLite's sync mode is a setting: FULL by default, NORMAL when asked, nothing else.

WAL with ``synchronous=FULL`` syncs the log at every commit, so an acknowledged step survives a
power cut; NORMAL syncs only at checkpoints (faster commits, the database still consistent, but
the last acknowledged steps may be lost). README, "SQLite: durability and speed".
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from cli import cli
from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.database import SYNCHRONOUS_ENV, DatabaseUnavailable
from store.demo import OFFICERS
from store.verify import verify_database
from workflow import services
from workflow.model import NewCase


def _pragmas(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
        journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert sync is not None
    return int(sync), str(journal)


def test_full_is_the_default(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SYNCHRONOUS_ENV, raising=False)
    engine = make_engine(sqlite_url)
    init_database(engine, training=True)
    assert _pragmas(engine) == (2, "wal")  # 2 is FULL
    engine.dispose()


@pytest.mark.parametrize(("value", "expected"), [("NORMAL", 1), ("normal", 1), ("FULL", 2)])
def test_the_environment_chooses(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, value: str, expected: int
) -> None:
    monkeypatch.setenv(SYNCHRONOUS_ENV, value)
    engine = make_engine(sqlite_url)
    init_database(engine, training=True)
    assert _pragmas(engine) == (expected, "wal")
    engine.dispose()


def test_the_library_argument_wins_over_the_environment(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SYNCHRONOUS_ENV, "FULL")
    engine = make_engine(sqlite_url, synchronous="NORMAL")
    init_database(engine, training=True)
    assert _pragmas(engine) == (1, "wal")
    engine.dispose()


@pytest.mark.parametrize("value", ["OFF", "EXTRA", "0", "fast"])
def test_anything_else_is_refused_in_one_line(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(SYNCHRONOUS_ENV, value)
    with pytest.raises(DatabaseUnavailable, match=f"{SYNCHRONOUS_ENV}='{value}': use FULL"):
        make_engine(sqlite_url)


def test_the_command_line_refuses_a_bad_value_with_exit_code_1(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    result = CliRunner().invoke(
        cli, ["--db", str(db), "init", "--training"], env={SYNCHRONOUS_ENV: "OFF"}
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().count("\n") == 0 and SYNCHRONOUS_ENV in result.stderr
    assert "Traceback" not in result.output
    assert not db.exists()


def test_steps_under_normal_commit_and_verify(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url, synchronous="NORMAL")
    init_database(engine, training=True)
    uow = SqlAlchemyUnitOfWork(engine)
    now = dt.datetime(2024, 1, 2, 3, tzinfo=dt.UTC)
    for officer in OFFICERS:
        services.add_officer(uow, officer, None, now)
    actors = {o.id: o for o in OFFICERS}
    case = services.open_case(
        uow, actors["somchai"], NewCase("TH-50", "Kunming", "CN", "city", "MOU", "sister"), now
    )
    services.advance_case(uow, actors["somchai"], case.reference, "begin_study", {}, "", now)
    engine.dispose()
    again = make_engine(sqlite_url)
    assert verify_database(again).exit_code == 0
    again.dispose()
