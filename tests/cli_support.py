"""Helpers shared by the CLI tests: a training database driven through ``sistercity`` commands.

Not a test module: it holds the command runner, the officers of the walkthrough and a way to read
what the database holds without going through the command line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from cli import cli
from store import SqlAlchemyUnitOfWork, make_engine
from store.demo import OFFICERS
from workflow.model import Actor, AuditRecord

#: Environment for every in-process run: nothing inherited picks the database or the officer.
CLEAN_ENV: dict[str, str | None] = {"SISTERCITY_DB": None, "SISTERCITY_OFFICER": None}

#: Officers beyond the demo's, for refusals: another province, two roles at once, a deputy.
EXTRA_OFFICERS = (
    Actor("phuket-officer", "เจ้าหน้าที่ภูเก็ต", frozenset({"province_officer"}), "TH-83"),
    Actor(
        "dual",
        "เจ้าหน้าที่สองบทบาท",
        frozenset({"province_officer", "province_head"}),
        "TH-50",
    ),
    Actor("deputy-cm", "รองผู้ว่าราชการจังหวัดเชียงใหม่", frozenset({"governor"}), "TH-50", None, True),
)


@dataclass(frozen=True)
class Snapshot:
    """What a refused command must leave exactly as it was."""

    state: str | None
    row_version: int | None
    records: tuple[tuple[int, str, str | None], ...]  # (seq, kind, case reference)


class Cli:
    """Run ``sistercity --db PATH …`` in-process and check its outcome."""

    def __init__(self, db: str | Path) -> None:
        self.db = str(db)
        self.runner = CliRunner()

    def run(self, *args: str, as_: str | None = None) -> Result:
        argv = ["--db", self.db]
        if as_ is not None:
            argv += ["--as", as_]
        return self.runner.invoke(cli, [*argv, *args], env=CLEAN_ENV)

    def ok(self, *args: str, as_: str | None = None) -> Result:
        result = self.run(*args, as_=as_)
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result

    def json(self, *args: str, as_: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--json", as_=as_).stdout)

    def refused(self, *args: str, as_: str | None = None) -> str:
        """Run a command that must be refused: exit 1, one ``Error:`` line on stderr."""
        result = self.run(*args, as_=as_)
        assert result.exit_code == 1, (args, result.output, result.exception)
        # A refusal is a click exit, never an escaped traceback.
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.stdout == ""
        message = result.stderr.strip()
        assert message.startswith("Error: "), message
        assert "\n" not in message, message
        return message

    def add_officer(self, officer: Actor, as_: str | None = "admin") -> None:
        args = ["officer", "add", officer.id, "--name", officer.name]
        for role in sorted(officer.roles):
            args += ["--role", role]
        if officer.province:
            args += ["--province", officer.province]
        if officer.deputy:
            args.append("--deputy")
        self.ok(*args, as_=as_)


def training_db(path: Path, extra: Sequence[Actor] = EXTRA_OFFICERS) -> Cli:
    """``init --training`` and every officer registered through ``officer add``."""
    c = Cli(path)
    c.ok("init", "--training")
    admin = next(o for o in OFFICERS if o.id == "admin")
    c.add_officer(admin, as_=None)  # the first officer bootstraps; from now on admin adds
    for officer in (*OFFICERS, *extra):
        if officer.id != "admin":
            c.add_officer(officer)
    return c


def document(folder: Path, name: str, text: str | None = None) -> Path:
    """A small document file to record by hash."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text if text is not None else f"เอกสาร {name}\n", encoding="utf-8")
    return path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def field_args(fields: Mapping[str, Any], folder: Path) -> tuple[list[str], dict[str, Path]]:
    """``-f NAME=VALUE`` arguments; document records become real files written to *folder*."""
    args: list[str] = []
    files: dict[str, Path] = {}
    for name, value in fields.items():
        if isinstance(value, Mapping):
            path = document(folder, str(value["name"]))
            files[name] = path
            value = str(path)
        args += ["-f", f"{name}={value}"]
    return args, files


def snapshot(db: str, reference: str | None) -> Snapshot:
    """The case's state and version and every audit record, read straight from the store."""
    engine = make_engine(db)
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            case = uow.cases.get(reference) if reference else None
            records: list[AuditRecord] = list(uow.audit.iter_all())
    finally:
        engine.dispose()
    return Snapshot(
        case.state if case else None,
        case.row_version if case else None,
        tuple((r.seq, r.kind, r.case_reference) for r in records),
    )


def open_case(c: Cli, as_: str = "somchai", partner: str = "Guangzhou") -> str:
    opened = c.json(
        "case",
        "open",
        "--province",
        "TH-50",
        "--partner",
        partner,
        "--country",
        "CN",
        "--level",
        "city",
        "--instrument",
        "LOI",
        "--label",
        "friendship",
        "--version",
        "1",  # the walks here take v1's steps (the Cabinet approves before signing)
        as_=as_,
    )
    assert opened["state"] == "proposal_draft"
    return str(opened["reference"])
