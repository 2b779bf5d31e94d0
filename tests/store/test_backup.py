"""``sistercity backup`` and ``restore``: consistent copies that verify, or one line and nothing.

SQLite is copied with the online backup API and restored by an atomic rename; PostgreSQL is
backed up with ``pg_dump -Fc`` and restored with ``pg_restore``, as the README says, and the
restored log verifies with the same head.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, make_url, text

from cli import cli
from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store import backup as backup_module
from store.append_only import SQLITE
from store.demo import OFFICERS, PROCEDURE, STEPS, VERSION, build_demo
from workflow import services
from workflow.model import NewCase

ROOT = Path(__file__).resolve().parents[2]
CLEAN_ENV: dict[str, str | None] = {"SISTERCITY_DB": None, "SISTERCITY_OFFICER": None}
WRITERS = 8
#: Stored document bytes that make the copy take long enough for writers to commit meanwhile.
PADDING = 16 * 1024 * 1024

WRITER = """
import datetime as dt, pathlib, sys, time
from store import SqlAlchemyUnitOfWork, make_engine
from store.demo import OFFICERS, PROCEDURE, STEPS, VERSION
from workflow import services
from workflow.model import NewCase
db, n, acks, stop = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), pathlib.Path(sys.argv[4])
actors = {o.id: o for o in OFFICERS}
uow = SqlAlchemyUnitOfWork(make_engine(db))
with acks.open("a", encoding="utf-8", buffering=1) as out:
    k = 0
    while not stop.exists():
        new = NewCase("TH-50", f"Partner {n}-{k}", "CN", "city", "MOU", "sister")
        case = services.open_case(
            uow, actors["somchai"], new, dt.datetime.now(dt.UTC),
            procedure=PROCEDURE, version=VERSION,
        )
        for _day, officer, trigger, fields, note in STEPS:
            now = dt.datetime.now(dt.UTC)
            who = actors[officer]
            r = services.advance_case(uow, who, case.reference, trigger, fields, note, now)
            # acknowledged: the step is committed; say so only now
            out.write(f"{time.monotonic_ns()} {r.seq} {r.hash} {r.case_reference} {r.trigger}\\n")
            if stop.exists():
                break
        k += 1
"""


def run(db: str | Path, *args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *map(str, args)], env=CLEAN_ENV)


def refused(result: Result, code: int = 1) -> str:
    """One line on stderr, the given exit code, no traceback."""
    assert result.exit_code == code, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    if code == 1:
        assert result.stderr.strip() == lines[0]
    return lines[0]


def verify_json(db: str | Path) -> tuple[int, dict[str, object]]:
    result = run(db, "audit", "verify", "--json")
    return result.exit_code, json.loads(result.stdout)


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo's training database: officers, one case walked to 'active', an activity."""
    db = tmp_path / "live" / "sistercity.db"
    db.parent.mkdir()
    build_demo(str(db))
    return db


# ---------------------------------------------------------------------- SQLite round trip
def test_backup_and_restore_give_back_the_same_verified_log(demo: Path, tmp_path: Path) -> None:
    code, live = verify_json(demo)
    assert code == 0
    copy = tmp_path / "backup.db"
    done = run(demo, "backup", "-o", str(copy))
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == (
        f"backup {copy}: {live['records']} records, {live['cases']} cases, head {live['head']} "
        f"(log {live['log_id']}), verified"
    )
    # one self-contained file, readable by its owner only, not in WAL mode
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["backup.db"]
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()

    target = tmp_path / "restored" / "sistercity.db"
    target.parent.mkdir()
    restored = run(target, "restore", str(copy))
    assert restored.exit_code == 0, restored.output
    assert f"head {live['head']}" in restored.stdout and "verified" in restored.stdout
    assert verify_json(target) == (0, live)
    # the restored database is a working one
    step = run(target, "--as", "somchai", "case", "list")
    assert step.exit_code == 0 and "active" in step.stdout


