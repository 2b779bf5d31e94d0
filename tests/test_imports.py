"""Each command imports only what it uses: start-up time is most of an officer's command.

Commands run in a fresh interpreter, as an officer starts them, and report the modules they
loaded. The table names, per group of commands, the top-level packages none may load and those
they must (which proves the probe sees imports at all). ``--help`` loads click alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from store import SqlAlchemyUnitOfWork, make_engine
from store.audit import export_head
from store.checkpoint import generate_keypair, load_private_key, write_export
from store.demo import OFFICERS, build_demo
from workflow import services
from workflow.model import NewCase
from workflow.receipts import Receipt

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = frozenset({"cli", "states", "workflow", "store", "diagrams"})
#: Help loads click alone: no other installed package, and none of ours that would load one.
HELP = (frozenset(packages_distributions()) - FIRST_PARTY - {"click"}) | {
    "workflow",
    "diagrams",
}
HEAVY = frozenset({"sqlalchemy", "alembic", "transitions", "graphviz", "cryptography"})
#: Reading the database needs SQLAlchemy (and pydantic, for the definitions), nothing else.
READ = frozenset({"alembic", "transitions", "graphviz", "cryptography"})
#: A step needs the engine (transitions) too; only ``init`` migrates, only keys need cryptography.
WRITE = frozenset({"alembic", "graphviz", "cryptography"})

# Runs each command in turn, as the console script would, and writes the modules each one loaded
# (beyond those loaded before it) to OUT: a module is charged to the first command that needs it.
PROBE = """
import json, sys
out, commands = sys.argv[1], json.loads(sys.argv[2])
loaded, seen = [], set(sys.modules)
import cli
for args in commands:
    try:
        cli.cli(args, prog_name="sistercity", standalone_mode=False)
    except SystemExit as exit:
        if exit.code:
            raise
    loaded.append(sorted(set(sys.modules) - seen))
    seen = set(sys.modules)
with open(out, "w") as fh:
    json.dump(loaded, fh)
