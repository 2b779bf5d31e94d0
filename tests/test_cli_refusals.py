"""Acceptance: every class of refusal, through the CLI.

A refusal exits 1 with one ``Error: …`` line on stderr and leaves the database as it was. The one
exception is by design: a refusal for permission or segregation of duties is itself recorded, as
exactly one ``denied`` audit event, so an auditor sees who tried what.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import cli
from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import OFFICERS, STEPS
from tests.cli_support import CLEAN_ENV, EXTRA_OFFICERS, Cli, document, snapshot
from workflow import services
from workflow.model import NewCase

FIELDS: dict[str, dict[str, Any]] = {trigger: fields for _d, _o, trigger, fields, _n in STEPS}
ACTORS = {o.id: o for o in (*OFFICERS, *EXTRA_OFFICERS)}
PAST = "2024-01-15"
FUTURE = "2099-01-01"


def _build_template(path: Path) -> dict[str, str]:
    """Cases parked in the states the refusals need, written through the use cases."""
    engine = make_engine(str(path))
    try:
        init_database(engine, training=True)
        uow = SqlAlchemyUnitOfWork(engine)
        now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        for officer in (*EXTRA_OFFICERS, *OFFICERS):  # admin last: until then anyone may add
            services.add_officer(uow, officer, None, now)

        def case(opener: str, moves: list[tuple[str, str]]) -> str:
            opened = services.open_case(
                uow,
                ACTORS[opener],
                NewCase("TH-50", "Guangzhou", "CN", "city", "LOI", "friendship"),
                now,
                version=1,  # the steps below are v1's, whatever version is in force today
            )
            for officer, trigger in moves:
                fields = FIELDS.get(trigger, {})
                services.advance_case(
                    uow, ACTORS[officer], opened.reference, trigger, fields, "", now
                )
            return opened.reference

        submit = "submit_to_committee"
        to_review = [("somchai", "begin_study"), ("somchai", "submit_to_committee")]
        to_signing = [
            *to_review,
            ("malee", "committee_approve"),
            ("governor-cm", "submit_to_moi"),
            ("director-fad", "accept_for_review"),
            ("director-fad", "consult_mfa"),
            ("anong", "record_mfa_opinion"),
            ("permsec", "propose_to_cabinet"),
            ("anong", "record_cabinet_approval"),
        ]
        return {
            "draft": case("somchai", []),
            "study": case("somchai", [("somchai", "begin_study")]),
            "review": case("somchai", to_review),
            "dual_opened": case("dual", [("dual", "begin_study"), ("dual", submit)]),
            "dual_submitted": case("somchai", [("somchai", "begin_study"), ("dual", submit)]),
            "signing": case("somchai", to_signing),
        }  # fmt: skip
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("template") / "training.db"
    return path, _build_template(path)


@pytest.fixture
def env(
    template: tuple[Path, dict[str, str]], tmp_path: Path
) -> Iterator[tuple[Cli, dict[str, str]]]:
    source, refs = template
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", tmp_path / f"training.db{suffix}")
    yield Cli(tmp_path / "training.db"), refs


def assert_unchanged(c: Cli, reference: str | None, *command: str, as_: str | None) -> str:
    """The command is refused and nothing at all is written."""
    before = snapshot(c.db, reference)
    message = c.refused(*command, as_=as_)
    assert snapshot(c.db, reference) == before
    return message


def assert_denied(c: Cli, reference: str, *command: str, as_: str) -> str:
    """The command is refused and exactly one ``denied`` event is written, nothing else."""
    before = snapshot(c.db, reference)
    message = c.refused(*command, as_=as_)
    after = snapshot(c.db, reference)
    assert (after.state, after.row_version) == (before.state, before.row_version)
    assert after.records[: len(before.records)] == before.records
    new = after.records[len(before.records) :]
    assert [(kind, ref) for _seq, kind, ref in new] == [("denied", reference)]
    return message


# ---------------------------------------------------------------------- refusals writing nothing
def test_unknown_case(env: tuple[Cli, dict[str, str]]) -> None:
    c, _ = env
    message = assert_unchanged(
        c, None, "case", "advance", "SC-2500-9999", "begin_study", as_="somchai"
    )
    assert "SC-2500-9999" in message
    assert "SC-2500-9999" in c.refused("case", "show", "SC-2500-9999")
    assert "SC-2500-9999" in c.refused("case", "history", "SC-2500-9999")


def test_unknown_trigger(env: tuple[Cli, dict[str, str]]) -> None:
    c, refs = env
    message = assert_unchanged(
        c, refs["draft"], "case", "advance", refs["draft"], "fly_to_the_moon", as_="somchai"
    )
    assert "'fly_to_the_moon' is not a step" in message


def test_trigger_not_allowed_lists_the_allowed_ones(env: tuple[Cli, dict[str, str]]) -> None:
    c, refs = env
    message = assert_unchanged(
        c, refs["draft"], "case", "advance", refs["draft"], "committee_approve", as_="malee"
    )
    assert "'committee_approve' is not allowed from 'proposal_draft'" in message
    assert message.endswith("allowed: begin_study, suspend, withdraw")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ([], ["committee_resolution_no: required", "committee_resolution_date: required"]),
        (
            ["committee_resolution_no=มติที่ 4/2567", "committee_resolution_date=2024-13-45"],
            ["committee_resolution_date: "],
        ),
        (
            ["committee_resolution_no=31/03/2024", "committee_resolution_date=31/03/24"],
            ["committee_resolution_date: '31/03/24': write the year in four digits"],
        ),
        (
            ["committee_resolution_no=มติคณะกรรมการ", f"committee_resolution_date={PAST}"],
            ["committee_resolution_no: a reference number must contain a number"],
        ),
        (
            ["committee_resolution_no=4/2567", f"committee_resolution_date={PAST}", "colour=red"],
            ["colour: not a field of 'committee_approve'"],
        ),
    ],
    ids=["missing", "impossible-date", "not-iso-date", "reference-without-digits", "unknown"],
)
def test_missing_or_invalid_fields_are_named(
    env: tuple[Cli, dict[str, str]], fields: list[str], named: list[str]
) -> None:
    c, refs = env
    args = [a for f in fields for a in ("-f", f)]
    message = assert_unchanged(
        c, refs["review"], "case", "advance", refs["review"], "committee_approve", *args,
        as_="malee",
    )  # fmt: skip
    assert message.startswith("Error: missing or invalid: ")
    for name in named:
        assert name in message


def test_missing_document_file_is_named(env: tuple[Cli, dict[str, str]], tmp_path: Path) -> None:
    c, refs = env
    args: list[str] = []
    for name in FIELDS["submit_to_committee"]:
        path = (
            tmp_path / "gone.pdf" if name == "action_plan" else document(tmp_path, f"{name}.pdf")
        )
        args += ["-f", f"{name}={path}"]
    message = assert_unchanged(
        c, refs["study"], "case", "advance", refs["study"], "submit_to_committee", *args,
        as_="somchai",
    )  # fmt: skip
    assert f"action_plan: no such file: {tmp_path / 'gone.pdf'}" in message
    assert "suitability_study" not in message  # only the bad one is named


def test_guard_dates_not_in_future(env: tuple[Cli, dict[str, str]]) -> None:
    c, refs = env
    message = assert_unchanged(
        c, refs["review"], "case", "advance", refs["review"], "committee_approve",
        "-f", "committee_resolution_no=4/2567", "-f", f"committee_resolution_date={FUTURE}",
        as_="malee",
    )  # fmt: skip
    assert "'committee_approve' refused: dates_not_in_future" in message
    assert "committee_resolution_date" in message


def test_guard_deputy_needs_delegation(env: tuple[Cli, dict[str, str]], tmp_path: Path) -> None:
    c, refs = env
    args: list[str] = []
    for name, value in FIELDS["record_signing"].items():
        if isinstance(value, dict):
            value = document(tmp_path, str(value["name"]))
        args += ["-f", f"{name}={value}"]
    command = ("case", "advance", refs["signing"], "record_signing", *args)
    message = assert_unchanged(c, refs["signing"], *command, as_="deputy-cm")
    assert "deputy_has_delegation" in message
    # The same deputy signs once the delegation order is recorded.
    order = document(tmp_path, "delegation-order.pdf")
    c.ok(*command, "-f", f"delegation_order={order}", as_="deputy-cm")
    assert c.json("case", "show", refs["signing"])["state"] == "signed"


def test_note_required(env: tuple[Cli, dict[str, str]]) -> None:
    c, refs = env
    message = assert_unchanged(
        c, refs["review"], "case", "advance", refs["review"], "committee_return",
        "-f", "committee_resolution_no=3/2567", "-f", f"committee_resolution_date={PAST}",
        as_="malee",
    )  # fmt: skip
    assert "note: required" in message
    blank = c.refused(
        "case", "advance", refs["review"], "committee_return", "--note", "   ",
        "-f", "committee_resolution_no=3/2567", "-f", f"committee_resolution_date={PAST}",
        as_="malee",
    )  # fmt: skip
    assert "note: required" in blank


# ------------------------------------------------------------------ refusals recorded as denied
def test_actor_lacks_the_role(env: tuple[Cli, dict[str, str]]) -> None:
    c, refs = env
    message = assert_denied(
        c, refs["draft"], "case", "advance", refs["draft"], "begin_study", as_="anong"
    )
    assert "officer 'anong' may not 'begin_study': needs role province_officer" in message


def test_actor_outside_their_province(env: tuple[Cli, dict[str, str]]) -> None:
    c, refs = env
    message = assert_denied(
        c, refs["draft"], "case", "advance", refs["draft"], "begin_study", as_="phuket-officer"
    )
    assert "phuket-officer" in message and "TH-83" in message and "TH-50" in message


@pytest.mark.parametrize(
    ("which", "what"),
    [
        ("dual_opened", "opened this case"),
        ("dual_submitted", "made 'submit_to_committee' on this case"),
    ],
)
def test_segregation_of_duties(env: tuple[Cli, dict[str, str]], which: str, what: str) -> None:
    c, refs = env
    reference = refs[which]
    args = ["-f", "committee_resolution_no=4/2567", "-f", f"committee_resolution_date={PAST}"]
    message = assert_denied(
        c, reference, "case", "advance", reference, "committee_approve", *args, as_="dual"
    )
    assert f"officer 'dual' {what} and so may not also 'committee_approve'" in message
    # Another head may approve the same case with the same fields.
    c.ok("case", "advance", reference, "committee_approve", *args, as_="malee")


# ---------------------------------------------------------------------- identity and usage
def test_as_refused_on_a_production_database(tmp_path: Path) -> None:
    c = Cli(tmp_path / "production.db")
    c.ok("init")
    c.ok("officer", "add", "admin", "--name", "Admin", "--role", "admin")
    before = snapshot(c.db, None)
    message = c.refused("whoami", as_="admin")
    assert "--as" in message and "--training" in message
    message = c.refused("officer", "add", "x1", "--name", "X", "--role", "auditor", as_="admin")
    assert "--training" in message
    assert snapshot(c.db, None) == before


def test_init_training_refused_on_a_production_database(tmp_path: Path) -> None:
    c = Cli(tmp_path / "production.db")
    c.ok("init")
    message = c.refused("init", "--training")
    assert "created for real work" in message
    assert "production" in c.ok("init").stdout


def test_unknown_os_login_gets_a_hint(env: tuple[Cli, dict[str, str]]) -> None:
    c, refs = env
    message = assert_unchanged(c, refs["draft"], "whoami", as_=None)
    assert "no officer is registered for OS login" in message
    assert "sistercity officer add" in message
    assert_unchanged(c, refs["draft"], "case", "advance", refs["draft"], "begin_study", as_=None)
    assert "no officer 'nobody'" in c.refused("whoami", as_="nobody")


def test_usage_errors_exit_2(env: tuple[Cli, dict[str, str]]) -> None:
    c, refs = env
    before = snapshot(c.db, refs["draft"])
    for args in (
        ("case", "advance", refs["draft"]),  # missing TRIGGER
        ("case", "advance", refs["draft"], "begin_study", "-f", "no-equals-sign"),
        ("case", "advance", refs["draft"], "begin_study", "--colour", "red"),
        ("case", "open", "--province", "TH-50"),
        ("case", "history", refs["draft"], "--lang", "fr"),
        ("no-such-command",),
    ):
        result = c.run(*args, as_="somchai")
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.count("\n") == 1 and "--help'" in result.stderr, result.stderr
    assert snapshot(c.db, refs["draft"]) == before


def test_case_list_on_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "missing.db"
    for args in (("case", "list"), ("officer", "list"), ("whoami",)):
        result = CliRunner().invoke(cli, ["--db", str(missing), *args], env=CLEAN_ENV)
        assert result.exit_code == 1
        assert "no database at" in result.stderr and "sistercity init" in result.stderr
        assert not missing.exists()
        assert not missing.parent.exists()
    (tmp_path / "other").mkdir()
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "other" / "x.db"), "case", "list"], env=CLEAN_ENV
    )
    assert result.exit_code == 1
    assert list((tmp_path / "other").iterdir()) == []
