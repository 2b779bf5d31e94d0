"""PostgreSQL: several processes advancing different cases, against one process.

Each worker is a process of its own with its own engine, taking steps through the library
(``services.advance_case``, suspend and resume in turn) on cases no other worker touches, for a
fixed time. The figure is the total rate of 4 and of 8 workers against 1 (goal: 8 reach 3×).

Two measurements say what bounds it. The head lock: each worker records how long it waited for
the head row and how long it held it (from the ``SELECT … FOR UPDATE`` returning to the commit
returning; on PostgreSQL the wait for the disk that follows, ``Transaction.await_durable``, is
outside the lock); the share of the wall time during which some worker held it is the lock's
utilisation, and a lock used less than fully is not the ceiling. The machine: the same Core
writes with no global lock at all (each record takes its number from a sequence, no chain; the
work a step would do if the chain cost nothing) on 1 and 8 workers, which is as far as this
machine's cores let any design scale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import time
from typing import Any

from sqlalchemy import event, text

from benchmarks.harness import Figure

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _product_worker(
    url: str, refs: list[str], seconds: float, ready: Any, go: Any, out: Any
) -> None:
    from sqlalchemy.orm import Session

    from benchmarks.steps import Clock, actors
    from store import SqlAlchemyUnitOfWork, make_engine
    from store.repository import Transaction
    from workflow import services

    engine = make_engine(url)
    uow = SqlAlchemyUnitOfWork(engine)
    governor = actors()["governor-cm"]
    clock = Clock()
    clock.now += dt.timedelta(days=10 + os.getpid() % 1000)
    states = {r: services.get_case(uow, r).state for r in refs}
    marks: dict[str, float] = {}
    held: list[float] = []
    waited: list[float] = []

    def before(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if "audit_head" in statement and "FOR UPDATE" in statement:
            marks["asked"] = time.perf_counter()

    def after(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if "audit_head" in statement and "FOR UPDATE" in statement:
            marks["locked"] = time.perf_counter()
            waited.append(marks["locked"] - marks["asked"])

    def released(_session: Any) -> None:
        locked = marks.pop("locked", None)
        if locked is not None:
            held.append(time.perf_counter() - locked)

    durable = Transaction.await_durable

    def await_durable(raw: Any) -> None:
        released(None)  # the COMMIT has returned: the lock is free, the wait for the disk is not
        durable(raw)

    Transaction.await_durable = staticmethod(await_durable)  # type: ignore[method-assign]
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(Session, "after_commit", released)
    event.listen(Session, "after_rollback", released)
    ready.put(os.getpid())
    go.wait()
    deadline = time.perf_counter() + seconds
    cpu = time.process_time()
    done = 0
    while time.perf_counter() < deadline:
        ref = refs[done % len(refs)]
        trigger = "resume" if states[ref] == "suspended" else "suspend"
        record = services.advance_case(uow, governor, ref, trigger, {}, "bench", clock())
        states[ref] = record.dest or ""
        done += 1
    out.put((done, sum(held), sum(waited), time.process_time() - cpu))
    engine.dispose()


def _lockless_worker(
    url: str, refs: list[str], seconds: float, ready: Any, go: Any, out: Any
) -> None:
    """The writes of a step with no global lock: case update, record (numbered by a sequence,
    hashed but chained to nothing), span, move; no head row."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    states: dict[str, str] = {}
    with engine.connect() as conn:
        for ref in refs:
            states[ref] = conn.execute(
                text("SELECT state FROM cases WHERE reference = :r"), {"r": ref}
            ).scalar_one()
    ready.put(os.getpid())
    go.wait()
    deadline = time.perf_counter() + seconds
    cpu = time.process_time()
    done = 0
    with engine.connect() as conn:
        while time.perf_counter() < deadline:
            ref = refs[done % len(refs)]
            with conn.begin():
                state, previous, version = conn.execute(
                    text("SELECT state, previous_state, row_version FROM cases "
                         "WHERE reference = :r"), {"r": ref},
                ).one()  # fmt: skip
                dest = previous if state == "suspended" else "suspended"
                conn.execute(
                    text("UPDATE cases SET state = :s, previous_state = :p, "
                         "row_version = row_version + 1 WHERE reference = :r "
                         "AND row_version = :v"),
                    {"s": dest, "p": state, "r": ref, "v": version},
                )  # fmt: skip
                seq = conn.execute(text("SELECT nextval('bench_seq')")).scalar_one()
                header = {"seq": seq, "case": ref, "from": state, "to": dest}
                digest = hashlib.sha256(_CANONICAL.encode(header).encode()).hexdigest()
                conn.execute(
                    text("INSERT INTO bench_records (seq, case_reference, source, dest, hash) "
                         "VALUES (:q, :r, :s, :d, :h)"),
                    {"q": seq, "r": ref, "s": state, "d": dest, "h": digest},
                )  # fmt: skip
                conn.execute(
                    text("UPDATE moves SET ended_at = 'x' WHERE case_reference = :r "
                         "AND opens_span AND ended_at IS NULL"), {"r": ref},
                )  # fmt: skip
                conn.execute(
                    text("INSERT INTO moves (seq, case_reference, province, kind, source, dest,"
                         " occurred_at, fiscal_year, opens_span) VALUES (:q, :r, 'TH-50', "
                         "'transition', :s, :d, 'x', 2567, true)"),
                    {"q": seq, "r": ref, "s": state, "d": dest},
                )  # fmt: skip
            done += 1
    out.put((done, 0.0, 0.0, time.process_time() - cpu))
    engine.dispose()


