"""Dates follow the case's history: a step's date may not be earlier than the dates the case's
earlier steps recorded (a signing before the Cabinet resolution it rests on), nor in the future.

The rule is derived from the case's records, so no released definition changes. A refusal is
invalid input: exit 1, nothing written, no ``denied`` record. Activities are occurrences of
their own: recorded late or out of order among themselves, they are accepted, but not before the
signing. On SQLite and PostgreSQL, through the command line.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from states import load_procedure
from store import SqlAlchemyUnitOfWork
from store.demo import STEPS
from tests.cli_support import Cli, field_args
from workflow import services
from workflow.chronology import check_dates
from workflow.errors import DatesOutOfOrder
from workflow.model import Actor, NewCase
from workflow.thaidate import BANGKOK

#: Through the Cabinet's approval (resolution of 19 December 2023): the case awaits signing.
TO_SIGNING = STEPS[:11]
SIGNING = next(s for s in STEPS if s[2] == "record_signing")


def _at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10), BANGKOK).astimezone(dt.UTC)


def _approved(engine: Engine, officers: dict[str, Actor]) -> str:
    uow = SqlAlchemyUnitOfWork(engine)
    case = services.open_case(
        uow, officers["somchai"], NewCase("TH-50", "Guangzhou", "CN", "city", "LOI", "friendship"),
        _at("2021-05-10"), version=1,
    )  # fmt: skip
    for day, officer, trigger, fields, note in TO_SIGNING:
        services.advance_case(uow, officers[officer], case.reference, trigger, fields, note,
                              _at(day))  # fmt: skip
    return case.reference


def _records(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM audit_records ORDER BY seq"))]


def _signing(tmp_path: Path, signed_on: str) -> list[str]:
    fields = {**SIGNING[3], "signed_on": signed_on}
    return field_args(fields, tmp_path / "docs")[0]


def test_a_signing_dated_before_the_cabinet_resolution_is_refused(
    engine: Engine, db_url: str, officers: dict[str, Actor], tmp_path: Path
) -> None:
    reference = _approved(engine, officers)
    c = Cli(db_url)
    before = _records(engine)
    message = c.refused(
        "case", "advance", reference, "record_signing", *_signing(tmp_path, "2023-12-01"),
        as_="governor-cm",
    )  # fmt: skip
    assert (
        "signed_on 2023-12-01 of 'record_signing' is earlier than cabinet_resolution_date "
        "2023-12-19 recorded by 'record_cabinet_approval'"
    ) in message
    # Only the dates it precedes are named (the MFA's opinion of 2021 is not).
    assert "mfa_opinion_date" not in message
    assert _records(engine) == before  # invalid input: no record, not even a denial
    # The same day as the resolution, or later, is accepted.
    record = c.json(
        "case", "advance", reference, "record_signing", *_signing(tmp_path, "2023-12-19"),
        as_="governor-cm",
    )  # fmt: skip
    assert record["dest"] == "signed"
    verified = c.run("audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_activities_may_be_recorded_late_but_not_before_the_signing(
    engine: Engine, db_url: str, officers: dict[str, Actor], tmp_path: Path
) -> None:
    reference = _approved(engine, officers)
    c = Cli(db_url)
    c.ok("case", "advance", reference, "record_signing", *_signing(tmp_path, "2024-03-31"),
         as_="governor-cm")  # fmt: skip
    report = next(s for s in STEPS if s[2] == "report_signing")
    c.ok("case", "advance", reference, "report_signing", *field_args(report[3], tmp_path)[0],
         as_="somchai")  # fmt: skip

    def activity(day: str) -> Any:
        return c.run("activity", "add", reference, "--date", day, "--kind", "visit",
                     "--title", "เยือน", as_="somchai")  # fmt: skip

    assert activity("2024-11-15").exit_code == 0
    late = activity("2024-06-01")  # an earlier activity, recorded afterwards
    assert late.exit_code == 0, late.output
    early = activity("2024-03-30")
    assert early.exit_code == 1
    assert (
        "activity_date 2024-03-30 of 'record_activity' is earlier than signed_on 2024-03-31"
        in (early.stderr)
    )
    verified = c.run("audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_the_rule_itself_refuses_a_date_in_the_future() -> None:
    """The rule holds for any officer's step with a date, whatever guards the step names (here
    checked alone, without them)."""
    definition = load_procedure("provincial", 1).definition
    spec = next(t for t in definition.transitions if t.trigger == "record_signing")
    now = _at("2024-04-01")
    with pytest.raises(DatesOutOfOrder, match=r"signed_on 2024-04-02 is in the future"):
        check_dates(definition, spec, "governor", {"signed_on": "2024-04-02"}, (), now)
    check_dates(definition, spec, "governor", {"signed_on": "2024-04-01"}, (), now)
    # A repeated step records another occurrence: its own earlier date does not bind it.
    earlier = (("signed_on", "2024-03-31", "record_signing"),)
    check_dates(definition, spec, "governor", {"signed_on": "2024-01-01"}, earlier, now)