"""


@dataclass(frozen=True)
class Setup:
    """A training database (the demo, plus a fresh draft) and a signed head export."""

    folder: Path
    db: Path
    active: str
    draft: str
    #: Definitions validated by an earlier process.
    cache: Path


@dataclass(frozen=True)
class Row:
    """Commands that may load none of *forbidden*; together they must load all of *required*.

    A row's commands share one interpreter, which keeps the test fast; each module is charged to
    the first command that imports it, so a failure still names the culprit.
    """

    name: str
    commands: tuple[str, ...]
    forbidden: frozenset[str]
    required: frozenset[str] = frozenset()
    #: Run with the definitions validated by an earlier process (``states.definition_cache``);
    #: otherwise the cache starts empty and the first command validates them.
    warm: bool = False
    #: Modules (by their full dotted name, with their submodules) none of the commands may load.
    forbidden_modules: frozenset[str] = frozenset()


#: An officer's steps: who acts next, a step, a new case, an activity.
STEPS = (
    "--db {db} --as somchai case actions {draft}",
    "--db {db} --as somchai case advance {draft} begin_study",
    "--db {db} --as somchai case open --province TH-50 --partner Kunming --country CN "
    "--level city",
    "--db {db} --as somchai activity add {active} --date 2024-06-01 --kind culture --title visit",
)
GROUPS = (
    "officer case procedure diagram audit activity plan province report import document letter"
)
TABLE = [
    Row(
        "help",
        ("--help", *(f"{g} --help" for g in GROUPS.split()), "province mechanism --help"),
        HELP,
        frozenset({"click"}),
    ),
    Row(
        "procedures",
        ("procedure list", "procedure show --lang th", "procedure check {procedure_file}"),
        HEAVY,
        frozenset({"pydantic"}),
    ),
    Row(
        "diagram procedure",
        ("diagram procedure --format dot",),
        HEAVY - {"graphviz"},
        frozenset({"graphviz"}),
    ),
    # Drawing needs graphviz and nothing heavier; a picture drawn before is read back from the
    # cache (``diagrams.kept``) with no module of its own beyond the standard library's small ones.
    # A procedure shows dates only: no time zone to load.
    Row(
        "diagram procedure, drawn and drawn again",
        (
            "diagram procedure --format svg -o {tmp}/p.svg",
            "diagram procedure --format svg -o {tmp}/p.svg --force",
        ),
        HEAVY - {"graphviz"} | {"pydantic", "html", "shutil", "tempfile", "zoneinfo"},
        frozenset({"graphviz"}),
        warm=True,
    ),
    Row(
        "audit keygen",
        ("audit keygen -o {tmp}/new",),
        HEAVY - {"cryptography"},
        frozenset({"cryptography"}),
    ),
    Row(
        "init",
        ("--db {tmp}/fresh.db init --training",),
        WRITE - {"alembic"} | {"transitions"},
        frozenset({"alembic"}),
    ),
    Row(
        "case reads",
        (
            "--db {db} case list",
            "--db {db} case list --json --province TH-50",
            "--db {db} case history {active}",
            "--db {db} case history {active} --json --lang th",
        ),
        READ,
        frozenset({"sqlalchemy"}),
    ),
    Row(
        "follow-up reads",
        (
            "--db {db} officer list",
            "--db {db} --as somchai whoami",
            "--db {db} activity list --fy 2567",
            "--db {db} plan list",
            "--db {db} province list",
            "--db {db} province mechanism list",
            "--db {db} report kpi --fy 2567",
        ),
        READ,
    ),
    Row(
        "audit reads",
        (
            "--db {db} audit verify",
            "--db {db} audit verify --json",
            "--db {db} audit log --case {active}",
            "--db {db} audit export --format csv",
            "--db {db} --as auditor audit head",
        ),
        READ,
    ),
    Row(
        "audit verify against a checkpoint",
        ("--db {db} audit verify --checkpoint {folder}/head.json --key {folder}/audit.pub",),
        READ - {"cryptography"},
        frozenset({"cryptography"}),
    ),
    Row(
        "audit receipt check",
        ("--db {db} audit receipt check {folder}/receipt.txt",),
        READ,
        frozenset({"sqlalchemy"}),
    ),
    Row(
        "audit receipt check against a signed head",
        (
            "--db {db} audit receipt check {folder}/receipt.txt --head {folder}/head.json "
            "--key {folder}/audit.pub",
        ),
        READ - {"cryptography"},
        frozenset({"cryptography"}),
    ),
    Row(
        "audit head, signed",
        ("--db {db} --as auditor audit head --sign {folder}/audit.key",),
        READ - {"cryptography"},
        frozenset({"cryptography"}),
    ),
    Row(
        "diagram case",
        ("--db {db} diagram case {active} --format dot",),
        READ - {"graphviz"},
        frozenset({"graphviz"}),
    ),
    # A letter's text needs the case's engine (its steps, not its state machine), never
    # python-docx (only for a .docx) or a browser.
    Row(
        "letters",
        ("--db {db} letter draft {active} consult_mfa", "--db {db} letter list {active}"),
        WRITE | {"docx", "lxml", "selenium", "transitions"},
        frozenset({"sqlalchemy"}),
    ),
    # Builds the case's engine: that is where a changed definition file is refused.
    Row("case show", ("--db {db} case show {active}",), WRITE),
    # Once an earlier process has validated the definitions, nobody builds pydantic validators,
    # and reading a case builds no state machine.
    Row(
        "procedures, validated before",
        ("procedure list", "procedure show --lang th", "procedure show --json"),
        HEAVY | {"pydantic"},
        frozenset({"click"}),
        warm=True,
    ),
    Row(
        "case reads, definitions validated before",
        (
            "--db {db} case list",
            "--db {db} case show {active}",
            "--db {db} case history {active}",
            "--db {db} --as somchai case actions {draft}",
        ),
        READ | {"pydantic", "transitions"},
        frozenset({"sqlalchemy"}),
        warm=True,
    ),
    # An officer's reads and steps speak SQLAlchemy Core: the ORM costs a read a fifth of its
    # start-up (only the follow-up records and the web view's pages use it).
    Row(
        "an officer's reads and steps, without the ORM",
        (
            "--db {db} case list",
            "--db {db} case show {active}",
            "--db {db} case history {active} --lang th",
            *STEPS,
        ),
        WRITE | {"pydantic"},
        frozenset({"sqlalchemy", "transitions"}),
        warm=True,
        forbidden_modules=frozenset({"sqlalchemy.orm"}),
    ),
    Row(
        "a step, definitions validated before",
        ("--db {db} --as somchai case advance {draft} begin_study",),
        WRITE | {"pydantic"},
        frozenset({"transitions"}),
        warm=True,
    ),
    Row(
        "steps",
        STEPS,
        WRITE,
        frozenset({"transitions"}),
    ),
]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """The demo database, a draft to advance, a key pair and a head export signed with it."""
    folder = tmp_path_factory.mktemp("imports")
    db = folder / "template.db"
    active, _ = build_demo(str(db))
    engine = make_engine(str(db))
    try:
        actors = {o.id: o for o in OFFICERS}
        now = dt.datetime.now(dt.UTC)
        new = NewCase("TH-50", "Hangzhou", "CN", "city", "MOU", "sister")
        draft, opened = services.open_case_recorded(
            SqlAlchemyUnitOfWork(engine), actors["somchai"], new, now
        )
        (folder / "receipt.txt").write_text(Receipt.of(opened).line() + "\n", encoding="utf-8")
        generate_keypair(str(folder / "audit"))
        key = load_private_key(folder / "audit.key")
        head = export_head(engine, actors["auditor"], now, key)
        write_export(folder / "head.json", head.document, head.signature)
    finally:
        engine.dispose()
    cache = folder / "validated"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    env.update(PYTHONPATH=str(ROOT), SISTERCITY_CACHE=str(cache))
    subprocess.run(
        [sys.executable, "-c", "from states import load_all; load_all()"], env=env, check=True
    )
    assert len(list(cache.glob("*.json"))) == 4  # every shipped definition
    return Setup(folder, db, active.reference, draft.reference, cache)


def loaded_modules(
    prepared: Setup, commands: tuple[str, ...], tmp_path: Path, warm: bool = False
) -> list[set[str]]:
    """Run the commands in one fresh interpreter; the modules each one imported. The
    definitions are validated anew unless *warm*."""
    db = tmp_path / "sistercity.db"
    shutil.copy(prepared.db, db)
    values = {
        "db": str(db),
        "folder": str(prepared.folder),
        "tmp": str(tmp_path),
        "active": prepared.active,
        "draft": prepared.draft,
        "procedure_file": str(ROOT / "states" / "procedures" / "provincial" / "v1.toml"),
    }
    argv = [[part.format(**values) for part in command.split()] for command in commands]
    out = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    env["PYTHONPATH"] = str(ROOT)
    env["SISTERCITY_CACHE"] = str(prepared.cache if warm else tmp_path / "validated")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), json.dumps(argv)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [set(names) for names in json.loads(out.read_text())]


def loaded_packages(
    prepared: Setup, commands: tuple[str, ...], tmp_path: Path, warm: bool = False
) -> list[set[str]]:
    """The top-level packages each command imported (``loaded_modules``)."""
    return [packages(names) for names in loaded_modules(prepared, commands, tmp_path, warm)]


def packages(modules: set[str]) -> set[str]:
    """The top-level packages of *modules*."""
    return {name.split(".")[0] for name in modules}


def within(name: str, modules: frozenset[str]) -> bool:
    """*name* is one of *modules* or a submodule of one."""
    return any(name == m or name.startswith(m + ".") for m in modules)


@pytest.mark.parametrize("row", TABLE, ids=[r.name for r in TABLE])
def test_commands_import_only_what_they_use(row: Row, prepared: Setup, tmp_path: Path) -> None:
    """No command loads a forbidden package or module; the row's commands load the packages
    they need."""
    modules = loaded_modules(prepared, row.commands, tmp_path, row.warm)
    loaded = [packages(names) for names in modules]
    culprits = {
        command: sorted(new & row.forbidden)
        + sorted(m for m in names if within(m, row.forbidden_modules))
        for command, new, names in zip(row.commands, loaded, modules, strict=True)
        if new & row.forbidden or any(within(m, row.forbidden_modules) for m in names)
    }
    assert culprits == {}
    assert sorted(row.required - set().union(*loaded)) == []


def test_help_loads_nothing_but_click_and_the_standard_library(
    prepared: Setup, tmp_path: Path
) -> None:
    """``sistercity --help``: besides click, only the standard library and two small modules."""
    [loaded] = loaded_packages(prepared, ("--help",), tmp_path)
    assert loaded - set(sys.stdlib_module_names) == {"cli", "click", "store", "states"}


def test_help_reads_the_catalogue_and_no_definition() -> None:
    """Of ``states``, help loads the message catalogue alone (no definitions, no pydantic),
    in Thai too."""
    probe = (
        "import sys, cli\n"
        "try:\n"
        "    cli.cli(['--lang', 'th', 'case', '--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('states', 'pydantic')))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert "วิธีใช้" in done.stdout
    assert done.stdout.splitlines()[-1] == "['states', 'states.i18n']"


def test_the_cli_names_the_procedures_variable_as_the_loader_does() -> None:
    """The CLI spells the variable itself so that its help imports no definitions."""
    import cli
    from states.loader import PROCEDURES_ENV

    assert cli.PROCEDURES_ENV == PROCEDURES_ENV
