"""Two officers fire the same step at the same moment from two processes: exactly one wins.

Each process is the real command line (``sistercity … case advance``) against a real database.
Both start their interpreter, load the procedure, announce they are ready and then wait for a
start file, so the two commands really race. Writers are serialised, so the loser sees either
the case already moved (the step is no longer allowed) or a "changed under you" refusal.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from store import SqlAlchemyUnitOfWork, init_database, make_engine
from store.demo import OFFICERS, STEPS
from workflow import services
from workflow.model import AuditRecord, NewCase

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 3
RACER = """
import pathlib, sys, time
from cli import cli
from workflow.catalog import engine_for
engine_for("provincial", 1)
ready, go = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
ready.touch()
deadline = time.monotonic() + 60
while not go.exists():
    if time.monotonic() > deadline:
        sys.exit("start file never appeared")
    time.sleep(0.0005)
cli.main(sys.argv[3:], prog_name="sistercity")
"""
LOSER_MESSAGES = ("changed under you", "is not allowed from", "database is busy")


def _records(db: str) -> list[AuditRecord]:
    engine = make_engine(db)
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            return list(uow.audit.iter_all())
    finally:
        engine.dispose()


def _prepare(db: str, cases: int) -> list[tuple[str, str, str, dict[str, object]]]:
    """Cases each waiting for one step: (reference, officer, trigger, fields)."""
    engine = make_engine(db)
    try:
        init_database(engine, training=True)
        uow = SqlAlchemyUnitOfWork(engine)
        now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        for officer in OFFICERS:
            services.add_officer(uow, officer, None, now)
        actors = {o.id: o for o in OFFICERS}
        races = []
        for i in range(cases):
            case = services.open_case(
                uow,
                actors["somchai"],
                NewCase("TH-50", f"Partner {i}", "CN", "city", "MOU", "sister"),
                now,
            )
            # alternate a step without fields and one that records documents
            if i % 2:
                for _d, who, trigger, fields, note in STEPS[:1]:
                    services.advance_case(
                        uow, actors[who], case.reference, trigger, fields, note, now
                    )
                _d, who, trigger, fields, _n = STEPS[1]
                races.append((case.reference, who, trigger, dict(fields)))
            else:
                races.append((case.reference, "somchai", "begin_study", {}))
        return races
    finally:
        engine.dispose()


def _race(
    db: str, folder: Path, reference: str, officer: str, trigger: str, fields: dict[str, object]
) -> list[subprocess.CompletedProcess[str]]:
    args = ["--db", db, "--as", officer, "case", "advance", reference, trigger]
    for name, value in fields.items():
        if isinstance(value, dict):
            path = folder / str(value["name"])
            path.write_text(f"{name}\n", encoding="utf-8")
            value = path
        args += ["-f", f"{name}={value}"]
    go = folder / "go"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERCITY_")}
    procs = []
    for n in range(2):
        ready = folder / f"ready-{n}"
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", RACER, str(ready), str(go), *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
        )
    deadline = time.monotonic() + 60
    while not all((folder / f"ready-{n}").exists() for n in range(2)):
        assert time.monotonic() < deadline, "racers never became ready"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.005)
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return results


def test_same_transition_from_two_processes(db_url: str, tmp_path: Path) -> None:
    races = _prepare(db_url, ROUNDS)
    for round_no, (reference, officer, trigger, fields) in enumerate(races):
        folder = tmp_path / f"round-{round_no}"
        folder.mkdir()
        before = _records(db_url)
        results = _race(db_url, folder, reference, officer, trigger, fields)

        codes = sorted(r.returncode for r in results)
        assert codes == [0, 1], [(r.returncode, r.stdout, r.stderr) for r in results]
        loser = next(r for r in results if r.returncode == 1)
        message = loser.stderr.strip()
        assert message.startswith("Error: ") and "\n" not in message, message
        assert any(m in message for m in LOSER_MESSAGES), message

        after = _records(db_url)
        assert after[: len(before)] == before
        new = after[len(before) :]
        assert [(r.kind, r.case_reference, r.trigger) for r in new] == [
            ("transition", reference, trigger)
        ]
        assert [r.seq for r in after] == list(range(1, len(after) + 1))
        case_seqs = [r.case_seq for r in after if r.case_reference == reference]
        assert case_seqs == list(range(1, len(case_seqs) + 1))
