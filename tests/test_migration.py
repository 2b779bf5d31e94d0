"""A case moves to another version of its procedure only by an audited migration.

Provincial v2 has the Cabinet acknowledge a signed relationship afterwards; v1's "awaiting the
Cabinet" (approval before signing) has no counterpart there. Through the CLI: a migration with no
counterpart is refused and writes nothing; with a mapping it records one ``migrate`` event naming
both versions and hashes; the case goes on under v2; its history and diagram show the move; and
``audit verify`` passes throughout.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from states import load_procedure
from store.demo import STEPS
from tests.cli_support import Cli, field_args, open_case, snapshot, training_db

V1 = load_procedure("provincial", 1)
V2 = load_procedure("provincial", 2)


def walk(c: Cli, ref: str, until: str, folder: Path) -> None:
    """Take the demo's steps on *ref* up to and including *until*."""
    for _day, officer, trigger, fields, note in STEPS:
        args, _ = field_args(fields, folder)
        extra = ["--note", note] if note else []
        c.ok("case", "advance", ref, trigger, *args, *extra, as_=officer)
        if trigger == until:
            return
    raise AssertionError(f"{until} is not a demo step")


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return training_db(tmp_path / "m.db")


def test_a_state_without_counterpart_is_refused_and_nothing_is_written(
    cli: Cli, tmp_path: Path
) -> None:
    ref = open_case(cli)
    walk(cli, ref, "propose_to_cabinet", tmp_path / "docs")
    before = snapshot(cli.db, ref)
    message = cli.refused("case", "migrate", ref, "--to-version", "2", as_="director-fad")
    assert "'cabinet_pending' has no counterpart in v2" in message
    assert "--map cabinet_pending=" in message
    assert snapshot(cli.db, ref) == before
    dry = cli.json(
        "case", "migrate", ref, "--to-version", "2", "--map",
        "cabinet_pending=approved_for_signing", "--dry-run", as_="director-fad",
    )  # fmt: skip
    assert dry[0]["dest"] == "approved_for_signing" and dry[0]["audit_seq"] is None
    assert snapshot(cli.db, ref) == before
    assert cli.run("audit", "verify").exit_code == 0


def test_only_the_roles_of_the_migrate_action_may_migrate(cli: Cli) -> None:
    ref = open_case(cli)
    message = cli.refused("case", "migrate", ref, "--to-version", "2", as_="somchai")
    assert "may not migrate cases" in message
    history = cli.json("case", "history", ref)
    assert history[-1]["kind"] == "denied" and history[-1]["trigger"] == "migrate"
    assert cli.run("audit", "verify").exit_code == 0


def test_a_migrated_case_goes_on_under_v2(cli: Cli, tmp_path: Path) -> None:
    ref = open_case(cli)
    walk(cli, ref, "propose_to_cabinet", tmp_path / "docs")
    moved = cli.json(
        "case", "migrate", ref, "--to-version", "2", "--map",
        "cabinet_pending=approved_for_signing", as_="director-fad",
    )  # fmt: skip
    assert moved[0]["source"] == "cabinet_pending" and moved[0]["dest"] == "approved_for_signing"
    shown = cli.json("case", "show", ref)
    assert (shown["version"], shown["state"]) == (2, "approved_for_signing")
    assert shown["definition_sha256"] == V2.sha256
    history = cli.json("case", "history", ref)
    record = history[-1]
    assert record["kind"] == "migrate" and record["seq"] == moved[0]["audit_seq"]
    assert record["fields"] == {
        "procedure": "provincial",
        "from_version": 1,
        "to_version": 2,
        "from_sha256": V1.sha256,
        "to_sha256": V2.sha256,
        "map": {"cabinet_pending": "approved_for_signing"},
    }
    assert cli.run("audit", "verify").exit_code == 0
    # v2's steps now apply: sign, report, put to the Cabinet, record its acknowledgement.
    folder = tmp_path / "docs"
    signing = next(f for _d, _o, t, f, _n in STEPS if t == "record_signing")
    report = next(f for _d, _o, t, f, _n in STEPS if t == "report_signing")
    for officer, trigger, fields in (
        ("governor-cm", "record_signing", signing),
        ("somchai", "report_signing", report),
        ("permsec", "propose_acknowledgement", {"cabinet_proposal_no": "มท 0204.3/1"}),
        (
            "anong",
            "record_cabinet_acknowledgement",
            {"cabinet_resolution_date": "2024-06-04", "cabinet_secretariat_letter_no": "นร 1"},
        ),
    ):
        args, _ = field_args(fields, folder)
        cli.ok("case", "advance", ref, trigger, *args, as_=officer)
    assert cli.json("case", "show", ref)["state"] == "active"
    # v1's Cabinet step is gone for this case.
    assert "propose_to_cabinet" not in cli.run("case", "actions", ref, as_="permsec").output
    result = cli.run("audit", "verify", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["problems"] == []
    dot = cli.ok("diagram", "case", ref, "--format", "dot", "--lang", "en").stdout
    assert "moved to a new version" in dot and "(v1)" in dot


def test_all_cases_of_a_version_move_together_or_not_at_all(cli: Cli, tmp_path: Path) -> None:
    first, second = open_case(cli), open_case(cli, partner="Kunming")
    walk(cli, second, "propose_to_cabinet", tmp_path / "docs")
    before = (snapshot(cli.db, first), snapshot(cli.db, second))
    message = cli.refused(
        "case", "migrate", "--all", "--from-version", "1", "--to-version", "2",
        as_="director-fad",
    )  # fmt: skip
    assert second in message and "nothing migrated" in message
    assert (snapshot(cli.db, first), snapshot(cli.db, second)) == before
    listed = cli.ok(
        "case", "migrate", "--all", "--from-version", "1", "--state", "proposal_draft",
        "--to-version", "2", "--dry-run", as_="director-fad",
    ).stdout  # fmt: skip
    assert first in listed and second not in listed and "would move" in listed
    done = cli.json(
        "case", "migrate", "--all", "--from-version", "1", "--to-version", "2", "--map",
        "cabinet_pending=approved_for_signing", as_="director-fad",
    )  # fmt: skip
    assert {d["reference"] for d in done} == {first, second}
    assert cli.run("audit", "verify").exit_code == 0


def test_migrate_usage_errors_exit_2(cli: Cli) -> None:
    ref = open_case(cli)
    for args in (
        ("case", "migrate", "--to-version", "2"),
        ("case", "migrate", "--all", "--to-version", "2"),
        ("case", "migrate", ref, "--to-version", "2", "--map", "nonsense"),
    ):
        assert cli.run(*args, as_="director-fad").exit_code == 2, args
    message = cli.refused(
        "case", "migrate", ref, "--to-version", "2", "--map", "nowhere=active",
        as_="director-fad",
    )  # fmt: skip
    assert "'nowhere' is no state of v1" in message