def test_restore_replaces_only_with_force_and_keeps_the_file_mode(
    demo: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "backup.db"
    assert run(demo, "backup", "-o", str(copy)).exit_code == 0
    other = tmp_path / "other.db"
    build_demo(str(other))
    os.chmod(other, 0o664)
    before = other.read_bytes()

    message = refused(run(other, "restore", str(copy)))
    assert "exists" in message and "--force" in message
    assert other.read_bytes() == before

    assert run(other, "restore", str(copy), "--force").exit_code == 0
    assert verify_json(other)[1]["head"] == verify_json(demo)[1]["head"]
    assert stat.S_IMODE(other.stat().st_mode) == 0o664
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_restore_refuses_a_database_another_command_has_open(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "backup.db"
    assert run(demo, "backup", "-o", str(copy)).exit_code == 0
    target = tmp_path / "busy.db"
    build_demo(str(target))
    assert run(target, "case", "list").exit_code == 0  # WAL mode, as officers use it
    monkeypatch.setattr(backup_module, "LOCK_TIMEOUT_S", 0.2)
    before = target.read_bytes()
    holder = sqlite3.connect(target)
    try:
        holder.execute("SELECT count(*) FROM audit_records").fetchone()
        message = refused(run(target, "restore", str(copy), "--force"))
        assert "in use" in message
    finally:
        holder.close()
    assert target.read_bytes() == before
    assert run(target, "restore", str(copy), "--force").exit_code == 0


def test_a_head_signed_after_the_backup_exposes_the_rollback(demo: Path, tmp_path: Path) -> None:
    """The README's trade-off: a restore rolls the log back, and a later signed head shows it."""
    copy = tmp_path / "backup.db"
    assert run(demo, "backup", "-o", str(copy)).exit_code == 0
    opened = run(demo, "--as", "somchai", "case", "open", "--province", "TH-50",
                 "--partner", "Jeju", "--country", "KR", "--level", "province")  # fmt: skip
    assert opened.exit_code == 0, opened.output  # a step the backup does not hold
    keys = tmp_path / "keys"
    keys.mkdir()
    assert run(demo, "audit", "keygen", "-o", str(keys / "audit")).exit_code == 0
    head = tmp_path / "head.json"
    signed = run(demo, "--as", "auditor", "audit", "head", "--sign", str(keys / "audit.key"),
                 "-o", str(head))  # fmt: skip
    assert signed.exit_code == 0, signed.output
    checkpoint = ("--checkpoint", str(head), "--key", str(keys / "audit.pub"))
    assert run(demo, "audit", "verify", *checkpoint).exit_code == 0

    assert run(demo, "restore", str(copy), "--force").exit_code == 0
    assert run(demo, "audit", "verify").exit_code == 0  # the chain alone cannot tell
    assert run(demo, "audit", "verify", *checkpoint).exit_code == 3


# ---------------------------------------------------------------------- refusals
def _tampered(source: Path, where: Path) -> Path:
    """A backup whose second record's note was edited behind the triggers' back."""
    copy = where / "tampered.db"
    shutil.copy(source, copy)
    conn = sqlite3.connect(copy)
    conn.execute("DROP TRIGGER audit_records_no_update")
    conn.execute("UPDATE audit_records SET note = 'edited' WHERE seq = 2")
    conn.execute("DROP TRIGGER audit_records_no_delete")
    for statement in SQLITE:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return copy


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("output in a missing directory", "cannot write"),
        ("output under a file", "cannot write"),
        ("output is a directory", "is a directory"),
        ("output exists", "--force"),
        ("output is the database", "the database itself"),
        ("no database", "no database at"),
        ("restore a missing file", "no backup at"),
        ("restore a directory", "not a file"),
        ("restore a text file", "not an SQLite database"),
        ("restore another SQLite database", "no sistercity tables"),
        ("restore a truncated backup", "not a usable sistercity database"),
        ("restore a tampered backup", "does not verify"),
        ("restore the database onto itself", "the database itself"),
    ],
)
def test_refusals_are_one_line_and_write_nothing(
    demo: Path, tmp_path: Path, case: str, expected: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    good = tmp_path / "good-backup.db"
    assert run(demo, "backup", "-o", str(good)).exit_code == 0
    (work / "notes.txt").write_text("=1+1\n", encoding="utf-8")
    (work / "exists.db").write_text("keep me", encoding="utf-8")
    plain = sqlite3.connect(work / "plain.db")
    plain.execute("CREATE TABLE t (x)")
    plain.commit()
    plain.close()
    (work / "truncated.db").write_bytes(good.read_bytes()[:20000])
    tampered = _tampered(good, work)
    target = work / "target.db"
    args: tuple[str | Path, ...] = {
        "output in a missing directory": (demo, "backup", "-o", str(work / "no" / "b.db")),
        "output under a file": (demo, "backup", "-o", str(work / "notes.txt" / "b.db")),
        "output is a directory": (demo, "backup", "-o", str(work)),
        "output exists": (demo, "backup", "-o", str(work / "exists.db")),
        "output is the database": (demo, "backup", "-o", str(demo), "--force"),
        "no database": (work / "missing.db", "backup", "-o", str(work / "b.db")),
        "restore a missing file": (target, "restore", str(work / "missing.db")),
        "restore a directory": (target, "restore", str(work)),
        "restore a text file": (target, "restore", str(work / "notes.txt")),
        "restore another SQLite database": (target, "restore", str(work / "plain.db")),
        "restore a truncated backup": (target, "restore", str(work / "truncated.db")),
        "restore a tampered backup": (target, "restore", str(tampered)),
        "restore the database onto itself": (demo, "restore", str(demo), "--force"),
    }[case]
    before, live_before = listing(work), listing(demo.parent)
    message = refused(run(*args))
    assert expected in message, message
    assert listing(work) == before
    assert listing(demo.parent) == live_before


def test_unwritable_output_is_one_line(demo: Path, tmp_path: Path) -> None:
    """A directory the user may not write to; as root, who may write anywhere, /proc."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    where = locked if os.geteuid() != 0 else Path("/proc")
    if not where.is_dir():
        pytest.skip("running as root without /proc: no unwritable directory to try")
    before = sorted(p.name for p in where.iterdir()) if where == locked else None
    try:
        message = refused(run(demo, "backup", "-o", str(where / "sistercity-backup.db")))
        assert "cannot write" in message
        assert not (where / "sistercity-backup.db").exists()
        if before is not None:
            assert sorted(p.name for p in where.iterdir()) == before
    finally:
        locked.chmod(0o700)


def test_usage_errors_exit_2(demo: Path) -> None:
    refused(run(demo, "backup"), code=2)
    refused(run(demo, "backup", "-o", "-"), code=2)
    refused(run(demo, "restore"), code=2)


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_postgresql_is_pointed_to_its_own_tools(command: str, tmp_path: Path) -> None:
    url = "postgresql+psycopg://officer@db.invalid/sistercity"
    args = ("-o", str(tmp_path / "b.db")) if command == "backup" else (str(tmp_path / "b.db"),)
    message = refused(run(url, command, *args))
    tool = "pg_dump" if command == "backup" else "pg_restore"
    assert tool in message and "Backups" in message
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- during writes
def _acks(folder: Path) -> list[tuple[int, int, str, str, str]]:
    """(monotonic ns, seq, hash, case, trigger) of every acknowledged step, complete lines only."""
    found = []
    for path in sorted(folder.glob("acks-*.txt")):
        content = path.read_text(encoding="utf-8")
        for line in content[: content.rfind("\n") + 1].splitlines():
            t, seq, digest, ref, trigger = line.split()
            found.append((int(t), int(seq), digest, ref, trigger))
    return found


def _prepare_busy_database(db: Path) -> None:
    engine = make_engine(str(db))
    try:
        init_database(engine, training=True)
        uow = SqlAlchemyUnitOfWork(engine)
        now = dt.datetime.now(dt.UTC)
        for officer in OFFICERS:
            services.add_officer(uow, officer, None, now)
        padding = os.urandom(PADDING)
        with uow:
            record = {"name": "padding.bin", "sha256": "0" * 64, "bytes": len(padding)}
            uow.documents.put(record, padding, now)
            uow.commit()
    finally:
        engine.dispose()


def _records(db: Path) -> dict[int, str]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT seq, hash FROM audit_records"))
    finally:
        conn.close()


def test_backup_during_eight_writers_loses_no_acknowledged_step(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    _prepare_busy_database(db)
    stop = tmp_path / "stop"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(db),
                str(n),
                str(tmp_path / f"acks-{n}.txt"),
                str(stop),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WRITERS)
    ]
    try:
        deadline = time.monotonic() + 120
        while True:
            counts = [0] * WRITERS
            for path in tmp_path.glob("acks-*.txt"):
                counts[int(path.stem.split("-")[1])] = path.read_text("utf-8").count("\n")
            if min(counts) >= 5:
                break
            assert all(w.poll() is None for w in writers), [w.communicate() for w in writers]
            assert time.monotonic() < deadline, f"writers too slow: {counts}"
            time.sleep(0.02)

        acknowledged = _acks(tmp_path)  # every step acknowledged before the backup starts
        started = time.monotonic_ns()
        copy = tmp_path / "backup.db"
        taken = subprocess.run(
            [
                sys.executable,
                "-c",
                "from cli import cli; cli.main(prog_name='sistercity')",
                "--db",
                str(db),
                "backup",
                "-o",
                str(copy),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        finished = time.monotonic_ns()
        assert taken.returncode == 0, taken.stderr
        assert taken.stdout.strip().endswith("verified"), taken.stdout
        time.sleep(0.2)  # writers go on after the backup
    finally:
        stop.touch()
        outcomes = [w.communicate(timeout=120) for w in writers]
    assert [w.returncode for w in writers] == [0] * WRITERS, outcomes

    backed_up = _records(copy)
    size = max(backed_up)
    assert sorted(backed_up) == list(range(1, size + 1))
    assert f" {size} records" in taken.stdout and f"head {backed_up[size]}" in taken.stdout
    # 0 acknowledged steps lost: each is in the backup with the hash its writer was given
    assert len(acknowledged) >= 5 * WRITERS
    lost = [a for a in acknowledged if backed_up.get(a[1]) != a[2]]
    assert lost == []
    # the backup is the live log as of one commit: a prefix of it, never a mixture
    everything = _acks(tmp_path)
    live = _records(db)
    assert all(live[seq] == digest for seq, digest in backed_up.items())
    assert all(backed_up.get(a[1], a[2]) == a[2] for a in everything)
    # writers committed while the backup command ran, after its snapshot
    assert any(started < a[0] < finished and a[1] > size for a in everything)
    assert len(live) > size

    restored = tmp_path / "restored.db"
    done = run(restored, "restore", str(copy))
    assert done.exit_code == 0, done.output
    code, report = verify_json(restored)
    assert code == 0, report
    assert (report["records"], report["head"]) == (size, backed_up[size])
    assert _records(restored) == backed_up
    assert verify_json(db)[0] == 0


# ---------------------------------------------------------------------- PostgreSQL
def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def pg_pair() -> Iterator[tuple[str, str]]:
    """Two empty PostgreSQL databases: the live one and the one to restore into."""
    base = os.environ.get("SISTERCITY_TEST_PG_URL")
    if not base:
        pytest.skip("SISTERCITY_TEST_PG_URL not set")
    for tool in ("pg_dump", "pg_restore"):
        if not shutil.which(tool) and not os.environ.get("CI"):
            pytest.skip(f"{tool} not installed")
    names = [f"sc_test_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        urls = [
            make_url(base).set(database=n).render_as_string(hide_password=False) for n in names
        ]
        yield urls[0], urls[1]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_pg_dump_and_pg_restore_as_the_readme_says(
    pg_pair: tuple[str, str], tmp_path: Path
) -> None:
    live, restored = pg_pair
    engine = make_engine(live)
    try:
        init_database(engine, training=True)
        uow = SqlAlchemyUnitOfWork(engine)
        now = dt.datetime.now(dt.UTC)
        for officer in OFFICERS:
            services.add_officer(uow, officer, None, now)
        actors = {o.id: o for o in OFFICERS}
        for partner, steps in (("Guangzhou", len(STEPS)), ("Nagano", 4), ("Hue", 1)):
            new = NewCase("TH-50", partner, "CN", "city", "MOU", "sister")
            ref = services.open_case(
                uow, actors["somchai"], new, now, procedure=PROCEDURE, version=VERSION
            ).reference
            for _day, who, trigger, fields, note in STEPS[:steps]:
                services.advance_case(uow, actors[who], ref, trigger, fields, note, now)
    finally:
        engine.dispose()
    code, before = verify_json(live)
    assert code == 0, before

    dump = tmp_path / "sistercity.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "-d", _libpq(live), "-f", str(dump)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    loaded = subprocess.run(
        [
            "pg_restore",
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            "-d",
            _libpq(restored),
            str(dump),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr

    code, after = verify_json(restored)
    assert code == 0, after
    assert (after["records"], after["head"], after["log_id"]) == (
        before["records"],
        before["head"],
        before["log_id"],
    )
    # the restored database is a working one: the next step chains onto the same head
    moved = run(
        restored,
        "--as",
        "somchai",
        "case",
        "open",
        "--province",
        "TH-50",
        "--partner",
        "Jeju",
        "--country",
        "KR",
        "--level",
        "province",
    )
    assert moved.exit_code == 0, moved.output
    code, later = verify_json(restored)
    assert code == 0 and later["records"] == before["records"] + 1  # type: ignore[operator]
