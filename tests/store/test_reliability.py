"""The heavy reliability tests, run in CI on SQLite and PostgreSQL.

* Races: 16 processes on SQLite (32 on PostgreSQL) take the same step on one case at the same
  moment: exactly one wins, the others are refused, the log stays gapless and verifies. The same
  number of processes on different cases all win.
* Crashes: a writer advancing cases is killed with SIGKILL over a hundred times, mid-transaction
  or not; every step it acknowledged (the store returned its record) is in the log afterwards,
  with the same hash, and the log verifies.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import OFFICERS
from store.verify import verify_database
from workflow import services
from workflow.model import NewCase

ROOT = Path(__file__).resolve().parents[2]
KILLS = 100

#: One racer: wait for the start signal, take the step, say how it went.
RACER = """
import datetime as dt, pathlib, sys, time
from store import SqlAlchemyUnitOfWork, make_engine
from store.demo import OFFICERS
from workflow import services
from workflow.errors import WorkflowError
db, ref, go = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
engine = make_engine(db)
officer = next(o for o in OFFICERS if o.id == "somchai")
pathlib.Path(sys.argv[4]).touch()
while not go.exists():
    time.sleep(0.005)
try:
    services.advance_case(SqlAlchemyUnitOfWork(engine), officer, ref, "begin_study", {}, "",
                          dt.datetime.now(dt.UTC))
    print("won")
except WorkflowError as refused:
    print("refused", type(refused).__name__)
engine.dispose()
"""

#: The crash victim: open cases and take their first step, acknowledging each record.
WRITER = """
import datetime as dt, os, sys
from store import SqlAlchemyUnitOfWork, make_engine
from store.demo import OFFICERS
from workflow import services
from workflow.model import NewCase
db, acks = sys.argv[1], sys.argv[2]
engine = make_engine(db)
uow = SqlAlchemyUnitOfWork(engine)
officer = next(o for o in OFFICERS if o.id == "somchai")
with open(acks, "a", encoding="utf-8") as out:
    while True:
        now = dt.datetime.now(dt.UTC)
        case = services.open_case(uow, officer, NewCase("TH-50", "X", "CN", "city", "MOU",
                                  "sister"), now)
        record = services.advance_case(uow, officer, case.reference, "begin_study", {}, "", now)
        out.write(f"{record.seq} {record.hash}\\n")
        out.flush()
        os.fsync(out.fileno())
"""


def _processes(db_url: str) -> int:
    return 32 if db_url.startswith("postgresql") else 16


def _setup(db_url: str, cases: int) -> list[str]:
    engine = make_engine(db_url)
    init_database(engine, training=True)
    uow = SqlAlchemyUnitOfWork(engine)
    now = dt.datetime.now(dt.UTC)
    for officer in OFFICERS:
        services.add_officer(uow, officer, None, now)
    somchai = next(o for o in OFFICERS if o.id == "somchai")
    refs = [
        services.open_case(
            uow, somchai, NewCase("TH-50", f"P{i}", "CN", "city", "MOU", "sister"), now
        ).reference
        for i in range(cases)
    ]
    engine.dispose()
    return refs


def _race(db_url: str, refs: list[str], folder: Path) -> list[str]:
    go = folder / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    for n, ref in enumerate(refs):
        ready = folder / f"ready-{n}"
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", RACER, db_url, ref, str(go), str(ready)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        )
    deadline = time.monotonic() + 120
    while not all((folder / f"ready-{n}").exists() for n in range(len(refs))):
        assert time.monotonic() < deadline, "racers did not start"
        time.sleep(0.02)
    go.touch()
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outcomes.append(out.strip())
    return outcomes


def _verified(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        result = verify_database(engine)
        assert result.exit_code == 0, result.problems[:3]
    finally:
        engine.dispose()


def test_many_processes_on_one_case_make_one_winner(db_url: str, tmp_path: Path) -> None:
    (ref,) = _setup(db_url, 1)
    outcomes = _race(db_url, [ref] * _processes(db_url), tmp_path)
    assert outcomes.count("won") == 1, outcomes
    assert all(o == "won" or o.startswith("refused") for o in outcomes), outcomes
    _verified(db_url)


def test_many_processes_on_different_cases_all_win(db_url: str, tmp_path: Path) -> None:
    refs = _setup(db_url, _processes(db_url))
    outcomes = _race(db_url, refs, tmp_path)
    assert outcomes == ["won"] * len(refs), outcomes
    _verified(db_url)


def _acknowledged_count(acks: Path) -> int:
    try:
        return acks.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_no_acknowledged_step_is_lost_to_kill_9(db_url: str, tmp_path: Path) -> None:
    _setup(db_url, 0)
    acks = tmp_path / "acks.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(9)
    for _ in range(KILLS):
        before = _acknowledged_count(acks)
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, db_url, str(acks)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        # Past its start-up (however slow the machine), then somewhere in the writes.
        deadline = time.monotonic() + 60
        while _acknowledged_count(acks) == before and writer.poll() is None:
            assert time.monotonic() < deadline, "the writer acknowledged nothing in 60 s"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.25))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    acknowledged = [line.split() for line in acks.read_text().splitlines() if line.strip()]
    assert len(acknowledged) > KILLS, "the writer made progress between kills"
    engine = make_engine(db_url)
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            stored = {r.seq: r.hash for r in uow.audit.iter_all()}
    finally:
        engine.dispose()
    lost = [(s, h) for s, h in acknowledged if stored.get(int(s)) != h]
    assert lost == []
    _verified(db_url)
    (tmp_path / "summary.json").write_text(json.dumps({"acknowledged": len(acknowledged)}))
