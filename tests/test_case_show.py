"""``case show`` says how long the case has been in its step and whether it is overdue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner

from cli import cli
from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import OFFICERS
from workflow import services
from workflow.model import NewCase


def test_show_reports_days_in_step_and_overdue(tmp_path: Path, runner: CliRunner) -> None:
    db = str(tmp_path / "t.db")
    engine = make_engine(db)
    init_database(engine, training=True)
    uow = SqlAlchemyUnitOfWork(engine)
    long_ago = dt.datetime(2020, 1, 6, 3, tzinfo=dt.UTC)
    for officer in OFFICERS:
        services.add_officer(uow, officer, None, long_ago)
    somchai = next(o for o in OFFICERS if o.id == "somchai")
    old = services.open_case(
        uow, somchai, NewCase("TH-50", "Chengdu", "CN", "city", "MOU", "sister"), long_ago
    )
    engine.dispose()
    fresh = runner.invoke(cli, ["--db", db, "--as", "somchai", "case", "open", "--province",
                                "TH-50", "--partner", "Xiamen", "--country", "CN", "--level",
                                "city", "--json"])  # fmt: skip
    assert fresh.exit_code == 0, fresh.output

    shown = runner.invoke(cli, ["--db", db, "case", "show", old.reference])
    assert shown.exit_code == 0, shown.output
    assert "expected within 60; OVERDUE by" in shown.output

    new_ref = next(line for line in fresh.output.splitlines() if '"reference"' in line)
    reference = new_ref.split('"')[3]
    on_time = runner.invoke(cli, ["--db", db, "case", "show", reference])
    assert "(0 days; expected within 60)" in on_time.output