def _run(target: Any, url: str, refs: list[str], workers: int, seconds: float) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    ready, go, out = context.Queue(), context.Event(), context.Queue()
    share = [refs[k::workers] for k in range(workers)]
    procs = [
        context.Process(target=target, args=(url, share[k], seconds, ready, go, out))
        for k in range(workers)
    ]
    for p in procs:
        p.start()
    for _ in procs:  # every worker has imported the library and read its cases
        ready.get(timeout=120)
    time.sleep(0.2)
    go.set()
    got = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    steps = sum(g[0] for g in got)
    return {
        "rate": steps / seconds,
        "held": sum(g[1] for g in got) / seconds,
        "waited": sum(g[2] for g in got) / max(steps, 1),
        "cpu": sum(g[3] for g in got) / max(steps, 1),
    }


def worker_figures(base: str, quick: bool) -> list[Figure]:
    from benchmarks.steps import Clock, open_cases, pg_database, prepared

    seconds, rounds = (1.5, 1) if quick else (8.0, 5)
    figures: list[Figure] = []
    with pg_database(base) as url:
        engine = prepared(url)
        refs = open_cases(engine, 64, Clock())
        with engine.begin() as conn:
            conn.execute(text("CREATE SEQUENCE bench_seq START 100000000"))
            conn.execute(
                text("CREATE TABLE bench_records (seq bigint PRIMARY KEY, case_reference text, "
                     "source text, dest text, hash text)")
            )  # fmt: skip
        engine.dispose()
        group = "PostgreSQL: workers advancing different cases"
        product = {
            n: Figure(group, f"{n} workers against 1, through the library",
                      f"{n} workers", "1 worker", "steps/s", "rate",
                      goal_ratio=3.0 if n == 8 else None, scaling=True)
            for n in (4, 8)
        }  # fmt: skip
        lockless = Figure(group, "8 workers against 1, the same writes with no global lock",
                          "8 workers", "1 worker", "steps/s", "rate", scaling=True)  # fmt: skip
        notes: list[str] = []
        for n in range(rounds):
            one = _run(_product_worker, url, refs, 1, seconds)
            for workers in (8, 4) if n % 2 else (4, 8):
                many = _run(_product_worker, url, refs, workers, seconds)
                product[workers].add(many["rate"], one["rate"])
                if workers == 8:
                    notes.append(
                        f"head held {many['held']:.0%} of the time, waited "
                        f"{many['waited'] * 1e3:.1f} ms/step, CPU {many['cpu'] * 1e3:.1f} ms/step"
                        f" (1 worker: held {one['held']:.0%}, CPU {one['cpu'] * 1e3:.1f} ms/step;"
                        f" a lock held that share of one worker's step caps any number of"
                        f" workers at {1 / max(one['held'], 1e-9):.1f}×)"
                    )
            free_one = _run(_lockless_worker, url, refs, 1, seconds)
            free_many = _run(_lockless_worker, url, refs, 8, seconds)
            lockless.add(free_many["rate"], free_one["rate"])
        product[8].note = "; ".join(notes[-2:])
        figures = [product[4], product[8], lockless]
    return figures
