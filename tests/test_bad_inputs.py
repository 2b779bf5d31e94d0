"""No traceback, ever: bad input through the real console script gets one line, the right exit
code, and leaves the database as it was.

Each row is one bad input: a usage error (exit 2: a missing or malformed option, text that is
not UTF-8), or a refusal (exit 1: a file that is not a database, a folder that does not exist, an
amount beyond what can be stored, a full disk, a CSV field past the parser's limit, a step the
procedure does not allow). Every run must print exactly one line on stderr, no ``Traceback``,
and leave every table as it was; a refusal for permission leaves exactly one ``denied`` audit
record (the product's rule) and nothing else.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from store.demo import build_demo

BIG = "1" * 41
ZERO_SHA = "0" * 64
BAD = os.fsdecode(b"\xff\xfe")  # bytes that are not UTF-8, as the shell passes them


@dataclass(frozen=True)
class Bad:
    """One bad input: its arguments (``{active}``, ``{draft}``, ``{dir}`` … are filled in), the
    officer, and the exit code expected."""

    name: str
    args: tuple[str, ...]
    exit_code: int
    as_: str | None = None
    denied: bool = False  # a refusal for permission: one ``denied`` record is its trace
    db: str | None = None  # another database file (from the folder) instead of the demo


def usage(name: str, *args: str, as_: str | None = "somchai") -> Bad:
    return Bad(name, args, 2, as_)


def refusal(name: str, *args: str, as_: str | None = "somchai", db: str | None = None) -> Bad:
    return Bad(name, args, 1, as_, db=db)


OPEN = ("--partner", "Guangzhou", "--country", "CN", "--level", "city", "--instrument", "LOI")
OPEN_ALL = ("case", "open", "--province", "TH-50", *OPEN, "--label", "friendship")
ACT = ("activity", "add", "{active}", "--date", "2568-01-15", "--kind", "culture", "--title", "t")
PLAN = ("plan", "set", "{active}", "--fy", "2568", "--file", "{dir}/plan.pdf")

TABLE = [
    # --- usage errors: exit 2
    usage("advance without a step", "case", "advance", "{draft}"),
    usage("field without '='", "case", "advance", "{draft}", "begin_study", "-f", "x"),
    usage("unknown option", "case", "advance", "{draft}", "begin_study", "--colour", "red"),
    usage("open without a partner", "case", "open", "--province", "TH-50"),
    usage("open without a province", "case", "open", *OPEN, "--label", "friendship"),
    usage("unknown language", "case", "history", "{draft}", "--lang", "fr"),
    usage("unknown command", "no-such-command"),
    usage("partner not UTF-8", *OPEN_ALL[:2], "--province", "TH-50", "--partner", BAD),
    usage("note not UTF-8", "case", "advance", "{draft}", "begin_study", "--note", BAD),
    usage("file name not UTF-8", "case", "advance", "{draft}", "x", "-f", f"study={BAD}.pdf"),
    usage("--db not UTF-8", "--db", f"{BAD}.db", "case", "list"),
    usage("activity date not a date", *ACT[:3], "--date", "soon", *ACT[5:]),
    usage("activity date month 13", *ACT[:3], "--date", "2568-13-01", *ACT[5:]),
    usage("activity date 30 February", *ACT[:3], "--date", "30/2/2568", *ACT[5:]),
    usage("activity list unknown province", "activity", "list", "--province", "Atlantis"),
    usage("plan list unknown province", "plan", "list", "--province", "TH-99"),
    usage("audit log since not a date", "audit", "log", "--since", "yesterday"),
    usage("audit log until 30 February", "audit", "log", "--until", "2024-02-30"),
    usage("audit log unknown province", "audit", "log", "--province", "Narnia"),
    usage("case list unknown province", "case", "list", "--province", "Narnia"),
    usage("export without a format", "audit", "export"),
    usage("export in XML", "audit", "export", "--format", "xml"),
    usage("checkpoint without key", "audit", "verify", "--checkpoint", "{dir}/existing.json"),
    usage("checkpoint file missing", "audit", "verify", "--checkpoint", "{dir}/none.json"),
    usage("signing key missing", "audit", "head", "--sign", "{dir}/none.key", as_="admin"),
    usage(
        "provincial role without province",
        *("officer", "add", "newbie", "--name", "N", "--role", "province_officer"),
        as_="admin",
    ),
    usage(
        "province and no province",
        *("officer", "update", "somchai", "--province", "TH-50", "--no-province"),
        as_="admin",
    ),
    usage("officer add without a role", "officer", "add", "x1", "--name", "X", as_="admin"),
    usage("plan fiscal year not a number", *PLAN[:3], "--fy", "abc", "--budget", "1", *PLAN[5:]),
    usage("plan without a budget", *PLAN),
    usage("migrate nothing", "case", "migrate", "--to-version", "2"),
    usage("migrate all without from", "case", "migrate", "--all", "--to-version", "2"),
    usage("png without output", "diagram", "procedure", "--format", "png"),
    usage("sweep as of no date", "sweep", "--as-of", "someday", as_="sweeper"),
    usage(
        "mechanism unknown province",
        "province",
        "mechanism",
        "set",
        "TH-99",
        "--order-no",
        "1",
        "--date",
        "2567-02-01",
        "--chair",
        "c",
    ),
    usage(
        "mechanism date not a date",
        "province",
        "mechanism",
        "set",
        "TH-50",
        "--order-no",
        "1",
        "--date",
        "1 Feb",
        "--chair",
        "c",
    ),
    usage("monitoring without province", "monitoring", "open", "--fy", "2568"),
    usage("report fiscal year not a number", "report", "kpi", "--fy", "abc"),
    usage("document get without hash", "document", "get"),
    usage("show without reference", "case", "show"),
    usage("version not a number", *OPEN_ALL, "--version", "two"),
    usage("import missing file", "import", "relationships", "{dir}/none.csv", as_="anong"),
    usage(
        "import unknown encoding",
        "import",
        "relationships",
        "{dir}/big.csv",
        "--encoding",
        "klingon",
        as_="anong",
    ),
    # --- refusals: exit 1
    refusal("not a database: list", "case", "list", db="notdb.db"),
    refusal("not a database: init", "init", db="notdb.db"),
    refusal("not a database: verify", "audit", "verify", db="notdb.db"),
    refusal("truncated database: list", "case", "list", db="trunc.db"),
    refusal("truncated database: init", "init", db="trunc.db"),
    refusal("truncated database: verify", "audit", "verify", db="trunc.db"),
    refusal("empty file as database", "case", "list", db="empty.db"),
    refusal("keygen into a missing folder", "audit", "keygen", "-o", "{dir}/secure/audit"),
    refusal("keygen over a key", "audit", "keygen", "-o", "{dir}/existing"),
    refusal(
        "head into a missing folder", "audit", "head", "-o", "{dir}/no/dir/h.json", as_="admin"
    ),
    refusal("head over a file", "audit", "head", "-o", "{dir}/existing.json", as_="admin"),
    refusal("activity budget 1e400", *ACT, "--budget", "1e400"),
    refusal("activity budget of 41 digits", *ACT, "--budget", BIG),
    refusal("activity budget negative", *ACT, "--budget", "-5"),
    refusal("plan budget 1e400", *PLAN, "--budget", "1e400"),
    refusal("plan budget of 41 digits", *PLAN, "--budget", BIG),
    refusal("plan budget NaN", *PLAN, "--budget", "NaN"),
    refusal("plan budget three decimals", *PLAN, "--budget", "1.234"),
    refusal("plan fiscal year in C.E.", *PLAN[:3], "--fy", "2025", "--budget", "1", *PLAN[5:]),
    refusal(
        "document to a full disk", "document", "get", "{plan_sha}", "-o", "/dev/full", "--force"
    ),
    refusal("document over a file", "document", "get", "{plan_sha}", "-o", "{dir}/existing.json"),
    refusal("document unknown", "document", "get", ZERO_SHA, "-o", "{dir}/out.bin"),
    refusal(
        "CSV field over the parser's limit",
        "import",
        "relationships",
        "{dir}/big.csv",
        as_="anong",
    ),
    refusal(
        "CSV that is binary", "import", "relationships", "{dir}/plan.pdf", "--dry-run", as_="anong"
    ),
    refusal("unknown case", "case", "show", "SC-2500-9999"),
    refusal("unknown step", "case", "advance", "{draft}", "no_such_step"),
    refusal("step not from this state", "case", "advance", "{draft}", "record_activity"),
    refusal("unknown officer", "whoami", as_="nobody"),
    refusal(
        "officer exists",
        "officer",
        "add",
        "somchai",
        "--name",
        "S",
        "--role",
        "auditor",
        as_="admin",
    ),
    refusal(
        "unknown country",
        "case",
        "open",
        "--province",
        "TH-50",
        "--partner",
        "X",
        "--country",
        "XX",
        "--level",
        "city",
        "--instrument",
        "LOI",
        "--label",
        "friendship",
    ),
    refusal("note too long", *OPEN_ALL, "--note", "ก" * 4001),
    refusal("diagram in a format unknown", "diagram", "procedure", "--format", "gif"),
    refusal("procedure check missing file", "procedure", "check", "{dir}/none.toml"),
    refusal("unknown procedure", "procedure", "show", "--procedure", "nosuch", as_=None),
    refusal("diagram of an unknown case", "diagram", "case", "SC-2500-9999", "--format", "dot"),
    refusal("sweep in the future", "sweep", "--as-of", "2099-01-01", as_="sweeper"),
    refusal(
        "verify with a key that is no key",
        "audit",
        "verify",
        "--checkpoint",
        "{dir}/existing.json",
        "--key",
        "{dir}/existing.json",
    ),
    Bad(
        "step without the role",
        ("case", "advance", "{draft}", "begin_study"),
        1,
        "malee",
        denied=True,
    ),
    Bad("plan from another province", (*PLAN, "--budget", "1"), 1, "auditor", denied=True),
]


def test_the_table_is_large_and_its_names_unique() -> None:
    assert len(TABLE) >= 60
    assert len({b.name for b in TABLE}) == len(TABLE)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("bad")
    db = folder / "demo.db"
    case, _ = build_demo(str(db))
    (folder / "plan.pdf").write_bytes(b"%PDF-1.4\x00\x01\x02 plan\n")
    (folder / "existing.json").write_text("{}\n")
    (folder / "existing.key").write_text("not a key\n")
    (folder / "notdb.db").write_text("hello, not a database\n")
    (folder / "empty.db").write_bytes(b"")
    (folder / "trunc.db").write_bytes(db.read_bytes()[:5000])
    header = "province,partner_name"
    (folder / "big.csv").write_text(f"{header}\nTH-50,{'x' * 140_000}\n", encoding="utf-8")
    env = _env(folder, None)
    draft = _run(env, "case", "open", "--version", "1", *OPEN_ALL[2:], as_="somchai")
    plan = _run(
        env,
        *PLAN[:2],
        case.reference,
        "--fy",
        "2568",
        "--budget",
        "1000",
        "--file",
        str(folder / "plan.pdf"),
        as_="somchai",
    )
    assert plan.returncode == 0, plan.stderr
    _checkpoint(db)
    return {
        "dir": str(folder),
        "db": str(db),
        "active": case.reference,
        "draft": draft.stdout.split()[0],
        "plan_sha": hashlib.sha256((folder / "plan.pdf").read_bytes()).hexdigest(),
    }


def _env(folder: Path, officer: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    env["SISTERCITY_DB"] = str(folder / "demo.db")
    if officer:
        env["SISTERCITY_OFFICER"] = officer
    return env


def _run(
    env: dict[str, str], *args: str, as_: str | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [shutil.which("sistercity") or "sistercity"]
    if as_:
        argv += ["--as", as_]
    return subprocess.run(
        [*argv, *args],
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=60,
        check=False,
    )


def _checkpoint(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, read with the sqlite3 module (not the product)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"'), key=repr) for n in names}
    finally:
        conn.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("bad", TABLE, ids=[b.name for b in TABLE])
def test_bad_input_is_one_line_and_changes_nothing(bad: Bad, setup: dict[str, str]) -> None:
    folder = Path(setup["dir"])
    db = folder / (bad.db or "demo.db")
    args = tuple(a.format(**setup) for a in bad.args)
    before_bytes = _digest(db)
    before = _tables(db) if bad.db is None else None
    env = _env(folder, None)
    if bad.db is not None:
        env["SISTERCITY_DB"] = str(db)
    result = _run(env, *args, as_=bad.as_)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == bad.exit_code, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines
    if before is None:
        assert _digest(db) == before_bytes  # not a database: not even touched
        return
    after = _tables(db)
    if bad.denied:
        added = [r for r in after["audit_records"] if r not in before["audit_records"]]
        assert len(added) == 1 and "denied" in added[0], added
        after = {k: v for k, v in after.items() if k not in ("audit_records", "audit_head")}
        before = {k: v for k, v in before.items() if k not in ("audit_records", "audit_head")}
    assert after == before
    if not bad.denied:
        _checkpoint(db)
        assert _digest(db) == before_bytes


def test_officer_add_help_lists_the_roles() -> None:
    shown = subprocess.run(
        [shutil.which("sistercity") or "sistercity", "officer", "add", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(shown.split())
    for role in ("admin", "province_officer", "province_head", "moi_director", "system"):
        assert role in flat


def test_head_export_replaces_a_file_only_with_force(setup: dict[str, str]) -> None:
    folder = Path(setup["dir"])
    target = folder / "head-force.json"
    target.write_text("old\n")
    env = _env(folder, None)
    refused = _run(env, "audit", "head", "-o", str(target), as_="admin")
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert target.read_text() == "old\n"
    done = _run(env, "audit", "head", "-o", str(target), "--force", as_="admin")
    assert done.returncode == 0, done.stderr
    assert target.read_text().startswith("{")


def test_a_failed_checkpoint_is_not_also_called_missing(setup: dict[str, str]) -> None:
    folder = Path(setup["dir"])
    key = folder / "audit.pub"
    made = _run(_env(folder, None), "audit", "keygen", "-o", str(folder / "audit"))
    assert made.returncode == 0, made.stderr
    bogus = folder / "bogus.json"
    bogus.write_text("not a head export")
    result = _run(
        _env(folder, None), "audit", "verify", "--checkpoint", str(bogus), "--key", str(key)
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "no checkpoint given" not in result.stdout + result.stderr
